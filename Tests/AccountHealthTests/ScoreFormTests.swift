import Foundation
import Testing

@testable import AccountHealth

/// The weights fitted to the score's own rule (DESIGN §13): SciPy's optimum, the KKT conditions, and the
/// reduction to the constrained logistic of §4.
@Suite struct ScoreFormTests {
    /// The SciPy case (Tests/Reference/score_form_reference.py): points, risk levels and outcomes.
    func scipyCase() throws -> (ScoreFormLogistic.Problem, [String: Any]) {
        let ref = try fixtureJSON("score_form_case.json")
        let text = try String(contentsOfFile: "\(fixtures)/score_form_case.csv", encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        lines.removeFirst()
        let n = lines.count
        var x = Matrix(rows: n, columns: 4)
        var risk: [UInt8] = [], y: [Double] = []
        for (i, line) in lines.enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for j in 0..<4 { x[i, j] = cells[j].isEmpty ? .nan : Double(cells[j])! }
            risk.append(RiskLevel(name: cells[4])!.rawValue)
            y.append(Double(cells[5])!)
        }
        let problem = ScoreFormLogistic.Problem(
            points: x, risk: risk, y: y, configuredPenalty: [0, 5, 10, 20], fittedLevels: [1, 3])
        return (problem, ref)
    }

    @Test func matchesScipyOnTheFixture() throws {
        let (problem, ref) = try scipyCase()
        let r = try ScoreFormLogistic().fit(problem, current: [40, 20, 25, 15])
        let weights = ref["weights"] as! [Double]
        let penalties = ref["penalties"] as! [String: Double]
        // SLSQP stops near 1e-8 of the optimum; ours is the tighter one (its log-likelihood is at least as high).
        #expect(r.logLikelihood >= (ref["log_likelihood"] as! Double) - 1e-9)
        #expect(relClose(r.logLikelihood, ref["log_likelihood"] as! Double, 1e-10))
        for j in 0..<4 { #expect(abs(r.weights[j] - weights[j]) < 1e-4, "weight \(j): \(r.weights[j])") }
        #expect(r.weights[1] == 0)  // tasks: an active bound
        #expect(relClose(r.k, ref["k"] as! Double, 1e-5))
        #expect(relClose(r.intercept, ref["intercept"] as! Double, 1e-5))
        #expect(relClose(r.penalties[1], penalties["low"]!, 1e-5))
        #expect(relClose(r.penalties[3], penalties["high"]!, 1e-5))
        #expect(r.penalties[2] == 10)  // medium never occurs: its configured penalty is kept
        #expect(abs(r.weights.reduce(0, +) - 100) < 1e-9)
    }

    @Test func startsRunAtOnceGiveTheAnswerOfRunningThemInTurn() throws {
        let (problem, _) = try scipyCase()
        let current = [40.0, 20, 25, 15], extra = [10.0, 10, 70, 10]
        let solver = ScoreFormLogistic(seed: 9)
        let r = try solver.fit(problem, current: current, starts: [extra])
        // Each start alone, in turn: the reached log-likelihoods in the starts' order, the best one's θ.
        let o = Objective(problem)
        var g = SeededGenerator(seed: 9 &+ 0x5C0E)
        var weights = [extra, current, [1, 1, 1, 1]]
        for _ in 0..<solver.randomStarts { weights.append((0..<4).map { _ in -_log(max(g.uniform(), 1e-300)) }) }
        let alone = weights.map { o.minimize(from: o.start(weights: $0, k: 0.05), maxIterations: solver.maxIterations) }
        #expect(r.startLogLikelihoods.map(\.bitPattern) == alone.map { (-$0.f).bitPattern })
        var best = alone[0]
        for a in alone.dropFirst() where a.f < best.f - 1e-12 * max(1, abs(a.f)) { best = a }
        #expect(r.theta.map(\.bitPattern) == best.theta.map(\.bitPattern))
        // A leading start that gives nothing is no start.
        let none = try solver.fit(problem, current: current, leading: [{ nil }])
        let plain = try solver.fit(problem, current: current)
        #expect(none.starts == plain.starts && none.starts == 2 + solver.randomStarts)
        #expect(none.theta.map(\.bitPattern) == plain.theta.map(\.bitPattern))
    }

    @Test func theOptimumSatisfiesTheKKTConditions() throws {
        let (problem, _) = try scipyCase()
        let r = try ScoreFormLogistic().fit(problem, current: [25, 25, 25, 25])
        // The gradient of ℓ by finite differences of ℓ itself (independent of the analytic one), then KKT:
        // zero for a free parameter (and for b0), ≤ 0 for a parameter at its bound 0.
        func loglik(_ t: [Double]) -> Double {
            let c = Array(t[1...4]), big = c.reduce(0, +)
            let w = c.map { 100 * $0 / big }
            var p: [Double] = [0, t[5] / big, 10, t[6] / big]
            p[2] = 10
            let s = problem.scores(weights: w, penalties: p)
            var ll = 0.0
            for i in 0..<problem.count {
                let eta = t[0] - big * s[i]
                ll += problem.y[i] * eta - log1p(exp(eta))
            }
            return ll
        }
        for j in 0..<r.theta.count {
            let h = 1e-6 * max(1e-3, abs(r.theta[j]))
            var up = r.theta, down = r.theta
            up[j] += h
            down[j] -= h
            let numeric = r.theta[j] > 0 || j == 0 ? (loglik(up) - loglik(down)) / (2 * h) : (loglik(up) - loglik(r.theta)) / h
            #expect(abs(numeric - r.gradient[j]) < 1e-4 * max(1, abs(numeric)), "gradient \(j)")
            if j == 0 || r.theta[j] > 0 {
                #expect(abs(r.gradient[j]) < 1e-7, "free parameter \(j): gradient \(r.gradient[j])")
            } else {
                #expect(r.gradient[j] <= 1e-7, "bound parameter \(j) wants to rise: \(r.gradient[j])")
            }
        }
        #expect(r.projectedGradient < 1e-7)
        // No feasible step improves ℓ by more than 1e-9: random feasible perturbations of every size.
        var g = SeededGenerator(seed: 11)
        for _ in 0..<400 {
            let size = pow(10, -1 - 6 * g.uniform())
            var t = r.theta
            for j in t.indices { t[j] = max(j == 0 ? -.infinity : 0, t[j] + size * (g.uniform() - 0.5) * max(abs(t[j]), 0.01)) }
            #expect(loglik(t) <= r.logLikelihood + 1e-9)
        }
        // Every start is reported, and the best is the one returned.
        #expect(r.startLogLikelihoods.count == r.starts && r.starts >= 5)
        #expect(r.startLogLikelihoods.max()! <= r.logLikelihood + 1e-9)
    }

    @Test func theBundledDataSuggestionIsAKKTPointOnEveryObservation() throws {
        let data = try DataFiles.directory("\(repoRoot)/datasets/simulated").load()
        let config = data.configuration!
        let obs = try Observations.build(data, factors: config.base.factors.map(\.name), options: ObservationOptions())[0]
        let w = try FitAnalysis.run(obs, rules: config.base, options: FitOptions()).weights!
        #expect(w.fit.observations == obs.count)  // every observed decision, none dropped for a missing factor
        #expect(w.fit.projectedGradient < 1e-7)
        for (j, t) in w.fit.theta.enumerated() where j > 0 && t == 0 {
            #expect(w.fit.gradient[j] <= 1e-7, "parameter \(j) at its bound wants to rise")
        }
        #expect(w.fit.newtonDecrement <= 1e-12)
        #expect(abs(w.suggested.reduce(0, +) - 100) < 1e-9)
        // The score under the suggested weights and penalties is what the model fitted: its AUC on the same folds
        // beats the current weights'.
        #expect(w.aucSuggested! > w.aucCurrent!)
    }

    @Test func reducesToTheConstrainedLogisticWhenEveryFactorIsPresentAndNobodyIsFlagged() throws {
        var g = SeededGenerator(seed: 3)
        let n = 3000
        var x = Matrix(rows: n, columns: 3)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var e = 2.0
            for (j, b) in [0.03, 0.0, 0.015].enumerated() {
                let v = min(100, max(0, 50 + 20 * g.normal()))
                x[i, j] = v
                e -= b * v
            }
            y[i] = g.uniform() < Logistic.sigmoid(e) ? 1 : 0
        }
        let constrained = try ConstrainedLogistic().fit(x, y, names: ["a", "b", "c"])
        let problem = ScoreFormLogistic.Problem(
            points: x, risk: [UInt8](repeating: 0, count: n), y: y, configuredPenalty: [0, 5, 10, 20],
            fittedLevels: [])
        let r = try ScoreFormLogistic().fit(problem, current: [30, 30, 40])
        for j in 0..<3 { #expect(abs(r.weights[j] - constrained.weights[j]) < 1e-7, "weight \(j)") }
        #expect(relClose(r.logLikelihood, constrained.logLikelihood, 1e-12))
        #expect(relClose(r.k, constrained.coefficients.reduce(0, +), 1e-8))
        #expect(relClose(r.intercept, constrained.intercept, 1e-8))
        #expect(r.penalties == [0, 5, 10, 20])  // no level occurs: every penalty keeps its configured value
    }

    @Test func aScoreWithoutSignalStopsAtZeroSlopeAndKeepsTheCurrentWeights() throws {
        var g = SeededGenerator(seed: 4)
        let n = 600
        var x = Matrix(rows: n, columns: 2)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            x[i, 0] = 100 * g.uniform()
            x[i, 1] = 100 * g.uniform()
            // Churn rises with both factors: no healthy direction, so k = 0.
            y[i] = g.uniform() < Logistic.sigmoid(-3 + 0.03 * (x[i, 0] + x[i, 1])) ? 1 : 0
        }
        let problem = ScoreFormLogistic.Problem(
            points: x, risk: [UInt8](repeating: 0, count: n), y: y, configuredPenalty: [0, 0, 0, 0], fittedLevels: [])
        let r = try ScoreFormLogistic().fit(problem, current: [70, 30])
        #expect(r.k == 0)
        #expect(r.weights == [70, 30])
    }

    /// The blocked pass (512-row blocks, 8 chunks on two threads above 8,192 rows, BLAS for the sums) against the
    /// derivatives written out row by row from their definition, on rows that cross every block and chunk
    /// boundary, with optional factors left out, every risk level, one penalty kept at its configured value and
    /// one factor fixed at zero weight; and −ℓ with the same bits with or without the derivatives.
    @Test func theBlockedPassEqualsTheDerivativesRowByRow() {
        let n = 20_011, nf = 5
        var g = SeededGenerator(seed: 42)
        var x = Matrix(rows: n, columns: nf)
        var risk: [UInt8] = [], y: [Double] = []
        for i in 0..<n {
            for f in 0..<nf {
                // Factors 3 and 4 optional (a third of them left out); factor 4 absent altogether in some rows.
                let gone = (f == 3 && g.uniform() < 0.33) || (f == 4 && g.uniform() < 0.5)
                x[i, f] = gone ? .nan : 100 * g.uniform()
            }
            if i % 97 == 0 { x[i, 0] = .nan; x[i, 1] = .nan; x[i, 2] = .nan; x[i, 3] = .nan; x[i, 4] = .nan }
            risk.append(UInt8(g.int(below: 4)))
            y.append(g.uniform() < 0.3 ? 1 : 0)
        }
        let problem = ScoreFormLogistic.Problem(
            points: x, risk: risk, y: y, configuredPenalty: [0, 5, 10, 20], fittedLevels: [1, 3], fixedZero: [2])
        let objective = Objective(problem)
        let theta = [0.3, 0.02, 0.05, 0, 0.01, 0.03, 0.2, 0.6]
        let d = theta.count, c = Array(theta[1...nf]), big = c.reduce(0, +)
        var f = 0.0
        var grad = [Double](repeating: 0, count: d)
        var hess = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            var num = 0.0, den = 0.0
            for k in 0..<nf where !x[i, k].isNaN { num += c[k] * x[i, k]; den += c[k] }
            let m = den > 0 ? num / den : 0
            let level = Int(risk[i])
            let pbar = [0.0, 0, 10, 0][level]
            let q = level == 1 ? theta[6] : level == 3 ? theta[7] : 0
            let eta = theta[0] - big * (m - pbar) + q
            f += log(1 + exp(eta)) - y[i] * eta
            let pi = 1 / (1 + exp(-eta)), r = y[i] - pi
            var jac = [Double](repeating: 0, count: d)
            var u = [Double](repeating: 0, count: nf), present = [Double](repeating: 0, count: nf)
            jac[0] = 1
            for k in 0..<nf {
                present[k] = x[i, k].isNaN ? 0 : 1
                u[k] = den > 0 && present[k] == 1 ? (x[i, k] - m) / den : 0  // ∂m/∂c_k
                jac[1 + k] = -(m - pbar) - big * u[k]
            }
            if level == 1 { jac[6] = 1 }
            if level == 3 { jac[7] = 1 }
            for a in 0..<d {
                grad[a] -= r * jac[a]
                for b in 0..<d { hess[a * d + b] += pi * (1 - pi) * jac[a] * jac[b] }
            }
            // ∂²η/∂c_a∂c_b = −(u_a + u_b) + C·(δ_a·u_b + δ_b·u_a)/D; the Hessian of −ℓ adds −r·∂²η.
            guard den > 0 else { continue }
            for a in 0..<nf {
                for b in 0..<nf {
                    let second = -(u[a] + u[b]) + big * (present[a] * u[b] + present[b] * u[a]) / den
                    hess[(1 + a) * d + 1 + b] -= r * second
                }
            }
        }
        let e = objective.evaluate(theta, derivatives: true)
        #expect(relClose(e.f, f, 1e-11))
        #expect(objective.evaluate(theta, derivatives: false).f == e.f)
        let gScale = grad.map(abs).max()!, hScale = hess.map(abs).max()!
        for a in 0..<d {
            #expect(abs(e.g[a] - grad[a]) <= 1e-10 * gScale, "gradient \(a): \(e.g[a]) against \(grad[a])")
            for b in 0..<d {
                #expect(abs(e.h[a, b] - hess[a * d + b]) <= 1e-10 * hScale, "Hessian (\(a), \(b))")
            }
        }
    }
}
