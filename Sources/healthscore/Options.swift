import AccountHealth
import AccountHealthPostgres
import ArgumentParser
import Foundation

/// Where the inputs are: `--data DIR` or single-file flags (an explicit flag wins).
struct InputOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Directory holding timeline.csv, accounts.csv, outcomes.csv and config.yaml.", valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Timeline CSV (wide or long layout).", valueName: "file"))
    var timeline: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Activity log CSV (account_id, time, type[, value]): the timeline is derived from it (DESIGN §9).",
            valueName: "file"))
    var events: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Metric definitions for --events (default: the metrics: section of --config).", valueName: "file"))
    var metrics: String?

    @Option(name: .long, help: ArgumentHelp("Accounts CSV (account_id, am, segment, arr, …).", valueName: "file"))
    var accounts: String?

    @Option(name: .long, help: ArgumentHelp("Outcomes CSV (account_id, date, outcome[, arr]).", valueName: "file"))
    var outcomes: String?

    @Option(name: .long, help: ArgumentHelp("Weight configuration (YAML).", valueName: "file"))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration history: a folder of version files, each date scored under the version in force then "
                + "(DESIGN §15; default: configs/ in --data).",
            valueName: "dir"))
    var configs: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Field separator of the CSV inputs: one character, or 'tab'.", valueName: "char"))
    var delimiter: String = ","

    @Flag(name: .long, help: "No progress bar on standard error.")
    var quiet = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the data from PostgreSQL: postgresql://user[:password]@host[:port]/dbname (the password may come "
                + "from PGPASSWORD; it is never printed). The configuration still comes from --config.",
            valueName: "url"))
    var db: String?

    @Option(
        name: .long,
        help: ArgumentHelp("With --db: the schema of the tables (default: the search path).", valueName: "name"))
    var schema: String?

    @Option(
        name: .customLong("timeline-table"),
        help: ArgumentHelp("With --db: the timeline table or view.", valueName: "name"))
    var timelineTable: String?

    @Option(
        name: .customLong("accounts-table"),
        help: ArgumentHelp("With --db: the accounts table or view.", valueName: "name"))
    var accountsTable: String?

    @Option(
        name: .customLong("outcomes-table"),
        help: ArgumentHelp("With --db: the outcomes table or view.", valueName: "name"))
    var outcomesTable: String?

    @Option(
        name: .customLong("events-table"),
        help: ArgumentHelp(
            "With --db: derive the timeline from this activity-log table (DESIGN §9) instead of reading a timeline "
                + "table.",
            valueName: "name"))
    var eventsTable: String?

    @Option(
        name: .customLong("configs-table"),
        help: ArgumentHelp(
            "With --db: the configuration history in this table (id, effective_from, author, note, yaml, evidence, "
                + "created_at; DESIGN §15).",
            valueName: "name"))
    var configsTable: String?

    var tables: DatabaseTables {
        DatabaseTables(
            schema: schema, timeline: timelineTable ?? "timeline", accounts: accountsTable ?? "accounts",
            outcomes: outcomesTable ?? "outcomes", events: eventsTable ?? "events")
    }

    func validate() throws {
        _ = try delimiterByte()
        if timeline != nil && events != nil { throw ValidationError("give --timeline or --events, not both") }
        if config != nil && configs != nil {
            throw ValidationError("give --config FILE (one version for all of history) or --configs DIR, not both")
        }
        if configsTable != nil {
            if db == nil { throw ValidationError("--configs-table reads the history from the database of --db") }
            if config != nil || configs != nil {
                throw ValidationError("give --configs-table NAME, --configs DIR or --config FILE, one of them")
            }
        }
        if db != nil {
            let files = [
                ("--data", data), ("--timeline", timeline), ("--events", events), ("--accounts", accounts),
                ("--outcomes", outcomes),
            ]
            if let (flag, _) = files.first(where: { $0.1 != nil }) {
                throw ValidationError(
                    "--db reads the data from the database: give the configuration with --config FILE, not \(flag)")
            }
        }
    }

    /// The database source of `--db` (one connection per run, opened on first use).
    func database() throws -> DatabaseSource? {
        guard let db else { return nil }
        return DatabaseSource(database: try Connections.open(db), tables: tables)
    }

    func delimiterByte() throws -> UInt8 {
        let d = delimiter == "tab" || delimiter == "\\t" ? "\t" : delimiter
        guard d.utf8.count == 1, let b = d.utf8.first, b != 0x22, b != 0x0A, b != 0x0D else {
            throw ValidationError(
                "--delimiter must be a single ASCII character other than a quote or newline (got '\(delimiter)')")
        }
        return b
    }

    /// The input files. With `--data`, the timeline is always expected; the other files are used when present.
    func files() throws -> DataFiles {
        var s = DataFiles(delimiter: try delimiterByte())
        if let dir = data {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw InputError(.missingFile, Location(file: dir), "--data: no such directory")
            }
            s = DataFiles.directory(dir, delimiter: s.delimiter)
        }
        if let timeline { s.timeline = timeline; s.events = nil }
        if let events { s.events = events; s.timeline = nil }
        if let metrics { s.metrics = metrics }
        if let accounts { s.accounts = accounts }
        if let outcomes { s.outcomes = outcomes }
        if let config { s.config = config; s.configs = nil }
        if let configs { s.configs = configs; s.config = nil }
        return s
    }

    /// Loads the dataset: the timeline (streamed by default: the bounded-memory path) and the given parts
    /// that have a file; a `required` part without one is an error naming the flag (or the missing file of
    /// the `--data` directory).
    func dataset(
        _ parts: DataFiles.Parts, required: DataFiles.Parts = [], timeline loading: DataFiles.TimelineLoading = .stream,
        command: String, beforeOutcomes: ((Dataset) -> Void)? = nil
    ) throws -> Dataset {
        if let source = try database() {
            // With --configs-table, the history (and so the configuration) comes from the database.
            let needed = configsTable == nil ? required.intersection(.configuration) : []
            let files = try checkedFiles(required: needed, command: command)
            let (timeline, diagnostics) = try databaseTimeline(source, files: files, loading: loading)
            var d = Dataset(timeline: timeline, configurationName: files.config ?? "config")
            d.diagnostics = diagnostics
            if let table = configsTable, parts.union(required).contains(.configuration) {
                d.history = try ConfigsTable.requireHistory(source, table: table)
            }
            try add(parts, required: required, to: &d, command: command, beforeOutcomes: beforeOutcomes)
            for x in d.diagnostics { note(x.message) }
            return d
        }
        let files = try checkedFiles(required: required, command: command)
        let dataset = try files.load(parts.union(required), timeline: loading)
        for d in dataset.diagnostics { note(d.message) }
        return dataset
    }

    /// Adds parts to a loaded dataset (read only now that the configuration says they are needed), with the
    /// same checks; the timeline is not read again.
    /// `beforeOutcomes` is given the dataset once its configuration is read, before the outcomes are (a database
    /// may then send a model's queries while they are read).
    func add(
        _ parts: DataFiles.Parts, required: DataFiles.Parts = [], to dataset: inout Dataset, command: String,
        beforeOutcomes: ((Dataset) -> Void)? = nil
    ) throws {
        if let source = try database() {
            let needed = configsTable == nil ? required.intersection(.configuration) : []
            let files = try checkedFiles(required: needed, command: command)
            let all = parts.union(required)
            try files.read(all.intersection(.configuration), into: &dataset)
            beforeOutcomes?(dataset)
            if all.contains(.accounts), try wanted(.accounts, required: required, source: source) {
                dataset.accounts = try source.accounts()
            }
            if all.contains(.outcomes), try wanted(.outcomes, required: required, source: source) {
                dataset.outcomes = try source.outcomes()
            }
            return
        }
        try checkedFiles(required: required, command: command).read(parts.union(required), into: &dataset)
    }

    /// The timeline of `--db`: derived from the events table with `--events-table`, else the timeline table
    /// (streamed, or read once into memory).
    func databaseTimeline(
        _ source: DatabaseSource, files: DataFiles,
        loading: DataFiles.TimelineLoading
    ) throws -> (any TimelineSource, [Diagnostic]) {
        if eventsTable != nil {
            let derived = try source.derive(metrics: files.metrics ?? files.config)
            return (derived.timeline, derived.diagnostics)
        }
        let t = try source.timeline()
        return (loading == .memory ? try Timeline.load(from: t) : t, [])
    }

    /// Whether to read a table: when the command needs it or its flag names it; else when it exists (a table
    /// the command can do without is used when present, as a file of --data is).
    func wanted(_ part: DataFiles.Parts, required: DataFiles.Parts, source: DatabaseSource) throws -> Bool {
        let named = part == .accounts ? accountsTable : outcomesTable
        if required.contains(part) || named != nil { return true }
        return try source.exists(part == .accounts ? source.tables.accounts : source.tables.outcomes)
    }

    /// The files, with each `required` part present: else an error naming the flag (or the missing file of the
    /// `--data` directory).
    private func checkedFiles(required: DataFiles.Parts, command: String) throws -> DataFiles {
        let files = try self.files()
        let needs: [(DataFiles.Parts, String?, String, String)] = [
            (.accounts, files.accounts, "accounts", "accounts.csv"),
            (.outcomes, files.outcomes, "outcomes", "outcomes.csv"),
            (.configuration, files.config ?? files.configs, "config", "config.yaml"),
        ]
        if files.timeline == nil && files.events == nil && db == nil {
            throw InputError(
                .invalidArgument, Location(file: "timeline"),
                "no timeline given: pass --timeline FILE, --events FILE or --data DIR")
        }
        for (part, path, flag, file) in needs where required.contains(part) && path == nil {
            if let dir = files.directory {
                throw InputError(
                    .missingFile, Location(file: (dir as NSString).appendingPathComponent(file)),
                    "no such file (\(command) needs it: pass --\(flag) FILE or add it to \(dir))")
            }
            throw InputError(
                .invalidArgument, Location(file: flag), "\(command) needs --\(flag) FILE (or --data DIR with \(file))")
        }
        return files
    }
}

/// How results are written.
struct OutputOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("table, csv or json (default: table on a terminal, csv otherwise).", valueName: "format"))
    var format: OutputFormatArgument?

    @Option(
        name: [.short, .long],
        help: ArgumentHelp("Write results to this file instead of standard output.", valueName: "file"))
    var output: String?

    var resolvedFormat: OutputFormat {
        if let format { return format.value }
        return output == nil && isatty(STDOUT_FILENO) != 0 ? .table : .csv
    }

    func emit(_ text: String) throws {
        try emit(bytes: Array(text.utf8))
    }

    func emit(bytes: [UInt8]) throws {
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw InputError(.unreadableFile, Location(file: output), "cannot write the output file")
            }
        } else {
            bytes.withUnsafeBufferPointer { writeStandardOutput($0) }
        }
    }
}

/// `--to-table`: the results written back to the database as well (DESIGN §10).
struct WriteBackOptions: ParsableArguments {
    @Option(
        name: .customLong("to-table"),
        help: ArgumentHelp(
            "With --db: also write the CSV rows (with as_of and run_at) to this table, replacing the rows of the "
                + "same as_of in one transaction; the table is created when missing.",
            valueName: "name"))
    var toTable: String?

    func validate(_ inputs: InputOptions) throws {
        if toTable != nil && inputs.db == nil {
            throw ValidationError("--to-table writes to the database of --db: give --db URL")
        }
    }

    /// Writes `csv` to the table when one is given, and says so on standard error.
    func write(csv: String, asOf: Int32, inputs: InputOptions) throws {
        guard let toTable, let source = try inputs.database() else { return }
        let n = try WriteBack.write(csv: csv, asOf: asOf, to: toTable, schema: inputs.schema, database: source.database)
        note("wrote \(n) row(s) as of \(Day.format(asOf)) to table \(source.displayName(toTable))")
    }
}

struct OutputFormatArgument: ExpressibleByArgument {
    var value: OutputFormat
    init?(argument: String) {
        guard let v = OutputFormat(rawValue: argument.lowercased()) else { return nil }
        value = v
    }
    static var allValueStrings: [String] { OutputFormat.allCases.map(\.rawValue) }
}

/// Writes bytes to standard output: a plain write(2) loop, with no shared C stream state, so large outputs go
/// out in a few calls.
func writeStandardOutput(_ b: UnsafeBufferPointer<UInt8>) {
    guard let base = b.baseAddress else { return }
    var off = 0
    while off < b.count {
        let n = write(STDOUT_FILENO, base + off, b.count - off)
        if n < 0 { if errno == EINTR { continue }; break }
        off += n
    }
}

/// A calendar date argument (`YYYY-MM-DD`).
struct DateArgument: ExpressibleByArgument {
    var day: Int32
    init?(argument: String) {
        guard let d = Day.parse(argument) else { return nil }
        day = d
    }
    static var defaultCompletionKind: CompletionKind { .default }
}

/// Messages go to standard error.
func note(_ s: String) {
    FileHandle.standardError.write(Data(("healthscore: " + s + "\n").utf8))
}

/// A progress bar on standard error for work over about a second, only when stderr is a terminal.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var drew = false
    private let thread: Thread?

    /// What the readers report to while the bar runs.
    let progress: ReadProgress

    init(enabled: Bool) {
        let progress = ReadProgress()
        self.progress = progress
        guard enabled, isatty(STDERR_FILENO) != 0 else { thread = nil; return }
        let start = Date()
        let box = Box()
        thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.2)
                guard let bar = box.bar, bar.isRunning else { return }
                let elapsed = Date().timeIntervalSince(start)
                if elapsed < 1 { continue }
                let (done, total, file) = progress.snapshot
                let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
                let width = 30, filled = Int(fraction * Double(width))
                let line =
                    "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                    + String(format: "%3.0f%% %@  %.1f s ", fraction * 100, file, elapsed)
                bar.draw(line)
            }
        }
        box.bar = self
        thread?.start()
    }

    final class Box: @unchecked Sendable { weak var bar: ProgressBar? }

    var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    func draw(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        guard running else { return }
        FileHandle.standardError.write(Data(line.utf8))
        drew = true
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        running = false
        if drew { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 78) + "\r").utf8)) }
    }
}

/// Library parameter names that an `.invalidArgument` error may name, shown as the flags that set them.
let flagNames: Set<String> = [
    "step", "horizon", "from", "to", "every", "trend", "folds", "as-of", "penalty", "drop", "top",
]

/// Runs a command body, turning library errors into messages on stderr and their exit status (65, 66, …);
/// with `progress`, shows a progress bar on a terminal while it runs.
func reportingErrors(progress: Bool = false, _ body: () throws -> Void) throws {
    let bar = ProgressBar(enabled: progress)
    defer { bar.finish() }
    do {
        try ReadProgress.$current.withValue(bar.progress) { try body() }
    } catch var e as InputError {
        // The library names its parameters; here they are flags.
        if e.kind == .invalidArgument, flagNames.contains(e.location.file) { e.location.file = "--" + e.location.file }
        FileHandle.standardError.write(Data((e.description + "\n").utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as DatasetError {
        let flag = [
            "accounts": "--accounts FILE", "outcomes": "--outcomes FILE", "configuration": "--config FILE",
            "timeline": "--timeline FILE or --events FILE",
            "metrics": "--metrics FILE, a metrics: section in --config,",
        ][e.part.rawValue]!
        FileHandle.standardError.write(Data("healthscore: error: \(e.description) (pass \(flag) or --data DIR)\n".utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as InputErrors {
        let shown = e.errors.prefix(50)
        var text = shown.map(\.description).joined(separator: "\n")
        if e.errors.count > shown.count || e.truncated {
            text += "\n… and more errors (healthscore validate lists them all)"
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as ModelError {
        // Commands map model failures to located input errors; this is the safety net (bad data, 65).
        FileHandle.standardError.write(
            Data("healthscore: error: cannot fit the model: \(e.description)\(modelHint(e))\n".utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as LinearAlgebraError {
        FileHandle.standardError.write(Data("healthscore: error: numerical failure: \(e)\n".utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as DatabaseError {
        FileHandle.standardError.write(Data("healthscore: error: \(e.description)\n".utf8))
        throw ExitCode(e.failureClass.exitStatus)
    } catch let e as any ClassifiedFailure {
        // Any other library failure (the studio's refusals, a TLS certificate pair): its words and its class.
        FileHandle.standardError.write(Data("healthscore: error: \(e)\n".utf8))
        throw ExitCode(e.failureClass.exitStatus)
    }
}

/// The run's database connections, one per URL, opened on first use.
enum Connections {
    nonisolated(unsafe) private static var open: [String: Database] = [:]

    /// Closes every connection (a reload opens new ones, so a restarted server is reached again).
    static func reset() { open.removeAll() }

    static func open(_ url: String) throws -> Database {
        if let d = open[url] { return d }
        let d = try Database(DatabaseURL(url, environment: ProcessInfo.processInfo.environment))
        open[url] = d
        return d
    }
}

/// What to try, in flags, for a model failure whose library message says it in words.
func modelHint(_ e: ModelError) -> String {
    switch e {
    case .separation, .collinear, .notConverged: return " (--penalty sets a ridge penalty)"
    default: return ""
    }
}

/// `--missing` (and its alias `--impute mean`): how a model treats a feature with no value (DESIGN §13).
struct MissingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A feature with no value: 'indicator' fills it with its mean and adds a <factor>_missing column, "
                + "'mean' fills it, 'drop' leaves the observation out (DESIGN §13).",
            valueName: "indicator|mean|drop"))
    var missing: String?
    @Option(help: ArgumentHelp("The alias of --missing mean.", valueName: "mean"))
    var impute: String?

    func validate() throws {
        if let impute, impute != "mean" { throw ValidationError("--impute takes only 'mean'") }
        if let missing, MissingTreatment(rawValue: missing) == nil {
            throw ValidationError("--missing takes indicator, mean or drop, not '\(missing)'")
        }
        if let missing, impute != nil, missing != "mean" {
            throw ValidationError("--impute mean and --missing \(missing) disagree")
        }
    }

    /// The treatment asked for: `--missing`, `--impute mean`, or the default `indicator`.
    var treatment: MissingTreatment {
        if let missing, let t = MissingTreatment(rawValue: missing) { return t }
        return impute == "mean" ? .mean : .indicator
    }
}

/// From here on, large blocks go straight to the system and back (glibc's mmap and trim thresholds fixed at
/// 256 KB, instead of rising each time a large block is freed), and what is already free is handed back
/// (malloc_trim). The model phases allocate large buffers on several threads; each thread's arena kept what it
/// freed, so the fit's resident peak was 1.2-1.35x the previous release's with the same live heap (128.5 MB,
/// heaptrack). Called after a command's read, never before one: the reader's chunk buffers stay in the heap,
/// where reusing them is fastest. MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ in the environment keep
/// glibc's own behaviour.
func returnLargeBlocks() {
    #if canImport(Glibc)
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil, getenv("MALLOC_TRIM_THRESHOLD_") == nil else { return }
        // mallopt and malloc_trim are in <malloc.h>, which Glibc's module does not export; there M_TRIM_THRESHOLD
        // is -1 and M_MMAP_THRESHOLD -3.
        let handle = UnsafeMutableRawPointer(bitPattern: 0)
        if let symbol = dlsym(handle, "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            _ = mallopt(-3, 256 << 10)
            _ = mallopt(-1, 256 << 10)
        }
        if let symbol = dlsym(handle, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
    #endif
}
