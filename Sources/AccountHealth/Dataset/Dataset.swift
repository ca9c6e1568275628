import Foundation

/// One loaded dataset: the timeline (streamed from its source or held in memory), the accounts, the
/// outcomes and the weight configuration. Every analysis takes a dataset, never a path; sources build it.
public struct Dataset: Sendable {
    /// The score history, from a file or a database.
    public var timeline: any TimelineSource
    /// The accounts' attributes (am, segment, arr, renewal date), when given.
    public var accounts: AccountsTable?
    /// The renewal and churn outcomes, when given.
    public var outcomes: OutcomesTable?
    /// The scoring configuration, when given.
    public var configuration: Configuration?
    /// Where the configuration came from, for located messages.
    public var configurationName: String
    /// The configuration history (DESIGN §15), when given: `configuration` is then its latest version, and the
    /// analyses that replay history score each date under the version in force then.
    public var history: ConfigurationHistory? = nil {
        didSet {
            if let h = history {
                configuration = h.current.configuration
                configurationName = h.current.file
            }
        }
    }
    /// What building the dataset found (a derived timeline's duplicate events, unknown types, …).
    public var diagnostics: [Diagnostic] = []

    /// A dataset from its parts; the optional ones may be missing until an analysis needs them.
    public init(
        timeline: any TimelineSource, accounts: AccountsTable? = nil, outcomes: OutcomesTable? = nil,
        configuration: Configuration? = nil, configurationName: String = "config"
    ) {
        self.timeline = timeline
        self.accounts = accounts
        self.outcomes = outcomes
        self.configuration = configuration
        self.configurationName = configurationName
    }

    /// The same dataset with its timeline read into memory (a no-op when it already is), so that several
    /// analyses read the source once.
    public func inMemory() throws -> Dataset {
        if timeline is Timeline { return self }
        var d = self
        d.timeline = try Timeline.load(from: timeline)
        return d
    }

    /// What was known at the end of `day`: the timeline rows and the outcomes dated after it are left out (the
    /// timeline is read into memory first). Analyses of the result use no later information.
    public func known(through day: Int32) throws -> Dataset {
        var d = self
        let t = try (timeline as? Timeline) ?? Timeline.load(from: timeline)
        d.timeline = t.truncated(through: day)
        if let o = outcomes { d.outcomes = o.filter { $0 <= day } }
        return d
    }

    /// The outcomes, or a typed error saying which analysis needs them.
    public func requireOutcomes(_ analysis: String) throws -> OutcomesTable {
        guard let outcomes else { throw DatasetError.missing(.outcomes, neededBy: analysis) }
        return outcomes
    }

    /// The outcomes table with at least one row: a header-only file is valid (no renewal decided yet), but an
    /// analysis that learns from outcomes cannot run on it and says so in one line.
    public func requireDecidedOutcomes(_ analysis: String) throws -> OutcomesTable {
        let outcomes = try requireOutcomes(analysis)
        guard outcomes.count > 0 else {
            throw InputError(
                .noRows, Location(file: outcomes.file),
                "the outcomes file has no rows (no renewal decided yet), and \(analysis) learns from outcomes")
        }
        return outcomes
    }

    /// The accounts table, or a `DatasetError` naming the analysis that needs it.
    public func requireAccounts(_ analysis: String) throws -> AccountsTable {
        guard let accounts else { throw DatasetError.missing(.accounts, neededBy: analysis) }
        return accounts
    }

    /// The configuration, or a `DatasetError` naming the analysis that needs it.
    public func requireConfiguration(_ analysis: String) throws -> Configuration {
        guard let configuration else { throw DatasetError.missing(.configuration, neededBy: analysis) }
        return configuration
    }

    /// The configuration to score with: the dataset's, or with none every timeline factor at equal weight
    /// (a long layout, whose factors are unknown before reading, needs one).
    func scoringConfiguration(_ given: Configuration?, diagnostics: inout [Diagnostic]) throws -> Configuration {
        if let c = given ?? configuration { return c }
        let cols = try timeline.columns()
        guard let names = cols.factorNames else {
            throw DatasetError.missing(.configuration, neededBy: "a long-layout timeline")
        }
        diagnostics.append(
            Diagnostic(
                .noConfiguration, message: "no configuration given: every timeline factor scored at equal weight"))
        return .equalWeights(names)
    }
}

/// A part of the dataset that an analysis needs and the dataset does not have.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The part of a dataset that is missing.
    public enum Part: String, Sendable { case timeline, accounts, outcomes, configuration, metrics }
    case missing(Part, neededBy: String)

    /// The missing part.
    public var part: Part {
        switch self {
        case .missing(let p, _): return p
        }
    }

    /// What is missing and which analysis needs it.
    public var description: String {
        switch self {
        case .missing(let part, let who): return "no \(part.rawValue) in the dataset: \(who) needs them"
        }
    }
}

/// The CSV files of a dataset (DESIGN §2) and how to read them: the first source of a `Dataset`.
public struct DataFiles: Sendable {
    /// The timeline file, if any (else the events file is derived).
    public var timeline: String?
    /// An activity log (DESIGN §9) to derive the timeline from, when there is no timeline file.
    public var events: String?
    /// The metric definitions for `events`: a file of its own; by default the `metrics:` section of `config`.
    public var metrics: String?
    /// The accounts file, if any.
    public var accounts: String?
    /// The outcomes file, if any.
    public var outcomes: String?
    /// The configuration file, if any.
    public var config: String?
    /// The configuration history folder (DESIGN §15), if any: it wins over `config`.
    public var configs: String?
    /// The field delimiter of every CSV file (a comma unless told).
    public var delimiter: UInt8
    /// The directory the files came from, if any (a required file missing there is a missing file).
    public var directory: String?

    /// The files of a dataset.
    public init(
        timeline: String? = nil, accounts: String? = nil, outcomes: String? = nil, config: String? = nil,
        delimiter: UInt8 = 0x2C, directory: String? = nil
    ) {
        self.timeline = timeline
        self.accounts = accounts
        self.outcomes = outcomes
        self.config = config
        self.delimiter = delimiter
        self.directory = directory
    }

    /// The files of a directory: `timeline.csv` (or, when there is none, `events.csv`: the timeline is then
    /// derived from it), and `accounts.csv`, `outcomes.csv`, `config.yaml` and a `configs/` history folder when
    /// present.
    public static func directory(_ dir: String, delimiter: UInt8 = 0x2C) -> DataFiles {
        func path(_ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }
        func inDir(_ name: String) -> String? { access(path(name), F_OK) == 0 ? path(name) : nil }
        var files = DataFiles(
            timeline: path("timeline.csv"), accounts: inDir("accounts.csv"), outcomes: inDir("outcomes.csv"),
            config: inDir("config.yaml"), delimiter: delimiter, directory: dir)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path("configs"), isDirectory: &isDir), isDir.boolValue {
            files.configs = path("configs")
        }
        if inDir("timeline.csv") == nil, let events = inDir("events.csv") {
            files.timeline = nil
            files.events = events
        }
        return files
    }

    /// The timeline derived from the events file with the metric definitions (`metrics`, else the `metrics:`
    /// section of `config`).
    public func derive() throws -> DerivedTimeline {
        let (log, definitions) = try eventsAndMetrics()
        return try Derive.timeline(log, metrics: definitions)
    }

    /// The activity log and the metric definitions, read and checked (the definitions first: they are small).
    public func eventsAndMetrics() throws -> (EventLog, MetricsConfiguration) {
        guard let events else { throw DatasetError.missing(.timeline, neededBy: "derive (an events file)") }
        guard let source = metrics ?? config else { throw DatasetError.missing(.metrics, neededBy: "derive") }
        let definitions = try MetricsConfiguration.load(path: source)
        return (try EventsReader(path: events, delimiter: delimiter).read(), definitions)
    }

    /// How the timeline is held: streamed from the file by each analysis (bounded memory: the very large
    /// path), or read once into memory and shared by every analysis.
    public enum TimelineLoading: Sendable { case stream, memory }

    /// Which of the other files to read (each only when it is given).
    public struct Parts: OptionSet, Sendable {
        /// The set's bits.
        public let rawValue: Int
        /// A set from its bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The accounts table.
        public static let accounts = Parts(rawValue: 1)
        /// The outcomes table.
        public static let outcomes = Parts(rawValue: 2)
        /// The configuration.
        public static let configuration = Parts(rawValue: 4)
        /// Every optional part.
        public static let all: Parts = [.accounts, .outcomes, .configuration]
    }

    /// Reads the files (each once) into a dataset.
    /// An events file is derived into an in-memory timeline first (its diagnostics are the dataset's).
    public func load(_ parts: Parts = .all, timeline loading: TimelineLoading = .stream) throws -> Dataset {
        let source: any TimelineSource
        var diagnostics: [Diagnostic] = []
        if let path = timeline {
            let reader = TimelineReader(path: path, delimiter: delimiter)
            source = loading == .memory ? try Timeline.load(from: reader) : reader
        } else if events != nil {
            let derived = try derive()
            source = derived.timeline
            diagnostics = derived.diagnostics
        } else {
            throw DatasetError.missing(.timeline, neededBy: "every analysis")
        }
        var d = Dataset(timeline: source, configurationName: config ?? "config")
        d.diagnostics = diagnostics
        try read(parts, into: &d)
        return d
    }

    /// Reads the given parts that have a file into `dataset`, leaving its timeline as it is (a part wanted
    /// only once the configuration is known, without reading or deriving the timeline again).
    public func read(_ parts: Parts, into d: inout Dataset) throws {
        if parts.contains(.configuration), let configs {
            d.history = try ConfigurationHistory.load(directory: configs)
        } else if parts.contains(.configuration), let config {
            d.configuration = try Configuration.load(path: config)
        }
        if parts.contains(.accounts), let accounts {
            d.accounts = try AccountsTable.read(path: accounts, delimiter: delimiter)
        }
        if parts.contains(.outcomes), let outcomes {
            d.outcomes = try OutcomesTable.read(path: outcomes, delimiter: delimiter)
        }
    }
}
