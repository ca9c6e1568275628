import AccountHealth
import ArgumentParser
import Foundation

struct IndicatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Which factors warned of churn, and how early: the leading/lagging table.",
        discussion: """
            For every factor and horizon: the univariate AUC of the factor's value h days before each renewal
            decision (over the decisions where it has a value, ties ½, reported ≥ 0.5 with its direction), the
            univariate logistic coefficient and the number of observations; each factor's peak horizon and
            whether it is leading or lagging (the rule is printed with the table).
            Example:
              healthscore indicators --data datasets/simulated --horizons 30,60,90,180,365
            """
    )
    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @Option(help: ArgumentHelp("Comma-separated horizons in days.", valueName: "days")) var horizons: String =
        "30,60,90,180,365"

    func parsedHorizons() throws -> [Int] {
        let hs = horizons.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !hs.isEmpty, hs.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw ValidationError("--horizons must be comma-separated whole numbers of days")
        }
        return hs.map { $0! }
    }

    func validate() throws { _ = try parsedHorizons() }

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let horizons = try parsedHorizons()
            let dataset = try inputs.dataset(.configuration, required: .outcomes, command: "indicators") { d in
                Indicators.prepare(d, horizons: horizons)
            }
            let report = try Indicators.run(dataset, horizons: horizons)
            for d in report.diagnostics { note(d.message) }
            try out.emit(Render.indicators(report, format: out.resolvedFormat))
        }
    }
}
