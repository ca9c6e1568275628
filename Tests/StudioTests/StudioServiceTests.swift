import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `healthscore serve` as a team runs it (DESIGN §11 "Running it for a team"), the real binary on loopback: HTTPS
/// with a CA made in the test, /healthz and /metrics, the access log's lines, SIGHUP reloads under load with no
/// failed request, a failed reload keeping the old data, and a graceful stop.
@Suite(.serialized) struct StudioServiceTests {
    static let bundled = repoRoot + "/datasets/simulated"

    /// A running `serve`, its stderr in a file; stopped (SIGTERM, then SIGKILL) when the value goes away.
    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int
        let log: String
        let scheme: String

        init(_ args: [String], environment: [String: String] = [:], tls: Bool = false, ca: String? = nil) throws {
            var port = 0
            for _ in 0..<50 where port == 0 {
                let candidate = 20_000 + Int.random(in: 0..<20_000)
                if Ports.isFree(candidate) { port = candidate }
            }
            self.port = port
            scheme = tls ? "https" : "http"
            log = NSTemporaryDirectory() + "hs-serve-\(UUID().uuidString).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["serve", "--port", String(port)] + args
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            for _ in 0..<600 {
                if !process.isRunning { break }
                let r = try curl(["-o", "/dev/null", "-w", "%{http_code}", url("/healthz")] + (ca.map { ["--cacert", $0] } ?? []))
                if r.out == "200" { return }
                usleep(100_000)
            }
            throw Failure(description: "serve did not start: \(logText)")
        }

        deinit {
            if process.isRunning {
                process.terminate()
                for _ in 0..<200 where process.isRunning { usleep(50_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            Secrets.record(logText)
            try? FileManager.default.removeItem(atPath: log)
        }

        func url(_ path: String) -> String { "\(scheme)://localhost:\(port)\(path)" }
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func curl(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try CLI.runTool("/usr/bin/curl", ["-s", "--max-time", "60"] + args)
    }
    func curl(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try Self.curl(args) }

    @Test func httpsHealthMetricsAndTheAccessLog() throws {
        let pki = try TestPKI([("studio", "DNS:localhost"), ("other", "DNS:localhost")])
        let token = Secrets.make("token")
        let server = try Server(
            ["--data", Self.bundled, "--tls-cert", pki.certificate("studio"), "--tls-key", pki.key("studio"),
             "--host", "localhost"],
            environment: ["HEALTHSCORE_TOKEN": token], tls: true, ca: pki.caFile)
        let ca = ["--cacert", pki.caFile]
        // /healthz: open, no data in it but its size.
        let health = try curl(ca + [server.url("/healthz")])
        let h = try JSONSerialization.jsonObject(with: Data(health.out.utf8)) as! [String: Any]
        #expect(h["status"] as? String == "ok" && h["accounts"] as? Int == 2500 && (h["loaded_at"] as? String)?.hasSuffix("Z") == true)
        #expect(Set(h.keys) == ["status", "loaded_at", "accounts"])
        // A client that does not trust the CA refuses the server.
        #expect(try curl([server.url("/healthz")]).status == 60)
        // /metrics behind the token.
        #expect(try curl(ca + ["-o", "/dev/null", "-w", "%{http_code}", server.url("/metrics")]).out == "401")
        #expect(try curl(ca + ["-H", "Authorization: Bearer \(token)", "-o", "/dev/null", server.url("/api/v1/scores?limit=3&band=red")]).status == 0)
        #expect(try curl(ca + ["-H", "Authorization: Bearer \(token)", "-o", "/dev/null", server.url("/api/v1/accounts/A000042")]).status == 0)
        // The page with ?token= sets the cookie; the next request carries it.
        #expect(try curl(ca + ["-o", "/dev/null", "-w", "%{http_code}", server.url("/?token=\(token)")]).out == "303")
        #expect(try curl(ca + ["-o", "/dev/null", "-w", "%{http_code}", "-b", "hs_token=\(token)", server.url("/tune")]).out == "200")
        #expect(try curl(ca + ["-o", "/dev/null", "-w", "%{http_code}", server.url("/no/such/page")]).out == "401")
        let metrics = try curl(ca + ["-H", "Authorization: Bearer \(token)", server.url("/metrics")]).out
        for line in ["# TYPE healthscore_http_requests_total counter", "healthscore_http_requests_total{route=\"/api/v1/scores\",status=\"200\"} 1",
                     "healthscore_http_requests_total{route=\"/metrics\",status=\"401\"} 1",
                     "healthscore_http_requests_total{route=\"/api/v1/accounts/{id}\",status=\"200\"} 1",
                     "# TYPE healthscore_http_request_duration_seconds histogram",
                     "healthscore_http_request_duration_seconds_bucket{route=\"/api/v1/scores\",le=\"+Inf\"} 1",
                     "healthscore_dataset_accounts 2500.0", "healthscore_dataset_timeline_rows 211836.0",
                     "# TYPE healthscore_http_requests_in_flight gauge", "healthscore_http_requests_in_flight 1.0"] {
            #expect(metrics.contains(line), "\(line)\n\(metrics)")
        }
        // One access-log line per request: method, route, status, milliseconds; no query, token, cookie or id.
        usleep(200_000)
        let lines = server.logText.split(separator: "\n").filter { $0.contains("healthscore.access") }
        for expected in ["GET /healthz 200", "GET /metrics 401", "GET /api/v1/scores 200", "GET /api/v1/accounts/{id} 200",
                         "GET / 303", "GET /tune 200", "GET unmatched 401"] {
            #expect(lines.contains { $0.contains(expected) }, "\(expected): \(lines)")
        }
        #expect(lines.allSatisfy { $0.range(of: #" \d+\.\d ms$"#, options: .regularExpression) != nil }, "\(lines)")
        let everything = server.logText
        #expect(!everything.contains(token) && !everything.contains("?") && !everything.contains("A000042") && !everything.contains("hs_token"))
        #expect(everything.contains("serving") && everything.contains("https://localhost:\(server.port)/"))
    }

    /// 1,000 malformed requests in a row (bad JSON, bad queries, bodies over 1 MiB, malformed chunked bodies,
    /// clients that never finish their body): never a 500, and the next good request answered as before
    /// (scripts/load_studio.py's faults phase, which the benchmark runs on 100 k accounts).
    @Test func malformedRequestsLeaveTheServerAnswering() throws {
        let server = try Server(["--data", Self.bundled, "--no-access-log"])
        let r = try CLI.runTool("/usr/bin/python3", [repoRoot + "/scripts/load_studio.py", "http://127.0.0.1:\(server.port)",
                                                    "--pid", String(server.process.processIdentifier), "--phases", "faults"])
        #expect(r.status == 0 && r.out.contains("the next good request answered as before") && !r.out.contains("'500'"), "\(r.out) \(r.err)")
        #expect(server.process.isRunning)
    }

    /// A certificate or key that is missing, unreadable, not PEM or not a pair: 64 at start, naming the file.
    @Test func badCertificatesExit64NamingTheFile() throws {
        let pki = try TestPKI([("studio", "DNS:localhost"), ("other", "DNS:localhost")])
        let cases: [([String], String)] = [
            (["--tls-cert", pki.dir.path + "/none.pem", "--tls-key", pki.key("studio")], pki.dir.path + "/none.pem: no such file"),
            (["--tls-cert", pki.certificate("studio"), "--tls-key", pki.dir.path + "/none.key"], pki.dir.path + "/none.key: no such file"),
            (["--tls-cert", pki.key("studio"), "--tls-key", pki.key("studio")], pki.key("studio") + ": not a PEM certificate"),
            (["--tls-cert", pki.certificate("studio"), "--tls-key", pki.certificate("studio")], pki.certificate("studio") + ": not a PEM private key"),
            (["--tls-cert", pki.certificate("studio"), "--tls-key", pki.key("other")], pki.key("other") + ": not the private key of the certificate"),
            (["--tls-cert", pki.certificate("studio")], "--tls-cert and --tls-key go together"),
            (["--stop-timeout", "0"], "--stop-timeout must be from 1 to 3600 seconds"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(["serve", "--data", Self.bundled, "--port", "0", "--quiet"] + args)
            #expect(r.status == 64 && r.err.contains(message), "\(args): \(r.status) \(r.err)")
        }
    }

    /// SIGHUP under load: every request answered (200), the new data served once loaded; a reload that fails
    /// keeps the old data and says why; SIGTERM waits for the request in flight.
    @Test func reloadUnderLoadLosesNoRequest() async throws {
        let data = Dir()
        for f in ["timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml"] {
            try FileManager.default.copyItem(atPath: Self.bundled + "/" + f, toPath: data.path + "/" + f)
        }
        // The fit in flight at SIGTERM below took more than the default 10 s in a debug build beside the whole
        // suite on two cores (curl: 000): the server waits up to 120 s here.
        let server = try Server(["--data", data.path, "--stop-timeout", "120"])
        let first = try JSONSerialization.jsonObject(with: Data(try curl([server.url("/healthz")]).out.utf8)) as! [String: Any]
        // The load runs on threads of its own: the tests beside this one block the cooperative pool's threads
        // (two on a two-core machine) while they wait for their processes, which would stop a load of tasks.
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var ok = 0, failed: [String] = [], running = 0
            var stop = false
            func add(_ status: Int, _ what: String) { lock.withLock { if status == 200 { ok += 1 } else { failed.append("\(status) \(what)") } } }
            var stopped: Bool { lock.withLock { stop } }
            var answered: Int { lock.withLock { ok } }
        }
        let tally = Tally()
        let session = URLSession(configuration: .ephemeral)
        let paths = ["/api/v1/scores?limit=20&sort=-score", "/api/v1/summary", "/healthz", "/api/v1/scores?band=red"]
        for path in paths {
            let url = URL(string: server.url(path))!
            tally.lock.withLock { tally.running += 1 }
            Thread {
                while !tally.stopped {
                    let done = DispatchSemaphore(value: 0)
                    session.dataTask(with: url) { _, response, error in
                        if let http = response as? HTTPURLResponse { tally.add(http.statusCode, path) }
                        else { tally.add(0, "\(path): \(error.map { "\($0)" } ?? "no response")") }
                        done.signal()
                    }.resume()
                    done.wait()
                    // About 40 requests a second per client: load, not a saturated debug build.
                    usleep(25_000)
                }
                tally.lock.withLock { tally.running -= 1 }
            }.start()
        }
        // The load is running before the first reload: every client has had answers.
        for _ in 0..<1200 where tally.answered < 2 * paths.count { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(tally.answered >= 2 * paths.count, "the load did not start: \(tally.failed.prefix(5))")
        func reloads() -> Int { server.logText.components(separatedBy: "reloaded: ").count - 1 }
        // Two reloads in a row, under load.
        for n in 1...2 {
            kill(server.process.processIdentifier, SIGHUP)
            for _ in 0..<600 where reloads() < n { try await Task.sleep(nanoseconds: 50_000_000) }
            #expect(reloads() == n, "\(server.logText.suffix(2000))")
        }
        // Requests were answered while the data was being read again: the access log's lines between a reload's
        // start and its end (one stderr, written in order).
        var answeredDuringReloads = 0, reloading = false
        for line in server.logText.split(separator: "\n") {
            if line.contains("SIGHUP: reloading the data") { reloading = true }
            else if line.contains("reloaded: ") { reloading = false }
            else if reloading && line.contains("healthscore.access") && line.contains(" 200 ") {
                answeredDuringReloads += 1
            }
        }
        #expect(answeredDuringReloads > 0, "no request was answered during the reloads: \(server.logText.suffix(2000))")
        let second = try JSONSerialization.jsonObject(with: Data(try curl([server.url("/healthz")]).out.utf8)) as! [String: Any]
        #expect(second["loaded_at"] as? String != nil && second["accounts"] as? Int == 2500)
        // A reload that fails (a broken timeline): the old data stays, the log says why.
        try "account_id,date,profile\nA1,not-a-date,3\n".write(toFile: data.path + "/timeline.csv", atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        for _ in 0..<600 where !server.logText.contains("reload failed") { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(server.logText.contains("reload failed, still serving the data loaded before") && server.logText.contains("not-a-date"))
        // The load goes on until it has made its 50 answers (a busy machine answers fewer per second), at most 60 s.
        for _ in 0..<1200 where tally.answered <= 50 { try await Task.sleep(nanoseconds: 50_000_000) }
        tally.lock.withLock { tally.stop = true }
        for _ in 0..<1200 where tally.lock.withLock({ tally.running }) > 0 {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(tally.failed.isEmpty, "\(tally.failed.prefix(5))")
        #expect(tally.ok > 50, "\(tally.ok) requests answered")
        let third = try JSONSerialization.jsonObject(with: Data(try curl([server.url("/healthz")]).out.utf8)) as! [String: Any]
        #expect(third["accounts"] as? Int == 2500 && third["loaded_at"] as? String == second["loaded_at"] as? String)
        _ = first
        // SIGTERM with a slow request in flight (a fit): it is answered, then the server stops (within the 120 s
        // of --stop-timeout above).
        // In flight: curl's trace (on its stderr, unbuffered) shows the request sent, the access log has no line
        // for it yet. A curl process of its own, not a task: the cooperative pool may be busy with other tests.
        let trace = data.path + "/curl-trace.txt"
        FileManager.default.createFile(atPath: trace, contents: nil)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        slow.arguments = ["-s", "--max-time", "60", "--trace-ascii", "%", "-o", "/dev/null", "-w", "%{http_code}",
                          server.url("/api/v1/fit")]
        let answer = Pipe()
        slow.standardOutput = answer
        slow.standardError = FileHandle(forWritingAtPath: trace)
        try slow.run()
        func sent() -> Bool {
            ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").contains("GET /api/v1/fit")
        }
        for _ in 0..<1500 where !sent() { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(sent() && !server.logText.contains("/api/v1/fit"), "the fit was not in flight at SIGTERM")
        server.process.terminate()
        for _ in 0..<1500 where slow.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        let answered = String(decoding: answer.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(answered == "200", "\(answered)")
        for _ in 0..<300 where server.process.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(!server.process.isRunning && server.process.terminationStatus == 0)
    }
}
