import AccountHealth
import ArgumentParser

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every account at a date, or replay the score over history.",
        discussion: """
            CSV columns: account_id, as_of, score, band, change, one <factor>_points column per factor,
            then risk_penalty and coverage. Under a configuration history (--configs DIR, or configs/ in
            --data) each date is scored under the version in force then, and config_version (after band) and
            change_same_config (after change: both dates under the row's version) are added.
            Examples:
              healthscore score --data datasets/simulated --as-of 2024-06-30
              healthscore score --data datasets/simulated --every 7 --format csv -o replay.csv
              healthscore score --data datasets/simulated --configs configs --every 7 -o replay.csv
            """
    )

    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var writeBack: WriteBackOptions
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Score as of this date (default: the last timeline date).", valueName: "date"))
    var asOf: DateArgument?
    @Option(help: ArgumentHelp("Replay: score every N days back from --as-of.", valueName: "days"))
    var every: Int?
    @Option(
        help: ArgumentHelp("With --every: the earliest date (default: the first timeline date).", valueName: "date"))
    var from: DateArgument?

    func validate() throws {
        if let every, every <= 0 { throw ValidationError("--every must be a positive number of days") }
        if from != nil && every == nil { throw ValidationError("--from goes with --every") }
        try writeBack.validate(inputs)
        if writeBack.toTable != nil && every != nil {
            throw ValidationError("--to-table writes the scores of one date: leave out --every")
        }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            var dataset = try inputs.dataset(.configuration, command: "score")
            // The accounts file only matters for per-segment weights (its problems are validate's business).
            if !(dataset.configuration?.segments.isEmpty ?? true) {
                try inputs.add(.accounts, to: &dataset, command: "score")
            }
            let report = try Scorer.score(dataset, asOf: asOf?.day, every: every, from: from?.day)
            for d in report.diagnostics { note(d.message) }
            let skipped = report.notYetStarted.reduce(0, +)
            if skipped > 0 { note("\(skipped) account-date(s) not scored: no timeline row on or before the date") }
            let format = out.resolvedFormat
            var csv: [UInt8] = []
            if format == .csv || writeBack.toTable != nil { Render.scoreCSV(report, into: &csv) }
            try out.emit(bytes: format == .csv ? csv : Array(Render.score(report, format: format).utf8))
            if let day = report.dates.last {
                try writeBack.write(csv: String(decoding: csv, as: UTF8.self), asOf: day, inputs: inputs)
            }
        }
    }
}
