import Foundation
import Testing

@testable import AccountHealth

/// The landmark evaluation's metrics against scikit-survival 0.28 (Tests/Reference/landmark_reference.py).
@Suite struct LandmarkMetricTests {
    func loadCase() throws -> (time: [Double], event: [Bool], survival: [[Double]], ref: [String: Any]) {
        let ref = try fixtureJSON("landmark_case.json")
        let text = try String(contentsOfFile: "\(fixtures)/landmark_case.csv", encoding: .utf8)
        var time: [Double] = [], event: [Bool] = []
        var survival = [[Double]](repeating: [], count: 4)
        for line in text.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",").map { Double($0)! }
            time.append(cells[0])
            event.append(cells[1] == 1)
            for k in 0..<4 { survival[k].append(cells[2 + k]) }
        }
        return (time, event, survival, ref)
    }

    @Test func matchesScikitSurvival() throws {
        let c = try loadCase()
        let e = SurvivalMetrics.evaluate(time: c.time, event: c.event, survival: c.survival, times: [30, 90, 180, 365])
        func close(_ a: Double?, _ b: Double, _ what: String) {
            #expect(a != nil && abs(a! - b) <= 1e-10 * max(1, abs(b)), "\(what): \(String(describing: a)) vs \(b)")
        }
        for k in 0..<4 {
            close(e.brier[k], (c.ref["brier"] as! [Double])[k], "brier \(k)")
            close(e.brierKM[k], (c.ref["brier_km"] as! [Double])[k], "brier_km \(k)")
            close(e.survivalKM[k], (c.ref["km"] as! [Double])[k], "km \(k)")
            close(e.auc[k], (c.ref["auc"] as! [Double])[k], "auc \(k)")
        }
        close(e.integratedBrier, c.ref["integrated_brier"] as! Double, "integrated_brier")
        close(e.integratedBrierKM, c.ref["integrated_brier_km"] as! Double, "integrated_brier_km")
        close(e.meanAUC, c.ref["mean_auc"] as! Double, "mean_auc")
        close(e.concordanceIPCW, c.ref["concordance_ipcw"] as! Double, "concordance_ipcw")
    }

    @Test func handWorkedCensoringDistributionAndBrier() {
        // Times 1, 2, 2, 3, 4 with events at 1, 2 (one of the two), 4. G: at 2 the churn leaves first, then the
        // censoring: 1 − 1/(4 − 1 − 1)... worked by hand: at risk 5, 4, 2, 1 at times 1, 2, 3, 4.
        let time: [Double] = [1, 2, 2, 3, 4], event = [true, true, false, false, true]
        let g = SurvivalMetrics.kaplanMeier(time: time, event: event, reverse: true)
        // t=1: 0 censored → 1; t=2: 1 censored of (4 − 1) → 2/3; t=3: 1 of (2 − 0) → 1/3; t=4: 0 → 1/3.
        #expect(g.values.map { ($0 * 1e12).rounded() / 1e12 } == [1, 0.666666666667, 0.333333333333, 0.333333333333])
        #expect(g.value(at: 0.5) == 1 && g.value(at: 2.5) == g.values[1])
        let km = SurvivalMetrics.kaplanMeier(time: time, event: event, reverse: false)
        // KM: 4/5, then × (1 − 1/4) = 3/5, then × 1 (no churn at 3), × (1 − 1/1) = 0.
        #expect(km.values.map { ($0 * 1e12).rounded() / 1e12 } == [0.8, 0.6, 0.6, 0])
        // Brier at t = 2 with S = 0.5 for everyone: cases (1, 2 churned) weigh 1/G(y); controls (3, 4) 1/G(2).
        let b = SurvivalMetrics.brier(
            time: time, event: event, survival: [[0.5, 0.5, 0.5, 0.5, 0.5]], times: [2], censoring: g)
        let expected = (0.25 / 1 + 0.25 / (2.0 / 3) + 0.25 / (2.0 / 3) * 2) / 5
        #expect(abs(b[0] - expected) < 1e-15)
    }
}
