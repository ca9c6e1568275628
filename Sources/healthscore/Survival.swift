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
            with a factor that has no value yet is treated by --missing (DESIGN §13; indicator by default). Cox: Efron
            ties (or Breslow), model-based and account-clustered robust errors, concordance, Breslow baseline.
            Discrete-time: logistic per interval with log(1 + age). Predictions: each active account's probability of
            churning within --horizon days given its age, with its factors held at today's values. --landmark DATE
            fits on what was known then and scores the predictions of the accounts at risk (DESIGN §14).
            Examples:
              healthscore survival --data datasets/simulated
              healthscore survival --data datasets/simulated --format json --predictions risk.csv --save-model cox.json
              healthscore survival --data datasets/simulated --predictions risk.csv --curve 30,90,180,365
              healthscore survival --data datasets/simulated --as-of 2024-06-30 --horizon 180 --ties breslow
              healthscore survival --data datasets/simulated --landmark 2024-01-01 --times 30,90,180,300 \\
            --predictions landmark.csv
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var missingValues: MissingOptions
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
    @Option(
        help: ArgumentHelp(
            "Fit on what was known at this date and evaluate the predictions on the accounts at risk then "
                + "(DESIGN §14): Brier scores, AUC by time, Uno's concordance.",
            valueName: "date"))
    var landmark: DateArgument?
    @Option(
        help: ArgumentHelp(
            "Days after the landmark at which the predictions are evaluated (increasing).", valueName: "days,…"))
    var times: String?

    /// `--times` as numbers (the library checks that they are positive and increasing).
    func landmarkTimes() throws -> [Int] {
        guard let times else { return [30, 90, 180, 365] }
        var out: [Int] = []
        for (k, part) in times.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw InputError(
                    .invalidEvaluation, Location(file: "--times", column: k + 1), value: String(part),
                    "--times takes whole days separated by commas, e.g. 30,90,180,365")
            }
            out.append(v)
        }
        return out
    }

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
        if landmark != nil && asOf != nil {
            throw ValidationError("--landmark and --as-of both set the date the fit knows: give one")
        }
        if times != nil && landmark == nil { throw ValidationError("--times needs --landmark") }
        if landmark != nil && curve != nil {
            throw ValidationError("--curve is for the predictions at --as-of; with --landmark, --times sets the days")
        }
        if models == .discrete && (predictions != nil || saveModel != nil || landmark != nil) {
            throw ValidationError(
                "--predictions, --save-model and --landmark need the Cox model (--models cox or both)")
        }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let dataset = try inputs.dataset(.configuration, required: .outcomes, command: "survival")
            if dataset.configuration == nil { note("no configuration: every timeline factor is a covariate") }
            let evaluationTimes = landmark == nil ? nil : try landmarkTimes()
            // The design's large buffers (the timeline's rows, the intervals, their treated copy, the Cox engine's
            // sorted copy) go back to the system when freed: the resident peak then follows the live ones. The read
            // is a small part of this command, so its chunk buffers being mapped anew costs little here.
            returnLargeBlocks()
            let design = try SurvivalDesign.build(
                dataset,
                options: SurvivalDesignOptions(
                    censorAt: asOf?.day, missing: missingValues.treatment, landmark: landmark?.day))
            let report: SurvivalReport
            do {
                report = try SurvivalAnalysis.run(
                    design,
                    options: SurvivalOptions(
                        ties: ties, penalty: penalty, models: models, horizon: horizon,
                        curve: curveDays,
                        predict: (predictions != nil && landmark == nil) || out.resolvedFormat == .table,
                        landmarkTimes: evaluationTimes))
            } catch let e as ModelError {
                throw InputError(
                    .modelFailure, Location(file: dataset.outcomes?.file ?? "outcomes"),
                    "cannot fit the time-to-churn model: \(e.description)\(modelHint(e))")
            }
            for d in report.diagnostics { note(d.message) }
            try out.emit(Render.survival(report, format: out.resolvedFormat))
            if let predictions, let e = report.evaluation {
                let w = try FileWriter(path: predictions)
                try w.write(Render.landmarkPredictionsCSV(e))
                try w.close()
                note("wrote \(e.predictions.count) accounts' survival at \(e.times.count) times to \(predictions)")
            } else if let predictions {
                let w = try FileWriter(path: predictions)
                try w.write(Render.survivalPredictionsCSV(report))
                try w.close()
                note("wrote \(report.predictions.count) predictions to \(predictions)")
            }
            if let saveModel, let cox = report.cox {
                let m = SavedModel(
                    cox: cox, horizonDays: horizon, lastOutcomeDate: design.lastChurnDay.map(Day.format),
                    treatment: report.design.treatment)
                let w = try FileWriter(path: saveModel)
                try w.write(m.json())
                try w.close()
                note("saved the model to \(saveModel)")
            }
        }
    }
}
