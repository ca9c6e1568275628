/// A buffer that parallel parts write at disjoint indices only (each part its own slots), alive for the whole
/// parallel run: the one way the library shares memory between threads. Never pass an array itself, whose
/// copy-on-write a concurrent write can trigger and race.
struct DisjointSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
