extension Render {
    /// `survival` output: DESIGN §6's JSON keys first (Cox), then the extras and the discrete-time model.
    public static func survival(_ r: SurvivalReport, format: OutputFormat) -> String {
        switch format {
        case .json: return survivalJSON(r).serialized() + "\n"
        case .csv: return survivalCSV(r)
        case .table: return survivalText(r)
        }
    }

    public static func survivalJSON(_ r: SurvivalReport) -> JSON {
        let d = r.design
        var obj: [(String, JSON)] = [
            ("intervals", .int(d.data.count)),
            ("events", .int(d.data.events)),
            ("dropped", .int(d.dropped)),
        ]
        if let m = r.cox {
            let se = m.standardErrors, rse = m.robustStandardErrors, z = m.zValues, p = m.pValues, hr = m.hazardRatios
            let lo = m.confidenceLow, hi = m.confidenceHigh
            obj += [
                ("coefficients", .array(m.names.indices.map { j in
                    .object([("name", .string(m.names[j])), ("estimate", .num(m.coefficients[j])), ("std_error", .num(se[j])),
                             ("robust_std_error", .num(rse[j])), ("z", .num(z[j])), ("p_value", .num(p[j])), ("hazard_ratio", .num(hr[j])),
                             ("ci_low", .num(lo[j])), ("ci_high", .num(hi[j])), ("mean", .num(m.means[j]))])
                })),
                ("log_likelihood", .num(m.logLikelihood)),
                ("concordance", .num(m.concordance)),
                ("null_log_likelihood", .num(m.nullLogLikelihood)),
                ("likelihood_ratio", .object([("statistic", .num(m.likelihoodRatio.statistic)), ("df", .int(m.likelihoodRatio.df)),
                                              ("p_value", .num(m.likelihoodRatio.pValue))])),
                ("aic", .num(m.aic)),
                ("iterations", .int(m.iterations)),
                ("ties", .string(m.ties.rawValue)),
                ("penalty", .num(m.penalty)),
                ("follow_up_days", .num(m.followUp)),
            ]
        } else {
            obj += [("coefficients", .array([])), ("log_likelihood", .null), ("concordance", .null)]
        }
        obj += [
            ("accounts", .int(d.accounts)),
            ("accounts_with_intervals", .int(d.accountsWithIntervals)),
            ("dropped_events", .int(d.droppedEvents)),
            ("missing", .object(zip(d.data.names, d.missing).map { ($0, JSON.int($1)) })),
            ("churns_without_history", .int(d.churnsWithoutHistory)),
            ("churns_before_first_row", .int(d.churnsBeforeFirstRow)),
            ("later_churns", .int(d.laterChurns)),
            ("rows_after_churn", .int(d.rowsAfterChurn)),
        ]
        if let t = r.discrete {
            let m = t.fit
            let se = m.standardErrors, z = m.zValues, p = m.pValues, or = m.oddsRatios
            obj.append(("discrete_time", .object([
                ("periods", .int(t.periods)), ("events", .int(t.events)),
                ("coefficients", .array(m.names.indices.map { j in
                    .object([("name", .string(m.names[j])), ("estimate", .num(m.coefficients[j])), ("std_error", .num(se[j])),
                             ("z", .num(z[j])), ("p_value", .num(p[j])), ("odds_ratio", .num(or[j]))])
                })),
                ("log_likelihood", .num(m.logLikelihood)), ("iterations", .int(m.iterations)),
            ])))
        }
        obj += [
            ("prediction_date", .string(Day.format(d.predictionDay))),
            ("horizon_days", .int(r.horizon)),
            ("active_accounts", .int(r.predictions.count)),
            ("notes", .array(r.notes.map(JSON.string))),
        ]
        return .object(obj)
    }

    /// Tidy CSV: one row per term of each model.
    public static func survivalCSV(_ r: SurvivalReport) -> String {
        var t = ResultTable(columns: ["model", "name", "estimate", "std_error", "robust_std_error", "z", "p_value", "hazard_ratio", "odds_ratio"])
        let e = NumberFormat.exact
        if let m = r.cox {
            let se = m.standardErrors, rse = m.robustStandardErrors, z = m.zValues, p = m.pValues, hr = m.hazardRatios
            for j in m.names.indices { t.rows.append(["cox", m.names[j], e(m.coefficients[j]), e(se[j]), e(rse[j]), e(z[j]), e(p[j]), e(hr[j]), ""]) }
        }
        if let d = r.discrete {
            let m = d.fit
            let se = m.standardErrors, z = m.zValues, p = m.pValues, or = m.oddsRatios
            for j in m.names.indices { t.rows.append(["discrete_time", m.names[j], e(m.coefficients[j]), e(se[j]), "", e(z[j]), e(p[j]), "", e(or[j])]) }
        }
        return t.csv()
    }

    public static func survivalText(_ r: SurvivalReport) -> String {
        let d = r.design
        func f(_ v: Double?, _ k: Int) -> String { NumberFormat.fixed(v, k) }
        var out = "Time to churn: \(d.data.count) intervals of \(d.accountsWithIntervals) accounts, \(d.data.events) churns; \(d.dropped) intervals dropped for a missing value\n"
        if let m = r.cox {
            let lr = m.likelihoodRatio
            out += "\nCox proportional hazards (\(m.ties.rawValue) ties\(m.penalty > 0 ? ", ridge λ \(NumberFormat.exact(m.penalty))" : ""))\n"
            out += "log partial likelihood \(f(m.logLikelihood, 2))  (null \(f(m.nullLogLikelihood, 2)))  LR χ² \(f(lr.statistic, 2)) on \(lr.df) df, p \(pText(lr.pValue))\n"
            out += "concordance \(f(m.concordance, 4))  AIC \(f(m.aic, 2))  iterations \(m.iterations)\n\n"
            var t = ResultTable(columns: ["factor", "coef", "exp(coef)", "se", "robust se", "z", "P>|z|", "[0.025", "0.975]"], numeric: Set(1...8))
            let se = m.standardErrors, rse = m.robustStandardErrors, z = m.zValues, p = m.pValues, hr = m.hazardRatios
            let lo = m.confidenceLow, hi = m.confidenceHigh
            for j in m.names.indices {
                t.rows.append([m.names[j], sig(m.coefficients[j]), sig(hr[j]), sig(se[j]), sig(rse[j]), f(z[j], 2), pText(p[j]), sig(lo[j]), sig(hi[j])])
            }
            out += t.text()
        }
        if let dt = r.discrete {
            let m = dt.fit
            out += "\nDiscrete-time hazard (logistic per interval, with log(1 + age in days)): \(dt.periods) periods, \(dt.events) churns, "
            out += "log-likelihood \(f(m.logLikelihood, 2)), iterations \(m.iterations)\n\n"
            var t = ResultTable(columns: ["term", "estimate", "odds ratio", "std err", "z", "P>|z|"], numeric: Set(1...5))
            let se = m.standardErrors, z = m.zValues, p = m.pValues, or = m.oddsRatios
            for j in m.names.indices { t.rows.append([m.names[j], sig(m.coefficients[j]), sig(or[j]), sig(se[j]), f(z[j], 2), pText(p[j])]) }
            out += t.text()
        }
        if r.cox != nil {
            out += "\n\(r.predictions.count) active accounts on \(Day.format(d.predictionDay)); highest churn probability within \(r.horizon) days given their age:\n"
            var t = ResultTable(columns: ["account", "age (days)", "relative hazard", "P(churn)"], numeric: [1, 2, 3])
            for row in r.predictions.prefix(10) {
                t.rows.append([row.accountId, String(row.ageDays), f(row.relativeHazard, 3), f(row.churnProbability, 4)])
            }
            out += t.text()
        }
        return out
    }

    /// The per-account predictions as CSV.
    public static func survivalPredictionsCSV(_ r: SurvivalReport) -> String {
        var t = ResultTable(columns: ["account_id", "as_of", "age_days", "horizon_days", "relative_hazard", "churn_probability", "beyond_follow_up", "imputed"]
                                + r.curve.map { "survival_\($0)d" })
        let asOf = Day.format(r.design.predictionDay)
        for row in r.predictions {
            t.rows.append([row.accountId, asOf, String(row.ageDays), String(r.horizon), NumberFormat.exact(row.relativeHazard),
                           NumberFormat.exact(row.churnProbability), row.beyondFollowUp ? "true" : "false", row.imputed.joined(separator: ";")]
                          + row.survivalCurve.map { NumberFormat.exact($0) })
        }
        return t.csv()
    }
}
