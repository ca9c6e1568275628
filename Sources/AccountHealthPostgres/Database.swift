import AccountHealth
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// libpq's `sslmode` (DESIGN §10 "Encryption"), with its meanings: `disable` never encrypts; `prefer` (the
/// default) encrypts when the server offers TLS, without checking its certificate; `require` refuses a server
/// without TLS; `verify-ca` also checks the certificate's chain against the CA; `verify-full` also checks that the
/// certificate names the host.
public enum SSLMode: String, Sendable, Equatable, CaseIterable {
    /// Plain text.
    case disable
    /// TLS when the server offers it (libpq's default).
    case prefer
    /// TLS or no connection.
    case require
    /// TLS with the certificate's chain checked.
    case verifyCA = "verify-ca"
    /// TLS with the chain and the host name checked.
    case verifyFull = "verify-full"
}

/// Where to connect (DESIGN §10): `postgresql://user[:password]@host[:port]/dbname[?sslmode=…&sslrootcert=…]`,
/// the password also from `PGPASSWORD`, the TLS mode and CA bundle also from `PGSSLMODE` and `PGSSLROOTCERT`. Any
/// other URL parameter than those it reads is refused, never ignored. Its description never shows the password.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// The user to connect as.
    public var user: String
    /// The password, from the URL or `PGPASSWORD`.
    public var password: String?
    /// The server's host.
    public var host: String
    /// The server's port (5432 unless told).
    public var port: Int
    /// The database.
    public var database: String
    /// TLS: the URL's `sslmode`, else `PGSSLMODE`, else `prefer` (libpq's default).
    public var sslMode: SSLMode = .prefer
    /// The PEM CA bundle the server's certificate is checked against: the URL's `sslrootcert`, else
    /// `PGSSLROOTCERT`, else `~/.postgresql/root.crt` when it exists (as libpq); nil: the system's trust store.
    /// `system` (libpq's word for it) is nil too.
    public var sslRootCert: String?
    /// The URL's `connect_timeout`, in seconds (PostgresNIO's 10 unless told).
    public var connectTimeout: Int?
    /// The URL's `application_name`, sent to the server at start-up.
    public var applicationName: String?

    /// The URL parameters the tool reads; any other is a usage error.
    public static let parameters = ["sslmode", "sslrootcert", "connect_timeout", "application_name"]

    /// Parses a URL; `environment` supplies `PGPASSWORD` when the URL carries no password, and `PGSSLMODE`,
    /// `PGSSLROOTCERT` and `HOME` for TLS.
    public init(_ text: String, environment: [String: String] = [:]) throws {
        func bad(_ why: String) -> DatabaseError { .badURL(DatabaseURL.redacted(text), why) }
        var rest = Substring(text)
        guard let scheme = ["postgresql://", "postgres://"].first(where: { rest.hasPrefix($0) }) else {
            throw bad("it must start with postgresql://")
        }
        rest = rest.dropFirst(scheme.count)
        var query: Substring? = nil
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("it names no user (postgresql://user@host/dbname)") }
        let credentials = rest[..<at]
        rest = rest[rest.index(after: at)...]
        if let colon = credentials.firstIndex(of: ":") {
            user = String(credentials[..<colon]).removingPercentEncoding ?? String(credentials[..<colon])
            let p = credentials[credentials.index(after: colon)...]
            password = String(p).removingPercentEncoding ?? String(p)
        } else {
            user = String(credentials).removingPercentEncoding ?? String(credentials)
            password = nil
        }
        if password == nil || password == "" { password = environment["PGPASSWORD"] }
        guard !user.isEmpty else { throw bad("it names no user (postgresql://user@host/dbname)") }
        guard let slash = rest.firstIndex(of: "/") else {
            throw bad("it names no database (postgresql://user@host/dbname)")
        }
        var hostPort = rest[..<slash]
        database = String(rest[rest.index(after: slash)...])
        guard !database.isEmpty else { throw bad("it names no database (postgresql://user@host/dbname)") }
        port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw bad("the port must be a number from 1 to 65535")
            }
            port = p
            hostPort = hostPort[..<colon]
        }
        host = String(hostPort.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        guard !host.isEmpty else { throw bad("it names no host") }

        var given: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            guard let eq = pair.firstIndex(of: "=") else {
                throw bad("the parameter '\(pair)' has no value (name=value)")
            }
            let name = String(pair[..<eq]).removingPercentEncoding ?? String(pair[..<eq])
            let value =
                String(pair[pair.index(after: eq)...]).removingPercentEncoding ?? String(pair[pair.index(after: eq)...])
            guard DatabaseURL.parameters.contains(name) else {
                let known = DatabaseURL.parameters.joined(separator: ", ")
                throw bad("the parameter '\(name)' is not one the tool reads (\(known))")
            }
            guard given[name] == nil else { throw bad("the parameter '\(name)' is given twice") }
            given[name] = value
        }
        if let mode = given["sslmode"] ?? environment["PGSSLMODE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let source = given["sslmode"] != nil ? "sslmode" : "PGSSLMODE"
            guard let m = SSLMode(rawValue: mode) else {
                let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                let allow = mode == "allow" ? " ('allow' is not supported: use prefer or disable)" : ""
                throw bad("\(source) '\(mode)' is not one of \(known)\(allow)")
            }
            sslMode = m
        }
        if let file = given["sslrootcert"] ?? environment["PGSSLROOTCERT"].flatMap({ $0.isEmpty ? nil : $0 }) {
            sslRootCert = file == "system" ? nil : file
        } else if let home = environment["HOME"], !home.isEmpty,
            FileManager.default.fileExists(atPath: home + "/.postgresql/root.crt")
        {
            sslRootCert = home + "/.postgresql/root.crt"
        }
        if let t = given["connect_timeout"] {
            guard let seconds = Int(t), seconds >= 0 else {
                throw bad("connect_timeout '\(t)' is not a whole number of seconds")
            }
            // libpq: 0 waits for ever; 1 is taken as 2.
            connectTimeout = seconds == 0 ? nil : max(2, seconds)
        }
        applicationName = given["application_name"]
    }

    /// The URL without the password.
    public var description: String {
        "postgresql://\(user)@\(host):\(port)/\(database)"
    }

    /// A URL as text with any password replaced by `***`.
    public static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > start.upperBound else {
            return text
        }
        let credentials = text[start.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}

/// What went wrong with a database (DESIGN §10), each case with the exit status the CLI gives it.
public enum DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL cannot be read (the password, if any, is shown as `***`).
    case badURL(String, String)
    /// Connection refused, host unknown or unreachable.
    case unavailable(host: String, port: Int, reason: String)
    /// The TLS the URL asked for cannot be had: the server offers none, its certificate's CA is unknown, or the
    /// certificate does not name the host (DESIGN §10 "Encryption").
    case tls(host: String, port: Int, reason: String)
    /// The CA bundle (`sslrootcert`) is not there.
    case missingCertificate(String)
    /// The CA bundle cannot be read as PEM certificates.
    case badCertificate(String, String)
    /// The server refused the user or the password.
    case authentication(user: String, host: String, port: Int, reason: String)
    /// A table, view or column that is not there.
    case missing(table: String, column: String?, reason: String)
    /// A value the data contract does not allow, with the row's key.
    case badValue(table: String, key: String, column: String, value: String, reason: String)
    /// Any other refusal by the server (permissions, a failed statement).
    case failed(String)

    /// What went wrong, in words (never with the password).
    public var description: String {
        switch self {
        case .badURL(let url, let why): return "\(url): not a database URL: \(why)"
        case .unavailable(let host, let port, let reason):
            return "cannot reach the database at \(host):\(port): \(reason)"
        case .tls(let host, let port, let reason):
            return "cannot make a TLS connection to the database at \(host):\(port): \(reason)"
        case .missingCertificate(let path):
            return "\(path): no such file (sslrootcert, the CA bundle the server's certificate is checked against)"
        case .badCertificate(let path, let reason):
            return "\(path): not a PEM CA bundle (sslrootcert): \(reason)"
        case .authentication(let user, let host, let port, let reason):
            return
                "the database at \(host):\(port) refused user '\(user)': \(reason) (the password comes from the URL "
                + "or PGPASSWORD)"
        case .missing(let table, let column, let reason):
            return column.map { "table \(table) has no column '\($0)': \(reason)" }
                ?? "no table or view \(table): \(reason)"
        case .badValue(let table, let key, let column, let value, let reason):
            return "\(table) [\(key)] column '\(column)': \(reason) (value: \"\(value)\")"
        case .failed(let message): return "the database refused: \(message)"
        }
    }
}

extension DatabaseError {
    /// The error as `validate` reports a file's: the table as the file, the key beside it, the column and the
    /// value; nil for a connection failure (not a defect of the data).
    public var inputError: InputError? {
        switch self {
        case .missing(let table, let column, let reason):
            return InputError(
                column == nil ? .missingFile : .missingColumn, Location(file: table, columnName: column), value: column,
                reason)
        case .badValue(let table, let key, let column, let value, let reason):
            let kind: InputError.Kind =
                reason.hasPrefix("duplicate")
                ? .duplicateRow
                : column.lowercased() == "risk"
                    ? .invalidRisk
                    : column.lowercased() == "date" || column.lowercased() == "time"
                        ? .invalidDate
                        : column.lowercased() == "outcome"
                            ? .invalidOutcome
                            : reason.contains("empty") ? .emptyValue : .invalidNumber
            return InputError(kind, Location(file: "\(table) [\(key)]", columnName: column), value: value, reason)
        case .failed(let message):
            return InputError(.unreadableFile, Location(file: "database"), message)
        case .badURL, .unavailable, .authentication, .tls, .missingCertificate, .badCertificate:
            return nil
        }
    }
}

/// One connection to a PostgreSQL server, used from synchronous code: every call waits for its answer on
/// the connection's own event loop thread, so it may be called from any thread but that one.
public final class Database: @unchecked Sendable {
    /// Where it is connected (its description has no password).
    public let url: DatabaseURL
    private let group: MultiThreadedEventLoopGroup
    private let connection: PostgresConnection
    private let logger = Logger(label: "accounthealth.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects with the TLS the URL asks for (DESIGN §10 "Encryption") and checks the credentials.
    public init(_ url: DatabaseURL) throws {
        self.url = url
        var config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: try Database.tls(url))
        if let t = url.connectTimeout { config.options.connectTimeout = .seconds(Int64(t)) }
        if let name = url.applicationName { config.options.additionalStartupParameters = [("application_name", name)] }
        if url.sslMode == .verifyFull, Database.isIPAddress(url.host) {
            // An address is checked against the certificate's IP entries; it is never sent as the server's name.
            config.options.tlsServerName = nil
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            connection = try PostgresConnection.connect(on: group.next(), configuration: config, id: 1, logger: logger)
                .wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Database.classify(error, url: url, table: nil, connecting: true)
        }
        // PostgreSQL's JIT compiles the push-down's large plans before running them: 1.5 s of the 8.2 s as-of query
        // of the 10 M-row benchmark (EXPLAIN ANALYZE in Benchmarks/results.md), and again in each parallel worker,
        // for hash joins and aggregates that gain nothing from it. Off for this session only (the check beside the
        // account ranges turns it on: `DatabaseTimeline.compiled`); a server without JIT (before
        // PostgreSQL 11) does not know the setting, which is harmless outside a transaction.
        _ = try? connection.query(PostgresQuery(unsafeSQL: "SET jit = off"), logger: logger).wait()
    }

    /// PostgresNIO's TLS mode for libpq's `sslmode`: `prefer` and `require` encrypt without checking the
    /// certificate, except that `require` with a CA bundle checks the chain, as libpq does; `verify-ca` checks the
    /// chain, `verify-full` the chain and the host name. The chain is checked against `sslrootcert` (or
    /// `~/.postgresql/root.crt`), else the system's trust store.
    static func tls(_ url: DatabaseURL) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        let checksChain =
            url.sslMode == .verifyCA || url.sslMode == .verifyFull
            || (url.sslMode == .require && url.sslRootCert != nil)
        // A CA bundle that is not there is refused whatever the mode (a typo in sslrootcert is never ignored).
        if url.sslMode != .disable, let file = url.sslRootCert, !FileManager.default.fileExists(atPath: file) {
            throw DatabaseError.missingCertificate(file)
        }
        switch url.sslMode {
        case .disable: return .disable
        case .verifyFull: tls.certificateVerification = .fullVerification
        case _ where checksChain: tls.certificateVerification = .noHostnameVerification
        default: tls.certificateVerification = .none
        }
        if checksChain, let file = url.sslRootCert {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw DatabaseError.badCertificate(file, "it cannot be read")
            }
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(file)
                guard !certificates.isEmpty else { throw DatabaseError.badCertificate(file, "it holds no certificate") }
                tls.trustRoots = .certificates(certificates)
            } catch let e as DatabaseError {
                throw e
            } catch {
                throw DatabaseError.badCertificate(file, "\(error)")
            }
        }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return url.sslMode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw DatabaseError.badCertificate(url.sslRootCert ?? "the system's trust store", "\(error)")
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    deinit {
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Runs one statement (the extended protocol: a string of several is refused), handing each row to
    /// `onRow` on the connection's thread as it arrives. `table` names the table in a "missing" error.
    public func query(
        _ sql: String, table: String? = nil, _ onRow: @escaping @Sendable (PostgresRow) throws -> Void = { _ in }
    ) throws {
        do {
            _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger, onRow).wait()
        } catch {
            throw classified(error, table: table)
        }
    }

    /// Sends one statement and returns at once: its rows go to `onRow` on the connection's thread as they
    /// arrive, and `Sent.wait` waits for its end (which makes the rows' effects visible to the waiting thread).
    public func send(
        _ sql: String, table: String? = nil, _ onRow: @escaping @Sendable (PostgresRow) throws -> Void
    ) -> Sent {
        Sent(database: self, table: table, done: connection.query(PostgresQuery(unsafeSQL: sql), logger: logger, onRow))
    }

    /// A statement sent on a connection (`send`), running or done.
    public struct Sent: Sendable {
        let database: Database
        let table: String?
        let done: EventLoopFuture<PostgresQueryMetadata>

        /// Waits for its end; its failure as a DESIGN §10 case.
        public func wait() throws {
            do {
                _ = try done.wait()
            } catch {
                throw database.classified(error, table: table)
            }
        }

        /// Waits for every one of them (a failed one does not leave the others running) and throws the first
        /// failure in the order given.
        public static func wait(_ sent: [Sent]) throws {
            var failure: (any Error)?
            for s in sent {
                do { try s.wait() } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
        }
    }

    /// A statement's failure as a DESIGN §10 case (a `DatabaseError` thrown by a row's handler as it is).
    func classified(_ error: any Error, table: String?) -> DatabaseError {
        error as? DatabaseError ?? Database.classify(error, url: url, table: table)
    }

    /// Runs statements in one transaction, in order, discarding any rows; on any failure the transaction is
    /// rolled back and nothing of it remains.
    public func transaction(_ statements: [String], table: String? = nil) throws {
        try query("BEGIN", table: table)
        do {
            for s in statements { try query(s, table: table) }
            try query("COMMIT", table: table)
        } catch {
            try? query("ROLLBACK", table: table)
            throw error
        }
    }

    /// The rows of a query, every cell as text (NULL as nil); for small answers (metadata, counts).
    public func rows(_ sql: String, table: String? = nil) throws -> [[String?]] {
        let box = Box<[[String?]]>([])
        try query(sql, table: table) { row in
            box.value.append(row.map { cell in cell.bytes.map { Cells.text($0, cell) } })
        }
        return box.value
    }

    /// Maps a connection or server error to the DESIGN §10 cases, never repeating the password.
    static func classify(
        _ error: any Error, url: DatabaseURL, table: String?, connecting: Bool = false
    ) -> DatabaseError {
        if connecting, let reason = tlsFailure(error, url: url) {
            return .tls(host: url.host, port: url.port, reason: reason)
        }
        guard let e = error as? PSQLError else {
            let text = Database.scrub("\(error)", url)
            return connecting ? .unavailable(host: url.host, port: url.port, reason: text) : .failed(text)
        }
        if e.code == .connectionError || e.code == .serverClosedConnection || e.code == .uncleanShutdown {
            let reason = e.underlying.map { "\($0)" } ?? "\(e.code)"
            return .unavailable(host: url.host, port: url.port, reason: Database.scrub(reason, url))
        }
        if e.code == .authMechanismRequiresPassword || e.code == .saslError || e.code == .unsupportedAuthMechanism {
            return .authentication(user: url.user, host: url.host, port: url.port, reason: "\(e.code)")
        }
        let state = e.serverInfo?[.sqlState] ?? ""
        let message = Database.scrub(e.serverInfo?[.message] ?? "\(e.code)", url)
        switch state {
        case "28P01", "28000":
            return .authentication(user: url.user, host: url.host, port: url.port, reason: message)
        case "3D000":
            return .missing(table: "database \(url.database)", column: nil, reason: message)
        case "42P01", "3F000":
            return .missing(table: table ?? "(unknown)", column: nil, reason: message)
        case "42703":
            return .missing(table: table ?? "(unknown)", column: e.serverInfo?[.columnName], reason: message)
        case "42501":
            return .authentication(user: url.user, host: url.host, port: url.port, reason: message)
        case _ where state.hasPrefix("08") || state == "57P03" || state == "53300":
            return .unavailable(host: url.host, port: url.port, reason: message)
        default:
            return .failed(message)
        }
    }

    /// Why a TLS connection failed, in words, or nil when the failure was not TLS's: the server offers no TLS, the
    /// certificate's CA is not the one given, or the certificate does not name the host.
    static func tlsFailure(_ error: any Error, url: DatabaseURL) -> String? {
        let underlying = (error as? PSQLError)?.underlying ?? error
        if let e = error as? PSQLError, e.code == .sslUnsupported {
            return "the server does not offer TLS (sslmode=\(url.sslMode.rawValue) needs it)"
        }
        let ca = url.sslRootCert.map { "the CA in \($0)" } ?? "the system's trust store"
        let text = "\(underlying)"
        if let e = underlying as? NIOSSLExtraError, e == .failedToValidateHostname {
            return "the server's certificate does not name the host \(url.host) (sslmode=verify-full)"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "the server's certificate is not signed by \(ca) (sslmode=\(url.sslMode.rawValue)): unknown CA"
        }
        if underlying is NIOSSLError || text.contains("handshakeFailed") {
            return "the TLS handshake failed: \(Database.scrub(text, url))"
        }
        return nil
    }

    /// Removes the password from a message, should a driver ever repeat it.
    static func scrub(_ text: String, _ url: DatabaseURL) -> String {
        guard let p = url.password, !p.isEmpty else { return text }
        return text.replacingOccurrences(of: p, with: "***")
    }
}

/// A value the row callbacks (on the connection's thread) fill while the caller waits.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Reads the cells the queries ask for: each column is cast in SQL to `text`, `double precision`, `date` or
/// `bigint`, so only those binary formats are decoded here.
enum Cells {
    /// Days from 1970-01-01 (the library's day 0) to 2000-01-01 (PostgreSQL's).
    static let postgresEpoch: Int32 = 10957

    static func text(_ b: ByteBuffer, _ cell: PostgresCell) -> String {
        switch cell.dataType {
        case .float8: return double(b).map { NumberFormat.exact($0) } ?? ""
        case .date: return date(b).map(Day.format) ?? "infinity"
        case .int8: var c = b; return c.readInteger(as: Int64.self).map(String.init) ?? ""
        case .int4: var c = b; return c.readInteger(as: Int32.self).map(String.init) ?? ""
        case .bool: return b.getInteger(at: b.readerIndex, as: UInt8.self) == 1 ? "true" : "false"
        default: return String(buffer: b)
        }
    }

    /// A risk cell's level, parsed from its bytes as the CSV readers parse it (empty: none); nil for a word that is
    /// not a level.
    static func risk(_ b: ByteBuffer) -> RiskLevel? {
        b.readableBytes == 0
            ? RiskLevel.none
            : b.withUnsafeReadableBytes { RiskLevel.parse($0.bindMemory(to: UInt8.self).baseAddress!, $0.count) }
    }

    /// A `bigint` (a count).
    @inline(__always) static func bigint(_ b: ByteBuffer) -> Int64? { b.getInteger(at: b.readerIndex, as: Int64.self) }

    @inline(__always) static func double(_ b: ByteBuffer) -> Double? {
        b.getInteger(at: b.readerIndex, as: UInt64.self).map { Double(bitPattern: $0) }
    }

    /// A `date` as library days; nil for ±infinity.
    @inline(__always) static func date(_ b: ByteBuffer) -> Int32? {
        guard let d = b.getInteger(at: b.readerIndex, as: Int32.self), d != .max, d != .min else { return nil }
        return d &+ postgresEpoch
    }
}

extension DatabaseError: ClassifiedFailure {
    /// DESIGN §10's classes (sysexits): a bad URL or CA bundle is usage (64), an unreachable server or a refused
    /// TLS connection unavailable (69), a missing CA bundle a missing input (66), refused
    /// credentials permission (77), a missing table a missing input (66), a bad value or a failed query bad data (65).
    public var failureClass: FailureClass {
        switch self {
        case .badURL, .badCertificate: return .usage
        case .unavailable, .tls: return .unavailable
        case .missingCertificate: return .missingInput
        case .authentication: return .permission
        case .missing: return .missingInput
        case .badValue, .failed: return .badData
        }
    }
}
