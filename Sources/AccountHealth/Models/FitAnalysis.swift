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

/// Current versus suggested weights (DESIGN §4), with optional bootstrap intervals.
public struct WeightSuggestion: Sendable {
    /// The factors weighed.
    public var factors: [String]
    /// The configuration's weights of these factors, rescaled to sum to 100.
    public var current: [Double]
    /// The suggested weights, summing to 100.
    public var suggested: [Double]
    /// The constrained model they come from.
    public var constrained: ConstrainedLogistic.Result
    /// Each weight's bootstrap 2.5 % quantile, with `--bootstrap`.
    public var bootstrapLow: [Double]?
    /// Each weight's bootstrap 97.5 % quantile, with `--bootstrap`.
    public var bootstrapHigh: [Double]?
    /// Bootstrap replicates that fitted.
    public var bootstrapReplicates: Int
    /// Mean fold AUC of each weighting, on the same folds.
    public var aucCurrent: Double?
    /// The suggested weighting's mean fold AUC.
    public var aucSuggested: Double?
}

/// Everything `fit` reports for one horizon.
public struct FitReport: Sendable {
    /// The observations fitted.
    public var observations: ObservationSet
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
    /// Fit options.
    public init(penalty: Double = 0, folds: Int = 5, seed: UInt64 = 1, bootstrap: Int = 0) {
        self.penalty = penalty
        self.folds = folds
        self.seed = seed
        self.bootstrap = bootstrap
    }
}

/// The `fit` analysis: the logistic model, its cross-validation and the weight suggestion.
public enum FitAnalysis {
    /// Fits, cross-validates and (with a configuration) suggests weights, on one horizon's observations.
    public static func run(_ obs: ObservationSet, rules: ScoringRules?, options: FitOptions) throws -> FitReport {
        guard options.folds >= 2 else {
            throw InputError(
                .invalidArgument, Location(file: "folds"), value: String(options.folds), "at least 2 folds are needed")
        }
        let engine = LogisticRegression(penalty: options.penalty)
        let model = try engine.fit(obs.x, obs.y, names: obs.featureNames)
        var diagnostics = model.diagnostics
        for (j, name) in obs.featureNames.enumerated() {
            let total = obs.count + obs.dropped
            if total > 0 && Double(obs.missing[j]) > 0.9 * Double(total) {
                diagnostics.append(
                    Diagnostic(
                        .mostlyMissing, column: name,
                        message:
                            "'\(name)' is missing in \(obs.missing[j]) of \(total) "
                            + "observations\(obs.imputed ? " (imputed with its mean)" : " (those were dropped)")"
                    ))
            }
        }
        let folds = GroupedFolds(groups: obs.account, k: min(options.folds, Set(obs.account).count), seed: options.seed)
        // Unconstrained model, out of fold.
        var oof = [Double](repeating: .nan, count: obs.count)
        var foldAUC: [Double?] = []
        for f in 0..<folds.k {
            let tr = folds.train(f), te = folds.test(f)
            guard !te.isEmpty else { continue }
            let fm = try engine.fit(obs.x.rows(tr), tr.map { obs.y[$0] }, names: obs.featureNames)
            let pr = fm.predict(obs.x.rows(te))
            for (k, i) in te.enumerated() { oof[i] = pr[k] }
            foldAUC.append(Metrics.auc(risk: pr, churned: te.map { obs.y[$0] }))
        }
        let aucs = foldAUC.compactMap { $0 }
        let cv = CrossValidation(
            folds: folds.k, seed: options.seed, auc: aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count),
            logLoss: Metrics.logLoss(probability: oof, churned: obs.y),
            brier: Metrics.brier(probability: oof, churned: obs.y),
            foldAUC: foldAUC)
        var weights: WeightSuggestion? = nil
        if let rules {
            weights = try suggest(obs, rules: rules, folds: folds, options: options)
        }
        return FitReport(observations: obs, model: model, cv: cv, weights: weights, diagnostics: diagnostics)
    }

    /// The factor columns mapped to 0–100 by the rules (scale, clamp, invert), in the rules' order.
    static func mapped(_ obs: ObservationSet, rules: ScoringRules) -> (Matrix, [FactorSpec]) {
        var specs: [FactorSpec] = []
        var cols: [[Double]] = []
        for f in rules.factors {
            guard let j = obs.featureNames.firstIndex(where: { $0.lowercased() == f.name.lowercased() }) else {
                continue
            }
            specs.append(f)
            cols.append(obs.x.column(j).map(f.points))
        }
        return (Matrix(rows: obs.count, columns: cols.count, storage: cols.flatMap { $0 }), specs)
    }

    static func suggest(
        _ obs: ObservationSet, rules: ScoringRules, folds: GroupedFolds, options: FitOptions
    ) throws -> WeightSuggestion {
        let (x, specs) = mapped(obs, rules: rules)
        let names = specs.map(\.name)
        let constrained = ConstrainedLogistic(penalty: options.penalty)
        let full = try constrained.fit(x, obs.y, names: names)
        let totalW = specs.reduce(0) { $0 + $1.weight }
        let current = specs.map { totalW > 0 ? 100 * $0.weight / totalW : 0 }
        // Both weightings on the same folds: the current one needs no fitting; the suggested one is refitted per fold.
        var aucC: [Double] = [], aucS: [Double] = []
        for f in 0..<folds.k {
            let tr = folds.train(f), te = folds.test(f)
            let xt = x.rows(te), yt = te.map { obs.y[$0] }
            var riskC = [Double](repeating: 0, count: te.count)
            for j in 0..<specs.count { for i in 0..<te.count { riskC[i] -= current[j] * xt[i, j] } }
            if let a = Metrics.auc(risk: riskC, churned: yt) { aucC.append(a) }
            let cf = try constrained.fit(x.rows(tr), tr.map { obs.y[$0] }, names: names)
            if let a = Metrics.auc(risk: cf.risk(xt), churned: yt) { aucS.append(a) }
        }
        var low: [Double]? = nil, high: [Double]? = nil
        if options.bootstrap > 0 {
            // Cluster bootstrap over accounts: every resample keeps an account's observations together.
            var byAccount: [Int: [Int]] = [:]
            for (i, a) in obs.account.enumerated() { byAccount[a, default: []].append(i) }
            let accounts = byAccount.keys.sorted()
            var g = SeededGenerator(seed: options.seed &+ 0xB007)
            var draws = [[Double]](repeating: [], count: specs.count)
            for _ in 0..<options.bootstrap {
                var idx: [Int] = []
                for _ in 0..<accounts.count { idx += byAccount[accounts[g.int(below: accounts.count)]]! }
                guard let r = try? constrained.fit(x.rows(idx), idx.map { obs.y[$0] }, names: names) else { continue }
                for (j, w) in r.weights.enumerated() { draws[j].append(w) }
            }
            low = draws.map { quantile($0, 0.025) }
            high = draws.map { quantile($0, 0.975) }
        }
        return WeightSuggestion(
            factors: names, current: current, suggested: full.weights, constrained: full,
            bootstrapLow: low, bootstrapHigh: high, bootstrapReplicates: options.bootstrap,
            aucCurrent: aucC.isEmpty ? nil : aucC.reduce(0, +) / Double(aucC.count),
            aucSuggested: aucS.isEmpty ? nil : aucS.reduce(0, +) / Double(aucS.count))
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
