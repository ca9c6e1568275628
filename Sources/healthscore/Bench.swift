import AccountHealth
import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the model kernels on synthetic data (BENCHMARKS.md).",
        discussion: """
            Prints the median and best of --reps runs: the one-thread dgemm peak, the fused IRLS pass
            (XᵀWX by dsyrk, gradient, deviance), a logistic fit, a 5-fold cross-validated AUC and a Cox fit.
            With --cox-file, times only the Cox fit of that counting-process CSV (stop, event, optional start
            and id, then the factors) and prints JSON with the estimates, for comparing with lifelines
            (scripts/bench_cox.py).
            Examples:
              healthscore bench --rows 1000000 --columns 32
              healthscore bench --cox-file cox_100k.csv --reps 5
            """
    )
    @Option(help: "Rows of the fit benchmark.") var rows: Int = 1_000_000
    @Option(help: "Columns (factors).") var columns: Int = 32
    @Option(name: .customLong("cv-rows"), help: "Rows of the cross-validation benchmark.") var cvRows: Int = 100_000
    @Option(name: .customLong("cox-rows"), help: "Subjects of the Cox benchmark (8 factors).") var coxRows: Int =
        100_000
    @Option(
        name: .customLong("cox-file"),
        help: ArgumentHelp("Time the Cox fit of this counting-process CSV only.", valueName: "file"))
    var coxFile: String?
    @Option(help: "Repetitions.") var reps: Int = 5
    @Option(help: "Threads over row blocks.") var threads: Int = 2

    func validate() throws {
        if rows < 100 || columns < 1 || cvRows < 100 || coxRows < 100 || reps < 1 || threads < 1 {
            throw ValidationError("sizes, --reps and --threads must be positive")
        }
    }

    func run() throws {
        if let coxFile {
            try reportingErrors(progress: false) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let data = try SurvivalData.read(path: coxFile)
                let read = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let r: (timing: ModelBenchmarks.Timing, fit: CoxFit)
                do { r = try ModelBenchmarks.cox(data, reps: reps, threads: threads) } catch let e as ModelError {
                    throw InputError(.modelFailure, Location(file: coxFile), "cannot fit: \(e.description)")
                }
                let timing = CoxTiming(
                    rows: data.count, events: r.fit.events, readSeconds: read, fitSeconds: r.timing.seconds,
                    medianSeconds: r.timing.median, bestSeconds: r.timing.best, iterations: r.fit.iterations,
                    names: r.fit.names, coefficients: r.fit.coefficients, stdErrors: r.fit.standardErrors,
                    logLikelihood: r.fit.logLikelihood, concordance: r.fit.concordance, openblasCore: BLAS.coreName)
                print(JSON.encode(timing).serialized())
            }
            return
        }
        let results = try ModelBenchmarks.run(
            n: rows, k: columns, cvN: cvRows, coxN: coxRows, reps: reps, threads: threads)
        var t = ResultTable(columns: ["benchmark", "median s", "best s", "detail"], numeric: [1, 2])
        for r in results {
            t.rows.append([r.name, NumberFormat.fixed(r.median, 4), NumberFormat.fixed(r.best, 4), r.detail])
        }
        print(t.text(), terminator: "")
    }
}

/// What `bench --cox-file` prints: the timings and the estimates of the Cox fit of a file.
struct CoxTiming: Encodable {
    var rows: Int
    var events: Int
    var readSeconds: Double
    var fitSeconds: [Double]
    var medianSeconds: Double
    var bestSeconds: Double
    var iterations: Int
    var names: [String]
    var coefficients: [Double]
    var stdErrors: [Double]
    var logLikelihood: Double
    var concordance: Double?
    var openblasCore: String

    enum CodingKeys: String, CodingKey {
        case rows, events, readSeconds = "read_seconds", fitSeconds = "fit_seconds", medianSeconds = "median_seconds"
        case bestSeconds = "best_seconds", iterations, names, coefficients, stdErrors = "std_errors"
        case logLikelihood = "log_likelihood", concordance, openblasCore = "openblas_core"
    }
}
