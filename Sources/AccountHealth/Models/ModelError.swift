/// Why a model could not be fitted: typed, naming the factor and saying what to try.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case noObservations(String)
    case oneClass(churned: Bool, count: Int)
    case constantFactor(name: String, value: Double)
    case collinear(factor: String, with: [String])
    case separation(factors: [String], detail: String)
    case notConverged(iterations: Int, detail: String)
    /// Survival data with no event: there is nothing to fit.
    case noEvents(intervals: Int)
    /// A survival interval that is not `(start, stop]` with start < stop, both finite.
    case invalidInterval(index: Int, detail: String)

    public var description: String {
        switch self {
        case .noObservations(let why):
            return "no observations to fit: \(why)"
        case .oneClass(let churned, let n):
            return "all \(n) observations are \(churned ? "churned" : "renewed"): there is nothing to tell apart (widen the outcome window or check the outcomes file)"
        case .constantFactor(let name, let v):
            return "factor '\(name)' has the same value (\(v)) in every observation: its effect cannot be estimated; remove it from the configuration"
        case .collinear(let f, let others):
            return "factor '\(f)' is a linear combination of \(others.isEmpty ? "the intercept" : others.map { "'\($0)'" }.joined(separator: ", ")) (singular design): remove one of them, or use --penalty"
        case .separation(let fs, let detail):
            let who = fs.isEmpty ? "a combination of factors" : fs.map { "'\($0)'" }.joined(separator: ", ")
            return "perfect or quasi-complete separation: \(who) separates churned from renewed accounts, so the maximum-likelihood estimates are infinite (\(detail)); use --penalty (ridge) or remove the factor"
        case .noEvents(let n):
            return "none of the \(n) intervals ends in a churn: there is no event to fit a hazard model on (check the outcomes file and its dates)"
        case .invalidInterval(let i, let detail):
            return "interval \(i + 1) is not a valid (start, stop] interval: \(detail)"
        case .notConverged(let it, let detail):
            return "the fit did not converge in \(it) iterations (\(detail)); check for extreme values, use --penalty, or remove weak factors"
        }
    }
}

/// A soft problem found while fitting, naming the column (Swift has no warnings channel for libraries).
public struct Diagnostic: Sendable, Equatable {
    public var kind: String
    public var factor: String?
    public var message: String

    public init(kind: String, factor: String?, _ message: String) {
        self.kind = kind
        self.factor = factor
        self.message = message
    }
}
