import AccountHealth
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOSSL

/// One run's message to a webhook (DESIGN §16): the command's JSON rows with the run's as-of date and
/// configuration version, as a Standard Webhooks (v1) event or in Slack's incoming-webhook shape.
public struct WebhookMessage: Sendable {
    /// The event type: `healthscore.alerts` or `healthscore.rank`.
    public var type: String
    /// The as-of date of the run.
    public var asOf: Int32
    /// The configuration version in force at the as-of date, when scored under a history.
    public var configVersion: String?
    /// The command's JSON rows, in its order.
    public var rows: [JSON]
    /// `webhook-id`: a hash of the type, the as-of date, the configuration and the rows, so the same run sends
    /// the same id and a receiver drops a repeat.
    public let id: String

    /// A message; `configuration` is what scored the rows (its YAML enters the id).
    public init(type: String, asOf: Int32, configVersion: String?, configuration: Configuration, rows: [JSON]) {
        self.type = type
        self.asOf = asOf
        self.configVersion = configVersion
        self.rows = rows
        var h = SHA256()
        for part in [
            type, Day.format(asOf), configVersion ?? "", configuration.yaml(),
            JSON.array(rows).serialized(pretty: false),
        ] {
            h.update(data: Data(part.utf8))
            h.update(data: Data([0]))
        }
        id = "msg_" + h.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// The Standard Webhooks body: `{"type", "timestamp", "data": {"run_id", "as_of", "config_version", "rows"}}`.
    public func standardBody(timestamp: Date) -> String {
        JSON.object([
            ("type", .string(type)),
            ("timestamp", .string(Self.iso8601(timestamp))),
            (
                "data",
                .object([
                    ("run_id", .string(id)), ("as_of", .string(Day.format(asOf))),
                    ("config_version", configVersion.map(JSON.string) ?? .null), ("rows", .array(rows)),
                ])
            ),
        ]).serialized(pretty: false)
    }

    /// Slack's incoming-webhook body: `text` as the fallback and `blocks` (a header, one section per row up to 48,
    /// then a context "and N more": at most 50 blocks, Slack's limit).
    public func slackBody() -> String {
        let what = type == "healthscore.rank" ? "accounts most at risk" : "alert(s)"
        let title =
            "healthscore: \(rows.count) \(what) as of \(Day.format(asOf))"
            + (configVersion.map { " (configuration \($0))" } ?? "")
        func plain(_ s: String) -> JSON { .object([("type", .string("plain_text")), ("text", .string(s))]) }
        func markdown(_ s: String) -> JSON { .object([("type", .string("mrkdwn")), ("text", .string(s))]) }
        var blocks: [JSON] = [.object([("type", .string("header")), ("text", plain(String(title.prefix(150))))])]
        for row in rows.prefix(48) {
            blocks.append(.object([("type", .string("section")), ("text", markdown(Self.slackLine(row)))]))
        }
        if rows.count > 48 {
            blocks.append(
                .object([("type", .string("context")), ("elements", .array([markdown("and \(rows.count - 48) more")]))])
            )
        }
        return JSON.object([("text", .string(title)), ("blocks", .array(blocks))]).serialized(pretty: false)
    }

    /// One row as a Slack line: the account in bold, then the row's other values.
    static func slackLine(_ row: JSON) -> String {
        guard case .object(let fields) = row else { return row.serialized(pretty: false) }
        var account = ""
        var rest: [String] = []
        for (k, v) in fields {
            let text: String
            switch v {
            case .string(let s): text = s
            case .null: continue
            case .number(let x): text = NumberFormat.fixed(x, 2)
            default: text = v.serialized(pretty: false)
            }
            if k == "account_id" { account = text } else { rest.append("\(k): \(text)") }
        }
        let escaped = rest.joined(separator: ", ").replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return String(("*\(account)*  " + escaped).prefix(3000))
    }

    static func iso8601(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return f.string(from: d)
    }
}

/// A webhook signing secret: `whsec_` followed by base64 (Standard Webhooks).
public struct WebhookSecret: Sendable {
    let key: SymmetricKey

    /// The secret of a `whsec_<base64>` text; anything else is an error that never shows the text.
    public init(_ text: String, variable: String) throws {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("whsec_"), let raw = Data(base64Encoded: String(t.dropFirst(6))), !raw.isEmpty else {
            throw WebhookError.badSecret(variable: variable)
        }
        key = SymmetricKey(data: raw)
    }

    /// `v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>`.
    public func signature(id: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// Why a delivery failed or was refused.
public enum WebhookError: Error, Sendable, CustomStringConvertible, ClassifiedFailure {
    /// A URL that is not http(s), or plain http to a host that is not loopback (refused before any lookup).
    case refusedURL(String, reason: String)
    /// The secret's variable is not set.
    case missingSecret(variable: String)
    /// The secret is not `whsec_` + base64.
    case badSecret(variable: String)
    /// The CA file cannot be read.
    case badCAFile(String, reason: String)
    /// Every attempt failed (or one that is not retried did): the host and the last status or error.
    case failed(host: String, attempts: Int, last: String)

    /// What went wrong, never with the secret.
    public var description: String {
        switch self {
        case .refusedURL(let u, let why): return "webhook URL refused (\(why)): \(u)"
        case .missingSecret(let v): return "the webhook secret variable \(v) is not set"
        case .badSecret(let v):
            return "the webhook secret in \(v) is not whsec_ followed by base64 (the value is not shown)"
        case .badCAFile(let f, let why): return "--ca-file \(f): \(why)"
        case .failed(let host, let n, let last):
            return "webhook delivery to \(host) failed after \(n) attempt(s): \(last)"
        }
    }

    /// A refused URL or a bad secret is a usage error (64); a failed delivery, an unavailable service (69).
    public var failureClass: FailureClass {
        switch self {
        case .refusedURL, .missingSecret, .badSecret, .badCAFile: return .usage
        case .failed: return .unavailable
        }
    }
}

/// How a message is sent (DESIGN §16).
public struct WebhookOptions: Sendable {
    /// The body's shape.
    public enum Format: String, Sendable, CaseIterable { case standard, slack }
    /// The shape.
    public var format: Format = .standard
    /// The secret that signs a standard message (none: unsigned).
    public var secret: WebhookSecret? = nil
    /// A private CA's PEM file, trusted for https.
    public var caFile: String? = nil
    /// Each attempt's timeout, in seconds.
    public var timeout: Int64 = 15
    /// The attempts at most.
    public var attempts = 4
    /// The first backoff, in seconds (then doubled: 1, 2, 4), each times a random factor in [0.5, 1.5].
    public var backoff = 1.0
    /// The longest `Retry-After` honoured, in seconds.
    public var maxRetryAfter = 60.0

    /// Options with the defaults of §16.
    public init(format: Format = .standard, secret: WebhookSecret? = nil, caFile: String? = nil) {
        self.format = format
        self.secret = secret
        self.caFile = caFile
    }
}

/// What a delivery did.
public struct WebhookDelivery: Sendable {
    /// The message id sent.
    public var id: String
    /// The attempts made.
    public var attempts: Int
    /// The final HTTP status.
    public var status: Int
    /// The host delivered to.
    public var host: String
}

/// Sends webhook messages: one POST per run, retried as §16 says.
public enum Webhooks {
    /// Checks a URL before anything is sent or looked up: `https`, or plain `http` to loopback only
    /// (`localhost`, 127.0.0.0/8, `::1`).
    public static func check(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw WebhookError.refusedURL(text, reason: "not an http(s) URL")
        }
        switch scheme {
        case "https": return url
        case "http":
            guard isLoopback(host) else {
                throw WebhookError.refusedURL(text, reason: "plain http goes only to loopback; use https")
            }
            return url
        default:
            throw WebhookError.refusedURL(text, reason: "not an http(s) URL")
        }
    }

    /// A URL's host on the loopback interface (`Loopback.contains`, the studio's check), case and IPv6 brackets
    /// aside.
    static func isLoopback(_ host: String) -> Bool {
        Loopback.contains(host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
    }

    /// Sends `message` to `url` and returns what happened; throws `WebhookError.failed` when no attempt
    /// succeeded. Retried: a connection failure, a timeout, 429 and 5xx (backoff 1, 2, 4 s × [0.5, 1.5],
    /// `Retry-After` honoured up to 60 s). Not retried: any other non-2xx, a redirect (never followed) and a
    /// failed certificate check.
    public static func deliver(
        _ message: WebhookMessage, to urlText: String, options: WebhookOptions, now: Date = Date()
    ) async throws -> WebhookDelivery {
        let url = try check(urlText)
        let host = url.host ?? urlText
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw WebhookError.badCAFile(ca, reason: "not a readable PEM certificate file")
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(options.timeout), read: .seconds(options.timeout)))
        // The attempts are ours (§16): the pool must not retry a refused connection or a failed certificate check
        // on its own until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // The client is shut down (awaited) whatever the outcome, before the answer is returned.
        let outcome: Result<WebhookDelivery, any Error>
        do {
            outcome = .success(
                try await send(message, client: client, url: url, host: host, options: options, now: now))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        return try outcome.get()
    }

    /// The attempts of one delivery on an open client.
    static func send(
        _ message: WebhookMessage, client: HTTPClient, url: URL, host: String, options: WebhookOptions, now: Date
    ) async throws -> WebhookDelivery {
        let timestamp = Int(now.timeIntervalSince1970)
        let body = options.format == .slack ? message.slackBody() : message.standardBody(timestamp: now)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "healthscore/\(AccountHealthVersion.current)")
        if options.format == .standard {
            request.headers.add(name: "webhook-id", value: message.id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            if let secret = options.secret {
                request.headers.add(
                    name: "webhook-signature", value: secret.signature(id: message.id, timestamp: timestamp, body: body)
                )
            }
        }
        request.body = .bytes(ByteBuffer(string: body))

        var last = "no attempt"
        for attempt in 1...options.attempts {
            var wait: Double? = nil
            do {
                let response = try await client.execute(request, timeout: .seconds(options.timeout))
                let code = Int(response.status.code)
                _ = try? await response.body.collect(upTo: 1 << 20)
                if (200..<300).contains(code) {
                    return WebhookDelivery(id: message.id, attempts: attempt, status: code, host: host)
                }
                last = "HTTP \(code)"
                guard code == 429 || code >= 500 else {
                    if (300..<400).contains(code) { last += " (a redirect, never followed)" }
                    throw WebhookError.failed(host: host, attempts: attempt, last: last)
                }
                if let ra = response.headers.first(name: "retry-after"),
                    let s = Double(ra.trimmingCharacters(in: .whitespaces)),
                    s >= 0
                {
                    wait = min(s, options.maxRetryAfter)
                }
            } catch let e as WebhookError {
                throw e
            } catch let e as NIOSSLError {
                throw WebhookError.failed(host: host, attempts: attempt, last: "TLS failed: \(e)")
            } catch let e as BoringSSLError {
                throw WebhookError.failed(host: host, attempts: attempt, last: "certificate check failed: \(e)")
            } catch let e as NIOSSLExtraError {
                throw WebhookError.failed(host: host, attempts: attempt, last: "certificate check failed: \(e)")
            } catch {
                last = Self.describe(error)
            }
            guard attempt < options.attempts else { break }
            let backoff = options.backoff * Double(1 << (attempt - 1)) * Double.random(in: 0.5...1.5)
            try await Task.sleep(nanoseconds: UInt64((wait ?? backoff) * 1e9))
        }
        throw WebhookError.failed(host: host, attempts: options.attempts, last: last)
    }

    static func describe(_ e: any Error) -> String {
        if let h = e as? HTTPClientError {
            if h == .deadlineExceeded || h == .readTimeout || h == .connectTimeout { return "timed out" }
            return "connection failed (\(h))"
        }
        return "connection failed (\(e))"
    }
}
