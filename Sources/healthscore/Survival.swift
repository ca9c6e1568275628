import AccountHealth
import ArgumentParser
import Foundation

extension CoxRegression.Ties: ExpressibleByArgument {}
extension SurvivalOptions.Models: ExpressibleByArgument {}

struct SurvivalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "survival",
        abstract: "Time to churn: Cox regression with time-varying factors, and a discrete-time hazard model.",
        discussion: """
            Counting-process rows from the timeline (DESIGN §4): time is days since the account's first row; each row
            opens the interval to the next one with the factor values in force (raw, carried forward); the first churn
            ends the interval that contains it; an account that never churned is censored at its last row; an interval
            with a factor that has no value yet is dropped and counted. Cox: Efron ties (or Breslow), model-based and
            account-clustered robust errors, concordance, Breslow baseline. Discrete-time: logistic per interval with
            log(1 + age). Predictions: each active account's probability of churning within --horizon days given its
            age, with its factors held at today's values.
            Examples:
              healthscore survival --data datasets/simulated
              healthscore survival --data datasets/simulated --format json --predictions risk.csv --save-model cox.json
              healthscore survival --data datasets/simulated --predictions risk.csv --curve 30,90,180,365
              healthscore survival --data datasets/simulated --as-of 2024-06-30 --horizon 180 --ties breslow
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @Option(help: ArgumentHelp("Tied churn days: efron or breslow.", valueName: "method")) var ties:
        CoxRegression.Ties = .efron
    @Option(help: ArgumentHelp("L2 (ridge) penalty λ on the coefficients.", valueName: "lambda")) var penalty: Double =
        0
    @Option(help: ArgumentHelp("Which models: cox, discrete or both.", valueName: "which")) var models:
        SurvivalOptions.Models = .both
    @Option(help: ArgumentHelp("Days ahead for the churn probabilities.", valueName: "days")) var horizon: Int = 90
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "Fit only what was known on this date (later rows and churns left out) and predict for the accounts "
                + "active then (default: all data, predictions at the last timeline date).",
            valueName: "date"))
    var asOf: DateArgument?
    @Option(help: ArgumentHelp("Write each active account's churn probability (CSV) here.", valueName: "file"))
    var predictions: String?
    @Option(
        help: ArgumentHelp(
            "Also write each account's survival curve at these days ahead (columns survival_<d>d of --predictions).",
            valueName: "days,…"))
    var curve: String?

    var curveDays: [Int] {
        curve.map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } } ?? []
    }
    @Option(
        name: .customLong("save-model"),
        help: ArgumentHelp("Save the Cox model (JSON) for `rank --model`.", valueName: "file"))
    var saveModel: String?

    func validate() throws {
        if horizon <= 0 { throw ValidationError("--horizon must be a positive number of days") }
        if !(penalty >= 0) || !penalty.isFinite { throw ValidationError("--penalty must be a non-negative number") }
        if let curve {
            let parts = curve.split(separator: ",", omittingEmptySubsequences: false)
            guard !parts.isEmpty,
                parts.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)).map { $0 > 0 } ?? false })
            else {
                throw ValidationError("--curve takes positive whole days separated by commas, e.g. 30,90,180,365")
            }
            if predictions == nil {
                throw ValidationError("--curve adds columns to --predictions: give --predictions FILE too")
            }
        }
        if models == .discrete && (predictions != nil || saveModel != nil) {
            throw ValidationError("--predictions and --save-model need the Cox model (--models cox or both)")
        }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let dataset = try inputs.dataset(.configuration, required: .outcomes, command: "survival")
            if dataset.configuration == nil { note("no configuration: every timeline factor is a covariate") }
            let design = try SurvivalDesign.build(dataset, options: SurvivalDesignOptions(censorAt: asOf?.day))
            let report: SurvivalReport
            do {
                report = try SurvivalAnalysis.run(
                    design,
                    options: SurvivalOptions(
                        ties: ties, penalty: penalty, models: models, horizon: horizon,
                        curve: curveDays, predict: predictions != nil || out.resolvedFormat == .table))
            } catch let e as ModelError {
                throw InputError(
                    .modelFailure, Location(file: dataset.outcomes?.file ?? "outcomes"),
                    "cannot fit the time-to-churn model: \(e.description)\(modelHint(e))")
            }
            for d in report.diagnostics { note(d.message) }
            try out.emit(Render.survival(report, format: out.resolvedFormat))
            if let predictions {
                let w = try FileWriter(path: predictions)
                try w.write(Render.survivalPredictionsCSV(report))
                try w.close()
                note("wrote \(report.predictions.count) predictions to \(predictions)")
            }
            if let saveModel, let cox = report.cox {
                let m = SavedModel(cox: cox, horizonDays: horizon, lastOutcomeDate: design.lastChurnDay.map(Day.format))
                let w = try FileWriter(path: saveModel)
                try w.write(m.json())
                try w.close()
                note("saved the model to \(saveModel)")
            }
        }
    }
}
