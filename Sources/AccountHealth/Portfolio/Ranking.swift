/// One account of the churn-risk ranking (DESIGN §5).
public struct RankRow: Sendable {
    /// The account's place, from 1.
    public var rank: Int
    /// The account.
    public var accountId: String
    /// Its account manager.
    public var am: String?
    /// Its segment.
    public var segment: String?
    /// The model's probability of churn within the horizon.
    public var churnProbability: Double
    /// Its score at the as-of date.
    public var score: Double?
    /// Its band.
    public var band: String?
    /// Its score change over the period.
    public var change: Double?
    /// Its ARR.
    public var arr: Double?
    /// Churn probability × ARR.
    public var arrAtRisk: Double?
    /// Its renewal date.
    public var renewalDate: Int32?
    /// The factors that raise this account's risk most: largest β·(x − mean), positive ones only.
    public var drivers: [String]
    /// Features imputed with the training mean (no value yet on the as-of date).
    public var imputed: [String]
}

/// `rank`'s result.
public struct RankReport: Sendable {
    /// The as-of date.
    public var asOf: Int32
    /// The horizon in days.
    public var horizon: Int
    /// The accounts, riskiest first.
    public var rows: [RankRow]
    /// The model that ranked them.
    public var model: SavedModel
    /// Where the model came from: a file, or the outcomes dated on or before the as-of date.
    public var modelSource: String
    /// Accounts left out because they had already churned.
    public var excludedChurned: Int
    /// What the ranking noticed.
    public var diagnostics: [Diagnostic]
}

/// The `rank` analysis: active accounts ordered by churn risk, with their drivers.
public enum Ranking {
    /// The model is `savedModel` (read from `modelFile`), or one fitted on the dataset's outcomes dated on or
    /// before `asOf` (default: the last timeline date). `configuration` defaults to the dataset's.
    public static func rank(
        _ dataset: Dataset, configuration: Configuration? = nil,
        savedModel: SavedModel? = nil, modelFile: String? = nil, asOf: Int32? = nil, horizon: Int = 90,
        penalty: Double = 0, top: Int? = nil
    ) throws -> RankReport {
        let configuration = configuration ?? dataset.configuration
        let accounts = dataset.accounts, outcomes = dataset.outcomes
        let timeline = dataset.timeline
        guard let day = try asOf ?? timeline.dateRange()?.last else {
            throw InputError(.noRows, Location(file: timeline.name), "the timeline has no valid dates")
        }
        var diagnostics: [Diagnostic] = []
        // The model: saved, or fitted on the outcomes decided on or before the as-of date only (no look-ahead).
        let model: SavedModel
        let source: String
        if let savedModel {
            model = savedModel
            source = "saved model \(modelFile ?? "")"
        } else {
            guard let outcomes else {
                throw DatasetError.missing(.outcomes, neededBy: "a ranking without a saved model")
            }
            let past = outcomes.filter { $0 <= day }
            let factors = configuration?.base.factors.map(\.name)
            let raw = try Observations.build(
                dataset, outcomes: past, factors: factors,
                options: ObservationOptions(horizons: [horizon], keepMissing: true))[0]
            let x = try raw.imputingMeans(
                file: outcomes.file, what: "the ranking model (outcomes up to \(Day.format(day)))")
            do {
                let fit = try LogisticRegression(penalty: penalty).fit(x, raw.y, names: raw.featureNames)
                var obs = raw
                obs.x = x
                model = SavedModel(fit: fit, observations: obs, trendDays: nil)
            } catch let e as ModelError {
                throw InputError(
                    .modelFailure, Location(file: outcomes.file),
                    "cannot fit the ranking model on the outcomes up to \(Day.format(day)): \(e.description)")
            }
            source =
                "fitted on \(raw.count) renewal decisions dated on or before \(Day.format(day)), features \(horizon) "
                + "days before each"
        }
        // Features at the as-of date.
        let baseFeatures = model.features.filter { !$0.hasSuffix("_trend") || model.trendDays == nil }
        var factorNames: [String] = []
        for f in baseFeatures {
            let name = f.hasSuffix("_trend") ? String(f.dropLast(6)) : f
            if !factorNames.contains(name) { factorNames.append(name) }
        }
        var acc = AsOfAccumulator(queryDays: [day], factors: factorNames, trendDays: model.trendDays)
        let summary = try timeline.read(into: &acc)
        acc.finish()
        let have = Set(summary.factors.map { $0.lowercased() })
        for f in factorNames where !have.contains(f.lowercased()) {
            throw InputError(
                .unknownFactor, Location(file: modelFile ?? "model"), value: f,
                "the model uses factor '\(f)', which is not a timeline column")
        }
        // Scores, bands and changes at the same date.
        let scores = try Scorer.score(dataset, configuration: configuration, asOf: day)
        var scoreOf: [String: ScoreRow] = [:]
        for r in scores.rows { scoreOf[r.accountId] = r }
        // Accounts whose churn was decided on or before the date are no longer active.
        var churned = Set<String>()
        if let outcomes {
            for i in 0..<outcomes.count where outcomes.churned[i] && outcomes.day[i] <= day {
                churned.insert(outcomes.accountIds[i])
            }
        }
        // Where each model feature is read from: its factor's slot, and whether it is the trend.
        let sourceOf: [(slot: Int, trend: Bool)] = model.features.map { f in
            let isTrend = model.trendDays != nil && f.hasSuffix("_trend")
            return (factorNames.firstIndex(of: isTrend ? String(f.dropLast(6)) : f)!, isTrend)
        }
        var rows: [RankRow] = []
        var excluded = 0
        for a in 0..<summary.accounts.count {
            let id = summary.accounts.string(Int32(a))
            if churned.contains(id) { excluded += 1; continue }
            let st = acc.state(account: a, query: 0)
            guard st.latestRowDay != nil else { continue }  // no row yet on the as-of date
            var x = [Double](repeating: 0, count: model.features.count)
            var contributions: [(String, Double)] = []
            var imputed: [String] = []
            for (j, f) in model.features.enumerated() {
                let (k, isTrend) = sourceOf[j]
                var v = isTrend ? (st.trends?[k] ?? .nan) : st.values[k]
                if v.isNaN { v = model.means[j]; imputed.append(f) }
                x[j] = v
                contributions.append((f, model.coefficients[j] * (v - model.means[j])))
            }
            // A Cox model conditions on the account's age: days since its first timeline row.
            let age = acc.firstRowDay(account: a).map { Double(day - $0) }
            let p = model.churnProbability(x: x, age: age)
            let drivers = contributions.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
                .prefix(3).map(\.0)
            let row = accounts?.row(of: id)
            let arr = row.map { accounts!.arr[$0] }
            let s = scoreOf[id]
            rows.append(
                RankRow(
                    rank: 0, accountId: id, am: row.map { accounts!.am[$0] },
                    segment: row.map { accounts!.segment[$0] },
                    churnProbability: p, score: s?.result.score, band: s?.band, change: s?.change, arr: arr,
                    arrAtRisk: arr.map { p * $0 }, renewalDate: row.flatMap { accounts!.renewalDay[$0] },
                    drivers: Array(drivers), imputed: imputed))
        }
        if model.isCox {
            diagnostics.append(
                Diagnostic(
                    .modelSource,
                    message:
                        "Cox model: each account's probability of churning within \(model.horizonDays) days given "
                        + "its age (days since its first timeline row), factors held at their \(Day.format(day)) values"
                ))
        }
        if accounts == nil {
            diagnostics.append(
                Diagnostic(
                    .noAccounts,
                    message:
                        "no accounts file: ARR, ARR at risk and renewal dates are empty, and the ranking is by churn "
                        + "probability"
                ))
        }
        rows.sort {
            let a = $0.arrAtRisk ?? -1, b = $1.arrAtRisk ?? -1
            if a != b { return a > b }
            if $0.churnProbability != $1.churnProbability { return $0.churnProbability > $1.churnProbability }
            return $0.accountId < $1.accountId
        }
        if let top { rows = Array(rows.prefix(max(0, top))) }
        for i in rows.indices { rows[i].rank = i + 1 }
        let imputedCount = rows.filter { !$0.imputed.isEmpty }.count
        if imputedCount > 0 {
            diagnostics.append(
                Diagnostic(
                    .imputed, column: "imputed",
                    message:
                        "\(imputedCount) account(s) had a feature with no value yet: imputed with the training mean "
                        + "(column 'imputed')"
                ))
        }
        return RankReport(
            asOf: day, horizon: model.horizonDays, rows: rows, model: model, modelSource: source,
            excludedChurned: excluded, diagnostics: diagnostics)
    }
}
