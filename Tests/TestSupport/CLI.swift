import Foundation

/// Runs the built `healthscore` binary and returns (status, stdout, stderr): shared by the test targets that
/// run the tool end to end (the CLI's and the database's).
public enum CLI {
    public static let binary: String = {
        if let p = ProcessInfo.processInfo.environment["HEALTHSCORE_BIN"] { return p }
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/debug"))
        for c in candidates {
            let p = c.appendingPathComponent("healthscore").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return URL(fileURLWithPath: packageRoot).appendingPathComponent(".build/debug/healthscore").path
    }()

    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @discardableResult
    public static func run(_ args: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try runTool(binary, args, cwd: cwd, environment: environment)
    }

    /// Runs a program; `environment` is added to this process's.
    public static func runTool(_ tool: String, _ args: [String], cwd: String? = nil,
                               environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let o = Pipe(), e = Pipe()
        p.standardOutput = o
        p.standardError = e
        try p.run()
        // Read stderr on another thread while stdout is drained here, so a large output cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = e.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = o.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        let (out, err) = (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
        Secrets.record(out)
        Secrets.record(err)
        return (p.terminationStatus, out, err)
    }
}

/// A temporary directory, removed when the value goes away.
public final class Dir {
    public let path: String
    public init() {
        path = NSTemporaryDirectory() + "hs-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    @discardableResult public func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
    @discardableResult public func write(_ name: String, bytes: [UInt8]) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

/// Ports on 127.0.0.1 for the servers the tests start.
public enum Ports {
    /// Whether a port of 127.0.0.1 can be bound now.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
