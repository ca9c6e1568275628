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
        let (means, sds) = LogisticRegression.columnStatistics(x, threads: threads)
        for j in 0..<p where sds[j] <= 1e-12 * max(1, abs(means[j])) && penalty == 0 {
            throw ModelError.constantFactor(name: names[j], value: x[0, j])
        }
        let kernel = IRLSKernel(x: x, y: y, threads: max(1, threads))
        // Start from the intercept-only fit (the null model), as glm's mustart effectively does.
        var beta = [Double](repeating: 0, count: p + 1)
        beta[0] = _log(churns / (Double(n) - churns))
        return try newton(
            kernel, from: beta, pass: kernel.evaluate(beta), x: x, y: y, names: names, means: means, sds: sds,
            churns: churns)
    }

    /// Newton's iterations from `start`, whose pass is `first`: one pass over the design per iteration (the
    /// pass at the new point gives its deviance, gradient and information at once); step halving works on the
    /// linear predictors the passes kept, and reads the design again only for the point it lands on.
    func newton(
        _ kernel: IRLSKernel, from start: [Double], pass first: IRLSPass, x: Matrix, y: [Double], names: [String],
        means: [Double], sds: [Double], churns: Double
    ) throws -> LogisticFit {
        let n = kernel.count, P = kernel.columns
        var beta = start
        var pass = first
        var penalized = pass.deviance + penaltyTerm(beta)
        var iterations = 0
        var converged = false
        var lastStep = 0.0
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
            // The full step; then halving while the (penalised) deviance is not finite or rises. η is linear in
            // the coefficients, so a halved step's deviance comes from the two passes' η without the design.
            var next = beta
            for j in 0..<P { next[j] = beta[j] + step[j] }
            var trial = kernel.evaluate(next)
            var trialPenalized = trial.deviance + penaltyTerm(next)
            if !(trialPenalized.isFinite && trialPenalized <= penalized * (1 + 1e-12) + 1e-12) {
                var scale = 1.0
                for _ in 1..<40 {
                    scale /= 2
                    for j in 0..<P { next[j] = beta[j] + scale * step[j] }
                    let dev = kernel.deviance(between: pass.eta, and: trial.eta, at: scale)
                    if dev + penaltyTerm(next) <= penalized * (1 + 1e-12) + 1e-12 { break }
                }
                trial = kernel.evaluate(next)
                trialPenalized = trial.deviance + penaltyTerm(next)
            }
            let change = abs(trialPenalized - penalized) / (abs(trialPenalized) + 0.1)
            lastStep = 0
            for j in 0..<P { lastStep = max(lastStep, abs(next[j] - beta[j]) / max(1, abs(next[j]))) }
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
        var fit = LogisticFit(
            names: ["intercept"] + names, coefficients: beta, covariance: covariance,
            featureMeans: means, featureSDs: sds, deviance: pass.deviance, nullLogLikelihood: nullLL,
            observations: n, churns: Int(churns), iterations: iterations, penalty: penalty, diagnostics: diagnostics)
        fit.designRowsRead = kernel.reads.rows
        fit.lastStep = lastStep
        return fit
    }

    /// Each column's mean and sample standard deviation (two passes per column), columns shared between threads.
    static func columnStatistics(_ x: Matrix, threads: Int) -> (means: [Double], sds: [Double]) {
        let n = x.rows, p = x.columns
        guard p > 0 else { return ([], []) }
        // Two arrays of their own (never one buffer shared copy-on-write: a thread's first write would copy it
        // while the other thread writes), filled through their base pointers, each thread its own columns.
        var means = [Double](repeating: 0, count: p)
        var sds = [Double](repeating: 0, count: p)
        let storage = x.storage
        means.withUnsafeMutableBufferPointer { mb in
            sds.withUnsafeMutableBufferPointer { sb in
                let means = DisjointSlots(base: mb.baseAddress!), sds = DisjointSlots(base: sb.baseAddress!)
                let work: @Sendable (Int) -> Void = { t in
                    storage.withUnsafeBufferPointer { xs in
                        for j in stride(from: t, to: p, by: max(1, threads)) {
                            let col = xs.baseAddress! + j * n
                            var s = 0.0
                            for i in 0..<n { s += col[i] }
                            let m = s / Double(n)
                            var ss = 0.0
                            for i in 0..<n { let d = col[i] - m; ss += d * d }
                            means.base[j] = m
                            sds.base[j] = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
                        }
                    }
                }
                IRLSKernel.run(max(1, min(threads, p)), threads: n * p < 200_000 ? 1 : threads, work)
            }
        }
        return (means, sds)
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

/// One pass over the design at given coefficients: deviance, gradient Xᵀ(y − p) and information XᵀWX, and
/// the linear predictor of each row used (in the kernel's row order), kept for step halving.
@_spi(Benchmarks) public struct IRLSPass: Sendable {
    var deviance: Double
    var gradient: [Double]
    var hessian: Matrix
    /// Observations with |η| > 30 (probability numerically 0 or 1).
    var extremeFits: Int
    var eta: [Double]
}

/// Counts the rows of the design that passes have read (a test-only measure: passes = rows / rows used).
final class DesignReads: @unchecked Sendable {
    private let lock = NSLock()
    private var _rows = 0
    var rows: Int { lock.lock(); defer { lock.unlock() }; return _rows }
    func add(_ r: Int) { lock.lock(); _rows += r; lock.unlock() }
}

/// The fused IRLS pass over row blocks of the caller's design (no copy of it, no intercept column): each
/// thread takes whole blocks; per block η = β₀ + Xβ by `dgemv`, then p, w, the deviance and the gradient,
/// then the √w-scaled block (its first column √w for the intercept) into a buffer and XᵀWX += BᵀB by
/// `dsyrk`. The block stays in cache between the three, so each pass reads the design from memory once.
/// The kernel reads the rows of `ranges` (in order): all rows for a fit, the other folds' for a fold's fit.
@_spi(Benchmarks) public struct IRLSKernel: Sendable {
    let x: [Double]
    let y: [Double]
    /// Rows of the design (its leading dimension).
    let n: Int
    /// Columns with the intercept: p + 1.
    let columns: Int
    let threads: Int
    /// Row blocks: first row, rows, position of the first in the kernel's row order.
    let blocks: [(start: Int, rows: Int, offset: Int)]
    /// Rows used (the sum of the ranges).
    let count: Int
    let reads = DesignReads()
    static let block = 2048

    /// A kernel over every row of `x` (n × p, column-major, no intercept column).
    @_spi(Benchmarks) public init(x: Matrix, y: [Double], threads: Int) {
        self.init(x: x, y: y, ranges: [0..<x.rows], threads: threads)
    }

    /// A kernel over the rows of `ranges` of `x` (`y` has one value per row of `x`).
    init(x: Matrix, y: [Double], ranges: [Range<Int>], threads: Int) {
        self.x = x.storage
        self.y = y
        self.n = x.rows
        self.columns = x.columns + 1
        var blocks: [(start: Int, rows: Int, offset: Int)] = []
        var offset = 0
        for range in ranges {
            var r = range.lowerBound
            while r < range.upperBound {
                let m = min(IRLSKernel.block, range.upperBound - r)
                blocks.append((r, m, offset))
                r += m
                offset += m
            }
        }
        self.blocks = blocks
        self.count = offset
        self.threads = offset < 20_000 ? 1 : threads
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

    /// diag(√w)·X_block into `scaled` (X_block: `rows` × `columns`, leading dimension `ld`; `scaled`'s is `rows`).
    @inline(__always)
    static func scale(
        block xb: UnsafePointer<Double>, rows m: Int, ld: Int, columns c: Int, sqrtWeights sw: UnsafePointer<Double>,
        into scaled: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<c {
            let src = xb + j * ld
            let dst = scaled + j * m
            for i in 0..<m { dst[i] = src[i] * sw[i] }
        }
    }

    /// H += BᵀB for a scaled block B (`rows` × `columns`, leading dimension `rows`), by `dsyrk` (upper).
    @inline(__always)
    static func addGram(
        of scaled: UnsafePointer<Double>, rows m: Int, columns P: Int, into h: UnsafeMutablePointer<Double>
    ) {
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(P), Int32(m), 1, scaled, Int32(m), 1, h, Int32(P))
    }

    /// H += BᵀB, B = diag(√w)·X_block (`rows` × `columns`, leading dimension `ld`), by `dsyrk` (upper).
    @inline(__always)
    static func addScaledGram(
        block xb: UnsafePointer<Double>, rows m: Int, ld: Int, columns P: Int, sqrtWeights sw: UnsafePointer<Double>,
        buffer scaled: UnsafeMutablePointer<Double>, into h: UnsafeMutablePointer<Double>
    ) {
        scale(block: xb, rows: m, ld: ld, columns: P, sqrtWeights: sw, into: scaled)
        addGram(of: scaled, rows: m, columns: P, into: h)
    }

    /// The design with its intercept column, `[1, x]` column-major (for the benchmark of XᵀWX alone).
    @_spi(Benchmarks) public func interceptDesign() -> [Double] {
        var design = [Double](repeating: 1, count: n * columns)
        design.withUnsafeMutableBufferPointer { d in
            x.withUnsafeBufferPointer { xs in (d.baseAddress! + n).update(from: xs.baseAddress!, count: xs.count) }
        }
        return design
    }

    /// XᵀWX alone for given weights on `interceptDesign()` (the benchmark's measure of the BLAS part).
    @_spi(Benchmarks) public func weightedGram(_ w: [Double], design: [Double]) -> Matrix {
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

    /// The deviance term of one observation at linear predictor `e`, stable for large |η|.
    @inline(__always)
    static func devianceTerm(_ e: Double, _ yi: Double) -> (term: Double, p: Double) {
        let ex = _exp(-abs(e))
        let pr = e >= 0 ? 1 / (1 + ex) : ex / (1 + ex)
        let softplus = _log1p(ex)
        return (yi > 0.5 ? (e >= 0 ? softplus : softplus - e) : (e >= 0 ? softplus + e : softplus), pr)
    }

    /// The deviance at η = η₀ + s·(η₁ − η₀) (two passes' linear predictors), without reading the design.
    func deviance(between eta0: [Double], and eta1: [Double], at s: Double) -> Double {
        var dev = 0.0
        y.withUnsafeBufferPointer { Y in
            for b in blocks {
                for i in 0..<b.rows {
                    let k = b.offset + i
                    dev += IRLSKernel.devianceTerm(eta0[k] + s * (eta1[k] - eta0[k]), Y[b.start + i]).term
                }
            }
        }
        return 2 * dev
    }

    /// One IRLS pass at `beta` (intercept first): one read of the design.
    @_spi(Benchmarks) public func evaluate(_ beta: [Double]) -> IRLSPass {
        reads.add(count)
        let P = columns, n = n, blocks = blocks
        let parts = IRLSKernel.chunks(blocks.count)
        final class Partial: @unchecked Sendable {
            var dev = 0.0, extreme = 0
            var g: [Double]
            var h: [Double]
            init(_ P: Int) { g = [Double](repeating: 0, count: P); h = [Double](repeating: 0, count: P * P) }
        }
        let partials = (0..<parts).map { _ in Partial(P) }
        let work: @Sendable (DisjointSlots<Double>, Int) -> Void = { etas, t in
            let part = partials[t]
            let b0 = blocks.count * t / parts, b1 = blocks.count * (t + 1) / parts
            let bufRows = IRLSKernel.block
            let scaled = UnsafeMutablePointer<Double>.allocate(capacity: bufRows * P)
            let resid = UnsafeMutablePointer<Double>.allocate(capacity: bufRows)
            defer { scaled.deallocate(); resid.deallocate() }
            var dev = 0.0, extreme = 0, residSum = 0.0
            let b0coef = beta[0]
            x.withUnsafeBufferPointer { X in
                y.withUnsafeBufferPointer { Y in
                    beta.withUnsafeBufferPointer { B in
                        part.g.withUnsafeMutableBufferPointer { G in
                            part.h.withUnsafeMutableBufferPointer { H in
                                do {
                                    for blk in b0..<b1 {
                                        let (r0, m, off) = blocks[blk]
                                        let xb = X.baseAddress! + r0
                                        let eta = etas.base + off
                                        let sw = scaled  // column 0 of the scaled block: √w
                                        if P > 1 {
                                            cblas_dgemv(
                                                CblasColMajor, CblasNoTrans, Int32(m), Int32(P - 1), 1, xb, Int32(n),
                                                B.baseAddress! + 1, 1, 0, eta, 1)
                                        } else {
                                            for i in 0..<m { eta[i] = 0 }
                                        }
                                        for i in 0..<m {
                                            let e = eta[i] + b0coef
                                            eta[i] = e
                                            let (term, pr) = IRLSKernel.devianceTerm(e, Y[r0 + i])
                                            dev += term
                                            if abs(e) > 30 { extreme += 1 }
                                            let r = Y[r0 + i] - pr
                                            resid[i] = r
                                            residSum += r
                                            sw[i] = (pr * (1 - pr)).squareRoot()
                                        }
                                        if P > 1 {
                                            cblas_dgemv(
                                                CblasColMajor, CblasTrans, Int32(m), Int32(P - 1), 1, xb, Int32(n),
                                                resid, 1, 1, G.baseAddress! + 1, 1)
                                            IRLSKernel.scale(
                                                block: xb, rows: m, ld: n, columns: P - 1, sqrtWeights: sw,
                                                into: scaled + m)
                                        }
                                        IRLSKernel.addGram(of: scaled, rows: m, columns: P, into: H.baseAddress!)
                                    }
                                }
                                G[0] += residSum
                            }
                        }
                    }
                }
            }
            part.dev = 2 * dev
            part.extreme = extreme
        }
        let eta = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            // The η of every row used; each chunk writes the positions of its own blocks only.
            let etas = DisjointSlots(base: buffer.baseAddress!)
            IRLSKernel.run(parts, threads: threads) { work(etas, $0) }
            initialized = count
        }
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
        return IRLSPass(deviance: dev, gradient: g, hessian: h, extremeFits: extreme, eta: eta)
    }
}
