import AccountHealth

/// Where the data lives in a PostgreSQL database (DESIGN §10): the tables (or views) and their schema.
public struct DatabaseTables: Sendable, Equatable {
    /// The schema, or nil for the search path.
    public var schema: String?
    /// The timeline table.
    public var timeline: String
    /// The accounts table.
    public var accounts: String
    /// The outcomes table.
    public var outcomes: String
    /// The events table (an activity log).
    public var events: String

    /// Table names, by default `timeline`, `accounts`, `outcomes` and `events`.
    public init(
        schema: String? = nil, timeline: String = "timeline", accounts: String = "accounts",
        outcomes: String = "outcomes",
        events: String = "events"
    ) {
        self.schema = schema
        self.timeline = timeline
        self.accounts = accounts
        self.outcomes = outcomes
        self.events = events
    }

    /// A table's name as SQL: quoted, with the schema when one is given.
    func qualified(_ table: String) -> String {
        (schema.map { PushDown.quote($0) + "." } ?? "") + PushDown.quote(table)
    }
}

/// How a timeline table's columns are read in SQL: its account id, its date as a `date` (a `timestamp` or
/// `timestamptz` column is taken to its UTC day), its risk and its factor columns.
public struct TimelineSQL: Sendable, Equatable {
    /// The table (qualified and quoted).
    public var table: String
    /// The account id column.
    public var accountColumn: String
    /// False when the id column is not text (an integer id): it is cast to text where it meets a text list.
    public var accountIsText: Bool
    /// The date column.
    public var dateColumn: String
    /// The date column's type.
    public enum DateKind: Sendable, Equatable { case date, timestamp, timestamptz }
    /// How the date column is read.
    public var dateKind: DateKind
    /// The risk column, if any.
    public var riskColumn: String?
    /// The factor columns.
    public var factorColumns: [String]

    /// A timeline table's columns.
    public init(
        table: String, accountColumn: String = "account_id", accountIsText: Bool = true, dateColumn: String = "date",
        dateKind: DateKind = .date, riskColumn: String? = "risk", factorColumns: [String]
    ) {
        self.table = table
        self.accountColumn = accountColumn
        self.accountIsText = accountIsText
        self.dateColumn = dateColumn
        self.dateKind = dateKind
        self.riskColumn = riskColumn
        self.factorColumns = factorColumns
    }

    /// The account id as text, of the row alias `a` ("" for none).
    func account(_ a: String) -> String {
        let c = PushDown.column(a, accountColumn)
        return accountIsText ? c : "CAST(\(c) AS TEXT)"
    }
    /// The UTC day of a row (standard SQL; `AT TIME ZONE` for a timestamp with a zone).
    func day(_ a: String) -> String {
        let c = PushDown.column(a, dateColumn)
        switch dateKind {
        case .date: return c
        case .timestamp: return "CAST(\(c) AS DATE)"
        case .timestamptz: return "CAST((\(c) AT TIME ZONE 'UTC') AS DATE)"
        }
    }
    func risk(_ a: String) -> String {
        riskColumn.map { "CAST(\(PushDown.column(a, $0)) AS TEXT)" } ?? "CAST(NULL AS TEXT)"
    }
    func factor(_ a: String, _ name: String) -> String { "CAST(\(PushDown.column(a, name)) AS DOUBLE PRECISION)" }
}

/// The as-of queries of the commands that need only as-of values (DESIGN §10): for each account and date
/// needed, each factor's latest non-empty value on or before it (and that value's date), the date of the
/// account's latest row and that row's risk — never the timeline itself. Standard SQL only (common table
/// expressions, joins, grouping with CASE, `COUNT(DISTINCT)`; no window functions, no `generate_series`, no
/// `DISTINCT ON`), so the same text runs on PostgreSQL, on a timeline partitioned across servers
/// (postgres_fdw), and on the distributed engines of the PostgreSQL family.
public enum PushDown {
    /// Which (account, date) pairs a command needs.
    public enum Dates: Sendable, Equatable {
        /// Every account of the timeline at each of these dates (`score --as-of`, `rank`, `compare`'s scores,
        /// `alerts`, `explain`): the timeline's own accounts.
        case everyAccount(at: [Int32])
        /// Every account at the timeline's last date minus each of these days (`score` with no date: 0, and
        /// the period for the change), the last date found by the query itself.
        case everyAccountAtLastDate(minus: [Int])
        /// Each outcome's decision date minus each horizon (`fit`, `indicators`, `compare`'s case mix, `rank`'s
        /// training rows), for the outcomes dated on or before `through` when given.
        case beforeOutcomes(horizons: [Int], through: Int32?)
        /// The backtest's cutoffs, for the accounts with an outcome in `(cutoff, cutoff + horizon]` only.
        case cutoffs([Int32], horizon: Int)
        /// Given (account, date) pairs, sent as a list.
        case pairs([(account: String, day: Int32)])
        /// The pairs of all of these (a backtest: its cutoffs, and every account on the last date).
        indirect case union([Dates])

        /// Equal when they select the same dates.
        public static func == (a: Dates, b: Dates) -> Bool {
            switch (a, b) {
            case (.everyAccount(let x), .everyAccount(let y)): return x == y
            case (.everyAccountAtLastDate(let x), .everyAccountAtLastDate(let y)): return x == y
            case (.beforeOutcomes(let h1, let t1), .beforeOutcomes(let h2, let t2)): return h1 == h2 && t1 == t2
            case (.cutoffs(let c1, let h1), .cutoffs(let c2, let h2)): return c1 == c2 && h1 == h2
            case (.pairs(let x), .pairs(let y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.account == $1.account && $0.day == $1.day }
            case (.union(let x), .union(let y)): return x == y
            default: return false
            }
        }
    }

    /// A double-quoted SQL identifier.
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    /// A single-quoted SQL string literal.
    public static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
    static func column(_ alias: String, _ name: String) -> String { (alias.isEmpty ? "" : alias + ".") + quote(name) }

    static func date(_ d: Int32) -> String { "DATE '\(Day.format(d))'" }

    /// The query with the default column names (`account_id`, `date` as a `date`, `risk`), as `healthscore sql`
    /// prints it when it has no database to ask.
    public static func asOfQuery(
        _ dates: Dates, factors: [String], tables: DatabaseTables = DatabaseTables(),
        hasRisk: Bool = true, accounts: AccountRange? = nil
    ) -> String {
        asOfQuery(
            dates,
            timeline: TimelineSQL(table: tables.timeline, riskColumn: hasRisk ? "risk" : nil, factorColumns: factors),
            tables: tables, accounts: accounts)
    }

    /// A range of account ids, in the database's own order of the id as text: `from` included, `below`
    /// excluded, nil for no bound. Ranges that meet at their bounds split the accounts with nothing left out and
    /// nothing twice, whatever the collation.
    public struct AccountRange: Sendable, Equatable {
        /// The first id in the range (nil: from the first).
        public var from: String?
        /// The first id after the range (nil: to the last).
        public var below: String?
        /// A range.
        public init(from: String?, below: String?) {
            self.from = from
            self.below = below
        }
        /// The condition on an id expression ("" for none).
        func condition(_ id: String) -> String {
            (from.map { " AND \(id) >= \(literal($0))" } ?? "") + (below.map { " AND \(id) < \(literal($0))" } ?? "")
        }
    }

    /// The query. Its columns: `account_id`, `as_of`, `latest_row_date` (null: no row on or before), `risk`
    /// (of that row), `duplicates` (rows on or before the date that share a date with another), then per
    /// factor `<factor>` and `<factor>_date` (null: no value yet). With `accounts`, the same rows for the accounts
    /// of that range only: the timeline's rows of other accounts are left at the scans.
    public static func asOfQuery(
        _ dates: Dates, timeline tl: TimelineSQL, tables: DatabaseTables, accounts: AccountRange? = nil
    ) -> String {
        var q = pairsQuery(dates, timeline: tl, tables: tables)
        if let accounts {
            q = "SELECT account_id, as_of FROM (\n\(q)\n) AS all_pairs\n WHERE TRUE\(accounts.condition("account_id"))"
        }
        return valuesQuery(q, timeline: tl, tables: tables, accounts: accounts)
    }

    /// The (account_id, as_of) pairs of `dates`, as a query.
    static func pairsQuery(_ dates: Dates, timeline tl: TimelineSQL, tables: DatabaseTables) -> String {
        let t = tables.qualified(tl.table), o = tables.qualified(tables.outcomes)
        let od = quote("date")
        let q: String
        switch dates {
        case .union(let parts):
            q = parts.map { pairsQuery($0, timeline: tl, tables: tables) }.joined(separator: "\nUNION ALL\n")
        case .everyAccountAtLastDate(let offsets):
            let values = offsets.map { "(\($0))" }.joined(separator: ", ")
            q = """
                SELECT a.account_id, CAST(l.last_date - d.days AS DATE) AS as_of
                  FROM (SELECT DISTINCT \(tl.account("")) AS account_id FROM \(t)) a
                  CROSS JOIN (SELECT MAX(\(tl.day(""))) AS last_date FROM \(t)) l
                  CROSS JOIN (VALUES \(values)) AS d(days)
                """
        case .everyAccount(let days):
            let values = days.map { "(\(date($0)))" }.joined(separator: ", ")
            q = """
                SELECT a.account_id, d.as_of
                  FROM (SELECT DISTINCT \(tl.account("")) AS account_id FROM \(t)) a
                  CROSS JOIN (VALUES \(values)) AS d(as_of)
                """
        case .beforeOutcomes(let horizons, let through):
            let values = horizons.map { "(\($0))" }.joined(separator: ", ")
            let filter = through.map { "\n WHERE o.\(od) <= \(date($0))" } ?? ""
            q = """
                SELECT CAST(o.account_id AS TEXT) AS account_id, CAST(o.\(od) - h.days AS DATE) AS as_of
                  FROM \(o) o
                  CROSS JOIN (VALUES \(values)) AS h(days)\(filter)
                """
        case .cutoffs(let days, let horizon):
            let values = days.map { "(\(date($0)))" }.joined(separator: ", ")
            q = """
                SELECT CAST(o.account_id AS TEXT) AS account_id, c.as_of
                  FROM (VALUES \(values)) AS c(as_of)
                  JOIN \(o) o ON o.\(od) > c.as_of AND o.\(od) <= CAST(c.as_of + \(horizon) AS DATE)
                """
        case .pairs(let pairs):
            let values = pairs.map { "(\(literal($0.account)), \(date($0.day)))" }.joined(separator: ",\n         ")
            q = """
                SELECT account_id, as_of
                  FROM (VALUES \(values)) AS p(account_id, as_of)
                """
        }
        return q
    }

    /// The as-of values of the pairs of `q`.
    static func valuesQuery(
        _ q: String, timeline tl: TimelineSQL, tables: DatabaseTables, accounts: AccountRange? = nil
    ) -> String {
        let t = tables.qualified(tl.table)
        let range = accounts?.condition(tl.account("t")) ?? ""
        // l: per account and date, the date of the latest row and, per factor, of the latest row with a value (one
        // grouped pass over the rows on or before each date; a pair listed twice only repeats rows). p: those
        // dates, once each per account. r: the rows of those dates (an equality join). Then per account and date
        // the picked rows' values, and how many of them share a date (a duplicate (account_id, date)).
        // The pairs are not made distinct: a plain scan lets the planner hash them, the small side.
        let f = tl.factorColumns
        var dates = ["MAX(\(tl.day("t"))) AS latest_row_date"]
        for (k, name) in f.enumerated() {
            dates.append("MAX(CASE WHEN \(PushDown.column("t", name)) IS NOT NULL THEN \(tl.day("t")) END) AS d_\(k)")
        }
        // A factor's date is mostly the latest row's: only the others are listed beside it, so the distinct pairs
        // are found among about a third as many.
        let picked =
            ["SELECT account_id, latest_row_date AS day FROM l"]
            + f.indices.map { "SELECT account_id, d_\($0) AS day FROM l WHERE d_\($0) <> latest_row_date" }
        var picks = [
            "l.latest_row_date", "MAX(CASE WHEN r.day = l.latest_row_date THEN r.risk END) AS risk",
            "COUNT(*) - COUNT(DISTINCT r.day) AS duplicates",
        ]
        for (k, name) in f.enumerated() {
            picks.append("MAX(CASE WHEN r.day = l.d_\(k) THEN r.f_\(k) END) AS \(quote(name))")
            picks.append("l.d_\(k) AS \(quote(name + "_date"))")
        }
        let groups = ["l.account_id", "l.as_of", "l.latest_row_date"] + f.indices.map { "l.d_\($0)" }
        let columns =
            (["p.account_id", "p.day", "\(tl.risk("t")) AS risk"]
            + f.enumerated().map { "\(tl.factor("t", $1)) AS f_\($0)" })
            .joined(separator: ", ")
        return """
            WITH q AS (
            \(q.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            ),
            l AS (
              SELECT q.account_id, q.as_of,
                     \(dates.joined(separator: ",\n         "))
                FROM q JOIN \(t) t ON \(tl.account("t")) = q.account_id AND \(tl.day("t")) <= q.as_of\(range)
               GROUP BY q.account_id, q.as_of
            ),
            p AS (
              SELECT DISTINCT account_id, day FROM (
                \(picked.joined(separator: "\n    UNION ALL "))
              ) x WHERE day IS NOT NULL
            ),
            r AS (
              SELECT \(columns)
                FROM p JOIN \(t) t ON \(tl.account("t")) = p.account_id AND \(tl.day("t")) = p.day\(range)
            )
            SELECT l.account_id, l.as_of,
                   \(picks.joined(separator: ",\n       "))
              FROM l JOIN r ON r.account_id = l.account_id AND r.day <= l.as_of
             GROUP BY \(groups.joined(separator: ", "))
             ORDER BY l.account_id, l.as_of;
            """
    }
}
