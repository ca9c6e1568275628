/// The JSON of `fit`, `indicators` and `backtest`, encoded from their result values (DESIGN §6's keys first,
/// then the extras, in their documented order).

extension FitReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case observations, dropped, horizonDays = "horizon_days", coefficients, logLikelihood = "log_likelihood"
        case deviance, aic, iterations, cv, suggestedWeights = "suggested_weights", aucCurrent = "auc_current"
        case aucSuggested = "auc_suggested", bootstrap, churns, nullLogLikelihood = "null_log_likelihood"
        case mcfaddenR2 = "mcfadden_r2", bic, penalty, imputed, missing
        case constrainedCoefficients = "constrained_coefficients", diagnostics
        case notObserved = "not_observed", missingTreatment = "missing_treatment", filled, indicators
        case suggestedPenalties = "suggested_penalties", suggestedFit = "suggested_fit"
    }
    enum PenaltyKeys: String, CodingKey { case level, current, suggested, fitted, ciLow = "ci_low", ciHigh = "ci_high" }
    enum SuggestedFitKeys: String, CodingKey {
        case logLikelihood = "log_likelihood", k, intercept, observations, starts, iterations
        case projectedGradient = "projected_gradient", newtonDecrement = "newton_decrement"
    }
    enum CVKeys: String, CodingKey { case auc, logLoss = "log_loss", brier, folds, seed, foldAUC = "fold_auc" }
    enum WeightKeys: String, CodingKey {
        case name, current, suggested, coefficient, ciLow = "ci_low", ciHigh = "ci_high"
    }

    /// `fit`'s JSON: the logistic model's terms and fit statistics, the cross-validation, and the suggested
    /// weights with both AUCs on the same folds (an empty list and nulls when no weights could be suggested).
    public func encode(to encoder: any Encoder) throws {
        let m = model, o = observations
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(design.rows.count, forKey: .observations)
        try c.encode(design.dropped, forKey: .dropped)
        try c.encode(o.horizon, forKey: .horizonDays)
        try c.encode(m.terms(), forKey: .coefficients)
        try c.encode(m.logLikelihood, forKey: .logLikelihood)
        try c.encode(m.deviance, forKey: .deviance)
        try c.encode(m.aic, forKey: .aic)
        try c.encode(m.iterations, forKey: .iterations)
        var v = c.nestedContainer(keyedBy: CVKeys.self, forKey: .cv)
        try v.encodeIfPresent(cv.auc, forKey: .auc)
        try v.encodeIfPresent(cv.logLoss, forKey: .logLoss)
        try v.encodeIfPresent(cv.brier, forKey: .brier)
        try v.encode(cv.folds, forKey: .folds)
        try v.encode(Int(truncatingIfNeeded: cv.seed), forKey: .seed)
        try v.encode(cv.foldAUC, forKey: .foldAUC)
        var list = c.nestedUnkeyedContainer(forKey: .suggestedWeights)
        if let w = weights {
            for j in w.factors.indices {
                var e = list.nestedContainer(keyedBy: WeightKeys.self)
                try e.encode(w.factors[j], forKey: .name)
                try e.encode(w.current[j], forKey: .current)
                try e.encode(w.suggested[j], forKey: .suggested)
                try e.encode(w.fit.theta[1 + j], forKey: .coefficient)
                if let l = w.bootstrapLow, let h = w.bootstrapHigh {
                    try e.encode(l[j], forKey: .ciLow)
                    try e.encode(h[j], forKey: .ciHigh)
                }
            }
        }
        try c.encodeIfPresent(weights?.aucCurrent, forKey: .aucCurrent)
        try c.encodeIfPresent(weights?.aucSuggested, forKey: .aucSuggested)
        if let w = weights { try c.encode(w.bootstrapReplicates, forKey: .bootstrap) }
        try c.encode(m.churns, forKey: .churns)
        try c.encode(m.nullLogLikelihood, forKey: .nullLogLikelihood)
        try c.encode(m.mcFaddenR2, forKey: .mcfaddenR2)
        try c.encode(m.bic, forKey: .bic)
        try c.encode(m.penalty, forKey: .penalty)
        try c.encode(design.filled.contains { $0 > 0 }, forKey: .imputed)
        var missing = c.nestedContainer(keyedBy: NameKey.self, forKey: .missing)
        for (name, count) in zip(o.featureNames, o.missing) { try missing.encode(count, forKey: NameKey(name)) }
        if let w = weights {
            try c.encode(w.terms, forKey: .constrainedCoefficients)
        } else {
            try c.encode([JSON](), forKey: .constrainedCoefficients)
        }
        try c.encode(diagnostics, forKey: .diagnostics)
        try c.encode(o.noHistory, forKey: .notObserved)
        try c.encode(design.treatment.rawValue, forKey: .missingTreatment)
        var filled = c.nestedContainer(keyedBy: NameKey.self, forKey: .filled)
        for (name, count) in zip(o.featureNames, design.filled) { try filled.encode(count, forKey: NameKey(name)) }
        try c.encode(design.indicators, forKey: .indicators)
        var penalties = c.nestedUnkeyedContainer(forKey: .suggestedPenalties)
        if let w = weights {
            for level in 1...3 {
                var e = penalties.nestedContainer(keyedBy: PenaltyKeys.self)
                try e.encode(RiskLevel(rawValue: UInt8(level))!.description, forKey: .level)
                try e.encode(w.currentPenalties[level], forKey: .current)
                try e.encode(w.suggestedPenalties[level], forKey: .suggested)
                try e.encode(w.fittedLevels.contains(level), forKey: .fitted)
                if let l = w.penaltyLow, let h = w.penaltyHigh {
                    try e.encode(l[level], forKey: .ciLow)
                    try e.encode(h[level], forKey: .ciHigh)
                }
            }
            var f = c.nestedContainer(keyedBy: SuggestedFitKeys.self, forKey: .suggestedFit)
            try f.encode(w.fit.logLikelihood, forKey: .logLikelihood)
            try f.encode(w.fit.k, forKey: .k)
            try f.encode(w.fit.intercept, forKey: .intercept)
            try f.encode(w.fit.observations, forKey: .observations)
            try f.encode(w.fit.starts, forKey: .starts)
            try f.encode(w.fit.iterations, forKey: .iterations)
            try f.encode(w.fit.projectedGradient, forKey: .projectedGradient)
            try f.encode(w.fit.newtonDecrement, forKey: .newtonDecrement)
        }
    }
}

extension IndicatorCell: Encodable {
    enum CodingKeys: String, CodingKey { case horizon, auc, direction, coefficient, observations, churns }

    /// One factor at one horizon.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(horizon, forKey: .horizon)
        try c.encodeIfPresent(auc, forKey: .auc)
        try c.encodeIfPresent(direction?.rawValue, forKey: .direction)
        try c.encodeIfPresent(coefficient, forKey: .coefficient)
        try c.encode(observations, forKey: .observations)
        try c.encode(churns, forKey: .churns)
    }
}

extension IndicatorRow: Encodable {
    enum CodingKeys: String, CodingKey { case name, peakHorizon = "peak_horizon", kind, byHorizon = "by_horizon" }

    /// One factor: its peak horizon, leading or lagging, and every horizon's cell.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(peakHorizon, forKey: .peakHorizon)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(cells, forKey: .byHorizon)
    }
}

extension IndicatorReport: Encodable {
    enum CodingKeys: String, CodingKey { case horizons, rule, factors, diagnostics }

    /// `indicators`' JSON.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(horizons, forKey: .horizons)
        try c.encode(IndicatorReport.rule, forKey: .rule)
        try c.encode(rows, forKey: .factors)
        try c.encode(diagnostics, forKey: .diagnostics)
    }
}

extension BandRate: Encodable {
    enum CodingKeys: String, CodingKey { case band, accounts, churns, churnRate = "churn_rate" }

    /// A band's accounts, churns and churn rate.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(band, forKey: .band)
        try c.encode(accounts, forKey: .accounts)
        try c.encode(churns, forKey: .churns)
        try c.encodeIfPresent(churnRate, forKey: .churnRate)
    }
}

extension BacktestSlice: Encodable {
    enum CodingKeys: String, CodingKey {
        case cutoff, accounts, churns, auc, topDecileLift = "top_decile_lift", precisionAtK = "precision_at_k", bands
    }

    /// One cutoff (or all of them pooled: no `cutoff` key).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let cutoff { try c.encode(Day.format(cutoff), forKey: .cutoff) }
        try c.encode(accounts, forKey: .accounts)
        try c.encode(churns, forKey: .churns)
        try c.encodeIfPresent(auc, forKey: .auc)
        try c.encodeIfPresent(topDecileLift, forKey: .topDecileLift)
        try c.encodeIfPresent(precisionAtK, forKey: .precisionAtK)
        try c.encode(bands, forKey: .bands)
    }
}

extension ReliabilityRow: Encodable {
    enum CodingKeys: String, CodingKey {
        case label, observations, meanScore = "mean_score", observedRate = "observed_churn_rate"
        case predictedRate = "calibrated_churn_probability"
    }

    /// A band's or a decile's mean score, observed churn rate and calibrated probability.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(observations, forKey: .observations)
        try c.encodeIfPresent(meanScore, forKey: .meanScore)
        try c.encodeIfPresent(observedRate, forKey: .observedRate)
        try c.encodeIfPresent(predictedRate, forKey: .predictedRate)
    }
}

extension BacktestReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case horizonDays = "horizon_days", stepDays = "step_days", k, cutoffs, overall, calibration, unscored
        case diagnostics, against
    }
    enum CalibrationKeys: String, CodingKey { case isotonic, byBand = "by_band", byDecile = "by_decile" }
    enum StepKeys: String, CodingKey {
        case scoreFrom = "score_from", scoreTo = "score_to", probability = "churn_probability", observations
    }
    enum AgainstKeys: String, CodingKey {
        case config, current, other, rankCorrelation = "rank_correlation", bandMatrix = "band_matrix"
    }
    enum MatrixKeys: String, CodingKey {
        case date, rows, columns, counts, accountsChangingBand = "accounts_changing_band"
    }

    /// `backtest`'s JSON: every cutoff, the pooled slice, the calibration and, with `--against`, the comparison.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(options.horizon, forKey: .horizonDays)
        try c.encode(options.step, forKey: .stepDays)
        try c.encode(options.k, forKey: .k)
        try c.encode(cutoffs, forKey: .cutoffs)
        try c.encode(overall, forKey: .overall)
        var cal = c.nestedContainer(keyedBy: CalibrationKeys.self, forKey: .calibration)
        var steps = cal.nestedUnkeyedContainer(forKey: .isotonic)
        for s in isotonic {
            var e = steps.nestedContainer(keyedBy: StepKeys.self)
            try e.encode(s.scoreFrom, forKey: .scoreFrom)
            try e.encode(s.scoreTo, forKey: .scoreTo)
            try e.encode(s.probability, forKey: .probability)
            try e.encode(s.observations, forKey: .observations)
        }
        try cal.encode(byBand, forKey: .byBand)
        try cal.encode(byDecile, forKey: .byDecile)
        try c.encode(unscored, forKey: .unscored)
        try c.encode(diagnostics, forKey: .diagnostics)
        if let cmp = comparison {
            var a = c.nestedContainer(keyedBy: AgainstKeys.self, forKey: .against)
            try a.encode(cmp.otherFile, forKey: .config)
            try a.encode(cmp.overallCurrent, forKey: .current)
            try a.encode(cmp.overall, forKey: .other)
            try a.encodeIfPresent(cmp.rankCorrelation, forKey: .rankCorrelation)
            var m = a.nestedContainer(keyedBy: MatrixKeys.self, forKey: .bandMatrix)
            try m.encode(Day.format(cmp.matrixDate), forKey: .date)
            try m.encode(cmp.currentBands, forKey: .rows)
            try m.encode(cmp.otherBands, forKey: .columns)
            try m.encode(cmp.matrix, forKey: .counts)
            try m.encode(cmp.accountsChangingBand, forKey: .accountsChangingBand)
        }
    }
}
