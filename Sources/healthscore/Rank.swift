import AccountHealth
import AccountHealthWebhooks
import ArgumentParser
import Foundation

struct RankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Rank active accounts by ARR at risk: churn probability, score, band, drivers, renewal date.",
        discussion: """
            The model is --model FILE (from `fit --save-model`) or one fitted on the outcomes dated on or before
            --as-of only, so no future outcome leaks into the ranking. Features are taken at --as-of; a feature with
            no value yet is imputed with the training mean and listed in 'imputed'. Drivers are the factors with the
            largest β·(x − mean). CSV columns: rank, account_id, am, segment, churn_probability, score, band, change,
            arr, arr_at_risk, renewal_date, driver_1, driver_2, driver_3, then imputed.
            Examples:
              healthscore rank --data datasets/simulated --as-of 2024-06-30 --top 20
              healthscore rank --data datasets/simulated --model model.json --format csv -o risks.csv
              healthscore rank --data datasets/simulated --am "Ana Silva" --band red   # one AM's red accounts
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var writeBack: WriteBackOptions
    @OptionGroup var missingValues: MissingOptions
    @OptionGroup var delivery: WebhookArguments
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Rank as of this date (default: the last timeline date).", valueName: "date"))
    var asOf: DateArgument?
    @Option(help: ArgumentHelp("A saved model (fit --save-model).", valueName: "file")) var model: String?
    @Option(help: ArgumentHelp("Horizon of the fitted model, in days.", valueName: "days")) var horizon: Int = 90
    @Option(help: ArgumentHelp("L2 penalty of the fitted model.", valueName: "lambda")) var penalty: Double = 0
    @Option(help: ArgumentHelp("Only the first N accounts.", valueName: "n")) var top: Int?
    @Option(help: ArgumentHelp("Only this account manager's accounts (ranked again from 1).", valueName: "am"))
    var am: String?
    @Option(help: ArgumentHelp("Only this segment's accounts (ranked again from 1).", valueName: "segment"))
    var segment: String?
    @Option(help: ArgumentHelp("Only the accounts in this band (ranked again from 1).", valueName: "band"))
    var band: String?

    func validate() throws {
        if horizon < 0 { throw ValidationError("--horizon must be zero or more days") }
        if let top, top <= 0 { throw ValidationError("--top must be positive") }
        if !(penalty >= 0) { throw ValidationError("--penalty must be non-negative") }
        try writeBack.validate(inputs)
        if delivery.webhook != nil && top == nil {
            throw ValidationError("--webhook sends the accounts most at risk: give --top N")
        }
    }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let dataset = try inputs.dataset(
                .all, required: model == nil ? .outcomes : [], command: "rank without --model")
            let saved = try model.map { try SavedModel.load(path: $0) }
            let filtering = am != nil || segment != nil || band != nil
            var r = try Ranking.rank(
                dataset, savedModel: saved, modelFile: model, asOf: asOf?.day, horizon: horizon, penalty: penalty,
                top: filtering ? nil : top, missing: missingValues.treatment)
            if filtering {
                // The part of the book asked for, then its first N (the studio's portfolio export, filtered).
                r = r.filtered { row in
                    (am == nil || row.am == am) && (segment == nil || row.segment == segment)
                        && (band == nil || row.band == band)
                }
                if let top { r.rows = Array(r.rows.prefix(top)) }
            }
            for d in r.diagnostics { note(d.message) }
            try out.emit(Render.ranking(r, format: out.resolvedFormat))
            if writeBack.toTable != nil {
                try writeBack.write(csv: Render.ranking(r, format: .csv), asOf: r.asOf, inputs: inputs)
            }
            if delivery.webhook != nil {
                let cfg = dataset.history?.version(at: r.asOf).configuration ?? dataset.configuration
                try delivery.send(
                    WebhookMessage(
                        type: "healthscore.rank", asOf: r.asOf, configVersion: r.configVersion,
                        configuration: cfg ?? .equalWeights([]), rows: r.rows.map { JSON.encode($0) }))
            }
        }
    }
}
