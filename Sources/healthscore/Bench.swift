import AccountHealth
import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the model kernels on synthetic data (BENCHMARKS.md).",
        discussion: """
            Prints the median and best of --reps runs: the one-thread dgemm peak, the fused IRLS pass
            (XᵀWX by dsyrk, gradient, deviance), a logistic fit and a 5-fold cross-validated AUC.
            Example:
              healthscore bench --rows 1000000 --columns 32
            """
    )
    @Option(help: "Rows of the fit benchmark.") var rows: Int = 1_000_000
    @Option(help: "Columns (factors).") var columns: Int = 32
    @Option(name: .customLong("cv-rows"), help: "Rows of the cross-validation benchmark.") var cvRows: Int = 100_000
    @Option(help: "Repetitions.") var reps: Int = 5
    @Option(help: "Threads over row blocks.") var threads: Int = 2

    func validate() throws {
        if rows < 100 || columns < 1 || cvRows < 100 || reps < 1 || threads < 1 { throw ValidationError("sizes, --reps and --threads must be positive") }
    }

    func run() throws {
        let results = try ModelBenchmarks.run(n: rows, k: columns, cvN: cvRows, reps: reps, threads: threads)
        var t = ResultTable(columns: ["benchmark", "median s", "best s", "detail"], numeric: [1, 2])
        for r in results { t.rows.append([r.name, NumberFormat.fixed(r.median, 4), NumberFormat.fixed(r.best, 4), r.detail]) }
        print(t.text(), terminator: "")
    }
}
