/// The JSON of the model vocabulary (term tables, diagnostics) and of `survival`, encoded from the values.

extension TermTable: Encodable {
    /// The rows as JSON objects: the core keys, then the table's extras (nulls where empty).
    public func encode(to encoder: any Encoder) throws {
        var list = encoder.unkeyedContainer()
        for term in terms {
            var c = list.nestedContainer(keyedBy: NameKey.self)
            try c.encode(term.name, forKey: NameKey("name"))
            try c.encode(term.estimate, forKey: NameKey("estimate"))
            try c.encodeIfPresent(term.standardError, forKey: NameKey("std_error"))
            try c.encodeIfPresent(term.z, forKey: NameKey("z"))
            try c.encodeIfPresent(term.pValue, forKey: NameKey("p_value"))
            try c.encodeIfPresent(term.ciLow, forKey: NameKey("ci_low"))
            try c.encodeIfPresent(term.ciHigh, forKey: NameKey("ci_high"))
            for (k, e) in extras.enumerated() {
                try c.encodeIfPresent(k < term.extras.count ? term.extras[k] : nil, forKey: NameKey(e.rawValue))
            }
        }
    }
}

extension Diagnostic: Encodable {
    enum CodingKeys: String, CodingKey { case kind, column, message }

    /// `{"kind", "column", "message"}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encodeIfPresent(column, forKey: .column)
        try c.encode(message, forKey: .message)
    }
}

extension SurvivalReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case intervals, events, dropped, coefficients, logLikelihood = "log_likelihood", concordance
        case nullLogLikelihood = "null_log_likelihood", likelihoodRatio = "likelihood_ratio", aic, iterations, ties
        case penalty, followUpDays = "follow_up_days", baseline, accounts, accountsWithIntervals =
            "accounts_with_intervals"
        case droppedEvents = "dropped_events", missing, churnsWithoutHistory = "churns_without_history"
        case churnsBeforeFirstRow = "churns_before_first_row", laterChurns = "later_churns", rowsAfterChurn =
            "rows_after_churn"
        case discreteTime = "discrete_time", predictionDate = "prediction_date", horizonDays = "horizon_days"
        case activeAccounts = "active_accounts", diagnostics
        case missingTreatment = "missing_treatment", filled, indicators, evaluation
    }
    enum RatioKeys: String, CodingKey { case statistic, df, pValue = "p_value" }
    enum BaselineKeys: String, CodingKey { case at, points }
    enum PointKeys: String, CodingKey { case days, cumulativeHazard = "cumulative_hazard", survival }
    enum DiscreteKeys: String, CodingKey {
        case periods, events, coefficients, logLikelihood = "log_likelihood", iterations
    }

    /// `survival`'s JSON: DESIGN §6's keys first (Cox), then the extras and the discrete-time model.
    public func encode(to encoder: any Encoder) throws {
        let d = design
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(d.data.count, forKey: .intervals)
        try c.encode(d.data.events, forKey: .events)
        try c.encode(d.dropped, forKey: .dropped)
        if let m = cox {
            try c.encode(m.terms, forKey: .coefficients)
            try c.encode(m.logLikelihood, forKey: .logLikelihood)
            try c.encode(m.concordance, forKey: .concordance)
            try c.encode(m.nullLogLikelihood, forKey: .nullLogLikelihood)
            var lr = c.nestedContainer(keyedBy: RatioKeys.self, forKey: .likelihoodRatio)
            try lr.encode(m.likelihoodRatio.statistic, forKey: .statistic)
            try lr.encode(m.likelihoodRatio.df, forKey: .df)
            try lr.encode(m.likelihoodRatio.pValue, forKey: .pValue)
            try c.encode(m.aic, forKey: .aic)
            try c.encode(m.iterations, forKey: .iterations)
            try c.encode(m.ties.rawValue, forKey: .ties)
            try c.encode(m.penalty, forKey: .penalty)
            try c.encode(m.followUp, forKey: .followUpDays)
            // Breslow's baseline at each distinct churn time (days since the account's first row), for an interval
            // at the factors' means: the survival curve S0(t) = exp(−H0(t)); another profile x has
            // S0(t)^exp(β·(x − means)).
            var b = c.nestedContainer(keyedBy: BaselineKeys.self, forKey: .baseline)
            var at = b.nestedContainer(keyedBy: NameKey.self, forKey: .at)
            for (name, mean) in zip(m.names, m.means) { try at.encode(mean, forKey: NameKey(name)) }
            var points = b.nestedUnkeyedContainer(forKey: .points)
            for (t, h) in zip(m.baselineTimes, m.baselineCumulativeHazard) {
                var p = points.nestedContainer(keyedBy: PointKeys.self)
                try p.encode(t, forKey: .days)
                try p.encode(h, forKey: .cumulativeHazard)
                try p.encode(_exp(-h), forKey: .survival)
            }
        } else {
            try c.encode([JSON](), forKey: .coefficients)
            try c.encodeNil(forKey: .logLikelihood)
            try c.encodeNil(forKey: .concordance)
        }
        try c.encode(d.accounts, forKey: .accounts)
        try c.encode(d.accountsWithIntervals, forKey: .accountsWithIntervals)
        try c.encode(d.droppedEvents, forKey: .droppedEvents)
        var missing = c.nestedContainer(keyedBy: NameKey.self, forKey: .missing)
        for (name, count) in zip(d.factorNames, d.missing) { try missing.encode(count, forKey: NameKey(name)) }
        try c.encode(d.churnsWithoutHistory, forKey: .churnsWithoutHistory)
        try c.encode(d.churnsBeforeFirstRow, forKey: .churnsBeforeFirstRow)
        try c.encode(d.laterChurns, forKey: .laterChurns)
        try c.encode(d.rowsAfterChurn, forKey: .rowsAfterChurn)
        if let t = discrete {
            var o = c.nestedContainer(keyedBy: DiscreteKeys.self, forKey: .discreteTime)
            try o.encode(t.periods, forKey: .periods)
            try o.encode(t.events, forKey: .events)
            try o.encode(t.fit.terms(model: .discreteTime), forKey: .coefficients)
            try o.encode(t.fit.logLikelihood, forKey: .logLikelihood)
            try o.encode(t.fit.iterations, forKey: .iterations)
        }
        try c.encode(Day.format(d.predictionDay), forKey: .predictionDate)
        try c.encode(horizon, forKey: .horizonDays)
        try c.encode(predictions.count, forKey: .activeAccounts)
        try c.encode(diagnostics, forKey: .diagnostics)
        try c.encode(d.treatment.treatment.rawValue, forKey: .missingTreatment)
        var filled = c.nestedContainer(keyedBy: NameKey.self, forKey: .filled)
        for (name, count) in zip(d.factorNames, d.treatment.filled) { try filled.encode(count, forKey: NameKey(name)) }
        try c.encode(d.treatment.indicators, forKey: .indicators)
        try c.encodeIfPresent(evaluation, forKey: .evaluation)
    }
}

extension LandmarkEvaluation: Encodable {
    enum CodingKeys: String, CodingKey {
        case landmark, accounts, leftOut = "left_out", times, integratedBrier = "integrated_brier"
        case integratedBrierKM = "integrated_brier_km", meanAUC = "mean_auc", concordanceIPCW = "concordance_ipcw"
        case filled
    }
    enum TimeKeys: String, CodingKey {
        case time, atRisk = "at_risk", events, pastBaseline = "past_baseline", brier, brierKM = "brier_km", auc
    }

    /// DESIGN §14's `evaluation` object (nulls where a metric has no value), then the count of filled accounts.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Day.format(landmark), forKey: .landmark)
        try c.encode(accounts, forKey: .accounts)
        try c.encode(leftOut, forKey: .leftOut)
        var list = c.nestedUnkeyedContainer(forKey: .times)
        for t in times {
            var e = list.nestedContainer(keyedBy: TimeKeys.self)
            try e.encode(t.time, forKey: .time)
            try e.encode(t.atRisk, forKey: .atRisk)
            try e.encode(t.events, forKey: .events)
            try e.encode(t.pastBaseline, forKey: .pastBaseline)
            try e.encode(t.brier, forKey: .brier)
            try e.encode(t.brierKM, forKey: .brierKM)
            try e.encode(t.auc, forKey: .auc)
        }
        try c.encode(integratedBrier, forKey: .integratedBrier)
        try c.encode(integratedBrierKM, forKey: .integratedBrierKM)
        try c.encode(meanAUC, forKey: .meanAUC)
        try c.encode(concordanceIPCW, forKey: .concordanceIPCW)
        try c.encode(filled, forKey: .filled)
    }
}
