import AccountHealth
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

@main
enum Entry {
    static func main() async {
        selectBLASKernels()
        // The models parallelise over row blocks themselves; OpenBLAS gains nothing on tall-skinny products.
        BLAS.setThreads(1)
        await HealthScore.main()
    }

    /// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to generic SSE3 kernels
    /// (a quarter of the speed). OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so when nobody set it,
    /// the fallback happened and the CPU runs AVX2+FMA, healthscore restarts itself once with the AVX2
    /// ("Haswell") kernels. HEALTHSCORE_KEEP_BLAS=1 keeps whatever OpenBLAS chose.
    static func selectBLASKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil, getenv("HEALTHSCORE_KEEP_BLAS") == nil, BLAS.usesGenericKernelsOnAVX2
        else { return }
        setenv("OPENBLAS_CORETYPE", "Haswell", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: it failed, so go on with the generic kernels.
    }
}

struct HealthScore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthscore",
        abstract: "Turn customer health-score history into decisions.",
        // One paragraph per line: ArgumentParser wraps them to the terminal's width.
        discussion: [
            "Inputs are named with --timeline, --accounts, --outcomes and --config, or all at once with --data DIR.",
            "Results go to standard output (or --output FILE) as a table on a terminal, CSV otherwise, or --format "
                + "json; messages and progress go to standard error.",
            "Exit status: 0 ok, 1 alerts found (alerts --fail-on-alerts), 64 usage, 65 bad data, 66 missing file, 69 a "
                + "service unreachable (a database, a webhook).",
        ].joined(separator: "\n\n"),
        version: AccountHealthVersion.current,
        subcommands: [
            Simulate.self, DeriveCommand.self, Validate.self, SQLCommand.self, Score.self, Explain.self,
            AlertsCommand.self, ConfigCommand.self, Fit.self, IndicatorsCommand.self, BacktestCommand.self,
            CompareCommand.self,
            RankCommand.self, SurvivalCommand.self, ReportCommand.self, Serve.self, Bench.self,
        ]
    )
}
