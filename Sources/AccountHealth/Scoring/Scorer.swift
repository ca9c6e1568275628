import Dispatch
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
    /// The id of the configuration version in force at `asOf`, when scored under a history (DESIGN §15).
    public var configVersion: String? = nil
    /// Both scores under the version in force at `asOf` (equal to `change` without a history).
    public var changeSameConfig: Double? = nil
    /// The score at t − period under the version in force at `asOf` (equal to `previousScore` without a history).
    public var previousScoreSameConfig: Double? = nil
    /// The band at t − period under the version in force at `asOf` (equal to `previousBand` without a history).
    public var previousBandSameConfig: String? = nil

    /// A score row; without a history, the same-configuration change and band are the shown ones.
    public init(
        accountId: String, asOf: Int32, segment: String?, result: AccountScore, band: String?, change: Double?,
        previousScore: Double?, previousBand: String?, points: [Double?]
    ) {
        self.accountId = accountId
        self.asOf = asOf
        self.segment = segment
        self.result = result
        self.band = band
        self.change = change
        self.previousScore = previousScore
        self.previousBand = previousBand
        self.points = points
        self.changeSameConfig = change
        self.previousScoreSameConfig = previousScore
        self.previousBandSameConfig = previousBand
    }
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
    /// The configuration history scored under, when there was one (rows then carry `configVersion`).
    public var history: ConfigurationHistory? = nil
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
    /// down to `from` (default: the first timeline date). `configuration` defaults to the dataset's history (each
    /// date under the version in force then, DESIGN §15), else its configuration; with neither, every timeline
    /// factor counts at equal weight. One pass over the timeline, whatever the number of versions.
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
        // The versions scored under: the history's, or the one configuration for every date.
        let history = configuration == nil ? dataset.history : nil
        let versions = history.map { $0.versions.map(\.configuration) } ?? [cfg]
        @Sendable func versionAt(_ day: Int32) -> Int { history?.index(at: day) ?? 0 }
        // Each date and, for each period of the version in force then, the date a period before.
        let periods = versions.map { v in Set(([v.base] + v.segments.map(\.rules)).map(\.period)) }
        var query = Set(dates)
        for d in dates { for p in periods[versionAt(d)] { query.insert(d - Int32(p)) } }
        if let history, let n = history.noteBeforeFirst(dates[0]) { diagnostics.append(n) }

        let factorNames = history?.allFactorNames ?? cfg.allFactorNames
        let (acc, summary) = try accumulate(timeline, days: Array(query), factors: factorNames)
        if let history {
            try history.check(againstTimelineFactors: summary.factors)
        } else {
            try cfg.check(againstTimelineFactors: summary.factors, file: dataset.configurationName)
        }

        if versions.contains(where: { !$0.segments.isEmpty }) && accounts == nil {
            diagnostics.append(
                Diagnostic(
                    .noAccounts, column: "segment",
                    message:
                        "the configuration has per-segment weights but the dataset has no accounts: base weights "
                        + "used for every account"
                ))
        }
        let ids = summary.accounts.strings
        let order = summary.accounts.codesByString.map(Int.init)
        // Per version: the base engine and the segments' engines.
        let engines: [(base: ScoreEngine, segments: [String: ScoreEngine])] = versions.map { v in
            var segs: [String: ScoreEngine] = [:]
            for (name, rules) in v.segments { segs[name] = ScoreEngine(rules: rules, stateFactors: factorNames) }
            return (ScoreEngine(rules: v.base, stateFactors: factorNames), segs)
        }
        let versionIds = history?.versions.map(\.id)

        // The accounts of a date in fixed chunks (by their sorted order), scored on two threads when there are
        // many, and joined in chunk order: the rows and counts are those of one pass. Each chunk initializes the
        // rows of its accounts' own region of the result; the regions are then closed up by moving the rows
        // (no copy of their strings and arrays, as appending each chunk's array would make).
        nonisolated(unsafe) let states = acc  // read only while the chunks run
        let firstDate = dates.first
        final class Chunk: @unchecked Sendable {
            var rows = 0
            var missing = 0, noWeight = 0, unknownSegment = 0
        }
        @Sendable func scoreChunk(
            _ d: Int32, _ k: Int, _ v: Int, _ range: Range<Int>, into out: Chunk, at slots: DisjointSlots<ScoreRow>
        ) {
            for a in order[range] {
                let id = ids[a]
                let segment = accounts.flatMap { t in t.row(of: id).map { t.segment[$0] } }
                // The engine of a version for this account's segment (the base rules without segment rules).
                func engineOf(_ version: Int) -> ScoreEngine {
                    segment.flatMap { engines[version].segments[$0] } ?? engines[version].base
                }
                let engine = engineOf(v)
                if d == firstDate, accounts != nil, segment == nil { out.unknownSegment += 1 }
                guard let r = engine.score(states.state(account: a, query: k)) else { out.missing += 1; continue }
                if r.score == nil { out.noWeight += 1 }
                let prevDay = d - Int32(engine.rules.period)
                // A period before: as shown then (under the version in force then), and under today's version.
                // Only the score (and its band) is shown: `scoreOnly` forms it by the same sums in the same order
                // as `score(_:)`, from the state's values in place (no state, no drill-down built).
                let prevInputs = states.scoringInputs(account: a, query: states.queryIndex(prevDay)!)
                func prevScore(_ e: ScoreEngine) -> Double? {
                    guard let (risk, values) = prevInputs else { return nil }
                    // No values (no factor in the states) has no base address, and no slot to read.
                    return values.withUnsafeBufferPointer { b in
                        b.baseAddress.map { e.scoreOnly($0, risk: risk) } ?? e.scoreOnly([], risk: risk)
                    }
                }
                let prevSame = prevScore(engine)
                let pv = versionAt(prevDay)
                let prevEngine = pv == v ? engine : engineOf(pv)
                let prev = pv == v ? prevSame : prevScore(prevEngine)
                // The engine's slots say where each of its factors sits among the union columns.
                var pts = [Double?](repeating: nil, count: factorNames.count)
                for (i, j) in engine.slots.enumerated() where j >= 0 { pts[j] = r.points[i] }
                func delta(_ p: Double?) -> Double? { (r.score != nil && p != nil) ? r.score! - p! : nil }
                func band(_ score: Double?, _ e: ScoreEngine) -> String? {
                    score.map { e.rules.bands[e.rules.bandIndex($0)].name }
                }
                var row = ScoreRow(
                    accountId: id, asOf: d, segment: segment, result: r,
                    band: r.bandIndex.map { engine.rules.bands[$0].name },
                    change: delta(prev), previousScore: prev, previousBand: band(prev, prevEngine), points: pts)
                row.configVersion = versionIds?[v]
                row.changeSameConfig = delta(prevSame)
                row.previousScoreSameConfig = prevSame
                row.previousBandSameConfig = band(prevSame, engine)
                (slots.base + out.rows).initialize(to: row)  // within the chunk's region (one row per account)
                out.rows += 1
            }
        }
        var notYet: [Int] = []
        var noWeight = 0
        var unknownSegment = 0
        let parts = order.count < 20_000 ? 1 : 8
        let rows = [ScoreRow](unsafeUninitializedCapacity: order.count * dates.count) { buffer, initialized in
            guard let base = buffer.baseAddress else {  // no account: nothing scored
                notYet = dates.map { _ in 0 }
                return
            }
            for d in dates {
                let k = acc.queryIndex(d)!
                let v = versionAt(d)
                let chunks = (0..<parts).map { _ in Chunk() }
                let free = base + initialized  // room for one row per account from here
                let region = DisjointSlots(base: free)
                let work: @Sendable (Int) -> Void = { t in
                    let range = (order.count * t / parts)..<(order.count * (t + 1) / parts)
                    scoreChunk(d, k, v, range, into: chunks[t], at: DisjointSlots(base: region.base + range.lowerBound))
                }
                if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
                var missing = 0
                for (t, c) in chunks.enumerated() {
                    // Regions may overlap once moved down: moveInitialize allows that.
                    (base + initialized).moveInitialize(
                        from: free + order.count * t / parts, count: c.rows)
                    initialized += c.rows
                    missing += c.missing
                    noWeight += c.noWeight
                    unknownSegment += c.unknownSegment
                }
                notYet.append(missing)
            }
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
            notYetStarted: notYet, noWeight: noWeight, diagnostics: diagnostics, history: history)
    }
}
