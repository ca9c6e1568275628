import AccountHealth
import AccountHealthPostgres
import Foundation
import Testing
import TestSupport

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The SQL type of a CSV column of the bundled data: dates as `date`, ids and labels as `text`, numbers as
/// `double precision`.
func sqlType(_ column: String) -> String {
    switch column {
    case "date", "renewal_date": return "date"
    case "account_id", "risk", "name", "am", "segment", "region", "outcome", "type": return "text"
    case "time": return "timestamptz"
    default: return "double precision"
    }
}

/// The columns of a CSV file's header, as SQL column definitions.
func columnDefinitions(_ file: String) throws -> String {
    let header = try String(contentsOfFile: file, encoding: .utf8).prefix { $0 != "\n" }.split(separator: ",").map(String.init)
    return header.map { "\(PushDown.quote($0)) \(sqlType($0))" }.joined(separator: ", ")
}

/// Loads the CSV files of a dataset directory into tables of the same names (`timeline`, `accounts`,
/// `outcomes`, `events`, each when its file exists), into `schema` when given. With `timelineTable: "exists"`
/// the timeline table is already there (a partitioned one).
func load(_ server: PostgresServer, dataset dir: String, timelineTable: String = "create", schema: String? = nil) throws {
    var sql = schema.map { "CREATE SCHEMA \($0);\nSET search_path TO \($0);\n" } ?? ""
    for table in ["timeline", "accounts", "outcomes", "events"] {
        let file = dir + "/\(table).csv"
        guard FileManager.default.fileExists(atPath: file) else { continue }
        if !(table == "timeline" && timelineTable == "exists") { sql += "CREATE TABLE \(table) (\(try columnDefinitions(file)));\n" }
        sql += "\\copy \(table) FROM '\(file)' WITH (FORMAT csv, HEADER true)\n"
    }
    try server.sql(sql + "ANALYZE;\n")
}

/// The as-of rows of a query as "account|as_of" → the state's fields (without the duplicate count, checked to
/// be 0), from psql's CSV.
func rows(_ csv: String) -> [String: [String]] {
    var out: [String: [String]] = [:]
    for line in csv.split(separator: "\n").dropFirst() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var fields = Array(cells.dropFirst(2))
        #expect(fields[2] == "0", "no duplicate dates")
        fields.remove(at: 2)     // the duplicate count
        out[cells[0] + "|" + cells[1]] = fields
    }
    return out
}

/// The library's as-of states for the same accounts and dates, as the same fields.
func expected(_ acc: AsOfAccumulator, ids: Interner, account a: Int, query k: Int) -> [String]? {
    let s = acc.state(account: a, query: k)
    guard let latest = s.latestRowDay else { return nil }
    var cells = [Day.format(latest), s.risk == .none ? "" : "\(s.risk)"]
    for j in s.values.indices {
        cells.append(s.values[j].isNaN ? "" : NumberFormat.exact(s.values[j]))
        cells.append(s.valueDays[j].map(Day.format) ?? "")
    }
    return cells
}

/// Compares the database's rows with the library's states; numbers as doubles, the rest as text.
func expectSame(_ db: [String: [String]], _ lib: [String: [String]], _ what: String) {
    #expect(db.count == lib.count, "\(what): \(db.count) rows from the database, \(lib.count) expected")
    var shown = 0
    for (key, want) in lib {
        guard let got = db[key] else { if shown < 5 { Issue.record("\(what): no row for \(key)"); shown += 1 }; continue }
        let same = got.count == want.count && zip(got, want).allSatisfy { a, b in
            a == b || (Double(a) != nil && Double(a) == Double(b))
        }
        if !same && shown < 5 { Issue.record("\(what) \(key): \(got) vs \(want)"); shown += 1 }
    }
}

@Suite(.serialized, .enabled(if: PostgresServer.available, "PostgreSQL is installed (scripts/setup.sh)"))
struct PushDownTests {
    static let dir = repoRoot + "/datasets/simulated"

    /// `score` at one date: one row per account and the date, equal to the library's as-of states.
    @Test func scoreAtOneDateEqualsTheLibrary() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.dir)
        let data = try DataFiles.directory(Self.dir).load(timeline: .memory)
        let names = data.configuration!.allFactorNames
        let day = Day.parse("2024-06-30")!
        let sql = PushDown.asOfQuery(.everyAccount(at: [day]), factors: names)
        #expect(!sql.lowercased().contains("generate_series") && !sql.lowercased().contains("distinct on"))
        let db = rows(try server.sql(sql))
        let (acc, summary) = try Scorer.accumulate(data.timeline, days: [day], factors: names)
        var lib: [String: [String]] = [:]
        for a in 0..<summary.accounts.count {
            if let e = expected(acc, ids: summary.accounts, account: a, query: 0) { lib[summary.accounts.string(Int32(a)) + "|2024-06-30"] = e }
        }
        expectSame(db, lib, "score")
        #expect(db.count > 2000)
        // With no date, the query finds the last date itself; a period back, the change's date.
        let last = try data.timeline.dateRange()!.last
        #expect(try server.sql(PushDown.asOfQuery(.everyAccountAtLastDate(minus: [0, 30]), factors: names))
                == server.sql(PushDown.asOfQuery(.everyAccount(at: [last, last - 30]), factors: names)))
        // Backtest cutoffs: only the accounts with an outcome in the next 90 days.
        let cut = Day.parse("2024-03-01")!
        let bt = rows(try server.sql(PushDown.asOfQuery(.cutoffs([cut], horizon: 90), factors: names)))
        let outcomes = data.outcomes!
        let due = Set((0..<outcomes.count).filter { outcomes.day[$0] > cut && outcomes.day[$0] <= cut + 90 }.map { outcomes.accountIds[$0] })
        #expect(Set(bt.keys.map { String($0.prefix { $0 != "|" }) }) == due.filter { summary.accounts.lookup($0) != nil })
    }

    /// `fit`: one row per outcome's T − h, equal to the observations' as-of states, and far fewer rows than
    /// the table.
    @Test func fitObservationsEqualTheLibrary() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.dir)
        let data = try DataFiles.directory(Self.dir).load(timeline: .memory)
        let names = data.configuration!.base.factors.map(\.name)
        let sql = PushDown.asOfQuery(.beforeOutcomes(horizons: [90], through: nil), factors: names)
        let db = rows(try server.sql(sql))
        let outcomes = data.outcomes!
        var queries: [String: [Int32]] = [:]
        for i in 0..<outcomes.count { queries[outcomes.accountIds[i], default: []].append(outcomes.day[i] - 90) }
        var acc = AsOfAccumulator(queryDaysByAccount: queries, factors: names)
        let summary = try data.timeline.read(into: &acc)
        acc.finish()
        var lib: [String: [String]] = [:]
        for a in 0..<summary.accounts.count {
            for (k, d) in acc.queryDays(of: a).enumerated() {
                if let e = expected(acc, ids: summary.accounts, account: a, query: k) { lib[summary.accounts.string(Int32(a)) + "|" + Day.format(d)] = e }
            }
        }
        expectSame(db, lib, "fit")
        let total = Int(try server.sql("SELECT count(*) FROM timeline").split(separator: "\n")[1])!
        #expect(db.count * 20 < total, "the push-down moves \(db.count) rows of \(total)")
    }

    /// A model's observations read in two account ranges, each on a connection of its own beside the check
    /// (what `fit --db` does from 20,000 accounts with outcomes): the ranges' rows are the one query's, split at
    /// the bound, and the observations are those of one query and of the files; a refused value is refused alike.
    @Test func observationsReadInTwoAccountRangesEqualOneQuery() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.dir)
        let files = try DataFiles.directory(Self.dir).load(timeline: .memory)
        let names = files.configuration!.base.factors.map(\.name)
        let dates = PushDown.Dates.beforeOutcomes(horizons: [90], through: nil)
        let whole = rows(try server.sql(PushDown.asOfQuery(dates, factors: names)))
        let middle = "A001250"
        func part(_ range: PushDown.AccountRange) throws -> [String: [String]] {
            rows(try server.sql(PushDown.asOfQuery(dates, factors: names, accounts: range)))
        }
        let low = try part(.init(from: nil, below: middle)), high = try part(.init(from: middle, below: nil))
        #expect(low.count > 1000 && high.count > 1000 && low.count + high.count == whole.count)
        #expect(low.keys.allSatisfy { $0 < middle } && high.keys.allSatisfy { $0 >= middle })
        #expect(low.merging(high) { a, _ in a } == whole)
        /// `prepared`: the factors the timeline is told of before the read (`Observations.build` tells it its own);
        /// `subset`: outcomes given to the build, which then tells nothing (the ranges are sent by the read).
        let url = try DatabaseURL(server.url, environment: server.environment)
        func observations(
            split: Bool, table: String = "timeline", prepared: [String]? = nil, subset: OutcomesTable? = nil,
            on database: Database? = nil
        ) throws -> ObservationSet {
            let source = DatabaseSource(database: try database ?? Database(url), tables: DatabaseTables(timeline: table))
            var timeline = try source.timeline()
            timeline.splitFromAccounts = split ? 1 : .max
            if let prepared { timeline.prepare(statesBeforeOutcomes: [90], factors: prepared) }
            var data = files
            data.timeline = timeline
            return try Observations.build(data, outcomes: subset, factors: names, options: ObservationOptions())[0]
        }
        let one = try observations(split: false), two = try observations(split: true)
        let csv = try Observations.build(files, factors: names, options: ObservationOptions())[0]
        // The ranges sent by the read itself (no prepare), and a prepared read of other factors (dropped, and the
        // read sends its own).
        let unprepared = try observations(split: true, subset: files.outcomes)
        let otherFactors = try observations(split: true, prepared: [names[0]])
        for other in [one, csv, unprepared, otherFactors] {
            #expect(two.x.storage.map(\.bitPattern) == other.x.storage.map(\.bitPattern) && two.y == other.y)
            #expect(two.risk == other.risk && two.accountIds == other.accountIds)
            #expect(two.outcomeDays == other.outcomeDays)
            #expect(two.missing == other.missing && two.noHistory == other.noHistory)
        }
        #expect(two.count > 3000)
        // The check beside the ranges runs with a serial, compiled plan on the source's own connection, which is
        // left as it was: JIT off, parallel plans as the server sets them.
        let main = try Database(url)
        let before = try main.rows("SHOW max_parallel_workers_per_gather")
        _ = try observations(split: true, on: main)
        #expect(try main.rows("SHOW jit") == [["off"]])
        #expect(try main.rows("SHOW max_parallel_workers_per_gather") == before && before != [["0"]])
        // A value the CSV rules refuse, in a row no state reads: both reads refuse it, naming its row.
        try server.sql("""
            CREATE VIEW refused AS SELECT * FROM timeline UNION ALL
              SELECT account_id, DATE '2020-01-01', 'Infinity', tasks, notes, qbr, freshness, satisfaction, usage,
                     support_tickets, risk FROM timeline WHERE account_id = 'A002000' AND date = DATE '2024-06-24';
            """)
        func failure(split: Bool) -> String {
            do { _ = try observations(split: split, table: "refused"); return "no error" } catch { return "\(error)" }
        }
        let refusedSplit = failure(split: true)
        #expect(refusedSplit == failure(split: false), "\(refusedSplit)")
        #expect(refusedSplit.contains("A002000") && refusedSplit.contains("2020-01-01"), "\(refusedSplit)")
    }

    /// PostgreSQL's own sharding: the timeline hash-partitioned by account on a coordinator, its partitions
    /// foreign tables (postgres_fdw) on two other servers. The same query gives the same rows. The three servers
    /// take TLS connections only, and the tool reaches the coordinator with sslmode=verify-full (DESIGN §10).
    @Test func shardedTimelineGivesTheSameRows() throws {
        let single = try PostgresServer()
        try load(single, dataset: Self.dir)
        let pki = try TestPKI([("server", "DNS:localhost")])
        let coordinator = try PostgresServer(tls: (pki, "server")), shard1 = try PostgresServer(tls: (pki, "server")),
            shard2 = try PostgresServer(tls: (pki, "server"))
        let verified = "postgresql://postgres@localhost:\(coordinator.port)/postgres?sslmode=verify-full&sslrootcert=\(pki.caFile)"
        let cols = try columnDefinitions(Self.dir + "/timeline.csv")
        for (k, shard) in [shard1, shard2].enumerated() { try shard.sql("CREATE TABLE timeline_p\(k) (\(cols));") }
        try coordinator.sql("""
            CREATE EXTENSION postgres_fdw;
            CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '\(shard1.port)', dbname 'postgres');
            CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '\(shard2.port)', dbname 'postgres');
            CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres', password '\(shard1.password)');
            CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres', password '\(shard2.password)');
            CREATE TABLE timeline (\(cols)) PARTITION BY HASH (account_id);
            CREATE FOREIGN TABLE timeline_p0 PARTITION OF timeline FOR VALUES WITH (MODULUS 2, REMAINDER 0) SERVER shard1 OPTIONS (table_name 'timeline_p0');
            CREATE FOREIGN TABLE timeline_p1 PARTITION OF timeline FOR VALUES WITH (MODULUS 2, REMAINDER 1) SERVER shard2 OPTIONS (table_name 'timeline_p1');
            """)
        try load(coordinator, dataset: Self.dir, timelineTable: "exists")
        // Both shards hold part of the rows.
        let n1 = try shard1.sql("SELECT count(*) FROM timeline_p0"), n2 = try shard2.sql("SELECT count(*) FROM timeline_p1")
        #expect(Int(n1.split(separator: "\n")[1])! > 1000 && Int(n2.split(separator: "\n")[1])! > 1000)
        let names = try DataFiles.directory(Self.dir).load(.configuration).configuration!.base.factors.map(\.name)
        for dates in [PushDown.Dates.everyAccount(at: [Day.parse("2024-06-30")!]), .beforeOutcomes(horizons: [90], through: nil)] {
            let sql = PushDown.asOfQuery(dates, factors: names)
            #expect(try coordinator.sql(sql) == single.sql(sql), "\(dates)")
        }
        // The commands through the coordinator answer as on one server, and as on the CSV files.
        let config = Self.dir + "/config.yaml"
        for command in [["fit"], ["score"], ["score", "--as-of", "2024-06-30"], ["rank"]] {
            let files = try CLI.run(command + ["--data", Self.dir, "--format", "json", "--quiet"])
            let one = try CLI.run(command + ["--db", single.url, "--config", config, "--format", "json", "--quiet"], environment: single.environment)
            let sharded = try CLI.run(command + ["--db", verified, "--config", config, "--format", "json", "--quiet"],
                                      environment: coordinator.environment)
            #expect(files.status == 0 && one.status == 0 && sharded.status == 0, "\(command): \(sharded.err)")
            #expect(sharded.out == one.out && one.out == files.out, "\(command)")
        }
    }
}
