import Foundation

/// A real HTTP(S) receiver on 127.0.0.1 (`receiver.py`): it verifies signatures with Python's hmac, drops a
/// repeated id, answers with a scripted sequence of statuses, and logs every request. Stopped when released.
public final class Receiver {
    let process = Process()
    /// The file the receiver logs each request to (one JSON object per line).
    public let log: String
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    let dir = Dir()

    public init(secret: String? = nil, statuses: [Int] = [], retryAfter: Int? = nil, location: String? = nil,
         tls: (cert: String, key: String)? = nil) throws {
        log = dir.path + "/log.jsonl"
        var args = [CLI.packageRoot + "/Tests/WebhookTests/receiver.py", "--log", log]
        if let secret { args += ["--secret", secret] }
        if !statuses.isEmpty { args += ["--statuses", statuses.map(String.init).joined(separator: ",")] }
        if let retryAfter { args += ["--retry-after", String(retryAfter)] }
        if let location { args += ["--location", location] }
        if let tls { args += ["--tls", tls.cert, tls.key] }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line is the port it listens on.
        var line = Data()
        while true {
            let b = out.fileHandleForReading.readData(ofLength: 1)
            if b.isEmpty || b == Data("\n".utf8) { break }
            line.append(b)
        }
        guard let p = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw ReceiverFailure(message: "the receiver did not start")
        }
        port = p
    }

    // SIGKILL: the test process's threads block SIGTERM, and a child started from them may inherit the mask.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The requests received, in order.
    public func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

public struct ReceiverFailure: Error { public var message: String }

