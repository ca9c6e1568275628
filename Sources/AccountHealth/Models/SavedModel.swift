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
    /// The missing-value treatment it was fitted with (nil in a file written before DESIGN §13: the feature means
    /// fill a missing value).
    public var missingTreatment: MissingTreatment?
    /// Per factor, the value that fills a missing one (the mean of its observed values in the training rows).
    public var fill: [(factor: String, value: Double)] = []
    /// The factors with a `<factor>_missing` column, in column order.
    public var indicators: [String] = []

    /// Whether it is a Cox model.
    public var isCox: Bool { kind == .cox }

    /// Keeps a design's missing-value treatment: its name, each factor's fill value and the indicators.
    mutating func keepMissingValues(_ design: TreatedDesign) {
        missingTreatment = design.treatment
        fill = zip(design.features, design.fill).filter { $0.1.isFinite }.map { ($0.0, $0.1) }
        indicators = design.indicators
    }

    /// The value that fills a missing feature `j`: its factor's fill value, else its training mean.
    public func fillValue(_ j: Int) -> Double {
        let f = features[j]
        return fill.first { $0.factor == f }?.value ?? means[j]
    }

    /// The factor whose indicator feature `j` is (`<factor>_missing` of a listed indicator), or nil.
    public func indicatorFactor(_ j: Int) -> String? {
        let f = features[j]
        guard f.hasSuffix("_missing") else { return nil }
        let base = String(f.dropLast("_missing".count))
        return indicators.contains(base) ? base : nil
    }

    /// Equal files: every field, the fill values in order.
    public static func == (a: SavedModel, b: SavedModel) -> Bool {
        a.kind == b.kind && a.horizonDays == b.horizonDays && a.features == b.features && a.intercept == b.intercept
            && a.coefficients == b.coefficients && a.means == b.means && a.trendDays == b.trendDays
            && a.penalty == b.penalty && a.observations == b.observations && a.lastOutcomeDate == b.lastOutcomeDate
            && a.baselineTimes == b.baselineTimes && a.baselineCumulativeHazard == b.baselineCumulativeHazard
            && a.ties == b.ties && a.missingTreatment == b.missingTreatment && a.indicators == b.indicators
            && a.fill.map(\.factor) == b.fill.map(\.factor) && a.fill.map(\.value) == b.fill.map(\.value)
    }

    /// A saved logistic model from its fit, its observations and the design it was fitted on (DESIGN §13: the
    /// fill values and the indicator columns are kept).
    public init(fit: LogisticFit, observations: ObservationSet, design: TreatedDesign, trendDays: Int?) {
        kind = .logistic
        horizonDays = observations.horizon
        features = design.names
        intercept = fit.coefficients[0]
        coefficients = Array(fit.coefficients.dropFirst())
        means = fit.featureMeans
        self.trendDays = trendDays
        penalty = fit.penalty
        self.observations = fit.observations
        lastOutcomeDate = observations.outcomeDays.max().map(Day.format)
        keepMissingValues(design)
    }

    /// A Cox model (`survival --save-model`): `rank` turns it into P(churn within the horizon | age); with the
    /// design's treatment, its fill values and indicators are kept.
    public init(cox: CoxFit, horizonDays: Int, lastOutcomeDate: String?, treatment: TreatedDesign? = nil) {
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
        if let treatment { keepMissingValues(treatment) }
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
        // JSONDecoder reads every number exactly (Foundation's JSONSerialization on Linux can be an ulp off,
        // and a model file must give back the model that was saved).
        let file: ModelFile
        do { file = try JSONDecoder().decode(ModelFile.self, from: data) } catch let e as DecodingError {
            throw bad(ModelFile.describe(e))
        } catch { throw bad("invalid JSON") }
        guard let kindName = file.kind, let kind = Kind(rawValue: kindName) else {
            throw bad("'kind' must be \"logistic\" or \"cox\"")
        }
        guard let h = file.horizonDays, let b0 = file.intercept, let cs = file.coefficients else {
            throw bad("missing horizon_days, intercept or coefficients")
        }
        guard cs.allSatisfy({ $0.estimate.isFinite && $0.mean.isFinite }) else {
            throw bad("each coefficient needs name, estimate and mean")
        }
        let names = cs.map(\.name)
        var model = SavedModel(
            kind: kind, horizonDays: h, features: names, intercept: b0, coefficients: cs.map(\.estimate),
            means: cs.map(\.mean), trendDays: file.trendDays, penalty: file.penalty ?? 0,
            observations: file.observations ?? 0, lastOutcomeDate: file.lastOutcomeDate)
        if let missing = file.missing {
            guard let treatment = MissingTreatment(rawValue: missing.treatment) else {
                throw bad("'missing' needs a treatment: \"indicator\", \"mean\" or \"drop\"")
            }
            model.missingTreatment = treatment
            for (factor, value) in missing.fill ?? [:] {
                guard value.isFinite else { throw bad("'missing.fill.\(factor)' must be a number") }
                model.fill.append((factor, value))
            }
            model.fill.sort { a, b in
                (names.firstIndex(of: a.factor) ?? .max, a.factor) < (names.firstIndex(of: b.factor) ?? .max, b.factor)
            }
            let list = missing.indicators ?? []
            guard list.allSatisfy({ names.contains("\($0)_missing") }) else {
                throw bad("'missing.indicators' must list factors whose <factor>_missing is a coefficient")
            }
            model.indicators = list
        }
        if kind == .cox {
            guard let b = file.baseline, b.times.count == b.cumulativeHazard.count, !b.times.isEmpty,
                zip(b.times, b.times.dropFirst()).allSatisfy({ $0 < $1 }),
                zip(b.cumulativeHazard, b.cumulativeHazard.dropFirst()).allSatisfy({ $0 <= $1 }),
                b.cumulativeHazard.allSatisfy({ $0.isFinite && $0 >= 0 })
            else {
                throw bad(
                    "a Cox model needs baseline.times (increasing) and baseline.cumulative_hazard (non-decreasing, "
                        + "same length)"
                )
            }
            model.baselineTimes = b.times
            model.baselineCumulativeHazard = b.cumulativeHazard
            if let t = file.ties {
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
        case lastOutcomeDate = "last_outcome_date", ties, baseline, missing
    }
    enum MissingKeys: String, CodingKey { case treatment, fill, indicators }
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
        if let missingTreatment {
            var m = c.nestedContainer(keyedBy: MissingKeys.self, forKey: .missing)
            try m.encode(missingTreatment.rawValue, forKey: .treatment)
            var f = m.nestedContainer(keyedBy: NameKey.self, forKey: .fill)
            for (factor, value) in fill { try f.encode(value, forKey: NameKey(factor)) }
            try m.encode(indicators, forKey: .indicators)
        }
        if let t = baselineTimes, let h = baselineCumulativeHazard {
            try c.encodeIfPresent(ties?.rawValue, forKey: .ties)
            var b = c.nestedContainer(keyedBy: BaselineKeys.self, forKey: .baseline)
            try b.encode(t, forKey: .times)
            try b.encode(h, forKey: .cumulativeHazard)
        }
    }
}

/// The model file as JSON decodes it (every key optional, so a missing one gets its own message).
private struct ModelFile: Decodable {
    struct Term: Decodable {
        var name: String
        var estimate: Double
        var mean: Double
    }
    struct Baseline: Decodable {
        var times: [Double]
        var cumulativeHazard: [Double]
        enum CodingKeys: String, CodingKey { case times, cumulativeHazard = "cumulative_hazard" }
    }
    struct Missing: Decodable {
        var treatment: String
        var fill: [String: Double]?
        var indicators: [String]?
    }
    var kind: String?
    var horizonDays: Int?
    var intercept: Double?
    var coefficients: [Term]?
    var trendDays: Int?
    var penalty: Double?
    var observations: Int?
    var lastOutcomeDate: String?
    var ties: String?
    var baseline: Baseline?
    var missing: Missing?

    enum CodingKeys: String, CodingKey {
        case kind, horizonDays = "horizon_days", intercept, coefficients, trendDays = "trend_days", penalty
        case observations, lastOutcomeDate = "last_outcome_date", ties, baseline, missing
    }

    /// A decoding failure as one line naming the key.
    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .dataCorrupted(let c) where c.codingPath.isEmpty: return "invalid JSON"
        case .dataCorrupted(let c): return "'\(path(c))' is not valid"
        case .keyNotFound(let k, let c):
            let at = path(c)
            if at.hasPrefix("coefficients") { return "each coefficient needs name, estimate and mean" }
            return "'\(at.isEmpty ? "" : at + ".")\(k.stringValue)' is missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            let at = path(c)
            if at.hasPrefix("coefficients") { return "each coefficient needs name, estimate and mean" }
            if at == "kind" { return "'kind' must be \"logistic\" or \"cox\"" }
            if at.hasPrefix("baseline") {
                return "a Cox model needs baseline.times (increasing) and baseline.cumulative_hazard "
                    + "(non-decreasing, same length)"
            }
            return "'\(at)' has the wrong type"
        @unknown default: return "invalid JSON"
        }
    }
}
