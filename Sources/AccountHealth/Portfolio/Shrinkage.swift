/// Empirical-Bayes shrinkage of group churn rates under a beta-binomial model.
///
/// Estimator: method of moments with size weights. With p̄ = Σc/Σn, S = Σ nᵍ(rᵍ − p̄)², G groups and
/// N = Σn, the between-group variance is τ² = (S − p̄(1 − p̄)(G − 1)) / (N − Σnᵍ²/N). The prior is
/// Beta(p̄·M, (1 − p̄)·M) with M = p̄(1 − p̄)/τ² − 1; each group's rate is shrunk to (cᵍ + p̄M)/(nᵍ + M).
/// When τ² ≤ 0 the groups do not differ beyond chance and every rate shrinks to p̄.
public struct BetaBinomialShrinkage: Sendable, Equatable {
    /// p̄: total churns over total outcomes.
    public var pooledRate: Double
    /// Prior strength α + β (∞ when every rate shrinks all the way to the pooled rate).
    public var priorStrength: Double
    /// The prior's α.
    public var alpha: Double { pooledRate * priorStrength }
    /// The prior's β.
    public var beta: Double { (1 - pooledRate) * priorStrength }

    /// The shrinkage of groups' rates, or nil when no group has an outcome.
    public init?(churns: [Int], totals: [Int]) {
        let groups = zip(churns, totals).filter { $0.1 > 0 }
        let N = Double(groups.reduce(0) { $0 + $1.1 })
        guard N > 0 else { return nil }
        let p = Double(groups.reduce(0) { $0 + $1.0 }) / N
        pooledRate = p
        let G = Double(groups.count)
        let S = groups.reduce(0.0) { acc, g in
            let r = Double(g.0) / Double(g.1); return acc + Double(g.1) * (r - p) * (r - p)
        }
        let denom = N - groups.reduce(0.0) { $0 + Double($1.1) * Double($1.1) } / N
        let tau2 = denom > 0 ? (S - p * (1 - p) * (G - 1)) / denom : 0
        if tau2 <= 0 || p <= 0 || p >= 1 {
            priorStrength = .infinity
        } else {
            priorStrength = max(p * (1 - p) / tau2 - 1, 0)
        }
    }

    /// The shrunk rate of a group with `churns` of `total`.
    public func rate(churns: Int, total: Int) -> Double {
        if priorStrength.isInfinite { return pooledRate }
        return (Double(churns) + alpha) / (Double(total) + priorStrength)
    }
}
