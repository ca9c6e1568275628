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

    /// DESIGN §3 written again from its text, sharing no code with the engine: each counted factor's value
    /// on 0–100 (scale, clamp, invert; a non-optional factor with no value counts 0, an optional one is left
    /// out), the total weight W of the counted factors, the weighted average and the risk penalty.
    func reference(_ rules: ScoringRules, _ s: AsOfState) -> (counted: [Int: Double], total: Double, average: Double, penalty: Double)? {
        var counted: [Int: Double] = [:]
        var total = 0.0, sum = 0.0
        for (i, f) in rules.factors.enumerated() {
            let raw = s.values[i]
            if raw.isNaN && f.optional { continue }
            var x = raw.isNaN ? 0 : raw
            if !raw.isNaN {
                if let lo = f.scaleMin, let hi = f.scaleMax { x = 100 * (x - lo) / (hi - lo) }
                x = Swift.min(Swift.max(x, 0), 100)
                if f.invert { x = 100 - x }
            }
            counted[i] = x
            total += f.weight
            sum += f.weight * x
        }
        guard total > 0 else { return nil }
        return (counted, total, sum / total, rules.riskPenalty[Int(s.risk.rawValue)])
    }

    /// The waterfall checked against an independent recomputation of both scores: the change, each factor's
    /// step by the formula of its kind, the redistribution, the penalty step, and the clamp step as what the
    /// clamp took from the unclamped change — not as the remainder the waterfall defines it by.
    @Test func waterfallMatchesAnIndependentRecomputation() throws {
        var g = SeededGenerator(seed: 303)
        var checked = 0, clamped = 0
        for _ in 0..<1000 {
            let k = 1 + g.int(below: 6)
            let rules = randomRules(&g, factors: k)
            let engine = ScoreEngine(rules: rules, stateFactors: (0..<k).map { "f\($0)" })
            let s1 = randomState(&g, factors: k, asOf: 20000), s2 = randomState(&g, factors: k, asOf: 20030)
            guard let r1 = reference(rules, s1), let r2 = reference(rules, s2) else { continue }
            let w = try Explainer.waterfall(accountId: "x", rules: rules, engine: engine, from: s1, to: s2)
            checked += 1
            let score1 = Swift.min(Swift.max(r1.average - r1.penalty, 0), 100), score2 = Swift.min(Swift.max(r2.average - r2.penalty, 0), 100)
            #expect(abs(w.fromScore - score1) < 1e-9 && abs(w.toScore - score2) < 1e-9)
            #expect(abs(w.steps.reduce(0.0) { $0 + $1.points } - (score2 - score1)) < 1e-9)
            var redistribution = 0.0
            for (i, f) in rules.factors.enumerated() {
                let step = w.steps.first { $0.factor == f.name }
                switch (r1.counted[i], r2.counted[i]) {
                case let (x1?, x2?):
                    #expect(step?.kind == .factor && abs(step!.points - f.weight * (x2 - x1) / r2.total) < 1e-9)
                    redistribution += f.weight * x1 * (1 / r2.total - 1 / r1.total)
                case let (nil, x2?):
                    #expect(step?.kind == .factorAppeared && abs(step!.points - f.weight * x2 / r2.total) < 1e-9)
                case let (x1?, nil):
                    #expect(step?.kind == .factorDisappeared && abs(step!.points + f.weight * x1 / r1.total) < 1e-9)
                case (nil, nil):
                    #expect(step == nil)
                }
            }
            func points(_ kind: WaterfallStep.Kind) -> Double { w.steps.filter { $0.kind == kind }.reduce(0) { $0 + $1.points } }
            #expect(abs(points(.redistribution) - redistribution) < 1e-9)
            // Factor, appearance, disappearance and redistribution steps together move the weighted average.
            let averageSteps = points(.factor) + points(.factorAppeared) + points(.factorDisappeared) + points(.redistribution)
            #expect(abs(averageSteps - (r2.average - r1.average)) < 1e-9)
            #expect(abs(points(.riskPenalty) + (r2.penalty - r1.penalty)) < 1e-12)
            let unclamped = (r2.average - r2.penalty) - (r1.average - r1.penalty)
            #expect(abs(points(.clamp) - ((score2 - score1) - unclamped)) < 1e-9)
            if abs((score2 - score1) - unclamped) > 1e-9 { clamped += 1 }
        }
        // The cases exercise both sides of the clamp.
        #expect(checked > 500 && clamped > 20, "\(checked) checked, \(clamped) clamped")
    }
}
