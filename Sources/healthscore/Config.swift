import AccountHealth
import AccountHealthPostgres
import ArgumentParser
import Foundation

/// `healthscore config list|show|diff|new`: the configuration history (DESIGN §15).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The configuration history: which weights were in force when, and why they changed.",
        discussion: """
            A history is a folder of version files (--configs DIR, or configs/ in --data DIR), each a
            configuration with a version: {id, effective_from, author, note} block.
            Examples:
              healthscore config list --configs configs
              healthscore config diff v1 v2 --configs configs
              healthscore config new suggested.yaml --configs configs --id v4 --effective-from 2024-07-01 \\
                --author ana --note "refit on Q2" --data datasets/simulated
            """,
        subcommands: [List.self, Show.self, Diff.self, New.self]
    )

    /// The history folder of `--configs`, else `configs/` in `--data` (nil with `--configs-table`).
    static func folder(_ inputs: InputOptions) throws -> String? {
        if inputs.configsTable != nil { return nil }
        if inputs.db != nil { throw ValidationError("with --db, name the history's table with --configs-table NAME") }
        if let c = inputs.configs { return c }
        if let d = inputs.data { return (d as NSString).appendingPathComponent("configs") }
        throw ValidationError("name the history with --configs DIR (or --data DIR holding configs/)")
    }

    /// The history of the folder, or of `--configs-table` in the database of `--db`.
    static func history(_ inputs: InputOptions) throws -> ConfigurationHistory {
        if let folder = try folder(inputs) { return try ConfigurationHistory.load(directory: folder) }
        return try ConfigsTable.requireHistory(try inputs.database()!, table: inputs.configsTable!)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The versions, earliest first.")
        @OptionGroup var inputs: InputOptions
        @OptionGroup var out: OutputOptions

        func run() throws {
            _ = try ConfigCommand.folder(inputs)
            try reportingErrors {
                try out.emit(Render.configVersions(try ConfigCommand.history(inputs), format: out.resolvedFormat))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One version: its file, or its record in JSON.")
        @Argument(help: "The version's id.") var id: String
        @OptionGroup var inputs: InputOptions
        @OptionGroup var out: OutputOptions

        func run() throws {
            _ = try ConfigCommand.folder(inputs)
            try reportingErrors {
                let history = try ConfigCommand.history(inputs)
                try out.emit(
                    Render.configVersion(try ConfigCommand.version(id, in: history), format: out.resolvedFormat))
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every changed weight, flag, scale, penalty and band between two versions, old → new.")
        @Argument(help: "The earlier version's id.") var a: String
        @Argument(help: "The later version's id.") var b: String
        @OptionGroup var inputs: InputOptions
        @OptionGroup var out: OutputOptions

        func run() throws {
            _ = try ConfigCommand.folder(inputs)
            try reportingErrors {
                let history = try ConfigCommand.history(inputs)
                let va = try ConfigCommand.version(a, in: history), vb = try ConfigCommand.version(b, in: history)
                let diff = ConfigurationDiff(from: va.id, va.configuration, to: vb.id, vb.configuration)
                try out.emit(Render.configDiff(diff, format: out.resolvedFormat))
            }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a version to the history, with the evidence of backtest --against the version before it.",
            discussion: """
                Writes DIR/<effective_from>-<id>.yaml atomically; refuses a duplicate id or date and an existing
                file. With the data (--data, or --timeline and --outcomes) the file gets an evidence: block: the
                backtest --against summary of the new version against the one in force before it. With --db URL
                --configs-table NAME the version is a row of that table instead (inserted in one transaction), and
                the evidence comes from the database's tables.
                """)
        @Argument(help: "The configuration file of the new version (a version block in it is replaced).")
        var file: String
        @OptionGroup var inputs: InputOptions
        @OptionGroup var out: OutputOptions
        @Option(help: ArgumentHelp("The version's id: letters, digits, '.', '_', '-'.", valueName: "id"))
        var id: String
        @Option(
            name: .customLong("effective-from"),
            help: ArgumentHelp("The first day the version is in force.", valueName: "date"))
        var effectiveFrom: DateArgument
        @Option(help: ArgumentHelp("Who made it.", valueName: "name")) var author: String?
        @Option(help: ArgumentHelp("Why it was made.", valueName: "text")) var note: String?

        func run() throws {
            let dir = try ConfigCommand.folder(inputs)
            try reportingErrors(progress: !inputs.quiet) {
                let configuration = try Configuration.load(path: file)
                let history: ConfigurationHistory?
                let target: String
                if let dir {
                    history = try ConfigurationHistory.loadIfAny(dir)
                    target = (dir as NSString).appendingPathComponent("\(Day.format(effectiveFrom.day))-\(id).yaml")
                } else {
                    let source = try inputs.database()!
                    history = try ConfigsTable.historyIfAny(source, table: inputs.configsTable!)
                    target = "\(source.displayName(inputs.configsTable!)) row '\(id)'"
                }
                // The data, when given, for the evidence (its own configuration is not read).
                var dataset: Dataset? = nil
                if inputs.data != nil || inputs.timeline != nil || inputs.events != nil || inputs.db != nil {
                    var d = try inputs.dataset([], command: "config new")
                    // As backtest does: the accounts only matter for per-segment weights.
                    let segments =
                        !configuration.segments.isEmpty
                        || history?.versions.contains { !$0.configuration.segments.isEmpty } == true
                    try inputs.add(segments ? [.accounts, .outcomes] : [.outcomes], to: &d, command: "config new")
                    try configuration.check(
                        againstTimelineFactors: try d.timeline.columns().factorNames ?? configuration.allFactorNames,
                        file: file)
                    dataset = d
                }
                let (version, diagnostics) = try ConfigurationHistory.newVersion(
                    configuration, id: id, effectiveFrom: effectiveFrom.day, author: author, note: note,
                    history: history, dataset: dataset, file: target)
                for d in diagnostics { healthscore.note(d.message) }
                var written = version
                if let dir {
                    written.file = try ConfigurationHistory.write(version, directory: dir)
                } else {
                    // One transaction: the table created when missing, then the row.
                    try ConfigsTable.insert(version, into: inputs.configsTable!, source: try inputs.database()!)
                }
                try out.emit(Render.configVersion(written, format: out.format?.value == .json ? .json : .table))
                healthscore.note("wrote \(written.file)")
            }
        }
    }

    /// The version with an id, or a located error listing the ids there are.
    static func version(_ id: String, in h: ConfigurationHistory) throws -> ConfigurationVersion {
        guard let v = h.version(id: id) else {
            throw InputError(
                .invalidArgument, Location(file: h.name), value: id,
                "no version '\(id)' (versions: \(h.versions.map(\.id).joined(separator: ", ")))")
        }
        return v
    }
}
