import AccountHealth
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// A dataset's tables in a PostgreSQL database (DESIGN §10): the timeline is read where it lives (as-of
/// states pushed down as SQL, every row streamed otherwise); the accounts and outcomes are small and are
/// read whole, through the same validation as their CSV files.
public struct DatabaseSource: Sendable {
    /// The connection.
    public let database: Database
    /// Where the tables are.
    public let tables: DatabaseTables

    /// A source over a database's tables.
    public init(database: Database, tables: DatabaseTables = DatabaseTables()) {
        self.database = database
        self.tables = tables
    }

    /// A table's name as shown in messages (`schema.table`, or the table alone).
    public func displayName(_ table: String) -> String { (tables.schema.map { $0 + "." } ?? "") + table }

    /// A table's (or view's) columns in order, with their types as PostgreSQL names them; `missing` when
    /// there is no such table or view.
    public func describe(_ table: String) throws -> [(name: String, type: String)] {
        let name = displayName(table)
        guard try exists(table) else {
            throw DatabaseError.missing(
                table: name, column: nil, reason: "no such table or view in the database \(database.url.database)")
        }
        let regclass = DatabaseSource.regclass(tables.qualified(table))
        let rows = try database.rows(
            """
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
             WHERE attrelid = \(regclass) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, table: name)
        return rows.map { ($0[0] ?? "", $0[1] ?? "") }
    }

    /// Whether a table or view of that name exists.
    public func exists(_ table: String) throws -> Bool {
        let found = try database.rows(
            "SELECT CAST(\(DatabaseSource.regclass(tables.qualified(table))) AS TEXT)", table: displayName(table))
        return found.first?.first.flatMap({ $0 }) != nil
    }

    /// The catalog's id of a (qualified) table or view, NULL when there is none.
    static func regclass(_ qualified: String) -> String { "to_regclass(\(PushDown.literal(qualified)))" }

    /// The timeline derived (DESIGN §9) from the events table (`account_id`, `time` as a date, timestamp or
    /// timestamptz, `type`, an optional numeric `value`), streamed into an activity log, with the metric
    /// definitions of a YAML file.
    public func derive(metrics path: String?) throws -> DerivedTimeline {
        let (log, definitions) = try eventsAndMetrics(metrics: path)
        return try Derive.timeline(log, metrics: definitions)
    }

    /// The events table as an activity log and the metric definitions of a YAML file, read and checked (the
    /// definitions first: they are small), as `DataFiles.eventsAndMetrics` reads an events file.
    public func eventsAndMetrics(metrics path: String?) throws -> (EventLog, MetricsConfiguration) {
        guard let path else { throw DatasetError.missing(.metrics, neededBy: "derive") }
        let definitions = try MetricsConfiguration.load(path: path)
        return (try events(), definitions)
    }

    /// The events table as an activity log; each defect located by table, key, column and value.
    public func events() throws -> EventLog {
        let name = displayName(tables.events)
        let cols = try describe(tables.events)
        func find(_ c: String) throws -> (name: String, type: String) {
            guard let x = cols.first(where: { $0.name.lowercased() == c }) else {
                throw DatabaseError.missing(
                    table: name, column: c, reason: "an events table has account_id, time, type and an optional value")
            }
            return x
        }
        let account = try find("account_id"), time = try find("time"), type = try find("type")
        let value = cols.first { $0.name.lowercased() == "value" }
        let micros: String
        switch try DatabaseSource.dateKind(time, table: name) {
        case .timestamptz: micros = "CAST(EXTRACT(EPOCH FROM \(PushDown.quote(time.name))) * 1000000 AS BIGINT)"
        case .date, .timestamp:
            micros = "CAST(EXTRACT(EPOCH FROM CAST(\(PushDown.quote(time.name)) AS TIMESTAMP)) * 1000000 AS BIGINT)"
        }
        if let value, !DatabaseSource.isNumber(value.type) {
            throw DatabaseError.badValue(
                table: name, key: "every row", column: value.name, value: value.type,
                reason: "the value column must have a numeric type")
        }
        let select = [
            "CAST(\(PushDown.quote(account.name)) AS TEXT)", micros, "CAST(\(PushDown.quote(type.name)) AS TEXT)",
            value.map { "CAST(\(PushDown.quote($0.name)) AS DOUBLE PRECISION)" } ?? "CAST(NULL AS DOUBLE PRECISION)",
        ]
        let log = Box(EventLogBuilder(file: name))
        let defects = Defects()
        try database.query(
            "SELECT \(select.joined(separator: ", ")) FROM \(tables.qualified(tables.events))", table: name
        ) { row in
            let r = row.makeRandomAccess()
            guard let id = r[0].bytes.map({ String(buffer: $0) }), !id.isEmpty else {
                defects.add(
                    .badValue(
                        table: name, key: "account_id=NULL", column: account.name, value: "",
                        reason: "account_id is empty"));
                return
            }
            guard let t = r[1].bytes.flatMap(Cells.bigint) else {
                defects.add(
                    .badValue(
                        table: name, key: "account_id=\(id)", column: time.name, value: "",
                        reason: "an event needs a time"));
                return
            }
            let when = Day.format(EventLog.day(ofMicroseconds: t))
            guard let kind = r[2].bytes.map({ String(buffer: $0) }), !kind.trimmingCharacters(in: .whitespaces).isEmpty
            else {
                defects.add(
                    .badValue(
                        table: name, key: "account_id=\(id), time on \(when)", column: type.name, value: "",
                        reason: "the event type is empty"));
                return
            }
            let v = r[3].bytes.flatMap(Cells.double)
            if let v, !v.isFinite {
                defects.add(
                    .badValue(
                        table: name, key: "account_id=\(id), time on \(when)", column: value?.name ?? "value",
                        value: "\(v)", reason: "not a finite number"));
                return
            }
            log.value.append(account: id, microseconds: t, type: kind, value: v)
        }
        try defects.throwIfAny()
        return log.value.build()
    }

    /// The timeline table's columns: `account_id`, `date`, an optional `risk`, and every other column a
    /// numeric factor (the wide layout of DESIGN §2).
    public func timeline() throws -> DatabaseTimeline {
        let name = displayName(tables.timeline)
        let cols = try describe(tables.timeline)
        func find(_ c: String) -> (name: String, type: String)? { cols.first { $0.name.lowercased() == c } }
        guard let account = find("account_id") else {
            throw DatabaseError.missing(
                table: name, column: "account_id", reason: "the timeline needs account_id, date and factor columns")
        }
        guard let date = find("date") else {
            throw DatabaseError.missing(
                table: name, column: "date", reason: "the timeline needs account_id, date and factor columns")
        }
        if find("factor") != nil && find("value") != nil {
            throw DatabaseError.failed(
                "\(name) has the long layout (account_id, date, factor, value): the database source reads the wide "
                    + "layout; make a view with one column per factor"
            )
        }
        let kind = try DatabaseSource.dateKind(date, table: name)
        let risk = find("risk")
        var factors: [String] = []
        for c in cols where ![account.name, date.name, risk?.name].contains(c.name) {
            guard DatabaseSource.isNumber(c.type) else {
                throw DatabaseError.badValue(
                    table: name, key: "every row", column: c.name, value: c.type,
                    reason: "a factor column must have a numeric type")
            }
            factors.append(c.name)
        }
        guard !factors.isEmpty else {
            throw DatabaseError.missing(table: name, column: "(a factor)", reason: "the timeline has no factor column")
        }
        let sql = TimelineSQL(
            table: tables.timeline, accountColumn: account.name, accountIsText: DatabaseSource.isText(account.type),
            dateColumn: date.name, dateKind: kind, riskColumn: risk?.name, factorColumns: factors)
        return DatabaseTimeline(database: database, tables: tables, sql: sql, name: name)
    }

    /// The accounts table, read with the accounts file's own rules.
    public func accounts() throws -> AccountsTable {
        try readSmallTable(tables.accounts, key: ["account_id"]) { path, name in
            try AccountsTable.read(path: path, displayName: name)
        }
    }

    /// The outcomes table, read with the outcomes file's own rules.
    public func outcomes() throws -> OutcomesTable {
        try readSmallTable(tables.outcomes, key: ["account_id", "date"]) { path, name in
            try OutcomesTable.read(path: path, displayName: name)
        }
    }

    /// Reads a small table as CSV text (dates as `YYYY-MM-DD`, numbers and the rest as text) into a temporary
    /// file, and hands it to the CSV reader, so that a table and its CSV file are checked by the same rules;
    /// a defect is reported with the table, the row's key, the column and the value.
    private func readSmallTable<T>(_ table: String, key: [String], _ read: (String, String) throws -> T) throws -> T {
        let name = displayName(table)
        let cols = try describe(table)
        let select = try cols.map { c -> String in
            let q = PushDown.quote(c.name)
            if DatabaseSource.isDateLike(c.type) {
                let kind = try DatabaseSource.dateKind(c, table: name)
                let day = TimelineSQL(table: table, dateColumn: c.name, dateKind: kind, factorColumns: []).day("")
                return "TO_CHAR(\(day), 'YYYY-MM-DD')"
            }
            return "CAST(\(q) AS TEXT)"
        }.joined(separator: ", ")
        // The CSV is written from the cells' bytes as they come (every column is text here): no string per cell.
        let query = "SELECT \(select) FROM \(tables.qualified(table))"
        let csv = Box<[UInt8]>([])
        csv.value.reserveCapacity(1 << 16)
        ResultTable.appendCSVRow(cols.map(\.name), to: &csv.value)
        try database.query(query, table: name) { row in
            for (k, cell) in row.enumerated() {
                if k > 0 { csv.value.append(UInt8(ascii: ",")) }
                cell.bytes?.withUnsafeReadableBytes { ResultTable.appendCSVField($0, to: &csv.value) }
            }
            csv.value.append(UInt8(ascii: "\n"))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("healthscore-\(UUID().uuidString).csv")
            .path
        guard FileManager.default.createFile(atPath: path, contents: Data(csv.value)) else {
            throw DatabaseError.failed("cannot write a temporary file for \(name)")
        }
        csv.value = []
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A defect names its row by its key: the cells are read again as text (a defect is the rare case).
        func located(_ errors: [InputError]) throws -> DatabaseError {
            let rows = try database.rows(query, table: name)
            return DatabaseSource.located(
                errors, count: errors.count, rows: rows, columns: cols.map(\.name), key: key, table: name)
        }
        do {
            return try read(path, name)
        } catch let e as InputErrors {
            throw try located(e.errors)
        } catch let e as InputError {
            throw try located([e])
        }
    }

    /// A CSV file's defect as a table's: line n is row n − 1, named by its key.
    static func located(
        _ errors: [InputError], count: Int, rows: [[String?]], columns: [String], key: [String], table: String
    ) -> DatabaseError {
        guard let e = errors.first else { return .failed("\(table): unreadable") }
        if e.kind == .missingColumn {
            return .missing(table: table, column: e.value ?? e.location.columnName, reason: e.message)
        }
        var keyText = "every row"
        if let line = e.location.line, line >= 2, line - 2 < rows.count {
            let row = rows[line - 2]
            keyText = key.compactMap { k in
                columns.firstIndex { $0.lowercased() == k }.map { "\(k)=\(row[$0] ?? "NULL")" }
            }.joined(separator: ", ")
        }
        let more = count > 1 ? " (and \(count - 1) more)" : ""
        return .badValue(
            table: table, key: keyText, column: e.location.columnName ?? "", value: e.value ?? "",
            reason: e.message + more)
    }

    static func isNumber(_ type: String) -> Bool {
        ["smallint", "integer", "bigint", "real", "double precision"].contains(type) || type.hasPrefix("numeric")
            || type.hasPrefix("decimal")
    }
    static func isText(_ type: String) -> Bool {
        type == "text" || type.hasPrefix("character") || type.hasPrefix("varchar")
    }
    static func isDateLike(_ type: String) -> Bool { type == "date" || type.hasPrefix("timestamp") }

    static func dateKind(_ c: (name: String, type: String), table: String) throws -> TimelineSQL.DateKind {
        if c.type == "date" { return .date }
        if c.type.hasPrefix("timestamp") {
            return c.type.hasSuffix("with time zone") && !c.type.hasSuffix("without time zone")
                ? .timestamptz : .timestamp
        }
        throw DatabaseError.badValue(
            table: table, key: "every row", column: c.name, value: c.type,
            reason: "a date column must be a date, timestamp or timestamptz")
    }
}

/// The timeline in a database table. An as-of read (the `AsOfAccumulator` of score, fit, indicators, rank,
/// compare, backtest, alerts, explain) sends the push-down query and replays only its rows; any other read
/// streams the table row by row into the sink (bounded memory: nothing is kept here).
public struct DatabaseTimeline: TimelineSource {
    /// The connection.
    public let database: Database
    /// Where the tables are.
    public let tables: DatabaseTables
    /// How the timeline table's columns are read.
    public let sql: TimelineSQL
    /// The name the timeline is reported under.
    public let name: String
    private let cache = NIOLockedValueBox(Cache())
    /// The fewest accounts with outcomes for which a model's as-of read is split in two account ranges, each
    /// on a connection of its own (below it, one query on one connection is as quick); `Int.max`: never.
    public var splitFromAccounts = 20_000

    struct Cache {
        var range: (first: Int32, last: Int32)?? = nil
        var duplicatesChecked = false
        /// A model's as-of read sent by `prepare`, until `read` takes it.
        var sent: SentRanges? = nil
    }

    init(database: Database, tables: DatabaseTables, sql: TimelineSQL, name: String) {
        self.database = database
        self.tables = tables
        self.sql = sql
        self.name = name
    }

    /// The factor columns.
    public var factors: [String] { sql.factorColumns }

    /// The wide layout with the factor columns.
    public func columns() throws -> TimelineColumns { TimelineColumns(layout: .wide, factorNames: sql.factorColumns) }

    /// The first and last date in the table (one query, then kept).
    public func dateRange() throws -> (first: Int32, last: Int32)? {
        if let r = cache.withLockedValue({ $0.range }) { return r }
        let t = tables.qualified(sql.table)
        let box = Box<(first: Int32, last: Int32)?>(nil)
        try database.query("SELECT MIN(\(sql.day(""))), MAX(\(sql.day(""))) FROM \(t)", table: name) { row in
            let r = row.makeRandomAccess()
            if let a = r[0].bytes.flatMap(Cells.date), let b = r[1].bytes.flatMap(Cells.date) { box.value = (a, b) }
        }
        cache.withLockedValue { $0.range = .some(box.value) }
        return box.value
    }

    /// Streams the table's rows into the sink, or sends the push-down query for an as-of read.
    public func read<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary {
        if let acc = sink as? AsOfAccumulator, acc.trendDays == nil, let dates = DatabaseTimeline.dates(of: acc) {
            var a = acc
            let summary = try pushDown(dates, into: &a)
            sink = a as! S
            return summary
        }
        return try stream(into: &sink)
    }

    /// The most dates at which every account's state is pushed down; more (a replay) stream the table instead,
    /// since each date would join every row before it again.
    public static let pushDownDates = 8

    /// The dates an accumulator needs, as the push-down query's `Dates`; nil when streaming is cheaper.
    public static func dates(of acc: AsOfAccumulator) -> PushDown.Dates? {
        switch acc.origin {
        case .beforeOutcomes(let horizons, let through)?:
            return .beforeOutcomes(horizons: horizons, through: through)
        case .cutoffs(let horizon, let everyAccountAt)?:
            let cutoffs = acc.queryDays.filter { !everyAccountAt.contains($0) }
            return .union([.cutoffs(cutoffs, horizon: horizon), .everyAccount(at: everyAccountAt)])
        case nil:
            if let perAccount = acc.queryDaysByAccount {
                return .pairs(perAccount.keys.sorted().flatMap { id in perAccount[id]!.map { (account: id, day: $0) } })
            }
            return acc.queryDays.count <= pushDownDates ? .everyAccount(at: acc.queryDays) : nil
        }
    }

    // MARK: The push-down

    /// Sends a model's as-of read before it is asked for (see `TimelineSource.prepare`): from
    /// `splitFromAccounts` accounts in the outcomes table, its two account ranges' queries, each on a
    /// connection of its own, split at the middle of the outcomes' account ids (found by the server in one short
    /// query). They run while the caller reads the outcomes; `read` takes their rows, or sends its own queries
    /// when the read asked for is another. Anything that fails here is left for the read to meet.
    public func prepare(statesBeforeOutcomes horizons: [Int], factors: [String]) {
        guard splitFromAccounts < .max, !horizons.isEmpty else { return }
        let dates = PushDown.Dates.beforeOutcomes(horizons: horizons, through: nil)
        let reader = AsOfRowReader(self, wanted: factors)
        // Sent once: `Observations.build` tells again what its caller told before reading the outcomes.
        if cache.withLockedValue({ $0.sent.map { $0.dates == dates && $0.factors == reader.factorNames } ?? false }) {
            return
        }
        let o = tables.qualified(tables.outcomes)
        guard
            let found = try? database.rows(
                """
                SELECT COUNT(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY account_id)
                  FROM (SELECT DISTINCT CAST(account_id AS TEXT) AS account_id FROM \(o)) AS ids
                """),
            let count = found.first?[0].flatMap({ Int($0) }), count >= max(2, splitFromAccounts),
            let middle = found.first?[1]
        else { return }
        guard let sent = sendRanges(splitAt: middle, dates: dates, reader: reader) else { return }
        cache.withLockedValue { $0.sent = sent }
    }

    /// The as-of query of `dates` in two account ranges that meet at `middle`, each sent on a connection of its own
    /// with a serial plan (the server's cores each take a range's joins and groupings, where one query's plan runs
    /// its first join on both and the rest on one: DESIGN §10; Benchmarks/results.md 0.5.4). One bound, so the
    /// ranges split the accounts exactly in any collation. Nil when the server takes no more connections
    /// (max_connections nearly used): the read then sends the one query.
    func sendRanges(splitAt middle: String, dates: PushDown.Dates, reader: AsOfRowReader) -> SentRanges? {
        let ranges = [PushDown.AccountRange(from: nil, below: middle), PushDown.AccountRange(from: middle, below: nil)]
        guard let split = try? ranges.map({ (range: $0, database: try Database(database.url)) }) else { return nil }
        let parts = split.map { part in
            DatabaseTimeline.serialPlan(part.database)
            let rows = PushDownRows(factors: sql.factorColumns.count)
            let query = PushDown.asOfQuery(dates, timeline: reader.sql, tables: tables, accounts: part.range)
            return (
                database: part.database, rows: rows,
                sent: part.database.send(query, table: name, reader.onRow(into: rows))
            )
        }
        return SentRanges(dates: dates, factors: reader.factorNames, parts: parts)
    }

    /// A connection for one account range: a serial plan (each range takes a core), and a server that notices
    /// within a second when the client has gone (a read left untaken, an error met first: PostgreSQL 14 and
    /// later; an older server refuses the setting, which is harmless outside a transaction).
    static func serialPlan(_ database: Database) {
        try? database.query("SET max_parallel_workers_per_gather = 0")
        try? database.query("SET client_connection_check_interval = 1000")
    }

    /// `body` (the check beside the account ranges) with a serial plan (the ranges hold both cores), compiled by the
    /// JIT with inlining and optimisation when it costs more than 500,000 (a scan of about 6 M rows); then the
    /// connection's settings as before, whether `body` throws or not. The check is one expression over every row;
    /// compiled once (3 functions, 0.18 s), it takes 1.2 s of server CPU instead of 1.85 s on the 10 M-row
    /// benchmark (Benchmarks/results.md 0.5.8). Not the ranges' joins: their 92 functions compile in 1.0-1.8 s for
    /// no measured gain. `Database` turns JIT off when it connects, and it is off again after. A server built
    /// without JIT takes the settings and compiles nothing; one before PostgreSQL 11 refuses them, which is
    /// harmless outside a transaction.
    static func compiled<R>(_ database: Database, _ body: () throws -> R) rethrows -> R {
        let settings = [
            ("max_parallel_workers_per_gather", "0"), ("jit_above_cost", "500000"),
            ("jit_inline_above_cost", "500000"), ("jit_optimize_above_cost", "500000"),
        ]
        // One statement (a query of several is refused as a prepared statement); set_config(…, false) is SET.
        let calls = (settings + [("jit", "on")]).map { "set_config('\($0.0)', '\($0.1)', false)" }
        try? database.query("SELECT \(calls.joined(separator: ", "))")
        defer {
            try? database.query("SET jit = off")
            for (name, _) in settings { try? database.query("RESET \(name)") }
        }
        return try body()
    }

    /// The middle id of the accounts with outcomes, where a model's observations (the states before the outcomes)
    /// are split in two account ranges when there are at least `from` such accounts; nil otherwise. The middle is
    /// by Swift's order, the ranges by the database's: only the halves' sizes depend on it.
    static func middleAccount(of acc: AsOfAccumulator, from: Int) -> String? {
        guard case .beforeOutcomes? = acc.origin, let byAccount = acc.queryDaysByAccount, byAccount.count >= from,
            byAccount.count >= 2
        else { return nil }
        let ids = byAccount.keys.sorted()
        return ids[ids.count / 2]
    }

    /// Builds, from the as-of rows, a small timeline whose as-of states at the accumulator's dates are the
    /// table's: for each state, the row of its latest date (with its risk) and each factor's row of its
    /// value's date (every one a real row of the table, with a subset of its values), plus each account's
    /// first row, empty (the account's existence and age). Rows of later states never come before an earlier
    /// state's own rows, so replaying it gives the accumulator exactly the states of the whole table.
    private func pushDown(_ dates: PushDown.Dates, into acc: inout AsOfAccumulator) throws -> TimelineSummary {
        let reader = AsOfRowReader(self, wanted: acc.wanted)
        let nf = sql.factorColumns.count
        let rows = PushDownRows(factors: nf)
        // The read `prepare` sent, when it is this one (otherwise it is dropped: its connections closed); else the
        // ranges are sent now when the observations are many; none for one query on this connection.
        let prepared = cache.withLockedValue { c -> SentRanges? in
            defer { c.sent = nil }
            return c.sent
        }.flatMap { s in
            !acc.needsEveryAccount && s.dates == dates && s.factors == reader.factorNames ? s : nil
        }
        var sent = prepared
        if sent == nil, !acc.needsEveryAccount,
            let middle = DatabaseTimeline.middleAccount(of: acc, from: splitFromAccounts)
        {
            sent = sendRanges(splitAt: middle, dates: dates, reader: reader)
        }
        let inRanges = sent != nil
        let table = name
        // A count of the rows the CSV rules refuse (an empty date, a risk that is not a level, a value that is not
        // finite): rows the as-of query may not read. The exact level words are tested first, so LOWER(TRIM()) runs
        // for other spellings only; ±Infinity and NaN (which PostgreSQL orders above every number) take one
        // comparison per factor. 0.9 s for these checks on 8.6 M rows where the forms before took 1.4 s.
        var bad = ["\(sql.day("")) IS NULL"]
        if let r = sql.riskColumn {
            let levels = "('', 'none', 'low', 'medium', 'high')", c = PushDown.quote(r)
            bad.append("(\(c) NOT IN \(levels) AND LOWER(TRIM(\(c))) NOT IN \(levels))")
        }
        bad += sql.factorColumns.map { "ABS(\(sql.factor("", $0))) >= CAST('Infinity' AS DOUBLE PRECISION)" }
        let found = Box(0)
        let first = Box(Int32.max)
        let last = Box(Int32.min)
        let check: String
        let onCheckRow: @Sendable (PostgresRow) throws -> Void
        if acc.needsEveryAccount {
            // Every account, with its first row (an empty one): one pass grouped by account.
            let badRows = "SUM(CASE WHEN \(bad.joined(separator: " OR ")) THEN 1 ELSE 0 END)"
            check = """
                SELECT \(sql.account("")), MIN(\(sql.day(""))), \(badRows), MAX(\(sql.day(""))) \
                FROM \(tables.qualified(sql.table))
                 GROUP BY \(sql.account(""))
                """
            onCheckRow = { row in
                let r = row.makeRandomAccess()
                if let n = r[2].bytes.flatMap(Cells.bigint), n > 0 {
                    found.value += Int(n)
                }
                if let b = r[3].bytes {
                    // An infinite date is refused as a full read refuses it (located there).
                    if let d = Cells.date(b) { last.value = max(last.value, d) } else { found.value += 1 }
                }
                guard let id = r[0].bytes.map({ String(buffer: $0) }) else {
                    rows.defects.add(
                        .badValue(
                            table: table, key: "account_id=NULL", column: "account_id", value: "",
                            reason: "account_id is empty"))
                    return
                }
                guard let d = r[1].bytes.flatMap(Cells.date) else {
                    rows.defects.add(
                        .badValue(
                            table: table, key: "account_id=\(id)", column: "date", value: "",
                            reason: "a row has no valid date"))
                    return
                }
                if d < first.value { first.value = d }
                rows.update { t in _ = t.row(t.accounts.intern(id), d) }
            }
        } else {
            // Only the states at the query dates are read (a model's observations): the accounts come with their
            // as-of rows, and one scan without grouping gives the table's dates and refused rows (an empty id among
            // them). 0.9 s on 8.6 M rows where the grouped pass takes 2.1 s. An infinite date, the first or the
            // last, is a refused row as well; the stream below locates every one of them.
            let refused = (["\(sql.account("")) IS NULL"] + bad).joined(separator: " OR ")
            let badRows = "SUM(CASE WHEN \(refused) THEN 1 ELSE 0 END)"
            check =
                "SELECT MIN(\(sql.day(""))), \(badRows), MAX(\(sql.day(""))) FROM \(tables.qualified(sql.table))"
            onCheckRow = { row in
                let r = row.makeRandomAccess()
                if let n = r[1].bytes.flatMap(Cells.bigint), n > 0 {
                    found.value += Int(n)
                }
                for (k, box) in [(0, first), (2, last)] {
                    guard let bytes = r[k].bytes else { continue }
                    if let d = Cells.date(bytes) { box.value = d } else { found.value += 1 }
                }
            }
        }
        if let parts = sent?.parts {
            // The check beside the ranges' queries, with a serial compiled plan (the ranges hold both cores), then
            // their rows (the connections closed and the ranges' own rows freed before the replay).
            try DatabaseTimeline.compiled(database) {
                try Database.Sent.wait([database.send(check, table: name, onCheckRow)] + parts.map(\.sent))
            }
            for part in parts { rows.absorb(part.rows) }
            sent = nil
        } else {
            try database.query(check, table: name, onCheckRow)
        }
        try rows.defects.throwIfAny()
        // The table's first and last dates, from the same pass (cached for dateRange()).
        let range: (first: Int32, last: Int32)? = first.value == .max ? nil : (first.value, last.value)
        cache.withLockedValue { $0.range = .some(range) }
        if found.value > 0 {
            // Locate the first of them, with its key, as a full read does.
            var none = NullSink()
            _ = try stream(into: &none)
        }
        if !inRanges {
            let query = PushDown.asOfQuery(dates, timeline: reader.sql, tables: tables)
            try database.query(query, table: name, reader.onRow(into: rows))
        }
        try rows.defects.throwIfAny()
        // Two rows of one account and date among those read: located (with its date) by the table's own check.
        if rows.duplicates { try checkDuplicates() }
        // Replay by account and date: one 64-bit key per row (account code, then the day with its sign bit
        // flipped so that unsigned order is date order); the keys are distinct, (account, day) being a row's own.
        let t = rows.table
        var keyed = t.day.indices.map { i in
            let day = UInt64(UInt32(bitPattern: t.day[i]) ^ 0x8000_0000)
            return (UInt64(UInt32(bitPattern: t.account[i])) << 32 | day, i)
        }
        keyed.sort { $0.0 < $1.0 }
        let order = keyed.lazy.map(\.1)
        acc.begin(factors: sql.factorColumns)
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(1, nf))
        defer { buffer.deallocate() }
        var announced = Int32(-1)
        for i in order {
            let a = t.account[i]
            if a != announced { acc.newAccount(a, id: t.accounts.string(a)); announced = a }
            for j in 0..<nf { buffer[j] = t.values[i * nf + j] }
            acc.row(account: a, day: t.day[i], risk: t.risk[i], values: buffer, line: 0)
        }
        return TimelineSummary(
            file: name, layout: .wide, factors: sql.factorColumns, hasRisk: sql.riskColumn != nil,
            recordsRead: order.count,
            recordsUsed: order.count, rows: order.count, blankLines: 0, accounts: t.accounts,
            firstDay: range?.first, lastDay: range?.last, valueCounts: Array(repeating: 0, count: nf))
    }

    // MARK: The stream

    /// Every row, as it comes, into the sink; the defects are collected and the first is thrown at the end.
    private func stream<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary {
        try checkDuplicates()
        let nf = sql.factorColumns.count
        let select = ([sql.account(""), sql.day(""), sql.risk("")] + sql.factorColumns.map { sql.factor("", $0) })
            .joined(separator: ", ")
        sink.begin(factors: sql.factorColumns)
        let st = StreamState(sink, nf: nf)
        let table = name, hasRisk = sql.riskColumn != nil, riskName = sql.riskColumn ?? "risk",
            factorNames = sql.factorColumns
        try database.query("SELECT \(select) FROM \(tables.qualified(sql.table))", table: name) { row in
            var it = row.makeIterator()
            let idCell = it.next()!, dayCell = it.next()!, riskCell = it.next()!
            guard let idBytes = idCell.bytes else {
                st.defects.add(
                    .badValue(
                        table: table, key: "account_id=NULL", column: "account_id", value: "",
                        reason: "account_id is empty"));
                return
            }
            let id = String(buffer: idBytes)
            guard let day = dayCell.bytes.flatMap(Cells.date) else {
                st.defects.add(
                    .badValue(
                        table: table, key: "account_id=\(id)", column: "date",
                        value: dayCell.bytes == nil ? "" : "infinity",
                        reason: "a row needs a finite date"));
                return
            }
            var risk = RiskLevel.none.rawValue
            if hasRisk, let b = riskCell.bytes {
                guard let level = Cells.risk(b) else {
                    st.defects.add(
                        .badValue(
                            table: table, key: "account_id=\(id), date=\(Day.format(day))", column: riskName,
                            value: String(buffer: b),
                            reason: "risk must be none, low, medium, high or empty"));
                    return
                }
                risk = level.rawValue
            }
            for j in 0..<nf {
                let cell = it.next()!
                guard let b = cell.bytes, let v = Cells.double(b) else { st.values[j] = .nan; continue }
                guard v.isFinite else {
                    st.defects.add(
                        .badValue(
                            table: table, key: "account_id=\(id), date=\(Day.format(day))", column: factorNames[j],
                            value: "\(v)",
                            reason: "not a finite number"));
                    return
                }
                st.values[j] = v
                st.counts[j] += 1
            }
            var isNew = false
            let code = id.utf8CString.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: b.count) {
                    st.accounts.intern($0, b.count - 1, isNew: &isNew)
                }
            }
            if isNew { st.sink.newAccount(code, id: id) }
            st.rows += 1
            if day < st.first { st.first = day }
            if day > st.last { st.last = day }
            st.sink.row(account: code, day: day, risk: risk, values: st.values, line: st.rows)
        }
        try st.defects.throwIfAny()
        sink = st.sink
        return TimelineSummary(
            file: name, layout: .wide, factors: sql.factorColumns, hasRisk: hasRisk, recordsRead: st.rows,
            recordsUsed: st.rows, rows: st.rows, blankLines: 0, accounts: st.accounts,
            firstDay: st.rows > 0 ? st.first : nil, lastDay: st.rows > 0 ? st.last : nil, valueCounts: st.counts)
    }

    /// Two rows of one account and date are a defect, as in a CSV file (checked once, in the database).
    private func checkDuplicates() throws {
        if cache.withLockedValue({ $0.duplicatesChecked }) { return }
        let a = sql.account(""), d = sql.day("")
        let found = try database.rows(
            """
            SELECT \(a), TO_CHAR(\(d), 'YYYY-MM-DD'), COUNT(*) FROM \(tables.qualified(sql.table))
             GROUP BY \(a), \(d) HAVING COUNT(*) > 1 LIMIT 1
            """, table: name)
        if let r = found.first {
            throw DatabaseError.badValue(
                table: name, key: "account_id=\(r[0] ?? "NULL"), date=\(r[1] ?? "")", column: "date", value: r[1] ?? "",
                reason: "duplicate (account_id, date): \(r[2] ?? "2") rows")
        }
        cache.withLockedValue { $0.duplicatesChecked = true }
    }
}

/// How an as-of query's rows are read: the query's factor columns (those an accumulator wants), where their
/// values go in a row of the whole table's factors, and the defects to name.
struct AsOfRowReader: Sendable {
    /// The timeline's columns with only the wanted factors (the query's).
    let sql: TimelineSQL
    /// The wanted factors, in the table's order.
    var factorNames: [String] { sql.factorColumns }
    /// Each wanted factor's index among the table's factors.
    let slot: [Int]
    /// The table's factor count.
    let nf: Int
    let table: String
    let riskColumn: String?

    init(_ timeline: DatabaseTimeline, wanted: [String]) {
        let lower = wanted.map { $0.lowercased() }
        var q = timeline.sql
        q.factorColumns = timeline.sql.factorColumns.filter { lower.contains($0.lowercased()) }
        sql = q
        slot = q.factorColumns.map { n in timeline.sql.factorColumns.firstIndex(of: n)! }
        nf = timeline.sql.factorColumns.count
        table = timeline.name
        riskColumn = timeline.sql.riskColumn
    }

    /// The as-of rows into `rows`, as they come: each state's latest row (with its risk) and each value's row.
    func onRow(into rows: PushDownRows) -> @Sendable (PostgresRow) throws -> Void {
        { [self] row in
            // The cells in column order, each read once (no random-access copy of the row).
            var cells = row.makeIterator()
            guard let idBytes = cells.next()?.bytes, cells.next() != nil,
                let latest = cells.next()?.bytes.flatMap(Cells.date), let riskCell = cells.next(),
                let dupCell = cells.next()
            else { return }
            if let dup = dupCell.bytes.flatMap(Cells.bigint), dup > 0 {
                rows.duplicates = true
            }
            let defects = rows.update { t -> [DatabaseError] in
                let a = t.intern(idBytes)
                let i = t.row(a, latest)
                if let riskColumn {
                    guard let level = riskCell.bytes.map(Cells.risk) ?? RiskLevel.none else {
                        return [
                            .badValue(
                                table: table, key: "account_id=\(t.accounts.string(a)), date=\(Day.format(latest))",
                                column: riskColumn, value: riskCell.bytes.map { String(buffer: $0) } ?? "",
                                reason: "risk must be none, low, medium, high or empty")
                        ]
                    }
                    t.risk[i] = level.rawValue
                } else {
                    t.risk[i] = RiskLevel.none.rawValue
                }
                var defects: [DatabaseError] = []
                for (k, s) in slot.enumerated() {
                    guard let valueCell = cells.next(), let dateCell = cells.next() else { break }
                    guard let vb = valueCell.bytes, let v = Cells.double(vb),
                        let d = dateCell.bytes.flatMap(Cells.date)
                    else { continue }
                    guard v.isFinite else {
                        defects.append(
                            .badValue(
                                table: table, key: "account_id=\(t.accounts.string(a)), date=\(Day.format(d))",
                                column: factorNames[k], value: "\(v)", reason: "not a finite number"))
                        continue
                    }
                    t.values[t.row(a, d) * nf + s] = v
                }
                return defects
            }
            for d in defects { rows.defects.add(d) }
        }
    }
}

/// A model's as-of read sent ahead (`DatabaseTimeline.prepare`): its dates and factors, and per account range the
/// connection, the rows it fills on that connection's thread, and the running statement.
final class SentRanges: @unchecked Sendable {
    let dates: PushDown.Dates
    let factors: [String]
    let parts: [(database: Database, rows: PushDownRows, sent: Database.Sent)]

    init(
        dates: PushDown.Dates, factors: [String], parts: [(database: Database, rows: PushDownRows, sent: Database.Sent)]
    ) {
        self.dates = dates
        self.factors = factors
        self.parts = parts
    }
}

/// The rows of a push-down by (account, day) key: open addressing with linear probing over a power-of-two table
/// kept at most half full, each slot a key and its row (a key is never `UInt64.max`: account codes are below
/// 2³¹). Several times quicker than a `Dictionary`, whose seeded hash was a third of taking the rows.
struct RowIndex {
    private var keys = [UInt64](repeating: .max, count: 1024)
    private var rows = [Int32](repeating: -1, count: 1024)
    private var count = 0
    /// 64 − log₂ of the table's size: a key's slot is the top bits of its product with 2⁶⁴/φ.
    private var shift: UInt64 = 64 - 10

    /// The row of `key`, or −1 after inserting it with `row`.
    mutating func find(_ key: UInt64, orInsert row: Int32) -> Int32 {
        if 2 * (count + 1) > keys.count { grow() }
        let mask = keys.count - 1
        var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[h]
            if k == key { return rows[h] }
            if k == .max {
                keys[h] = key
                rows[h] = row
                count += 1
                return -1
            }
            h = (h + 1) & mask
        }
    }

    private mutating func grow() {
        let (oldKeys, oldRows) = (keys, rows)
        keys = [UInt64](repeating: .max, count: oldKeys.count * 2)
        rows = [Int32](repeating: -1, count: oldKeys.count * 2)
        count = 0
        shift -= 1
        for (k, r) in zip(oldKeys, oldRows) where k != .max { _ = find(k, orInsert: r) }
    }
}

/// What a streamed read fills on the connection's thread while the caller waits.
final class StreamState<T>: @unchecked Sendable {
    var sink: T
    var accounts = Interner(capacity: 4096)
    var rows = 0
    var first = Int32.max, last = Int32.min
    var counts: [Int]
    let defects = Defects()
    let values: UnsafeMutablePointer<Double>
    init(_ sink: T, nf: Int) {
        self.sink = sink
        counts = Array(repeating: 0, count: nf)
        values = .allocate(capacity: max(1, nf))
    }
    deinit { values.deallocate() }
}

/// The bad rows a read meets on the connection's thread: the first is kept and thrown at the end, with the
/// count of the others, so a read reports every bad row's number without stopping the stream.
final class Defects: @unchecked Sendable {
    private(set) var first: DatabaseError?
    private(set) var count = 0

    func add(_ e: DatabaseError) {
        if first == nil { first = e }
        count += 1
    }

    /// Another list's defects after these.
    func absorb(_ other: Defects) {
        if first == nil { first = other.first }
        count += other.count
    }

    func throwIfAny() throws {
        guard let e = first else { return }
        if count > 1, case .badValue(let t, let k, let c, let v, let r) = e {
            throw DatabaseError.badValue(
                table: t, key: k, column: c, value: v, reason: r + " (and \(count - 1) more bad rows)")
        }
        throw e
    }
}

/// The rows a push-down builds (DatabaseTimeline.pushDown): per (account, day) one merged row, its risk and its
/// factors' values (NaN: not read), taken on one connection's thread at a time.
final class PushDownRows: @unchecked Sendable {
    /// The rows. A row's handler changes them through `update`, in one access: the class's own stored properties
    /// cost a dynamic exclusivity check each time they are touched (a third of taking a row).
    private(set) var table: PushDownTable
    let defects = Defects()
    var duplicates = false

    init(factors: Int) { table = PushDownTable(factors: factors) }

    /// Changes the rows in one access.
    func update<R>(_ body: (inout PushDownTable) throws -> R) rethrows -> R { try body(&table) }

    /// Another part's rows and defects after these. Its accounts are not among these (another range), so its rows
    /// are appended as they are, with its accounts' codes mapped to this interner's.
    func absorb(_ other: PushDownRows) {
        defects.absorb(other.defects)
        duplicates = duplicates || other.duplicates
        let o = other.table
        update { t in
            let code = (0..<o.accounts.count).map { t.accounts.intern(o.accounts.string(Int32($0))) }
            t.account += o.account.lazy.map { code[Int($0)] }
            t.day += o.day
            t.risk += o.risk
            t.values += o.values
        }
    }
}

/// The rows of a push-down, with the ids interned and the rows found by (account, day).
struct PushDownTable {
    var accounts = Interner(capacity: 4096)
    private var index = RowIndex()
    /// The last id's bytes and code: an account's as-of rows come one after another.
    private var lastId: [UInt8] = []
    private var lastCode: Int32 = -1
    var account: [Int32] = [], day: [Int32] = [], risk: [UInt8] = [], values: [Double] = []
    let factors: Int

    init(factors: Int) { self.factors = factors }

    /// The code of an id's bytes, without making a `String` of them.
    mutating func intern(_ id: ByteBuffer) -> Int32 {
        id.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return accounts.intern("") }
            if lastCode >= 0 && raw.elementsEqual(lastId) { return lastCode }
            var isNew = false
            lastCode = accounts.intern(base.assumingMemoryBound(to: UInt8.self), raw.count, isNew: &isNew)
            lastId.removeAll(keepingCapacity: true)
            lastId.append(contentsOf: raw)
            return lastCode
        }
    }

    /// The index of the row of (account, day), added empty when new.
    mutating func row(_ a: Int32, _ d: Int32) -> Int {
        let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: d))
        let i = day.count
        let found = index.find(key, orInsert: Int32(i))
        if found >= 0 { return Int(found) }
        account.append(a)
        day.append(d)
        risk.append(TimelineReader.riskUnspecified)
        values.append(contentsOf: repeatElement(.nan, count: factors))
        return i
    }
}
