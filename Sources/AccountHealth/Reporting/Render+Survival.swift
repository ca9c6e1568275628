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
            + "churns; \(d.dropped) intervals dropped for a missing value\n"
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
        return out
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
