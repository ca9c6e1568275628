import AccountHealth
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where to connect (DESIGN §10): `postgresql://user[:password]@host[:port]/dbname`, the password also from
/// `PGPASSWORD`. Its description never shows the password.
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

    /// Parses a URL; `environment` supplies `PGPASSWORD` when the URL carries no password.
    public init(_ text: String, environment: [String: String] = [:]) throws {
        func bad(_ why: String) -> DatabaseError { .badURL(DatabaseURL.redacted(text), why) }
        var rest = Substring(text)
        guard let scheme = ["postgresql://", "postgres://"].first(where: { rest.hasPrefix($0) }) else {
            throw bad("it must start with postgresql://")
        }
        rest = rest.dropFirst(scheme.count)
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
        database = String(rest[rest.index(after: slash)...].prefix { $0 != "?" })
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
    }

    /// The URL without the password.
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" }

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
        case .badURL, .unavailable, .authentication:
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

    /// Connects (no TLS: the tool is meant for a local or tunnelled server) and checks the credentials.
    public init(_ url: DatabaseURL) throws {
        self.url = url
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: .disable)
        do {
            connection = try PostgresConnection.connect(on: group.next(), configuration: config, id: 1, logger: logger)
                .wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Database.classify(error, url: url, table: nil, connecting: true)
        }
    }

    deinit {
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Runs one statement (or several separated by `;` when it has no parameters), handing each row to
    /// `onRow` on the connection's thread as it arrives. `table` names the table in a "missing" error.
    public func query(
        _ sql: String, table: String? = nil, _ onRow: @escaping @Sendable (PostgresRow) throws -> Void = { _ in }
    ) throws {
        do {
            _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger, onRow).wait()
        } catch let e as DatabaseError {
            throw e
        } catch {
            throw Database.classify(error, url: url, table: table)
        }
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
    /// DESIGN §10's classes (sysexits): a bad URL is usage (64), an unreachable server unavailable (69), refused
    /// credentials permission (77), a missing table a missing input (66), a bad value or a failed query bad data (65).
    public var failureClass: FailureClass {
        switch self {
        case .badURL: return .usage
        case .unavailable: return .unavailable
        case .authentication: return .permission
        case .missing: return .missingInput
        case .badValue, .failed: return .badData
        }
    }
}
