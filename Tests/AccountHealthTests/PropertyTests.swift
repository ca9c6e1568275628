import Foundation
import Testing
@testable import AccountHealth

/// Properties of the scoring rules over random configurations and states (seeded, so reproducible).
@Suite struct ScoringPropertyTests {
    func randomRules(_ g: inout SeededGenerator, factors: Int) -> ScoringRules {
        var specs: [FactorSpec] = []
        for i in 0..<factors {
            var f = FactorSpec(name: "f\(i)", weight: g.uniform() < 0.15 ? 0 : Double(1 + g.int(below: 30)))
            f.optional = g.uniform() < 0.3
            f.invert = g.uniform() < 0.3
            if g.uniform() < 0.4 { f.scaleMin = Double(g.int(below: 50)); f.scaleMax = f.scaleMin! + Double(1 + g.int(below: 500)) }
            specs.append(f)
        }
        if !specs.contains(where: { $0.weight > 0 }) { specs[0].weight = 1 }
        return ScoringRules(factors: specs, riskPenalty: [0, Double(g.int(below: 10)), Double(g.int(below: 20)), Double(g.int(below: 40))])
    }

    func randomState(_ g: inout SeededGenerator, factors: Int, asOf: Int32) -> AsOfState {
        let values = (0..<factors).map { _ in g.uniform() < 0.2 ? Double.nan : g.uniform() * 700 - 100 }
        let days: [Int32?] = values.map { $0.isNaN ? nil : asOf - Int32(g.int(below: 200)) }
        return AsOfState(asOf: asOf, latestRowDay: asOf, risk: RiskLevel(rawValue: UInt8(g.int(below: 4)))!, values: values, valueDays: days)
    }

    @Test func contributionsAddUpAndScoresStayInRange() {
        var g = SeededGenerator(seed: 101)
        for _ in 0..<2000 {
            let k = 1 + g.int(below: 8)
            let rules = randomRules(&g, factors: k)
            let engine = ScoreEngine(rules: rules, stateFactors: (0..<k).map { "f\($0)" })
            let r = engine.score(randomState(&g, factors: k, asOf: 20000))!
            guard let score = r.score, let avg = r.weightedAverage else { continue }
            let sum = r.points.compactMap { $0 }.reduce(0, +)
            #expect(abs(sum - avg) < 1e-9)
            #expect(score >= 0 && score <= 100)
            #expect(abs(score - min(max(avg - r.penalty, 0), 100)) < 1e-12)
            #expect(r.bandIndex == rules.bandIndex(score))
            #expect(r.coverage! >= 0 && r.coverage! <= 1)
        }
    }

    @Test func raisingAHealthyFactorNeverLowersTheScore() {
        var g = SeededGenerator(seed: 202)
        for _ in 0..<2000 {
            let k = 1 + g.int(below: 6)
            var rules = randomRules(&g, factors: k)
            let j = g.int(below: k)
            rules.factors[j].invert = false
            if let lo = rules.factors[j].scaleMin, let hi = rules.factors[j].scaleMax, lo > hi { rules.factors[j].scaleMax = lo + 1 }
            let engine = ScoreEngine(rules: rules, stateFactors: (0..<k).map { "f\($0)" })
            var s = randomState(&g, factors: k, asOf: 20000)
            if s.values[j].isNaN { s.values[j] = 10; s.valueDays[j] = 19990 }
            guard let before = engine.score(s)?.score else { continue }
            s.values[j] += g.uniform() * 100
            let after = engine.score(s)!.score!
            #expect(after >= before - 1e-12, "factor \(j): \(before) → \(after)")
        }
    }

    @Test func waterfallAlwaysSumsToTheChange() throws {
        var g = SeededGenerator(seed: 303)
        for _ in 0..<1000 {
            let k = 1 + g.int(below: 6)
            let rules = randomRules(&g, factors: k)
            let engine = ScoreEngine(rules: rules, stateFactors: (0..<k).map { "f\($0)" })
            let s1 = randomState(&g, factors: k, asOf: 20000), s2 = randomState(&g, factors: k, asOf: 20030)
            guard engine.score(s1)?.score != nil, engine.score(s2)?.score != nil else { continue }
            let w = try Explainer.waterfall(accountId: "x", rules: rules, engine: engine, from: s1, to: s2)
            #expect(abs(w.steps.reduce(0.0) { $0 + $1.points } - w.change) < 1e-9)
            // Without clamping the clamp step is zero.
            let a1 = engine.score(s1)!, a2 = engine.score(s2)!
            if a1.weightedAverage! - a1.penalty >= 0 && a2.weightedAverage! - a2.penalty >= 0 {
                #expect(abs(w.steps.last!.points) < 1e-9)
            }
        }
    }
}
