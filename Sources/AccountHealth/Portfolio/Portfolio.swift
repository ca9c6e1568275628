/// A group whose observed/expected churn interval lies wholly above or below 1.
public enum ComparisonFlag: String, Sendable, CaseIterable {
    case higher, lower
}

/// One group of a portfolio comparison (DESIGN §5).
public struct GroupComparison: Sendable {
    /// The group: a manager, a segment or another attribute's value.
    public var group: String
    /// Accounts scored in the group at the as-of date.
    public var accounts: Int
    /// Their total ARR.
    public var arr: Double
    /// Their mean score.
    public var meanScore: Double?
    /// Their median score.
    public var medianScore: Double?
    /// Their mean score change over the period.
    public var meanChange: Double?
    /// Outcome rows in the window.
    public var renewals: Int
    /// Of the outcome rows, churns.
    public var churns: Int
    /// The ARR of the churns.
    public var churnedARR: Double
    /// Churns over outcome rows in the window.
    public var observedChurnRate: Double? { renewals + churns > 0 ? Double(churns) / Double(renewals + churns) : nil }
    /// The window's outcome rows the model could score (an account with no timeline row by T − h cannot be).
    public var modelled: Int
    /// Of the modelled rows, churns.
    public var modelledChurns: Int
    /// Σ model probabilities over the modelled rows: the churns the case mix predicts.
    public var expectedChurns: Double
    /// Observed over expected churns among the modelled rows.
    public var oeRatio: Double? { expectedChurns > 0 ? Double(modelledChurns) / expectedChurns : nil }
    /// The exact 95 % interval of the ratio, low end.
    public var oeLow: Double?
    /// The exact 95 % interval of the ratio, high end.
    public var oeHigh: Double?
    /// The group's churn rate shrunk towards the pooled rate (beta-binomial).
    public var shrunkChurnRate: Double?
    /// "higher" when the whole interval is above 1 (more churn than the book predicts), "lower" when below.
    public var flag: ComparisonFlag?
    /// Mean 0–100 points of each factor over the group's accounts at the as-of date.
    public var factorMeans: [Double?]
    /// The quality of each manual factor's entries in the group.
    public var manual: [ManualFactorQuality]
}

/// How well a person's entries of a manual factor predict churn.
public struct ManualFactorQuality: Sendable {
    /// The manual factor.
    public var factor: String
    /// Entries with an outcome.
    public var observations: Int
    /// AUC of a low entered value for churn (0.5 = the entries tell nothing).
    public var auc: Double?
    /// Distinct values entered.
    public var distinctValues: Int
    /// Per value entered: the entries and their churns.
    public var byValue: [(value: Double, observations: Int, churns: Int)]
}

/// `compare`'s result.
public struct ComparisonReport: Sendable {
    /// The attribute the groups are by.
    public var by: String
    /// The as-of date of the scores.
    public var asOf: Int32
    /// The start of the outcome window, if bounded.
    public var from: Int32?
    /// The end of the outcome window, if bounded.
    public var to: Int32?
    /// The horizon of the case-mix model in days.
    public var horizon: Int
    /// One row per group.
    public var groups: [GroupComparison]
    /// The factors of `factorMeans`.
    public var factorNames: [String]
    /// The shrinkage of the groups' churn rates, when it can be estimated.
    public var shrinkage: BetaBinomialShrinkage?
    /// Observations the case-mix model was fitted on.
    public var modelObservations: Int
    /// What the comparison noticed.
    public var diagnostics: [Diagnostic]
}

/// The `compare` analysis: groups compared fairly, risk-adjusted, with intervals.
public enum Portfolio {
    /// Risk-adjusted comparison of groups of accounts (`by` = am, segment or any accounts column).
    /// `configuration` defaults to the dataset's (with none, every timeline factor at equal weight).
    public static func compare(
        _ dataset: Dataset, configuration: Configuration? = nil,
        by: String, from: Int32? = nil, to: Int32? = nil, asOf: Int32? = nil, horizon: Int = 90,
        penalty: Double = 0, missing: MissingTreatment = .indicator
    ) throws -> ComparisonReport {
        let configuration = configuration ?? dataset.configuration
        let accounts = try dataset.requireAccounts("the comparison")
        let outcomes = try dataset.requireDecidedOutcomes("the risk-adjusted comparison")
        guard let groupColumn = accounts.column(by) else {
            let cols = ["am", "segment", "name"] + accounts.attributeNames
            throw InputError(
                .invalidArgument, Location(file: accounts.file), value: by,
                "no column '\(by)' in the accounts file (columns: \(cols.joined(separator: ", ")))")
        }
        var diagnostics: [Diagnostic] = []
        func groupOf(_ id: String) -> String {
            accounts.row(of: id).map { groupColumn[$0] } ?? "(not in accounts file)"
        }
        // Current scores.
        let scores = try Scorer.score(dataset, configuration: configuration, asOf: asOf)
        diagnostics += scores.diagnostics
        let factorNames = scores.factorNames
        let config = configuration ?? Configuration.equalWeights(scores.timeline.factors)
        let (raw, probability) = try caseMix(
            dataset, outcomes: outcomes, configuration: config, horizon: horizon,
            penalty: penalty, missing: missing)
        var (groups, modelledRows) = tally(
            accounts: accounts, groupColumn: groupColumn, outcomes: outcomes, from: from, to: to, groupOf: groupOf,
            observations: raw, probability: probability)
        // Scores and factor points at the as-of date.
        var rowsByGroup: [String: [ScoreRow]] = [:]
        for row in scores.rows { rowsByGroup[groupOf(row.accountId), default: []].append(row) }
        // Groups in a fixed order (a Dictionary's order changes from run to run, and so would the float sums).
        let ordered = groups.keys.sorted().map { groups[$0]! }
        let shrink = BetaBinomialShrinkage(
            churns: ordered.map(\.churns), totals: ordered.map { $0.renewals + $0.churns })
        let manualFactors = config.base.factors.filter(\.manual).map(\.name)
        let columns = FactorColumns(
            configuration: configuration, base: configuration?.base ?? config.base,
            factorNames: factorNames)
        var out: [GroupComparison] = []
        for key in groups.keys.sorted() {
            var gc = groups.removeValue(forKey: key)!
            summariseScores(rowsByGroup[key] ?? [], into: &gc, factorNames: factorNames, columns: columns)
            observedOverExpected(&gc)
            if gc.renewals + gc.churns > 0 {
                gc.shrunkChurnRate = shrink?.rate(churns: gc.churns, total: gc.renewals + gc.churns)
            }
            gc.manual = manualQuality(
                manualFactors, observations: raw, rows: modelledRows.removeValue(forKey: key) ?? [])
            out.append(gc)
        }
        if raw.noHistory > 0 {
            diagnostics.append(
                Diagnostic(
                    .noHistory,
                    message:
                        "\(raw.noHistory) outcome row(s) had no timeline row \(horizon) days before the decision: "
                        + "not observed, so the case-mix model leaves them out (they count in renewals and churns, "
                        + "not in the expected churns)"
                ))
        }
        return ComparisonReport(
            by: by, asOf: scores.dates[0], from: from, to: to, horizon: horizon, groups: out, factorNames: factorNames,
            shrinkage: shrink, modelObservations: raw.count, diagnostics: diagnostics)
    }

    /// The case-mix model: every observed outcome row's features at T − h with the missing-value treatment of
    /// DESIGN §13 (an outcome row whose account has no timeline row by then is not observed: it is not modelled).
    /// Returns the observations (missing values kept, for the manual factors' quality) and each one's churn
    /// probability (NaN for a row the treatment dropped).
    static func caseMix(
        _ dataset: Dataset, outcomes: OutcomesTable, configuration: Configuration, horizon: Int, penalty: Double,
        missing: MissingTreatment
    ) throws -> (ObservationSet, [Double]) {
        let raw = try Observations.build(
            dataset, outcomes: outcomes, factors: configuration.base.factors.map(\.name),
            options: ObservationOptions(horizons: [horizon]))[0]
        let design = MissingValues.treat(raw.x, names: raw.featureNames, y: raw.y, treatment: missing)
        let model: LogisticFit
        do {
            model = try LogisticRegression(penalty: penalty).fit(
                design.x, design.y, names: design.names)
        } catch let e as ModelError {
            throw InputError(
                .modelFailure, Location(file: outcomes.file), "cannot fit the case-mix model: \(e.description)")
        }
        var probability = [Double](repeating: .nan, count: raw.count)
        for (k, p) in model.predict(design.x).enumerated() { probability[design.rows[k]] = p }
        return (raw, probability)
    }

    /// Each group's accounts and ARR, and, over the outcomes in the window, its renewals, churns, churned ARR and
    /// the modelled outcomes' expected churns; with each group's modelled observations (for the manual factors).
    static func tally(
        accounts: AccountsTable, groupColumn: [String], outcomes: OutcomesTable, from: Int32?, to: Int32?,
        groupOf: (String) -> String, observations raw: ObservationSet, probability: [Double]
    ) -> ([String: GroupComparison], [String: [Int]]) {
        // Which observation belongs to which outcome row (by its line in the outcomes file).
        var obsOfLine: [Int: Int] = [:]
        for (i, l) in raw.outcomeLines.enumerated() { obsOfLine[l] = i }
        var groups: [String: GroupComparison] = [:]
        func empty(_ g: String) -> GroupComparison {
            GroupComparison(
                group: g, accounts: 0, arr: 0, meanScore: nil, medianScore: nil, meanChange: nil, renewals: 0,
                churns: 0, churnedARR: 0, modelled: 0, modelledChurns: 0, expectedChurns: 0, oeLow: nil, oeHigh: nil,
                shrunkChurnRate: nil, flag: nil, factorMeans: [], manual: [])
        }
        for r in 0..<accounts.count {
            let g = groupColumn[r]
            groups[g, default: empty(g)].accounts += 1
            groups[g, default: empty(g)].arr += accounts.arr[r]
        }
        var modelledRows: [String: [Int]] = [:]  // group → observation indices in the window
        for i in 0..<outcomes.count {
            let d = outcomes.day[i]
            if let from, d < from { continue }
            if let to, d > to { continue }
            let id = outcomes.accountIds[i]
            let g = groupOf(id)
            var gc = groups[g] ?? empty(g)
            if outcomes.churned[i] {
                gc.churns += 1
                gc.churnedARR += outcomes.arr[i] ?? accounts.row(of: id).map { accounts.arr[$0] } ?? 0
            } else {
                gc.renewals += 1
            }
            if let o = obsOfLine[outcomes.line[i]], !probability[o].isNaN {
                gc.modelled += 1
                gc.modelledChurns += outcomes.churned[i] ? 1 : 0
                gc.expectedChurns += probability[o]
                modelledRows[g, default: []].append(o)
            }
            groups[g] = gc
        }
        return (groups, modelledRows)
    }

    /// Per rule set, the union column of each of its factors (ScoreEngine's slots), worked out once per segment.
    final class FactorColumns {
        let configuration: Configuration?
        let factorNames: [String]
        let baseColumns: [Int]
        var bySegment: [String: [Int]] = [:]

        init(configuration: Configuration?, base: ScoringRules, factorNames: [String]) {
            self.configuration = configuration
            self.factorNames = factorNames
            baseColumns = ScoreEngine(rules: base, stateFactors: factorNames).slots
        }

        func of(_ segment: String?) -> [Int] {
            guard let configuration, let segment, configuration.segments.contains(where: { $0.name == segment }) else {
                return baseColumns
            }
            if let c = bySegment[segment] { return c }
            let c = ScoreEngine(rules: configuration.rules(forSegment: segment), stateFactors: factorNames).slots
            bySegment[segment] = c
            return c
        }
    }

    /// A group's mean and median score, mean change and mean 0–100 value per factor at the as-of date.
    static func summariseScores(
        _ rows: [ScoreRow], into gc: inout GroupComparison, factorNames: [String], columns: FactorColumns
    ) {
        let s = rows.compactMap { $0.result.score }.sorted()
        if !s.isEmpty {
            gc.meanScore = s.reduce(0, +) / Double(s.count)
            gc.medianScore = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let ch = rows.compactMap(\.change)
        gc.meanChange = ch.isEmpty ? nil : ch.reduce(0, +) / Double(ch.count)
        var sums = [Double](repeating: 0, count: factorNames.count)
        var counts = [Int](repeating: 0, count: factorNames.count)
        for row in rows {
            for (k, j) in columns.of(row.segment).enumerated() where j >= 0 {
                if let v = row.result.mapped[k] { sums[j] += v; counts[j] += 1 }
            }
        }
        gc.factorMeans = zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : nil }
    }

    /// Observed over expected churns with Garwood's exact Poisson 95 % interval on the observed count, and the
    /// flag when the interval excludes 1.
    static func observedOverExpected(_ gc: inout GroupComparison) {
        guard gc.expectedChurns > 0 else { return }
        let ci = PoissonInterval.garwood(gc.modelledChurns)
        gc.oeLow = ci.low / gc.expectedChurns
        gc.oeHigh = ci.high / gc.expectedChurns
        if gc.oeLow! > 1 { gc.flag = .higher } else if gc.oeHigh! < 1 { gc.flag = .lower }
    }

    /// How well a group's entries of each manual factor predict churn: the AUC of a low entry, and the entries
    /// by value, over the group's modelled observations with an entry.
    static func manualQuality(
        _ factors: [String], observations raw: ObservationSet, rows: [Int]
    ) -> [ManualFactorQuality] {
        var out: [ManualFactorQuality] = []
        for f in factors {
            guard let j = raw.featureNames.firstIndex(where: { $0.lowercased() == f.lowercased() }) else { continue }
            let idx = rows.filter { !raw.x[$0, j].isNaN }
            let vals = idx.map { raw.x[$0, j] }, ys = idx.map { raw.y[$0] }
            var byValue: [Double: (Int, Int)] = [:]
            for (v, y) in zip(vals, ys) {
                byValue[v, default: (0, 0)].0 += 1
                byValue[v, default: (0, 0)].1 += Int(y)
            }
            out.append(
                ManualFactorQuality(
                    factor: f, observations: idx.count, auc: Metrics.auc(risk: vals.map { -$0 }, churned: ys),
                    distinctValues: byValue.count,
                    byValue: byValue.keys.sorted().map { ($0, byValue[$0]!.0, byValue[$0]!.1) }))
        }
        return out
    }
}
