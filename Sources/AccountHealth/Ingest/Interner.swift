/// Dictionary-encodes byte strings (account ids) to dense Int32 codes without allocating per lookup.
public struct Interner: Sendable {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    /// Open-addressing table: each slot holds `code + 1` in the low 32 bits (0 = empty) and the upper
    /// 32 bits of the hash above it, so most mismatches are rejected without touching the arena.
    private var slots: [UInt64]
    private var mask: Int
    private var hashes: [UInt64] = []

    /// An empty interner with room for `capacity` bytes of strings.
    public init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = Array(repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always) static func tag(_ h: UInt64) -> UInt64 { h & 0xFFFF_FFFF_0000_0000 }

    /// The number of distinct strings.
    public var count: Int { offsets.count - 1 }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100000001b3 }
        // Final mix so both the low bits (slot) and the high bits (tag) depend on every byte.
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        return h
    }

    /// The code of the bytes, inserting them when new. `isNew` tells whether they were inserted.
    @inline(__always)
    public mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int, isNew: inout Bool) -> Int32 {
        let h = Interner.hash(p, n)
        let tag = Interner.tag(h)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let code = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if equal(Int(code), p, n) { isNew = false; return code }
            }
            slot = (slot + 1) & mask
        }
        isNew = true
        let code = Int32(count)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        offsets.append(arena.count)
        hashes.append(h)
        slots[slot] = tag | UInt64(code + 1)
        if count * 2 > slots.count { grow() }
        return code
    }

    /// The code of the bytes, or nil when they were never interned.
    public func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = Interner.hash(p, n)
        let tag = Interner.tag(h)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let code = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if equal(Int(code), p, n) { return code }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The code of `s`, or nil when it was never interned.
    public func lookup(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { b in lookup(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count) }
    }

    /// The code of `s`, interning it when it is new.
    public mutating func intern(_ s: String) -> Int32 {
        var s = s
        var isNew = false
        return s.withUTF8 { b in intern(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count, isNew: &isNew) }
    }

    /// Whether code `code` holds exactly these bytes.
    @inline(__always)
    public func matches(_ code: Int32, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool { equal(Int(code), p, n) }

    @inline(__always)
    private func equal(_ code: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let s = offsets[code], e = offsets[code + 1]
        guard e - s == n else { return false }
        return arena.withUnsafeBufferPointer { a in
            for i in 0..<n where a[s + i] != p[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = Array(repeating: 0, count: n)
        mask = n - 1
        for code in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[code]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Interner.tag(hashes[code]) | UInt64(code + 1)
        }
    }

    /// The string of a code.
    public func string(_ code: Int32) -> String {
        let s = offsets[Int(code)], e = offsets[Int(code) + 1]
        return String(decoding: arena[s..<e], as: UTF8.self)
    }

    /// All strings in code order.
    public var strings: [String] { (0..<count).map { string(Int32($0)) } }

    /// The codes ordered by their strings' bytes: an order that does not depend on the order rows came in
    /// (a file's, a database's), so that sums over accounts are the same whatever the source.
    public var codesByString: [Int32] {
        (0..<Int32(count)).sorted { a, b in
            let sa = offsets[Int(a)], ea = offsets[Int(a) + 1], sb = offsets[Int(b)], eb = offsets[Int(b) + 1]
            return arena[sa..<ea].lexicographicallyPrecedes(arena[sb..<eb])
        }
    }
}
