import AccountHealth
import Foundation
import Testing

/// A copy of the code blocks of AccountHealth.docc/GettingStarted.md, compiled and run so the article cannot rot
/// (change both together).
@Suite struct DocSnippetTests {
    @Test func gettingStartedRuns() throws {
        let saved = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(repoRoot)
        defer { FileManager.default.changeCurrentDirectoryPath(saved) }
        
        let sources = DataSources(timeline: "datasets/simulated/timeline.csv",
                                  accounts: "datasets/simulated/accounts.csv",
                                  outcomes: "datasets/simulated/outcomes.csv",
                                  config: "datasets/simulated/config.yaml")
        let config = try sources.loadConfiguration()!
        let report = try Scorer.score(sources: sources, configuration: config, accounts: try sources.loadAccounts(),
                                      asOf: Day.parse("2024-06-30"))
        for row in report.rows.prefix(3) {
            print(row.accountId, row.result.score ?? .nan, row.band ?? "", row.change ?? .nan)
        }
        
        let outcomes = try OutcomesTable.read(path: sources.outcomes!)
        let observations = try Observations.build(sources: sources, outcomes: outcomes,
                                                  factors: config.base.factors.map(\.name),
                                                  options: ObservationOptions(horizons: [90]))[0]
        let fit = try FitAnalysis.run(observations, rules: config.base, options: FitOptions(bootstrap: 50))
        print(fit.model.names, fit.model.coefficients, fit.model.standardErrors)
        print(fit.cv.auc ?? .nan, fit.weights?.suggested ?? [])
        
        let ranking = try Ranking.rank(sources: sources, configuration: config, accounts: try sources.loadAccounts(),
                                       outcomes: outcomes, asOf: Day.parse("2024-06-30"), top: 20)
        for r in ranking.rows { print(r.rank, r.accountId, r.churnProbability, r.arrAtRisk ?? 0, r.drivers) }
        
        let design = try SurvivalDesign.build(sources: sources, outcomes: outcomes, factors: config.base.factors.map(\.name),
                                              options: SurvivalDesignOptions(censorAt: Day.parse("2024-06-30")))
        let cox = try CoxRegression(ties: .efron).fit(design.data)
        print(cox.names, cox.hazardRatios, cox.robustStandardErrors, cox.concordance)
        for account in design.current.prefix(3) {
            print(account.accountId, cox.churnProbability(x: account.values, age: Double(account.age), horizon: 90))
        }
    }
}
