import AccountHealth
import ArgumentParser
import Foundation

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract:
            "How would this configuration have done? Backtest, calibration, and preview of another configuration.",
        discussion: """
            Cutoffs every --step days; at each, every account with a renewal decision in (cutoff, cutoff + horizon]
            is scored as of the cutoff. Reports AUC, top-decile lift, precision at k and churn rate per band, per
            cutoff and pooled; an isotonic map from score to churn probability with its reliability by band and by
            score decile; with --against, the same for the other configuration plus a band × band matrix and the
            rank correlation of the two scores.
            Examples:
              healthscore backtest --data datasets/simulated --step 30 --horizon 90
              healthscore backtest --data datasets/simulated --against suggested.yaml
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @Option(help: ArgumentHelp("Days after each cutoff in which a renewal decision counts.", valueName: "days"))
    var horizon: Int = 90
    @Option(help: ArgumentHelp("Days between cutoffs.", valueName: "days")) var step: Int = 30
    @Option(help: ArgumentHelp("First cutoff (default: the first timeline date).", valueName: "date")) var from:
        DateArgument?
    @Option(help: ArgumentHelp("Last cutoff (default: the day before the last outcome).", valueName: "date")) var to:
        DateArgument?
    @Option(name: .customLong("k"), help: ArgumentHelp("k of precision at k.", valueName: "k")) var k: Int = 50
    @Option(help: ArgumentHelp("Another configuration to preview against this one.", valueName: "file")) var against:
        String?

    func validate() throws {
        if horizon <= 0 || step <= 0 || k <= 0 { throw ValidationError("--horizon, --step and --k must be positive") }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            var dataset = try inputs.dataset([], required: .configuration, command: "backtest")
            let config = try dataset.requireConfiguration("backtest")
            let other = try against.map { ($0, try Configuration.load(path: $0)) }
            // The accounts file only matters for per-segment weights.
            if !config.segments.isEmpty || !(other?.1.segments.isEmpty ?? true) {
                try inputs.add(.accounts, to: &dataset, command: "backtest")
            }
            try inputs.add([], required: .outcomes, to: &dataset, command: "backtest")
            let report = try Backtest.run(
                dataset,
                options: BacktestOptions(horizon: horizon, step: step, from: from?.day, to: to?.day, k: k),
                against: other.map { (file: $0.0, configuration: $0.1) })
            try out.emit(Render.backtest(report, format: out.resolvedFormat))
            if let h = dataset.history {
                note("each cutoff scored under the version in force then (\(h.versions.count) versions in \(h.name))")
            }
        }
    }
}
