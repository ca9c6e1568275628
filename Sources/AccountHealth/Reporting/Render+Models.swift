extension Render {
    /// `fit`'s output in a format: DESIGN §6's JSON keys first, then the extras.
    public static func fit(_ r: FitReport, format: OutputFormat) -> String {
        switch format {
        case .json: return r.jsonText()
        case .csv: return fitCSV(r)
        case .table: return fitText(r)
        }
    }

    /// The JSON of `fit` (DESIGN §6 keys first, then extras), as a tree.
    @available(*, deprecated, message: "JSON comes from the value: JSON.encode(_:) or jsonText()")
    public static func fitJSON(_ r: FitReport) -> JSON { JSON.encode(r) }

    /// Tidy CSV: one row per term of the logistic model, then of the constrained model with the current and
    /// suggested weights (broom's `tidy`, one vocabulary with `survival`).
    public static func fitCSV(_ r: FitReport) -> String {
        termsCSV(
            [r.model.terms()] + (r.weights.map { [$0.terms] } ?? []),
            context: [("horizon_days", String(r.observations.horizon))])
    }

    /// A statsmodels-like summary for the terminal.
    public static func fitText(_ r: FitReport) -> String {
        let m = r.model, o = r.observations, d = r.design
        func f(_ v: Double?, _ d: Int) -> String { NumberFormat.fixed(v, d) }
        var out = "Logistic regression: churn at renewal, features \(o.horizon) days before the decision\n"
        out +=
            "observations \(d.rows.count) (\(m.churns) churned); \(o.noHistory) not observed (no timeline row by "
            + "T − h); missing values: \(d.treatment.rawValue), \(d.dropped) rows dropped\n"
        let filled = zip(d.features, d.filled).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        if !filled.isEmpty { out += "values filled with the mean: \(filled.joined(separator: ", "))\n" }
        out +=
            "log-likelihood \(f(m.logLikelihood, 2))  deviance \(f(m.deviance, 2))  AIC \(f(m.aic, 2))  McFadden R² "
            + "\(f(m.mcFaddenR2, 4))  iterations \(m.iterations)"
        out += m.penalty > 0 ? "  ridge λ \(NumberFormat.exact(m.penalty))\n" : "\n"
        out +=
            "cross-validated (\(r.cv.folds) folds grouped by account, seed \(r.cv.seed)): AUC \(f(r.cv.auc, 3))  "
            + "log-loss \(f(r.cv.logLoss, 4))  Brier \(f(r.cv.brier, 4))\n\n"
        out += termsText(m.terms())
        if let w = r.weights {
            out +=
                "\nSuggested weights (the score's own rule, DESIGN §13: logit P(churn) = b0 − k·score, w ≥ 0, "
                + "Σw = 100, p ≥ 0; \(w.fit.observations) observations, k = \(sig(w.fit.k)), log-likelihood "
                + "\(f(w.fit.logLikelihood, 2))):\n"
            var wt = ResultTable(
                columns: ["factor", "current", "suggested"] + (w.bootstrapLow != nil ? ["95% bootstrap"] : []),
                numeric: [1, 2])
            for j in w.factors.indices {
                var row = [w.factors[j], f(w.current[j], 1), f(w.suggested[j], 1)]
                if let l = w.bootstrapLow, let h = w.bootstrapHigh { row.append("\(f(l[j], 1)) – \(f(h[j], 1))") }
                wt.rows.append(row)
            }
            out += wt.text()
            var pt = ResultTable(
                columns: ["risk penalty", "current", "suggested", "fitted"]
                    + (w.penaltyLow != nil ? ["95% bootstrap"] : []),
                numeric: [1, 2])
            for level in 1...3 {
                var row = [
                    RiskLevel(rawValue: UInt8(level))!.description, f(w.currentPenalties[level], 1),
                    f(w.suggestedPenalties[level], 1), w.fittedLevels.contains(level) ? "yes" : "kept",
                ]
                if let l = w.penaltyLow, let h = w.penaltyHigh {
                    row.append(w.fittedLevels.contains(level) ? "\(f(l[level], 1)) – \(f(h[level], 1))" : "")
                }
                pt.rows.append(row)
            }
            out += pt.text()
            out += "AUC on the same folds: current weights \(f(w.aucCurrent, 3)), suggested \(f(w.aucSuggested, 3))"
            out += w.bootstrapReplicates > 0 ? " (\(w.bootstrapReplicates) bootstrap resamples of accounts)\n" : "\n"
        }
        for d in r.diagnostics { out += "note: \(d.message)\n" }
        return out
    }

    static func sig(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        let a = abs(v)
        if a != 0 && (a < 1e-3 || a >= 1e6) {
            return String(format4: v)
        }
        return NumberFormat.fixed(v, a < 1 ? 5 : 4)
    }

    static func pText(_ p: Double) -> String { p < 0.001 ? "<0.001" : NumberFormat.fixed(p, 3) }
}

extension String {
    /// Scientific notation with 4 significant digits, e.g. 1.234e-05.
    init(format4 v: Double) {
        var e = 0
        var m = abs(v)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 && m > 0 { m *= 10; e -= 1 }
        self =
            (v < 0 ? "-" : "") + NumberFormat.fixed(m, 3) + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "")
            + String(abs(e))
    }
}

extension Render {
    /// `indicators`' output in a format.
    public static func indicators(_ r: IndicatorReport, format: OutputFormat) -> String {
        switch format {
        case .json:
            return r.jsonText()
        case .csv:
            var t = ResultTable(columns: [
                "factor", "kind", "peak_horizon", "horizon", "auc", "direction", "coefficient", "observations",
                "churns",
            ])
            for row in r.rows {
                for c in row.cells {
                    t.rows.append([
                        row.name, row.kind.rawValue, row.peakHorizon.map(String.init) ?? "", String(c.horizon),
                        NumberFormat.exact(c.auc),
                        c.direction?.rawValue ?? "", NumberFormat.exact(c.coefficient), String(c.observations),
                        String(c.churns),
                    ])
                }
            }
            return t.csv()
        case .table:
            var t = ResultTable(
                columns: ["factor"] + r.horizons.map { "AUC @\($0)d" } + ["peak", "kind", "direction"],
                numeric: Set(1...(r.horizons.count + 1)))
            for row in r.rows {
                let dir =
                    row.cells.first { $0.horizon == row.peakHorizon }?.direction?.rawValue.replacingOccurrences(
                        of: "_", with: " ") ?? ""
                t.rows.append(
                    [row.name] + row.cells.map { NumberFormat.fixed($0.auc, 3) } + [
                        row.peakHorizon.map { "\($0)d" } ?? "", row.kind.rawValue, dir,
                    ])
            }
            return
                "Univariate AUC of each factor's value h days before the renewal decision (≥ 0.5, in the factor's "
                + "own direction)\n"
                + t.text() + "rule: \(IndicatorReport.rule)\n"
        }
    }
}

extension Render {
    /// `backtest`'s output in a format.
    public static func backtest(_ r: BacktestReport, format: OutputFormat) -> String {
        func f(_ v: Double?, _ d: Int) -> String { NumberFormat.fixed(v, d) }
        switch format {
        case .json:
            return r.jsonText()
        case .csv:
            var t = ResultTable(
                columns: ["cutoff", "accounts", "churns", "auc", "top_decile_lift", "precision_at_k"]
                    + r.overall.bands.flatMap { ["\($0.band)_accounts", "\($0.band)_churn_rate"] })
            for s in r.cutoffs + [r.overall] {
                t.rows.append(
                    [
                        s.cutoff.map(Day.format) ?? "overall", String(s.accounts), String(s.churns),
                        NumberFormat.exact(s.auc),
                        NumberFormat.exact(s.topDecileLift), NumberFormat.exact(s.precisionAtK),
                    ]
                        + s.bands.flatMap { [String($0.accounts), NumberFormat.exact($0.churnRate)] })
            }
            return t.csv()
        case .table:
            var out =
                "Backtest: score at each cutoff, outcome = the account's next renewal decision within "
                + "\(r.options.horizon) days\n"
            var t = ResultTable(
                columns: ["cutoff", "accounts", "churns", "AUC", "lift@10%", "prec@\(r.options.k)"]
                    + r.overall.bands.map { "\($0.band) churn" },
                numeric: Set(1...(5 + r.overall.bands.count)))
            for s in r.cutoffs + [r.overall] where s.accounts > 0 {
                t.rows.append(
                    [
                        s.cutoff.map(Day.format) ?? "overall", String(s.accounts), String(s.churns), f(s.auc, 3),
                        f(s.topDecileLift, 2),
                        f(s.precisionAtK, 3),
                    ]
                        + s.bands.map { b in
                            b.accounts > 0 ? "\(NumberFormat.percent(b.churnRate)) of \(b.accounts)" : "-"
                        })
            }
            out += t.text()
            out += "\nCalibration (isotonic: a higher score never means a higher churn probability):\n"
            var c = ResultTable(
                columns: ["", "observations", "mean score", "observed churn", "calibrated"], numeric: [1, 2, 3, 4])
            for row in r.byBand + r.byDecile {
                c.rows.append([
                    row.label, String(row.observations), f(row.meanScore, 1), NumberFormat.percent(row.observedRate),
                    NumberFormat.percent(row.predictedRate),
                ])
            }
            out += c.text()
            var iso = ResultTable(
                columns: ["score from", "score to", "churn probability", "observations"], numeric: [0, 1, 2, 3])
            for st in r.isotonic {
                iso.rows.append([
                    f(st.scoreFrom, 2), f(st.scoreTo, 2), NumberFormat.percent(st.probability), String(st.observations),
                ])
            }
            out += "\nScore → churn probability within \(r.options.horizon) days:\n" + iso.text()
            if let cmp = r.comparison {
                out +=
                    "\nAgainst \(cmp.otherFile): AUC \(f(cmp.overallCurrent.auc, 3)) → \(f(cmp.overall.auc, 3)), "
                    + "top-decile lift \(f(cmp.overallCurrent.topDecileLift, 2)) → "
                    + "\(f(cmp.overall.topDecileLift, 2)), rank correlation \(f(cmp.rankCorrelation, 3))\n"
                out +=
                    "Bands on \(Day.format(cmp.matrixDate)) (rows: current, columns: \(cmp.otherFile)); "
                    + "\(cmp.accountsChangingBand) account(s) change band:\n"
                var m = ResultTable(
                    columns: ["current \\ other"] + cmp.otherBands, numeric: Set(1...cmp.otherBands.count))
                for (i, b) in cmp.currentBands.enumerated() { m.rows.append([b] + cmp.matrix[i].map(String.init)) }
                out += m.text()
            }
            if r.unscored > 0 {
                out += "note: \(r.unscored) account-cutoff pair(s) had no timeline row yet and were not scored\n"
            }
            return out
        }
    }
}
