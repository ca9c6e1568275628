import Foundation

/// A private certificate authority made in a test with `openssl` (Debian's openssl, which scripts/setup.sh
/// installs): its CA certificate, and certificates it signed for the names asked for, each with its key. A second,
/// unrelated CA (`otherCA`) signs nothing the servers present: a client that trusts it must refuse them.
public final class TestPKI: @unchecked Sendable {
    /// The folder holding the files (removed with the value).
    public let dir = Dir()
    /// The CA's certificate (PEM).
    public var caFile: String { dir.path + "/ca.pem" }
    /// A CA that signed none of the certificates (PEM).
    public var otherCAFile: String { dir.path + "/other-ca.pem" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes the CAs and one certificate per `(name, subjectAltName)`, e.g. `("server", "DNS:localhost")`.
    public init(_ certificates: [(name: String, san: String)]) throws {
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=healthscore test CA"])
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem",
                     "-days", "2", "-subj", "/CN=healthscore other CA"])
        for (name, san) in certificates {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
                         "-subj", "/CN=\(name)"])
            dir.write("\(name).ext", "subjectAltName=\(san)\n")
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                         "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext"])
        }
    }

    /// The certificate made for `name` (PEM).
    public func certificate(_ name: String) -> String { dir.path + "/\(name).pem" }
    /// Its private key (PEM).
    public func key(_ name: String) -> String { dir.path + "/\(name).key" }

    private func openssl(_ args: [String]) throws {
        let r = try CLI.runTool("/usr/bin/openssl", args, cwd: dir.path)
        guard r.status == 0 else { throw Failure(description: "openssl \(args.prefix(2)): \(r.err)") }
    }
}
