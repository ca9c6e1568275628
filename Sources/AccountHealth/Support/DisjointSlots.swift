import Foundation

/// A buffer that parallel parts write at disjoint indices only (each part its own slots), alive for the whole
/// parallel run: the one way the library shares memory between threads. Never pass an array itself, whose
/// copy-on-write a concurrent write can trigger and race.
struct DisjointSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// One result per lane of a `concurrentPerform`: each lane sets its own slot (under a lock, the lanes are few and
/// their work long), the caller reads them all once every lane has ended.
final class Lanes<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()

    init(count: Int) { slots = [T?](repeating: nil, count: count) }

    func set(_ k: Int, _ value: T) { lock.withLock { slots[k] = value } }

    /// The lanes' values in lane order (every lane must have set its slot).
    var values: [T] { lock.withLock { slots.map { $0! } } }
}
