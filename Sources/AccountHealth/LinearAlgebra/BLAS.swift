import COpenBLAS

/// Process-wide OpenBLAS settings.
public enum BLAS {
    /// Pins OpenBLAS to `n` threads (tall-skinny work gains nothing from more; see BENCHMARKS.md).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    private static let pinned: Bool = { openblas_set_num_threads(1); return true }()

    /// Pins OpenBLAS to one thread once per process: the models parallelise over row blocks themselves.
    public static func pinToOneThread() { _ = pinned }

    /// The number of threads OpenBLAS will use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// xᵀy by `cblas_ddot`.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ")
        return cblas_ddot(Int32(x.count), x, 1, y, 1)
    }
}
