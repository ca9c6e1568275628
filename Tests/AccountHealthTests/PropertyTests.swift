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
        var rules = ScoringRules(factors: specs, riskPenalty: [0, Double(g.int(below: 10)), Double(g.int(below: 20)),
                                                               Double(g.int(below: 40))])
        if g.uniform() < 0.5 {
            // Other bands: two to four, thresholds rising, the last without `below`.
            var below = 0.0
            rules.bands = (0..<(1 + g.int(below: 3))).map { i in
                below += Double(1 + g.int(below: 40))
                return Band(name: "b\(i)", below: below)
            } + [Band(name: "top", below: nil)]
        }
        return rules
    }

    func randomState(_ g: inout SeededGenerator, factors: Int, asOf: Int32) -> AsOfState {
        let values = (0..<factors).map { _ in g.uniform() < 0.2 ? Double.nan : g.uniform() * 700 - 100 }
        let days: [Int32?] = values.map { $0.isNaN ? nil : asOf - Int32(g.int(below: 200)) }
        return AsOfState(asOf: asOf, latestRowDay: asOf, risk: RiskLevel(rawValue: UInt8(g.int(below: 4)))!, values: values, valueDays: days)
    }

    /// DESIGN §2's band rule written from its text: the first band whose `below` exceeds the score; a band
    /// without `below` takes every score that reaches it.
    func referenceBand(_ rules: ScoringRules, _ score: Double) -> Int {
        var i = 0
        while i < rules.bands.count - 1 {
            if let below = rules.bands[i].below, score < below { return i }
            if rules.bands[i].below == nil { return i }
            i += 1
        }
        return rules.bands.count - 1
    }

    /// Every score, band, coverage and contribution against `reference` (DESIGN §3 written again from its text).
    @Test func scoresMatchAnIndependentRecomputation() {
        var g = SeededGenerator(seed: 101)
        var clampedLow = 0, checked = 0
        for _ in 0..<2000 {
            let k = 1 + g.int(below: 8)
            let rules = randomRules(&g, factors: k)
            let engine = ScoreEngine(rules: rules, stateFactors: (0..<k).map { "f\($0)" })
            let state = randomState(&g, factors: k, asOf: 20000)
            let r = engine.score(state)!
            guard let ref = reference(rules, state) else {
                #expect(r.score == nil)
                continue
            }
            checked += 1
            let raw = ref.average - ref.penalty
            let expected = raw < 0 ? 0 : (raw > 100 ? 100 : raw)
            if raw < 0 { clampedLow += 1 }
            #expect(abs(r.score! - expected) < 1e-9, "\(r.score!) vs \(expected)")
            #expect(abs(r.penalty - ref.penalty) == 0)
            #expect(r.bandIndex == referenceBand(rules, expected))
            for i in 0..<k {
                // Each counted factor's points are weight × value / W; a left-out one has none.
                if let x = ref.counted[i] {
                    #expect(abs(r.points[i]! - rules.factors[i].weight * x / ref.total) < 1e-9)
                } else {
                    #expect(r.points[i] == nil)
                }
            }
            // Coverage: the share of W whose value is at most stale_after days old.
            var fresh = 0.0
            for i in ref.counted.keys {
                if let d = state.valueDays[i], state.asOf - d <= Int32(rules.staleAfter) { fresh += rules.factors[i].weight }
            }
            #expect(abs(r.coverage! - fresh / ref.total) < 1e-12)
        }
        #expect(checked > 1500 && clampedLow > 20, "\(checked) checked, \(clampedLow) clamped at 0")
    }

    /// Two states worked out by hand.
    @Test func handWorkedScores() {
        var tasks = FactorSpec(name: "tasks", weight: 30)
        tasks.scaleMin = 0
        tasks.scaleMax = 20
        var qbr = FactorSpec(name: "qbr", weight: 20)
        qbr.optional = true
        qbr.scaleMin = 1
        qbr.scaleMax = 5
        var tickets = FactorSpec(name: "tickets", weight: 50)
        tickets.invert = true
        let rules = ScoringRules(factors: [tasks, qbr, tickets], riskPenalty: [0, 5, 15, 40])
        let engine = ScoreEngine(rules: rules, stateFactors: ["tasks", "qbr", "tickets"])
        // tasks 15/20 → 75; qbr 4 on 1–5 → 75; tickets 30 inverted → 70. (30·75 + 20·75 + 50·70)/100 = 72.5,
        // minus the low-risk penalty 5: 67.5.
        let all = AsOfState(asOf: 100, latestRowDay: 100, risk: RiskLevel(rawValue: 1)!, values: [15, 4, 30],
                            valueDays: [100, 100, 100])
        let a = engine.score(all)!
        #expect(abs(a.score! - 67.5) < 1e-12 && a.coverage == 1)
        // qbr missing and optional: its weight is left out (W = 80; every counted value fresh, so coverage 1):
        // (30·75 + 50·70)/80 = 71.875; high risk −40: 31.875. tasks 40 clamps to 100: (30·100 + 50·70)/80 = 81.25.
        let noQBR = AsOfState(asOf: 100, latestRowDay: 100, risk: RiskLevel(rawValue: 3)!, values: [15, .nan, 30],
                              valueDays: [100, nil, 100])
        let b = engine.score(noQBR)!
        #expect(abs(b.score! - 31.875) < 1e-12 && b.coverage == 1 && b.points[1] == nil)
        let clamped = AsOfState(asOf: 100, latestRowDay: 100, risk: RiskLevel(rawValue: 0)!, values: [40, .nan, 30],
                                valueDays: [100, nil, 100])
        #expect(abs(engine.score(clamped)!.score! - 81.25) < 1e-12)
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
