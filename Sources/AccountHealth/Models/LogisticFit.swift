/// A fitted logistic regression: the tidy per-term table and the per-model summary (statsmodels'
/// `LogitResults`, broom's `tidy`/`glance`).
public struct LogisticFit: Sendable {
    /// "intercept" then the factors.
    public let names: [String]
    /// The estimates, in `names` order.
    public let coefficients: [Double]
    /// The covariance of the estimates: the inverse of the (penalised) information.
    public let covariance: Matrix
    /// Mean and standard deviation (n − 1) of each factor column (not the intercept).
    public let featureMeans: [Double]
    /// Each factor column's standard deviation.
    public let featureSDs: [Double]
    /// The residual deviance, −2 log L.
    public let deviance: Double
    /// The log-likelihood of the intercept-only model.
    public let nullLogLikelihood: Double
    /// The number of observations.
    public let observations: Int
    /// Of them, churns.
    public let churns: Int
    /// Newton iterations taken.
    public let iterations: Int
    /// L2 penalty λ.
    public let penalty: Double
    /// What the fit noticed.
    public let diagnostics: [Diagnostic]
    /// Rows of the design the fit's passes read (test-only: the passes are this over `observations`).
    var designRowsRead = 0
    /// The largest change of a coefficient in the last Newton step, relative to max(1, |estimate|): tiny when
    /// the estimates have settled, not when they drift along a nearly flat direction (quasi-separation).
    var lastStep = 0.0

    /// The standard error of each estimate.
    public var standardErrors: [Double] { covariance.diagonal.map { $0.squareRoot() } }
    /// Each estimate's Wald z.
    public var zValues: [Double] { zip(coefficients, standardErrors).map { $0 / $1 } }
    /// Each estimate's two-sided p-value.
    public var pValues: [Double] { zValues.map(Normal.twoSidedP) }
    /// Each estimate's 95 % Wald interval, low end.
    public var confidenceLow: [Double] { zip(coefficients, standardErrors).map { $0 - Normal.z975 * $1 } }
    /// Each estimate's 95 % Wald interval, high end.
    public var confidenceHigh: [Double] { zip(coefficients, standardErrors).map { $0 + Normal.z975 * $1 } }
    /// exp(estimate).
    public var oddsRatios: [Double] { coefficients.map(_exp) }
    /// β·sd(x): the change in log-odds for one standard deviation of the factor (nil for the intercept).
    public var standardized: [Double?] { [nil] + (0..<featureSDs.count).map { coefficients[$0 + 1] * featureSDs[$0] } }
    /// The log-likelihood.
    public var logLikelihood: Double { -deviance / 2 }
    /// Akaike's information criterion.
    public var aic: Double { deviance + 2 * Double(coefficients.count) }
    /// The Bayesian information criterion.
    public var bic: Double { deviance + _log(Double(observations)) * Double(coefficients.count) }
    /// McFadden's pseudo-R².
    public var mcFaddenR2: Double { 1 - logLikelihood / nullLogLikelihood }

    /// Linear predictor for rows of raw features (n × p, no intercept column).
    public func linearPredictor(_ x: Matrix) -> [Double] {
        var eta = [Double](repeating: coefficients[0], count: x.rows)
        for j in 0..<x.columns {
            let b = coefficients[j + 1]
            for i in 0..<x.rows { eta[i] += b * x[i, j] }
        }
        return eta
    }

    /// Churn probabilities for rows of raw features.
    public func predict(_ x: Matrix) -> [Double] { linearPredictor(x).map(Logistic.sigmoid) }
}

/// Logistic helpers.
public enum Logistic {
    /// 1 / (1 + e^−x), computed without overflow.
    @inlinable
    public static func sigmoid(_ e: Double) -> Double {
        e >= 0 ? 1 / (1 + _exp(-e)) : _exp(e) / (1 + _exp(e))
    }
}
