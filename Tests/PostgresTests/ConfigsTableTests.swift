import AccountHealth
import AccountHealthPostgres
import Foundation
import Testing
import TestSupport

/// The configuration history in a table (DESIGN §15), on a real throw-away server: `config new --db` inserts a
/// row in one transaction and refuses duplicates as the folder does; `--configs-table` replays the same history
/// as the folder gives on the files.
@Suite(.serialized, .enabled(if: PostgresServer.available, "PostgreSQL is installed (scripts/setup.sh)"))
struct ConfigsTableTests {
    static let simulated = repoRoot + "/datasets/simulated"

    @Test func theTableHoldsTheSameHistoryAsTheFolder() throws {
        let server = try PostgresServer()
        try load(server, dataset: Self.simulated)
        let dir = Dir()
        let base = try String(contentsOfFile: Self.simulated + "/config.yaml", encoding: .utf8)
        let v1 = dir.write("v1.yaml", base)
        let v2 = dir.write("v2.yaml", base.replacingOccurrences(of: "name: qbr, weight: 10", with: "name: qbr, weight: 25"))
        let db = ["--db", server.url, "--configs-table", "score_configs", "--quiet"]
        let folder = dir.path + "/configs"
        for (file, id, date) in [(v1, "v1", "2023-01-01"), (v2, "v2", "2023-09-01")] {
            let t = try CLI.run(["config", "new", file, "--id", id, "--effective-from", date, "--author", "ana",
                                 "--note", "n \(id)", "--format", "json"] + db, environment: server.environment)
            #expect(t.status == 0, "\(t.err)")
            let f = try CLI.run(["config", "new", file, "--configs", folder, "--id", id, "--effective-from", date,
                                 "--author", "ana", "--note", "n \(id)", "--data", Self.simulated, "--quiet", "--format", "json"])
            #expect(f.status == 0, "\(f.err)")
            // The same evidence from the tables as from the files.
            func evidence(_ text: String) throws -> String {
                let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                guard let e = o["evidence"], !(e is NSNull) else { return "none" }
                return String(decoding: try JSONSerialization.data(withJSONObject: e, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try evidence(t.out) == evidence(f.out), "\(t.out) \(f.out)")
            #expect(try evidence(t.out) != "none" || id == "v1")
        }
        let rows = try server.sql("SELECT id, effective_from, author, note, evidence IS NOT NULL, created_at IS NOT NULL FROM score_configs ORDER BY 1")
        #expect(rows.contains("v1,2023-01-01,ana,n v1,f,t") && rows.contains("v2,2023-09-01,ana,n v2,t,t"), "\(rows)")
        // Duplicates are refused, nothing inserted.
        for (id, date) in [("v2", "2024-01-01"), ("v3", "2023-09-01")] {
            let r = try CLI.run(["config", "new", v2, "--id", id, "--effective-from", date] + db, environment: server.environment)
            #expect(r.status == 65 && r.err.contains("score_configs"), "\(r.err)")
        }
        #expect(try server.sql("SELECT count(*) FROM score_configs").contains("2"))
        // list and diff read the table.
        let list = try CLI.run(["config", "list", "--format", "csv"] + db, environment: server.environment)
        #expect(list.out.contains("v1,2023-01-01,ana,n v1") && list.out.contains("v2,2023-09-01,ana,n v2"), "\(list.err)")
        let diff = try CLI.run(["config", "diff", "v1", "v2", "--format", "csv"] + db, environment: server.environment)
        #expect(diff.out == "path,old,new\nfactors.qbr.weight,10,25\n", "\(diff.err)")
        // A replay under the table's history equals the folder's on the files.
        let fromTable = try CLI.run(["score", "--every", "60", "--format", "csv"] + db, environment: server.environment)
        let fromFolder = try CLI.run(["score", "--data", Self.simulated, "--configs", folder, "--every", "60", "--format", "csv", "--quiet"])
        #expect(fromTable.status == 0 && fromTable.out == fromFolder.out, "\(fromTable.err)")
        #expect(fromTable.out.hasPrefix("account_id,as_of,score,band,config_version,change,change_same_config"))
        // --configs-table with --config is a usage error.
        let both = try CLI.run(["score", "--config", v1] + db, environment: server.environment)
        #expect(both.status == 64)
    }
}
