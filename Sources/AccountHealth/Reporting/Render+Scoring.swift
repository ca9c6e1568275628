import Foundation
/// The renderers of every command's result. One pattern throughout: `Render.<result>(_:format:)` gives a
/// command's whole output in `table`, `csv` or `json`; `<result>CSV` and `<result>Text` are its single-format
/// parts where another renderer reuses them. JSON always comes from the typed value itself (`Encodable`,
/// through `JSON.encode` and `jsonText()`), never from a renderer. The report's HTML and Markdown are
/// `ReportHTML` and `ReportMarkdown`. The files are `Render+<topic>.swift`.
public enum Render {
    // MARK: score

    /// `score`'s output in a format.
    public static func score(_ r: ScoreReport, format: OutputFormat) -> String {
        switch format {
        case .json:
            return r.jsonText()
        case .csv:
            var bytes: [UInt8] = []
            scoreCSV(r, into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        case .table:
            var t = ResultTable(columns: scoreColumns(r))
            let versioned = r.history != nil
            let firstNumber = versioned ? 5 : 4
            t.numeric = Set([2] + (firstNumber..<(t.columns.count)).map { $0 })
            t.rows.reserveCapacity(r.rows.count)
            for row in r.rows {
                var cells = [row.accountId, Day.format(row.asOf), NumberFormat.fixed(row.result.score), row.band ?? ""]
                if versioned { cells.append(row.configVersion ?? "") }
                cells.append(NumberFormat.fixed(row.change, 1, signed: true))
                if versioned { cells.append(NumberFormat.fixed(row.changeSameConfig, 1, signed: true)) }
                cells += row.points.map { NumberFormat.fixed($0) }
                cells += [NumberFormat.fixed(row.result.penalty), NumberFormat.percent(row.result.coverage, 0)]
                t.rows.append(cells)
            }
            return t.text()
        }
    }

    /// One row of `score`'s JSON (its `scores` array), as a tree.
    @available(*, deprecated, message: "JSON comes from the value: JSON.encode(_:) or jsonText()")
    public static func scoreRowJSON(_ row: ScoreRow, factorNames: [String]) -> JSON {
        JSON.encode(ScoreRow.Named(row, factorNames: factorNames))
    }

    /// The columns of `score` output (a stable interface, DESIGN §6).
    /// Under a history (DESIGN §15) `config_version` follows `band`, and `change_same_config` follows `change`.
    static func scoreColumns(_ r: ScoreReport) -> [String] {
        let head =
            r.history == nil
            ? ["account_id", "as_of", "score", "band", "change"]
            : ["account_id", "as_of", "score", "band", "config_version", "change", "change_same_config"]
        return head + r.factorNames.map { "\($0)_points" } + ["risk_penalty", "coverage"]
    }

    /// The score CSV written straight to bytes (the 10 M-row path avoids building strings per cell).
    public static func scoreCSV(_ r: ScoreReport, into out: inout [UInt8]) {
        var line = ByteLine()
        line.append(scoreColumns(r).map(ResultTable.csvField).joined(separator: ",") + "\n")
        out.append(contentsOf: line.bytes)
        // Rows in fixed chunks, formatted on two threads (the shortest round-trip digits of each number are
        // most of the work) and appended in order: the same bytes as one pass.
        let rows = r.rows
        let parts = rows.count < 20_000 ? 1 : 8
        // One slot per part, written through the buffer's base pointer (never the array itself from two threads).
        var chunks = [[UInt8]](repeating: [], count: parts)
        chunks.withUnsafeMutableBufferPointer { slots in
            let slots = DisjointSlots(base: slots.baseAddress!)
            let work: @Sendable (Int) -> Void = { t in
                var line = ByteLine()
                var chunk: [UInt8] = []
                chunk.reserveCapacity((rows.count / parts + 1) * 160)
                for row in rows[(rows.count * t / parts)..<(rows.count * (t + 1) / parts)] {
                    line.bytes.removeAll(keepingCapacity: true)
                    scoreCSVRow(row, into: &line)
                    chunk.append(contentsOf: line.bytes)
                }
                slots.base[t] = chunk  // each part writes its own slot
            }
            if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        }
        out.reserveCapacity(out.count + chunks.reduce(0) { $0 + $1.count })
        for chunk in chunks { out.append(contentsOf: chunk) }
    }

    private static func scoreCSVRow(_ row: ScoreRow, into line: inout ByteLine) {
        line.append(ResultTable.csvField(row.accountId)); line.append(byte: 0x2C)
        line.append(day: row.asOf); line.append(byte: 0x2C)
        line.append(NumberFormat.exact(row.result.score)); line.append(byte: 0x2C)
        line.append(ResultTable.csvField(row.band ?? "")); line.append(byte: 0x2C)
        if let v = row.configVersion { line.append(ResultTable.csvField(v)); line.append(byte: 0x2C) }
        line.append(NumberFormat.exact(row.change))
        if row.configVersion != nil {
            line.append(byte: 0x2C); line.append(NumberFormat.exact(row.changeSameConfig))
        }
        for p in row.points { line.append(byte: 0x2C); line.append(NumberFormat.exact(p)) }
        line.append(byte: 0x2C); line.append(NumberFormat.exact(row.result.penalty))
        line.append(byte: 0x2C); line.append(NumberFormat.exact(row.result.coverage))
        line.append(byte: 0x0A)
    }

    // MARK: validate

    /// `validate`'s output in a format.
    public static func validation(_ v: ValidationReport, format: OutputFormat) -> String {
        switch format {
        case .json:
            return v.jsonText()
        case .csv:
            var t = ResultTable(columns: [
                "severity", "kind", "file", "line", "column", "column_name", "value", "count", "message",
            ])
            for p in v.problems {
                t.rows.append([
                    p.severity.rawValue, p.kind.rawValue, p.location.file, p.location.line.map(String.init) ?? "",
                    p.location.column.map(String.init) ?? "", p.location.columnName ?? "", p.value ?? "",
                    String(p.count), p.message,
                ])
            }
            return t.csv()
        case .table:
            var out = ""
            if let t = v.timeline {
                out += "timeline  \(t.file)\n"
                out +=
                    "  layout \(t.layout.rawValue); \(t.rowsRead) rows read, \(t.rowsUsed) used, \(t.rowsRejected) "
                    + "rejected; \(t.accounts) accounts; \(t.firstDate ?? "-") to "
                    + "\(t.lastDate ?? "-")\(t.hasRisk ? "; risk column" : "")\n"
                var ft = ResultTable(columns: ["factor", "coverage", "values"], numeric: [1, 2])
                for f in t.factors { ft.rows.append([f.name, NumberFormat.percent(f.coverage), String(f.values)]) }
                out += ft.text().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            }
            if let a = v.accounts {
                out +=
                    "accounts  \(a.file)\n  \(a.rowsRead) rows read, \(a.rowsUsed) used, \(a.rowsRejected) rejected\n"
            }
            if let u = v.outcomes {
                out +=
                    "outcomes  \(u.table.file)\n  \(u.table.rowsRead) rows read, \(u.table.rowsUsed) used, "
                    + "\(u.table.rowsRejected) rejected; \(u.renewed) renewed, \(u.churned) churned\n"
            }
            if let c = v.configurationFile { out += "config    \(c)\n" }
            if v.problems.isEmpty {
                out += "no problems found\n"
            } else {
                out +=
                    "problems: \(v.errorCount) error(s), \(v.problems.filter { $0.severity == .warning }.count) "
                    + "warning(s)\n"
                for p in v.problems {
                    var s = "  \(p.location): \(p.severity.rawValue): \(p.message)"
                    if let n = p.location.columnName { s += " [column '\(n)']" }
                    if let val = p.value { s += " (value: \"\(val)\")" }
                    out += s + "\n"
                }
                if v.errorCount > v.problems.filter({ $0.severity == .error }).count {
                    out += "  … more errors not shown\n"
                }
            }
            return out
        }
    }

    // MARK: explain

    /// `explain`'s output in a format.
    public static func waterfall(_ w: Waterfall, format: OutputFormat) -> String {
        func label(_ s: WaterfallStep) -> String {
            switch s.kind {
            case .factor: return s.factor!
            case .factorAppeared: return "\(s.factor!) (appeared)"
            case .factorDisappeared: return "\(s.factor!) (disappeared)"
            case .redistribution: return "weight redistribution"
            case .riskPenalty: return "risk penalty"
            case .clamp: return "clamp to 0-100"
            case .configuration: return "configuration \(w.versions?.from ?? "") -> \(w.versions?.to ?? "")"
            }
        }
        switch format {
        case .json:
            return w.jsonText()
        case .csv:
            var t = ResultTable(columns: ["account_id", "step", "kind", "factor", "from", "to", "points"])
            for (i, s) in w.steps.enumerated() {
                t.rows.append([
                    w.accountId, String(i + 1), s.kind.rawValue, s.factor ?? "", NumberFormat.exact(s.from),
                    NumberFormat.exact(s.to), NumberFormat.exact(s.points),
                ])
            }
            return t.csv()
        case .table:
            var t = ResultTable(columns: ["step", "from", "to", "points"], numeric: [1, 2, 3])
            func on(_ day: Int32, _ version: String?) -> String {
                "score on \(Day.format(day))" + (version.map { " (\($0))" } ?? "")
            }
            t.rows.append([on(w.fromDay, w.versions?.from), "", "", NumberFormat.fixed(w.fromScore, 2)])
            for s in w.steps where !(s.kind == .clamp && abs(s.points) < 1e-9) {
                let isWeight = s.kind == .redistribution
                t.rows.append([
                    label(s), NumberFormat.fixed(s.from, isWeight ? 0 : 1), NumberFormat.fixed(s.to, isWeight ? 0 : 1),
                    NumberFormat.fixed(s.points, 2, signed: true),
                ])
            }
            t.rows.append([on(w.toDay, w.versions?.to), "", "", NumberFormat.fixed(w.toScore, 2)])
            return
                "\(w.accountId): \(NumberFormat.fixed(w.fromScore, 1)) (\(w.fromBand)) → "
                + "\(NumberFormat.fixed(w.toScore, 1)) (\(w.toBand)), change "
                + "\(NumberFormat.fixed(w.change, 2, signed: true))\n"
                + t.text()
        }
    }

    // MARK: alerts

    /// `alerts`' output in a format.
    public static func alerts(_ alerts: [Alert], asOf: Int32, format: OutputFormat) -> String {
        // Under a history (DESIGN §15), the version in force at the as-of date, which both scores are under.
        let versioned = alerts.contains { $0.row.configVersion != nil }
        let columns =
            ["account_id", "as_of", "reason", "score", "previous_score", "change", "band", "previous_band"]
            + (versioned ? ["config_version"] : [])
        switch format {
        case .json:
            return AlertReport(asOf: asOf, alerts: alerts).jsonText()
        case .csv, .table:
            let csv = format == .csv
            var t = ResultTable(columns: columns, numeric: [3, 4, 5])
            for a in alerts {
                let r = a.row
                t.rows.append(
                    [
                        r.accountId, Day.format(r.asOf), a.reason.rawValue,
                        csv ? NumberFormat.exact(r.result.score) : NumberFormat.fixed(r.result.score),
                        csv
                            ? NumberFormat.exact(r.previousScoreSameConfig)
                            : NumberFormat.fixed(r.previousScoreSameConfig),
                        csv
                            ? NumberFormat.exact(r.changeSameConfig)
                            : NumberFormat.fixed(r.changeSameConfig, 1, signed: true),
                        r.band ?? "", r.previousBandSameConfig ?? "",
                    ] + (versioned ? [r.configVersion ?? ""] : []))
            }
            return csv ? t.csv() : t.text()
        }
    }
}
