import Foundation

/// The loopback interface, as a host is written (no name is ever looked up): the studio needs a token for any
/// other address (DESIGN §11), and a plain-http webhook goes only there (DESIGN §16).
public enum Loopback {
    /// Whether a host is the loopback interface: `localhost`, an IPv4 address in 127.0.0.0/8 written as four
    /// decimal parts, or the IPv6 address `::1` (in any spelling). A name that merely starts with `127.`
    /// (`127.example.com`) is not: it can resolve anywhere.
    public static func contains(_ host: String) -> Bool {
        if host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 {
            let octets = parts.map { p in
                p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) ? Int(p) : nil
            }
            return octets.allSatisfy { $0.map { (0...255).contains($0) } ?? false } && octets[0] == 127
        }
        var address = in6_addr()
        guard host.contains(":"), inet_pton(AF_INET6, host, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
    }
}
