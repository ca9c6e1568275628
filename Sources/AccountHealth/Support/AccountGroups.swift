/// Row indices grouped by a small code (an account's, a backtest cutoff's), each group in row order: a stable
/// counting sort, linear in the rows. The survival design, the in-memory timeline, `derive` and the backtest's
/// per-cutoff slices all group their rows this way.
struct AccountGroups {
    /// Group `a` is `order[start[a] ..< start[a + 1]]`.
    let start: [Int]
    let order: [Int32]

    init(accounts: [Int32], count: Int) {
        var start = [Int](repeating: 0, count: count + 1)
        for a in accounts { start[Int(a) + 1] += 1 }
        for a in 0..<count { start[a + 1] += start[a] }
        var order = [Int32](repeating: 0, count: accounts.count)
        var fill = start
        for (i, a) in accounts.enumerated() { order[fill[Int(a)]] = Int32(i); fill[Int(a)] += 1 }
        self.start = start
        self.order = order
    }

    /// The rows of account `a`, in row order.
    func rows(of a: Int) -> ArraySlice<Int32> { order[start[a]..<start[a + 1]] }

    /// Row indices sorted by day, rows of the same day kept in the given order (one integer key each).
    static func byDay(_ rows: some Collection<Int32>, days: [Int32], into keys: inout [UInt64]) -> [Int32] {
        keys.removeAll(keepingCapacity: true)
        for i in rows { keys.append((UInt64(UInt32(bitPattern: days[Int(i)] &- Int32.min)) << 32) | UInt64(UInt32(i))) }
        keys.sort()
        return keys.map { Int32(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
    }
}
