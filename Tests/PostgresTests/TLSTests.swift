import AccountHealth
import AccountHealthPostgres
import Foundation
import Testing
import TestSupport

/// TLS to PostgreSQL (DESIGN §10 "Encryption") on a real server with `ssl = on` that takes TLS connections only,
/// its certificate signed by a CA made in the test with openssl: libpq's `sslmode` and `sslrootcert` from the URL
/// or the environment, every refusal with its exit status and reason, and the commands' answers unchanged.
@Suite(.serialized, .enabled(if: PostgresServer.available, "PostgreSQL is installed (scripts/setup.sh)"))
struct TLSTests {
    static let simulated = repoRoot + "/datasets/simulated"
    static let config = simulated + "/config.yaml"

    /// The server's certificate names `localhost` only: connecting to 127.0.0.1 is a host-name mismatch.
    static func pki() throws -> TestPKI { try TestPKI([("server", "DNS:localhost")]) }

    func run(_ args: [String], _ url: String, _ server: PostgresServer, env: [String: String] = [:])
        throws -> (status: Int32, out: String, err: String)
    {
        try CLI.run(args + ["--db", url, "--config", Self.config, "--quiet"], environment: server.environment.merging(env) { $1 })
    }

    @Test func verifiedConnectionsAnswerAsTheFiles() throws {
        let pki = try Self.pki()
        let server = try PostgresServer(tls: (pki, "server"))
        try load(server, dataset: Self.simulated)
        let verified = "postgresql://postgres@localhost:\(server.port)/postgres?sslmode=verify-full&sslrootcert=\(pki.caFile)"
        // Push-down (score at one date, fit, rank), streaming (a replay, survival) and the same bytes as the CSV run.
        for command in [["score"], ["score", "--every", "90"], ["fit"], ["rank"]] {
            let files = try CLI.run(command + ["--data", Self.simulated, "--format", "csv", "--quiet"])
            let tls = try run(command + ["--format", "csv"], verified, server)
            #expect(files.status == 0 && tls.status == 0, "\(command): \(tls.err)")
            #expect(tls.out == files.out && tls.out.count > 1000, "\(command)")
        }
        // Write-back over TLS.
        let written = try run(["score", "--to-table", "health_scores"], verified, server)
        #expect(written.status == 0, "\(written.err)")
        #expect(try server.sql("SELECT count(*) > 0 AS ok FROM health_scores") == "ok\nt\n")
        // The server saw TLS on every connection of ours (pg_stat_ssl lists the live ones: psql's, over TLS too).
        #expect(try server.sql("SELECT bool_and(ssl) AS ok FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE client_addr IS NOT NULL") == "ok\nt\n")
        // verify-ca checks the chain, not the name: 127.0.0.1 passes. The environment names the mode and the CA.
        let byAddress = "postgresql://postgres@127.0.0.1:\(server.port)/postgres"
        let ca = try run(["score", "--format", "csv"], byAddress, server,
                         env: ["PGSSLMODE": "verify-ca", "PGSSLROOTCERT": pki.caFile])
        #expect(ca.status == 0, "\(ca.err)")
        // prefer (the default) and require encrypt without checking the certificate; the server takes them.
        for mode in ["", "?sslmode=prefer", "?sslmode=require"] {
            let r = try run(["score", "--format", "csv"], byAddress + mode, server)
            #expect(r.status == 0, "\(mode): \(r.err)")
        }
        // disable: plain text, which the server's hostssl-only rules refuse.
        let plain = try run(["score"], byAddress + "?sslmode=disable", server)
        #expect(plain.status == 77 && plain.err.contains("no encryption"), "\(plain.err)")
    }

    @Test func refusalsSayWhyAndExit69() throws {
        let pki = try Self.pki()
        let server = try PostgresServer(tls: (pki, "server"))
        let host = "postgresql://postgres@localhost:\(server.port)/postgres"
        // A CA that did not sign the server's certificate.
        let unknown = try run(["score"], host + "?sslmode=verify-full&sslrootcert=\(pki.otherCAFile)", server)
        #expect(unknown.status == 69 && unknown.err.contains("unknown CA") && unknown.err.contains(pki.otherCAFile), "\(unknown.err)")
        // require with a CA bundle checks the chain, as libpq does.
        let requireCA = try run(["score"], host + "?sslmode=require&sslrootcert=\(pki.otherCAFile)", server)
        #expect(requireCA.status == 69 && requireCA.err.contains("unknown CA"), "\(requireCA.err)")
        // The right CA, but the certificate names localhost, not 127.0.0.1.
        let mismatch = try run(["score"], "postgresql://postgres@127.0.0.1:\(server.port)/postgres?sslmode=verify-full&sslrootcert=\(pki.caFile)", server)
        #expect(mismatch.status == 69 && mismatch.err.contains("does not name the host 127.0.0.1"), "\(mismatch.err)")
        // A server without TLS: require refuses it, prefer falls back to plain text.
        let plainServer = try PostgresServer()
        try load(plainServer, dataset: Self.simulated)
        let plainURL = "postgresql://postgres@127.0.0.1:\(plainServer.port)/postgres"
        for mode in ["require", "verify-ca", "verify-full"] {
            let r = try run(["score"], plainURL + "?sslmode=\(mode)&sslrootcert=\(pki.caFile)", plainServer)
            #expect(r.status == 69 && r.err.contains("does not offer TLS"), "\(mode): \(r.err)")
        }
        let r = try run(["score"], plainURL, plainServer, env: ["PGSSLMODE": "require"])
        #expect(r.status == 69 && r.err.contains("does not offer TLS"), "\(r.err)")
        #expect(try run(["score"], plainURL + "?sslmode=prefer", plainServer).status == 0)
        // Nothing of it carries the password.
        for out in [unknown, requireCA, mismatch, r] { #expect(!(out.out + out.err).contains(server.password) && !(out.out + out.err).contains(plainServer.password)) }
    }

    @Test func badParametersAreUsageErrorsAndAMissingCAIs66() throws {
        let pki = try Self.pki()
        let server = try PostgresServer(tls: (pki, "server"))
        let host = "postgresql://postgres@localhost:\(server.port)/postgres"
        let cases: [(String, [String: String], Int32, String)] = [
            (host + "?sslmode=bogus", [:], 64, "sslmode 'bogus' is not one of disable, prefer, require, verify-ca, verify-full"),
            (host + "?sslmode=allow", [:], 64, "'allow' is not supported"),
            (host, ["PGSSLMODE": "strict"], 64, "PGSSLMODE 'strict' is not one of"),
            (host + "?sslmode=require&target_session_attrs=any", [:], 64, "the parameter 'target_session_attrs' is not one the tool reads"),
            (host + "?sslmode", [:], 64, "has no value"),
            (host + "?sslmode=require&sslmode=disable", [:], 64, "given twice"),
            (host + "?connect_timeout=soon", [:], 64, "connect_timeout 'soon'"),
            (host + "?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", [:], 66, "/nonexistent/ca.pem: no such file"),
            (host + "?sslmode=verify-full", ["PGSSLROOTCERT": "/nonexistent/root.pem"], 66, "/nonexistent/root.pem: no such file"),
            (host + "?sslmode=verify-full&sslrootcert=\(pki.key("server"))", [:], 64, "not a PEM CA bundle"),
        ]
        for (url, env, status, message) in cases {
            let r = try run(["score"], url, server, env: env)
            #expect(r.status == status && r.err.contains(message), "\(url) \(env): \(r.status) \(r.err)")
            #expect(!r.err.contains(server.password))
        }
        // The library's parse: defaults and the environment.
        #expect(try DatabaseURL("postgresql://u@h/d").sslMode == .prefer)
        #expect(try DatabaseURL("postgresql://u@h/d", environment: ["PGSSLMODE": "verify-ca"]).sslMode == .verifyCA)
        #expect(try DatabaseURL("postgresql://u@h/d?sslmode=disable", environment: ["PGSSLMODE": "require"]).sslMode == .disable)
        #expect(try DatabaseURL("postgresql://u@h/d?sslrootcert=system").sslRootCert == nil)
        let home = Dir()
        try FileManager.default.createDirectory(atPath: home.path + "/.postgresql", withIntermediateDirectories: true)
        home.write(".postgresql/root.crt", "")
        #expect(try DatabaseURL("postgresql://u@h/d", environment: ["HOME": home.path]).sslRootCert == home.path + "/.postgresql/root.crt")
        #expect(try DatabaseURL("postgresql://u@h:1/d?application_name=x&connect_timeout=5").connectTimeout == 5)
    }
}
