import Foundation

/// Cross-validated performance of the fitted model (k folds grouped by account).
public struct CrossValidation: Sendable {
    /// The number of folds.
    public var folds: Int
    /// The seed of the fold assignment.
    public var seed: UInt64
    /// The AUC of the pooled out-of-fold predictions, or nil without both classes.
    public var auc: Double?
    /// The mean log loss of the out-of-fold predictions.
    public var logLoss: Double
    /// The Brier score of the out-of-fold predictions.
    public var brier: Double
    /// Each fold's AUC (nil for a fold without both classes).
    public var foldAUC: [Double?]
}

/// Current versus suggested weights and risk penalties (DESIGN §13: the score's own rule, fitted by maximum
/// likelihood on every observation), with optional bootstrap intervals.
public struct WeightSuggestion: Sendable {
    /// The factors weighed.
    public var factors: [String]
    /// The configuration's weights of these factors, rescaled to sum to 100.
    public var current: [Double]
    /// The suggested weights, summing to 100.
    public var suggested: [Double]
    /// The configured penalty per risk level (`RiskLevel.rawValue`).
    public var currentPenalties: [Double]
    /// The suggested penalty per level: fitted for the levels that occur, configured for the others.
    public var suggestedPenalties: [Double]
    /// The levels whose penalty was fitted (raw values 1…3).
    public var fittedLevels: [Int]
    /// The score-form fit the weights come from.
    public var fit: ScoreFormLogistic.Result
    /// Each weight's bootstrap 2.5 % quantile, with `--bootstrap`.
    public var bootstrapLow: [Double]?
    /// Each weight's bootstrap 97.5 % quantile, with `--bootstrap`.
    public var bootstrapHigh: [Double]?
    /// Each level's penalty's bootstrap 2.5 % quantile (configured levels: their value).
    public var penaltyLow: [Double]?
    /// Each level's penalty's bootstrap 97.5 % quantile.
    public var penaltyHigh: [Double]?
    /// Bootstrap replicates that fitted.
    public var bootstrapReplicates: Int
    /// Mean fold AUC of each weighting, on the same folds.
    public var aucCurrent: Double?
    /// The suggested weighting's mean fold AUC.
    public var aucSuggested: Double?
}

/// Everything `fit` reports for one horizon.
public struct FitReport: Sendable {
    /// The observations: every outcome row whose account had a timeline row by T − h, values missing as NaN.
    public var observations: ObservationSet
    /// The logistic model's design after the missing-value treatment.
    public var design: TreatedDesign
    /// The logistic model.
    public var model: LogisticFit
    /// Its cross-validated performance.
    public var cv: CrossValidation
    /// The suggested weights, when a configuration is given.
    public var weights: WeightSuggestion?
    /// What the fit noticed.
    public var diagnostics: [Diagnostic]
}

/// How `fit` fits.
public struct FitOptions: Sendable {
    /// L2 penalty λ.
    public var penalty: Double = 0
    /// Cross-validation folds.
    public var folds: Int = 5
    /// The seed of the folds and the bootstrap.
    public var seed: UInt64 = 1
    /// Bootstrap replicates of the weight suggestion (0 for none).
    public var bootstrap: Int = 0
    /// The logistic model's missing-value treatment (the suggested weights always follow the score's rule).
    public var missing: MissingTreatment = .indicator
    /// Keep the configured risk penalties instead of fitting them with the weights.
    public var keepPenalties = false
    /// Fit options.
    public init(
        penalty: Double = 0, folds: Int = 5, seed: UInt64 = 1, bootstrap: Int = 0,
        missing: MissingTreatment = .indicator, keepPenalties: Bool = false
    ) {
        self.penalty = penalty
        self.folds = folds
        self.seed = seed
        self.bootstrap = bootstrap
        self.missing = missing
        self.keepPenalties = keepPenalties
    }
}

/// The `fit` analysis: the logistic model, its cross-validation and the weight suggestion.
public enum FitAnalysis {
    /// Fits, cross-validates and (with a configuration) suggests weights, on one horizon's observations (built
    /// with `keepMissing`: the treatment is applied here).
    public static func run(_ obs: ObservationSet, rules: ScoringRules?, options: FitOptions) throws -> FitReport {
        guard options.folds >= 2 else {
            throw InputError(
                .invalidArgument, Location(file: "folds"), value: String(options.folds), "at least 2 folds are needed")
        }
        // The weight suggestion (§13) reads only the observations: it runs on a thread of its own beside the
        // logistic model and its folds, each of which sums in a fixed order (the same bits on any thread).
        let side = rules.map { rules in SideWork { try suggest(obs, rules: rules, options: options) } }
        defer { _ = side?.wait() }
        let design = MissingValues.treat(obs.x, names: obs.featureNames, y: obs.y, treatment: options.missing)
        let y = design.y, groups = design.rows.map { obs.account[$0] }
        let engine = LogisticRegression(penalty: options.penalty)
        let model = try engine.fit(design.x, y, names: design.names)
        var diagnostics = design.diagnostics + model.diagnostics
        for (j, name) in obs.featureNames.enumerated() where design.used[j] {
            let total = obs.count
            if total > 0 && Double(obs.missing[j]) > 0.9 * Double(total) {
                let how: String
                switch options.missing {
                case .indicator: how = " (filled with its mean, with an indicator)"
                case .mean: how = " (filled with its mean)"
                case .drop: how = " (those were dropped)"
                }
                diagnostics.append(
                    Diagnostic(
                        .mostlyMissing, column: name,
                        message:
                            "'\(name)' is missing in \(obs.missing[j]) of \(total) observations"
                            + how))
            }
        }
        let folds = GroupedFolds(groups: groups, k: min(options.folds, Set(groups).count), seed: options.seed)
        // Unconstrained model, out of fold.
        var oof = [Double](repeating: .nan, count: y.count)
        var foldAUC: [Double?] = []
        // The fold fits start from the full data's estimates and share their first pass (crossValidate).
        let foldFits = try engine.crossValidate(
            design.x, y, names: design.names, folds: folds, start: model.coefficients)
        for f in 0..<folds.k {
            let te = folds.test(f)
            guard !te.isEmpty else { continue }
            let fm = foldFits[f]
            let pr = fm.predict(design.x.rows(te))
            for (k, i) in te.enumerated() { oof[i] = pr[k] }
            foldAUC.append(Metrics.auc(risk: pr, churned: te.map { y[$0] }))
        }
        let aucs = foldAUC.compactMap { $0 }
        let cv = CrossValidation(
            folds: folds.k, seed: options.seed, auc: aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count),
            logLoss: Metrics.logLoss(probability: oof, churned: y),
            brier: Metrics.brier(probability: oof, churned: y),
            foldAUC: foldAUC)
        var weights: WeightSuggestion? = nil
        if let side {
            let (w, notes) = try side.wait().get()
            weights = w
            diagnostics += notes
        }
        return FitReport(
            observations: obs, design: design, model: model, cv: cv, weights: weights, diagnostics: diagnostics)
    }

    /// The score-form problem of DESIGN §13 on every observation: each factor's points (NaN for an optional
    /// factor left out, 0 for a missing required one), the risk levels, and the levels whose penalty is fitted.
    public static func scoreProblem(
        _ obs: ObservationSet, rules: ScoringRules, keepPenalties: Bool
    ) -> (problem: ScoreFormLogistic.Problem, specs: [FactorSpec], notes: [Diagnostic]) {
        var specs: [FactorSpec] = []
        var storage: [Double] = []
        var fixedZero: Set<Int> = []
        var notes: [Diagnostic] = []
        for f in rules.factors {
            guard let j = obs.featureNames.firstIndex(where: { $0.lowercased() == f.name.lowercased() }) else {
                continue
            }
            let raw = obs.x.column(j)
            if raw.allSatisfy({ $0.isNaN }) {
                fixedZero.insert(specs.count)
                notes.append(
                    Diagnostic(
                        .noWeight, column: f.name,
                        message: "'\(f.name)' has no value in any observation: its suggested weight is 0"))
            }
            specs.append(f)
            storage += raw.map { $0.isNaN ? (f.optional ? .nan : 0) : f.points($0) }
        }
        var counts = [Int](repeating: 0, count: 4)
        for r in obs.risk { counts[Int(r)] += 1 }
        var fitted: [Int] = []
        for level in 1...3 {
            let name = RiskLevel(rawValue: UInt8(level))!.description
            if keepPenalties { continue }
            if counts[level] > 0 {
                fitted.append(level)
            } else {
                notes.append(
                    Diagnostic(
                        .penaltyKept, column: name,
                        message:
                            "no observation has risk '\(name)': its penalty keeps the configured "
                            + "\(NumberFormat.exact(rules.riskPenalty[level]))"))
            }
        }
        let problem = ScoreFormLogistic.Problem(
            points: Matrix(rows: obs.count, columns: specs.count, storage: storage), risk: obs.risk, y: obs.y,
            configuredPenalty: rules.riskPenalty, fittedLevels: fitted, fixedZero: fixedZero)
        return (problem, specs, notes)
    }

    static func suggest(
        _ obs: ObservationSet, rules: ScoringRules, options: FitOptions
    ) throws -> (WeightSuggestion, [Diagnostic]) {
        let (problem, specs, scoreNotes) = scoreProblem(obs, rules: rules, keepPenalties: options.keepPenalties)
        var notes = scoreNotes
        let names = specs.map(\.name)
        let totalW = specs.reduce(0) { $0 + $1.weight }
        let current = specs.map { totalW > 0 ? 100 * $0.weight / totalW : 0 }
        // The constrained logistic of §4 (missing points filled with their mean) is the first start, computed in
        // its lane while the other starts run.
        let points = problem.points, outcomes = problem.y
        let constrained: @Sendable () -> [Double]? = {
            guard let c = try? ConstrainedLogistic().fit(points, outcomes, names: names, missingAsMean: true),
                c.coefficients.contains(where: { $0 > 0 })
            else { return nil }
            return c.coefficients
        }
        let solver = ScoreFormLogistic(seed: options.seed)
        let full = try solver.fit(problem, current: current, leading: [constrained])
        if full.k == 0 {
            notes.append(
                Diagnostic(
                    .noSignal, column: "k",
                    message:
                        "the best score-form fit has k = 0: the score carries no signal on these observations, so the "
                        + "current weights stay the suggestion"))
        }
        // Both weightings on the same folds (every observation): the current one needs no fitting; the suggested
        // one is refitted per fold, from the full data's optimum.
        let folds = GroupedFolds(
            groups: obs.account, k: min(options.folds, Set(obs.account).count), seed: options.seed)
        // The folds run at once (as many as there are cores), each deterministic; their AUCs are taken, and the
        // first failure thrown, in fold order: the answer of running them in turn.
        var aucC: [Double] = [], aucS: [Double] = []
        let currentScores = problem.scores(weights: current, penalties: rules.riskPenalty)
        let foldAUCs = Lanes<Result<(current: Double?, suggested: Double?), Error>>(count: folds.k)
        DispatchQueue.concurrentPerform(iterations: folds.k) { f in
            let tr = folds.train(f), te = folds.test(f)
            let yt = te.map { obs.y[$0] }
            let a = Metrics.auc(risk: te.map { -currentScores[$0] }, churned: yt)
            foldAUCs.set(
                f,
                Result {
                    let r = try solver.refit(problem.rows(tr), from: full, current: current)
                    let s = problem.rows(te).scores(weights: r.weights, penalties: r.penalties)
                    return (a, Metrics.auc(risk: s.map { -$0 }, churned: yt))
                }.mapError { $0 as Error })
        }
        for r in foldAUCs.values {
            let (c, s) = try r.get()
            if let c { aucC.append(c) }
            if let s { aucS.append(s) }
        }
        var low: [Double]? = nil, high: [Double]? = nil, pLow: [Double]? = nil, pHigh: [Double]? = nil
        var replicates = 0
        if options.bootstrap > 0 {
            // Cluster bootstrap over accounts: every resample keeps an account's observations together.
            var byAccount: [Int: [Int]] = [:]
            for (i, a) in obs.account.enumerated() { byAccount[a, default: []].append(i) }
            let accounts = byAccount.keys.sorted()
            var g = SeededGenerator(seed: options.seed &+ 0xB007)
            var draws = [[Double]](repeating: [], count: specs.count)
            var penaltyDraws = [[Double]](repeating: [], count: 4)
            for _ in 0..<options.bootstrap {
                var idx: [Int] = []
                for _ in 0..<accounts.count { idx += byAccount[accounts[g.int(below: accounts.count)]]! }
                guard let r = try? solver.refit(problem.rows(idx), from: full, current: current) else { continue }
                replicates += 1
                for (j, w) in r.weights.enumerated() { draws[j].append(w) }
                for (l, p) in r.penalties.enumerated() { penaltyDraws[l].append(p) }
            }
            low = draws.map { quantile($0, 0.025) }
            high = draws.map { quantile($0, 0.975) }
            pLow = penaltyDraws.map { quantile($0, 0.025) }
            pHigh = penaltyDraws.map { quantile($0, 0.975) }
        }
        let suggestion = WeightSuggestion(
            factors: names, current: current, suggested: full.weights, currentPenalties: rules.riskPenalty,
            suggestedPenalties: full.penalties, fittedLevels: problem.fittedLevels, fit: full,
            bootstrapLow: low, bootstrapHigh: high, penaltyLow: pLow, penaltyHigh: pHigh,
            bootstrapReplicates: replicates,
            aucCurrent: aucC.isEmpty ? nil : aucC.reduce(0, +) / Double(aucC.count),
            aucSuggested: aucS.isEmpty ? nil : aucS.reduce(0, +) / Double(aucS.count))
        return (suggestion, notes)
    }

    /// Linear-interpolation quantile (numpy's default), NaN for no data.
    static func quantile(_ v: [Double], _ q: Double) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        let h = q * Double(s.count - 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}
