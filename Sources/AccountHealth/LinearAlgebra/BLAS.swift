import COpenBLAS
import Foundation

/// Process-wide OpenBLAS settings. The library never changes them itself: the program that owns the process
/// decides (the `healthscore` command pins OpenBLAS to one thread at start).
public enum BLAS {
    /// Sets OpenBLAS's thread count for the whole process. One thread is best for the models: their
    /// tall-skinny products gain nothing from more (BENCHMARKS.md), and with one OpenBLAS thread the models
    /// run their row blocks on their own threads (`threads:`); with more, each call is left to OpenBLAS.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// The kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX", or "Prescott" when it
    /// did not recognise the CPU and fell back to its generic SSE3 kernels).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Whether the CPU has AVX2 and FMA (from /proc/cpuinfo; false where it cannot be read).
    public static var cpuHasAVX2AndFMA: Bool {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
    }

    /// True when OpenBLAS fell back to its generic kernels on a CPU that runs its AVX2 ("Haswell") kernels:
    /// Debian's OpenBLAS 0.3.21 does this on CPUs newer than it knows, at a quarter of the speed.
    public static var usesGenericKernelsOnAVX2: Bool { coreName == "Prescott" && cpuHasAVX2AndFMA }

    /// The number of threads OpenBLAS will use.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// xᵀy by `cblas_ddot`.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ")
        return cblas_ddot(Int32(x.count), x, 1, y, 1)
    }
}
