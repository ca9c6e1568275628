import COpenBLAS
import Foundation

/// Logistic regression with intercept, fitted by Newton/IRLS (DESIGN §4). Specification only:
/// `fit` returns an immutable `LogisticFit`.
public struct LogisticRegression: Sendable {
    /// L2 penalty λ on the coefficients (never the intercept): objective deviance/2 + λ/2·Σβ².
    public var penalty: Double
    /// The most Newton iterations before a non-convergence error.
    public var maxIterations: Int
    /// R glm's rule: |dev − dev_old| / (|dev| + 0.1) < tolerance.
    public var tolerance: Double
    /// Threads over row blocks (OpenBLAS itself is pinned to one thread).
    public var threads: Int

    /// A logistic regression with an optional L2 penalty, iteration limit, tolerance and threads.
    public init(penalty: Double = 0, maxIterations: Int = 100, tolerance: Double = 1e-10, threads: Int = 2) {
        self.penalty = penalty
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.threads = threads
    }

    /// Fits `y` (0/1) on the columns of `x` (n × p, no intercept column) named `names`.
    public func fit(_ x: Matrix, _ y: [Double], names: [String]) throws -> LogisticFit {
        let n = x.rows, p = x.columns
        guard n > 0 else { throw ModelError.noObservations("every outcome row was dropped") }
        guard y.count == n, names.count == p else {
            throw LinearAlgebraError.dimensionMismatch("fit: x \(n)×\(p), y \(y.count), names \(names.count)")
        }
        let churns = y.reduce(0, +)
        if churns == 0 || churns == Double(n) { throw ModelError.oneClass(churned: churns > 0, count: n) }
        // Column statistics: constant factors cannot be estimated.
        var means = [Double](repeating: 0, count: p), sds = [Double](repeating: 0, count: p)
        x.storage.withUnsafeBufferPointer { xs in
            for j in 0..<p {
                let col = xs.baseAddress! + j * n
                var s = 0.0
                for i in 0..<n { s += col[i] }
                let m = s / Double(n)
                var ss = 0.0
                for i in 0..<n { let d = col[i] - m; ss += d * d }
                means[j] = m
                sds[j] = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
            }
        }
        for j in 0..<p where sds[j] <= 1e-12 * max(1, abs(means[j])) && penalty == 0 {
            throw ModelError.constantFactor(name: names[j], value: x[0, j])
        }
        let P = p + 1
        let kernel = IRLSKernel(x: x, y: y, threads: max(1, threads))
        // Start from the intercept-only fit (the null model), as glm's mustart effectively does.
        var beta = [Double](repeating: 0, count: P)
        beta[0] = _log(churns / (Double(n) - churns))
        var pass = kernel.evaluate(beta)
        var penalized = pass.deviance + penaltyTerm(beta)
        var iterations = 0
        var converged = false
        while iterations < maxIterations {
            iterations += 1
            var h = pass.hessian
            var g = pass.gradient
            for j in 1..<max(P, 1) where penalty > 0 { h[j, j] += penalty; g[j] -= penalty * beta[j] }
            let step: [Double]
            do {
                step = try Cholesky(h).solve(g)
            } catch LinearAlgebraError.notPositiveDefinite(let column) {
                if iterations == 1 || pass.extremeFits == 0 { throw collinearity(column: column, x: x, names: names) }
                throw separation(
                    x: x, y: y, names: names,
                    detail: "the information matrix became singular at iteration \(iterations)")
            }
            // Step, halving while the (penalised) deviance is not finite or rises.
            var scale = 1.0
            var next = beta
            var trial = pass
            var trialPenalized = Double.infinity
            for _ in 0..<40 {
                for j in 0..<P { next[j] = beta[j] + scale * step[j] }
                trial = kernel.evaluate(next)
                trialPenalized = trial.deviance + penaltyTerm(next)
                if trialPenalized.isFinite && trialPenalized <= penalized * (1 + 1e-12) + 1e-12 { break }
                scale /= 2
            }
            let change = abs(trialPenalized - penalized) / (abs(trialPenalized) + 0.1)
            beta = next
            pass = trial
            penalized = trialPenalized
            if change < tolerance { converged = true; break }
        }
        // Separation: the deviance goes to zero or fitted probabilities reach 0/1 while estimates grow.
        if penalty == 0 {
            if pass.deviance < 1e-6 {
                throw separation(
                    x: x, y: y, names: names,
                    detail: "the deviance is \(pass.deviance): every observation is predicted perfectly")
            }
            if !converged && pass.extremeFits > 0 {
                throw separation(
                    x: x, y: y, names: names,
                    detail:
                        "\(pass.extremeFits) fitted probabilities are numerically 0 or 1 and the estimates keep growing"
                )
            }
        }
        if !converged {
            throw ModelError.notConverged(
                iterations: iterations, detail: "relative change in deviance still above \(tolerance)")
        }
        var info = pass.hessian
        for j in 1..<max(P, 1) where penalty > 0 { info[j, j] += penalty }
        let covariance: Matrix
        do { covariance = try Cholesky(info).inverse() } catch {
            throw separation(x: x, y: y, names: names, detail: "the information matrix is singular at the estimates")
        }
        var diagnostics: [Diagnostic] = []
        if pass.extremeFits > 0 {
            diagnostics.append(
                Diagnostic(
                    .quasiSeparation,
                    message:
                        "\(pass.extremeFits) fitted probabilities are numerically 0 or 1: some estimates may be "
                        + "unreliable (consider a ridge penalty)"
                ))
        }
        let nullP = churns / Double(n)
        let nullLL = churns * _log(nullP) + (Double(n) - churns) * _log(1 - nullP)
        return LogisticFit(
            names: ["intercept"] + names, coefficients: beta, covariance: covariance,
            featureMeans: means, featureSDs: sds, deviance: pass.deviance, nullLogLikelihood: nullLL,
            observations: n, churns: Int(churns), iterations: iterations, penalty: penalty, diagnostics: diagnostics)
    }

    private func penaltyTerm(_ beta: [Double]) -> Double {
        guard penalty > 0 else { return 0 }
        var s = 0.0
        for j in 1..<beta.count { s += beta[j] * beta[j] }
        return penalty * s
    }

    /// Names the factor whose column is a combination of the earlier ones (Cholesky failed at `column`).
    func collinearity(column: Int, x: Matrix, names: [String]) -> ModelError {
        // 1-based in the design, whose first column is the intercept.
        LogisticRegression.collinearity(factor: column - 2, x: x, names: names)
    }

    /// Names the factors that factor `j`'s column is a combination of (with an intercept).
    static func collinearity(factor j: Int, x: Matrix, names: [String]) -> ModelError {
        guard j >= 0 && j < names.count else { return .collinear(factor: names.first ?? "?", with: []) }
        // Regress that column on the earlier ones (with intercept) to say which ones it is made of.
        let n = x.rows
        var cols = [Double](repeating: 1, count: n)
        for k in 0..<j { cols += x.column(k) }
        let a = Matrix(rows: n, columns: j + 1, storage: cols)
        var with: [String] = []
        if let chol = try? Cholesky(a.gram()),
            let b = try? a.transposeTimes(Matrix(rows: n, columns: 1, storage: x.column(j))),
            let coef = try? chol.solve(b.storage)
        {
            for k in 0..<j
            where abs(coef[k + 1]) * (LogisticRegression.stdDev(x.column(k)) + 1e-300) > 1e-6
                * max(LogisticRegression.stdDev(x.column(j)), 1e-300)
            {
                with.append(names[k])
            }
        }
        return .collinear(factor: names[j], with: with)
    }

    static func stdDev(_ v: [Double]) -> Double {
        let m = v.reduce(0, +) / Double(max(1, v.count))
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, v.count - 1))).squareRoot()
    }

    /// Finds the factors that alone separate the classes, for the message.
    func separation(x: Matrix, y: [Double], names: [String], detail: String) -> ModelError {
        var separators: [String] = []
        for j in 0..<x.columns {
            var min1 = Double.infinity, max1 = -Double.infinity, min0 = Double.infinity, max0 = -Double.infinity
            for i in 0..<x.rows {
                let v = x[i, j]
                if y[i] == 1 {
                    min1 = min(min1, v); max1 = max(max1, v)
                } else {
                    min0 = min(min0, v); max0 = max(max0, v)
                }
            }
            if max1 < min0 || max0 < min1 {
                separators.append(names[j])
            } else if max1 <= min0 || max0 <= min1 {
                separators.append(names[j] + " (quasi)")
            }
        }
        return .separation(factors: separators, detail: detail)
    }
}

/// One pass over the design at given coefficients: deviance, gradient Xᵀ(y − p) and information XᵀWX.
@_spi(Benchmarks) public struct IRLSPass {
    var deviance: Double
    var gradient: [Double]
    var hessian: Matrix
    /// Observations with |η| > 30 (probability numerically 0 or 1).
    var extremeFits: Int
}

/// The fused IRLS pass: each thread takes whole row blocks; per block η by `dgemv`, then p, w, the
/// deviance and the gradient, then the √w-scaled block into a buffer and XᵀWX += BᵀB by `dsyrk`.
/// (A block-contiguous layout of the design was measured and gave the same pass time, so the design
/// stays plainly column-major.)
/// The fused IRLS pass over row blocks. Visible to the benchmarks only (`@_spi(Benchmarks)`), not public API.
@_spi(Benchmarks) public struct IRLSKernel: Sendable {
    let design: [Double]
    let y: [Double]
    let n: Int
    let columns: Int
    let threads: Int
    static let block = 2048

    /// The design `[1, x]`, column-major.
    @_spi(Benchmarks) public init(x: Matrix, y: [Double], threads: Int) {
        let n = x.rows
        var d = [Double](repeating: 1, count: n * (x.columns + 1))
        d.withUnsafeMutableBufferPointer { dp in
            x.storage.withUnsafeBufferPointer { xs in
                (dp.baseAddress! + n).update(from: xs.baseAddress!, count: n * x.columns)
            }
        }
        self.design = d
        self.y = y
        self.n = n
        self.columns = x.columns + 1
        self.threads = n < 20_000 ? 1 : threads
    }

    /// Rows are cut into a fixed number of chunks whatever the thread count, and the chunks' partial sums
    /// are added in chunk order: results are bit-for-bit the same with 1 or 2 threads.
    static func chunks(_ blocks: Int) -> Int { max(1, min(16, blocks)) }

    /// Runs `work(0..<parts)` on up to `threads` threads.
    /// When OpenBLAS itself runs several threads (nobody called `BLAS.setThreads(1)`), the blocks run one after
    /// another and OpenBLAS parallelises each call: never two thread pools on the same cores.
    static func run(_ parts: Int, threads: Int, _ work: @escaping @Sendable (Int) -> Void) {
        if threads <= 1 || parts == 1 || BLAS.threads > 1 {
            for t in 0..<parts { work(t) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: work)
        }
    }

    /// H += BᵀB with B = diag(√w)·X_block (X_block: `rows` × `columns`, leading dimension `ld`), by `dsyrk` (upper).
    @inline(__always)
    static func addScaledGram(
        block xb: UnsafePointer<Double>, rows m: Int, ld: Int, columns P: Int, sqrtWeights sw: UnsafePointer<Double>,
        buffer scaled: UnsafeMutablePointer<Double>, into h: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<P {
            let src = xb + j * ld
            let dst = scaled + j * m
            for i in 0..<m { dst[i] = src[i] * sw[i] }
        }
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(P), Int32(m), 1, scaled, Int32(m), 1, h, Int32(P))
    }

    /// XᵀWX alone for given weights (the benchmark's measure of the BLAS part), threads over row blocks.
    @_spi(Benchmarks) public func weightedGram(_ w: [Double]) -> Matrix {
        IRLSKernel.weightedGram(
            design: design, rows: n, columns: columns, sqrtWeights: w.map { $0.squareRoot() }, threads: threads)
    }

    /// XᵀWX for a column-major design (`rows` × `columns`) and √w per row, by `dsyrk` on √w-scaled row
    /// blocks: fixed chunks whose partial sums are added in chunk order, so any thread count gives the
    /// same bits.
    static func weightedGram(
        design: [Double], rows n: Int, columns P: Int, sqrtWeights sw: [Double], threads: Int
    ) -> Matrix {
        let blocks = (n + IRLSKernel.block - 1) / IRLSKernel.block
        let parts = IRLSKernel.chunks(blocks)
        final class Part: @unchecked Sendable {
            var h: [Double]; init(_ k: Int) { h = [Double](repeating: 0, count: k) }
        }
        let partials = (0..<parts).map { _ in Part(P * P) }
        let work: @Sendable (Int) -> Void = { t in
            let scaled = UnsafeMutablePointer<Double>.allocate(capacity: IRLSKernel.block * P)
            defer { scaled.deallocate() }
            design.withUnsafeBufferPointer { X in
                sw.withUnsafeBufferPointer { S in
                    partials[t].h.withUnsafeMutableBufferPointer { H in
                        for blk in (blocks * t / parts)..<(blocks * (t + 1) / parts) {
                            let r0 = blk * IRLSKernel.block
                            IRLSKernel.addScaledGram(
                                block: X.baseAddress! + r0, rows: min(IRLSKernel.block, n - r0), ld: n, columns: P,
                                sqrtWeights: S.baseAddress! + r0, buffer: scaled, into: H.baseAddress!)
                        }
                    }
                }
            }
        }
        IRLSKernel.run(parts, threads: n < 20_000 ? 1 : threads, work)
        var h = Matrix(rows: P, columns: P)
        for part in partials { for k in 0..<(P * P) { h.storage[k] += part.h[k] } }
        h.symmetrizeFromUpper()
        return h
    }

    /// One IRLS pass at `beta` (for the benchmarks).
    @_spi(Benchmarks) public func evaluate(_ beta: [Double]) -> IRLSPass {
        let P = columns
        let blocks = (n + IRLSKernel.block - 1) / IRLSKernel.block
        let parts = IRLSKernel.chunks(blocks)
        final class Partial: @unchecked Sendable {
            var dev = 0.0, extreme = 0
            var g: [Double]
            var h: [Double]
            init(_ P: Int) { g = [Double](repeating: 0, count: P); h = [Double](repeating: 0, count: P * P) }
        }
        let partials = (0..<parts).map { _ in Partial(P) }
        let work: @Sendable (Int) -> Void = { t in
            let part = partials[t]
            let b0 = blocks * t / parts, b1 = blocks * (t + 1) / parts
            let bufRows = IRLSKernel.block
            let scaled = UnsafeMutablePointer<Double>.allocate(capacity: bufRows * P)
            let eta = UnsafeMutablePointer<Double>.allocate(capacity: bufRows)
            let resid = UnsafeMutablePointer<Double>.allocate(capacity: bufRows)
            let sw = UnsafeMutablePointer<Double>.allocate(capacity: bufRows)
            defer { scaled.deallocate(); eta.deallocate(); resid.deallocate(); sw.deallocate() }
            var dev = 0.0, extreme = 0
            design.withUnsafeBufferPointer { X in
                y.withUnsafeBufferPointer { Y in
                    beta.withUnsafeBufferPointer { B in
                        part.g.withUnsafeMutableBufferPointer { G in
                            part.h.withUnsafeMutableBufferPointer { H in
                                for blk in b0..<b1 {
                                    let r0 = blk * IRLSKernel.block
                                    let m = min(IRLSKernel.block, n - r0)
                                    let xb = X.baseAddress! + r0
                                    cblas_dgemv(
                                        CblasColMajor, CblasNoTrans, Int32(m), Int32(P), 1, xb, Int32(n), B.baseAddress,
                                        1, 0, eta, 1)
                                    for i in 0..<m {
                                        let e = eta[i]
                                        let yi = Y[r0 + i]
                                        // p = σ(η) and the deviance term, stable for large |η|
                                        let ex = _exp(-abs(e))
                                        let pr = e >= 0 ? 1 / (1 + ex) : ex / (1 + ex)
                                        let softplus = _log1p(ex)
                                        dev +=
                                            yi > 0.5
                                            ? (e >= 0 ? softplus : softplus - e) : (e >= 0 ? softplus + e : softplus)
                                        if abs(e) > 30 { extreme += 1 }
                                        resid[i] = yi - pr
                                        sw[i] = (pr * (1 - pr)).squareRoot()
                                    }
                                    cblas_dgemv(
                                        CblasColMajor, CblasTrans, Int32(m), Int32(P), 1, xb, Int32(n), resid, 1, 1,
                                        G.baseAddress, 1)
                                    IRLSKernel.addScaledGram(
                                        block: xb, rows: m, ld: n, columns: P, sqrtWeights: sw, buffer: scaled,
                                        into: H.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            part.dev = 2 * dev
            part.extreme = extreme
        }
        IRLSKernel.run(parts, threads: threads, work)
        var h = Matrix(rows: P, columns: P)
        var g = [Double](repeating: 0, count: P)
        var dev = 0.0, extreme = 0
        for part in partials {
            dev += part.dev
            extreme += part.extreme
            for j in 0..<P { g[j] += part.g[j] }
            for k in 0..<(P * P) { h.storage[k] += part.h[k] }
        }
        h.symmetrizeFromUpper()
        return IRLSPass(deviance: dev, gradient: g, hessian: h, extremeFits: extreme)
    }
}
