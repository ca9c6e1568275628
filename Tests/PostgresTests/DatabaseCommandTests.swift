import AccountHealth
import AccountHealthPostgres
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The commands on `--db` (DESIGN §10), end to end on a real server holding the bundled datasets: the same
/// answers as on the CSV files, write-back, and every failure with its exit status.
@Suite(.serialized, .enabled(if: PostgresServer.available, "PostgreSQL is installed (scripts/setup.sh)"))
struct DatabaseCommandTests {
    static let simulated = repoRoot + "/datasets/simulated"
    static let activity = repoRoot + "/datasets/activity"

    /// Runs the tool on the server's database (`--db`, the password from PGPASSWORD).
    func db(_ server: PostgresServer, _ args: [String], config: String = simulated + "/config.yaml") throws -> (status: Int32, out: String, err: String) {
        try CLI.run(args + ["--db", server.url, "--config", config, "--quiet"], environment: server.environment)
    }

    @Test func everyCommandAnswersAsOnTheFiles() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.simulated)
        let commands: [[String]] = [
            ["score"], ["score", "--as-of", "2024-06-30"], ["score", "--every", "60"], ["explain", "--account", "A000941"],
            ["alerts"], ["fit"], ["indicators"], ["backtest"], ["backtest", "--against", Self.simulated + "/config.yaml", "--step", "45"],
            ["compare"], ["compare", "--by", "region"], ["rank"], ["rank", "--as-of", "2024-06-30"], ["survival"],
        ]
        for command in commands {
            // JSON for every command; CSV too for those whose rows can be written back.
            for format in ["score", "rank", "alerts"].contains(command[0]) ? ["json", "csv"] : ["json"] {
                let files = try CLI.run(command + ["--data", Self.simulated, "--format", format, "--quiet"])
                let tables = try db(server, command + ["--format", format])
                #expect(files.status == 0 && tables.status == 0, "\(command): \(tables.err)")
                #expect(tables.out == files.out, "\(command) \(format)")
                #expect(tables.out.count > 100, "\(command) \(format)")
            }
        }
        // The report reads every row (streamed): the same pages.
        let a = Dir(), b = Dir()
        #expect(try CLI.run(["report", "--data", Self.simulated, "-o", a.path, "--quiet"]).status == 0)
        #expect(try db(server, ["report", "-o", b.path]).status == 0)
        for page in ["report.html", "report.md"] {
            #expect(FileManager.default.contents(atPath: a.path + "/" + page) == FileManager.default.contents(atPath: b.path + "/" + page), "\(page)")
        }
        // validate reads every table with the files' rules: the same report, with the tables where the files were.
        var expected = try CLI.run(["validate", "--data", Self.simulated, "--format", "json", "--quiet"]).out
        for t in ["timeline", "accounts", "outcomes"] { expected = expected.replacingOccurrences(of: Self.simulated + "/\(t).csv", with: t) }
        let v = try db(server, ["validate", "--format", "json"])
        #expect(v.status == 0 && v.out == expected, "\(v.out)")
    }

    /// `serve --db`: the studio loads the tables and answers as the commands do on the files; SIGTERM stops it.
    @Test func serveAnswersFromTheDatabase() async throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.simulated)
        var port = 0
        for _ in 0..<20 where port == 0 {
            let candidate = 20_000 + Int.random(in: 0..<20_000)
            if PostgresServer.portIsFree(candidate) { port = candidate }
        }
        let studio = Process()
        studio.executableURL = URL(fileURLWithPath: CLI.binary)
        studio.arguments = ["serve", "--db", server.url, "--config", Self.simulated + "/config.yaml", "--port", String(port), "--quiet"]
        studio.environment = ProcessInfo.processInfo.environment.merging(server.environment) { $1 }
        studio.standardOutput = FileHandle.nullDevice
        studio.standardError = FileHandle.nullDevice
        try studio.run()
        defer { if studio.isRunning { studio.terminate(); studio.waitUntilExit() } }
        func request(_ path: String, body: Data? = nil) async throws -> (Int, String) {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)" + path)!)
            if let body { r.httpMethod = "POST"; r.httpBody = body }
            let (data, response) = try await URLSession.shared.data(for: r)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }
        var up = false
        for _ in 0..<300 where !up {
            if (try? await request("/api/v1/summary"))?.0 == 200 { up = true } else { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        #expect(up, "serve --db did not answer")
        for (path, command) in [("/api/v1/rank", ["rank"]), ("/api/v1/compare?by=segment", ["compare", "--by", "segment"]), ("/api/v1/indicators", ["indicators"])] {
            let (status, text) = try await request(path)
            let cli = try CLI.run(command + ["--data", Self.simulated, "--format", "json", "--quiet"]).out
            #expect(status == 200 && text == cli, "\(path)")
        }
        // A preview: backtest --against, on the files, of a configuration with one weight moved.
        var other = try Configuration.parse(yaml: try String(contentsOfFile: Self.simulated + "/config.yaml", encoding: .utf8))
        other.base.factors[1].weight += 25
        let dir = Dir()
        dir.write("request body", other.yaml())
        let want = try CLI.run(["backtest", "--data", Self.simulated, "--against", "request body", "--format", "json", "--quiet"], cwd: dir.path).out
        var object = try JSONSerialization.jsonObject(with: Data(try await request("/api/v1/config").1.utf8)) as! [String: Any]
        var factors = object["factors"] as! [[String: Any]]
        factors[1]["weight"] = (factors[1]["weight"] as! Double) + 25
        object["factors"] = factors
        let (status, text) = try await request("/api/v1/preview", body: try JSONSerialization.data(withJSONObject: object))
        #expect(status == 200 && text == want)
        // SIGHUP reads the tables again: an account removed from the timeline is gone from the studio's data.
        func accounts() async throws -> Int? {
            (try JSONSerialization.jsonObject(with: Data(try await request("/healthz").1.utf8)) as? [String: Any])?["accounts"] as? Int
        }
        #expect(try await accounts() == 2500)
        try server.sql("DELETE FROM timeline WHERE account_id = 'A000001';")
        kill(studio.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<600 where !reloaded {
            if try await accounts() == 2499 { reloaded = true } else { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        #expect(reloaded, "serve --db did not reload on SIGHUP")
        studio.terminate()
        studio.waitUntilExit()
        #expect(studio.terminationStatus == 0)
    }

    /// An activity log in an `events` table (timestamptz times): derive, and the commands on the derived timeline.
    @Test func eventsTableDerivesTheSameTimeline() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.activity, schema: "crm")
        let config = Self.activity + "/config.yaml"
        let files = try CLI.run(["derive", "--data", Self.activity, "--quiet"])
        let tables = try db(server, ["derive", "--schema", "crm"], config: config)
        #expect(files.status == 0 && tables.status == 0, "\(tables.err)")
        #expect(tables.out == files.out && files.out.count > 100_000)
        for command in [["fit"], ["score"], ["backtest"]] {
            let f = try CLI.run(command + ["--data", Self.activity, "--format", "json", "--quiet"])
            let t = try db(server, command + ["--schema", "crm", "--events-table", "events", "--format", "json"], config: config)
            #expect(t.status == 0 && t.out == f.out, "\(command): \(t.err)")
        }
    }

    /// `--to-table`: the CSV's rows with as_of and run_at; running again replaces them (same rows, no copies).
    @Test func writeBackIsIdempotentPerDate() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.simulated)
        func rows(_ table: String) throws -> [String] {
            try server.sql("SELECT * FROM \(table) ORDER BY 1, 2, 3").split(separator: "\n").map { line in
                String(line.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ","))   // without run_at
            }
        }
        for (command, table) in [(["score"], "health_scores"), (["rank"], "churn_risk"), (["alerts"], "alerts_log"),
                                 (["alerts", "--as-of", "2024-06-30"], "alerts_log")] {
            let first = try db(server, command + ["--to-table", table, "--format", "csv"])
            #expect(first.status == 0, "\(first.err)")
            let once = try rows(table)
            let second = try db(server, command + ["--to-table", table, "--format", "csv"])
            #expect(second.status == 0 && second.out == first.out)
            #expect(try rows(table) == once, "\(command)")
        }
        // As many rows as the CSV, with as_of (rank's CSV has none: it is added) and one run_at per run.
        let score = try db(server, ["score", "--format", "csv"]).out.split(separator: "\n").count - 1
        #expect(try server.sql("SELECT count(*), count(DISTINCT run_at), min(as_of) FROM health_scores") == "count,count,min\n\(score),1,2024-12-23\n")
        #expect(try server.sql("SELECT count(DISTINCT as_of) FROM alerts_log") == "count\n2\n")
        let rank = try db(server, ["rank", "--format", "csv"]).out.split(separator: "\n").count - 1
        #expect(try server.sql("SELECT count(*) FROM churn_risk WHERE as_of = DATE '2024-12-23'") == "count\n\(rank)\n")
        // A table that cannot take the rows (another shape): 66 naming it, and its rows untouched (one transaction).
        try server.sql("CREATE TABLE other (as_of date, note text); INSERT INTO other VALUES (DATE '2024-12-23', 'kept');")
        let refused = try db(server, ["score", "--to-table", "other"])
        #expect(refused.status == 66 && refused.err.contains("other"), "\(refused.err)")
        #expect(try server.sql("SELECT note FROM other") == "note\nkept\n")
        #expect(try CLI.run(["score", "--data", Self.simulated, "--to-table", "x"]).status == 64)
    }

    @Test func failuresHaveTheirExitStatusAndNeverShowThePassword() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.simulated)
        let config = Self.simulated + "/config.yaml"
        func run(_ url: String, _ extra: [String] = [], env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
            try CLI.run(["fit", "--db", url, "--config", config, "--quiet"] + extra, environment: env)
        }
        let secret = server.password
        // Nothing listens: 69, naming host and port.
        var closed = 0
        for _ in 0..<20 { let p = 20_000 + Int.random(in: 0..<20_000); if PostgresServer.portIsFree(p) { closed = p; break } }
        let unreachable = try run("postgresql://postgres:\(secret)@127.0.0.1:\(closed)/postgres")
        #expect(unreachable.status == 69 && unreachable.err.contains("127.0.0.1:\(closed)"), "\(unreachable.err)")
        // A wrong password, or none: 77.
        let wrong = try run("postgresql://postgres:not-\(secret)@127.0.0.1:\(server.port)/postgres")
        #expect(wrong.status == 77, "\(wrong.err)")
        #expect(try run(server.url).status == 77)
        // The URL's password works like PGPASSWORD.
        #expect(try run("postgresql://postgres:\(secret)@127.0.0.1:\(server.port)/postgres").status == 0)
        // A missing table, database or column: 66, naming it.
        let noTable = try run(server.url, ["--timeline-table", "nothing_here"], env: server.environment)
        #expect(noTable.status == 66 && noTable.err.contains("nothing_here"), "\(noTable.err)")
        #expect(try run("postgresql://postgres@127.0.0.1:\(server.port)/nodb", env: server.environment).status == 66)
        try server.sql("CREATE VIEW no_date AS SELECT account_id, \"date\" AS day, tasks FROM timeline;")
        let noColumn = try run(server.url, ["--timeline-table", "no_date"], env: server.environment)
        #expect(noColumn.status == 66 && noColumn.err.contains("'date'"), "\(noColumn.err)")
        // Bad values: 65 with the table, the key, the column and the value — also where the push-down reads no row.
        try server.sql("""
            CREATE VIEW nan_value AS SELECT account_id, "date", CASE WHEN account_id = 'A000009' AND "date" = DATE '2024-12-23'
              THEN CAST('NaN' AS double precision) ELSE tasks END AS tasks, usage FROM timeline;
            CREATE VIEW bad_risk AS SELECT account_id, "date", tasks, CASE WHEN account_id = 'A000007' THEN 'severe' ELSE risk END AS risk FROM timeline;
            CREATE VIEW twice AS SELECT * FROM timeline UNION ALL SELECT * FROM timeline WHERE account_id = 'A000002';
            CREATE VIEW bad_outcome AS SELECT account_id, "date", CASE WHEN account_id = 'A000001' THEN 'lost' ELSE outcome END AS outcome, arr FROM outcomes;
            """)
        for (extra, table, column, value) in [(["--timeline-table", "nan_value"], "nan_value", "tasks", "nan"),
                                              (["--timeline-table", "bad_risk"], "bad_risk", "risk", "severe"),
                                              (["--timeline-table", "twice"], "twice", "date", "2023-01-02"),
                                              (["--outcomes-table", "bad_outcome"], "bad_outcome", "outcome", "lost")] {
            for command in ["fit", "survival"] {
                let r = try CLI.run([command, "--db", server.url, "--config", config, "--quiet"] + extra, environment: server.environment)
                #expect(r.status == 65, "\(command) \(table): \(r.err)")
                #expect(r.err.contains(table) && r.err.contains("account_id=A0000") && r.err.contains("'\(column)'") && r.err.contains("\"\(value)\""),
                        "\(command) \(table): \(r.err)")
            }
        }
        // An empty id, an infinite date and a -Infinity, each in a row that no as-of state reads: refused by `fit`
        // (its check without grouping, then the full read locates it) and `score` alike.
        try server.sql("""
            CREATE VIEW no_id AS SELECT CASE WHEN account_id = 'A000009' AND "date" = DATE '2024-12-23' THEN NULL ELSE account_id END
              AS account_id, "date", tasks, risk FROM timeline;
            CREATE VIEW endless AS SELECT account_id, CASE WHEN account_id = 'A000009' AND "date" = DATE '2024-12-23'
              THEN DATE 'infinity' ELSE "date" END AS "date", tasks, risk FROM timeline;
            CREATE VIEW minus_inf AS SELECT account_id, "date", CASE WHEN account_id = 'A000009' AND "date" = DATE '2024-12-23'
              THEN CAST('-Infinity' AS double precision) ELSE tasks END AS tasks, risk FROM timeline;
            """)
        for (view, says) in [("no_id", "account_id is empty"), ("endless", "a row needs a finite date"), ("minus_inf", "\"-inf\"")] {
            for command in ["fit", "score"] {
                let r = try CLI.run([command, "--db", server.url, "--config", config, "--quiet", "--timeline-table", view],
                                    environment: server.environment)
                // `score` asks for the table's last date first, which an infinite one leaves undefined.
                let message = command == "score" && view == "endless" ? "the timeline has no valid dates" : says
                #expect(r.status == 65 && r.err.contains(view) && r.err.contains(message), "\(command) \(view): \(r.err)")
            }
        }
        // A bad URL: 64, its password masked.
        let bad = try CLI.run(["fit", "--db", "postgresql://postgres:\(secret)@127.0.0.1:\(server.port)", "--config", config])
        #expect(bad.status == 64 && bad.err.contains("***"))
        for r in [unreachable, wrong, noTable, noColumn, bad] { #expect(!r.err.contains(secret) && !r.out.contains(secret)) }
        // --db with files is a usage error.
        #expect(try CLI.run(["fit", "--db", server.url, "--data", Self.simulated]).status == 64)
    }
}

/// docs/database.md's example: the fight-churn book's schema seen through `docs/fightchurn_views.sql` — events,
/// outcomes and accounts derived by the views, read by `validate`, `derive` and `fit`.
@Suite(.serialized, .enabled(if: PostgresServer.available, "PostgreSQL is installed (scripts/setup.sh)"))
struct FightChurnViewsTests {
    @Test func theBooksSchemaThroughTheViews() throws {
        let server = try PostgresServer()
        // A small company in the book's schema: 40 accounts on monthly base plans (with an add-on line), those
        // that log in less churning sooner; logins and meetings as events.
        var sql = """
            CREATE TABLE account (id integer PRIMARY KEY, channel text, date_of_birth date, country char(2));
            CREATE TABLE subscription (id integer PRIMARY KEY, account_id integer NOT NULL, product text NOT NULL, start_date date NOT NULL,
              end_date date, mrr double precision NOT NULL, quantity double precision, units text, bill_period_months integer NOT NULL);
            CREATE TABLE event_type (event_type_id integer PRIMARY KEY, event_type_name text NOT NULL);
            CREATE TABLE event (account_id integer NOT NULL, event_time timestamp NOT NULL, event_type_id integer NOT NULL, user_id integer);
            INSERT INTO event_type VALUES (0, 'login'), (1, 'meeting');

            """
        var sub = 0
        for a in 0..<40 {
            sql += "INSERT INTO account VALUES (\(a), '\(["web", "appstore", "partner"][a % 3])', DATE '1990-01-01', 'US');\n"
            let months = 3 + (a * 7) % 10                    // periods before the account stops
            let activity = 1 + a % 5                          // logins a day
            for m in 0..<months {
                let start = "DATE '2022-01-01' + INTERVAL '\(m) month'", end = "DATE '2022-01-01' + INTERVAL '\(m + 1) month'"
                sql += "INSERT INTO subscription VALUES (\(sub), \(a), '\(a % 2 == 0 ? "standard" : "pro")', \(start), \(end), \(100 + 10 * (a % 4)), 10, 'users', 1);\n"
                sql += "INSERT INTO subscription VALUES (\(sub + 1), \(a), 'addon', \(start), \(end), 20, 1, 'seats', 1);\n"
                sub += 2
            }
            sql += """
                INSERT INTO event SELECT \(a), TIMESTAMP '2022-01-01 09:30' + d * INTERVAL '1 day' + k * INTERVAL '1 minute', 0, 1
                  FROM generate_series(0, \(months * 30 - 1)) AS d, generate_series(1, \(activity) + d % 3) AS k;
                INSERT INTO event SELECT \(a), TIMESTAMP '2022-01-03 14:00' + d * INTERVAL '\(7 * (1 + a % 3)) day', 1, 1
                  FROM generate_series(0, \(months * 4 / (1 + a % 3))) AS d;

                """
        }
        try server.sql(sql)
        try server.sql(try String(contentsOfFile: repoRoot + "/docs/fightchurn_views.sql", encoding: .utf8))
        let config = Dir()
        let path = config.write("config.yaml", """
            factors:
              - {name: logins, weight: 60, scale: {min: 0, max: 150}}
              - {name: meetings, weight: 40, scale: {min: 0, max: 4}}
            bands:
              - {name: red, below: 40}
              - {name: yellow, below: 70}
              - {name: green}
            metrics:
              every: 7
              start: 2022-01-03
              factors:
                - {name: logins, count: [login], window: 28}
                - {name: meetings, count: [meeting], window: 28}
            """)
        func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
            try CLI.run(args + ["--db", server.url, "--schema", "health", "--events-table", "events", "--config", path, "--quiet"],
                        environment: server.environment)
        }
        let validate = try run(["validate", "--format", "json"])
        #expect(validate.status == 0, "\(validate.out) \(validate.err)")
        #expect(validate.out.contains("\"file\": \"health.outcomes\"") && validate.out.contains("\"churned\": 40"), "\(validate.out)")
        let derived = try run(["derive"])
        #expect(derived.status == 0 && derived.out.hasPrefix("account_id,date,logins,meetings\n"), "\(derived.err)")
        let fit = try run(["fit", "--format", "json"])
        #expect(fit.status == 0 && fit.out.contains("\"name\": \"logins\""), "\(fit.err)")
    }
}
