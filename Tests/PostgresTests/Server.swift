import Foundation
import Testing
import TestSupport

/// A throw-away PostgreSQL server for the tests: a new cluster in a temporary directory (initdb, as the
/// `postgres` user when running as root), listening on 127.0.0.1 only, on a free port; stopped and removed
/// when the value goes away, even when a test fails. Debian's `postgresql` package provides the binaries
/// (scripts/setup.sh installs it). Connections over TCP need the password (scram-sha-256), as a real server's
/// do; the socket in the directory trusts the local user, for the server's own tools.
final class PostgresServer: @unchecked Sendable {
    let port: Int
    let dir: String
    let bin: String
    let password = Secrets.make("pw")
    private let asPostgres: Bool

    /// The URL the tool connects with (the password comes from PGPASSWORD, see `environment`).
    var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }
    var environment: [String: String] { ["PGPASSWORD": password] }

    static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }.flatMap { FileManager.default.fileExists(atPath: $0 + "/initdb") ? $0 : nil }
    }

    static var available: Bool { binDirectory != nil }

    /// Whether the server takes TLS connections only (`ssl = on`, `hostssl` rules alone in pg_hba.conf).
    let tlsOnly: Bool

    /// A server; with `tls` (a CA made in the test and the name of the certificate it signed for the server), it
    /// runs with `ssl = on` and accepts TCP connections over TLS only (every `host` rule becomes `hostssl`).
    init(tls: (pki: TestPKI, certificate: String)? = nil) throws {
        guard let bin = PostgresServer.binDirectory else { throw Failure("PostgreSQL is not installed (scripts/setup.sh installs it)") }
        self.bin = bin
        asPostgres = getuid() == 0
        tlsOnly = tls != nil
        dir = NSTemporaryDirectory() + "hs-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if asPostgres { try PostgresServer.run("/bin/chown", ["postgres:postgres", dir]) }
        var port = 0
        for _ in 0..<20 {
            let candidate = 20_000 + Int.random(in: 0..<20_000)
            if PostgresServer.portIsFree(candidate) { port = candidate; break }
        }
        self.port = port
        let pwfile = dir + "/pw"
        try password.write(toFile: pwfile, atomically: true, encoding: .utf8)
        if asPostgres { try PostgresServer.run("/bin/chown", ["postgres:postgres", pwfile]) }
        try pg("initdb", ["-D", dir + "/data", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "-U", "postgres",
                          "--no-sync", "-E", "UTF8", "--locale", "C"])
        var options = "-p \(port) -c listen_addresses=127.0.0.1 -k \(dir) -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        if let (pki, name) = tls {
            // The server's key must be its own and private (0600), as PostgreSQL checks.
            for (from, to) in [(pki.certificate(name), "server.crt"), (pki.key(name), "server.key")] {
                try FileManager.default.copyItem(atPath: from, toPath: dir + "/data/" + to)
                if asPostgres { try PostgresServer.run("/bin/chown", ["postgres:postgres", dir + "/data/" + to]) }
            }
            try PostgresServer.run("/bin/chmod", ["600", dir + "/data/server.key"])
            let hba = dir + "/data/pg_hba.conf"
            let rules = try String(contentsOfFile: hba, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("host ") ? "hostssl" + $0.dropFirst(4) : String($0) }
            try rules.joined(separator: "\n").write(toFile: hba, atomically: false, encoding: .utf8)
            options += " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
        }
        try pg("pg_ctl", ["-D", dir + "/data", "-l", dir + "/log", "-w", "-t", "60", "start", "-o", options])
    }

    deinit {
        try? pg("pg_ctl", ["-D", dir + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs a PostgreSQL program (as `postgres` when root), waiting for it with waitpid. Its output goes to a
    /// file, not a pipe, and it is spawned directly (posix_spawn): the server that `pg_ctl start` leaves running
    /// must not hold anything of ours open.
    func pg(_ program: String, _ args: [String]) throws {
        let log = dir + "/\(program).out"
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", bin + "/" + program] + args : [bin + "/" + program] + args
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw Failure("cannot start \(argv[0]): \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure("\(program) failed (status \(status)): \(text)")
        }
    }

    /// Runs SQL with psql on this server and returns its CSV output (header first). Stops on the first error.
    @discardableResult
    func sql(_ text: String, database: String = "postgres") throws -> String {
        let file = dir + "/q-\(UUID().uuidString).sql"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if asPostgres { try PostgresServer.run("/bin/chmod", ["644", file]) }
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try PostgresServer.run("/usr/bin/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database,
                                                       "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-f", file],
                                   environment: environment.merging(["PGSSLMODE": tlsOnly ? "require" : "prefer"]) { $1 })
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func portIsFree(_ port: Int) -> Bool { Ports.isFree(port) }

    /// Runs a program (the shared test runner) and returns its standard output; a non-zero exit is a failure.
    @discardableResult
    static func run(_ tool: String, _ args: [String], environment: [String: String] = [:]) throws -> String {
        let r = try CLI.runTool(tool, args, environment: environment)
        guard r.status == 0 else { throw Failure("\(tool) \(args.prefix(4).joined(separator: " ")) exited \(r.status): \(r.err)") }
        return r.out
    }
}
