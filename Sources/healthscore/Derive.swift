import AccountHealth
import ArgumentParser
import Foundation

struct DeriveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Derive the factor timeline from a CRM's activity log (DESIGN §9).",
        discussion: """
            Each factor of the metrics: section (count, sum, mean, ratio, days_since, latest over a window of days)
            is computed on a grid of dates every `every` days. An account gets a row for every grid date from the
            first one on or after its first event. Times may carry an offset: an event belongs to its UTC day.
            Every command that reads a timeline also takes --events FILE (or an events.csv in --data DIR with no
            timeline.csv) and derives it first.
            Examples:
              healthscore derive --events datasets/activity/events.csv --config datasets/activity/config.yaml \
            -o timeline.csv
              healthscore score --data datasets/activity
            """
    )
    @OptionGroup var inputs: InputOptions
    @Option(
        name: [.short, .long],
        help: ArgumentHelp("Write the timeline here instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let files = try inputs.files()
            let log: EventLog, metrics: MetricsConfiguration
            if let source = try inputs.database() {
                // The activity log of the events table (--events-table, default events).
                (log, metrics) = try source.eventsAndMetrics(metrics: files.metrics ?? files.config)
            } else {
                guard files.events != nil else {
                    throw InputError(
                        .invalidArgument, Location(file: "events"),
                        "derive needs --events FILE (or --data DIR with events.csv and no timeline.csv)")
                }
                (log, metrics) = try files.eventsAndMetrics()
            }
            // Written as it is derived, account by account: no timeline is held in memory.
            let writer = try output.map { try FileWriter(path: $0) }
            let run = try Derive.writeCSV(log, metrics: metrics) { block in
                if let writer { try writer.write(bytes: block) } else { writeStandardOutput(block) }
            }
            try writer?.close()
            for d in run.diagnostics { note(d.message) }
            note(
                "derived \(metrics.factors.count) factors for \(log.accounts.count - run.accountsWithoutRows) "
                    + "accounts on \(run.grid.count) grid dates (\(Day.format(run.grid.first!)) to "
                    + "\(Day.format(run.grid.last!))) from \(log.count) events"
            )
        }
    }
}
