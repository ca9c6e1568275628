import AccountHealth
import Foundation
import Testing
import TestSupport

@testable import AccountHealthWebhooks

/// The bundled dataset: the commands run on it.
let bundled = CLI.packageRoot + "/datasets/simulated"
let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

@Suite(.serialized) struct WebhookTests {
    /// The Standard Webhooks specification's published test vector.
    @Test func signatureMatchesTheSpecificationsVector() throws {
        let s = try WebhookSecret(secret, variable: "X")
        #expect(
            s.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: #"{"test": 2432232314}"#)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(throws: WebhookError.self) { try WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", variable: "X") }
        #expect(throws: WebhookError.self) { try WebhookSecret("whsec_not base64!", variable: "X") }
    }

    @Test func onlyHttpsOrLoopbackHttpIsAccepted() throws {
        for ok in ["https://hooks.example.com/x", "http://127.0.0.1:8080/x", "http://127.9.0.1/x", "http://localhost/x",
                   "http://[::1]:9/x"] {
            #expect(throws: Never.self) { try Webhooks.check(ok) }
        }
        for bad in ["http://example.com/x", "http://10.0.0.1/x", "http://127.0.0.1.example.com/x", "ftp://127.0.0.1/x",
                    "file:///etc/passwd", "not a url", "http:///x"] {
            #expect(throws: WebhookError.self, "\(bad)") { try Webhooks.check(bad) }
        }
    }

    /// The id is a function of the content: the same run gives the same id, another date another.
    @Test func theSameRunHasTheSameId() {
        let c = Configuration.equalWeights(["a"])
        let rows: [JSON] = [.object([("account_id", .string("A1"))])]
        let a = WebhookMessage(type: "healthscore.alerts", asOf: 100, configVersion: nil, configuration: c, rows: rows)
        let b = WebhookMessage(type: "healthscore.alerts", asOf: 100, configVersion: nil, configuration: c, rows: rows)
        let d = WebhookMessage(type: "healthscore.alerts", asOf: 101, configVersion: nil, configuration: c, rows: rows)
        let e = WebhookMessage(type: "healthscore.rank", asOf: 100, configVersion: nil, configuration: c, rows: rows)
        #expect(a.id == b.id && a.id != d.id && a.id != e.id && a.id.hasPrefix("msg_"))
    }

    /// Slack's shape: the fallback text and at most 50 blocks (header, 48 rows, "and N more").
    @Test func slackBodyKeepsToFiftyBlocks() throws {
        let rows: [JSON] = (0..<60).map { i in
            .object([("account_id", .string("A\(i)")), ("score", .number(12.345)), ("band", .string("<red>"))])
        }
        let m = WebhookMessage(
            type: "healthscore.alerts", asOf: 100, configVersion: "v2", configuration: .equalWeights(["a"]), rows: rows)
        let body = try JSONSerialization.jsonObject(with: Data(m.slackBody().utf8)) as! [String: Any]
        let blocks = body["blocks"] as! [[String: Any]]
        #expect((body["text"] as! String).contains("60 alert(s)"))
        #expect(blocks.count == 50)
        #expect(blocks.first!["type"] as? String == "header" && blocks.last!["type"] as? String == "context")
        let last = (blocks.last!["elements"] as! [[String: Any]])[0]["text"] as? String
        #expect(last == "and 12 more")
        let first = (blocks[1]["text"] as! [String: Any])["text"] as! String
        #expect(first == "*A0*  score: 12.35, band: &lt;red&gt;")
    }

    /// A signed delivery of `alerts`, verified by the receiver's own HMAC; a second run sends the same id, which
    /// the receiver drops; the rows are on stdout as well.
    @Test func alertsAreDeliveredSignedAndDeduplicated() throws {
        let r = try Receiver(secret: secret)
        let args = ["alerts", "--data", bundled, "--as-of", "2024-03-10", "--format", "csv", "--quiet",
                    "--webhook", "http://127.0.0.1:\(r.port)/hook", "--webhook-secret-env", "HS_TEST_SECRET"]
        let a = try CLI.run(args, environment: ["HS_TEST_SECRET": secret])
        let b = try CLI.run(args, environment: ["HS_TEST_SECRET": secret])
        #expect(a.status == 0 && b.status == 0, "\(a.err)\(b.err)")
        #expect(!a.err.contains(secret) && !a.out.contains(secret))
        let got = try r.requests()
        try #require(got.count == 2)
        #expect(got.allSatisfy { $0["signature_ok"] as? Bool == true })
        #expect(got[0]["id"] as? String == got[1]["id"] as? String)
        #expect(got[0]["duplicate"] as? Bool == false && got[1]["duplicate"] as? Bool == true)
        let body = try JSONSerialization.jsonObject(with: Data((got[0]["body"] as! String).utf8)) as! [String: Any]
        #expect(body["type"] as? String == "healthscore.alerts")
        #expect((body["timestamp"] as? String)?.hasSuffix("Z") == true)
        let data = body["data"] as! [String: Any]
        #expect(data["run_id"] as? String == got[0]["id"] as? String)
        #expect(data["as_of"] as? String == "2024-03-10")
        #expect(data["config_version"] is NSNull)
        let rows = data["rows"] as! [[String: Any]]
        // The same alerts as the CSV on stdout, in its order.
        let csvIds = a.out.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(rows.map { $0["account_id"] as! String } == csvIds)
        #expect(!rows.isEmpty)
        let headers = got[0]["headers"] as! [String: String]
        #expect(headers["webhook-timestamp"].flatMap(Int.init) != nil)
        #expect(headers["webhook-signature"]?.hasPrefix("v1,") == true)
    }

    /// 503 then 429 with Retry-After, then success: three attempts, the waits honoured.
    @Test func retriesOnUnavailableAndTooManyRequests() throws {
        let r = try Receiver(secret: secret, statuses: [503, 429], retryAfter: 1)
        let run = try CLI.run(
            ["alerts", "--data", bundled, "--quiet", "--format", "json", "--webhook", "http://localhost:\(r.port)/h"])
        #expect(run.status == 0, "\(run.err)")
        let got = try r.requests()
        #expect(got.map { $0["status"] as! Int } == [503, 429, 200])
        let at = got.map { $0["at"] as! Double }
        #expect(at[1] - at[0] >= 0.9 && at[2] - at[1] >= 0.9, "Retry-After: 1 honoured")
        #expect(run.err.contains("3 attempt(s)"))
    }

    /// The issue's sequence: 503, 503, 200 (one run, three attempts), then 400 (the next run: not retried, 69).
    @Test func unavailableTwiceThenDeliveredThenRefused() throws {
        let r = try Receiver(secret: secret, statuses: [503, 503, 200, 400])
        let args = ["alerts", "--data", bundled, "--quiet", "--format", "csv", "--webhook", "http://127.0.0.1:\(r.port)/h",
                    "--webhook-secret-env", "HS_TEST_SECRET"]
        let first = try CLI.run(args, environment: ["HS_TEST_SECRET": secret])
        #expect(first.status == 0 && first.err.contains("3 attempt(s)"), "\(first.err)")
        let second = try CLI.run(args, environment: ["HS_TEST_SECRET": secret])
        #expect(second.status == 69 && second.err.contains("HTTP 400") && second.err.contains("1 attempt(s)"))
        #expect(second.out == first.out && !second.out.isEmpty, "the rows are written before the delivery")
        let got = try r.requests()
        #expect(got.map { $0["status"] as! Int } == [503, 503, 200, 400])
        #expect(got.allSatisfy { $0["signature_ok"] as? Bool == true })
        #expect(Set(got.map { $0["id"] as! String }).count == 1, "the same run sends the same id")
    }

    /// Four failures: exit 69 naming the host and the last status, with every row already written.
    @Test func aRefusedDeliveryExits69WithTheRowsWritten() throws {
        let r = try Receiver(statuses: [500, 502, 500, 503])
        let out = Dir()
        let run = try CLI.run(
            ["alerts", "--data", bundled, "--as-of", "2024-03-10", "--quiet", "--format", "csv", "-o", out.path + "/a.csv",
             "--webhook", "http://127.0.0.1:\(r.port)/h"])
        #expect(run.status == 69)
        #expect(run.err.contains("127.0.0.1") && run.err.contains("HTTP 503") && run.err.contains("4 attempt(s)"))
        #expect(try r.requests().count == 4)
        let written = try String(contentsOfFile: out.path + "/a.csv", encoding: .utf8)
        let plain = try CLI.run(["alerts", "--data", bundled, "--as-of", "2024-03-10", "--quiet", "--format", "csv"])
        #expect(written == plain.out && written.split(separator: "\n").count > 1)
    }

    /// A 400 and a redirect are not retried, and the redirect is not followed.
    @Test func clientErrorsAndRedirectsAreNotRetried() throws {
        for status in [400, 302] {
            let r = try Receiver(statuses: [status], location: "http://127.0.0.1:1/elsewhere")
            let run = try CLI.run(["alerts", "--data", bundled, "--quiet", "--webhook", "http://127.0.0.1:\(r.port)/h"])
            #expect(run.status == 69, "\(status)")
            #expect(run.err.contains("HTTP \(status)"))
            #expect(try r.requests().count == 1)
        }
    }

    /// Refused before anything is sent or looked up: exit 64, and the secret never appears.
    @Test func badURLsAndSecretsAreUsageErrors() throws {
        let cases: [([String], [String: String])] = [
            (["--webhook", "http://hooks.example.com/x"], [:]),
            (["--webhook", "gopher://127.0.0.1/x"], [:]),
            (["--webhook", "http://127.0.0.1:9/x", "--webhook-secret-env", "HS_UNSET_VARIABLE"], [:]),
            (["--webhook", "http://127.0.0.1:9/x", "--webhook-secret-env", "HS_BAD"], ["HS_BAD": "hunter2-secret"]),
            (["--webhook", "http://127.0.0.1:9/x", "--webhook-format", "teams"], [:]),
            (["--webhook-secret-env", "HS_BAD"], [:]),
        ]
        for (extra, env) in cases {
            let run = try CLI.run(["alerts", "--data", bundled, "--quiet"] + extra, environment: env)
            #expect(run.status == 64, "\(extra): \(run.err)")
            #expect(!run.err.contains("hunter2") && run.out.isEmpty, "\(extra)")
        }
        let rank = try CLI.run(["rank", "--data", bundled, "--webhook", "http://127.0.0.1:9/x"])
        #expect(rank.status == 64 && rank.err.contains("--top"))
    }

    /// `rank --top N` in Slack's shape: unsigned, the top accounts as sections.
    @Test func rankTopIsDeliveredInSlacksShape() throws {
        let r = try Receiver()
        let run = try CLI.run(
            ["rank", "--data", bundled, "--top", "5", "--quiet", "--format", "json", "--webhook",
             "http://127.0.0.1:\(r.port)/slack", "--webhook-format", "slack"])
        #expect(run.status == 0, "\(run.err)")
        let got = try r.requests()
        try #require(got.count == 1)
        let headers = got[0]["headers"] as! [String: String]
        #expect(headers["webhook-signature"] == nil && headers["webhook-id"] == nil)
        let body = try JSONSerialization.jsonObject(with: Data((got[0]["body"] as! String).utf8)) as! [String: Any]
        let blocks = body["blocks"] as! [[String: Any]]
        #expect(blocks.count == 6)
        let ranked = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as! [String: Any]
        let first = (ranked["accounts"] as! [[String: Any]])[0]["account_id"] as! String
        #expect(((blocks[1]["text"] as! [String: Any])["text"] as! String).hasPrefix("*\(first)*"))
    }

    /// https with a CA made in the test: verified with --ca-file; without it the certificate check fails and is
    /// not retried (exit 69); a certificate for another name fails too.
    @Test func httpsIsVerifiedAgainstThePrivateCA() throws {
        let pki = try TestPKI([("good", "IP:127.0.0.1,DNS:localhost"), ("other", "DNS:other.example")])
        let good = try Receiver(secret: secret, tls: (pki.certificate("good"), pki.key("good")))
        let base = ["alerts", "--data", bundled, "--quiet", "--webhook-secret-env", "HS_S"]
        let ok = try CLI.run(
            base + ["--webhook", "https://localhost:\(good.port)/h", "--ca-file", pki.caFile],
            environment: ["HS_S": secret])
        #expect(ok.status == 0, "\(ok.err)")
        #expect(try good.requests().first?["signature_ok"] as? Bool == true)
        let unknown = try CLI.run(base + ["--webhook", "https://localhost:\(good.port)/h"], environment: ["HS_S": secret])
        #expect(unknown.status == 69 && unknown.err.contains("1 attempt(s)"), "\(unknown.err)")
        let other = try Receiver(tls: (pki.certificate("other"), pki.key("other")))
        let mismatch = try CLI.run(
            base + ["--webhook", "https://localhost:\(other.port)/h", "--ca-file", pki.caFile],
            environment: ["HS_S": secret])
        #expect(mismatch.status == 69 && mismatch.err.contains("1 attempt(s)"), "\(mismatch.err)")
        #expect(try other.requests().isEmpty)
        let badCA = try CLI.run(base + ["--webhook", "https://localhost:\(good.port)/h", "--ca-file", pki.dir.path + "/none.pem"],
                                environment: ["HS_S": secret])
        #expect(badCA.status == 64, "\(badCA.err)")
    }
}
