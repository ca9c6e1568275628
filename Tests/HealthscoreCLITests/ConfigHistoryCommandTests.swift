import AccountHealth
import Foundation
import Testing
import TestSupport

/// `--configs`, `config list|show|diff|new` end to end on the bundled data (DESIGN §15).
@Suite(.serialized) struct ConfigHistoryCommandTests {
    static let data = CLI.packageRoot + "/datasets/simulated"

    /// A history folder of three versions (v2 weighs QBR more, v3 raises the high-risk penalty).
    static func history() throws -> Dir {
        let d = Dir()
        let base = try String(contentsOfFile: data + "/config.yaml", encoding: .utf8)
        try FileManager.default.createDirectory(atPath: d.path + "/configs", withIntermediateDirectories: false)
        d.write("configs/2023-01-01-v1.yaml", "version: {id: v1, effective_from: 2023-01-01, note: first}\n" + base)
        d.write(
            "configs/2023-09-01-v2.yaml",
            "version: {id: v2, effective_from: 2023-09-01, note: QBR}\n"
                + base.replacingOccurrences(of: "name: qbr, weight: 10", with: "name: qbr, weight: 25"))
        d.write(
            "configs/2024-03-01-v3.yaml",
            "version: {id: v3, effective_from: 2024-03-01}\n" + base.replacingOccurrences(of: "high: 20", with: "high: 30"))
        return d
    }

    /// The replay's columns, and every date equal to `score --config <that version>` at that date.
    @Test func replayUnderTheHistoryMatchesEachVersion() throws {
        let h = try Self.history()
        let replay = try CLI.run(
            ["score", "--data", Self.data, "--configs", h.path + "/configs", "--every", "60", "--format", "csv", "--quiet"])
        #expect(replay.status == 0, "\(replay.err)")
        let rows = parseCSV(replay.out)
        #expect(Array(rows[0].prefix(7)) == ["account_id", "as_of", "score", "band", "config_version", "change",
                                               "change_same_config"])
        let byDate = Dictionary(grouping: rows.dropFirst(), by: { $0[1] })
        #expect(Set(rows.dropFirst().map { $0[4] }) == ["v1", "v2", "v3"])
        for (date, dateRows) in byDate {
            let version = dateRows[0][4]
            let file = try FileManager.default.contentsOfDirectory(atPath: h.path + "/configs").first { $0.hasSuffix("-\(version).yaml") }!
            let single = try CLI.run(
                ["score", "--data", Self.data, "--config", h.path + "/configs/" + file, "--as-of", date, "--format", "csv",
                 "--quiet"])
            let expected = parseCSV(single.out).dropFirst()
            #expect(dateRows.map { $0[2] } == expected.map { $0[2] }, "\(date)")
            #expect(dateRows.map { $0[6] } == expected.map { $0[4] }, "change_same_config on \(date)")
        }
        // JSON: the same keys.
        let json = try CLI.run(
            ["score", "--data", Self.data, "--configs", h.path + "/configs", "--format", "json", "--quiet"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        let first = (obj["scores"] as! [[String: Any]])[0]
        #expect(first["config_version"] as? String == "v3" && first.keys.contains("change_same_config"))
        // Without a history, neither column.
        let plain = try CLI.run(["score", "--data", Self.data, "--format", "csv", "--quiet"])
        #expect(!plain.out.prefix(200).contains("config_version"))
    }

    /// configs/ inside --data is the history; --config FILE still means one version; both flags: 64.
    @Test func theHistoryFolderOfTheDataDirectoryAndTheFlags() throws {
        let h = try Self.history()
        for f in ["timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml"] {
            try FileManager.default.copyItem(atPath: Self.data + "/" + f, toPath: h.path + "/" + f)
        }
        let r = try CLI.run(["score", "--data", h.path, "--as-of", "2023-10-01", "--format", "csv", "--quiet"])
        #expect(parseCSV(r.out)[1][4] == "v2", "\(r.err)")
        let one = try CLI.run(
            ["score", "--data", h.path, "--config", Self.data + "/config.yaml", "--format", "csv", "--quiet"])
        #expect(one.status == 0 && !one.out.prefix(200).contains("config_version"))
        let both = try CLI.run(
            ["score", "--data", h.path, "--config", Self.data + "/config.yaml", "--configs", h.path + "/configs"])
        #expect(both.status == 64)
        let list = try CLI.run(["config", "list", "--data", h.path, "--format", "json"])
        let versions = (try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as! [String: Any])["versions"]
            as! [[String: Any]]
        #expect(versions.map { $0["id"] as! String } == ["v1", "v2", "v3"])
        #expect(versions.allSatisfy { Set($0.keys).isSuperset(of: ["id", "effective_from", "author", "note"]) })
        let explain = try CLI.run(
            ["explain", "--data", h.path, "--account", "A000001", "--from", "2023-08-15", "--to", "2023-09-20",
             "--format", "json"])
        let w = try JSONSerialization.jsonObject(with: Data(explain.out.utf8)) as! [String: Any]
        let steps = w["steps"] as! [[String: Any]]
        #expect(steps[0]["kind"] as? String == "configuration")
        let sum = steps.reduce(0.0) { $0 + ($1["points"] as! Double) }
        #expect(abs(sum - (w["change"] as! Double)) < 1e-12)
        #expect(w["from_version"] as? String == "v1" && w["to_version"] as? String == "v2")
    }

    @Test func diffShowsEveryChangeInEveryFormat() throws {
        let h = try Self.history()
        let dir = h.path + "/configs"
        let csv = try CLI.run(["config", "diff", "v1", "v3", "--configs", dir, "--format", "csv"])
        #expect(csv.out == "path,old,new\nrisk_penalty.high,20,30\n")
        let json = try CLI.run(["config", "diff", "v1", "v2", "--configs", dir, "--format", "json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        #expect(obj["from"] as? String == "v1" && obj["to"] as? String == "v2")
        let changes = obj["changes"] as! [[String: Any]]
        #expect(changes.count == 1 && changes[0]["path"] as? String == "factors.qbr.weight")
        #expect(changes[0]["old"] as? String == "10" && changes[0]["new"] as? String == "25")
        let table = try CLI.run(["config", "diff", "v1", "v2", "--configs", dir, "--format", "table"])
        #expect(table.out.contains("factors.qbr.weight") && table.out.contains("1 change(s)"))
        let unknown = try CLI.run(["config", "diff", "v1", "v9", "--configs", dir])
        #expect(unknown.status == 64 && unknown.err.contains("v1, v2, v3"))
        let show = try CLI.run(["config", "show", "v2", "--configs", dir, "--format", "table"])
        #expect(show.out.hasPrefix("version:\n  id: \"v2\"") && show.out.contains("weight: 25"))
    }

    /// `config new` writes the version with its evidence; each bad case exits with a located message and leaves
    /// the folder unchanged.
    @Test func newRefusesEveryBadCaseAndLeavesTheFolderUnchanged() throws {
        let h = try Self.history()
        let dir = h.path + "/configs"
        let proposal = h.write(
            "proposal.yaml",
            try String(contentsOfFile: Self.data + "/config.yaml", encoding: .utf8)
                .replacingOccurrences(of: "name: tasks, weight: 20", with: "name: tasks, weight: 30"))
        let ok = try CLI.run(
            ["config", "new", proposal, "--configs", dir, "--id", "v4", "--effective-from", "2024-06-01", "--author", "bo",
             "--note", "tasks", "--data", Self.data, "--quiet", "--format", "json"])
        #expect(ok.status == 0, "\(ok.err)")
        let made = try JSONSerialization.jsonObject(with: Data(ok.out.utf8)) as! [String: Any]
        let evidence = made["evidence"] as! [String: Any]
        expectKeys(evidence, ["against", "horizon_days", "step_days", "auc_before", "auc_after", "lift_before",
                              "lift_after", "accounts_changing_band"])
        #expect(evidence["against"] as? String == "v3")
        // The evidence is backtest --against's summary.
        let bt = try CLI.run(
            ["backtest", "--data", Self.data, "--config", dir + "/2024-03-01-v3.yaml", "--against", proposal, "--format",
             "json", "--quiet"])
        let btj = try JSONSerialization.jsonObject(with: Data(bt.out.utf8)) as! [String: Any]
        let against = btj["against"] as! [String: Any]
        let matrix = against["band_matrix"] as! [String: Any]
        #expect(matrix["accounts_changing_band"] as? Int == evidence["accounts_changing_band"] as? Int)
        #expect((against["other"] as! [String: Any])["auc"] as? Double == evidence["auc_after"] as? Double)
        #expect((against["current"] as! [String: Any])["auc"] as? Double == evidence["auc_before"] as? Double)
        let listed = try CLI.run(["config", "list", "--configs", dir, "--format", "csv"])
        #expect(listed.out.contains("v4,2024-06-01,bo,tasks"))

        let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let notAFolder = h.write("plain-file", "x")
        let bad = h.write("bad.yaml", "factors: [{name: a, weight: -1}]\n")
        let cases: [([String], Int32, String)] = [
            (["--id", "v4", "--effective-from", "2024-07-01"], 65, "2024-06-01-v4.yaml"),
            (["--id", "v5", "--effective-from", "2024-06-01"], 65, "2024-06-01-v4.yaml"),
            (["--id", "../v5", "--effective-from", "2024-08-01"], 65, "plain name"),
            (["--id", "a/b", "--effective-from", "2024-08-01"], 65, "plain name"),
            (["--id", "v6", "--effective-from", "2024-02-30"], 64, "effective-from"),
        ]
        for (args, status, message) in cases {
            let r = try CLI.run(["config", "new", proposal, "--configs", dir] + args)
            #expect(r.status == status && r.err.contains(message), "\(args): \(r.status) \(r.err)")
        }
        let badConfig = try CLI.run(["config", "new", bad, "--configs", dir, "--id", "v7", "--effective-from", "2024-09-01"])
        #expect(badConfig.status == 65 && badConfig.err.contains("bad.yaml"))
        let unwritable = try CLI.run(
            ["config", "new", proposal, "--configs", notAFolder, "--id", "v8", "--effective-from", "2024-10-01"])
        #expect(unwritable.status == 66, "\(unwritable.err)")
        let missing = try CLI.run(
            ["config", "new", proposal, "--configs", h.path + "/no/such", "--id", "v8", "--effective-from", "2024-10-01"])
        #expect(missing.status == 66, "\(missing.err)")
        // A folder without write permission (only meaningful when not root, who may write anywhere).
        if getuid() != 0 {
            chmod(dir, 0o555)
            defer { chmod(dir, 0o755) }
            let denied = try CLI.run(
                ["config", "new", proposal, "--configs", dir, "--id", "v9", "--effective-from", "2024-11-01"])
            #expect(denied.status == 66 && denied.err.contains(dir), "\(denied.err)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == before)
    }
}

extension ConfigHistoryCommandTests {
    /// The report under a history: the versions listed with their notes, and a marker on the bands-over-time chart
    /// where each later version took effect.
    @Test func theReportListsTheVersionsAndMarksThem() throws {
        let h = try Self.history()
        let out = h.path + "/report"
        let r = try CLI.run(["report", "--data", Self.data, "--configs", h.path + "/configs", "--output", out,
                             "--bootstrap", "0", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(md.contains("## Configuration history") && md.contains("| v2 | 2023-09-01 |  | QBR |"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<line class=\"version\"").count - 1 == 2)
        #expect(html.contains("<title>configuration v3</title>"))
    }
}

extension ConfigHistoryCommandTests {
    /// `validate` checks the history instead of config.yaml: a duplicate id is an error naming both files (65).
    @Test func validateChecksTheHistory() throws {
        let h = try Self.history()
        for f in ["timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml"] {
            try FileManager.default.copyItem(atPath: Self.data + "/" + f, toPath: h.path + "/" + f)
        }
        let ok = try CLI.run(["validate", "--data", h.path, "--format", "json", "--quiet"])
        let obj = try JSONSerialization.jsonObject(with: Data(ok.out.utf8)) as! [String: Any]
        #expect(ok.status == 0 && (obj["config"] as? [String: Any])?["file"] as? String == h.path + "/configs")
        let v3 = try String(contentsOfFile: h.path + "/configs/2024-03-01-v3.yaml", encoding: .utf8)
        h.write("configs/2024-05-01-again.yaml", v3.replacingOccurrences(of: "effective_from: 2024-03-01",
                                                                       with: "effective_from: 2024-05-01"))
        let bad = try CLI.run(["validate", "--data", h.path, "--format", "csv", "--quiet"])
        #expect(bad.status == 65 && bad.out.contains("2024-05-01-again.yaml") && bad.out.contains("2024-03-01-v3.yaml"))
    }
}
