/// Output formats shared by every command.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json
}

/// A rectangular result: named columns, rows of cells. Renders as CSV or an aligned text table.
public struct ResultTable: Sendable {
    /// The column names.
    public var columns: [String]
    /// The rows, as cells of text.
    public var rows: [[String]]
    /// Columns aligned right in the text table (numbers).
    public var numeric: Set<Int>

    /// A table with columns, rows and its numeric columns.
    public init(columns: [String], rows: [[String]] = [], numeric: Set<Int> = []) {
        self.columns = columns
        self.rows = rows
        self.numeric = numeric
    }

    /// RFC 4180 CSV with a header row and LF line ends.
    public func csv() -> String {
        var out: [UInt8] = []
        out.reserveCapacity((rows.count + 1) * max(1, columns.count) * 8)
        ResultTable.appendCSVRow(columns, to: &out)
        for r in rows { ResultTable.appendCSVRow(r, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// One CSV row: the fields (as `appendCSVField(_:to:)`) separated by commas, then an LF.
    public static func appendCSVRow(_ cells: [String], to out: inout [UInt8]) {
        for (k, cell) in cells.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendCSVField(cell, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// One CSV field, quoted when it holds a comma, a quote or a line break.
    public static func csvField(_ s: String) -> String {
        var out: [UInt8] = []
        appendCSVField(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One CSV field's bytes, quoted when they hold a comma, a quote, a CR or an LF (looked for as bytes, so a
    /// CR LF or a comma with a combining mark after it is quoted too), with each quote doubled.
    public static func appendCSVField(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendCSVField(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// One CSV field from UTF-8 bytes (as `appendCSVField(_:to:)`).
    public static func appendCSVField(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let quote = UInt8(ascii: "\"")
        guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == quote || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(quote)
        for b in bytes {
            if b == quote { out.append(quote) }
            out.append(b)
        }
        out.append(quote)
    }

    /// Columns padded to their widest cell; numbers right-aligned.
    public func text() -> String {
        var widths = columns.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return numeric.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ").replacingTrailingSpaces()
        }
        var out = line(columns) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Number formatting used in every output.
public enum NumberFormat {
    /// Full precision (shortest round-trip), empty for nil: for CSV and JSON.
    public static func exact(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "" }
        return JSON.format(v)
    }

    /// Fixed decimals, for terminal tables.
    public static func fixed(_ v: Double?, _ decimals: Int = 1, signed: Bool = false) -> String {
        guard let v, v.isFinite else { return "" }
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let r = (abs(v) * p).rounded()
        let neg = v < 0 && r != 0
        let ip = Int64(r / p)
        var frac = String(Int64(r) - ip * Int64(p))
        frac = String(repeating: "0", count: max(0, decimals - frac.count)) + frac
        let body = decimals > 0 ? "\(ip).\(frac)" : "\(ip)"
        return (neg ? "-" : (signed && r != 0 ? "+" : "")) + body
    }

    /// A fraction as a percentage with `decimals` decimals ("" for nil).
    public static func percent(_ v: Double?, _ decimals: Int = 1) -> String {
        guard let v else { return "" }
        return fixed(v * 100, decimals) + "%"
    }
}

/// Markdown's one escaping rule for names from the data (factors, groups, accounts, bands, drivers): a name
/// that holds `|` would cut a table row, and `<`, `*`, `` ` `` or `[` would be read as markup. Each such
/// character gets a backslash (`<` and `>` become entities), and a line break becomes a space.
public enum Markdown {
    /// A name from the data, safe in Markdown text and in a table cell.
    public static func name(_ s: String) -> String {
        guard s.contains(where: { "\\|<>*`[]#_~\n\r".contains($0) }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r": out += " "
            case "\\", "|", "*", "`", "[", "]", "#", "~": out += "\\" + String(ch)
            case "_":
                // Inside a word (profile_completeness) an underscore is no emphasis; only a name that starts or
                // ends with one needs it escaped.
                out += "_"
            default: out.append(ch)
            }
        }
        if out.hasPrefix("_") { out = "\\" + out }
        if out.hasSuffix("_") && !out.hasSuffix("\\_") { out = String(out.dropLast()) + "\\_" }
        return out
    }
}
