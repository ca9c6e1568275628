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

    @inline(__always) static func mix(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        return h
    }

    /// A hash of the bytes read a word at a time: ids of 4 to 8 bytes (the usual) cost two loads and one mix.
    /// Loads overlap instead of reading past the `n` bytes.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0xcbf29ce484222325 ^ (UInt64(truncatingIfNeeded: n) &* 0x9E3779B97F4A7C15)
        if n >= 8 {
            var i = 0
            while i &+ 8 <= n {
                h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xc4ceb9fe1a85ec53
                i &+= 8
            }
            if i < n { h = mix(h ^ raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)) }
        } else if n >= 4 {
            let lo = UInt64(raw.loadUnaligned(as: UInt32.self))
            let hi = UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
            h ^= lo | hi << 32
        } else if n > 0 {
            h ^= UInt64(p[0]) | UInt64(p[n >> 1]) << 8 | UInt64(p[n &- 1]) << 16
        }
        // Final mix so both the low bits (slot) and the high bits (tag) depend on every byte.
        return mix(mix(h) &* 0xc4ceb9fe1a85ec53)
    }

    /// Whether `a[0..<n]` and `b[0..<n]` hold the same bytes (word loads, overlapping at the end).
    @inline(__always)
    static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 {
            var i = 0
            while i &+ 8 <= n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                {
                    return false
                }
                i &+= 8
            }
            return i == n
                || a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
                    == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
        }
        for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
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
        guard n > 0 else { return true }
        return arena.withUnsafeBufferPointer { a in Interner.same(UnsafeRawPointer(a.baseAddress! + s), p, n) }
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
    /// Sorted by each string's first 8 bytes read as one big-endian integer (zero-padded), then by the whole
    /// bytes where those tie: integer comparisons for nearly every pair.
    public var codesByString: [Int32] {
        arena.withUnsafeBufferPointer { a in
            let base = a.baseAddress
            func prefix(_ code: Int) -> UInt64 {
                let s = offsets[code], n = min(8, offsets[code + 1] - s)
                var k: UInt64 = 0
                for i in 0..<8 { k = k << 8 | (i < n ? UInt64(base![s + i]) : 0) }
                return k
            }
            let keys = (0..<count).map(prefix)
            return (0..<Int32(count)).sorted { x, y in
                let kx = keys[Int(x)], ky = keys[Int(y)]
                if kx != ky { return kx < ky }
                let sa = offsets[Int(x)], ea = offsets[Int(x) + 1], sb = offsets[Int(y)], eb = offsets[Int(y) + 1]
                return UnsafeBufferPointer(rebasing: a[sa..<ea]).lexicographicallyPrecedes(
                    UnsafeBufferPointer(rebasing: a[sb..<eb]))
            }
        }
    }
}
