import COpenBLAS
import Foundation

/// Cox proportional hazards on counting-process data (DESIGN §4), by Newton–Raphson on the partial
/// likelihood. Specification only: `fit` returns an immutable `CoxFit`.
///
/// Each iteration is two sequential passes over the intervals and one BLAS level-3 call, O(N·K + N·K²/BLAS):
/// - the risk-set sums S0(t), S1(t) at every event time come from a difference array over the sorted event
///   times (each interval adds itself where its risk range starts and removes itself after it ends), so
///   no per-time scan of the risk set and no re-sorting;
/// - the information Σ_t Σ_l [S2_l(t)/φ_l − x̄_l x̄_lᵀ] is rewritten as XᵀWX − Σ x̄ x̄ᵀ, where each
///   interval's weight is its risk times the sum of 1/φ over the event times it is at risk for (minus
///   Efron's share for its own death), so S2 is never formed per time: XᵀWX is `dsyrk` on √w-scaled blocks.
public struct CoxRegression: Sendable {
    /// How tied event times are handled.
    public enum Ties: String, Sendable, CaseIterable {
        /// Efron's approximation (lifelines' only method, R's default).
        case efron
        /// Breslow's approximation.
        case breslow
    }

    /// The tie method.
    public var ties: Ties
    /// L2 penalty λ: maximises log PL − λ/2·Σβ² (raw factor scale).
    public var penalty: Double
    /// The most Newton iterations before a non-convergence error.
    public var maxIterations: Int
    /// Converged when every step is below this in standard-deviation units (|Δβⱼ|·sd(xⱼ)).
    public var tolerance: Double
    /// Threads for XᵀWX (over fixed row chunks, so results do not depend on it).
    public var threads: Int

    /// A Cox regression with a tie method, penalty, iteration limit, tolerance and threads.
    public init(
        ties: Ties = .efron, penalty: Double = 0, maxIterations: Int = 50, tolerance: Double = 1e-10, threads: Int = 2
    ) {
        self.ties = ties
        self.penalty = penalty
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.threads = threads
    }

    /// |β·sd| beyond which a coefficient is taken as running off to infinity (monotone likelihood).
    static let separationLimit = 25.0
    /// The most one Newton step may change any row's log relative hazard (a factor of e¹⁰ ≈ 22,000). Far from
    /// the optimum, a rare factor's Newton step can be enormous where the likelihood is nearly flat in it (a
    /// mean-filled indicator on a few dozen early intervals with one churn): taken whole, or merely halved, it
    /// leaves the iterates where every such row has zero weight and the fit looks like a monotone likelihood
    /// that is not one. Near the optimum steps are far smaller, so the answer is unchanged.
    static let maxShift = 10.0

    /// Fits the model to counting-process data.
    public func fit(_ data: SurvivalData) throws -> CoxFit {
        let n = data.count, p = data.x.columns
        guard n > 0 else { throw ModelError.noObservations("there is no interval to fit") }
        let events = data.events
        guard events > 0 else { throw ModelError.noEvents(intervals: n) }
        guard p > 0 else { throw ModelError.noObservations("there is no factor to fit") }
        let problem = CoxProblem(data, ties: ties)
        for j in 0..<p where problem.sds[j] <= 1e-12 * max(1, abs(problem.means[j])) && penalty == 0 {
            throw ModelError.constantFactor(name: data.names[j], value: data.x[0, j])
        }
        var beta = [Double](repeating: 0, count: p)
        var pass = problem.evaluate(beta, threads: threads, keep: false)
        let nullLL = pass.logLikelihood
        var objective = pass.logLikelihood
        var iterations = 0
        var converged = false
        // Per factor, how many iterations in a row its |β| has grown (a rare factor running off to infinity
        // grows slowly in β·sd, so the separation limit alone would call it non-convergence).
        var growing = [Int](repeating: 0, count: p)
        while iterations < maxIterations {
            iterations += 1
            var info = pass.information
            var g = pass.gradient
            for j in 0..<p where penalty > 0 { info[j, j] += penalty; g[j] -= penalty * beta[j] }
            let step: [Double]
            do {
                step = try Cholesky(info).solve(g)
            } catch LinearAlgebraError.notPositiveDefinite(let column) {
                if iterations == 1 {
                    throw LogisticRegression.collinearity(factor: column - 1, x: data.x, names: data.names)
                }
                throw separation(
                    beta, growing: growing, problem: problem, names: data.names,
                    detail: "the information matrix became singular at iteration \(iterations)")
            }
            // Step, halving while the (penalised) partial likelihood is not finite or falls.
            let shift = problem.largestShift(step)
            var scale = shift > CoxRegression.maxShift ? CoxRegression.maxShift / shift : 1.0
            var next = beta
            var trial = pass
            var trialObjective = -Double.infinity
            for _ in 0..<40 {
                for j in 0..<p { next[j] = beta[j] + scale * step[j] }
                trial = problem.evaluate(next, threads: threads, keep: false)
                trialObjective = trial.logLikelihood - penaltyTerm(next)
                if trialObjective.isFinite && trialObjective >= objective - 1e-12 * abs(objective) { break }
                scale /= 2
            }
            var largest = 0.0
            for j in 0..<p { largest = max(largest, abs(next[j] - beta[j]) * problem.sds[j]) }
            let llChange = abs(trialObjective - objective)
            for j in 0..<p { growing[j] = abs(next[j]) > abs(beta[j]) && next[j] * beta[j] >= 0 ? growing[j] + 1 : 0 }
            beta = next
            pass = trial
            objective = trialObjective
            if penalty == 0,
                beta.indices.contains(where: { abs(beta[$0]) * problem.sds[$0] > CoxRegression.separationLimit })
            {
                throw separation(
                    beta, problem: problem, names: data.names,
                    detail: "the estimates keep growing while the partial likelihood levels off")
            }
            if largest < tolerance { converged = true; break }
            if llChange <= 1e-15 * max(1, abs(objective)) {
                // The likelihood has levelled off. At a maximum the step has shrunk with it; a coefficient
                // still stepping by a sizeable fraction of itself, and growing, runs off to infinity (R's
                // coxph: "Loglik converged before variable").
                let runaway = (0..<p).filter {
                    growing[$0] >= 3 && abs(scale * step[$0]) > 1e-4 * max(1, abs(beta[$0]))
                }
                if penalty == 0 && !runaway.isEmpty {
                    throw Self.monotone(
                        runaway, names: data.names,
                        "the partial likelihood levelled off after \(iterations) iterations while these estimates "
                            + "still grow at every step")
                }
                converged = true
                break
            }
        }
        if !converged {
            let runaway = (0..<p).filter { growing[$0] >= 10 }
            if penalty == 0 && !runaway.isEmpty {
                throw Self.monotone(
                    runaway, names: data.names,
                    "after \(iterations) iterations these estimates still grow at every step while the partial "
                        + "likelihood levels off")
            }
            throw ModelError.notConverged(
                iterations: iterations, detail: "the Newton step is still above \(tolerance) standard deviations")
        }
        // The final pass keeps what the robust errors, the baseline and the concordance need.
        pass = problem.evaluate(beta, threads: threads, keep: true)
        var info = pass.information
        for j in 0..<p where penalty > 0 { info[j, j] += penalty }
        let covariance: Matrix
        do { covariance = try Cholesky(info).inverse() } catch {
            throw separation(
                beta, problem: problem, names: data.names, detail: "the information matrix is singular at the estimates"
            )
        }
        let robust = problem.robustCovariance(pass, covariance: covariance, subjectCount: data.subjectIds.count)
        let baseline = problem.baseline(pass)
        let concordance = Concordance.harrell(problem: problem, eta: pass.eta)
        var diagnostics: [Diagnostic] = []
        for j in 0..<p where abs(beta[j]) * problem.sds[j] > 10 {
            diagnostics.append(
                Diagnostic(
                    .largeEffect, column: data.names[j],
                    message:
                        "factor '\(data.names[j])' has a hazard ratio of \(_exp(abs(beta[j]) * problem.sds[j])) per "
                        + "standard deviation: near-monotone likelihood, its estimate may be unreliable (consider a "
                        + "ridge penalty)"
                ))
        }
        return CoxFit(
            names: data.names, coefficients: beta, covariance: covariance, robustCovariance: robust,
            logLikelihood: pass.logLikelihood, nullLogLikelihood: nullLL, concordance: concordance,
            iterations: iterations, intervals: n, events: events, subjects: data.subjectsPresent,
            ties: ties, penalty: penalty, means: problem.means, featureSDs: problem.sds,
            baselineTimes: baseline.times, baselineCumulativeHazard: baseline.cumulative, diagnostics: diagnostics)
    }

    /// The separation error for factors whose estimates run off to infinity.
    private static func monotone(_ factors: [Int], names: [String], _ detail: String) -> ModelError {
        .separation(
            factors: factors.map { names[$0] },
            detail: detail + "; in survival terms, the factor orders the churns perfectly (monotone likelihood)")
    }

    private func penaltyTerm(_ beta: [Double]) -> Double {
        penalty > 0 ? penalty / 2 * beta.reduce(0) { $0 + $1 * $1 } : 0
    }

    /// Names the factors running off: a large effect per standard deviation or an estimate that kept growing;
    /// failing both, the largest effect.
    private func separation(
        _ beta: [Double], growing: [Int] = [], problem: CoxProblem, names: [String], detail: String
    ) -> ModelError {
        let effect = names.indices.map { abs(beta[$0]) * problem.sds[$0] }
        var runaway = names.indices.filter { effect[$0] > 10 || (growing.indices.contains($0) && growing[$0] >= 3) }
        if runaway.isEmpty, let top = names.indices.max(by: { effect[$0] < effect[$1] }) { runaway = [top] }
        return .separation(
            factors: runaway.map { names[$0] },
            detail: detail + "; in survival terms, the factor orders the churns perfectly (monotone likelihood)")
    }
}

/// One evaluation of the partial likelihood at β.
struct CoxPass {
    var logLikelihood: Double
    var gradient: [Double]
    /// −∂²ℓ/∂β² (positive definite at a maximum).
    var information: Matrix
    // Kept on the final pass only:
    var eta: [Double] = []
    /// exp(η − shift) per interval.
    var risk: [Double] = []
    var shift = 0.0
    /// Per event time: S0 (shifted), Σ_l f_l/φ_l, then p-vectors Σ_l x̄_l/φ_l, Σ_l f_l x̄_l/φ_l, mean_l x̄_l;
    /// and cumC[k + 1] = Σ_{j ≤ k} Σ_l 1/φ_l.
    var s0: [Double] = []
    var cumC: [Double] = []
    var e: [Double] = []
    var b: [Double] = []
    var be: [Double] = []
    var meanXbar: [Double] = []
}

/// The fixed part of a Cox problem: the intervals sorted by stop time with a centred design, the event
/// times, and each interval's range of event times. Sorting once makes every pass sequential: the
/// intervals whose risk range ends at event time k are one contiguous block.
struct CoxProblem: Sendable {
    let n: Int
    let p: Int
    /// Centred design in stop-time order, column-major.
    let xc: [Double]
    let means: [Double]
    let sds: [Double]
    /// In stop-time order.
    let event: [Bool]
    let subjects: [Int32]
    let ties: CoxRegression.Ties
    /// Distinct event times, ascending.
    let times: [Double]
    /// Interval i is at risk at event times lo[i]...hi[i] (empty when lo > hi).
    let lo: [Int32]
    let hi: [Int32]
    /// Rows with hi == k are block[k]..<block[k + 1] (rows before block[0] end before the first event time).
    let block: [Int]
    /// Rows that leave the risk set on the way down (lo > 0), with their lo.
    let leaving: [Int32]
    /// Deaths per event time, and the sum of every death's (centred) factor values.
    let deaths: [Int]
    let deathX: [Double]

    init(_ data: SurvivalData, ties: CoxRegression.Ties) {
        let n = data.count, p = data.x.columns
        self.n = n
        self.p = p
        self.ties = ties
        // Stop-time order (ties by input order, so the result never depends on the sort algorithm).
        var keyed = [(Double, Int32)](repeating: (0, 0), count: n)
        for i in 0..<n { keyed[i] = (data.stop[i], Int32(i)) }
        keyed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        // The order and the sorted stops apart, and the pairs freed before the centred copy is made.
        let order = keyed.map { Int($0.1) }
        let stops = keyed.map(\.0)
        keyed = []
        var m = [Double](repeating: 0, count: p), s = [Double](repeating: 0, count: p)
        var xc = [Double](repeating: 0, count: n * p)
        data.x.storage.withUnsafeBufferPointer { X in
            xc.withUnsafeMutableBufferPointer { C in
                for j in 0..<p {
                    let src = X.baseAddress! + j * n, dst = C.baseAddress! + j * n
                    var sum = 0.0
                    for i in 0..<n { sum += src[i] }
                    let mean = sum / Double(n)
                    var ss = 0.0
                    for r in 0..<n { let v = src[order[r]] - mean; dst[r] = v; ss += v * v }
                    m[j] = mean
                    s[j] = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
                }
            }
        }
        self.xc = xc
        means = m
        sds = s
        event = order.map { data.event[$0] }
        subjects = order.map { data.subject[$0] }
        var unique: [Double] = []
        for r in 0..<n where event[r] && unique.last != stops[r] { unique.append(stops[r]) }
        times = unique
        let U = unique.count
        // hi: last event time ≤ stop, by a merge (stops are sorted); lo: first event time > start.
        var lo = [Int32](repeating: 0, count: n), hi = [Int32](repeating: 0, count: n)
        var block = [Int](repeating: n, count: U + 1)
        var leaving: [Int32] = []
        var k = -1
        for r in 0..<n {
            while k + 1 < U && unique[k + 1] <= stops[r] { k += 1; block[k] = r }
            hi[r] = Int32(k)
            let a = unique.upperBound(data.start[order[r]])
            lo[r] = Int32(a)
            if a > 0 && a <= k { leaving.append(Int32(r)) }
        }
        if U > 0 {
            for q in stride(from: U - 1, through: 0, by: -1) where block[q] > block[q + 1] { block[q] = block[q + 1] }
        }
        self.lo = lo
        self.hi = hi
        self.block = block
        self.leaving = leaving
        var d = [Int](repeating: 0, count: U)
        var perTime = [Double](repeating: 0, count: U * p)
        for r in 0..<n where event[r] {
            let h = Int(hi[r])
            d[h] += 1
            for j in 0..<p { perTime[h * p + j] += xc[j * n + r] }
        }
        // Summed time by time (the order the gradient has always used).
        var dx = [Double](repeating: 0, count: p)
        for k in 0..<U { for j in 0..<p { dx[j] += perTime[k * p + j] } }
        deaths = d
        deathX = dx
    }

    /// The largest change |Xc·δ| that the step δ makes to any row's linear predictor.
    func largestShift(_ step: [Double]) -> Double {
        var change = [Double](repeating: 0, count: n)
        xc.withUnsafeBufferPointer { X in
            cblas_dgemv(
                CblasColMajor, CblasNoTrans, Int32(n), Int32(p), 1, X.baseAddress, Int32(n), step, 1, 0, &change, 1)
        }
        var largest = 0.0
        for v in change { largest = max(largest, abs(v)) }
        return largest
    }

    /// The partial log-likelihood, its gradient and information at β (in centred terms: the same β).
    func evaluate(_ beta: [Double], threads: Int, keep: Bool) -> CoxPass {
        let U = times.count, P1 = p + 1
        // η = Xc·β, then r = exp(η − max η).
        var eta = [Double](repeating: 0, count: n)
        xc.withUnsafeBufferPointer { X in
            cblas_dgemv(
                CblasColMajor, CblasNoTrans, Int32(n), Int32(p), 1, X.baseAddress, Int32(n), beta, 1, 0, &eta, 1)
        }
        let shift = eta.max() ?? 0
        var risk = [Double](repeating: 0, count: n)
        for i in 0..<n { risk[i] = _exp(eta[i] - shift) }
        // (r, r·x) of the rows whose range starts at event time k, which leave a downward sweep below k.
        // Sweeping down, S(k) = Σ_{hi ≥ k} (r, r·x) − Σ_{lo > k} (r, r·x): with one interval per subject nothing
        // leaves, so a risk set far smaller than the whole (late times, or risks spanning many orders of
        // magnitude) is summed without cancellation.
        var leave = [Double](repeating: 0, count: leaving.isEmpty ? 0 : U * P1)
        var ll = 0.0
        xc.withUnsafeBufferPointer { X in
            leave.withUnsafeMutableBufferPointer { L in
                for q in leaving {
                    let i = Int(q), r = risk[i]
                    let pa = L.baseAddress! + Int(lo[i]) * P1
                    pa[0] += r
                    for j in 0..<p { pa[j + 1] += r * X[j * n + i] }
                }
            }
        }
        var gradient = deathX
        var outer = [Double](repeating: 0, count: p * p)  // Σ x̄ x̄ᵀ, upper triangle
        var c = [Double](repeating: 0, count: U), e = [Double](repeating: 0, count: U)
        var s0s = keep ? [Double](repeating: 0, count: U) : []
        var bs = keep ? [Double](repeating: 0, count: U * p) : [],
            bes = keep ? [Double](repeating: 0, count: U * p) : []
        var mx = keep ? [Double](repeating: 0, count: U * p) : []
        var entered = [Double](repeating: 0, count: P1), left = [Double](repeating: 0, count: P1)
        var running = [Double](repeating: 0, count: P1), dead = [Double](repeating: 0, count: P1)
        var xbar = [Double](repeating: 0, count: p)
        xc.withUnsafeBufferPointer { X in
            for k in stride(from: U - 1, through: 0, by: -1) {
                if k + 1 < U && !leave.isEmpty { for j in 0..<P1 { left[j] += leave[(k + 1) * P1 + j] } }
                for j in 0..<P1 { dead[j] = 0 }
                for i in block[k]..<block[k + 1] where lo[i] <= hi[i] {
                    let r = risk[i]
                    entered[0] += r
                    for j in 0..<p { entered[j + 1] += r * X[j * n + i] }
                    if event[i] {
                        ll += eta[i]
                        dead[0] += r
                        for j in 0..<p { dead[j + 1] += r * X[j * n + i] }
                    }
                }
                for j in 0..<P1 { running[j] = entered[j] - left[j] }
                let d = deaths[k]
                let s0 = running[0]
                if keep { s0s[k] = s0 }
                var ck = 0.0, ek = 0.0
                for l in 0..<d {
                    let f = ties == .efron ? Double(l) / Double(d) : 0
                    let phi = s0 - f * dead[0]
                    ll -= _log(phi) + shift
                    let inv = 1 / phi
                    ck += inv
                    ek += f * inv
                    for j in 0..<p {
                        xbar[j] = (running[j + 1] - f * dead[j + 1]) * inv
                        gradient[j] -= xbar[j]
                    }
                    for j in 0..<p { for i in 0...j { outer[j * p + i] += xbar[i] * xbar[j] } }
                    if keep {
                        for j in 0..<p {
                            bs[k * p + j] += xbar[j] * inv
                            bes[k * p + j] += f * xbar[j] * inv
                            mx[k * p + j] += xbar[j] / Double(d)
                        }
                    }
                }
                c[k] = ck
                e[k] = ek
            }
        }
        // Weights: each interval's risk × Σ c over its event times, less Efron's share at its own death.
        var cum = [Double](repeating: 0, count: U + 1)  // cum[k + 1] = Σ_{j ≤ k} c_j
        for k in 0..<U { cum[k + 1] = cum[k] + c[k] }
        var sw = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let a = Int(lo[i]), z = Int(hi[i])
            if a > z { continue }
            var w = risk[i] * (cum[z + 1] - cum[a])
            if event[i] { w -= risk[i] * e[z] }
            sw[i] = w > 0 ? w.squareRoot() : 0
        }
        var info = IRLSKernel.weightedGram(design: xc, rows: n, columns: p, sqrtWeights: sw, threads: threads)
        for j in 0..<p {
            for i in 0...j {
                info[i, j] -= outer[j * p + i]
                if i != j { info[j, i] -= outer[j * p + i] }
            }
        }
        var pass = CoxPass(logLikelihood: ll, gradient: gradient, information: info)
        if keep {
            pass.eta = eta; pass.risk = risk; pass.shift = shift
            pass.s0 = s0s; pass.cumC = cum; pass.e = e; pass.b = bs; pass.be = bes; pass.meanXbar = mx
        }
        return pass
    }

    /// The sandwich V·(Σ_c U_c U_cᵀ)·V with U_c the sum of the score residuals of subject c's intervals
    /// (Efron-weighted as in R's `coxph`; Lin & Wei 1989), V the model-based covariance.
    func robustCovariance(_ pass: CoxPass, covariance: Matrix, subjectCount: Int) -> Matrix {
        let U = times.count
        // Prefix sums over event times of b (vector); those of c come with the pass.
        let cumC = pass.cumC
        var cumB = [Double](repeating: 0, count: (U + 1) * p)
        for k in 0..<U {
            for j in 0..<p { cumB[(k + 1) * p + j] = cumB[k * p + j] + pass.b[k * p + j] }
        }
        var scores = [Double](repeating: 0, count: subjectCount * p)
        for i in 0..<n {
            let a = Int(lo[i]), z = Int(hi[i])
            if a > z { continue }
            let r = pass.risk[i]
            let ca = cumC[z + 1] - cumC[a]
            let base = Int(subjects[i]) * p
            for j in 0..<p {
                let x = xc[j * n + i]
                var u = -r * (x * ca - (cumB[(z + 1) * p + j] - cumB[a * p + j]))
                if event[i] {
                    u += x - pass.meanXbar[z * p + j] + r * (x * pass.e[z] - pass.be[z * p + j])
                }
                scores[base + j] += u
            }
        }
        // B = Σ_c U_c U_cᵀ (dsyrk over the subjects × p matrix, row-major = p × subjects column-major).
        var meat = Matrix(rows: p, columns: p)
        scores.withUnsafeBufferPointer { S in
            cblas_dsyrk(
                CblasColMajor, CblasUpper, CblasNoTrans, Int32(p), Int32(subjectCount), 1, S.baseAddress, Int32(p), 0,
                &meat.storage, Int32(p))
        }
        meat.symmetrizeFromUpper()
        var out = Matrix(rows: p, columns: p)
        var tmp = Matrix(rows: p, columns: p)
        cblas_dgemm(
            CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(p), Int32(p), Int32(p), 1, covariance.storage, Int32(p),
            meat.storage, Int32(p), 0, &tmp.storage, Int32(p))
        cblas_dgemm(
            CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(p), Int32(p), Int32(p), 1, tmp.storage, Int32(p),
            covariance.storage, Int32(p), 0, &out.storage, Int32(p))
        return out
    }

    /// Breslow's cumulative baseline hazard at the event times, for factors at their means (lifelines' convention).
    func baseline(_ pass: CoxPass) -> (times: [Double], cumulative: [Double]) {
        var h = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(times.count)
        for k in 0..<times.count {
            h += Double(deaths[k]) / pass.s0[k] * _exp(-pass.shift)
            cumulative.append(h)
        }
        return (times, cumulative)
    }
}

extension CoxFit {
    /// Each factor's hazard ratio per standard deviation of the factor, exp(β·sd), with its 95 % interval, so
    /// that factors on different scales compare.
    public var hazardRatiosPerSD: (estimate: [Double], low: [Double], high: [Double]) {
        let sd = featureSDs
        return (
            names.indices.map { _exp(coefficients[$0] * sd[$0]) },
            names.indices.map { _exp(confidenceLow[$0] * sd[$0]) },
            names.indices.map { _exp(confidenceHigh[$0] * sd[$0]) }
        )
    }
}
