/// The weight-suggestion model of DESIGN §4: `logit P(churn) = b0 − Σ c_f·x_f` with every `c_f ≥ 0`,
/// x on the 0–100 scale after scale/invert, fitted by an active-set method (Lawson–Hanson style):
/// factors join the free set while the likelihood gradient says raising their coefficient helps,
/// each free-set problem is an ordinary logistic fit, and a coefficient that would turn negative
/// stops the step at zero and leaves the set. The objective is convex, so this reaches the optimum.
public struct ConstrainedLogistic: Sendable {
    /// L2 penalty λ on the coefficients (never the intercept).
    public var penalty: Double
    /// Threads for the X^T W X products.
    public var threads: Int

    /// A constrained fit with a penalty and a number of threads.
    public init(penalty: Double = 0, threads: Int = 2) {
        self.penalty = penalty
        self.threads = threads
    }

    /// A fitted constrained model.
    public struct Result: Sendable {
        /// The intercept b0.
        public var intercept: Double
        /// c_f ≥ 0 per factor: the churn log-odds fall by c_f per point of the factor.
        public var coefficients: [Double]
        /// The log-likelihood at the optimum.
        public var logLikelihood: Double
        /// Weights summing to 100 (all zero when no factor lowers churn).
        public var weights: [Double] {
            let s = coefficients.reduce(0, +)
            return s > 0 ? coefficients.map { 100 * $0 / s } : coefficients.map { _ in 0 }
        }
        /// Churn risk (higher = riskier) of rows of mapped features: −Σ c·x.
        public func risk(_ x: Matrix) -> [Double] {
            var r = [Double](repeating: 0, count: x.rows)
            for j in 0..<x.columns where coefficients[j] != 0 {
                for i in 0..<x.rows { r[i] -= coefficients[j] * x[i, j] }
            }
            return r
        }
    }

    /// Fits the model on features already on the 0–100 scale; `names` are the factors' for messages. With
    /// `missingAsMean`, a NaN reads as its column's mean over the values present (0 for a column of none): the
    /// fit of the filled matrix, without holding a filled copy.
    public func fit(_ x: Matrix, _ y: [Double], names: [String], missingAsMean: Bool = false) throws -> Result {
        let n = x.rows, p = x.columns
        // What a NaN reads as, per column (NaN itself unless filled).
        let fill: [Double] = (0..<p).map { j in
            guard missingAsMean else { return .nan }
            let present = x.column(j).filter { !$0.isNaN }
            return present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
        }
        guard n > 0 else { throw ModelError.noObservations("every outcome row was dropped") }
        let churns = y.reduce(0, +)
        if churns == 0 || churns == Double(n) { throw ModelError.oneClass(churned: churns > 0, count: n) }
        // z = −x, so every coefficient on z must be ≥ 0. z is never held whole: its columns are negated where they
        // are read (negation is exact, so the sums and products have the bits they would have on a copy).
        var sd = [Double](repeating: 0, count: p)
        for j in 0..<p {
            let fj = fill[j]
            let col = x.column(j).map { -($0.isNaN ? fj : $0) }
            let m = col.reduce(0, +) / Double(n)
            sd[j] = (col.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, n - 1))).squareRoot()
        }
        var free: [Int] = []
        var c = [Double](repeating: 0, count: p)
        var b0 = _log(churns / (Double(n) - churns))
        let engine = LogisticRegression(penalty: penalty, threads: threads)
        for _ in 0..<(3 * p + 3) {
            // Gradient of the log-likelihood for the factors held at zero: the residuals y − π once, then one
            // pass per candidate column (the same products in the same order as a residual per term).
            var resid = [Double](repeating: b0, count: n)
            x.storage.withUnsafeBufferPointer { xs in
                resid.withUnsafeMutableBufferPointer { r in
                    for j in free {
                        let col = xs.baseAddress! + j * n, cj = c[j], fj = fill[j]
                        for i in 0..<n { r[i] += cj * -(col[i].isNaN ? fj : col[i]) }
                    }
                    for i in 0..<n { r[i] = y[i] - Logistic.sigmoid(r[i]) }
                }
            }
            var best = -1, bestG = 0.0
            for j in 0..<p where !free.contains(j) && sd[j] > 0 {
                var g = 0.0
                x.storage.withUnsafeBufferPointer { xs in
                    let col = xs.baseAddress! + j * n, fj = fill[j]
                    for i in 0..<n { g += resid[i] * -(col[i].isNaN ? fj : col[i]) }
                }
                g -= penalty * c[j]
                let scaled = g * sd[j] / Double(n)
                if scaled > 1e-9 && scaled > bestG { best = j; bestG = scaled }
            }
            if best < 0 { break }
            free.append(best)
            // Inner loop: solve on the free set; step back to feasibility when a coefficient turns negative.
            while !free.isEmpty {
                let sub = x.selecting(columns: free, negatedFilling: fill)
                let f = try engine.fit(sub, y, names: free.map { names[$0] })
                let target = Array(f.coefficients.dropFirst())
                if target.allSatisfy({ $0 > 0 }) {
                    for (k, j) in free.enumerated() { c[j] = target[k] }
                    b0 = f.coefficients[0]
                    break
                }
                var alpha = 1.0
                for (k, j) in free.enumerated() where target[k] <= 0 {
                    alpha = min(alpha, c[j] / max(c[j] - target[k], 1e-300))
                }
                for (k, j) in free.enumerated() { c[j] += alpha * (target[k] - c[j]) }
                b0 += alpha * (f.coefficients[0] - b0)
                free = free.filter { c[$0] > 1e-12 }
                for j in 0..<p where !free.contains(j) { c[j] = 0 }
                if free.isEmpty { b0 = _log(churns / (Double(n) - churns)) }
            }
        }
        var ll = 0.0
        for i in 0..<n {
            var e = b0
            for j in free { e += c[j] * -(x[i, j].isNaN ? fill[j] : x[i, j]) }
            let pr = Logistic.sigmoid(e)
            ll += y[i] > 0.5 ? _log(max(pr, 1e-300)) : _log(max(1 - pr, 1e-300))
        }
        return Result(intercept: b0, coefficients: c, logLikelihood: ll)
    }
}

extension Matrix {
    /// The given columns, in that order.
    public func selecting(columns cols: [Int]) -> Matrix {
        var s: [Double] = []
        s.reserveCapacity(rows * cols.count)
        for j in cols { s += storage[(j * rows)..<((j + 1) * rows)] }
        return Matrix(rows: rows, columns: cols.count, storage: s)
    }

    /// The given columns negated, a NaN of column j read as `fill[j]` first.
    func selecting(columns cols: [Int], negatedFilling fill: [Double]) -> Matrix {
        var s: [Double] = []
        s.reserveCapacity(rows * cols.count)
        for j in cols {
            let fj = fill[j]
            s += storage[(j * rows)..<((j + 1) * rows)].lazy.map { -($0.isNaN ? fj : $0) }
        }
        return Matrix(rows: rows, columns: cols.count, storage: s)
    }
}
