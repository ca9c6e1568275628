/// The counting-process design of DESIGN §4, built from the timeline and the outcomes.
///
/// Time is days since the account's first timeline row. Row i (distinct dates t₁ < t₂ < …) opens the
/// interval (tᵢ, tᵢ₊₁] carrying the factor values in force at tᵢ (§3's as-of rule on raw values: the
/// latest non-empty value on or before tᵢ). The account's first churn c ends its history: the interval
/// containing c is cut at c and carries the event; a churn after the last row extends that row's
/// interval to c; nothing dated on or after c counts. An account that never churned is censored at its
/// last row, which opens no interval. An interval with a factor that has no value yet is treated as DESIGN §13
/// says (`indicator` by default; `drop` leaves it out and counts it).
public struct SurvivalDesign: Sendable {
    /// The intervals that are fitted (subjects = accounts).
    public var data: SurvivalData
    /// Intervals with a missing factor value, dropped; of them, those that carried a churn.
    public var dropped: Int
    /// Of the dropped intervals, those that carried a churn.
    public var droppedEvents: Int
    /// Per factor, the intervals it was missing in (one interval may count for several factors).
    public var missing: [Int]
    /// Timeline accounts, and those with at least one fitted interval.
    public var accounts: Int
    /// Accounts with at least one fitted interval.
    public var accountsWithIntervals: Int
    /// Churn outcomes whose account has no timeline row, or whose date is on or before the account's first row.
    public var churnsWithoutHistory: Int
    /// Churn outcomes dated on or before the account's first row.
    public var churnsBeforeFirstRow: Int
    /// Churns after an account's first (only the first ends the history).
    public var laterChurns: Int
    /// Timeline rows (distinct account-dates) dated on or after the account's churn, which do not count.
    public var rowsAfterChurn: Int
    /// Distinct (account, date) rows read, and outcome rows or timeline rows left out by `censorAt`.
    public var rows: Int
    /// Outcome rows and timeline rows left out by `censorAt`.
    public var afterCensoring: Int
    /// Each account's state at the prediction date: the accounts with a row on or before it and no churn
    /// on or before it.
    public var current: [CurrentState]
    /// The prediction date of `current`.
    public var predictionDay: Int32
    /// The latest churn that ended a history (for the saved model's record).
    public var lastChurnDay: Int32?
    /// The missing-value treatment of the intervals (DESIGN §13), without its matrix, row list and outcomes (`data`
    /// holds them).
    public var treatment: TreatedDesign
    /// The factors, in the order of `current`'s values (the design's columns are `data.names`).
    public var factorNames: [String]

    /// An account's state on the prediction day.
    public struct CurrentState: Sendable {
        /// The account.
        public var accountId: String
        /// Days since the account's first timeline row.
        public var age: Int
        /// Raw factor values at the prediction date (NaN: no value yet).
        public var values: [Double]
        /// The account's first churn (after the prediction date), if any.
        public var churnDay: Int32?
        /// The account's last timeline row.
        public var lastRowDay: Int32
    }
}

/// How the survival design is cut.
public struct SurvivalDesignOptions: Sendable {
    /// Fit only what was known on this day: timeline rows and churns after it are left out (administrative
    /// censoring), so a prediction at this date uses no later outcome.
    public var censorAt: Int32?
    /// The date of the `current` states (default: `censorAt`, else the last timeline date).
    public var predictAt: Int32?
    /// How an interval with a factor that has no value yet is treated (DESIGN §13).
    public var missing: MissingTreatment
    /// The landmark of DESIGN §14: the intervals of the whole history cut at this day (one that spans it ends
    /// there, censored; nothing after it counts), and the prediction day (unless `predictAt` says otherwise).
    public var landmark: Int32?

    /// Options with an optional censoring day and prediction day, the missing-value treatment and a landmark.
    public init(
        censorAt: Int32? = nil, predictAt: Int32? = nil, missing: MissingTreatment = .indicator,
        landmark: Int32? = nil
    ) {
        self.censorAt = censorAt
        self.predictAt = predictAt
        self.missing = missing
        self.landmark = landmark
    }
}

extension SurvivalDesign {
    /// Reads the timeline once and builds the intervals. `factors`: the configuration's factors, or nil for
    /// every numeric timeline column.
    /// `factors` default to the dataset configuration's (with none, every numeric timeline column).
    public static func build(
        _ dataset: Dataset, factors: [String]? = nil,
        options: SurvivalDesignOptions = SurvivalDesignOptions()
    ) throws -> SurvivalDesign {
        let outcomes = try dataset.requireDecidedOutcomes("the survival model")
        let factorNames = try Observations.modelFactors(
            factors ?? dataset.configuration?.base.factors.map(\.name), timeline: dataset.timeline)
        var rows = TimelineRows(factors: factorNames)
        let summary = try dataset.timeline.read(into: &rows)
        try Observations.requireFactors(factorNames, in: summary, configurationName: dataset.configurationName)
        let ids = summary.accounts
        guard let lastDay = rows.days.max() else {
            throw InputError(.noRows, Location(file: dataset.timeline.name), "the timeline has no valid rows")
        }
        if let landmark = options.landmark, let firstDay = rows.days.min(), landmark < firstDay || landmark > lastDay {
            throw InputError(
                .invalidEvaluation, Location(file: dataset.timeline.name), value: Day.format(landmark),
                "the landmark \(Day.format(landmark)) is outside the timeline (\(Day.format(firstDay)) to "
                    + "\(Day.format(lastDay)))")
        }
        let predictDay = options.predictAt ?? options.censorAt ?? options.landmark ?? lastDay
        let cut = options.landmark ?? .max
        // First churn per account (timeline code); churns without a timeline account are counted.
        var churnDay = [Int32](repeating: .max, count: ids.count)
        var churnsWithoutHistory = 0, laterChurns = 0, afterCensoring = 0
        var churnCount = [Int32](repeating: 0, count: ids.count)
        for i in 0..<outcomes.count where outcomes.churned[i] {
            if let cut = options.censorAt, outcomes.day[i] > cut { afterCensoring += 1; continue }
            guard let code = ids.lookup(outcomes.accountIds[i]) else { churnsWithoutHistory += 1; continue }
            let a = Int(code)
            churnCount[a] += 1
            churnDay[a] = min(churnDay[a], outcomes.day[i])
        }
        for a in 0..<ids.count where churnCount[a] > 1 { laterChurns += Int(churnCount[a]) - 1 }
        // Rows grouped by account, in date order (a stable sort keeps a long layout's same-day records in file order).
        let groups = AccountGroups(accounts: rows.accounts, count: ids.count)
        var keys: [UInt64] = []
        let p = factorNames.count
        var cols = [[Double]](repeating: [], count: p)
        var startT: [Double] = [], stopT: [Double] = [], event: [Bool] = [], subject: [Int32] = []
        var subjectIds: [String] = []
        var missing = [Int](repeating: 0, count: p)
        var dropped = 0, droppedEvents = 0, churnsBeforeFirstRow = 0, rowsAfterChurn = 0, distinctRows = 0
        var current: [SurvivalDesign.CurrentState] = []
        var state = [Double](repeating: .nan, count: p)
        var dates: [Int32] = [], states: [Double] = []
        var lastChurn: Int32? = nil
        // Accounts in id order: the design (and the fit's sums) do not depend on the order rows came in.
        for code in ids.codesByString {
            let a = Int(code)
            var slice = Array(groups.rows(of: a))
            if let cut = options.censorAt {
                let before = slice.count
                slice.removeAll { rows.days[Int($0)] > cut }
                afterCensoring += before - slice.count
            }
            if slice.isEmpty { if churnDay[a] != .max { churnsWithoutHistory += 1 }; continue }
            var sorted = true
            for k in 1..<max(slice.count, 1) where rows.days[Int(slice[k])] < rows.days[Int(slice[k - 1])] {
                sorted = false; break
            }
            if !sorted {
                // By date, then file order (row indices are in file order).
                slice = AccountGroups.byDay(slice, days: rows.days, into: &keys)
            }
            // Distinct dates with the carried-forward values after each.
            for j in 0..<p { state[j] = .nan }
            dates.removeAll(keepingCapacity: true)
            states.removeAll(keepingCapacity: true)
            for r in slice {
                let i = Int(r), d = rows.days[i]
                for j in 0..<p { let v = rows.values[i * p + j]; if !v.isNaN { state[j] = v } }
                if dates.last == d {
                    states.replaceSubrange((states.count - p)..<states.count, with: state)
                } else {
                    dates.append(d)
                    states.append(contentsOf: state)
                }
            }
            distinctRows += dates.count
            let first = dates[0]
            let churn = churnDay[a]
            if churn != .max { rowsAfterChurn += dates.count - dates.upperBound(churn - 1) }
            if churn != .max && churn <= first { churnsBeforeFirstRow += 1; continue }
            let id = ids.string(Int32(a))
            var subjectIndex: Int32? = nil
            for k in 0..<dates.count {
                let t = dates[k]
                if t >= churn || t >= cut { break }
                let next: Int32? = k + 1 < dates.count ? dates[k + 1] : nil
                var stop: Int32
                var isEvent: Bool
                if churn != .max, next == nil || next! >= churn {
                    stop = churn; isEvent = true
                } else if let next {
                    stop = next; isEvent = false
                } else {
                    break
                }  // the last row of a censored account opens no interval
                // A landmark cuts the interval that spans it: it ends there, censored (DESIGN §14).
                if stop > cut { stop = cut; isEvent = false }
                var complete = true
                for j in 0..<p where states[k * p + j].isNaN { missing[j] += 1; complete = false }
                if !complete && options.missing == .drop {
                    dropped += 1
                    if isEvent { droppedEvents += 1 }
                } else {
                    if subjectIndex == nil { subjectIndex = Int32(subjectIds.count); subjectIds.append(id) }
                    for j in 0..<p { cols[j].append(states[k * p + j]) }
                    startT.append(Double(t - first)); stopT.append(Double(stop - first)); event.append(isEvent)
                    subject.append(subjectIndex!)
                }
                if isEvent { lastChurn = max(lastChurn ?? churn, churn); break }
                if stop == cut { break }
            }
            // The state at the prediction date, for accounts still active then.
            let k = dates.upperBound(predictDay) - 1  // the last row on or before the prediction date
            if churn > predictDay, k >= 0 {
                current.append(
                    SurvivalDesign.CurrentState(
                        accountId: id, age: Int(predictDay - first),
                        values: Array(states[(k * p)..<(k * p + p)]), churnDay: churn == .max ? nil : churn,
                        lastRowDay: dates[dates.count - 1]))
            }
        }
        // The timeline rows are done with: released before the design's matrix is put together, so the two are
        // never held at once (the rows are the larger).
        rows = rows.makeEmpty()
        var storage: [Double] = []
        storage.reserveCapacity(stopT.count * p)
        for j in 0..<p { storage += cols[j]; cols[j] = [] }
        // Under `indicator` and `mean` the incomplete intervals were kept with NaN: the treatment fills them.
        var raw = Matrix(rows: stopT.count, columns: p, storage: storage)
        storage = []  // the matrix holds the only reference: the treatment fills it in place
        var treated = MissingValues.treatInPlace(
            &raw, names: factorNames, y: event.map { $0 ? 1 : 0 },
            treatment: options.missing == .drop ? .mean : options.missing)
        treated.treatment = options.missing
        if options.missing == .drop { treated.dropped = dropped }
        // The interval vectors grew by doubling: copied to their exact size, as they are held to the end.
        let data = try SurvivalData(
            names: treated.names, start: Array(startT[...]), stop: Array(stopT[...]), event: Array(event[...]),
            x: treated.x, subject: Array(subject[...]), subjectIds: subjectIds)
        // The record keeps what the treatment did (fills, indicators, counts), not a row list and outcomes that
        // `data` holds already: two vectors of every interval less for the whole analysis.
        var record = treated.summary
        record.rows = []
        record.y = []
        treated = record
        return SurvivalDesign(
            data: data, dropped: dropped, droppedEvents: droppedEvents, missing: missing, accounts: ids.count,
            accountsWithIntervals: subjectIds.count, churnsWithoutHistory: churnsWithoutHistory,
            churnsBeforeFirstRow: churnsBeforeFirstRow, laterChurns: laterChurns, rowsAfterChurn: rowsAfterChurn,
            rows: distinctRows, afterCensoring: afterCensoring, current: current, predictionDay: predictDay,
            lastChurnDay: lastChurn, treatment: treated, factorNames: factorNames)
    }
}

/// Keeps every timeline row's account, date and wanted factor values (NaN where empty), in file order.
struct TimelineRows: TimelineSink {
    let wanted: [String]
    var slotOfColumn: [(column: Int, slot: Int)] = []
    var accounts: [Int32] = []
    var days: [Int32] = []
    var values: [Double] = []

    init(factors: [String]) { wanted = factors }

    mutating func begin(factors: [String]) {
        let lower = factors.map { $0.lowercased() }
        slotOfColumn = []
        for (slot, name) in wanted.enumerated() {
            if let c = lower.firstIndex(of: name.lowercased()) { slotOfColumn.append((c, slot)) }
        }
    }

    mutating func row(account: Int32, day: Int32, risk: UInt8, values rowValues: UnsafePointer<Double>, line: Int) {
        accounts.append(account)
        days.append(day)
        let base = values.count
        values.append(contentsOf: repeatElement(.nan, count: wanted.count))
        for (c, s) in slotOfColumn { values[base + s] = rowValues[c] }
    }

    func makeEmpty() -> TimelineRows {
        var r = TimelineRows(factors: wanted)
        r.slotOfColumn = slotOfColumn
        return r
    }

    mutating func merge(_ other: TimelineRows, accountMap: [Int32]) {
        accounts.append(contentsOf: other.accounts.map { accountMap[Int($0)] })
        days.append(contentsOf: other.days)
        values.append(contentsOf: other.values)
    }
}
