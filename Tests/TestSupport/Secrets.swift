import Foundation

/// Every secret the tests make (database passwords, studio tokens) starts with `marker`, and every output the
/// tests capture from the tool (its stdout and stderr, a server's log) is appended to `log`; after the suite,
/// `scripts/check_no_secrets.sh` (run by `make test`) fails when the log holds the marker: a password or a token
/// that reached an output or a log line.
public enum Secrets {
    /// The prefix of every secret made in the tests.
    public static let marker = "hs-secret-"

    /// A new secret: the marker and random letters.
    public static func make(_ kind: String) -> String { marker + kind + "-" + UUID().uuidString.prefix(12) }

    /// Where the captured outputs go: HEALTHSCORE_CAPTURE_LOG, else .build/test-captures.log in the package.
    public static let log: String =
        ProcessInfo.processInfo.environment["HEALTHSCORE_CAPTURE_LOG"] ?? CLI.packageRoot + "/.build/test-captures.log"

    /// Appends an output (one write with O_APPEND, so concurrent tests do not interleave inside it).
    public static func record(_ text: String) {
        guard !text.isEmpty else { return }
        let fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
