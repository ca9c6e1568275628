import AccountHealth

/// Results written back as a table (DESIGN §10) for a CRM sync or a BI tool: the rows of a command's CSV
/// interface, an `as_of` column (added when the CSV has none) and `run_at`, in one transaction that first
/// removes the rows of the same `as_of`, so running again gives the same rows. The table is created when
/// missing, with a type per column: dates as `date`, ranks as `integer`, numbers as `double precision`,
/// ids and labels as `text`, `run_at` as `timestamptz`.
public enum WriteBack {
    /// The columns known to hold text or dates; any other is a number.
    static let textColumns: Set<String> = [
        "account_id", "am", "segment", "band", "previous_band", "reason", "imputed", "driver_1", "driver_2",
        "driver_3", "name",
    ]
    static let dateColumns: Set<String> = ["as_of", "renewal_date"]

    static func type(of column: String) -> String {
        if dateColumns.contains(column) { return "date" }
        if column == "rank" { return "integer" }
        return textColumns.contains(column) ? "text" : "double precision"
    }

    /// Writes `csv` (a header and rows, as the command renders them) to `table`; returns the rows written.
    @discardableResult
    public static func write(
        csv: String, asOf: Int32, to table: String, schema: String?, database: Database
    ) throws -> Int {
        var records = parse(csv)
        guard !records.isEmpty else { throw DatabaseError.failed("nothing to write to \(table)") }
        var header = records.removeFirst()
        let day = Day.format(asOf)
        if !header.contains("as_of") {
            header.insert("as_of", at: 0)
            records = records.map { [day] + $0 }
        }
        let tables = DatabaseTables(schema: schema)
        let qualified = tables.qualified(table)
        let columns = header.map(PushDown.quote).joined(separator: ", ")
        var sql: [String] = []
        sql.append(
            "CREATE TABLE IF NOT EXISTS \(qualified) "
                + "(\(header.map { "\(PushDown.quote($0)) \(type(of: $0))" }.joined(separator: ", ")), run_at "
                + "timestamptz NOT NULL)"
        )
        sql.append("DELETE FROM \(qualified) WHERE as_of = DATE '\(day)'")
        let batch = 500
        var start = 0
        while start < records.count {
            let rows = records[start..<min(start + batch, records.count)].map { r in
                "("
                    + header.indices.map { i in
                        let cell = i < r.count ? r[i] : ""
                        if cell.isEmpty { return "NULL" }
                        return "CAST(\(PushDown.literal(cell)) AS \(type(of: header[i]).uppercased()))"
                    }.joined(separator: ", ") + ", now())"
            }
            sql.append("INSERT INTO \(qualified) (\(columns), run_at) VALUES\n" + rows.joined(separator: ",\n"))
            start += batch
        }
        let name = tables.schema.map { "\($0).\(table)" } ?? table
        do {
            try database.transaction(sql, table: name)
        } catch {
            if case .missing(_, let column, let reason) = error as? DatabaseError {
                throw DatabaseError.missing(table: name, column: column, reason: reason)
            }
            throw error
        }
        return records.count
    }

    /// The records of a CSV text (RFC 4180 quoting).
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], cell = ""
        var quoted = false, wasQuoted = false
        var it = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? it.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = it.next() {
                        if n == "\"" { cell.append("\"") } else { quoted = false; pending = n }
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(c)
                }
                continue
            }
            switch c {
            case "\"" where cell.isEmpty && !wasQuoted: quoted = true; wasQuoted = true
            case ",": record.append(cell); cell = ""; wasQuoted = false
            case "\n", "\r\n":
                record.append(cell); records.append(record); record = []; cell = ""; wasQuoted = false
            default: cell.append(c)
            }
        }
        if !cell.isEmpty || !record.isEmpty { record.append(cell); records.append(record) }
        return records
    }
}
