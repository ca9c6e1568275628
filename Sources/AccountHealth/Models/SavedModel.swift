import Foundation

/// A fitted churn model as a file (`fit --save-model`), readable by `rank --model`.
public struct SavedModel: Sendable, Equatable {
    public var kind: String
    public var horizonDays: Int
    /// Features in design order (factors, then `<factor>_trend`).
    public var features: [String]
    public var intercept: Double
    public var coefficients: [Double]
    /// Training means, used to impute a missing feature.
    public var means: [Double]
    public var trendDays: Int?
    public var penalty: Double
    public var observations: Int
    public var lastOutcomeDate: String?

    public init(fit: LogisticFit, observations: ObservationSet, trendDays: Int?) {
        kind = "logistic"
        horizonDays = observations.horizon
        features = observations.featureNames
        intercept = fit.coefficients[0]
        coefficients = Array(fit.coefficients.dropFirst())
        means = fit.featureMeans
        self.trendDays = trendDays
        penalty = fit.penalty
        self.observations = fit.observations
        lastOutcomeDate = observations.outcomeDays.max().map(Day.format)
    }

    public func json() -> String {
        JSON.object([
            ("kind", .string(kind)), ("horizon_days", .int(horizonDays)),
            ("intercept", .number(intercept)),
            ("coefficients", .array(features.indices.map { .object([("name", .string(features[$0])), ("estimate", .number(coefficients[$0])),
                                                                    ("mean", .number(means[$0]))]) })),
            ("trend_days", trendDays.map(JSON.int) ?? .null), ("penalty", .number(penalty)),
            ("observations", .int(observations)), ("last_outcome_date", .str(lastOutcomeDate)),
        ]).serialized() + "\n"
    }

    public static func load(path: String) throws -> SavedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(FileManager.default.fileExists(atPath: path) ? .unreadableFile : .missingFile, Location(file: path), "cannot read the model file")
        }
        func bad(_ why: String) -> InputError { InputError(.invalidConfiguration, Location(file: path), "not a healthscore model file: \(why)") }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("invalid JSON") }
        guard let kind = obj["kind"] as? String, kind == "logistic" else { throw bad("'kind' must be \"logistic\"") }
        guard let h = obj["horizon_days"] as? Int, let b0 = obj["intercept"] as? Double, let cs = obj["coefficients"] as? [[String: Any]] else {
            throw bad("missing horizon_days, intercept or coefficients")
        }
        var names: [String] = [], est: [Double] = [], means: [Double] = []
        for c in cs {
            guard let n = c["name"] as? String, let e = c["estimate"] as? Double, let m = c["mean"] as? Double, e.isFinite, m.isFinite else {
                throw bad("each coefficient needs name, estimate and mean")
            }
            names.append(n); est.append(e); means.append(m)
        }
        var model = SavedModel(kind: kind, horizonDays: h, features: names, intercept: b0, coefficients: est, means: means,
                               trendDays: obj["trend_days"] as? Int, penalty: obj["penalty"] as? Double ?? 0,
                               observations: obj["observations"] as? Int ?? 0, lastOutcomeDate: obj["last_outcome_date"] as? String)
        model.kind = kind
        return model
    }

    init(kind: String, horizonDays: Int, features: [String], intercept: Double, coefficients: [Double], means: [Double],
         trendDays: Int?, penalty: Double, observations: Int, lastOutcomeDate: String?) {
        self.kind = kind; self.horizonDays = horizonDays; self.features = features; self.intercept = intercept
        self.coefficients = coefficients; self.means = means; self.trendDays = trendDays; self.penalty = penalty
        self.observations = observations; self.lastOutcomeDate = lastOutcomeDate
    }
}
