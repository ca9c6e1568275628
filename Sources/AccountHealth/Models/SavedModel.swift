import Foundation

/// A fitted churn model as a file (`fit --save-model`), readable by `rank --model`.
public struct SavedModel: Sendable, Equatable {
    /// The model family, as the file's `kind` says it.
    public enum Kind: String, Sendable, CaseIterable { case logistic, cox }
    /// Logistic or Cox.
    public var kind: Kind
    /// The horizon in days the model predicts over.
    public var horizonDays: Int
    /// Features in design order (factors, then `<factor>_trend`).
    public var features: [String]
    /// The intercept (0 for Cox).
    public var intercept: Double
    /// The coefficients, in `features` order.
    public var coefficients: [Double]
    /// Training means, used to impute a missing feature.
    public var means: [Double]
    /// The trend window in days, when the model has trend features.
    public var trendDays: Int?
    /// The L2 penalty it was fitted with.
    public var penalty: Double
    /// The observations it was fitted on.
    public var observations: Int
    /// The last outcome date in the training data.
    public var lastOutcomeDate: String?
    /// Cox models: the event times (days since an account's first row) and Breslow's cumulative baseline
    /// hazard at each, for factors at `means`.
    public var baselineTimes: [Double]?
    /// Breslow's cumulative baseline hazard at each of `baselineTimes`.
    public var baselineCumulativeHazard: [Double]?
    /// Cox models: the tie method.
    public var ties: CoxRegression.Ties?

    /// Whether it is a Cox model.
    public var isCox: Bool { kind == .cox }

    /// A saved logistic model from its fit and observations.
    public init(fit: LogisticFit, observations: ObservationSet, trendDays: Int?) {
        kind = .logistic
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

    /// A Cox model (`survival --save-model`): `rank` turns it into P(churn within the horizon | age).
    public init(cox: CoxFit, horizonDays: Int, lastOutcomeDate: String?) {
        kind = .cox
        self.horizonDays = horizonDays
        features = cox.names
        intercept = 0
        coefficients = cox.coefficients
        means = cox.means
        trendDays = nil
        penalty = cox.penalty
        observations = cox.intervals
        self.lastOutcomeDate = lastOutcomeDate
        baselineTimes = cox.baselineTimes
        baselineCumulativeHazard = cox.baselineCumulativeHazard
        ties = cox.ties
    }

    /// H0(t) of a Cox model (0 before the first event time; flat after the last).
    public func cumulativeHazard(at t: Double) -> Double {
        guard let times = baselineTimes, let h = baselineCumulativeHazard else { return 0 }
        return stepValue(points: times, values: h, at: t)
    }

    /// The churn probability within the horizon: logistic σ(b0 + β·x), or for Cox
    /// 1 − exp(−[H0(age + h) − H0(age)]·exp(β·(x − mean))) with `age` in days since the account's first row.
    public func churnProbability(x: [Double], age: Double?) -> Double {
        if isCox {
            var s = 0.0
            for j in coefficients.indices { s += coefficients[j] * (x[j] - means[j]) }
            return SurvivalPrediction.probability(
                cumulativeHazard: cumulativeHazard, relativeRisk: _exp(s), age: age ?? 0, horizon: Double(horizonDays))
        }
        var eta = intercept
        for j in coefficients.indices { eta += coefficients[j] * x[j] }
        return Logistic.sigmoid(eta)
    }

    /// The file `--save-model` writes, which `SavedModel.load` reads back.
    public func json() -> String { jsonText() }

    /// Reads a saved model, with located errors.
    public static func load(path: String) throws -> SavedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(
                FileManager.default.fileExists(atPath: path) ? .unreadableFile : .missingFile, Location(file: path),
                "cannot read the model file")
        }
        func bad(_ why: String) -> InputError {
            InputError(.invalidConfiguration, Location(file: path), "not a healthscore model file: \(why)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw bad("invalid JSON")
        }
        guard let kindName = obj["kind"] as? String, let kind = Kind(rawValue: kindName) else {
            throw bad("'kind' must be \"logistic\" or \"cox\"")
        }
        guard let h = obj["horizon_days"] as? Int, let b0 = obj["intercept"] as? Double,
            let cs = obj["coefficients"] as? [[String: Any]]
        else {
            throw bad("missing horizon_days, intercept or coefficients")
        }
        var names: [String] = [], est: [Double] = [], means: [Double] = []
        for c in cs {
            guard let n = c["name"] as? String, let e = c["estimate"] as? Double, let m = c["mean"] as? Double,
                e.isFinite, m.isFinite
            else {
                throw bad("each coefficient needs name, estimate and mean")
            }
            names.append(n); est.append(e); means.append(m)
        }
        var model = SavedModel(
            kind: kind, horizonDays: h, features: names, intercept: b0, coefficients: est, means: means,
            trendDays: obj["trend_days"] as? Int, penalty: obj["penalty"] as? Double ?? 0,
            observations: obj["observations"] as? Int ?? 0, lastOutcomeDate: obj["last_outcome_date"] as? String)
        model.kind = kind
        if kind == .cox {
            guard let b = obj["baseline"] as? [String: Any], let t = b["times"] as? [Double],
                let h = b["cumulative_hazard"] as? [Double],
                t.count == h.count, !t.isEmpty, zip(t, t.dropFirst()).allSatisfy({ $0 < $1 }),
                zip(h, h.dropFirst()).allSatisfy({ $0 <= $1 }),
                h.allSatisfy({ $0.isFinite && $0 >= 0 })
            else {
                throw bad(
                    "a Cox model needs baseline.times (increasing) and baseline.cumulative_hazard (non-decreasing, "
                        + "same length)"
                )
            }
            model.baselineTimes = t
            model.baselineCumulativeHazard = h
            if let t = obj["ties"] as? String {
                guard let ties = CoxRegression.Ties(rawValue: t) else {
                    throw bad("'ties' must be \"efron\" or \"breslow\"")
                }
                model.ties = ties
            }
        }
        return model
    }

    init(
        kind: Kind, horizonDays: Int, features: [String], intercept: Double, coefficients: [Double], means: [Double],
        trendDays: Int?, penalty: Double, observations: Int, lastOutcomeDate: String?
    ) {
        self.kind = kind; self.horizonDays = horizonDays; self.features = features; self.intercept = intercept
        self.coefficients = coefficients; self.means = means; self.trendDays = trendDays; self.penalty = penalty
        self.observations = observations; self.lastOutcomeDate = lastOutcomeDate
    }
}

extension SavedModel: Encodable {
    enum CodingKeys: String, CodingKey {
        case kind, horizonDays = "horizon_days", intercept, coefficients, trendDays = "trend_days", penalty,
            observations
        case lastOutcomeDate = "last_outcome_date", ties, baseline
    }
    enum TermKeys: String, CodingKey { case name, estimate, mean }
    enum BaselineKeys: String, CodingKey { case times, cumulativeHazard = "cumulative_hazard" }

    /// The saved model's JSON: the kind, the terms with their training means, and a Cox model's baseline.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(horizonDays, forKey: .horizonDays)
        try c.encode(intercept, forKey: .intercept)
        var terms = c.nestedUnkeyedContainer(forKey: .coefficients)
        for j in features.indices {
            var t = terms.nestedContainer(keyedBy: TermKeys.self)
            try t.encode(features[j], forKey: .name)
            try t.encode(coefficients[j], forKey: .estimate)
            try t.encode(means[j], forKey: .mean)
        }
        try c.encodeIfPresent(trendDays, forKey: .trendDays)
        try c.encode(penalty, forKey: .penalty)
        try c.encode(observations, forKey: .observations)
        try c.encodeIfPresent(lastOutcomeDate, forKey: .lastOutcomeDate)
        if let t = baselineTimes, let h = baselineCumulativeHazard {
            try c.encodeIfPresent(ties?.rawValue, forKey: .ties)
            var b = c.nestedContainer(keyedBy: BaselineKeys.self, forKey: .baseline)
            try b.encode(t, forKey: .times)
            try b.encode(h, forKey: .cumulativeHazard)
        }
    }
}
