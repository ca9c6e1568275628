/// One account scored at one date.
public struct ScoreRow: Sendable {
    public var accountId: String
    public var asOf: Int32
    public var segment: String?
    public var result: AccountScore
    public var band: String?
    /// score(t) − score(t − period); nil when there is no score at t − period.
    public var change: Double?
    public var previousScore: Double?
    public var previousBand: String?
    /// For each column of `ScoreReport.factorNames`, the points (nil when left out or not in the rules).
    public var points: [Double?]
}

/// The scores of every account at one or more dates.
public struct ScoreReport: Sendable {
    /// The union of the factors of every rule set, in configuration order (the `<factor>_points` columns).
    public var factorNames: [String]
    public var dates: [Int32]
    public var rows: [ScoreRow]
    public var timeline: TimelineSummary
    /// Accounts with no timeline row on or before a date (not scored there), per date.
    public var notYetStarted: [Int]
    /// Scores that could not be formed because no weight counted.
    public var noWeight: Int
    public var notes: [String]
}

/// Where the input files are and how to read them.
public struct DataSources: Sendable {
    public var timeline: String?
    public var accounts: String?
    public var outcomes: String?
    public var config: String?
    public var delimiter: UInt8
    /// The `--data` directory, if the inputs came from one (a required file missing there is a missing file).
    public var directory: String?

    public init(timeline: String? = nil, accounts: String? = nil, outcomes: String? = nil, config: String? = nil, delimiter: UInt8 = 0x2C) {
        self.timeline = timeline
        self.accounts = accounts
        self.outcomes = outcomes
        self.config = config
        self.delimiter = delimiter
    }

    func require(_ path: String?, _ what: String) throws -> String {
        guard let path else {
            if let directory {
                throw InputError(.missingFile, Location(file: directory + "/\(what).csv"), "no such file (needed here: pass --\(what) FILE or add it to \(directory))")
            }
            throw InputError(.invalidArgument, Location(file: what), "no \(what) given: pass --\(what) FILE or --data DIR")
        }
        return path
    }

    public func timelinePath() throws -> String { try require(timeline, "timeline") }
    public func accountsPath() throws -> String { try require(accounts, "accounts") }
    public func outcomesPath() throws -> String { try require(outcomes, "outcomes") }

    public func loadAccounts() throws -> AccountsTable? {
        guard let accounts else { return nil }
        return try AccountsTable.read(path: accounts, delimiter: delimiter)
    }

    public func loadConfiguration() throws -> Configuration? {
        guard let config else { return nil }
        return try Configuration.load(path: config)
    }
}

public enum Scorer {
    /// The first and last dates of a timeline (a quick pass over the date column only).
    public static func dateRange(_ path: String, delimiter: UInt8) throws -> (Int32, Int32)? {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        var dcol = -1
        var lo = Int32.max, hi = Int32.min
        try reader.read(header: { h in
            dcol = h.firstIndex { $0.trimmingASCIISpaces().lowercased() == "date" } ?? -1
            if dcol < 0 { throw InputError(.missingColumn, Location(file: path, line: 1), value: "date", "required column 'date' is missing") }
        }, onError: { _ in }, record: { rec in
            if let d = Day.parse(rec.pointer(dcol), rec.length(dcol)) {
                if d < lo { lo = d }
                if d > hi { hi = d }
            }
        })
        return lo <= hi ? (lo, hi) : nil
    }

    /// Reads the timeline once and returns the as-of states at the given dates.
    public static func accumulate(sources: DataSources, days: [Int32], factors: [String]) throws -> (AsOfAccumulator, TimelineSummary) {
        let path = try sources.timelinePath()
        var acc = AsOfAccumulator(queryDays: days, factors: factors)
        let reader = TimelineReader(path: path, delimiter: sources.delimiter)
        let summary = try reader.read(into: &acc)
        acc.finish()
        return (acc, summary)
    }

    /// Scores every account at `asOf` (default: the last timeline date), or at every `every` days back from it
    /// down to `from` (default: the first timeline date).
    public static func score(sources: DataSources, configuration: Configuration?, accounts: AccountsTable?,
                             asOf: Int32? = nil, every: Int? = nil, from: Int32? = nil) throws -> ScoreReport {
        let path = try sources.timelinePath()
        var notes: [String] = []
        var config = configuration
        if config == nil {
            // No configuration: every timeline column at equal weight.
            let header = try TimelineReader(path: path, delimiter: sources.delimiter).header()
            let cols = try TimelineReader.columns(header, file: path)
            if cols.layout == .wide {
                config = .equalWeights(cols.factorNames)
                notes.append("no configuration given: every timeline factor scored at equal weight")
            } else {
                throw InputError(.invalidArgument, Location(file: "config"), "a long-layout timeline needs a configuration (--config)")
            }
        }
        let cfg = config!
        var dates: [Int32] = []
        var end = asOf
        var start = from
        if end == nil || (every != nil && start == nil) {
            guard let (lo, hi) = try dateRange(path, delimiter: sources.delimiter) else {
                throw InputError(.noRows, Location(file: path), "the timeline has no valid dates")
            }
            end = end ?? hi
            start = start ?? lo
        }
        if let every {
            guard every > 0 else { throw InputError(.invalidArgument, Location(file: "--every"), value: "\(every)", "must be a positive number of days") }
            var d = end!
            while d >= start! { dates.append(d); d -= Int32(every) }
            dates.reverse()
            if dates.isEmpty { throw InputError(.invalidArgument, Location(file: "--from"), "--from is after --as-of") }
        } else {
            dates = [end!]
        }
        let allRules = [cfg.base] + cfg.segments.map(\.rules)
        let periods = Set(allRules.map(\.period))
        var query = Set(dates)
        for d in dates { for p in periods { query.insert(d - Int32(p)) } }

        let factorNames = cfg.allFactorNames
        let (acc, summary) = try accumulate(sources: sources, days: Array(query), factors: factorNames)
        try cfg.check(againstTimelineFactors: summary.factors, file: sources.config ?? "config")

        if !cfg.segments.isEmpty && accounts == nil {
            notes.append("the configuration has per-segment weights but no accounts file was given: base weights used for every account")
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
                rows.append(ScoreRow(accountId: id, asOf: d, segment: segment, result: r,
                                     band: r.bandIndex.map { engine.rules.bands[$0].name },
                                     change: change, previousScore: prev?.score,
                                     previousBand: prev?.bandIndex.map { engine.rules.bands[$0].name }, points: pts))
            }
            notYet.append(missing)
        }
        if unknownSegment > 0 {
            notes.append("\(unknownSegment) timeline account(s) are not in the accounts file: scored with the base weights")
        }
        if noWeight > 0 {
            notes.append("\(noWeight) score(s) left empty: every factor that counts is optional and has no value yet")
        }
        return ScoreReport(factorNames: factorNames, dates: dates, rows: rows, timeline: summary,
                           notYetStarted: notYet, noWeight: noWeight, notes: notes)
    }
}
