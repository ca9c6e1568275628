extension Render {
    /// A term table's rows as JSON objects: the core keys, then the table's extras (nulls where empty).
    @available(*, deprecated, message: "JSON comes from the value: JSON.encode(_:) or jsonText()")
    public static func termsJSON(_ t: TermTable) -> JSON { JSON.encode(t) }

    /// Tidy CSV of one or more term tables: `context` columns first (the same values on every row), then
    /// `model`, the core columns, and the union of the tables' extras in `TermTable.Extra` order.
    public static func termsCSV(_ tables: [TermTable], context: [(String, String)] = []) -> String {
        let extras = Array(Set(tables.flatMap(\.extras))).sorted()
        var out = ResultTable(columns: context.map(\.0) + ["model"] + TermTable.coreColumns + extras.map(\.rawValue))
        let e = NumberFormat.exact
        for t in tables {
            for term in t.terms {
                var row =
                    context.map(\.1) + [
                        t.model.rawValue, term.name, e(term.estimate), e(term.standardError), e(term.z), e(term.pValue),
                        e(term.ciLow), e(term.ciHigh),
                    ]
                row += extras.map { e(t.extra($0, of: term)) }
                out.rows.append(row)
            }
        }
        return out.csv()
    }

    /// A terminal table of a term table, statsmodels-style.
    public static func termsText(_ t: TermTable) -> String {
        let labels: [TermTable.Extra: String] = [
            .robustStdError: "robust se", .oddsRatio: "odds ratio", .hazardRatio: "exp(coef)",
            .standardized: "std coef", .mean: "mean", .currentWeight: "current",
            .suggestedWeight: "suggested", .weightCILow: "weight 2.5%", .weightCIHigh: "weight 97.5%",
        ]
        var table = ResultTable(
            columns: ["term", "estimate", "std err", "z", "P>|z|", "[0.025", "0.975]"] + t.extras.map { labels[$0]! },
            numeric: Set(1...(6 + t.extras.count)))
        for term in t.terms {
            table.rows.append(
                [
                    term.name, sig(term.estimate), term.standardError.map(sig) ?? "", NumberFormat.fixed(term.z, 3),
                    term.pValue.map(pText) ?? "", term.ciLow.map(sig) ?? "", term.ciHigh.map(sig) ?? "",
                ]
                    + t.extras.indices.map { k in (k < term.extras.count ? term.extras[k] : nil).map(sig) ?? "" })
        }
        return table.text()
    }

    /// Diagnostics as JSON objects `{kind, column, message}`.
    @available(*, deprecated, message: "JSON comes from the value: JSON.encode(_:) or jsonText()")
    public static func diagnosticsJSON(_ ds: [Diagnostic]) -> JSON { JSON.encode(ds) }
}
