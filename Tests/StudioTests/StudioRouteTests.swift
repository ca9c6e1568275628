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

/// The application `serve` runs, on the shared studio.
func app(token: String? = nil) throws -> some ApplicationProtocol {
    try StudioServer.buildApplication(studio, settings: .init(token: token))
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
        }
    }

    /// The OpenAPI document (Web/openapi.json, served as it is) lists exactly the API routes the router has,
    /// with their methods.
    @Test func theOpenAPIDocumentListsTheRoutesThatExist() async throws {
        let router = StudioServer.router(studio)
        var routed = Set<String>()
        for route in router.routes
        where route.path.description.hasPrefix("/api/v1") || ["/healthz", "/metrics"].contains(route.path.description) {
            // Hummingbird writes a capture as :id, OpenAPI as {id}.
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            routed.insert("\(route.method.rawValue.lowercased()) /" + path.joined(separator: "/"))
        }
        let routes = routed
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/openapi.json", method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("application/json") == true)
                let file = try String(contentsOfFile: repoRoot + "/Sources/AccountHealthStudio/Web/openapi.json", encoding: .utf8)
                #expect(body(r) == file)
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                #expect(doc["openapi"] as? String == "3.1.0")
                var documented = Set<String>()
                for (path, item) in doc["paths"] as! [String: Any] {
                    for method in (item as! [String: Any]).keys { documented.insert("\(method) \(path)") }
                }
                #expect(routes.count >= 13)
                #expect(documented == routes, "only documented: \(documented.subtracting(routes)); only routed: \(routes.subtracting(documented))")
            }
        }
    }

    /// What the tuner saves: the posted JSON configuration comes back as YAML that `Configuration.parse` reads as
    /// the same configuration and that scores every account identically.
    @Test func theSavedYAMLParsesAndScoresIdentically() async throws {
        var edited = try JSONSerialization.jsonObject(with: Data(try studio.config().utf8)) as! [String: Any]
        var factors = edited["factors"] as! [[String: Any]]
        factors[0]["weight"] = 37.5
        factors[2]["scale"] = ["min": 1, "max": 40]
        edited["factors"] = factors
        edited["risk_penalty"] = ["low": 3, "medium": 11, "high": 27]
        let posted = try JSONSerialization.data(withJSONObject: edited)
        let expected = try Configuration.parse(yaml: String(decoding: posted, as: UTF8.self), file: "posted")
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/config/yaml", method: .post, body: ByteBuffer(data: posted)) { r in
                #expect(r.status == .ok, "\(body(r))")
                #expect(r.headers[.contentType]?.hasPrefix("text/yaml") == true)
                let saved = try Configuration.parse(yaml: body(r), file: "saved")
                #expect(saved == expected)
                #expect(saved.base.factors[0].weight == 37.5 && saved.base.riskPenalty == [0, 3, 11, 27])
                let dataset = try DataFiles.directory(repoRoot + "/datasets/simulated").load(timeline: .memory)
                var a = dataset, b = dataset
                a.configuration = expected
                b.configuration = saved
                let sa = try Scorer.score(a), sb = try Scorer.score(b)
                #expect(sa.rows.count == 2500 && sa.rows.map(\.result.score) == sb.rows.map(\.result.score))
                #expect(sa.rows.map(\.band) == sb.rows.map(\.band))
            }
            // A factor the timeline does not have, and a body that is not a configuration: 400, located.
            let bad = #"{"factors": [{"name": "no_such_factor", "weight": 10}]}"#
            try await client.execute(uri: "/api/v1/config/yaml", method: .post, body: ByteBuffer(string: bad)) { r in
                #expect(r.status == .badRequest && body(r).contains("no_such_factor"), "\(body(r))")
            }
            try await client.execute(uri: "/api/v1/config/yaml", method: .post, body: ByteBuffer(string: "[1, 2]")) { r in
                #expect(r.status == .badRequest, "\(body(r))")
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
            // The studio's fit bootstraps 50 resamples by default (the tuner shows the intervals).
            ("/api/v1/fit", try cli(["fit", "--bootstrap", "50"])),
            ("/api/v1/fit?horizon=180&bootstrap=0", try cli(["fit", "--horizon", "180"])),
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
            try await client.execute(uri: "/api/v1/scores?as_of=2024-06-30&limit=5000&churned=true&sort=score", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                let rows = doc["rows"] as! [[String: Any]]
                #expect(doc["total"] as? Int == cliRows.count && rows.count == cliRows.count)
                for row in rows {
                    var core = row
                    for k in ["am", "segment", "arr", "renewal_date", "renewal_overdue", "churn_probability", "arr_at_risk", "churned_on"] { core[k] = nil }
                    #expect(NSDictionary(dictionary: core).isEqual(to: cliRows[row["account_id"] as! String]!), "\(row["account_id"]!)")
                    #expect(row["am"] is String && row["segment"] is String && row["arr"] is NSNumber)
                }
                let scores = rows.compactMap { $0["score"] as? Double }
                #expect(scores == scores.sorted())      // by score: ascending, the riskiest first
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

    /// The portfolio a leader opens: the active accounts at the date, in rank's order (ARR at risk, highest first),
    /// each with rank's probability and ARR at risk; the churned ones on request, with their churn date and no
    /// probability; the export is rank's CSV for the same filter; a renewal date before the date is overdue.
    @Test func thePortfolioIsTheLiveBookByARRAtRisk() async throws {
        let data = repoRoot + "/datasets/simulated"
        @Sendable func rank(_ args: [String]) throws -> String {
            let r = try CLI.run(["rank", "--data", data, "--format", "csv", "--quiet"] + args)
            #expect(r.status == 0, "\(args): \(r.err)")
            return r.out
        }
        try await app().test(.router) { client in
            for (query, args) in [("", [String]()), ("as_of=2024-06-30", ["--as-of", "2024-06-30"]), ("am=am_03", ["--am", "am_03"]),
                                  ("segment=SMB&band=red", ["--segment", "SMB", "--band", "red"])] {
                let want = try rank(args)
                let ids = want.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
                #expect(ids.count > 20, "\(query)")
                try await client.execute(uri: "/api/v1/scores/export?" + query, method: .get) { r in
                    #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/csv") == true)
                    #expect(body(r) == want, "\(query)")
                }
                try await client.execute(uri: "/api/v1/scores?limit=100000&" + query, method: .get) { r in
                    let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                    let rows = doc["rows"] as! [[String: Any]]
                    #expect(doc["total"] as? Int == ids.count && rows.map { $0["account_id"] as! String } == ids, "\(query)")
                    #expect(rows.allSatisfy { $0["churn_probability"] is NSNumber && $0["arr_at_risk"] is NSNumber && $0["churned_on"] is NSNull })
                    let risk = rows.map { $0["arr_at_risk"] as! Double }
                    #expect(risk == risk.sorted(by: >))
                }
            }
            // With the churned accounts: every account, the churned ones with their date and no probability.
            let churned = Set(try String(contentsOfFile: data + "/outcomes.csv", encoding: .utf8)
                .split(separator: "\n").dropFirst().filter { $0.contains(",churned,") }.map { String($0.split(separator: ",")[0]) })
            try await client.execute(uri: "/api/v1/scores?limit=100000&churned=true&sort=account_id", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                let rows = doc["rows"] as! [[String: Any]]
                #expect(doc["total"] as? Int == 2500)
                let marked = rows.filter { $0["churned_on"] is String }
                #expect(Set(marked.map { $0["account_id"] as! String }) == churned && marked.count == 2500 - 1815)
                #expect(marked.allSatisfy { $0["churn_probability"] is NSNull && $0["arr_at_risk"] is NSNull && $0["renewal_overdue"] is NSNull })
                #expect(rows.map { $0["account_id"] as! String } == rows.map { $0["account_id"] as! String }.sorted())
            }
            try await client.execute(uri: "/api/v1/scores/export?churned=true&sort=account_id", method: .get) { r in
                let lines = body(r).split(separator: "\n")
                #expect(lines.count == 2501 && lines[1].hasPrefix("1,A000001,"))
                let first = lines.first { churned.contains(String($0.split(separator: ",")[1])) }!
                #expect(first.split(separator: ",", omittingEmptySubsequences: false)[4] == "")   // no probability
            }
            try await client.execute(uri: "/api/v1/scores?churned=maybe", method: .get) { r in
                #expect(r.status == .badRequest && body(r).contains("churned: true or false"))
            }
        }
        // A renewal date already past at the date is overdue.
        let dir = Dir()
        for f in ["timeline.csv", "outcomes.csv", "config.yaml"] { try FileManager.default.copyItem(atPath: data + "/" + f, toPath: dir.path + "/" + f) }
        let accounts = try String(contentsOfFile: data + "/accounts.csv", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let header = accounts[0].split(separator: ",").map(String.init)
        let at = header.firstIndex(of: "renewal_date")!
        // A000941 is active at the last date (the first of rank's list).
        var lines = accounts.map(String.init)
        let k = lines.firstIndex { $0.hasPrefix("A000941,") }!
        var cells = lines[k].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[at] = "2024-01-15"
        lines[k] = cells.joined(separator: ",")
        dir.write("accounts.csv", lines.joined(separator: "\n"))
        let stale = try Studio(dataset: try DataFiles.directory(dir.path).load(timeline: .memory))
        let page = try JSONSerialization.jsonObject(with: Data(try stale.scores(.init(search: "A000941")).jsonText().utf8)) as! [String: Any]
        let json = (page["rows"] as! [[String: Any]]).first { $0["account_id"] as? String == "A000941" }!
        #expect(json["renewal_date"] as? String == "2024-01-15" && json["renewal_overdue"] as? Bool == true, "\(json)")
        #expect(json["churned_on"] is NSNull)
    }

    @Test func refusals() async throws {
        try await app().test(.router) { client in
            // Unknown routes and accounts: 404, as JSON.
            // /assets/:name serves embedded files by name: no path reaches a file on disk, nor an embedded file
            // that is not an asset (the page shell, the API description).
            let traversal = ["/assets/../../etc/passwd", "/assets/%2e%2e/Package.swift", "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
                             "/assets/..%2FPackage.swift", "/assets/%2Fetc%2Fpasswd", "/assets/..%2F..%2FPackage.swift",
                             "/assets/page.html", "/assets/openapi.json", "/assets/Package.swift", "/assets/app.js%2F..%2F..%2FPackage.swift",
                             "/assets/..%2F..%2F..%2FPackage.swift", "/assets/" + String(repeating: "..%2F", count: 12) + "etc%2Fpasswd"]
            for uri in ["/nothing", "/api/v1/nothing", "/api/v1/accounts/NOPE"] + traversal {
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
    }

    /// Loopback is localhost, 127.0.0.0/8 as an address, or ::1; a name that starts with "127." is not.
    @Test func loopbackIsAnAddressNotAPrefix() {
        for host in ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "0:0:0:0:0:0:0:1", "localhost"] {
            #expect(StudioServer.isLoopback(host), "\(host)")
        }
        for host in ["127.example.com", "127.0.0.1.evil.net", "127.0.0", "127.0.0.256", "127.0.0.-1", "127.0.0.1 ", "0.0.0.0",
                     "::", "::2", "::ffff:10.0.0.1", "10.0.0.1", "128.0.0.1", "localhost.example.com", ""] {
            #expect(!StudioServer.isLoopback(host), "\(host)")
        }
    }

    /// `serve` refuses a reachable host without a token (64) and a short token, before it loads anything. The
    /// token comes from the environment (`HEALTHSCORE_TOKEN` or `--token-env`), and it is never printed.
    @Test func serveRefusesAnUnguardedHost() throws {
        let data = repoRoot + "/datasets/simulated"
        let cases: [([String], [String: String], String)] = [
            (["--host", "127.example.com"], ["HEALTHSCORE_TOKEN": ""], "HEALTHSCORE_TOKEN"),
            (["--host", "0.0.0.0"], ["HEALTHSCORE_TOKEN": ""], "HEALTHSCORE_TOKEN"),
            (["--host", "0.0.0.0"], ["HEALTHSCORE_TOKEN": "short"], "at least 8"),
            (["--host", "0.0.0.0", "--token-env", "HS_T"], ["HS_T": "shrt", "HEALTHSCORE_TOKEN": "long-enough-1"],
             "HS_T must be at least 8"),
        ]
        for (args, env, fragment) in cases {
            let r = try CLI.run(["serve", "--data", data, "--port", "0"] + args, environment: env)
            #expect(r.status == 64, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains(fragment), "\(args): \(r.err)")
            for secret in env.values where secret.count > 4 { #expect(!r.err.contains(secret), "\(args): \(r.err)") }
        }
    }

    /// The served binary takes its token from the environment: a request without it is refused (401), one with
    /// it answered; the token appears nowhere in what `serve` prints. The server listens on 127.0.0.1 and is
    /// stopped whatever happens.
    @Test func servedTokenComesFromTheEnvironment() throws {
        let token = Secrets.make("env-token")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["serve", "--data", repoRoot + "/datasets/simulated", "--port", "0", "--token-env", "HS_TEST_T"]
        p.environment = ProcessInfo.processInfo.environment.merging(["HS_TEST_T": token]) { $1 }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        var printed = ""
        var port: String?
        let deadline = Date().addingTimeInterval(120)
        while port == nil && Date() < deadline && p.isRunning {
            let chunk = err.fileHandleForReading.availableData
            printed += String(decoding: chunk, as: UTF8.self)
            if let r = printed.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                port = String(printed[r].dropFirst("http://127.0.0.1:".count).dropLast())
            }
        }
        let served = try #require(port, "serve did not start: \(printed)")
        func status(_ headers: [String]) throws -> String {
            let r = try CLI.runTool(
                "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + headers.flatMap { ["-H", $0] }
                    + ["http://127.0.0.1:\(served)/api/v1/summary"])
            return r.out
        }
        #expect(try status([]) == "401")
        #expect(try status(["Authorization: Bearer wrong-token"]) == "401")
        #expect(try status(["Authorization: Bearer \(token)"]) == "200")
        #expect(!printed.contains(token))
    }

    /// Names from the data travel as JSON strings, unchanged (the browser test checks, in Chromium's DOM, that
    /// the pages show them as text and never as elements).
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
        try await StudioServer.buildApplication(s).test(.router) { client in
            try await client.execute(uri: "/api/v1/scores?limit=5000&churned=true", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                let rows = doc["rows"] as! [[String: Any]]
                #expect(rows.count == 2500 && rows.contains { $0["account_id"] as? String == "A<script>alert(1)</script>" })
                #expect(rows.filter { $0["am"] as? String == "<img src=x onerror=alert(1)>" }.count > 50)
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

    /// An outcomes file with a header and no rows (no renewal decided yet, DESIGN §13): the studio serves the
    /// scores and the accounts as usual, and a route that learns from outcomes answers 400 with one line.
    @Test func servesABookWithNoRenewalsYet() async throws {
        let dir = NSTemporaryDirectory() + "hs-studio-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["timeline.csv", "accounts.csv", "config.yaml"] {
            try FileManager.default.copyItem(atPath: repoRoot + "/datasets/simulated/" + f, toPath: dir + "/" + f)
        }
        try "account_id,date,outcome,arr\n".write(toFile: dir + "/outcomes.csv", atomically: true, encoding: .utf8)
        let s = try Studio(dataset: try DataFiles.directory(dir).load(timeline: .memory))
        try await StudioServer.buildApplication(s).test(.router) { client in
            try await client.execute(uri: "/api/v1/scores?limit=5000", method: .get) { r in
                #expect(r.status == .ok)
                let doc = try JSONSerialization.jsonObject(with: Data(body(r).utf8)) as! [String: Any]
                #expect((doc["rows"] as! [[String: Any]]).count == 2500)
            }
            // No ranking without renewals: the export lists the accounts without probabilities.
            try await client.execute(uri: "/api/v1/scores/export", method: .get) { r in
                let lines = body(r).split(separator: "\n")
                #expect(r.status == .ok && lines.count == 2501 && lines[1].split(separator: ",", omittingEmptySubsequences: false)[4] == "")
            }
            try await client.execute(uri: "/api/v1/accounts/A000042", method: .get) { r in
                #expect(r.status == .ok, "\(body(r))")
            }
            for route in ["/api/v1/fit", "/api/v1/survival"] {
                try await client.execute(uri: route, method: .get) { r in
                    #expect(r.status == .badRequest, "\(route): \(r.status)")
                    #expect(body(r).contains("no renewal decided yet"), "\(route): \(body(r))")
                }
            }
        }
    }
}
