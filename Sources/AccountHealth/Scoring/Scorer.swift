/// One account scored at one date.
public struct ScoreRow: Sendable {
    /// The account.
    public var accountId: String
    /// The date scored.
    public var asOf: Int32
    /// The account's segment.
    public var segment: String?
    /// The score and its drill-down.
    public var result: AccountScore
    /// The band's name.
    public var band: String?
    /// score(t) − score(t − period); nil when there is no score at t − period.
    public var change: Double?
    /// The score at t − period.
    public var previousScore: Double?
    /// The band at t − period.
    public var previousBand: String?
    /// For each column of `ScoreReport.factorNames`, the points (nil when left out or not in the rules).
    public var points: [Double?]
}

/// The scores of every account at one or more dates.
public struct ScoreReport: Sendable {
    /// The union of the factors of every rule set, in configuration order (the `<factor>_points` columns).
    public var factorNames: [String]
    /// The dates scored.
    public var dates: [Int32]
    /// One row per account and date.
    public var rows: [ScoreRow]
    /// What reading the timeline found.
    public var timeline: TimelineSummary
    /// Accounts with no timeline row on or before a date (not scored there), per date.
    public var notYetStarted: [Int]
    /// Scores that could not be formed because no weight counted.
    public var noWeight: Int
    /// What scoring noticed.
    public var diagnostics: [Diagnostic]
}

/// The `score` analysis: every account at one or more dates.
public enum Scorer {
    /// Reads the timeline once and returns the as-of states at the given dates.
    /// `origin` says which (account, date) states will be read, when not all of them.
    public static func accumulate(
        _ timeline: any TimelineSource, days: [Int32], factors: [String],
        origin: AsOfQueryOrigin? = nil
    ) throws -> (AsOfAccumulator, TimelineSummary) {
        var acc = AsOfAccumulator(queryDays: days, factors: factors)
        acc.origin = origin
        let summary = try timeline.read(into: &acc)
        acc.finish()
        return (acc, summary)
    }

    /// Scores every account at `asOf` (default: the last timeline date), or at every `every` days back from it
    /// down to `from` (default: the first timeline date). `configuration` defaults to the dataset's; with
    /// neither, every timeline factor counts at equal weight.
    public static func score(
        _ dataset: Dataset, configuration: Configuration? = nil,
        asOf: Int32? = nil, every: Int? = nil, from: Int32? = nil
    ) throws -> ScoreReport {
        let timeline = dataset.timeline
        let accounts = dataset.accounts
        var diagnostics: [Diagnostic] = []
        let cfg = try dataset.scoringConfiguration(configuration, diagnostics: &diagnostics)
        var dates: [Int32] = []
        var end = asOf
        var start = from
        if end == nil || (every != nil && start == nil) {
            guard let (lo, hi) = try timeline.dateRange() else {
                throw InputError(.noRows, Location(file: timeline.name), "the timeline has no valid dates")
            }
            end = end ?? hi
            start = start ?? lo
        }
        if let every {
            guard every > 0 else {
                throw InputError(
                    .invalidArgument, Location(file: "every"), value: "\(every)", "must be a positive number of days")
            }
            var d = end!
            while d >= start! { dates.append(d); d -= Int32(every) }
            dates.reverse()
            if dates.isEmpty {
                throw InputError(
                    .invalidArgument, Location(file: "from"), value: Day.format(start!),
                    "the first date is after the as-of date")
            }
        } else {
            dates = [end!]
        }
        let allRules = [cfg.base] + cfg.segments.map(\.rules)
        let periods = Set(allRules.map(\.period))
        var query = Set(dates)
        for d in dates { for p in periods { query.insert(d - Int32(p)) } }

        let factorNames = cfg.allFactorNames
        let (acc, summary) = try accumulate(timeline, days: Array(query), factors: factorNames)
        try cfg.check(againstTimelineFactors: summary.factors, file: dataset.configurationName)

        if !cfg.segments.isEmpty && accounts == nil {
            diagnostics.append(
                Diagnostic(
                    .noAccounts, column: "segment",
                    message:
                        "the configuration has per-segment weights but the dataset has no accounts: base weights "
                        + "used for every account"
                ))
        }
        let ids = summary.accounts.strings
        let order = ids.indices.sorted { ids[$0].utf8.lexicographicallyPrecedes(ids[$1].utf8) }
        var engines: [String: ScoreEngine] = [:]
        let baseEngine = ScoreEngine(rules: cfg.base, stateFactors: factorNames)
        for (name, rules) in cfg.segments { engines[name] = ScoreEngine(rules: rules, stateFactors: factorNames) }

        var rows: [ScoreRow] = []
        rows.reserveCapacity(ids.count * dates.count)
        var notYet: [Int] = []
        var noWeight = 0
        var unknownSegment = 0
        for d in dates {
            var missing = 0
            let k = acc.queryIndex(d)!
            for a in order {
                let id = ids[a]
                let segment = accounts.flatMap { t in t.row(of: id).map { t.segment[$0] } }
                let engine = segment.flatMap { engines[$0] } ?? baseEngine
                if d == dates.first, accounts != nil, segment == nil { unknownSegment += 1 }
                guard let r = engine.score(acc.state(account: a, query: k)) else { missing += 1; continue }
                if r.score == nil { noWeight += 1 }
                let prevDay = d - Int32(engine.rules.period)
                let prev = engine.score(acc.state(account: a, query: acc.queryIndex(prevDay)!))
                // The engine's slots say where each of its factors sits among the union columns.
                var pts = [Double?](repeating: nil, count: factorNames.count)
                for (i, j) in engine.slots.enumerated() where j >= 0 { pts[j] = r.points[i] }
                let change: Double? = (r.score != nil && prev?.score != nil) ? r.score! - prev!.score! : nil
                rows.append(
                    ScoreRow(
                        accountId: id, asOf: d, segment: segment, result: r,
                        band: r.bandIndex.map { engine.rules.bands[$0].name },
                        change: change, previousScore: prev?.score,
                        previousBand: prev?.bandIndex.map { engine.rules.bands[$0].name }, points: pts))
            }
            notYet.append(missing)
        }
        if unknownSegment > 0 {
            diagnostics.append(
                Diagnostic(
                    .unknownSegment, column: "segment",
                    message:
                        "\(unknownSegment) timeline account(s) are not in the accounts file: scored with the base "
                        + "weights"
                ))
        }
        if noWeight > 0 {
            diagnostics.append(
                Diagnostic(
                    .noWeight,
                    message:
                        "\(noWeight) score(s) left empty: every factor that counts is optional and has no value yet"))
        }
        return ScoreReport(
            factorNames: factorNames, dates: dates, rows: rows, timeline: summary,
            notYetStarted: notYet, noWeight: noWeight, diagnostics: diagnostics)
    }
}
