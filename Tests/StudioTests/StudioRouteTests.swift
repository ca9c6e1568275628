import AccountHealth
import AccountHealthStudio
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// One studio on the bundled dataset for every test (loading it is the slow part). OpenBLAS runs one thread,
/// as in `healthscore` (which pins it at start): the sums, and so the last digits, are the CLI's.
let studio: Studio = {
    BLAS.setThreads(1)
    let dataset = try! DataFiles.directory(repoRoot + "/datasets/simulated").load(timeline: .memory)
    return try! Studio(dataset: dataset)
}()

func app(token: String? = nil) -> some ApplicationProtocol {
    Application(router: StudioServer.router(studio, token: token))
}

func body(_ r: TestResponse) -> String { String(buffer: r.body) }

/// Every route, every refusal (DESIGN §11), through Hummingbird's router test client.
@Suite struct StudioRouteTests {
    @Test func pagesAndAssetsAreServedWithTheSecurityHeaders() async throws {
        try await app().test(.router) { client in
            for path in ["/", "/tune", "/managers", "/indicators", "/survival", "/accounts/A000941"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok, "\(path)")
                    #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(r.headers[.contentSecurityPolicy] == "default-src 'self'")
                    let html = body(r)
                    #expect(html.contains("<script src=\"/assets/app.js\"></script>") && !html.contains("http://") && !html.contains("https://"))
                }
            }
            for (path, type) in [("/assets/app.js", "text/javascript"), ("/assets/app.css", "text/css")] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix(type) == true)
                    // Nothing from elsewhere: the only address is the SVG namespace; no markup from strings, no eval.
                    let text = body(r).replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                    #expect(!text.contains("innerHTML") && !text.contains("http://") && !text.contains("https://") && !text.contains("eval("))
                }
            }
            try await client.execute(uri: "/api/openapi.json", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                #expect(doc["openapi"] as? String == "3.1.0")
                let paths = (doc["paths"] as! [String: Any]).keys.sorted()
                for p in ["/api/v1/summary", "/api/v1/scores", "/api/v1/accounts/{id}", "/api/v1/preview", "/api/v1/preview/moves", "/api/v1/backtest", "/api/v1/fit", "/api/v1/compare",
                          "/api/v1/rank", "/api/v1/indicators"] { #expect(paths.contains(p), "\(p)") }
            }
        }
    }

    /// Each answer equals the CLI's JSON for the same inputs, number for number: the built `healthscore` is run
    /// on the same files and its standard output compared with the route's body.
    @Test func answersEqualTheCLIsJSON() async throws {
        let data = repoRoot + "/datasets/simulated"
        func cli(_ args: [String]) throws -> String {
            let r = try CLI.run(args + ["--data", data, "--format", "json", "--quiet"])
            #expect(r.status == 0, "\(args): \(r.err)")
            return r.out
        }
        let expected: [(String, String)] = [
            ("/api/v1/fit", try cli(["fit"])),
            ("/api/v1/fit?horizon=180", try cli(["fit", "--horizon", "180"])),
            ("/api/v1/compare?by=segment", try cli(["compare", "--by", "segment"])),
            ("/api/v1/rank?as_of=2024-06-30&top=10", try cli(["rank", "--as-of", "2024-06-30", "--top", "10"])),
            ("/api/v1/indicators", try cli(["indicators"])),
            ("/api/v1/survival", try cli(["survival"])),
        ]
        try await app().test(.router) { client in
            for (uri, want) in expected {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri)")
                    #expect(body(r) == want, "\(uri)")
                }
            }
            // The scores: the CLI's score rows, with am, segment and arr.
            let cliScores = try CLI.run(["score", "--data", data, "--as-of", "2024-06-30", "--format", "json", "--quiet"]).out
            let cli = try JSONSerialization.jsonObject(with: Data(cliScores.utf8)) as! [String: Any]
            let cliRows = Dictionary(uniqueKeysWithValues: (cli["scores"] as! [[String: Any]]).map { ($0["account_id"] as! String, $0) })
            try await client.execute(uri: "/api/v1/scores?as_of=2024-06-30&limit=5000", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                let rows = doc["rows"] as! [[String: Any]]
                #expect(doc["total"] as? Int == cliRows.count && rows.count == cliRows.count)
                for row in rows {
                    var core = row
                    for k in ["am", "segment", "arr", "renewal_date"] { core[k] = nil }
                    #expect(NSDictionary(dictionary: core).isEqual(to: cliRows[row["account_id"] as! String]!), "\(row["account_id"]!)")
                    #expect(row["am"] is String && row["segment"] is String && row["arr"] is NSNumber)
                }
                let scores = rows.compactMap { $0["score"] as? Double }
                #expect(scores == scores.sorted())      // the default sort: score ascending, the riskiest first
            }
            // The summary.
            try await client.execute(uri: "/api/v1/summary", method: .get) { r in
                let s = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                #expect(s["accounts"] as? Int == 2500 && s["as_of"] as? String == "2024-12-23" && s["first_date"] as? String != nil)
                let bands = s["bands"] as! [[String: Any]]
                #expect(bands.map { $0["name"] as! String } == ["red", "yellow", "green"] && bands.reduce(0) { $0 + ($1["accounts"] as! Int) } == 2500)
            }
            // The account: its waterfall is explain's JSON.
            let w = try CLI.run(["explain", "--data", data, "--account", "A000941", "--format", "json", "--quiet"]).out
            try await client.execute(uri: "/api/v1/accounts/A000941", method: .get) { r in
                #expect(r.status == .ok)
                let a = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                let wf = try JSONSerialization.jsonObject(with: Data(w.utf8)) as! [String: Any]
                #expect(NSDictionary(dictionary: a["waterfall"] as! [String: Any]).isEqual(to: wf))
                #expect((a["scores"] as! [Any]).count >= 2 && (a["timeline"] as! [Any]).count > 10 && a["am"] as? String != nil)
            }
            // The preview: backtest --against of the saved configuration against the body's.
            let saved = try String(contentsOfFile: repoRoot + "/datasets/simulated/config.yaml", encoding: .utf8)
            var other = try Configuration.parse(yaml: saved)
            other.base.factors[0].weight += 10
            // The CLI names the other configuration by its path: run it where that path is "request body".
            let dir = Dir()
            dir.write("request body", other.yaml())
            let want = try CLI.run(["backtest", "--data", data, "--against", "request body", "--format", "json", "--quiet"], cwd: dir.path).out
            let configJSON = try await client.execute(uri: "/api/v1/config", method: .get) { body($0) }
            var object = try JSONSerialization.jsonObject(with: Data(configJSON.utf8)) as! [String: Any]
            var factors = object["factors"] as! [[String: Any]]
            factors[0]["weight"] = (factors[0]["weight"] as! Double) + 10
            object["factors"] = factors
            let request = try JSONSerialization.data(withJSONObject: object)
            try await client.execute(uri: "/api/v1/preview", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: request)) { r in
                #expect(r.status == .ok, "\(body(r))")
                #expect(body(r) == want)
            }
            // The body's configuration alone: backtest --config.
            let alone = try CLI.run(["backtest", "--data", data, "--config", "request body", "--format", "json", "--quiet"], cwd: dir.path).out
            try await client.execute(uri: "/api/v1/backtest", method: .post, body: ByteBuffer(bytes: request)) { r in
                #expect(r.status == .ok, "\(body(r))")
                #expect(body(r) == alone && alone != want)
            }
            // The accounts that change band: those whose band under `score` differs between the two configurations.
            func bands(_ args: [String]) throws -> [String: (Double, String)] {
                let out = try CLI.run(["score", "--data", data, "--format", "json", "--quiet"] + args, cwd: dir.path).out
                let rows = (try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any])["scores"] as! [[String: Any]]
                var byId: [String: (Double, String)] = [:]
                for r in rows { if let s = r["score"] as? Double, let b = r["band"] as? String { byId[r["account_id"] as! String] = (s, b) } }
                return byId
            }
            let before = try bands([]), after = try bands(["--config", "request body"])
            let moved = before.keys.filter { after[$0] != nil && before[$0]!.1 != after[$0]!.1 }
                .sorted { a, b in
                    let x = abs(after[a]!.0 - before[a]!.0), y = abs(after[b]!.0 - before[b]!.0)
                    return x != y ? x > y : a < b
                }
            #expect(moved.count > 10)
            try await client.execute(uri: "/api/v1/preview/moves?limit=7", method: .post, body: ByteBuffer(bytes: request)) { r in
                #expect(r.status == .ok, "\(body(r))")
                let m = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                #expect(m["total"] as? Int == moved.count && m["date"] as? String == "2024-12-23")
                let rows = m["accounts"] as! [[String: Any]]
                #expect(rows.map { $0["account_id"] as! String } == Array(moved.prefix(7)))
                for row in rows {
                    let id = row["account_id"] as! String
                    #expect(row["from_band"] as? String == before[id]!.1 && row["to_band"] as? String == after[id]!.1)
                    #expect(row["from_score"] as? Double == before[id]!.0 && row["to_score"] as? Double == after[id]!.0)
                    #expect(row["am"] as? String != nil && row["segment"] as? String != nil)
                }
            }
            // Optional factors only, other bands, another horizon and step: pairs neither scores are unscored for both.
            dir.write("request body", "factors:\n  - {name: qbr, weight: 60, optional: true, scale: {min: 1, max: 5}}\n"
                      + "  - {name: satisfaction, weight: 40, optional: true}\nbands:\n  - {name: low, below: 50}\n  - {name: high}\n")
            let want2 = try CLI.run(["backtest", "--data", data, "--against", "request body", "--horizon", "60", "--step", "20", "--format", "json", "--quiet"],
                                    cwd: dir.path).out
            #expect(want2.contains("\"unscored\": ") && !want2.contains("\"unscored\": 0,"))
            let request2 = #"{"factors": [{"name": "qbr", "weight": 60, "optional": true, "scale": {"min": 1, "max": 5}}, "#
                + #"{"name": "satisfaction", "weight": 40, "optional": true}], "bands": [{"name": "low", "below": 50}, {"name": "high"}], "horizon": 60}"#
            try await client.execute(uri: "/api/v1/preview?step=20", method: .post, body: ByteBuffer(string: request2)) { r in
                #expect(r.status == .ok, "\(body(r))")
                #expect(body(r) == want2)
            }
        }
    }

    @Test func refusals() async throws {
        try await app().test(.router) { client in
            // Unknown routes and accounts: 404, as JSON.
            for uri in ["/nothing", "/api/v1/nothing", "/api/v1/accounts/NOPE", "/assets/../../etc/passwd", "/assets/%2e%2e/Package.swift"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .notFound, "\(uri)")
                    #expect(!body(r).contains("root:") && !body(r).contains("PackageDescription"))
                    #expect(r.headers[.contentSecurityPolicy] == "default-src 'self'")
                }
            }
            // Bad requests: 400 with the message.
            for uri in ["/api/v1/scores?as_of=2024-13-01", "/api/v1/scores?sort=password", "/api/v1/scores?limit=-1", "/api/v1/fit?horizon=x",
                        "/api/v1/compare?by=nocolumn", "/api/v1/rank?top=0"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .badRequest, "\(uri): \(body(r))")
                    let e = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                    #expect((e["error"] as? String)?.isEmpty == false && e["status"] as? Int == 400)
                }
            }
            for (payload, fragment) in [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"),
                                        (#"{"factors": [{"name": "tasks", "weight": "heavy"}]}"#, "request body"),
                                        (#"{"factors": [{"name": "no_such_factor", "weight": 10}]}"#, "no_such_factor")] {
                for uri in ["/api/v1/preview", "/api/v1/preview/moves", "/api/v1/backtest"] {
                    try await client.execute(uri: uri, method: .post, body: ByteBuffer(string: payload)) { r in
                        #expect(r.status == .badRequest, "\(uri) \(payload): \(body(r))")
                        #expect(body(r).contains(fragment), "\(uri) \(payload): \(body(r))")
                    }
                }
            }
            // A step under a week (the server's memory) and a horizon of 0: 400.
            for uri in ["/api/v1/preview?step=3", "/api/v1/backtest?horizon=0", "/api/v1/preview/moves?step=6"] {
                try await client.execute(uri: uri, method: .post, body: ByteBuffer(string: #"{"factors": [{"name": "tasks", "weight": 1}]}"#)) { r in
                    #expect(r.status == .badRequest, "\(uri): \(body(r))")
                }
            }
            try await client.execute(uri: "/api/v1/preview", method: .post, body: ByteBuffer(string: #"{"factors": [{"name": "tasks", "weight": 1}], "step": 1}"#)) { r in
                #expect(r.status == .badRequest && body(r).contains("from 7 to 3650"), "\(body(r))")
            }
            // Over 1 MiB: 413.
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            try await client.execute(uri: "/api/v1/preview", method: .post, body: big) { r in #expect(r.status == .contentTooLarge) }
        }
    }

    @Test func theTokenGuardsEverything() async throws {
        try await app(token: "s3cret-token").test(.router) { client in
            for uri in ["/", "/api/v1/summary", "/api/openapi.json", "/assets/app.js", "/nothing"] {
                try await client.execute(uri: uri, method: .get) { r in #expect(r.status == .unauthorized, "\(uri)") }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong-token"]) { r in #expect(r.status == .unauthorized) }
            }
            try await client.execute(uri: "/api/v1/summary", method: .get, headers: [.authorization: "Bearer s3cret-token"]) { r in #expect(r.status == .ok) }
            // A page opened with ?token= sets the cookie and drops the token from the address.
            try await client.execute(uri: "/tune?token=s3cret-token", method: .get) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/tune")
                #expect(r.headers[.setCookie]?.contains("hs_token=s3cret-token") == true && r.headers[.setCookie]?.contains("HttpOnly") == true)
            }
            try await client.execute(uri: "/tune", method: .get, headers: [.cookie: "other=1; hs_token=s3cret-token"]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/summary?token=s3cret-token", method: .get) { r in #expect(r.status == .unauthorized) }
        }
        #expect(StudioServer.isLoopback("127.0.0.1") && StudioServer.isLoopback("::1") && !StudioServer.isLoopback("0.0.0.0"))
    }

    /// Names from the data travel as JSON strings, escaped; the pages never parse data as markup.
    @Test func namesWithMarkupAreEscaped() async throws {
        let dir = NSTemporaryDirectory() + "hs-studio-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["timeline.csv", "outcomes.csv", "config.yaml"] {
            var text = try String(contentsOfFile: repoRoot + "/datasets/simulated/" + f, encoding: .utf8)
            text = text.replacingOccurrences(of: "A000941", with: "A<script>alert(1)</script>")
            try text.write(toFile: dir + "/" + f, atomically: true, encoding: .utf8)
        }
        var accounts = try String(contentsOfFile: repoRoot + "/datasets/simulated/accounts.csv", encoding: .utf8)
        accounts = accounts.replacingOccurrences(of: "A000941", with: "A<script>alert(1)</script>")
            .replacingOccurrences(of: "am_07", with: "\"<img src=x onerror=alert(1)>\"")
        try accounts.write(toFile: dir + "/accounts.csv", atomically: true, encoding: .utf8)
        let s = try Studio(dataset: try DataFiles.directory(dir).load(timeline: .memory))
        try await Application(router: StudioServer.router(s)).test(.router) { client in
            try await client.execute(uri: "/api/v1/scores?limit=5000", method: .get) { r in
                let text = body(r)
                #expect(text.contains("A<script>alert(1)</script>") || text.contains("A\\u003cscript"))
                let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                #expect((doc["rows"] as! [[String: Any]]).contains { $0["am"] as? String == "<img src=x onerror=alert(1)>" })
            }
            try await client.execute(uri: "/api/v1/accounts/A%3Cscript%3Ealert(1)%3C%2Fscript%3E", method: .get) { r in
                #expect(r.status == .ok, "\(body(r))")
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            try await client.execute(uri: "/accounts/A%3Cscript%3E", method: .get) { r in
                #expect(!body(r).contains("<script>alert"))     // the page shell never echoes the path
            }
        }
    }
}
