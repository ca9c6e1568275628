@_spi(Benchmarks) import AccountHealth
import COpenBLAS
import Foundation

/// In-memory benchmarks of the model kernels (BENCHMARKS.md), on synthetic designs like
/// `shared/peers/bench_models.py`: standard-normal features, a logistic truth with ‖β‖ = 1, ~15 % positives.
enum ModelBenchmarks {
    struct Timing: Sendable {
        var name: String
        var seconds: [Double]
        var detail: String
        var median: Double { let s = seconds.sorted(); return s[s.count / 2] }
        var best: Double { seconds.min() ?? .nan }
    }

    /// A synthetic churn design (n × k) and outcomes, seeded.
    public static func design(n: Int, k: Int, seed: UInt64) -> (Matrix, [Double]) {
        var g = SeededGenerator(seed: seed)
        var x = Matrix(rows: n, columns: k)
        for i in 0..<x.storage.count { x.storage[i] = g.normal() }
        var beta = (0..<k).map { _ in 2 * g.uniform() - 1 }
        let norm = beta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        beta = beta.map { $0 / norm }
        let z = try! x.times(beta)
        var lo = -6.0, hi = 2.0
        for _ in 0..<50 {
            let mid = (lo + hi) / 2
            let rate = z.reduce(0) { $0 + Logistic.sigmoid(mid + $1) } / Double(n)
            if rate > 0.15 { hi = mid } else { lo = mid }
        }
        let b0 = (lo + hi) / 2
        let y = z.map { g.uniform() < Logistic.sigmoid(b0 + $0) ? 1.0 : 0.0 }
        return (x, y)
    }

    static func time(_ reps: Int, _ body: () throws -> Void) rethrows -> [Double] {
        var out: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            out.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return out
    }

    /// Runs the model benchmarks: dgemm peak, XᵀWX, logistic fit, 5-fold CV AUC.
    public static func run(
        n: Int = 1_000_000, k: Int = 32, cvN: Int = 100_000, coxN: Int = 100_000, reps: Int = 5, threads: Int = 2
    ) throws -> [Timing] {
        var results: [Timing] = []
        // 1-thread dgemm peak, 2000² (the reference for the XᵀWX efficiency).
        let m = 2000
        let a = Matrix(rows: m, columns: m, repeating: 1.0 / Double(m))
        var c = Matrix(rows: m, columns: m)
        let gemm = time(reps) {
            cblas_dgemm(
                CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(m), Int32(m), 1, a.storage, Int32(m),
                a.storage, Int32(m), 0, &c.storage, Int32(m))
        }
        let peak = 2 * pow(Double(m), 3) / (gemm.min() ?? 1) / 1e9
        results.append(
            Timing(
                name: "dgemm \(m)² (1 thread)", seconds: gemm,
                detail: String(format: "%.1f GFLOP/s, OpenBLAS core %@", peak, BLAS.coreName)))

        let (x, y) = design(n: n, k: k, seed: 1)
        let P = k + 1
        let beta = [Double](repeating: 0.01, count: P)
        let weights = y.map { _ in 0.1275 }
        for t in [1, threads] {
            let kernel = IRLSKernel(x: x, y: y, threads: t)
            let design = kernel.interceptDesign()
            let gram = time(reps) { _ = kernel.weightedGram(weights, design: design) }
            let gflops = Double(n) * Double(P) * Double(P + 1) / (gram.min() ?? 1) / 1e9
            results.append(
                Timing(
                    name: "XᵀWX alone (√w-scaled blocks + dsyrk), \(n)×\(P), \(t) thread(s)", seconds: gram,
                    detail: String(
                        format: "%.1f GFLOP/s, %.0f%% of the 1-thread dgemm peak", gflops, 100 * gflops / peak)))
            let pass = time(reps) { _ = kernel.evaluate(beta) }
            let flops = Double(n) * Double(P) * Double(P + 1)  // dsyrk on the upper triangle: n·P·(P+1) flops
            results.append(
                Timing(
                    name: "IRLS pass (XᵀWX + gradient + deviance), \(n)×\(P), \(t) thread(s)", seconds: pass,
                    detail: String(
                        format: "%.1f GFLOP/s in dsyrk terms, %.0f%% of the 1-thread dgemm peak",
                        flops / (pass.min() ?? 1) / 1e9,
                        100 * flops / (pass.min() ?? 1) / 1e9 / peak)))
        }
        var iterations = 0
        let names = (1...k).map { "x\($0)" }
        let fit = try time(reps) {
            iterations = try LogisticRegression(threads: threads).fit(x, y, names: names).iterations
        }
        results.append(Timing(name: "logistic fit \(n)×\(k)", seconds: fit, detail: "\(iterations) Newton iterations"))

        let (cx, cy) = design(n: cvN, k: k, seed: 2)
        let groups = Array(0..<cvN)
        // 5-fold CV as scikit-learn's cross_val_score does it (no full-data fit): plain fold fits, then
        // `crossValidate` (one reordering, a shared first pass, warm starts), and with the full-data fit first
        // (what `fit` does: its estimates are the folds' start).
        let engine = LogisticRegression(threads: threads)
        let folds = GroupedFolds(groups: groups, k: 5, seed: 1)
        func foldAUC(_ fits: [LogisticFit]) -> Double {
            var s = 0.0
            for f in 0..<5 {
                let te = folds.test(f)
                s += Metrics.auc(risk: fits[f].linearPredictor(cx.rows(te)), churned: te.map { cy[$0] }) ?? .nan
            }
            return s / 5
        }
        var auc = 0.0
        let cvPlain = try time(reps) {
            auc = foldAUC(
                try (0..<5).map { f in
                    let tr = folds.train(f)
                    return try engine.fit(cx.rows(tr), tr.map { cy[$0] }, names: names)
                })
        }
        results.append(
            Timing(
                name: "5-fold CV AUC \(cvN)×\(k), plain fold fits", seconds: cvPlain,
                detail: String(format: "mean AUC %.4f", auc)))
        let cv = try time(reps) { auc = foldAUC(try engine.crossValidate(cx, cy, names: names, folds: folds)) }
        results.append(
            Timing(
                name: "5-fold CV AUC \(cvN)×\(k)", seconds: cv,
                detail: String(format: "mean AUC %.4f (shared first pass, warm starts)", auc)))
        let cvFull = try time(reps) {
            let full = try engine.fit(cx, cy, names: names)
            auc = foldAUC(try engine.crossValidate(cx, cy, names: names, folds: folds, start: full.coefficients))
        }
        results.append(
            Timing(
                name: "full fit + 5-fold CV AUC \(cvN)×\(k)", seconds: cvFull,
                detail: String(format: "mean AUC %.4f (the folds start from the full fit)", auc)))
        let survival = try coxDesign(n: coxN, k: 8, seed: 3)
        results.append(try cox(survival, reps: reps, threads: threads).timing)
        return results
    }

    /// A survival design like `bench_models.py`'s Cox case: standard-normal factors, β ~ U(−½, ½),
    /// exponential churn times with rate 0.01·exp(x·β) (weeks), uniform censoring over 156 weeks.
    public static func coxDesign(n: Int, k: Int, seed: UInt64) throws -> SurvivalData {
        var g = SeededGenerator(seed: seed)
        var x = Matrix(rows: n, columns: k)
        for i in 0..<x.storage.count { x.storage[i] = g.normal() }
        let beta = (0..<k).map { _ in g.uniform() - 0.5 }
        let z = try x.times(beta)
        var stop = [Double](repeating: 0, count: n), event = [Bool](repeating: false, count: n)
        for i in 0..<n {
            let tEvent = -Foundation.log(1 - g.uniform()) / (0.01 * Foundation.exp(z[i]))
            let tCensor = 156 * g.uniform()
            stop[i] = max(min(tEvent, tCensor), 1e-9)
            event[i] = tEvent <= tCensor
        }
        return try SurvivalData(
            names: (0..<k).map { "x\($0)" }, start: [Double](repeating: 0, count: n), stop: stop, event: event, x: x)
    }

    /// Times the Cox fit (Efron) of `data`, `reps` times.
    public static func cox(_ data: SurvivalData, reps: Int, threads: Int) throws -> (timing: Timing, fit: CoxFit) {
        var fit: CoxFit? = nil
        let seconds = try time(reps) { fit = try CoxRegression(threads: threads).fit(data) }
        let f = fit!
        return (
            Timing(
                name: "Cox PH (Efron) \(data.count)×\(data.x.columns), \(f.events) events", seconds: seconds,
                detail: String(format: "%d Newton iterations, concordance %.4f", f.iterations, f.concordance)), f
        )
    }
}
