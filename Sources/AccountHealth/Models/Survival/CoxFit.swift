/// A fitted Cox model: the per-factor table, the model summary, and the Breslow baseline for predictions.
public struct CoxFit: Sendable {
    /// The factors.
    public let names: [String]
    /// The estimates, in `names` order.
    public let coefficients: [Double]
    /// Model-based covariance: the inverse of the (penalised) information.
    public let covariance: Matrix
    /// Sandwich covariance clustered by subject (account).
    public let robustCovariance: Matrix
    /// The log partial likelihood at the estimates.
    public let logLikelihood: Double
    /// At β = 0.
    public let nullLogLikelihood: Double
    /// Harrell's C of the fitted linear predictor (see `Concordance`).
    public let concordance: Double
    /// Newton iterations taken.
    public let iterations: Int
    /// Intervals fitted.
    public let intervals: Int
    /// Events (churns).
    public let events: Int
    /// Subjects (accounts).
    public let subjects: Int
    /// The tie method.
    public let ties: CoxRegression.Ties
    /// L2 penalty λ.
    public let penalty: Double
    /// Means of the factors over the intervals: the baseline is for an interval at these values.
    public let means: [Double]
    /// Standard deviation of each factor over the intervals.
    public let featureSDs: [Double]
    /// Distinct event times (ascending) and Breslow's cumulative baseline hazard at each.
    public let baselineTimes: [Double]
    /// Breslow's cumulative baseline hazard at each of `baselineTimes`.
    public let baselineCumulativeHazard: [Double]
    /// What the fit noticed.
    public let diagnostics: [Diagnostic]

    /// Model-based standard errors.
    public var standardErrors: [Double] { covariance.diagonal.map { $0.squareRoot() } }
    /// Robust (clustered sandwich) standard errors.
    public var robustStandardErrors: [Double] { robustCovariance.diagonal.map { $0.squareRoot() } }
    /// Wald z with the model-based error (lifelines' and R's default).
    public var zValues: [Double] { zip(coefficients, standardErrors).map { $0 / $1 } }
    /// Each estimate's two-sided p-value.
    public var pValues: [Double] { zValues.map(Normal.twoSidedP) }
    /// exp(estimate).
    public var hazardRatios: [Double] { coefficients.map(_exp) }
    /// Each estimate's 95 % Wald interval, low end.
    public var confidenceLow: [Double] { zip(coefficients, standardErrors).map { $0 - Normal.z975 * $1 } }
    /// Each estimate's 95 % Wald interval, high end.
    public var confidenceHigh: [Double] { zip(coefficients, standardErrors).map { $0 + Normal.z975 * $1 } }
    /// The likelihood-ratio test against the null model: statistic, degrees of freedom, p-value.
    public var likelihoodRatio: (statistic: Double, df: Int, pValue: Double) {
        let s = max(0, 2 * (logLikelihood - nullLogLikelihood))
        return (s, names.count, GammaDistribution.regularizedUpper(Double(names.count) / 2, s / 2))
    }
    /// Akaike's information criterion on the partial likelihood.
    public var aic: Double { -2 * logLikelihood + 2 * Double(names.count) }

    /// H0(t): the cumulative baseline hazard (a step function, 0 before the first event time).
    public func cumulativeHazard(at t: Double) -> Double {
        stepValue(points: baselineTimes, values: baselineCumulativeHazard, at: t)
    }

    /// (x − mean)·β for raw factor values.
    public func relativeLinearPredictor(_ x: [Double]) -> Double {
        var s = 0.0
        for j in coefficients.indices { s += coefficients[j] * (x[j] - means[j]) }
        return s
    }

    /// P(churn within `horizon` days | no churn by `age` days), the factors staying at `x`:
    /// 1 − exp(−[H0(age + h) − H0(age)]·exp((x − mean)·β)).
    public func churnProbability(x: [Double], age: Double, horizon: Double) -> Double {
        SurvivalPrediction.probability(
            cumulativeHazard: cumulativeHazard, relativeRisk: _exp(relativeLinearPredictor(x)),
            age: age, horizon: horizon)
    }

    /// The last time the baseline is estimated at: beyond it the hazard is not extrapolated.
    public var followUp: Double { baselineTimes.last ?? 0 }
}

/// Survival predictions from a Cox baseline.
public enum SurvivalPrediction {
    /// 1 − exp(−[H0(age + h) − H0(age)]·relative risk).
    public static func probability(
        cumulativeHazard: (Double) -> Double, relativeRisk: Double, age: Double, horizon: Double
    ) -> Double {
        let dh = cumulativeHazard(age + horizon) - cumulativeHazard(age)
        return -_expm1(-dh * relativeRisk)
    }
}
