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
    /// Each observation's risk level at T − h (`RiskLevel.rawValue`; none without history).
    public var risk: [UInt8]
    /// Index into `accountIds` per observation (the CV groups).
    public var account: [Int]
    /// Each observation's account.
    public var accountIds: [String]
    /// Each observation's outcome day.
    public var outcomeDays: [Int32]
    /// Line of each observation's outcome in the outcomes file.
    public var outcomeLines: [Int]
    /// Outcome rows dropped for a missing feature (without `--impute mean`).
    public var dropped: Int
    /// Per feature, how many outcome rows lacked it (dropped or imputed).
    public var missing: [Int]
    /// Outcome rows whose account has no timeline row on or before T − h (always dropped).
    public var noHistory: Int
    /// Per feature, the mean used for imputation (the mean over observations that have it).
    public var means: [Double]
    /// Whether missing values were filled with the means (`imputeMean`) rather than dropped.
    public var imputed: Bool

    /// The number of observations.
    public var count: Int { y.count }
    /// The number of observations that churned within the horizon.
    public var churns: Int { Int(y.reduce(0, +)) }

    /// The features with every missing value replaced by its column's mean; throws naming a feature
    /// that has no value in any observation (`what` says what needed it).
    public func imputingMeans(file: String, what: String) throws -> Matrix {
        var filled = x
        for j in 0..<x.columns {
            guard means[j].isFinite else {
                throw InputError(
                    .modelFailure, Location(file: file), value: featureNames[j],
                    "factor '\(featureNames[j])' has no value in any observation: \(what) cannot use it")
            }
            for i in 0..<x.rows where filled[i, j].isNaN { filled[i, j] = means[j] }
        }
        return filled
    }
}

/// How observations are built from the timeline and the outcomes.
public struct ObservationOptions: Sendable {
    /// The horizons to build observations for, in days.
    public var horizons: [Int] = [90]
    /// Fill a missing feature with its mean instead of dropping the observation.
    public var imputeMean = false
    /// Add each factor's least-squares slope per 30 days over [T − h − trendDays, T − h].
    public var trendDays: Int? = nil
    /// Keep observations with missing features as NaN (the default: the models treat them, DESIGN §13); false
    /// drops them here and counts them in `dropped`.
    public var keepMissing = true
    /// With `keepMissing`: also keep outcome rows whose account has no timeline row by T − h (all NaN).
    public var keepNoHistory = false

    /// Options: the horizons, mean imputation, the trend window, and which incomplete rows are kept.
    public init(
        horizons: [Int] = [90], imputeMean: Bool = false, trendDays: Int? = nil, keepMissing: Bool = true,
        keepNoHistory: Bool = false
    ) {
        self.horizons = horizons
        self.imputeMean = imputeMean
        self.trendDays = trendDays
        self.keepMissing = keepMissing
        self.keepNoHistory = keepNoHistory
    }
}

/// Builds leading-indicator observations: the state as of a day before each renewal decision.
public enum Observations {
    /// Builds the observations of every horizon in one read of the timeline.
    /// `factors`: the configuration's factors, or nil for every numeric timeline column.
    /// `outcomes` defaults to the dataset's.
    public static func build(
        _ dataset: Dataset, outcomes subset: OutcomesTable? = nil, factors: [String]?,
        options: ObservationOptions
    ) throws -> [ObservationSet] {
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
        var queries: [String: [Int32]] = [:]
        for i in 0..<outcomes.count {
            for h in options.horizons {
                queries[outcomes.accountIds[i], default: []].append(outcomes.day[i] - Int32(h))
            }
        }
        var acc = AsOfAccumulator(queryDaysByAccount: queries, factors: factorNames, trendDays: options.trendDays)
        // A subset (rank's past outcomes) is every outcome up to its last date, a superset of its own dates.
        acc.origin = .beforeOutcomes(horizons: options.horizons, through: subset == nil ? nil : outcomes.day.max())
        let summary = try dataset.timeline.read(into: &acc)
        try requireFactors(factorNames, in: summary, configurationName: dataset.configurationName)
        acc.finish()

        var featureNames = factorNames
        var baseFactors = factorNames
        if options.trendDays != nil {
            featureNames += factorNames.map { "\($0)_trend" }
            baseFactors += factorNames
        }
        let p = featureNames.count
        var accountIndex: [String: Int] = [:]
        var accountIds: [String] = []
        var sets: [ObservationSet] = []
        for h in options.horizons {
            var cols = [[Double]](repeating: [], count: p)
            var y: [Double] = [], account: [Int] = [], days: [Int32] = [], lines: [Int] = [], risk: [UInt8] = []
            var missing = [Int](repeating: 0, count: p)
            var dropped = 0, noHistory = 0
            var row = [Double](repeating: 0, count: p)
            for i in 0..<outcomes.count {
                let id = outcomes.accountIds[i]
                let q = outcomes.day[i] - Int32(h)
                var state: AsOfState? = nil
                if let code = summary.accounts.lookup(id), let k = acc.queryIndex(account: Int(code), q) {
                    let s = acc.state(account: Int(code), query: k)
                    if s.latestRowDay != nil { state = s }
                }
                if state == nil {
                    noHistory += 1
                    if !(options.keepMissing && options.keepNoHistory) { continue }
                }
                var anyMissing = false
                for j in 0..<p {
                    let v =
                        state.map { j < factorNames.count ? $0.values[j] : $0.trends![j - factorNames.count] } ?? .nan
                    row[j] = v
                    if v.isNaN { missing[j] += 1; anyMissing = true }
                }
                if anyMissing && !options.imputeMean && !options.keepMissing { dropped += 1; continue }
                for j in 0..<p { cols[j].append(row[j]) }
                y.append(outcomes.churned[i] ? 1 : 0)
                risk.append(state?.risk.rawValue ?? 0)
                if accountIndex[id] == nil { accountIndex[id] = accountIds.count; accountIds.append(id) }
                account.append(accountIndex[id]!)
                days.append(outcomes.day[i])
                lines.append(outcomes.line[i])
            }
            var means = [Double](repeating: .nan, count: p)
            for j in 0..<p {
                var s = 0.0, n = 0
                for v in cols[j] where !v.isNaN { s += v; n += 1 }
                means[j] = n > 0 ? s / Double(n) : .nan
                if options.imputeMean {
                    if n == 0 {
                        throw InputError(
                            .invalidArgument, Location(file: dataset.timeline.name), value: featureNames[j],
                            "feature '\(featureNames[j])' has no value in any observation at horizon \(h): it cannot "
                                + "be imputed"
                        )
                    }
                    for r in 0..<cols[j].count where cols[j][r].isNaN { cols[j][r] = means[j] }
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
                    missing: missing, noHistory: noHistory, means: means, imputed: options.imputeMean))
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
