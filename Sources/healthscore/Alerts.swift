import AccountHealth
import AccountHealthWebhooks
import ArgumentParser

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Accounts that entered a worse band or dropped more than N points within the period.",
        discussion: """
            The period is the configuration's `period` (days). With --fail-on-alerts the exit status is 1
            when there is any alert, so a scheduler can act on it.
            With --webhook URL the alerts are also POSTed, as a Standard Webhooks event (signed with the secret
            in --webhook-secret-env) or in Slack's shape; a failed delivery exits 69 after the rows are written.
            Example:
              healthscore alerts --data datasets/simulated --as-of 2024-06-30 --drop 15 --fail-on-alerts
            """
    )

    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var writeBack: WriteBackOptions
    @OptionGroup var delivery: WebhookArguments
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Date to check (default: the last timeline date).", valueName: "date"))
    var asOf: DateArgument?
    @Option(help: ArgumentHelp("Also alert when the score fell by more than this many points.", valueName: "points"))
    var drop: Double?
    @Flag(help: "Exit with status 1 when there is at least one alert.")
    var failOnAlerts = false

    func validate() throws {
        try writeBack.validate(inputs)
        if let drop, !(drop >= 0) { throw ValidationError("--drop must be a non-negative number of points") }
    }

    func run() throws {
        var count = 0
        try reportingErrors(progress: !inputs.quiet) {
            var dataset = try inputs.dataset([], required: .configuration, command: "alerts")
            let config = try dataset.requireConfiguration("alerts")
            // The accounts file only matters for per-segment weights (its problems are validate's business).
            if !config.segments.isEmpty { try inputs.add(.accounts, to: &dataset, command: "alerts") }
            let report = try Scorer.score(dataset, asOf: asOf?.day)
            for d in report.diagnostics { note(d.message) }
            let found = Alerts.find(in: report, configuration: config, drop: drop)
            count = found.count
            try out.emit(Render.alerts(found, asOf: report.dates[0], format: out.resolvedFormat))
            if writeBack.toTable != nil {
                try writeBack.write(
                    csv: Render.alerts(found, asOf: report.dates[0], format: .csv), asOf: report.dates[0],
                    inputs: inputs)
            }
            note("\(found.count) alert(s) as of \(Day.format(report.dates[0]))")
            // Delivered after the rows are written, so a failed delivery loses nothing (DESIGN §16).
            let version = report.history?.version(at: report.dates[0])
            try delivery.send(
                WebhookMessage(
                    type: "healthscore.alerts", asOf: report.dates[0], configVersion: version?.id,
                    configuration: version?.configuration ?? config, rows: found.map { JSON.encode($0) }))
        }
        if failOnAlerts && count > 0 { throw ExitCode(1) }
    }
}
