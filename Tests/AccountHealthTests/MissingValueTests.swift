import Foundation
import Testing

@testable import AccountHealth

/// The missing-value treatments of DESIGN §13: statsmodels on the same design, hand-worked designs, the saved
/// model's fill values, and a header-only outcomes file.
@Suite struct MissingValueTests {
    @Test(arguments: ["indicator", "mean", "drop"])
    func fitMatchesStatsmodelsOnTheBundledData(_ treatment: String) throws {
        let ref = try fixtureJSON("missing_\(treatment)_simulated.json")
        let data = try DataFiles.directory("\(repoRoot)/datasets/simulated").load()
        let config = data.configuration!
        let obs = try Observations.build(data, factors: config.base.factors.map(\.name), options: ObservationOptions())[0]
        let report = try FitAnalysis.run(
            obs, rules: nil, options: FitOptions(missing: MissingTreatment(rawValue: treatment)!))
        #expect(report.design.rows.count == ref["observations"] as! Int)
        #expect(obs.noHistory == ref["not_observed"] as! Int)
        #expect(report.design.dropped == ref["dropped"] as! Int)
        #expect(["intercept"] + report.design.names == ref["names"] as! [String])
        let est = ref["coefficients"] as! [Double], se = ref["std_errors"] as! [Double]
        for j in est.indices {
            #expect(relClose(report.model.coefficients[j], est[j], 1e-8), "\(treatment) estimate \(j)")
            #expect(relClose(report.model.standardErrors[j], se[j], 1e-7), "\(treatment) std error \(j)")
        }
        #expect(relClose(report.model.logLikelihood, ref["log_likelihood"] as! Double, 1e-10))
    }

    @Test func handWorkedIndicatorDesign() {
        // a: missing in rows 1 and 3 (outcomes 1 and 0: an indicator); b: missing in row 2 only, which renewed
        // (its indicator alone separates: left out, b only filled); c: missing everywhere (left out); d: missing in
        // rows 1 and 3 like a (one indicator stands for both).
        let nan = Double.nan
        let x = Matrix(
            rows: 4, columns: 4,
            storage: [2, nan, 4, nan] + [1, 3, nan, 5] + [nan, nan, nan, nan] + [7, nan, 9, nan])
        let y: [Double] = [0, 1, 0, 0]
        let d = MissingValues.treat(x, names: ["a", "b", "c", "d"], y: y, treatment: .indicator)
        #expect(d.names == ["a", "b", "d", "a_missing"])
        #expect(d.rows == [0, 1, 2, 3])
        #expect(d.x.column(0) == [2, 3, 4, 3])
        #expect(d.x.column(1) == [1, 3, 3, 5])
        #expect(d.x.column(2) == [7, 8, 9, 8])
        #expect(d.x.column(3) == [0, 1, 0, 1])
        #expect(d.filled == [2, 1, 0, 2])
        #expect(d.missing == [2, 1, 4, 2])
        #expect(d.indicators == ["a"])
        #expect(d.used == [true, true, false, true])
        #expect(d.dropped == 0)
        #expect(
            d.diagnostics.map(\.kind) == [.allMissing, .indicatorSeparates, .sameMissingRows])
        let m = MissingValues.treat(x, names: ["a", "b", "c", "d"], y: y, treatment: .mean)
        #expect(m.names == ["a", "b", "d"])
        let dr = MissingValues.treat(x, names: ["a", "b", "c", "d"], y: y, treatment: .drop)
        #expect(dr.rows.isEmpty && dr.dropped == 4)
        let complete = MissingValues.treat(
            Matrix(rows: 4, columns: 2, storage: [2, nan, 4, 5] + [1, 3, 4, 5]), names: ["a", "b"], y: y,
            treatment: .drop)
        #expect(complete.rows == [0, 2, 3] && complete.dropped == 1 && complete.x.column(0) == [2, 4, 5])
    }

    @Test func theSavedModelKeepsItsFillValuesAndRankAppliesThem() throws {
        let data = try DataFiles.directory("\(repoRoot)/datasets/simulated").load()
        let config = data.configuration!
        let obs = try Observations.build(data, factors: config.base.factors.map(\.name), options: ObservationOptions())[0]
        let report = try FitAnalysis.run(obs, rules: nil, options: FitOptions())
        let model = SavedModel(fit: report.model, observations: obs, design: report.design, trendDays: nil)
        let dir = TempDir()
        let path = dir.write("model.json", model.json())
        let loaded = try SavedModel.load(path: path)
        #expect(loaded == model)
        #expect(loaded.missingTreatment == .indicator)
        #expect(loaded.indicators == ["qbr", "satisfaction", "usage"])
        // The fill values are the observed means, written at full precision.
        let qbr = obs.x.column(obs.featureNames.firstIndex(of: "qbr")!).filter { !$0.isNaN }
        #expect(loaded.fill.first { $0.factor == "qbr" }!.value == qbr.reduce(0, +) / Double(qbr.count))
        // rank --model: an account with a factor missing gets the fill value and <factor>_missing = 1; its
        // probability is σ(b0 + Σ β·x) with exactly those, worked out here from the coefficients.
        let ranked = try Ranking.rank(data, savedModel: loaded, modelFile: path, asOf: day("2024-03-31"))
        let asOf = ranked.asOf
        var acc = AsOfAccumulator(queryDays: [asOf], factors: obs.featureNames, trendDays: nil)
        let summary = try data.timeline.read(into: &acc)
        acc.finish()
        let qbrSlot = obs.featureNames.firstIndex(of: "qbr")!
        let row = ranked.rows.first { r in
            acc.state(account: Int(summary.accounts.lookup(r.accountId)!), query: 0).values[qbrSlot].isNaN
        }!
        #expect(row.imputed.contains("qbr"))
        let st = acc.state(account: Int(summary.accounts.lookup(row.accountId)!), query: 0)
        var eta = loaded.intercept
        for (j, name) in loaded.features.enumerated() {
            let v: Double
            if name.hasSuffix("_missing") {
                v = st.values[obs.featureNames.firstIndex(of: String(name.dropLast(8)))!].isNaN ? 1 : 0
            } else {
                let raw = st.values[obs.featureNames.firstIndex(of: name)!]
                v = raw.isNaN ? loaded.fill.first { $0.factor == name }!.value : raw
            }
            eta += loaded.coefficients[j] * v
        }
        #expect(relClose(try #require(row.churnProbability), 1 / (1 + exp(-eta)), 1e-12))
    }

    @Test func aHeaderOnlyOutcomesFileIsZeroOutcomes() throws {
        let dir = TempDir()
        let path = dir.write("outcomes.csv", "account_id,date,outcome,arr\n")
        let t = try OutcomesTable.read(path: path)
        #expect(t.count == 0)
    }
}
