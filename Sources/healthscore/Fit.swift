import AccountHealth
import ArgumentParser
import Foundation

/// Options shared by the modelling commands.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Days before each renewal decision at which the features are taken.", valueName: "days"))
    var horizon: Int = 90
    @OptionGroup var missingValues: MissingOptions
    @Option(
        help: ArgumentHelp(
            "Add each factor's least-squares slope per 30 days over the DAYS before T − h.", valueName: "days"))
    var trend: Int?
    @Option(help: ArgumentHelp("L2 (ridge) penalty λ on the coefficients, not the intercept.", valueName: "lambda"))
    var penalty: Double = 0

    func validate() throws {
        if horizon < 0 { throw ValidationError("--horizon must be zero or more days") }
        if let trend, trend <= 0 { throw ValidationError("--trend must be a positive number of days") }
        if !(penalty >= 0) || !penalty.isFinite { throw ValidationError("--penalty must be a non-negative number") }
    }

    var observationOptions: ObservationOptions {
        ObservationOptions(horizons: [horizon], trendDays: trend)
    }
}

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the churn model, cross-validate it, and suggest better weights.",
        discussion: """
            Observations: one per outcome row, with every configuration factor's value --horizon days before
            the decision (latest value on or before that date). The logistic model reports estimates with
            standard errors, z, p-values, 95% intervals, odds ratios and standardised coefficients; the
            constrained model (c ≥ 0 on 0–100 factors) gives the suggested weights, compared with the current
            ones by AUC on the same folds.
            Examples:
              healthscore fit --data datasets/simulated
              healthscore fit --data datasets/simulated --bootstrap 200 --write-config suggested.yaml \
            --save-model model.json
              healthscore fit --data datasets/simulated --horizon 180 --missing drop --format json
            """
    )

    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var model: ModelOptions
    @Option(help: ArgumentHelp("Cross-validation folds (grouped by account).", valueName: "k")) var folds: Int = 5
    @Option(help: "Seed for the folds and the bootstrap.") var seed: UInt64 = 1
    @Option(
        help: ArgumentHelp("Bootstrap resamples of accounts for intervals on the suggested weights.", valueName: "n"))
    var bootstrap: Int = 0
    @Option(
        name: .customLong("write-config"),
        help: ArgumentHelp("Write the configuration with the suggested weights here.", valueName: "file"))
    var writeConfig: String?
    @Option(
        name: .customLong("save-model"),
        help: ArgumentHelp("Save the fitted model (JSON) for `rank --model`.", valueName: "file"))
    var saveModel: String?
    @Flag(
        name: .customLong("keep-penalties"),
        help: "Keep the configured risk penalties instead of fitting them with the suggested weights.")
    var keepPenalties = false

    func validate() throws {
        if folds < 2 { throw ValidationError("--folds must be at least 2") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be zero or more") }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let options = model.observationOptions
            let dataset = try inputs.dataset(.configuration, required: .outcomes, command: "fit") { d in
                Observations.prepare(d, factors: d.configuration?.base.factors.map(\.name), options: options)
            }
            let config = dataset.configuration
            let sets = try Observations.build(dataset, factors: config?.base.factors.map(\.name), options: options)
            let obs = sets[0]
            // The timeline's read is over: the fit's large buffers go back to the system when freed.
            returnLargeBlocks()
            if config == nil {
                note("no configuration: every timeline factor is a feature, and no weights are suggested")
            }
            let report: FitReport
            do {
                report = try FitAnalysis.run(
                    obs, rules: config?.base,
                    options: FitOptions(
                        penalty: model.penalty, folds: folds, seed: seed, bootstrap: bootstrap,
                        missing: model.missingValues.treatment, keepPenalties: keepPenalties))
            } catch let e as ModelError {
                throw InputError(
                    .modelFailure, Location(file: dataset.outcomes?.file ?? "outcomes"),
                    "cannot fit: \(e.description)\(modelHint(e))")
            }
            for d in report.diagnostics { note(d.message) }
            try out.emit(Render.fit(report, format: out.resolvedFormat))
            if let writeConfig, let config, let w = report.weights {
                var c = config
                for (i, f) in c.base.factors.enumerated() {
                    if let k = w.factors.firstIndex(where: { $0.lowercased() == f.name.lowercased() }) {
                        c.base.factors[i].weight = w.suggested[k]
                    }
                }
                c.base.riskPenalty = w.suggestedPenalties
                guard
                    FileManager.default.createFile(
                        atPath: writeConfig,
                        contents: Data(
                            ("# Suggested by healthscore fit (the score's own rule, DESIGN §13: horizon "
                                + "\(obs.horizon) days, \(obs.count) observations)\n"
                                + c.yaml()).utf8))
                else {
                    throw InputError(.unreadableFile, Location(file: writeConfig), "cannot write the configuration")
                }
                note("wrote the suggested configuration to \(writeConfig)")
            } else if writeConfig != nil {
                throw InputError(
                    .invalidArgument, Location(file: "--write-config"),
                    "--write-config needs a configuration to start from")
            }
            if let saveModel {
                let m = SavedModel(
                    fit: report.model, observations: obs, design: report.design, trendDays: model.trend)
                guard FileManager.default.createFile(atPath: saveModel, contents: Data(m.json().utf8)) else {
                    throw InputError(.unreadableFile, Location(file: saveModel), "cannot write the model file")
                }
                note("saved the model to \(saveModel)")
            }
        }
    }
}
