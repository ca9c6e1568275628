import Foundation

extension LogisticRegression {
    /// The fit of every fold of `folds`: fold f's model is fitted on the rows of the other folds. Each equals
    /// `fit(x.rows(folds.train(f)), …)` to the convergence tolerance (tested to 1e-10), and the k fits cost well
    /// under k plain fits:
    /// - the design is reordered once so that each fold's rows are contiguous (no copy per fold, and none
    ///   inside the fits: the kernel reads the other folds' row ranges in place);
    /// - all folds start from one point: `start` (the full data's estimates, when the caller has them), or
    ///   else fold 0's own estimates (fold 0 fitted first from its null model). The first Newton step of every
    ///   fold comes from one pass over the data at that point: each fold's deviance, gradient and XᵀWX are
    ///   computed once, and fold k's training pieces are the sum of the other folds' (the Gram of the whole
    ///   data minus fold k's contribution);
    /// - from a start that close, Newton needs two or three more passes where a fit from the null model needs
    ///   five to seven.
    /// Whatever the warm start cannot handle (a fold with one class, a constant factor, a fit that fails in any
    /// way, or one that does not settle: see `settled`) is refitted plainly, so errors are exactly `fit`'s and a
    /// quasi-separated fold gets the plain fit's answer.
    public func crossValidate(
        _ x: Matrix, _ y: [Double], names: [String], folds: GroupedFolds, start: [Double]? = nil
    ) throws -> [LogisticFit] {
        let n = x.rows, p = x.columns, k = folds.k
        guard n > 0, y.count == n, names.count == p, folds.fold.count == n, k >= 1 else {
            throw LinearAlgebraError.dimensionMismatch(
                "crossValidate: x \(n)×\(p), y \(y.count), names \(names.count), folds \(folds.fold.count)")
        }
        let plain = { (f: Int) throws -> LogisticFit in
            let tr = folds.train(f)
            return try self.fit(x.rows(tr), tr.map { y[$0] }, names: names)
        }
        // Rows ordered by fold (stably), fold f's rows at ranges[f].
        var counts = [Int](repeating: 0, count: k)
        for f in folds.fold { counts[f] += 1 }
        var first = [Int](repeating: 0, count: k + 1)
        for f in 0..<k { first[f + 1] = first[f] + counts[f] }
        var order = [Int](repeating: 0, count: n)
        var next = Array(first.dropLast())
        for (i, f) in folds.fold.enumerated() { order[next[f]] = i; next[f] += 1 }
        let ranges = (0..<k).map { first[$0]..<first[$0 + 1] }
        // The reordered design, with per fold and column the sum, the shifted sum of squares, min and max.
        var xs = Matrix(rows: n, columns: p)
        var sum = [Double](repeating: 0, count: k * p), sq = sum
        var lo = [Double](repeating: .infinity, count: k * p), hi = [Double](repeating: -.infinity, count: k * p)
        var shift = [Double](repeating: 0, count: p)
        x.storage.withUnsafeBufferPointer { src in
            xs.storage.withUnsafeMutableBufferPointer { dst in
                for j in 0..<p {
                    let col = src.baseAddress! + j * n, out = dst.baseAddress! + j * n
                    shift[j] = col[0]
                    for f in 0..<k {
                        var s = 0.0, s2 = 0.0, mn = Double.infinity, mx = -Double.infinity
                        for r in ranges[f] {
                            let v = col[order[r]]
                            out[r] = v
                            let d = v - shift[j]
                            s += d
                            s2 += d * d
                            mn = min(mn, v)
                            mx = max(mx, v)
                        }
                        sum[f * p + j] = s; sq[f * p + j] = s2; lo[f * p + j] = mn; hi[f * p + j] = mx
                    }
                }
            }
        }
        let ys = order.map { y[$0] }
        var churns = [Double](repeating: 0, count: k)
        for f in 0..<k { for r in ranges[f] { churns[f] += ys[r] } }
        let totalChurns = churns.reduce(0, +)

        /// Fold f's training set, if the warm start can take it: its kernel and column statistics.
        func training(_ f: Int) -> (IRLSKernel, means: [Double], sds: [Double], churns: Double)? {
            let m = n - counts[f]
            let c = totalChurns - churns[f]
            guard m > 1, c > 0, c < Double(m) else { return nil }
            var means = [Double](repeating: 0, count: p), sds = means
            for j in 0..<p {
                var s = 0.0, s2 = 0.0, mn = Double.infinity, mx = -Double.infinity
                for g in 0..<k where g != f {
                    s += sum[g * p + j]; s2 += sq[g * p + j]; mn = min(mn, lo[g * p + j]); mx = max(mx, hi[g * p + j])
                }
                // A column (nearly) constant in training goes to the plain fit, which names it exactly as `fit` does.
                if penalty == 0 && mx - mn <= 1e-6 * max(1, abs(mn), abs(mx)) { return nil }
                let d = s / Double(m)
                means[j] = shift[j] + d
                sds[j] = (max(0, s2 - Double(m) * d * d) / Double(m - 1)).squareRoot()
            }
            let kernel = IRLSKernel(
                x: xs, y: ys, ranges: (0..<k).filter { $0 != f }.map { ranges[$0] }, threads: threads)
            return (kernel, means, sds, c)
        }

        var fits = [LogisticFit?](repeating: nil, count: k)
        var warm = self
        warm.maxIterations = min(maxIterations, 10)
        var readRows = 0
        // The common start: the caller's, or fold 0's estimates.
        var startBeta = start
        if startBeta == nil {
            if let t = training(0) {
                var null = [Double](repeating: 0, count: p + 1)
                null[0] = _log(t.churns / (Double(t.0.count) - t.churns))
                fits[0] = try? newton(
                    t.0, from: null, pass: t.0.evaluate(null), x: xs, y: ys, names: names, means: t.means,
                    sds: t.sds, churns: t.churns)
                if let fit = fits[0], !Self.settled(fit) { fits[0] = nil }
                readRows += t.0.reads.rows
            }
            if fits[0] == nil { fits[0] = try plain(0) }
            startBeta = fits[0]!.coefficients
        }
        guard let beta0 = startBeta, beta0.count == p + 1 else {
            throw LinearAlgebraError.dimensionMismatch("crossValidate: start has \(start?.count ?? 0) coefficients")
        }
        // One pass over the whole data at the start: each fold's pieces.
        let pieces: [IRLSPass] = ranges.map { r in
            let kernel = IRLSKernel(x: xs, y: ys, ranges: [r], threads: threads)
            defer { readRows += kernel.reads.rows }
            return kernel.evaluate(beta0)
        }
        for f in 0..<k where fits[f] == nil {
            guard let t = training(f) else {
                fits[f] = try plain(f)
                continue
            }
            // Fold f's training pieces: the other folds' summed in fold order (η in the kernel's row order).
            let others = (0..<k).filter { $0 != f }
            var h = Matrix(rows: p + 1, columns: p + 1)
            var g = [Double](repeating: 0, count: p + 1)
            var dev = 0.0, extreme = 0
            var eta: [Double] = []
            eta.reserveCapacity(t.0.count)
            for o in others {
                let piece = pieces[o]
                dev += piece.deviance
                extreme += piece.extremeFits
                for j in 0...p { g[j] += piece.gradient[j] }
                for q in 0..<h.storage.count { h.storage[q] += piece.hessian.storage[q] }
                eta += piece.eta
            }
            let pass = IRLSPass(deviance: dev, gradient: g, hessian: h, extremeFits: extreme, eta: eta)
            // A fold whose estimates drift along a nearly flat direction (quasi-separation: probabilities
            // going to 0 or 1, the deviance changing less and less while a coefficient keeps moving) has no
            // well-defined end point: where the deviance rule stops depends on the start. Such a fold, seen as
            // a last step that is not small, fitted probabilities numerically 0 or 1, or more than 10 steps
            // from the warm start, is fitted plainly, as before, to give the plain fit's answer.
            if let fit = try? warm.newton(
                t.0, from: beta0, pass: pass, x: xs, y: ys, names: names, means: t.means, sds: t.sds,
                churns: t.churns), Self.settled(fit)
            {
                fits[f] = fit
            } else {
                fits[f] = try plain(f)
            }
            readRows += t.0.reads.rows
        }
        var out = fits.map { $0! }
        // Test-only: every row the k fits read, the shared pass included, on fold 0's fit.
        out[0].designRowsRead = readRows
        return out
    }

    /// Whether a fit's estimates had settled: its last step moved no coefficient by more than 1e-3 (relative
    /// to max(1, |estimate|)) and no fitted probability is numerically 0 or 1.
    static func settled(_ fit: LogisticFit) -> Bool {
        fit.lastStep <= 1e-3 && !fit.diagnostics.contains(where: { $0.kind == .quasiSeparation })
    }
}
