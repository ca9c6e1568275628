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
/// expressions, joins, window functions; no `generate_series`, no `DISTINCT ON`), so the same text runs on
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
        // One row per account, date and timeline row up to it, ranked per factor by "has a value, latest first".
        let f = factors.map(quote)
        var ranks = ["ROW_NUMBER() OVER (PARTITION BY q.account_id, q.as_of ORDER BY t.\(quote("date")) DESC) AS r_row"]
        for (k, c) in f.enumerated() {
            ranks.append("ROW_NUMBER() OVER (PARTITION BY q.account_id, q.as_of ORDER BY CASE WHEN t.\(c) IS NULL THEN 1 ELSE 0 END, t.\(quote("date")) DESC) AS r_\(k)")
        }
        var picks = ["MAX(CASE WHEN r_row = 1 THEN row_date END) AS latest_row_date",
                     hasRisk ? "MAX(CASE WHEN r_row = 1 THEN risk END) AS risk" : "CAST(NULL AS TEXT) AS risk"]
        for (k, c) in f.enumerated() {
            let name = factors[k]
            picks.append("MAX(CASE WHEN r_\(k) = 1 THEN v_\(k) END) AS \(quote(name))")
            picks.append("MAX(CASE WHEN r_\(k) = 1 AND v_\(k) IS NOT NULL THEN row_date END) AS \(quote(name + "_date"))")
        }
        let values = f.enumerated().map { "t.\($1) AS v_\($0)" }.joined(separator: ", ")
        return """
            WITH q AS (
            \(q.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            ),
            ranked AS (
              SELECT q.account_id, q.as_of, t.\(quote("date")) AS row_date\(hasRisk ? ", t.risk" : "")\(values.isEmpty ? "" : ", " + values),
                     \(ranks.joined(separator: ",\n         "))
                FROM q JOIN \(t) t ON t.account_id = q.account_id AND t.\(quote("date")) <= q.as_of
            )
            SELECT account_id, as_of,
                   \(picks.joined(separator: ",\n       "))
              FROM ranked
             GROUP BY account_id, as_of
             ORDER BY account_id, as_of;
            """
    }
}
