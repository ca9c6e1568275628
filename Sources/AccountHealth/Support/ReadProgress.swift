import Foundation

/// How far the file readers have got, for a front end to show (the library itself never prints).
/// Readers add the bytes they will read when they open a file and the bytes read after each block.
///
/// There is no process-wide counter: a front end makes one and binds it around the work it wants to
/// follow (`ReadProgress.$current.withValue(progress) { … }`), so two requests of a server each count
/// their own reads, and work with none bound counts nothing.
public final class ReadProgress: @unchecked Sendable {
    /// The progress that readers opened in the current task (or synchronous call) report to.
    @TaskLocal public static var current: ReadProgress?

    /// A progress with nothing read yet.
    public init() {}
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
