import AccountHealth
import ArgumentParser

@main
struct HealthScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthscore",
        abstract: "Turn customer health-score history into decisions.",
        discussion: """
            Inputs are named with --timeline, --accounts, --outcomes and --config, or all at once with
            --data DIR. Results go to standard output (or --output FILE) as a table on a terminal, CSV
            otherwise, or --format json. Exit status: 0 ok, 64 usage, 65 bad data, 66 missing file.
            """,
        version: "0.1.0",
        subcommands: [Simulate.self, Validate.self, Score.self, Explain.self, AlertsCommand.self, Fit.self, IndicatorsCommand.self, BacktestCommand.self, Bench.self]
    )
}
