#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution (what Wald tests need).
public enum Normal {
    /// P(Z ≤ z), accurate in both tails (via erfc).
    public static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// Two-sided p-value of a z statistic: 2·P(Z ≥ |z|).
    public static func twoSidedP(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// The 0.975 quantile, for 95 % intervals.
    public static let z975 = 1.959963984540054
}
