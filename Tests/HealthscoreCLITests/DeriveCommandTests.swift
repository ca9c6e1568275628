import AccountHealth
import Foundation
import Testing
import TestSupport

/// `derive` (DESIGN §9) against the independent reference Tests/Reference/derive_reference.py, its bad
/// inputs, and the events source on the other commands.
@Suite(.serialized) struct DeriveCommandTests {
    static let fixture = CLI.packageRoot + "/Tests/AccountHealthTests/Fixtures/derive"
    static let activity = CLI.packageRoot + "/datasets/activity"

    func reference(_ events: String, _ metrics: String) throws -> String {
        let r = try CLI.runTool("/usr/bin/env", ["python3", CLI.packageRoot + "/Tests/Reference/derive_reference.py", events, metrics])
        #expect(r.status == 0, "\(r.err)")
        return r.out
    }

    /// Cell by cell: the same rows in the same order, the same empty cells, numbers equal (to 1e-12 relative:
    /// the reference sums with math.fsum, derive with compensated prefix sums).
    func expectSameTimeline(_ ours: String, _ theirs: String, _ what: String) {
        let a = parseCSV(ours), b = parseCSV(theirs)
        #expect(a.count == b.count && a.first == b.first, "\(what): \(a.count) vs \(b.count) lines")
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            #expect(x.count == y.count && x[0] == y[0] && x[1] == y[1], "\(what): row \(x.prefix(2)) vs \(y.prefix(2))")
            for (u, v) in zip(x.dropFirst(2), y.dropFirst(2)) {
                if u.isEmpty || v.isEmpty { #expect(u == v, "\(what) \(x.prefix(2)): '\(u)' vs '\(v)'"); continue }
                guard let p = Double(u), let q = Double(v) else { Issue.record("\(what) \(x.prefix(2)): '\(u)' vs '\(v)'"); continue }
                #expect(abs(p - q) <= 1e-12 * max(1, abs(q)), "\(what) \(x.prefix(2)): \(u) vs \(v)")
            }
        }
    }

    @Test func handMadeCasesEqualTheReference() throws {
        let f = Self.fixture
        let r = try CLI.run(["derive", "--events", f + "/events.csv", "--metrics", f + "/metrics.yaml"])
        #expect(r.status == 0, "\(r.err)")
        expectSameTimeline(r.out, try reference(f + "/events.csv", f + "/metrics.yaml"), "hand-made cases")
        // The soft problems are said, and counted.
        #expect(r.err.contains("'no_such_type'") && r.err.contains("2 event row(s) exactly repeat"))
    }

    @Test func bundledEventsEqualTheReference() throws {
        let a = Self.activity
        let d = Dir()
        let r = try CLI.run(["derive", "--data", a, "--output", d.path + "/timeline.csv"])
        #expect(r.status == 0, "\(r.err)")
        let ours = try String(contentsOfFile: d.path + "/timeline.csv", encoding: .utf8)
        expectSameTimeline(ours, try reference(a + "/events.csv", a + "/config.yaml"), "datasets/activity")
        #expect(parseCSV(ours).count == 25_193)
    }

    /// Every command that reads a timeline takes the events: `--data` with events.csv, or `--events`.
    @Test func commandsRunOnTheActivityLog() throws {
        let a = Self.activity
        let score = try CLI.run(["score", "--data", a, "--as-of", "2024-06-30", "--format", "csv"])
        #expect(score.status == 0, "\(score.err)")
        #expect(parseCSV(score.out).count > 200)
        let fit = try CLI.run(["fit", "--data", a, "--format", "json"])
        #expect(fit.status == 0, "\(fit.err)")
        let o = try JSONSerialization.jsonObject(with: Data(fit.out.utf8)) as! [String: Any]
        #expect(((o["cv"] as! [String: Any])["auc"] as! Double) > 0.65)
        // The same through --events and --metrics, from another directory's files.
        let d = Dir()
        let explicit = try CLI.run(["score", "--events", a + "/events.csv", "--metrics", a + "/config.yaml", "--config", a + "/config.yaml",
                                    "--as-of", "2024-06-30", "--format", "csv"])
        #expect(explicit.status == 0 && explicit.out == score.out, "\(explicit.err)")
        // A derived timeline written to a file and read back scores the same.
        _ = try CLI.run(["derive", "--data", a, "--output", d.path + "/timeline.csv"])
        let back = try CLI.run(["score", "--timeline", d.path + "/timeline.csv", "--config", a + "/config.yaml", "--as-of", "2024-06-30", "--format", "csv"])
        #expect(back.status == 0 && back.out == score.out)
        let both = try CLI.run(["score", "--timeline", d.path + "/timeline.csv", "--events", a + "/events.csv"])
        #expect(both.status == 64)
    }

    /// validate checks an activity log like a timeline: the derived timeline's coverage, the soft problems of
    /// deriving it, and every bad row located (exit 65).
    @Test func validateReadsTheActivityLog() throws {
        let v = try CLI.run(["validate", "--data", Self.activity, "--format", "json"])
        #expect(v.status == 0, "\(v.err)")
        let o = try JSONSerialization.jsonObject(with: Data(v.out.utf8)) as! [String: Any]
        let t = o["timeline"] as! [String: Any]
        #expect((t["file"] as! String).hasSuffix("events.csv") && t["rows"] as! Int == 25_192 && t["accounts"] as! Int == 250)
        let kinds = (o["problems"] as! [[String: Any]]).map { $0["kind"] as! String }
        #expect(kinds == ["duplicate_events"])
        let d = Dir()
        let bad = d.write("events.csv", "account_id,time,type\nA,2024-01-01,note\nB,yesterday,note\n")
        let m = d.write("m.yaml", "metrics:\n  factors:\n    - {name: n, count: [note]}\n")
        let r = try CLI.run(["validate", "--events", bad, "--metrics", m, "--format", "json"])
        #expect(r.status == 65 && r.out.contains("\"invalid_date\"") && r.err.contains("\(bad):3:2"), "\(r.err)")
    }

    @Test func badEventsAndMetricsAreLocated() throws {
        let d = Dir()
        let good = "metrics:\n  factors:\n    - {name: n, count: [note], window: 7}\n"
        let m = d.write("m.yaml", good)
        // A bad time: file, line, column and value.
        let e1 = d.write("e1.csv", "account_id,time,type\nA,2024-01-01,note\nA,2024-01-02T25:00Z,note\n")
        let r1 = try CLI.run(["derive", "--events", e1, "--metrics", m])
        #expect(r1.status == 65 && r1.err.contains("\(e1):3:2") && r1.err.contains("2024-01-02T25:00Z"), "\(r1.err)")
        let e2 = d.write("e2.csv", "account_id,time,type,value\nA,2024-01-01,note,abc\n")
        let r2 = try CLI.run(["derive", "--events", e2, "--metrics", m])
        #expect(r2.status == 65 && r2.err.contains("\(e2):2:4") && r2.err.contains("abc"), "\(r2.err)")
        let ok = d.write("ok.csv", "account_id,time,type\nA,2024-01-01,note\n")
        // Metric definitions: each defect names the YAML path and the value.
        let cases: [(String, String)] = [
            ("metrics:\n  factors:\n    - {name: n, median: [note], window: 7}\n", "metrics.factors[0].median"),
            ("metrics:\n  factors:\n    - {name: n, count: [note], window: 0}\n", "metrics.factors[0].window"),
            ("metrics:\n  factors:\n    - {name: n, count: [note], window: 2.5}\n", "metrics.factors[0].window"),
            ("metrics:\n  every: -7\n  factors:\n    - {name: n, count: [note]}\n", "metrics.every"),
            ("metrics:\n  factors:\n    - {name: n, count: [note]}\n    - {name: N, sum: [note]}\n", "metrics.factors[1].name"),
            ("metrics:\n  factors:\n    - {name: n, count: []}\n", "metrics.factors[0].count"),
            ("metrics:\n  factors:\n    - {name: n, window: 7}\n", "metrics.factors[0]"),
            ("metrics:\n  start: 2024-02-30\n  factors:\n    - {name: n, count: [note]}\n", "metrics.start"),
        ]
        for (yaml, path) in cases {
            let bad = d.write("bad.yaml", yaml)
            let r = try CLI.run(["derive", "--events", ok, "--metrics", bad])
            #expect(r.status == 65 && r.err.contains(path) && r.err.contains("bad.yaml:"), "\(path): \(r.status) \(r.err)")
        }
        // No metrics anywhere: a usage error naming what to pass; a missing events file: 66.
        let none = try CLI.run(["derive", "--events", ok])
        #expect(none.status == 64 && none.err.contains("--metrics"), "\(none.err)")
        let missing = try CLI.run(["derive", "--events", d.path + "/nope.csv", "--metrics", m])
        #expect(missing.status == 66)
    }
}

/// The fight-churn crm6 run (shared/data/fightchurn-crm6, beside the repository) derived from its activity
/// log equals the timeline convert.py built from the same counts.
@Suite(.serialized) struct FightChurnDeriveTests {
    static let shared = URL(fileURLWithPath: CLI.packageRoot).deletingLastPathComponent().appendingPathComponent("shared/data/fightchurn-crm6").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: shared + "/event_daily.csv.gz"), "the crm6 run is in shared/data"))
    func derivedFactorsEqualTheConvertedTimeline() throws {
        let d = Dir()
        let crm6 = CLI.packageRoot + "/datasets/fightchurn-crm6"
        let ev = try CLI.runTool("/usr/bin/env", ["python3", crm6 + "/events.py", Self.shared, d.path + "/events.csv"])
        #expect(ev.status == 0, "\(ev.err)")
        let r = try CLI.run(["derive", "--events", d.path + "/events.csv", "--metrics", crm6 + "/metrics.yaml", "--output", d.path + "/derived.csv"])
        #expect(r.status == 0, "\(r.err)")
        let derived = parseCSV(try String(contentsOfFile: d.path + "/derived.csv", encoding: .utf8))
        let converted = parseCSV(try String(contentsOfFile: crm6 + "/timeline.csv", encoding: .utf8))
        let dh = derived[0], ch = converted[0]
        var byKey: [String: [String]] = [:]
        for row in derived.dropFirst() { byKey[row[0] + "," + row[1]] = row }
        var first: [String: String] = [:], last: [String: String] = [:]
        var mismatches = 0
        for row in converted.dropFirst() {
            first[row[0]] = min(first[row[0]] ?? row[1], row[1]); last[row[0]] = max(last[row[0]] ?? row[1], row[1])
            guard let mine = byKey[row[0] + "," + row[1]] else { mismatches += 1; continue }
            for (j, name) in dh.enumerated().dropFirst(2) where mine[j] != row[ch.firstIndex(of: name)!] { mismatches += 1 }
        }
        // Every converted row is derived, every one of its 12 event counts equal (seats is not an event).
        #expect(mismatches == 0 && converted.count == 30_585)
        // The derived rows convert.py has not are the ones its subscription rules leave out (README).
        var before = 0, after = 0, noTimeline = 0
        for row in derived.dropFirst() where !converted.isEmpty {
            guard let lo = first[row[0]], let hi = last[row[0]] else { noTimeline += 1; continue }
            if row[1] < lo { before += 1 } else if row[1] > hi { after += 1 }
        }
        #expect(derived.count - 1 == 30_584 + before + after + noTimeline)
        #expect(before == 3_431 && after == 3_005 && noTimeline == 319)
    }
}

/// `healthscore sql COMMAND` prints the push-down SQL (DESIGN §10); PostgresTests runs it on real servers.
@Suite struct SQLCommandTests {
    @Test func printsStandardSQLForEveryAsOfCommand() throws {
        let data = CLI.packageRoot + "/datasets/simulated"
        for args in [["score"], ["score", "--as-of", "2024-06-30"], ["fit", "--horizon", "120"], ["indicators", "--horizons", "30,90"],
                     ["rank", "--as-of", "2024-06-30"], ["compare"], ["backtest", "--from", "2024-01-01", "--to", "2024-06-30"]] {
            let r = try CLI.run(["sql"] + args + ["--data", data, "--schema", "crm", "--timeline-table", "health_history"])
            #expect(r.status == 0, "\(args): \(r.err)")
            let sql = r.out.lowercased()
            #expect(sql.contains("with q as") && sql.contains("\"crm\".\"health_history\""), "\(args)")
            #expect(!sql.contains("generate_series") && !sql.contains("distinct on"), "\(args)")
        }
        let none = try CLI.run(["sql", "fit", "--timeline", data + "/timeline.csv"])
        #expect(none.status == 64 && none.err.contains("--config"))
        let bad = try CLI.run(["sql", "backtest", "--data", data])
        #expect(bad.status == 64)
    }
}
