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
            obj += [
                ("coefficients", termsJSON(m.terms)),
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
                // Breslow's baseline at each distinct churn time (days since the account's first row), for an
                // interval at the factors' means: the survival curve S0(t) = exp(−H0(t)); another profile x has
                // S0(t)^exp(β·(x − means)).
                ("baseline", .object([
                    ("at", .object(zip(m.names, m.means).map { ($0, JSON.num($1)) })),
                    ("points", .array(zip(m.baselineTimes, m.baselineCumulativeHazard).map { t, h in
                        .object([("days", .number(t)), ("cumulative_hazard", .number(h)), ("survival", .number(_exp(-h)))])
                    })),
                ])),
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
            obj.append(("discrete_time", .object([
                ("periods", .int(t.periods)), ("events", .int(t.events)),
                ("coefficients", termsJSON(m.terms(model: .discreteTime))),
                ("log_likelihood", .num(m.logLikelihood)), ("iterations", .int(m.iterations)),
            ])))
        }
        obj += [
            ("prediction_date", .string(Day.format(d.predictionDay))),
            ("horizon_days", .int(r.horizon)),
            ("active_accounts", .int(r.predictions.count)),
            ("diagnostics", diagnosticsJSON(r.diagnostics)),
        ]
        return .object(obj)
    }

    /// Tidy CSV: one row per term of each model (the same columns as `fit`'s).
    public static func survivalCSV(_ r: SurvivalReport) -> String {
        termsCSV((r.cox.map { [$0.terms] } ?? []) + (r.discrete.map { [$0.fit.terms(model: .discreteTime)] } ?? []))
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
            out += termsText(m.terms)
        }
        if let dt = r.discrete {
            let m = dt.fit
            out += "\nDiscrete-time hazard (logistic per interval, with log(1 + age in days)): \(dt.periods) periods, \(dt.events) churns, "
            out += "log-likelihood \(f(m.logLikelihood, 2)), iterations \(m.iterations)\n\n"
            out += termsText(m.terms(model: .discreteTime))
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
