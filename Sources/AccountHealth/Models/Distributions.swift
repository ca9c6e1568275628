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

/// The gamma and chi-square distributions: regularised incomplete gamma and its inverse
/// (series / continued fraction, Newton with a bisection safeguard), checked against SciPy to 1e-12.
public enum GammaDistribution {
    /// P(a, x) = γ(a, x)/Γ(a), the regularised lower incomplete gamma function.
    public static func regularizedLower(_ a: Double, _ x: Double) -> Double {
        let (p, _) = incomplete(a, x)
        return p
    }

    /// Q(a, x) = 1 − P(a, x), computed without cancellation in the upper tail.
    public static func regularizedUpper(_ a: Double, _ x: Double) -> Double {
        let (_, q) = incomplete(a, x)
        return q
    }

    /// (P, Q), each from its accurate side: the series for x < a + 1, the continued fraction otherwise.
    static func incomplete(_ a: Double, _ x: Double) -> (Double, Double) {
        guard a > 0, x > 0 else { return (0, 1) }
        if x.isInfinite { return (1, 0) }
        let lnPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            // Series: Σ xⁿ / (a (a+1) … (a+n))
            var term = 1 / a, sum = term, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            let p = min(1, sum * exp(lnPrefix))
            return (p, 1 - p)
        }
        // Continued fraction for Q(a, x) (modified Lentz).
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        let q = min(1, exp(lnPrefix) * h)
        return (1 - q, q)
    }

    /// The x with P(a, x) = p.
    public static func quantile(_ p: Double, shape a: Double) -> Double {
        guard p > 0 else { return 0 }
        guard p < 1 else { return .infinity }
        // Wilson–Hilferty start (or the small-x series inverse), then safeguarded Newton, on P(a, x) − p
        // in the lower half and on q − Q(a, x) in the upper half so neither tail loses digits.
        let upper = p > 0.5
        let q = 1 - p
        let z = normalQuantile(p)
        let t = 1 - 1 / (9 * a) + z / (3 * a.squareRoot())
        var x = a * t * t * t
        // P ≈ xᵃ/(a Γ(a)) for small x.
        if !(x > 0) || (p < 0.05 && a < 1) { x = exp((log(p) + log(a) + lgamma(a)) / a) }
        var lo = 0.0, hi = Double.infinity
        for _ in 0..<300 {
            let (pp, qq) = incomplete(a, x)
            let f = upper ? q - qq : pp - p  // increasing in x either way
            if f < 0 { lo = x } else { hi = x }
            let density = exp((a - 1) * log(x) - x - lgamma(a))
            var next = x - f / density
            if !(next > lo && next < hi) || !next.isFinite { next = hi.isFinite ? (lo + hi) / 2 : max(2 * x, lo + 1) }
            if abs(next - x) <= 4e-16 * x { x = next; break }
            x = next
        }
        return x
    }

    /// Chi-square quantile with `df` degrees of freedom.
    public static func chiSquareQuantile(_ p: Double, df: Double) -> Double { 2 * quantile(p, shape: df / 2) }

    /// Standard normal quantile (Acklam's rational approximation refined by one Halley step).
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0 && p < 1 else { return p <= 0 ? -.infinity : .infinity }
        if p > 0.5 { return -normalQuantile(1 - p) }  // refine in the lower tail, where the cdf has no cancellation
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        var x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p > 1 - 0.02425 {
            let q = (-2 * log(1 - p)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        let e = Normal.cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - u / (1 + x * u / 2)
    }
}

/// Exact (Garwood) confidence interval for a Poisson count, and for an observed/expected ratio.
public enum PoissonInterval {
    /// The two-sided (1 − α) interval for the mean of a Poisson variable observed as `k`.
    public static func garwood(_ k: Int, alpha: Double = 0.05) -> (low: Double, high: Double) {
        let low = k == 0 ? 0 : GammaDistribution.chiSquareQuantile(alpha / 2, df: 2 * Double(k)) / 2
        let high = GammaDistribution.chiSquareQuantile(1 - alpha / 2, df: 2 * Double(k) + 2) / 2
        return (low, high)
    }
}
