import Foundation

/// How far the file readers have got, for a front end to show (the library itself never prints).
/// Readers add the bytes they will read when they open a file and the bytes read after each block.
public final class ReadProgress: @unchecked Sendable {
    public static let shared = ReadProgress()
    private let lock = NSLock()
    private var done = 0
    private var total = 0
    private var name = ""

    /// (bytes read, bytes to read, current file) so far.
    public var snapshot: (done: Int, total: Int, file: String) {
        lock.lock(); defer { lock.unlock() }
        return (done, total, name)
    }

    func opened(_ file: String, bytes: Int) {
        lock.lock(); total += max(0, bytes); name = file; lock.unlock()
    }

    func read(_ bytes: Int) {
        lock.lock(); done += bytes; lock.unlock()
    }
}
