/// Which (day, slot) pairs each account has had: one bitmap per account over its own span of days,
/// so duplicate detection costs accounts × days × slots bits whatever the number of rows.
/// `slots` is 1 for the wide layout (a row per date) and the number of factors (+ risk) for the long one.
struct SeenDays: Sendable {
    let slots: Int
    private var base: [Int32] = []  // first day of each account's bitmap
    private var bits: [[UInt64]] = []
    /// Inserts that found the pair new.
    private(set) var distinct = 0

    init(slots: Int) { self.slots = max(1, slots) }

    /// Marks the pair; false when it was already there (a duplicate).
    @inline(__always)
    mutating func insert(account a: Int, day: Int32, slot: Int) -> Bool {
        while a >= base.count {
            base.append(Int32.min)
            bits.append([])
        }
        if base[a] == Int32.min {
            // Room for about a year either side of the first date seen.
            base[a] = day - 366
            bits[a] = [UInt64](repeating: 0, count: (2 * 366 * slots) / 64 + 2)
        }
        var offset = Int(day - base[a])
        if offset < 0 {
            rebase(a, to: day - 366)
            offset = Int(day - base[a])
        }
        let index = offset * slots + slot
        let w = index >> 6
        if w >= bits[a].count {
            bits[a].append(contentsOf: repeatElement(0, count: max(w + 1 - bits[a].count, bits[a].count / 2 + 1)))
        }
        let mask = UInt64(1) << UInt64(index & 63)
        // One access to the account's bitmap (w is in range: grown above), not a bounds-checked nested subscript.
        let isNew = bits[a].withUnsafeMutableBufferPointer { b -> Bool in
            let old = b[w]
            if old & mask != 0 { return false }
            b[w] = old | mask
            return true
        }
        if isNew { distinct &+= 1 }
        return isNew
    }

    /// Moves an account's bitmap to start at an earlier day (rows before the first seen minus a year).
    private mutating func rebase(_ a: Int, to newBase: Int32) {
        let shift = Int(base[a] - newBase) * slots
        var fresh = [UInt64](repeating: 0, count: bits[a].count + shift / 64 + 2)
        for (w, word) in bits[a].enumerated() where word != 0 {
            var x = word
            while x != 0 {
                let i = w * 64 + x.trailingZeroBitCount + shift
                fresh[i >> 6] |= UInt64(1) << UInt64(i & 63)
                x &= x - 1
            }
        }
        base[a] = newBase
        bits[a] = fresh
    }

    /// Adds every pair of `other`, whose account `b` is `map[b]` here, a bitmap word at a time (the two halves
    /// of a file read at once). `duplicate` hears each pair both had, per account in day and slot order.
    mutating func absorb(_ other: SeenDays, map: [Int32], duplicate: (Int32, Int32, Int) -> Void) {
        precondition(other.slots == slots)
        for b in 0..<other.base.count where other.base[b] != Int32.min {
            let a = Int(map[b])
            while a >= base.count {
                base.append(Int32.min)
                bits.append([])
            }
            let theirs = other.bits[b]
            if base[a] == Int32.min {
                base[a] = other.base[b]
                bits[a] = theirs
                for word in theirs { distinct &+= word.nonzeroBitCount }
                continue
            }
            if other.base[b] < base[a] { rebase(a, to: other.base[b]) }
            let shift = Int(other.base[b] - base[a]) * slots
            let wordShift = shift >> 6, r = shift & 63
            let needed = theirs.count + wordShift + 2
            if bits[a].count < needed { bits[a].append(contentsOf: repeatElement(0, count: needed - bits[a].count)) }
            let dayBase = base[a]
            bits[a].withUnsafeMutableBufferPointer { mine in
                @inline(__always) func put(_ part: UInt64, at d: Int) {
                    guard part != 0 else { return }
                    var common = mine[d] & part
                    while common != 0 {
                        let i = d * 64 + common.trailingZeroBitCount
                        duplicate(Int32(a), dayBase + Int32(i / slots), i % slots)
                        common &= common - 1
                    }
                    distinct &+= (part & ~mine[d]).nonzeroBitCount
                    mine[d] |= part
                }
                for (w, word) in theirs.enumerated() where word != 0 {
                    put(word << UInt64(r), at: w + wordShift)
                    if r > 0 { put(word >> UInt64(64 - r), at: w + wordShift + 1) }
                }
            }
        }
    }
}
