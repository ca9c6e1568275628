import AccountHealth
import ArgumentParser
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Risk-adjusted comparison of account managers, segments or any accounts column.",
        discussion: """
            Per group: accounts, ARR, mean and median current score, mean change, renewals and churns in the window,
            observed churn rate, expected churns from a model of each account's features (the case mix), the
            observed/expected ratio with an exact Poisson (Garwood) 95% interval, an empirical-Bayes shrunk churn rate,
            churned ARR, each factor's mean points, and for manual factors how well each group's entries predict churn.
            Examples:
              healthscore compare --data datasets/simulated --by am
              healthscore compare --data datasets/simulated --by segment --from 2024-01-01 --format json
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var missingValues: MissingOptions
    @Option(help: ArgumentHelp("am, segment, or any accounts column.", valueName: "column")) var by: String = "am"
    @Option(help: ArgumentHelp("First outcome date counted (default: all).", valueName: "date")) var from: DateArgument?
    @Option(help: ArgumentHelp("Last outcome date counted (default: all).", valueName: "date")) var to: DateArgument?
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Date of the current scores (default: the last timeline date).", valueName: "date"))
    var asOf: DateArgument?
    @Option(
        help: ArgumentHelp(
            "Days before each decision at which the case-mix model takes the features.", valueName: "days"))
    var horizon: Int = 90
    @Option(help: ArgumentHelp("L2 penalty of the case-mix model.", valueName: "lambda")) var penalty: Double = 0

    func validate() throws {
        if horizon < 0 { throw ValidationError("--horizon must be zero or more days") }
        if let from, let to, from.day > to.day { throw ValidationError("--from is after --to") }
        if !(penalty >= 0) { throw ValidationError("--penalty must be non-negative") }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let dataset = try inputs.dataset(.configuration, required: [.accounts, .outcomes], command: "compare")
            let r = try Portfolio.compare(
                dataset, by: by,
                from: from?.day, to: to?.day, asOf: asOf?.day, horizon: horizon, penalty: penalty,
                missing: missingValues.treatment)
            try out.emit(Render.comparison(r, format: out.resolvedFormat))
        }
    }
}
