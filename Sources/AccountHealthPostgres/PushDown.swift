import AccountHealth

/// Where the data lives in a PostgreSQL database (DESIGN §10): the tables (or views) and their schema.
public struct DatabaseTables: Sendable, Equatable {
    public var schema: String?
    public var timeline: String
    public var accounts: String
    public var outcomes: String
    public var events: String

    public init(schema: String? = nil, timeline: String = "timeline", accounts: String = "accounts", outcomes: String = "outcomes",
                events: String = "events") {
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

/// The as-of queries of the commands that need only as-of values (DESIGN §10): for each account and date
/// needed, each factor's latest non-empty value on or before it (and that value's date), the date of the
/// account's latest row and that row's risk — never the timeline itself. Standard SQL only (common table
/// expressions, joins and grouping with CASE; no window functions, no `generate_series`, no `DISTINCT ON`), so the same text runs on
/// PostgreSQL, on a timeline partitioned across servers (postgres_fdw), and on the distributed engines of
/// the PostgreSQL family.
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
    }

    /// A double-quoted SQL identifier.
    public static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func date(_ d: Int32) -> String { "DATE '\(Day.format(d))'" }

    /// The query. Its columns: `account_id`, `as_of`, `latest_row_date` (null: no row on or before),
    /// `risk` (of that row), then per factor `<factor>` and `<factor>_date` (null: no value yet).
    public static func asOfQuery(_ dates: Dates, factors: [String], tables: DatabaseTables = DatabaseTables(),
                                 hasRisk: Bool = true) -> String {
        let t = tables.qualified(tables.timeline), o = tables.qualified(tables.outcomes)
        let q: String
        switch dates {
        case .everyAccountAtLastDate(let offsets):
            let values = offsets.map { "(\($0))" }.joined(separator: ", ")
            q = """
                SELECT a.account_id, CAST(l.last_date - d.days AS DATE) AS as_of
                  FROM (SELECT DISTINCT account_id FROM \(t)) a
                  CROSS JOIN (SELECT MAX(\(quote("date"))) AS last_date FROM \(t)) l
                  CROSS JOIN (VALUES \(values)) AS d(days)
                """
        case .everyAccount(let days):
            let values = days.map { "(\(date($0)))" }.joined(separator: ", ")
            q = """
                SELECT a.account_id, d.as_of
                  FROM (SELECT DISTINCT account_id FROM \(t)) a
                  CROSS JOIN (VALUES \(values)) AS d(as_of)
                """
        case .beforeOutcomes(let horizons, let through):
            let values = horizons.map { "(\($0))" }.joined(separator: ", ")
            let filter = through.map { "\n WHERE o.\(quote("date")) <= \(date($0))" } ?? ""
            q = """
                SELECT DISTINCT o.account_id, CAST(o.\(quote("date")) - h.days AS DATE) AS as_of
                  FROM \(o) o
                  CROSS JOIN (VALUES \(values)) AS h(days)\(filter)
                """
        case .cutoffs(let days, let horizon):
            let values = days.map { "(\(date($0)))" }.joined(separator: ", ")
            q = """
                SELECT DISTINCT o.account_id, c.as_of
                  FROM (VALUES \(values)) AS c(as_of)
                  JOIN \(o) o ON o.\(quote("date")) > c.as_of AND o.\(quote("date")) <= CAST(c.as_of + \(horizon) AS DATE)
                """
        }
        // j: every timeline row on or before each needed date. l: per account and date, the date of the latest
        // row and, per factor, of the latest row with a value (one grouped pass: no sort). Then a second grouped
        // pass over j picks the values of those rows ((account_id, date) is unique in a wide timeline).
        let f = factors.map(quote)
        var dates = ["MAX(\(quote("date"))) AS latest_row_date"]
        for (k, c) in f.enumerated() { dates.append("MAX(CASE WHEN \(c) IS NOT NULL THEN \(quote("date")) END) AS d_\(k)") }
        var picks = ["l.latest_row_date",
                     hasRisk ? "MAX(CASE WHEN j.\(quote("date")) = l.latest_row_date THEN j.risk END) AS risk" : "CAST(NULL AS TEXT) AS risk"]
        for (k, c) in f.enumerated() {
            picks.append("MAX(CASE WHEN j.\(quote("date")) = l.d_\(k) THEN j.\(c) END) AS \(quote(factors[k]))")
            picks.append("l.d_\(k) AS \(quote(factors[k] + "_date"))")
        }
        let groups = ["l.account_id", "l.as_of", "l.latest_row_date"] + f.indices.map { "l.d_\($0)" }
        let columns = ([quote("date")] + (hasRisk ? ["risk"] : []) + f).map { "t.\($0)" }.joined(separator: ", ")
        return """
            WITH q AS (
            \(q.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            ),
            j AS (
              SELECT q.account_id, q.as_of, \(columns)
                FROM q JOIN \(t) t ON t.account_id = q.account_id AND t.\(quote("date")) <= q.as_of
            ),
            l AS (
              SELECT account_id, as_of,
                     \(dates.joined(separator: ",\n         "))
                FROM j
               GROUP BY account_id, as_of
            )
            SELECT l.account_id, l.as_of,
                   \(picks.joined(separator: ",\n       "))
              FROM l JOIN j ON j.account_id = l.account_id AND j.as_of = l.as_of
             GROUP BY \(groups.joined(separator: ", "))
             ORDER BY l.account_id, l.as_of;
            """
    }
}
