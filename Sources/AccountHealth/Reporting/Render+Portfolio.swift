extension Render {
    /// `compare`'s output in a format.
    public static func comparison(_ r: ComparisonReport, format: OutputFormat) -> String {
        let e = NumberFormat.exact
        switch format {
        case .json:
            return r.jsonText()
        case .csv, .table:
            let csv = format == .csv
            let f: (Double?, Int) -> String = { v, d in csv ? e(v) : NumberFormat.fixed(v, d) }
            var t = ResultTable(
                columns: [
                    "group", "accounts", "arr", "mean_score", "median_score", "mean_change", "renewals", "churns",
                    "observed_churn_rate", "expected_churns", "oe_ratio", "oe_ci_low", "oe_ci_high",
                    "shrunk_churn_rate",
                    "churned_arr", "flag",
                ] + r.factorNames.map { "\($0)_mean" },
                numeric: Set(1...14).union(Set((16..<(16 + r.factorNames.count)).map { $0 })))
            for g in r.groups {
                t.rows.append(
                    [
                        g.group, String(g.accounts), f(g.arr, 0), f(g.meanScore, 1), f(g.medianScore, 1),
                        f(g.meanChange, 1), String(g.renewals),
                        String(g.churns), csv ? e(g.observedChurnRate) : NumberFormat.percent(g.observedChurnRate),
                        f(g.expectedChurns, 1),
                        f(g.oeRatio, 2), f(g.oeLow, 2), f(g.oeHigh, 2),
                        csv ? e(g.shrunkChurnRate) : NumberFormat.percent(g.shrunkChurnRate),
                        f(g.churnedARR, 0), g.flag?.rawValue ?? "",
                    ] + g.factorMeans.map { f($0, 1) })
            }
            if csv { return t.csv() }
            var out =
                "Churn by \(r.by) (scores as of \(Day.format(r.asOf)); expected churns from a model of the features "
                + "\(r.horizon) days before each decision)\n"
            out += t.text()
            out +=
                "O/E: observed ÷ expected churns with an exact Poisson 95% interval; flag = interval entirely above "
                + "(higher) or below (lower) 1.\n"
            if let s = r.shrinkage {
                out +=
                    "Shrunk rate: beta-binomial empirical Bayes toward the pooled "
                    + "\(NumberFormat.percent(s.pooledRate)) (prior strength "
                    + (s.priorStrength.isFinite
                        ? NumberFormat.fixed(s.priorStrength, 1) : "infinite: the groups do not differ beyond chance")
                    + ")\n"
            }
            let manual = r.groups.flatMap { g in g.manual.map { (g.group, $0) } }
            if !manual.isEmpty {
                out += "\nManual entries: does a low value warn of churn? (AUC 0.5 = the entries tell nothing)\n"
                var m = ResultTable(
                    columns: [r.by, "factor", "observations", "distinct values", "AUC", "churn rate by entered value"],
                    numeric: [2, 3, 4])
                for (g, q) in manual {
                    m.rows.append([
                        g, q.factor, String(q.observations), String(q.distinctValues), NumberFormat.fixed(q.auc, 3),
                        q.byValue.map {
                            "\(NumberFormat.exact($0.value)): "
                                + "\(NumberFormat.percent(Double($0.churns) / Double($0.observations), 0)) of "
                                + "\($0.observations)"
                        }.joined(separator: ", "),
                    ])
                }
                out += m.text()
            }
            for d in r.diagnostics { out += "note: \(d.message)\n" }
            return out
        }
    }
}

extension Render {
    /// The columns of `rank`'s CSV and table.
    public static let rankColumns = [
        "rank", "account_id", "am", "segment", "churn_probability", "score", "band", "change", "arr", "arr_at_risk",
        "renewal_date", "driver_1", "driver_2", "driver_3",
    ]

    /// Rows in `rank`'s CSV columns (then `imputed`); a row without a probability (a churned account) leaves
    /// `churn_probability` and `arr_at_risk` empty.
    public static func rankCSV(_ rows: [RankRow]) -> String {
        let e = NumberFormat.exact
        func driver(_ row: RankRow, _ i: Int) -> String { i < row.drivers.count ? row.drivers[i] : "" }
        var t = ResultTable(columns: rankColumns + ["imputed"])
        for row in rows {
            t.rows.append([
                String(row.rank), row.accountId, row.am ?? "", row.segment ?? "", e(row.churnProbability),
                e(row.score), row.band ?? "",
                e(row.change), e(row.arr), e(row.arrAtRisk), row.renewalDate.map(Day.format) ?? "",
                driver(row, 0), driver(row, 1), driver(row, 2), row.imputed.joined(separator: ";"),
            ])
        }
        return t.csv()
    }

    /// `rank`'s output in a format.
    public static func ranking(_ r: RankReport, format: OutputFormat) -> String {
        let e = NumberFormat.exact
        func driver(_ row: RankRow, _ i: Int) -> String { i < row.drivers.count ? row.drivers[i] : "" }
        switch format {
        case .json:
            return r.jsonText()
        case .csv:
            return rankCSV(r.rows)
        case .table:
            var t = ResultTable(
                columns: [
                    "rank", "account", "am", "segment", "P(churn)", "score", "band", "change", "ARR", "ARR at risk",
                    "renewal", "why",
                ],
                numeric: [0, 4, 5, 7, 8, 9])
            for row in r.rows {
                t.rows.append([
                    String(row.rank), row.accountId, row.am ?? "", row.segment ?? "",
                    NumberFormat.percent(row.churnProbability),
                    NumberFormat.fixed(row.score), row.band ?? "", NumberFormat.fixed(row.change, 1, signed: true),
                    NumberFormat.fixed(row.arr, 0),
                    NumberFormat.fixed(row.arrAtRisk, 0), row.renewalDate.map(Day.format) ?? "",
                    row.drivers.joined(separator: ", ")
                        + (row.imputed.isEmpty ? "" : " (imputed: \(row.imputed.joined(separator: ", ")))"),
                ])
            }
            var out =
                "Churn risk as of \(Day.format(r.asOf)) within \(r.horizon) days (\(r.modelSource)); sorted by ARR "
                + "at risk\n"
                + t.text()
            if r.excludedChurned > 0 {
                out +=
                    "\(r.excludedChurned) account(s) already churned on or before \(Day.format(r.asOf)) are not "
                    + "listed\n"
            }
            for d in r.diagnostics { out += "note: \(d.message)\n" }
            return out
        }
    }
}
