import AccountHealth
import Foundation
import Testing

/// The code blocks of AccountHealth.docc/GettingStarted.md, compiled and run so the article cannot rot
/// (change both together), with what each block prints checked: against the statsmodels fixture where
/// there is one, and against properties the article promises where there is not.
@Suite struct DocSnippetTests {
    @Test func gettingStartedRuns() throws {
        let saved = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(repoRoot)
        defer { FileManager.default.changeCurrentDirectoryPath(saved) }

        let dataset = try DataFiles.directory("datasets/simulated").load(timeline: .memory)
        #expect(dataset.timeline is Timeline && dataset.accounts != nil && dataset.outcomes != nil && dataset.configuration != nil)

        let report = try Scorer.score(dataset, asOf: Day.parse("2024-06-30"))
        let scored = report.rows.compactMap { $0.result.score }
        #expect(report.rows.count + report.notYetStarted[0] == (dataset.timeline as! Timeline).accountCount)
        #expect(!scored.isEmpty && scored.allSatisfy { $0 >= 0 && $0 <= 100 })
        #expect(report.rows.map(\.accountId) == report.rows.map(\.accountId).sorted())
        // The same scores as streaming the file.
        let streamed = try Scorer.score(try DataFiles.directory("datasets/simulated").load(), asOf: Day.parse("2024-06-30"))
        #expect(streamed.rows.map(\.result.score) == report.rows.map(\.result.score) && streamed.rows.map(\.change) == report.rows.map(\.change))

        let config = dataset.configuration!
        let observations = try Observations.build(dataset, factors: config.base.factors.map(\.name),
                                                  options: ObservationOptions(horizons: [90]))[0]
        let fit = try FitAnalysis.run(observations, rules: config.base, options: FitOptions(bootstrap: 50))
        let terms = fit.model.terms().terms
        // statsmodels' estimates and standard errors on the indicator design (Tests/Reference/missing_reference.py).
        let ref = try Reference(fixture: "missing_indicator_simulated.json")
        #expect(terms.map(\.name) == fit.model.names)
        checkFit(fit.model, [
            Check(.coefficients, ref.numbers("coefficients"), 1e-7, seFraction: 1e-6),
            Check(.standardErrors, ref.numbers("std_errors"), 1e-6),
        ], names: fit.model.names, label: "getting started")
        for term in terms { #expect(abs(term.ciLow! - (term.estimate - 1.959963984540054 * term.standardError!)) < 1e-12) }
        #expect(fit.cv.auc! > 0.75 && fit.weights!.suggested.reduce(0, +) > 99.999 && fit.weights!.suggested.reduce(0, +) < 100.001)

        let ranking = try Ranking.rank(dataset, asOf: Day.parse("2024-06-30"), top: 20)
        #expect(ranking.rows.count == 20 && ranking.rows.map(\.rank) == Array(1...20))
        #expect(zip(ranking.rows, ranking.rows.dropFirst()).allSatisfy { ($0.arrAtRisk ?? 0) >= ($1.arrAtRisk ?? 0) })
        #expect(ranking.rows.allSatisfy { ($0.churnProbability ?? 0) > 0 && ($0.churnProbability ?? 1) < 1 && !$0.drivers.isEmpty })

        let design = try SurvivalDesign.build(
            dataset, options: SurvivalDesignOptions(censorAt: Day.parse("2024-06-30"), missing: .drop))
        let cox = try CoxRegression(ties: .efron).fit(design.data)
        #expect(cox.names == config.base.factors.map(\.name))
        #expect(cox.concordance > 0.7 && cox.concordance <= 1 && cox.hazardRatios.allSatisfy { $0 > 0 })
        // Three accounts' probabilities (a factor with no value yet takes the fill value).
        let p = design.current.prefix(3).map { cox.churnProbability(x: design.treatment.row($0.values).x, age: Double($0.age), horizon: 90) }
        #expect(p.count == 3 && p.allSatisfy { $0 >= 0 && $0 < 1 })

        let html = try ReportBuilder.build(dataset, options: ReportOptions(asOf: Day.parse("2024-06-30"))).html
        #expect(html.hasPrefix("<!doctype html>") && html.contains("Account health report, 2024-06-30"))
    }
}
