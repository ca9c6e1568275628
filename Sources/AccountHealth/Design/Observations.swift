/// Modelling observations at one horizon (DESIGN §4): one row per outcome, the features at T − h.
public struct ObservationSet: Sendable {
    /// The horizon in days over which a churn counts.
    public var horizon: Int
    /// Factor names, then `<factor>_trend` columns when trends were asked for.
    public var featureNames: [String]
    /// The factors behind the features (for trend columns, the factor they are the slope of).
    public var baseFactors: [String]
    /// Raw feature values (before scale/invert), n × p column-major.
    public var x: Matrix
    /// 1 = churned, 0 = renewed.
    public var y: [Double]
    /// Each observation's risk level at T − h (`RiskLevel.rawValue`).
    public var risk: [UInt8]
    /// Index into `accountIds` per observation (the CV groups).
    public var account: [Int]
    /// Each observation's account.
    public var accountIds: [String]
    /// Each observation's outcome day.
    public var outcomeDays: [Int32]
    /// Line of each observation's outcome in the outcomes file.
    public var outcomeLines: [Int]
    /// Outcome rows dropped for a missing feature (with `keepMissing: false`).
    public var dropped: Int
    /// Per feature, how many observed outcome rows lacked it (dropped or kept as NaN).
    public var missing: [Int]
    /// Outcome rows whose account has no timeline row on or before T − h: not observed (DESIGN §13).
    public var noHistory: Int
    /// The number of observations.
    public var count: Int { y.count }
    /// The number of observations that churned within the horizon.
    public var churns: Int { Int(y.reduce(0, +)) }
}

/// How observations are built from the timeline and the outcomes.
public struct ObservationOptions: Sendable {
    /// The horizons to build observations for, in days.
    public var horizons: [Int] = [90]
    /// Add each factor's least-squares slope per 30 days over [T − h − trendDays, T − h].
    public var trendDays: Int? = nil
    /// Keep observations with missing features as NaN (the default: the models treat them, DESIGN §13); false
    /// drops them here and counts them in `dropped`.
    public var keepMissing = true

    /// Options: the horizons, the trend window, and whether rows with a missing feature are kept.
    public init(
        horizons: [Int] = [90], trendDays: Int? = nil, keepMissing: Bool = true
    ) {
        self.horizons = horizons
        self.trendDays = trendDays
        self.keepMissing = keepMissing
    }
}

/// Builds leading-indicator observations: the state as of a day before each renewal decision.
public enum Observations {
    /// Tells the dataset's timeline that `build` will read every outcome's states with these factors and options
    /// (`TimelineSource.prepare`): a database sends its queries at once, so call it before reading the outcomes.
    /// `build` calls it too (a source sends them once); nothing is thrown, the read meets any failure.
    public static func prepare(_ dataset: Dataset, factors: [String]?, options: ObservationOptions) {
        guard options.trendDays == nil, !options.horizons.isEmpty, options.horizons.allSatisfy({ $0 >= 0 }),
            let names = try? modelFactors(factors, timeline: dataset.timeline)
        else { return }
        dataset.timeline.prepare(statesBeforeOutcomes: options.horizons, factors: names)
    }

    /// Builds the observations of every horizon in one read of the timeline.
    /// `factors`: the configuration's factors, or nil for every numeric timeline column.
    /// `outcomes` defaults to the dataset's.
    public static func build(
        _ dataset: Dataset, outcomes subset: OutcomesTable? = nil, factors: [String]?,
        options: ObservationOptions
    ) throws -> [ObservationSet] {
        if subset == nil { prepare(dataset, factors: factors, options: options) }
        let outcomes = try subset ?? dataset.requireDecidedOutcomes("a model")
        guard !options.horizons.isEmpty, options.horizons.allSatisfy({ $0 >= 0 }) else {
            throw InputError(.invalidArgument, Location(file: "horizon"), "horizons must be zero or more days")
        }
        if let t = options.trendDays, t <= 0 {
            throw InputError(
                .invalidArgument, Location(file: "trend"), value: String(t),
                "the trend window must be a positive number of days")
        }
        let factorNames = try modelFactors(factors, timeline: dataset.timeline)
        // The query dates of each account; one table insertion per run of an account's rows (the rows come in key
        // order, so an account's rows are one run; any order gives the same table).
        var queries: [String: [Int32]] = [:]
        var run: [Int32] = []
        for i in 0..<outcomes.count {
            for h in options.horizons { run.append(outcomes.day[i] - Int32(h)) }
            if i + 1 == outcomes.count || outcomes.accountIds[i + 1] != outcomes.accountIds[i] {
                queries[outcomes.accountIds[i], default: []].append(contentsOf: run)
                run.removeAll(keepingCapacity: true)
            }
        }
        var acc = AsOfAccumulator(queryDaysByAccount: queries, factors: factorNames, trendDays: options.trendDays)
        // A subset (rank's past outcomes) is every outcome up to its last date, a superset of its own dates.
        acc.origin = .beforeOutcomes(horizons: options.horizons, through: subset == nil ? nil : outcomes.day.max())
        // Only the states at the outcomes' dates are read below (an account without one is not observed).
        acc.needsEveryAccount = false
        let summary = try dataset.timeline.read(into: &acc)
        try requireFactors(factorNames, in: summary, configurationName: dataset.configurationName)
        acc.finish()
        // Read only from here on, as a constant: a method called on the variable inside the loop's closure
        // copied the whole accumulator (every array retained and released) per observation.
        let states = acc
        let withTrends = options.trendDays != nil

        var featureNames = factorNames
        var baseFactors = factorNames
        if options.trendDays != nil {
            featureNames += factorNames.map { "\($0)_trend" }
            baseFactors += factorNames
        }
        let p = featureNames.count
        // Each timeline account's index among the observed accounts (−1 before its first observation), by its
        // code: no hashing of the id per observation.
        var accountIndex = [Int](repeating: -1, count: summary.accounts.count)
        var accountIds: [String] = []
        var sets: [ObservationSet] = []
        let nfac = factorNames.count
        for h in options.horizons {
            var cols = [[Double]](repeating: [], count: p)
            var y: [Double] = [], account: [Int] = [], days: [Int32] = [], lines: [Int] = [], risk: [UInt8] = []
            var missing = [Int](repeating: 0, count: p)
            var dropped = 0, noHistory = 0
            var row = [Double](repeating: 0, count: p)
            var code: Int32? = nil
            // The states are read in place: a cell's risk and values, no state built (unless a trend is asked).
            states.withStates { cellOf, risks, values in
                for i in 0..<outcomes.count {
                    let id = outcomes.accountIds[i]
                    // An account's outcomes are neighbours: its code is looked up once per run of them.
                    if i == 0 || id != outcomes.accountIds[i - 1] { code = summary.accounts.lookup(id) }
                    guard let code, let cell = cellOf(Int(code), outcomes.day[i] - Int32(h)) else {
                        noHistory += 1  // not observed (DESIGN §13): counted, never filled
                        continue
                    }
                    let trends = withTrends ? states.trends(cell: cell) : nil
                    var anyMissing = false
                    for j in 0..<p {
                        let v = j < nfac ? values[cell &* nfac &+ j] : trends![j - nfac]
                        row[j] = v
                        if v.isNaN { missing[j] += 1; anyMissing = true }
                    }
                    if anyMissing && !options.keepMissing { dropped += 1; continue }
                    for j in 0..<p { cols[j].append(row[j]) }
                    y.append(outcomes.churned[i] ? 1 : 0)
                    risk.append((RiskLevel(rawValue: risks[cell]) ?? .none).rawValue)  // unspecified → none
                    if accountIndex[Int(code)] < 0 {
                        accountIndex[Int(code)] = accountIds.count
                        accountIds.append(id)
                    }
                    account.append(accountIndex[Int(code)])
                    days.append(outcomes.day[i])
                    lines.append(outcomes.line[i])
                }
            }
            let n = y.count
            var storage: [Double] = []
            storage.reserveCapacity(n * p)
            for j in 0..<p { storage += cols[j] }
            sets.append(
                ObservationSet(
                    horizon: h, featureNames: featureNames, baseFactors: baseFactors,
                    x: Matrix(rows: n, columns: p, storage: storage), y: y, risk: risk, account: account,
                    accountIds: accountIds, outcomeDays: days, outcomeLines: lines, dropped: dropped,
                    missing: missing, noHistory: noHistory))
        }
        return sets
    }

    /// The factors a model uses: the configuration's, or with none every numeric column of a wide timeline.
    static func modelFactors(_ factors: [String]?, timeline: any TimelineSource) throws -> [String] {
        if let factors { return factors }
        guard let names = try timeline.columns().factorNames else {
            throw DatasetError.missing(
                .configuration, neededBy: "a model on a long-layout timeline (to name the factors)")
        }
        return names
    }

    /// Every model factor must be a timeline column.
    static func requireFactors(_ factorNames: [String], in summary: TimelineSummary, configurationName: String) throws {
        let have = Set(summary.factors.map { $0.lowercased() })
        for f in factorNames where !have.contains(f.lowercased()) {
            throw InputError(
                .unknownFactor, Location(file: configurationName), value: f,
                "factor '\(f)' is not a column of the timeline (timeline factors: "
                    + "\(summary.factors.joined(separator: ", ")))"
            )
        }
    }
}
