/// Streams a timeline and keeps, per account and per query date, the latest non-empty value of
/// each wanted factor on or before that date (with its date), and the risk of the latest row.
/// Query dates are the same for every account (scoring at dates) or each account's own (the
/// observation dates of modelling). Optionally it also keeps, per factor, the least-squares sums of
/// value against time over the `trendDays` before each query date (for `--trend`).
///
/// Rows are filed into the bucket of the first query date on or after them (one binary search a row),
/// then buckets are carried forward once at the end: memory is accounts × dates × factors, not rows.
/// The rule that made an accumulator's per-account query dates.
public enum AsOfQueryOrigin: Sendable, Equatable {
    /// Each outcome's decision date minus each horizon, for the outcomes dated on or before `through` (nil: every
    /// outcome of the dataset).
    case beforeOutcomes(horizons: [Int], through: Int32?)
    /// Global mode, where only some states are read: at each query date `c` but those of `everyAccountAt`, the
    /// accounts with an outcome in `(c, c + horizon]` (a backtest's cutoffs); at `everyAccountAt`, every account.
    case cutoffs(horizon: Int, everyAccountAt: [Int32])
}

/// A timeline sink that keeps, per account, the as-of state at each query date.
public struct AsOfAccumulator: TimelineSink {
    /// The marker of "no day".
    public static let noDay = Int32.min

    /// The query dates of every account (global mode), sorted.
    public let queryDays: [Int32]
    /// Per-account query dates, by account id (per-account mode).
    private let perAccount: [String: [Int32]]?
    /// The factors kept, by name (matched case-insensitively to timeline columns).
    public let wanted: [String]
    /// The trend window in days, when trends are computed.
    public let trendDays: Int?
    /// How the per-account query dates were chosen, when a rule made them (nil: only the dates are known).
    /// A source that computes as-of states itself (a database, DESIGN §10) generates the dates where the data
    /// is from it; the states it returns for any superset of the dates are the same.
    public var origin: AsOfQueryOrigin?
    /// Whether the reader needs every account of the timeline and the date of its first row (`firstRowDay`, a
    /// ranking's age), or only the states at the query dates (false: the observations of a model). A database
    /// with false skips its grouped pass over the table's accounts; an account with no state then has no code,
    /// and `firstRowDay` is not the timeline's.
    public var needsEveryAccount = true
    private var slotOfColumn: [(column: Int, slot: Int)] = []
    /// The number of accounts seen.
    public private(set) var accountCount = 0
    /// Per account: its query list and the index of its first cell.
    private var lists: [[Int32]] = []
    /// The same lists end to end (list k is `flat[flatStart[k] ..< flatStart[k + 1]]`), so the per-row bucket
    /// search reads a buffer instead of retaining an inner array.
    private var flat: [Int32] = []
    private var flatStart: [Int] = [0]

    private mutating func setLists(_ l: [[Int32]]) {
        lists = []
        flat = []
        flatStart = [0]
        for x in l { appendList(x) }
    }

    private mutating func appendList(_ x: [Int32]) {
        lists.append(x)
        flat.append(contentsOf: x)
        flatStart.append(flat.count)
    }
    private var listOf: [Int] = []
    private var cellStart: [Int] = []
    private var cellCount = 0
    private var values: [Double] = []
    private var valueDays: [Int32] = []
    private var rowDays: [Int32] = []
    private var risks: [UInt8] = []
    /// Per account, the date of its first row (any date, not only up to the query dates).
    private var firstDays: [Int32] = []
    /// n, Σt, Σx, Σt², Σtx per (cell, factor), t in days relative to the query date.
    private var trendSums: [Double] = []
    private var finalized = false
    /// Timeline factor names, as read.
    public private(set) var timelineFactors: [String] = []

    /// Per-account mode's query dates by account id (sorted, distinct); nil in global mode.
    public var queryDaysByAccount: [String: [Int32]]? { perAccount }

    /// Global mode: the same query dates for every account.
    public init(queryDays: [Int32], factors: [String], trendDays: Int? = nil) {
        self.queryDays = Array(Set(queryDays)).sorted()
        self.perAccount = nil
        self.wanted = factors
        self.trendDays = trendDays
        setLists([self.queryDays])
    }

    /// Per-account mode: each account id's own query dates (accounts not listed keep nothing).
    public init(queryDaysByAccount: [String: [Int32]], factors: [String], trendDays: Int? = nil) {
        self.queryDays = []
        // Each account's distinct days in order: sorted, then neighbours that repeat dropped (no set per account).
        self.perAccount = queryDaysByAccount.mapValues { days in
            var d = days.sorted()
            var kept = 0
            for i in d.indices where i == 0 || d[i] != d[kept - 1] {
                d[kept] = d[i]
                kept += 1
            }
            d.removeLast(d.count - kept)
            return d
        }
        self.wanted = factors
        self.trendDays = trendDays
        setLists([[]])
    }

    /// Prepares for the file's factors.
    public mutating func begin(factors: [String]) {
        timelineFactors = factors
        let lower = factors.map { $0.lowercased() }
        slotOfColumn = []
        for (slot, name) in wanted.enumerated() {
            if let c = lower.firstIndex(of: name.lowercased()) { slotOfColumn.append((c, slot)) }
        }
    }

    /// Starts a new account's query list.
    public mutating func newAccount(_ code: Int32, id: String) {
        let a = Int(code)
        while accountCount < a { register(list: perAccount == nil ? 0 : -1) }  // codes not announced (cannot happen)
        guard a == accountCount else { return }
        if let perAccount {
            if let days = perAccount[id] {
                appendList(days)
                register(list: lists.count - 1)
            } else {
                register(list: -1)
            }
        } else {
            register(list: 0)
        }
    }

    private mutating func register(list: Int) {
        listOf.append(list)
        cellStart.append(cellCount)
        let n = list >= 0 ? lists[list].count : 0
        cellCount += n
        let nf = wanted.count
        values.append(contentsOf: repeatElement(.nan, count: n * nf))
        valueDays.append(contentsOf: repeatElement(AsOfAccumulator.noDay, count: n * nf))
        rowDays.append(contentsOf: repeatElement(AsOfAccumulator.noDay, count: n))
        risks.append(contentsOf: repeatElement(0, count: n))
        if trendDays != nil { trendSums.append(contentsOf: repeatElement(0, count: n * nf * 5)) }
        firstDays.append(.max)
        accountCount += 1
    }

    /// The query dates of an account.
    public func queryDays(of account: Int) -> [Int32] {
        guard account < accountCount, listOf[account] >= 0 else { return [] }
        return lists[listOf[account]]
    }

    @inline(__always)
    private static func bucket(_ days: [Int32], _ day: Int32) -> Int {
        days.withUnsafeBufferPointer { bucket($0, day) }
    }

    @inline(__always)
    private static func bucket(_ days: UnsafeBufferPointer<Int32>, _ day: Int32) -> Int {
        var lo = 0, hi = days.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if days[mid] < day { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// Takes one row into its account's states.
    public mutating func row(
        account: Int32, day: Int32, risk: UInt8, values rowValues: UnsafePointer<Double>, line: Int
    ) {
        let a = Int(account)
        if a >= accountCount {
            // Global mode needs no announcement; in per-account mode an unannounced account keeps nothing.
            while accountCount <= a { register(list: perAccount == nil ? 0 : -1) }
        }
        if day < firstDays[a] { firstDays[a] = day }
        let list = listOf[a]
        if list < 0 { return }
        if let trendDays {
            addTrend(
                cellBase: cellStart[a], days: lists[list], from: AsOfAccumulator.bucket(lists[list], day), day: day,
                window: trendDays, rowValues)
        }
        // Once per row: the bucket search and the cell updates on unsafe buffers (indices are in range by
        // construction: `register` sized every array for the account's cells).
        let lo = flatStart[list], n = flatStart[list &+ 1] &- lo
        let b = flat.withUnsafeBufferPointer {
            AsOfAccumulator.bucket(UnsafeBufferPointer(rebasing: $0[lo..<(lo &+ n)]), day)
        }
        if b == n { return }  // after every query date
        let cell = cellStart[a] &+ b
        // The risk is kept raw (`riskUnspecified` for a long-layout row of another factor) so that a
        // risk row of the same date, read later or by the other thread, still wins.
        if day > rowDays[cell] {
            rowDays[cell] = day
            risks[cell] = risk
        } else if day == rowDays[cell] && risk != TimelineReader.riskUnspecified {
            risks[cell] = risk  // long layout: the risk entry of the same date
        }
        let base = cell &* wanted.count
        let m = slotOfColumn.count
        var k = 0
        while k < m {
            let (c, slot) = slotOfColumn[k]
            let v = rowValues[c]
            if !v.isNaN && day >= valueDays[base &+ slot] {
                valueDays[base &+ slot] = day
                values[base &+ slot] = v
            }
            k &+= 1
        }
    }

    private mutating func addTrend(
        cellBase: Int, days: [Int32], from b: Int, day: Int32, window: Int, _ rowValues: UnsafePointer<Double>
    ) {
        let nf = wanted.count
        var k = b
        while k < days.count && Int(days[k]) - Int(day) <= window {
            let t = Double(Int(day) - Int(days[k]))
            let base = ((cellBase + k) * nf) * 5
            for (c, slot) in slotOfColumn {
                let x = rowValues[c]
                if x.isNaN { continue }
                let o = base + slot * 5
                trendSums[o] += 1
                trendSums[o + 1] += t
                trendSums[o + 2] += x
                trendSums[o + 3] += t * t
                trendSums[o + 4] += t * x
            }
            k += 1
        }
    }

    /// An empty accumulator with the same queries (for another part of the file).
    public func makeEmpty() -> AsOfAccumulator {
        var a = self
        a.accountCount = 0
        a.setLists([lists[0]])
        a.listOf = []; a.cellStart = []; a.cellCount = 0
        a.values = []; a.valueDays = []; a.rowDays = []; a.risks = []; a.trendSums = []
        a.finalized = false
        return a
    }

    /// Merges another part's states, mapping its account codes.
    public mutating func merge(_ other: AsOfAccumulator, accountMap: [Int32]) {
        let nf = wanted.count
        for b in 0..<other.accountCount {
            let a = Int(accountMap[b])
            if a >= accountCount {
                // An account first seen by the other reader: take its query list.
                while accountCount < a { register(list: perAccount == nil ? 0 : -1) }
                if other.listOf[b] < 0 {
                    register(list: -1)
                } else if perAccount == nil {
                    register(list: 0)
                } else {
                    appendList(other.lists[other.listOf[b]])
                    register(list: lists.count - 1)
                }
            }
            firstDays[a] = min(firstDays[a], other.firstDays[b])
            let n = other.listOf[b] < 0 ? 0 : other.lists[other.listOf[b]].count
            guard listOf[a] >= 0, n == lists[listOf[a]].count else { continue }
            for k in 0..<n {
                let mine = cellStart[a] + k, theirs = other.cellStart[b] + k
                if other.rowDays[theirs] > rowDays[mine] {
                    rowDays[mine] = other.rowDays[theirs]
                    risks[mine] = other.risks[theirs]
                } else if other.rowDays[theirs] == rowDays[mine]
                    && other.risks[theirs] != TimelineReader.riskUnspecified
                {
                    risks[mine] = other.risks[theirs]
                }
                for f in 0..<nf where other.valueDays[theirs * nf + f] > valueDays[mine * nf + f] {
                    valueDays[mine * nf + f] = other.valueDays[theirs * nf + f]
                    values[mine * nf + f] = other.values[theirs * nf + f]
                }
                if trendDays != nil {
                    for o in 0..<(nf * 5) { trendSums[mine * nf * 5 + o] += other.trendSums[theirs * nf * 5 + o] }
                }
            }
        }
    }

    /// Carries each bucket forward into the later ones (call once, after reading).
    public mutating func finish() {
        guard !finalized else { return }
        finalized = true
        let nf = wanted.count
        for a in 0..<accountCount where listOf[a] >= 0 {
            let n = lists[listOf[a]].count
            for k in 1..<max(n, 1) {
                let cell = cellStart[a] + k, prev = cell - 1
                if rowDays[cell] == AsOfAccumulator.noDay {
                    rowDays[cell] = rowDays[prev]
                    risks[cell] = risks[prev]
                }
                for f in 0..<nf where valueDays[cell * nf + f] == AsOfAccumulator.noDay {
                    valueDays[cell * nf + f] = valueDays[prev * nf + f]
                    values[cell * nf + f] = values[prev * nf + f]
                }
            }
        }
    }

    /// The date of an account's first timeline row.
    public func firstRowDay(account: Int) -> Int32? {
        account < accountCount && firstDays[account] != .max ? firstDays[account] : nil
    }

    /// The as-of state of an account at its query date index `k` (after `finish()`).
    public func state(account: Int, query k: Int) -> AsOfState {
        let cell = cellStart[account] + k
        let nf = wanted.count
        return AsOfState(
            asOf: lists[listOf[account]][k],
            latestRowDay: rowDays[cell] == AsOfAccumulator.noDay ? nil : rowDays[cell],
            risk: RiskLevel(rawValue: risks[cell]) ?? .none,  // unspecified → none
            values: Array(values[(cell * nf)..<(cell * nf + nf)]),
            valueDays: valueDays[(cell * nf)..<(cell * nf + nf)].map { $0 == AsOfAccumulator.noDay ? nil : $0 },
            trends: trends(cell: cell))
    }

    /// A cell's trend per factor; nil without `trendDays`.
    func trends(cell: Int) -> [Double]? {
        guard trendDays != nil else { return nil }
        let nf = wanted.count
        return (0..<nf).map { f in
            let o = (cell * nf + f) * 5
            let n = trendSums[o], st = trendSums[o + 1], sx = trendSums[o + 2], stt = trendSums[o + 3],
                stx = trendSums[o + 4]
            let den = n * stt - st * st
            // Least-squares slope per day, reported per 30 days; undefined with fewer than two dates.
            return n >= 2 && den > 1e-12 * max(1, n * stt) ? 30 * (n * stx - st * sx) / den : .nan
        }
    }

    /// What a score reads of a state (its risk, unspecified read as none, and its raw values in the order of
    /// `wanted`, NaN for none yet) without building the state; nil when the account has no row by then.
    func scoringInputs(account: Int, query k: Int) -> (risk: RiskLevel, values: ArraySlice<Double>)? {
        let cell = cellStart[account] + k
        guard rowDays[cell] != AsOfAccumulator.noDay else { return nil }
        let nf = wanted.count
        return (RiskLevel(rawValue: risks[cell]) ?? .none, values[(cell * nf)..<(cell * nf + nf)])
    }

    /// Reads the states at many queries without copying a state or retaining a list per query (the
    /// observations' loop): `body` gets a lookup from (account, query date) to the cell with a row by then, and
    /// the cells' risks and values (a cell's values are `values[cell · factors ..< (cell + 1) · factors]`).
    func withStates<R>(
        _ body: (
            _ cell: (Int, Int32) -> Int?, _ risks: UnsafeBufferPointer<UInt8>, _ values: UnsafeBufferPointer<Double>
        ) throws -> R
    ) rethrows -> R {
        try flat.withUnsafeBufferPointer { flat in
            try flatStart.withUnsafeBufferPointer { flatStart in
                try listOf.withUnsafeBufferPointer { listOf in
                    try cellStart.withUnsafeBufferPointer { cellStart in
                        try rowDays.withUnsafeBufferPointer { rowDays in
                            try risks.withUnsafeBufferPointer { risks in
                                try values.withUnsafeBufferPointer { values in
                                    let count = accountCount
                                    return try body(
                                        { a, day in
                                            guard a >= 0, a < count, listOf[a] >= 0 else { return nil }
                                            let lo = flatStart[listOf[a]], n = flatStart[listOf[a] + 1] - lo
                                            let b = AsOfAccumulator.bucket(
                                                UnsafeBufferPointer(rebasing: flat[lo..<(lo + n)]), day)
                                            guard b < n, flat[lo + b] == day else { return nil }
                                            let cell = cellStart[a] + b
                                            return rowDays[cell] == AsOfAccumulator.noDay ? nil : cell
                                        }, risks, values)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The index of a query date (global mode).
    public func queryIndex(_ day: Int32) -> Int? {
        let b = AsOfAccumulator.bucket(queryDays, day)
        return b < queryDays.count && queryDays[b] == day ? b : nil
    }

    /// The index of a query date among an account's own dates.
    public func queryIndex(account: Int, _ day: Int32) -> Int? {
        let days = queryDays(of: account)
        let b = AsOfAccumulator.bucket(days, day)
        return b < days.count && days[b] == day ? b : nil
    }
}

/// What the timeline says about one account at one date: the latest value of each factor
/// (NaN when none yet) and its date, and the risk of the latest row.
public struct AsOfState: Sendable, Equatable {
    /// The query date.
    public var asOf: Int32
    /// nil when the account has no row on or before `asOf` (it gets no score).
    public var latestRowDay: Int32?
    /// The risk of the latest row.
    public var risk: RiskLevel
    /// Raw values in the order of the accumulator's wanted factors; NaN = no value yet.
    public var values: [Double]
    /// The date of each value (nil when none yet).
    public var valueDays: [Int32?]
    /// Least-squares slope per 30 days over the trend window, per factor (NaN when undefined); nil without `trendDays`.
    public var trends: [Double]?

    /// A state from its parts.
    public init(
        asOf: Int32, latestRowDay: Int32?, risk: RiskLevel, values: [Double], valueDays: [Int32?],
        trends: [Double]? = nil
    ) {
        self.asOf = asOf
        self.latestRowDay = latestRowDay
        self.risk = risk
        self.values = values
        self.valueDays = valueDays
        self.trends = trends
    }

    /// Equal when every field is (NaN values compare equal).
    public static func == (a: AsOfState, b: AsOfState) -> Bool {
        a.asOf == b.asOf && a.latestRowDay == b.latestRowDay && a.risk == b.risk && a.valueDays == b.valueDays
            && zip(a.values, b.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            && a.values.count == b.values.count
            && (a.trends == nil) == (b.trends == nil)
    }
}
