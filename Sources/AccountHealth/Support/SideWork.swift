import Foundation

/// Work started on a thread of its own at once; `wait` blocks until it ends and gives its result (any number of
/// times): the second half of a file scan, the weight suggestion beside the logistic model. The thread has 4 MiB
/// of stack (the scan's frames and the models' hold buffers).
final class SideWork<T: Sendable>: @unchecked Sendable {
    private var result: Result<T, Error>?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()

    init(_ work: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let r = Result { try work() }
            lock.withLock { result = r }
            done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    /// The work's result, once it has ended.
    func wait() -> Result<T, Error> {
        if let r = lock.withLock({ result }) { return r }
        done.wait()
        done.signal()  // a later wait returns at once
        return lock.withLock { result! }
    }
}
