extension Render {
    /// `survival` output: DESIGN §6's JSON keys first (Cox), then the extras and the discrete-time model.
    public static func survival(_ r: SurvivalReport, format: OutputFormat) -> String {
        switch format {
        case .json: return r.jsonText()
        case .csv: return survivalCSV(r)
        case .table: return survivalText(r)
        }
    }

    /// `survival`'s JSON as a tree.
    @available(*, deprecated, message: "JSON comes from the value: JSON.encode(_:) or jsonText()")
    public static func survivalJSON(_ r: SurvivalReport) -> JSON { JSON.encode(r) }

    /// Tidy CSV: one row per term of each model (the same columns as `fit`'s).
    public static func survivalCSV(_ r: SurvivalReport) -> String {
        termsCSV((r.cox.map { [$0.terms] } ?? []) + (r.discrete.map { [$0.fit.terms(model: .discreteTime)] } ?? []))
    }

    /// `survival`'s text output.
    public static func survivalText(_ r: SurvivalReport) -> String {
        let d = r.design
        func f(_ v: Double?, _ k: Int) -> String { NumberFormat.fixed(v, k) }
        var out =
            "Time to churn: \(d.data.count) intervals of \(d.accountsWithIntervals) accounts, \(d.data.events) "
            + "churns; missing values: \(d.treatment.treatment.rawValue), \(d.dropped) intervals dropped\n"
        let filled = zip(d.factorNames, d.treatment.filled).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        if !filled.isEmpty { out += "interval values filled with the mean: \(filled.joined(separator: ", "))\n" }
        if let m = r.cox {
            let lr = m.likelihoodRatio
            out +=
                "\nCox proportional hazards (\(m.ties.rawValue) "
                + "ties\(m.penalty > 0 ? ", ridge λ \(NumberFormat.exact(m.penalty))" : ""))\n"
            out +=
                "log partial likelihood \(f(m.logLikelihood, 2))  (null \(f(m.nullLogLikelihood, 2)))  LR χ² "
                + "\(f(lr.statistic, 2)) on \(lr.df) df, p \(pText(lr.pValue))\n"
            out += "concordance \(f(m.concordance, 4))  AIC \(f(m.aic, 2))  iterations \(m.iterations)\n\n"
            out += termsText(m.terms)
        }
        if let dt = r.discrete {
            let m = dt.fit
            out +=
                "\nDiscrete-time hazard (logistic per interval, with log(1 + age in days)): \(dt.periods) periods, "
                + "\(dt.events) churns, "
            out += "log-likelihood \(f(m.logLikelihood, 2)), iterations \(m.iterations)\n\n"
            out += termsText(m.terms(model: .discreteTime))
        }
        if r.cox != nil {
            out +=
                "\n\(r.predictions.count) active accounts on \(Day.format(d.predictionDay)); highest churn "
                + "probability within \(r.horizon) days given their age:\n"
            var t = ResultTable(columns: ["account", "age (days)", "relative hazard", "P(churn)"], numeric: [1, 2, 3])
            for row in r.predictions.prefix(10) {
                t.rows.append([
                    row.accountId, String(row.ageDays), f(row.relativeHazard, 3), f(row.churnProbability, 4),
                ])
            }
            out += t.text()
        }
        if let e = r.evaluation { out += "\n" + landmarkText(e) }
        return out
    }

    /// The landmark evaluation (DESIGN §14) as a table: Brier against Kaplan–Meier's and the AUC by time.
    public static func landmarkText(_ e: LandmarkEvaluation) -> String {
        func f(_ v: Double?, _ k: Int) -> String { NumberFormat.fixed(v, k) }
        var out =
            "Landmark evaluation at \(Day.format(e.landmark)): the Cox model fitted on what was known then, "
            + "\(e.accounts) accounts at risk evaluated (\(e.leftOut) left out: no churn and no row after it)\n"
        var t = ResultTable(
            columns: ["days", "at risk", "churns", "Brier", "Brier (KM)", "AUC", "past baseline"],
            numeric: [0, 1, 2, 3, 4, 5, 6])
        for row in e.times {
            t.rows.append([
                String(row.time), String(row.atRisk), String(row.events), f(row.brier, 4), f(row.brierKM, 4),
                f(row.auc, 3), String(row.pastBaseline),
            ])
        }
        out += t.text()
        let skill = e.integratedBrier.flatMap { ibs in e.integratedBrierKM.map { 1 - ibs / $0 } }
        out +=
            "integrated Brier \(f(e.integratedBrier, 4)) (Kaplan–Meier \(f(e.integratedBrierKM, 4)); skill "
            + "\(f(skill, 3)))  mean AUC \(f(e.meanAUC, 3))  Uno's concordance \(f(e.concordanceIPCW, 3))\n"
        return out
    }

    /// `--predictions` with `--landmark`: each evaluated account's survival per time with its observed outcome
    /// (`account_id,time,survival,event_time,event`, sorted by account then time).
    public static func landmarkPredictionsCSV(_ e: LandmarkEvaluation) -> String {
        var t = ResultTable(columns: ["account_id", "time", "survival", "event_time", "event"])
        for p in e.predictions {
            for (k, time) in e.times.enumerated() {
                t.rows.append([
                    p.accountId, String(time.time), NumberFormat.exact(p.survival[k]), String(p.eventTime),
                    p.event ? "1" : "0",
                ])
            }
        }
        return t.csv()
    }

    /// The per-account predictions as CSV.
    public static func survivalPredictionsCSV(_ r: SurvivalReport) -> String {
        var t = ResultTable(
            columns: [
                "account_id", "as_of", "age_days", "horizon_days", "relative_hazard", "churn_probability",
                "beyond_follow_up", "imputed",
            ]
                + r.curve.map { "survival_\($0)d" })
        let asOf = Day.format(r.design.predictionDay)
        for row in r.predictions {
            t.rows.append(
                [
                    row.accountId, asOf, String(row.ageDays), String(r.horizon), NumberFormat.exact(row.relativeHazard),
                    NumberFormat.exact(row.churnProbability), row.beyondFollowUp ? "true" : "false",
                    row.imputed.joined(separator: ";"),
                ]
                    + row.survivalCurve.map { NumberFormat.exact($0) })
        }
        return t.csv()
    }
}
