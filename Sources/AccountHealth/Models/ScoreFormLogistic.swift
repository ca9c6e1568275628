import Foundation
import COpenBLAS

/// The weights and risk penalties of the score exactly as DESIGN §3 computes it, fitted by maximum likelihood
/// (DESIGN §13): `logit P(churn_i) = b0 − k·s_i(w, p)` with `s_i = Σ_{f∈P_i} w_f·x_if / Σ_{f∈P_i} w_f − p_{r_i}`,
/// the sums over the factors that count for observation i (an optional factor with no value is left out),
/// `w ≥ 0`, `Σ w = 100`, `k ≥ 0`, `p ≥ 0`.
///
/// It is solved in the coordinates `c_f = k·w_f/100` and `q_r = k·p_r`, where the constraints are simple bounds
/// (`c ≥ 0`, `q ≥ 0`) and `k = Σ c`: `η_i = b0 − C·(m_i − p̄_i) + q_{r_i}` with `C = Σ c`, `m_i` the weighted mean of
/// the factors present under `c`, and `p̄_i` the configured penalty of a level whose penalty is not fitted. When
/// every factor is present `C·m_i = Σ c_f·x_if`, the constrained logistic of §4. The problem is smooth but not
/// convex: a projected Newton method (Bertsekas 1982) with the analytic gradient and Hessian (falling back to the
/// Fisher matrix where the Hessian is not positive definite) and an Armijo search along the projection arc is run
/// from several starts, and the best optimum is kept.
public struct ScoreFormLogistic: Sendable {
    /// The most Newton iterations per start.
    public var maxIterations: Int = 200
    /// Random starts (Dirichlet weights) beside the constrained logistic, the current and the equal weights.
    public var randomStarts: Int = 3
    /// The seed of the random starts.
    public var seed: UInt64 = 1

    /// A score-form fit with its iteration limit, random starts and seed.
    public init(maxIterations: Int = 200, randomStarts: Int = 3, seed: UInt64 = 1) {
        self.maxIterations = maxIterations
        self.randomStarts = randomStarts
        self.seed = seed
    }

    /// The data of the problem: each observation's factor points, risk level and outcome.
    public struct Problem: Sendable {
        /// n × F points on 0–100 after scale, clamp and invert; NaN where an optional factor is left out (a missing
        /// non-optional factor is 0 here, as the score counts it).
        public var points: Matrix
        /// Each observation's risk level (`RiskLevel.rawValue`).
        public var risk: [UInt8]
        /// 1 = churned, 0 = renewed.
        public var y: [Double]
        /// The configured penalty per level, indexed by `RiskLevel.rawValue`.
        public var configuredPenalty: [Double]
        /// The levels (raw values 1…3) whose penalty is fitted; the others keep their configured penalty.
        public var fittedLevels: [Int]
        /// Factors fixed at weight 0 (no value in any observation).
        public var fixedZero: Set<Int>

        /// A problem from points, risk levels, outcomes, the configured penalties and the levels to fit.
        public init(
            points: Matrix, risk: [UInt8], y: [Double], configuredPenalty: [Double], fittedLevels: [Int],
            fixedZero: Set<Int> = []
        ) {
            self.points = points
            self.risk = risk
            self.y = y
            self.configuredPenalty = configuredPenalty
            self.fittedLevels = fittedLevels
            self.fixedZero = fixedZero
        }

        /// The observations.
        public var count: Int { y.count }
        /// The factors.
        public var factors: Int { points.columns }

        /// The rows `idx` (a fold or a resample), in that order.
        public func rows(_ idx: [Int]) -> Problem {
            Problem(
                points: points.rows(idx), risk: idx.map { risk[$0] }, y: idx.map { y[$0] },
                configuredPenalty: configuredPenalty, fittedLevels: fittedLevels, fixedZero: fixedZero)
        }

        /// The score of §3 (no clamp) under weights and penalties per level: the weighted mean of the factors
        /// present minus the penalty; `−penalty` when the factors present all weigh 0.
        public func scores(weights w: [Double], penalties p: [Double]) -> [Double] {
            let n = count
            var out = [Double](repeating: 0, count: n)
            points.storage.withUnsafeBufferPointer { x in
                for i in 0..<n {
                    var num = 0.0, den = 0.0
                    for f in 0..<factors {
                        let v = x[f * n + i]
                        if !v.isNaN { num += w[f] * v; den += w[f] }
                    }
                    out[i] = (den > 0 ? num / den : 0) - p[Int(risk[i])]
                }
            }
            return out
        }
    }

    /// The optimum.
    public struct Result: Sendable {
        /// b0.
        public var intercept: Double
        /// k ≥ 0: the churn log-odds fall by k per point of score.
        public var k: Double
        /// The weights, summing to 100 (the starting weights when k = 0: the score carries no signal).
        public var weights: [Double]
        /// The penalty per level (`RiskLevel.rawValue`): fitted for the fitted levels, configured for the others.
        public var penalties: [Double]
        /// The log-likelihood at the optimum.
        public var logLikelihood: Double
        /// The parameters `(b0, c_1…c_F, q_1…q_L)` at the optimum.
        public var theta: [Double]
        /// The log-likelihood's gradient there.
        public var gradient: [Double]
        /// The largest entry of the projected gradient (zero at a true optimum).
        public var projectedGradient: Double
        /// The Newton decrement gᵀH⁻¹g on the free parameters at the optimum: the log-likelihood a further Newton
        /// step would still gain by the local quadratic model (≤ 1e-12 at convergence).
        public var newtonDecrement: Double
        /// Newton iterations of the winning start.
        public var iterations: Int
        /// The starts tried.
        public var starts: Int
        /// The log-likelihood each start reached, in the order tried.
        public var startLogLikelihoods: [Double]
        /// The observations.
        public var observations: Int
    }

    /// Fits from several starts (the given ones first, then the current, equal and random weights).
    /// `current` holds the configured weights (any scale). Throws without both outcomes.
    public func fit(_ problem: Problem, current: [Double], starts extra: [[Double]] = []) throws -> Result {
        try fit(problem, current: current, leading: extra.map { w in { w } })
    }

    /// Fits from several starts: `leading`'s weights first (each computed in its own lane; nil drops that start),
    /// then the current, equal and random weights. The starts run at once, as many as there are cores, each
    /// deterministic; the best is chosen in the starts' order, so the answer is the one of running them in turn.
    func fit(
        _ problem: Problem, current: [Double], leading: [@Sendable () -> [Double]?]
    ) throws -> Result {
        let n = problem.count, nf = problem.factors
        guard n > 0 else { throw ModelError.noObservations("no observation to fit the score's weights on") }
        let churns = problem.y.reduce(0, +)
        if churns == 0 || churns == Double(n) { throw ModelError.oneClass(churned: churns > 0, count: n) }
        let objective = Objective(problem)
        var fixed = [current, [Double](repeating: 1, count: nf)]
        var g = SeededGenerator(seed: seed &+ 0x5C0E)
        for _ in 0..<randomStarts {
            fixed.append((0..<nf).map { _ in -_log(max(g.uniform(), 1e-300)) })
        }
        let lanes = leading.count + fixed.count, limit = maxIterations
        let ends = Lanes<(theta: [Double], f: Double, iterations: Int)?>(count: lanes)
        let starts = fixed
        DispatchQueue.concurrentPerform(iterations: lanes) { k in
            let w = k < leading.count ? leading[k]() : starts[k - leading.count]
            ends.set(k, w.map { objective.minimize(from: objective.start(weights: $0, k: 0.05), maxIterations: limit) })
        }
        var best: (theta: [Double], f: Double, iterations: Int)? = nil
        var reached: [Double] = []
        for r in ends.values.compactMap({ $0 }) {
            reached.append(-r.f)
            if best == nil || r.f < best!.f - 1e-12 * max(1, abs(r.f)) { best = r }
        }
        return objective.result(
            best!.theta, iterations: best!.iterations, starts: reached.count, reached: reached, current: current)
    }

    /// Refits from one start (`theta` of an earlier optimum): folds and bootstrap resamples.
    public func refit(_ problem: Problem, from previous: Result, current: [Double]) throws -> Result {
        let n = problem.count
        guard n > 0 else { throw ModelError.noObservations("no observation to fit the score's weights on") }
        let churns = problem.y.reduce(0, +)
        if churns == 0 || churns == Double(n) { throw ModelError.oneClass(churned: churns > 0, count: n) }
        let objective = Objective(problem)
        let r = objective.minimize(from: previous.theta, maxIterations: maxIterations)
        return objective.result(r.theta, iterations: r.iterations, starts: 1, reached: [-r.f], current: current)
    }
}

/// The negative log-likelihood of the score-form model with its gradient and Hessian, and its minimiser.
struct Objective {
    let p: ScoreFormLogistic.Problem
    let n: Int, nf: Int, nq: Int
    /// Per level, the index of its fitted penalty in q, or −1.
    let qIndex: [Int]
    /// Per level, the fixed penalty (0 for `none` and for the fitted levels).
    let fixedPenalty: [Double]

    init(_ p: ScoreFormLogistic.Problem) {
        self.p = p
        n = p.count
        nf = p.factors
        nq = p.fittedLevels.count
        var qi = [Int](repeating: -1, count: 4), fixed = p.configuredPenalty
        fixed[0] = 0
        for (k, level) in p.fittedLevels.enumerated() { qi[level] = k; fixed[level] = 0 }
        qIndex = qi
        fixedPenalty = fixed
    }

    var dimension: Int { 1 + nf + nq }

    /// Whether parameter j has the lower bound 0 (every one but the intercept).
    func bounded(_ j: Int) -> Bool { j > 0 }

    /// Parameters for weights `w` (any scale), slope k, the configured penalties and the matching intercept.
    func start(weights w: [Double], k: Double) -> [Double] {
        var wt = w
        for f in p.fixedZero { wt[f] = 0 }
        let total = wt.reduce(0, +)
        if !(total > 0) { wt = (0..<nf).map { p.fixedZero.contains($0) ? 0 : 1 } }
        let sum = wt.reduce(0, +)
        let weights = wt.map { 100 * $0 / max(sum, 1e-300) }
        let s = p.scores(weights: weights, penalties: p.configuredPenalty)
        let ybar = p.y.reduce(0, +) / Double(n)
        let meanS = s.reduce(0, +) / Double(n)
        var theta = [_log(ybar / (1 - ybar)) + k * meanS]
        theta += weights.map { k * $0 / 100 }
        theta += p.fittedLevels.map { k * p.configuredPenalty[$0] }
        return theta
    }

    /// −ℓ, and with `derivatives` its gradient and Hessian (and the Fisher part of the Hessian, always PSD).
    /// Rows go in fixed chunks (whatever the thread count) on up to two threads, and the chunks' sums are added
    /// in chunk order: the same bits with one thread or two.
    func evaluate(_ theta: [Double], derivatives: Bool) -> (f: Double, g: [Double], h: Matrix, fisher: Matrix) {
        let d = dimension, nf = nf, n = n
        let parts = n < 8_192 ? 1 : 8
        final class Partial: @unchecked Sendable {
            var f = 0.0
            var g: [Double], fisher: [Double], curve: [Double]
            init(d: Int, nf: Int, derivatives: Bool) {
                g = [Double](repeating: 0, count: d)
                fisher = [Double](repeating: 0, count: derivatives ? d * d : 0)
                curve = [Double](repeating: 0, count: derivatives ? nf * nf : 0)
            }
        }
        let partials = (0..<parts).map { _ in Partial(d: d, nf: nf, derivatives: derivatives) }
        let me = self
        IRLSKernel.run(parts, threads: parts == 1 ? 1 : 2) { t in
            let part = partials[t]
            me.accumulate(
                theta, rows: (n * t / parts)..<(n * (t + 1) / parts), derivatives: derivatives, f: &part.f,
                g: &part.g, fisher: &part.fisher, curve: &part.curve)
        }
        var f = 0.0
        var g = [Double](repeating: 0, count: d)
        var fisherStore = [Double](repeating: 0, count: derivatives ? d * d : 0)
        var curveStore = [Double](repeating: 0, count: derivatives ? nf * nf : 0)
        for part in partials {
            f += part.f
            for a in 0..<d { g[a] += part.g[a] }
            for a in 0..<fisherStore.count { fisherStore[a] += part.fisher[a] }
            for a in 0..<curveStore.count { curveStore[a] += part.curve[a] }
        }
        guard derivatives else { return (f, g, Matrix(rows: 0, columns: 0), Matrix(rows: 0, columns: 0)) }
        var fisher = Matrix(rows: d, columns: d)
        for a in 0..<d {
            for b in a..<d { fisher[a, b] = fisherStore[a * d + b]; fisher[b, a] = fisherStore[a * d + b] }
        }
        var h = fisher
        for a in 0..<nf {
            for b in a..<nf {
                h[1 + a, 1 + b] += curveStore[a * nf + b]
                if a != b { h[1 + b, 1 + a] += curveStore[a * nf + b] }
            }
        }
        return (f, g, h, fisher)
    }

    /// Rows per block: the block's per-row values, scaled Jacobian and curvature factors stay in cache between
    /// the loops that fill them and the BLAS calls that sum them.
    static let block = 512

    /// One chunk of rows' share of `evaluate`, added into the chunk's own sums.
    ///
    /// A block of rows at a time, column by column (each factor's points are contiguous): the weighted sums of
    /// the points present, then per row η, −ℓ_i and the residual, then per factor the Jacobian column and the
    /// gradient. The derivatives are summed with level-3 BLAS. The Fisher part is JᵀWJ for the Jacobian rows
    /// J_i = ∂η_i/∂θ: `dsyrk` of the block's √w-scaled rows. The curvature the weighted mean adds,
    /// Σ_i (y_i − π_i)·∂²η_i/∂c_a∂c_b = Σ_i r_i·(u_ia + u_ib)·(1 − δ_ia·δ_ib·C/D_i)
    /// (δ = present, u_a = ∂m/∂c_a, zero where δ_a is), splits into v_a + v_b − (M_ab + M_ba)
    /// with v = Σ_i r_i·u_i and M = Σ_i (r_i·C/D_i)·u_i·δ_iᵀ: one `dgemm` per block instead of a
    /// rank-one update per row. Each gradient entry and −ℓ are summed row by row
    /// in row order, with or without the derivatives: the same bits either way.
    private func accumulate(
        _ theta: [Double], rows: Range<Int>, derivatives: Bool, f: inout Double, g: inout [Double],
        fisher: inout [Double], curve: inout [Double]
    ) {
        let d = dimension, nf = nf, n = n, bk = Self.block
        let b0 = theta[0]
        let big = theta[1...nf].reduce(0, +)
        var qOf = [Double](repeating: 0, count: 4)
        for level in 0..<4 where qIndex[level] >= 0 { qOf[level] = theta[1 + nf + qIndex[level]] }
        // Per row of a block: the sums Σc·x and Σc over the points present, m − p̄, r, √w, r·C/D. With the
        // derivatives: the √w-scaled Jacobian (bk × d), r·C/D·u (bk × nf) and δ (bk × nf), column-major; then M
        // (nf × nf) and v (nf) for the chunk. One allocation, pointers in the loops.
        let extra = derivatives ? bk * (d + 2 * nf) + nf * nf + nf : 0
        var scratch = [Double](repeating: 0, count: 6 * bk + extra)
        p.points.storage.withUnsafeBufferPointer { xs in
            p.y.withUnsafeBufferPointer { ys in
                p.risk.withUnsafeBufferPointer { rs in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        g.withUnsafeMutableBufferPointer { gp in
                            fisher.withUnsafeMutableBufferPointer { fp in
                                let x = xs.baseAddress!, y = ys.baseAddress!, risk = rs.baseAddress!
                                let num = sp.baseAddress!, den = num + bk, shift = den + bk, resid = shift + bk
                                let sw = resid + bk, t = sw + bk
                                let jac = t + bk, tu = jac + bk * d, delta = tu + bk * nf
                                let mm = delta + bk * nf, v = mm + nf * nf
                                var first = rows.lowerBound
                                while first < rows.upperBound {
                                    let m = min(bk, rows.upperBound - first)
                                    for r in 0..<m { num[r] = 0; den[r] = 0 }
                                    for k in 0..<nf {
                                        let col = x + (k &* n &+ first), ck = theta[1 + k]
                                        for r in 0..<m {
                                            let xv = col[r]
                                            let present = !xv.isNaN
                                            num[r] += present ? ck * xv : 0
                                            den[r] += present ? ck : 0
                                            if derivatives { delta[k &* bk &+ r] = present ? 1 : 0 }
                                        }
                                    }
                                    for r in 0..<m {
                                        let i = first &+ r
                                        let level = Int(risk[i])
                                        let counted = den[r] > 0
                                        let mean = counted ? num[r] / den[r] : 0
                                        shift[r] = mean - fixedPenalty[level]
                                        let eta = b0 - big * shift[r] + qOf[level]
                                        // −ℓ_i = log(1 + e^η) − y·η, computed without overflow;
                                        // e^−|η| serves π too (the same bits as `Logistic.sigmoid`,
                                        // which takes the same exponential).
                                        let e = _exp(eta > 0 ? -eta : eta)
                                        let softplus = eta > 0 ? eta + _log1p(e) : _log1p(e)
                                        f += softplus - y[i] * eta
                                        guard derivatives else { continue }
                                        num[r] = mean
                                        let pi = eta >= 0 ? 1 / (1 + e) : e / (1 + e)
                                        resid[r] = y[i] - pi
                                        sw[r] = (pi * (1 - pi)).squareRoot()
                                        t[r] = counted ? resid[r] * big / den[r] : 0
                                        jac[r] = sw[r]
                                        gp[0] -= resid[r]
                                        for k in (1 + nf)..<d { jac[k &* bk &+ r] = 0 }
                                        let qi = qIndex[level]
                                        if qi >= 0 {
                                            jac[(1 + nf + qi) &* bk &+ r] = sw[r]
                                            gp[1 + nf + qi] -= resid[r]
                                        }
                                    }
                                    if derivatives {
                                        for k in 0..<nf {
                                            let col = x + (k &* n &+ first), jk = jac + (1 + k) &* bk
                                            let tk = tu + k &* bk, dk = delta + k &* bk
                                            var gk = gp[1 + k], vk = v[k]
                                            for r in 0..<m {
                                                let u = den[r] > 0 && dk[r] != 0 ? (col[r] - num[r]) / den[r] : 0
                                                let ja = -(shift[r] + big * u)
                                                jk[r] = sw[r] * ja
                                                gk -= resid[r] * ja
                                                tk[r] = t[r] * u
                                                vk += resid[r] * u
                                            }
                                            gp[1 + k] = gk
                                            v[k] = vk
                                        }
                                        // Column-major lower of the d × d Fisher block is `fisher[a·d + b]`, a ≤ b.
                                        cblas_dsyrk(
                                            CblasColMajor, CblasLower, CblasTrans, Int32(d), Int32(m), 1, jac,
                                            Int32(bk), 1, fp.baseAddress, Int32(d))
                                        cblas_dgemm(
                                            CblasColMajor, CblasTrans, CblasNoTrans, Int32(nf), Int32(nf), Int32(m), 1,
                                            tu, Int32(bk), delta, Int32(bk), 1, mm, Int32(nf))
                                    }
                                    first += m
                                }
                                guard derivatives else { return }
                                for a in 0..<nf {
                                    for b in a..<nf {
                                        curve[a * nf + b] += v[a] + v[b] - (mm[a + b * nf] + mm[b + a * nf])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The parameters Newton moves: all but the weights fixed at zero and the bounded ones within `eps` of their
    /// bound whose gradient (of −ℓ) pushes them into it (the ε-active set).
    func freeParameters(_ theta: [Double], _ g: [Double], eps: Double) -> [Int] {
        theta.indices.filter { j in
            !(j >= 1 && j <= nf && p.fixedZero.contains(j - 1)) && !(bounded(j) && theta[j] <= eps && g[j] > 0)
        }
    }

    /// The Newton decrement −gᵀd on the free parameters (gᵀH⁻¹g for the Newton direction d).
    static func decrement(_ g: [Double], free: [Int], direction: [Double]) -> Double {
        var sum = 0.0
        for (k, j) in free.enumerated() { sum -= g[j] * direction[k] }
        return sum
    }

    /// The projection onto the bounds.
    func project(_ theta: [Double]) -> [Double] {
        var t = theta
        for j in 1..<t.count where t[j] < 0 { t[j] = 0 }
        return t
    }

    /// The projected gradient's largest entry: a bounded parameter at 0 whose gradient (of −ℓ) is positive
    /// cannot move, so it counts 0.
    func projectedGradient(_ theta: [Double], _ g: [Double]) -> Double {
        var m = 0.0
        for j in 0..<g.count {
            if bounded(j) && theta[j] <= 0 && g[j] >= 0 { continue }
            m = max(m, abs(g[j]))
        }
        return m
    }

    /// Projected Newton from `theta0` until the projected gradient vanishes or no step decreases −ℓ.
    func minimize(from theta0: [Double], maxIterations: Int) -> (theta: [Double], f: Double, iterations: Int) {
        var theta = project(theta0)
        for j in p.fixedZero { theta[1 + j] = 0 }
        var iterations = 0, polish = 0
        var current = evaluate(theta, derivatives: true)
        while iterations < maxIterations {
            iterations += 1
            let g = current.g
            if projectedGradient(theta, g) <= 1e-12 * Double(max(1, n)) { break }
            // The ε-active set: bounded parameters at (or within ε of) 0 that the gradient pushes down.
            var step = theta
            for j in 0..<theta.count { step[j] = theta[j] - g[j] }
            var width = 0.0
            for (a, b) in zip(theta, project(step)) { width += (a - b) * (a - b) }
            let eps = min(1e-9, width.squareRoot())
            let free = freeParameters(theta, g, eps: eps)
            let direction = newtonDirection(current, free: free)
            // The Newton decrement gᵀH⁻¹g on the free set: the log-likelihood the local quadratic model still
            // promises. Below 1e-12 no step can improve ℓ measurably (the active parameters' gradients push them
            // into their bounds), so this is the optimum; the gradient itself is then at the resolution of ℓ.
            let decrement = Self.decrement(g, free: free, direction: direction)
            if decrement <= 1e-12 {
                // Polish: full Newton steps (no line search: ℓ cannot resolve the gain) while they shrink the
                // projected gradient, so the KKT residual reaches the gradient's own rounding.
                var trial = theta
                for (k, j) in free.enumerated() { trial[j] = theta[j] + direction[k] }
                trial = project(trial)
                let next = evaluate(trial, derivatives: true)
                guard polish < 5, next.f <= current.f + 1e-12 * max(1, abs(current.f)),
                    projectedGradient(trial, next.g) < projectedGradient(theta, g)
                else { break }
                polish += 1
                theta = trial
                current = next
                continue
            }
            // Armijo along the projection arc; the active parameters follow −g and are projected to 0.
            var alpha = 1.0
            var accepted = false
            while alpha > 1e-20 {
                var trial = theta
                for (k, j) in free.enumerated() { trial[j] = theta[j] + alpha * direction[k] }
                for j in 0..<theta.count where !free.contains(j) { trial[j] = theta[j] - alpha * g[j] }
                for j in p.fixedZero { trial[1 + j] = 0 }
                trial = project(trial)
                var change = 0.0
                for j in 0..<theta.count { change += g[j] * (trial[j] - theta[j]) }
                // The full step is usually taken: its pass computes the derivatives with −ℓ, so an accepted step
                // needs no second pass (−ℓ comes out of both passes with the same bits).
                let full = alpha == 1 ? evaluate(trial, derivatives: true) : nil
                let ft = full?.f ?? evaluate(trial, derivatives: false).f
                if ft < current.f && ft <= current.f + 1e-4 * change {
                    theta = trial
                    current = full ?? evaluate(theta, derivatives: true)
                    accepted = true
                    break
                }
                alpha *= 0.5
            }
            if !accepted { break }
        }
        return (theta, current.f, iterations)
    }

    /// The Newton direction on the free parameters: the Hessian where it is positive definite, else the Fisher
    /// matrix (positive semi-definite) with a small ridge.
    func newtonDirection(_ e: (f: Double, g: [Double], h: Matrix, fisher: Matrix), free: [Int]) -> [Double] {
        let m = free.count
        guard m > 0 else { return [] }
        let rhs = free.map { -e.g[$0] }
        func sub(_ a: Matrix, ridge: Double) -> Matrix {
            var s = Matrix(rows: m, columns: m)
            for (x, i) in free.enumerated() {
                for (y, j) in free.enumerated() { s[x, y] = a[i, j] }
                s[x, x] += ridge * max(1, a[i, i])
            }
            return s
        }
        if let ch = try? Cholesky(sub(e.h, ridge: 0)), let d = try? ch.solve(rhs),
            zip(d, rhs).reduce(0, { $0 + $1.0 * $1.1 }) > 0
        {
            return d
        }
        var ridge = 1e-10
        while ridge < 1e6 {
            if let ch = try? Cholesky(sub(e.fisher, ridge: ridge)), let d = try? ch.solve(rhs) { return d }
            ridge *= 100
        }
        return rhs
    }

    /// The result at an optimum: weights and penalties back on the score's scale.
    func result(
        _ theta: [Double], iterations: Int, starts: Int, reached: [Double], current: [Double]
    ) -> ScoreFormLogistic.Result {
        let e = evaluate(theta, derivatives: true)
        let free = freeParameters(theta, e.g, eps: 0)
        let decrement = Self.decrement(e.g, free: free, direction: newtonDirection(e, free: free))
        let c = Array(theta[1...nf])
        let big = c.reduce(0, +)
        var penalties = p.configuredPenalty
        penalties[0] = 0
        let weights: [Double]
        if big > 0 {
            weights = c.map { 100 * $0 / big }
            for (k, level) in p.fittedLevels.enumerated() { penalties[level] = theta[1 + nf + k] / big }
        } else {
            let s = current.reduce(0, +)
            weights = current.map { s > 0 ? 100 * $0 / s : 0 }
        }
        return ScoreFormLogistic.Result(
            intercept: theta[0], k: big, weights: weights, penalties: penalties, logLikelihood: -e.f, theta: theta,
            gradient: e.g.map { -$0 }, projectedGradient: projectedGradient(theta, e.g), newtonDecrement: decrement,
            iterations: iterations,
            starts: starts, startLogLikelihoods: reached, observations: n)
    }
}
