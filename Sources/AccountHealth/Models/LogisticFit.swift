/// A fitted logistic regression: the tidy per-term table and the per-model summary (statsmodels'
/// `LogitResults`, broom's `tidy`/`glance`).
public struct LogisticFit: Sendable {
    /// "intercept" then the factors.
    public let names: [String]
    public let coefficients: [Double]
    public let covariance: Matrix
    /// Mean and standard deviation (n − 1) of each factor column (not the intercept).
    public let featureMeans: [Double]
    public let featureSDs: [Double]
    public let deviance: Double
    public let nullLogLikelihood: Double
    public let observations: Int
    public let churns: Int
    public let iterations: Int
    public let penalty: Double
    public let diagnostics: [Diagnostic]

    public var standardErrors: [Double] { covariance.diagonal.map { $0.squareRoot() } }
    public var zValues: [Double] { zip(coefficients, standardErrors).map { $0 / $1 } }
    public var pValues: [Double] { zValues.map(Normal.twoSidedP) }
    public var confidenceLow: [Double] { zip(coefficients, standardErrors).map { $0 - Normal.z975 * $1 } }
    public var confidenceHigh: [Double] { zip(coefficients, standardErrors).map { $0 + Normal.z975 * $1 } }
    public var oddsRatios: [Double] { coefficients.map(_exp) }
    /// β·sd(x): the change in log-odds for one standard deviation of the factor (nil for the intercept).
    public var standardized: [Double?] { [nil] + (0..<featureSDs.count).map { coefficients[$0 + 1] * featureSDs[$0] } }
    public var logLikelihood: Double { -deviance / 2 }
    public var aic: Double { deviance + 2 * Double(coefficients.count) }
    public var bic: Double { deviance + _log(Double(observations)) * Double(coefficients.count) }
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

public enum Logistic {
    @inlinable
    public static func sigmoid(_ e: Double) -> Double {
        e >= 0 ? 1 / (1 + _exp(-e)) : _exp(e) / (1 + _exp(e))
    }
}
