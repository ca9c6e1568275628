import AccountHealth
import AccountHealthStudio
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// The tuner saves a configuration version (DESIGN §15): only behind a token, only into the --configs folder; a
/// duplicate is a 409; the new version is in `config list` and the scores follow it.
@Suite(.serialized) struct StudioVersionTests {
    static let data = repoRoot + "/datasets/simulated"

    /// A studio over the bundled data with a history of one version in `folder`.
    static func make(_ folder: String) throws -> Studio {
        let base = try String(contentsOfFile: data + "/config.yaml", encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: folder + "/2023-01-01-v1.yaml",
            contents: Data(("version: {id: v1, effective_from: 2023-01-01, author: ana}\n" + base).utf8))
        var files = DataFiles.directory(data)
        files.configs = folder
        return try Studio(dataset: try files.load(timeline: .memory), configsFolder: folder)
    }

    static func post(_ id: String, _ date: String, qbr: Int) throws -> String {
        let config = try JSONSerialization.jsonObject(with: Data(try studioConfig().utf8)) as! [String: Any]
        var c = config
        var factors = c["factors"] as! [[String: Any]]
        let i = factors.firstIndex { $0["name"] as? String == "qbr" }!
        factors[i]["weight"] = qbr
        c["factors"] = factors
        let body: [String: Any] = [
            "configuration": c, "version": ["id": id, "effective_from": date, "author": "studio test", "note": "QBR"],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    static func studioConfig() throws -> String { try StudioTests.studio.config() }

    @Test func aTokenIsNeededAndTheFolderIsTheOnlyPlaceWritten() async throws {
        let dir = Dir()
        let folder = dir.path + "/configs"
        let s = try Self.make(folder)
        let posted = try Self.post("v2", "2023-09-01", qbr: 25)
        // No token on the server: 403, nothing written.
        try await StudioServer.buildApplication(s, settings: .init()).test(.router) { client in
            try await client.execute(uri: "/api/v1/configs", method: .post, body: ByteBuffer(string: posted)) { r in
                #expect(r.status == .forbidden)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["2023-01-01-v1.yaml"])
        let token = "version-token-1"
        let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        try await StudioServer.buildApplication(s, settings: .init(token: token)).test(.router) { client in
            try await client.execute(uri: "/api/v1/configs", method: .post, body: ByteBuffer(string: posted)) { r in
                #expect(r.status == .unauthorized)
            }
            // Before: every date under v1.
            try await client.execute(uri: "/api/v1/scores?as_of=2024-01-15&limit=1", method: .get, headers: auth) { r in
                #expect(body(r).contains("\"config_version\": \"v1\""))
            }
            try await client.execute(uri: "/api/v1/configs", method: .post, headers: auth, body: ByteBuffer(string: posted)) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let o = try JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as! [String: Any]
                #expect(o["id"] as? String == "v2" && (o["file"] as? String)?.hasSuffix("/2023-09-01-v2.yaml") == true)
            }
            // A duplicate id, and a duplicate date: 409, nothing written.
            for (id, date) in [("v2", "2024-01-01"), ("v3", "2023-09-01")] {
                try await client.execute(
                    uri: "/api/v1/configs", method: .post, headers: auth,
                    body: ByteBuffer(string: try Self.post(id, date, qbr: 30))
                ) { r in #expect(r.status == .conflict, "\(id) \(date)") }
            }
            // A bad body: 400.
            try await client.execute(
                uri: "/api/v1/configs", method: .post, headers: auth,
                body: ByteBuffer(string: try Self.post("../x", "2024-02-01", qbr: 30))
            ) { r in #expect(r.status == .badRequest) }
            // After: the scores follow the new history at once, and the list shows it.
            try await client.execute(uri: "/api/v1/scores?as_of=2024-01-15&limit=1", method: .get, headers: auth) { r in
                #expect(body(r).contains("\"config_version\": \"v2\""))
            }
            try await client.execute(uri: "/api/v1/configs", method: .get, headers: auth) { r in
                let o = try JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as! [String: Any]
                let versions = o["versions"] as! [[String: Any]]
                #expect(versions.map { $0["id"] as! String } == ["v1", "v2"])
                let evidence = versions[1]["evidence"] as? [String: Any]
                #expect(evidence?["against"] as? String == "v1" && evidence?["auc_after"] is Double)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["2023-01-01-v1.yaml", "2023-09-01-v2.yaml"])
        // `config list` reads what the studio wrote.
        let list = try CLI.run(["config", "list", "--configs", folder, "--format", "csv"])
        #expect(list.out.contains("v2,2023-09-01,studio test,QBR"), "\(list.out)\(list.err)")
        // The file is a version `score --configs` replays.
        let replay = try CLI.run(["score", "--data", Self.data, "--configs", folder, "--as-of", "2023-10-01", "--quiet",
                                  "--format", "csv"])
        #expect(parseLine(replay.out, 1)[4] == "v2")
    }

    /// A studio without --configs saves nothing (403), even with a token.
    @Test func withoutAConfigsFolderNothingIsSaved() async throws {
        try await StudioServer.buildApplication(StudioTests.studio, settings: .init(token: "some-token-1")).test(.router) { client in
            try await client.execute(
                uri: "/api/v1/configs", method: .post, headers: [.authorization: "Bearer some-token-1"],
                body: ByteBuffer(string: try Self.post("v9", "2024-01-01", qbr: 25))
            ) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/api/v1/configs", method: .get, headers: [.authorization: "Bearer some-token-1"]) { r in
                #expect(String(buffer: r.body).contains("\"versions\": []"))
            }
        }
    }
}

func parseLine(_ csv: String, _ n: Int) -> [String] {
    let lines = csv.split(separator: "\n")
    return n < lines.count ? lines[n].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
}
