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
    /// The model's probability of churn within the horizon (nil for an account listed without one: one that
    /// has churned, in the studio's portfolio with churned accounts shown).
    public var churnProbability: Double?
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
    /// The date of the account's churn, when it churned on or before the as-of date (`rank` itself lists only
    /// active accounts; the studio's portfolio lists churned ones on request).
    public var churnedOn: Int32? = nil

    /// A row with every column given.
    public init(
        rank: Int, accountId: String, am: String?, segment: String?, churnProbability: Double?, score: Double?,
        band: String?, change: Double?, arr: Double?, arrAtRisk: Double?, renewalDate: Int32?, drivers: [String],
        imputed: [String], churnedOn: Int32? = nil
    ) {
        self.rank = rank; self.accountId = accountId; self.am = am; self.segment = segment
        self.churnProbability = churnProbability; self.score = score; self.band = band; self.change = change
        self.arr = arr; self.arrAtRisk = arrAtRisk; self.renewalDate = renewalDate; self.drivers = drivers
        self.imputed = imputed; self.churnedOn = churnedOn
    }
}

extension RankReport {
    /// The rows `keep` keeps, in the same order, ranked again from 1: `rank`'s answer for a part of the book (an
    /// AM's, a segment's, a band's).
    public func filtered(_ keep: (RankRow) -> Bool) -> RankReport {
        var r = self
        r.rows = rows.filter(keep)
        for i in r.rows.indices { r.rows[i].rank = i + 1 }
        return r
    }
}

/// `rank`'s result.
public struct RankReport: Sendable {
    /// The as-of date.
    public var asOf: Int32
    /// The configuration version in force at `asOf`, under a history (DESIGN §15).
    public var configVersion: String? = nil
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
    /// before `asOf` (default: the last timeline date). `configuration` defaults to the version of the dataset's
    /// history in force at `asOf` (DESIGN §15), else the dataset's configuration.
    public static func rank(
        _ dataset: Dataset, configuration: Configuration? = nil,
        savedModel: SavedModel? = nil, modelFile: String? = nil, asOf: Int32? = nil, horizon: Int = 90,
        penalty: Double = 0, top: Int? = nil, missing: MissingTreatment = .indicator
    ) throws -> RankReport {
        let timeline = dataset.timeline
        guard let day = try asOf ?? timeline.dateRange()?.last else {
            throw InputError(.noRows, Location(file: timeline.name), "the timeline has no valid dates")
        }
        let configuration = configuration ?? dataset.history?.version(at: day).configuration ?? dataset.configuration
        let (model, source): (SavedModel, String)
        if let savedModel {
            (model, source) = (savedModel, "saved model \(modelFile ?? "")")
        } else {
            (model, source) = try fittedModel(
                dataset, configuration: configuration, day: day, horizon: horizon, penalty: penalty,
                missing: missing)
        }
        let features = try FeatureStates(model: model, timeline: timeline, day: day, modelFile: modelFile)
        // Scores, bands and changes at the same date.
        let scores = try Scorer.score(dataset, configuration: configuration, asOf: day)
        var scoreOf: [String: ScoreRow] = [:]
        for r in scores.rows { scoreOf[r.accountId] = r }
        let churned = churnDates(by: day, dataset.outcomes)
        var rows: [RankRow] = []
        var excluded = 0
        for a in 0..<features.summary.accounts.count {
            let id = features.summary.accounts.string(Int32(a))
            if churned[id] != nil {
                excluded += 1
                continue
            }
            guard let row = features.row(account: a, id: id, model: model, day: day) else { continue }
            rows.append(attributed(row, accounts: dataset.accounts, score: scoreOf[id]))
        }
        rows = ordered(rows, top: top)
        var report = RankReport(
            asOf: day, horizon: model.horizonDays, rows: rows, model: model, modelSource: source,
            excludedChurned: excluded,
            diagnostics: diagnostics(model: model, day: day, accounts: dataset.accounts, rows: rows))
        report.configVersion = dataset.history?.version(at: day).id
        return report
    }

    /// The ranking model fitted on the outcomes decided on or before `day` only (no look-ahead), with the
    /// sentence that says so.
    static func fittedModel(
        _ dataset: Dataset, configuration: Configuration?, day: Int32, horizon: Int, penalty: Double,
        missing: MissingTreatment
    ) throws -> (SavedModel, String) {
        guard let outcomes = dataset.outcomes else {
            throw DatasetError.missing(.outcomes, neededBy: "a ranking without a saved model")
        }
        let past = outcomes.filter { $0 <= day }
        let factors = configuration?.base.factors.map(\.name)
        let raw = try Observations.build(
            dataset, outcomes: past, factors: factors,
            options: ObservationOptions(horizons: [horizon], keepMissing: true))[0]
        let design = MissingValues.treat(raw.x, names: raw.featureNames, y: raw.y, treatment: missing)
        guard design.x.columns > 0 || design.rows.isEmpty else {
            throw InputError(
                .modelFailure, Location(file: outcomes.file),
                "the ranking model (outcomes up to \(Day.format(day))) has no factor with a value")
        }
        do {
            let fit = try LogisticRegression(penalty: penalty).fit(
                design.x, design.y, names: design.names)
            let source =
                "fitted on \(design.rows.count) renewal decisions dated on or before \(Day.format(day)), features "
                + "\(horizon) days before each (missing values: \(missing.rawValue))"
            return (SavedModel(fit: fit, observations: raw, design: design, trendDays: nil), source)
        } catch let e as ModelError {
            throw InputError(
                .modelFailure, Location(file: outcomes.file),
                "cannot fit the ranking model on the outcomes up to \(Day.format(day)): \(e.description)")
        }
    }

    /// Every account's model features at the ranking date, read in one pass over the timeline.
    struct FeatureStates {
        let summary: TimelineSummary
        let states: AsOfAccumulator
        /// Where each model feature is read from: its factor's slot, and whether it is the trend.
        let sourceOf: [(slot: Int, trend: Bool)]

        init(model: SavedModel, timeline: any TimelineSource, day: Int32, modelFile: String?) throws {
            let baseFeatures = model.features.indices.filter { model.indicatorFactor($0) == nil }.map {
                model.features[$0]
            }.filter { !$0.hasSuffix("_trend") || model.trendDays == nil }
            var factorNames: [String] = []
            for f in baseFeatures {
                let name = f.hasSuffix("_trend") ? String(f.dropLast(6)) : f
                if !factorNames.contains(name) { factorNames.append(name) }
            }
            var acc = AsOfAccumulator(queryDays: [day], factors: factorNames, trendDays: model.trendDays)
            summary = try timeline.read(into: &acc)
            acc.finish()
            states = acc
            let have = Set(summary.factors.map { $0.lowercased() })
            for f in factorNames where !have.contains(f.lowercased()) {
                throw InputError(
                    .unknownFactor, Location(file: modelFile ?? "model"), value: f,
                    "the model uses factor '\(f)', which is not a timeline column")
            }
            sourceOf = model.features.indices.map { j in
                let f = model.indicatorFactor(j) ?? model.features[j]
                let isTrend = model.trendDays != nil && f.hasSuffix("_trend")
                return (factorNames.firstIndex(of: isTrend ? String(f.dropLast(6)) : f)!, isTrend)
            }
        }

        /// An account's churn probability, its three largest positive drivers β·(x − mean) and the features
        /// imputed with the training mean; nil when the account has no row yet on the date.
        func row(account a: Int, id: String, model: SavedModel, day: Int32) -> RankRow? {
            let st = states.state(account: a, query: 0)
            guard st.latestRowDay != nil else { return nil }
            var x = [Double](repeating: 0, count: model.features.count)
            var contributions: [(String, Double)] = []
            var imputed: [String] = []
            for (j, f) in model.features.enumerated() {
                let (k, isTrend) = sourceOf[j]
                var v = isTrend ? (st.trends?[k] ?? .nan) : st.values[k]
                if model.indicatorFactor(j) != nil {
                    v = v.isNaN ? 1 : 0  // the factor's indicator: 1 where it has no value
                } else if v.isNaN {
                    v = model.fillValue(j)
                    imputed.append(f)
                }
                x[j] = v
                contributions.append((f, model.coefficients[j] * (v - model.means[j])))
            }
            // A Cox model conditions on the account's age: days since its first timeline row.
            let age = states.firstRowDay(account: a).map { Double(day - $0) }
            let p = model.churnProbability(x: x, age: age)
            let drivers = contributions.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
                .prefix(3).map(\.0)
            return RankRow(
                rank: 0, accountId: id, am: nil, segment: nil, churnProbability: p, score: nil, band: nil,
                change: nil, arr: nil, arrAtRisk: nil, renewalDate: nil, drivers: Array(drivers), imputed: imputed)
        }
    }

    /// Accounts whose churn was decided on or before the date (no longer active), each with its first such churn
    /// date.
    public static func churnDates(by day: Int32, _ outcomes: OutcomesTable?) -> [String: Int32] {
        var churned: [String: Int32] = [:]
        if let outcomes {
            for i in 0..<outcomes.count where outcomes.churned[i] && outcomes.day[i] <= day {
                churned[outcomes.accountIds[i]] = min(churned[outcomes.accountIds[i]] ?? .max, outcomes.day[i])
            }
        }
        return churned
    }

    /// A row with the account's attributes (am, segment, ARR, ARR at risk, renewal date) and its score.
    static func attributed(_ row: RankRow, accounts: AccountsTable?, score s: ScoreRow?) -> RankRow {
        var r = row
        if let accounts, let i = accounts.row(of: row.accountId) {
            r.am = accounts.am[i]
            r.segment = accounts.segment[i]
            r.arr = accounts.arr[i]
            r.arrAtRisk = row.churnProbability.map { $0 * accounts.arr[i] }
            r.renewalDate = accounts.renewalDay[i]
        }
        r.score = s?.result.score
        r.band = s?.band
        r.change = s?.change
        return r
    }

    /// Rows by ARR at risk, then churn probability, then id; the first `top`; ranks from 1.
    static func ordered(_ rows: [RankRow], top: Int?) -> [RankRow] {
        var rows = rows.sorted {
            let a = $0.arrAtRisk ?? -1, b = $1.arrAtRisk ?? -1
            if a != b { return a > b }
            let p = $0.churnProbability ?? -1, q = $1.churnProbability ?? -1
            if p != q { return p > q }
            return $0.accountId < $1.accountId
        }
        if let top { rows = Array(rows.prefix(max(0, top))) }
        for i in rows.indices { rows[i].rank = i + 1 }
        return rows
    }

    /// What the ranking rests on: a Cox model's conditioning, a missing accounts file, imputed features.
    static func diagnostics(model: SavedModel, day: Int32, accounts: AccountsTable?, rows: [RankRow]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
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
        return diagnostics
    }
}
