/// Harrell's concordance index for counting-process data.
public enum Concordance {
    /// Every churn at time t is paired with every other interval at risk at t (start < t ≤ stop) that does
    /// not churn at t itself, each compared by its own linear predictor: concordant when the churning one has
    /// the higher risk, ½ when tied. With one interval per subject this is lifelines' `concordance_index`
    /// (censored at the time of a death: comparable; two deaths at the same time: not), and with several it
    /// is R `survival::concordance`'s risk-set definition.
    static func harrell(problem: CoxProblem, eta: [Double]) -> Double {
        let n = problem.n, U = problem.times.count
        guard n > 1, U > 0 else { return .nan }
        // Ranks of η (equal values share a rank) for a Fenwick tree of counts.
        // The intervals ordered by η (4 bytes each, not a copy of η beside them: this runs at the fit's end, when
        // the design and its sorted copy are both held).
        var byEta = (0..<Int32(n)).map { $0 }
        eta.withUnsafeBufferPointer { e in byEta.sort { e[Int($0)] < e[Int($1)] } }
        var rank = [Int32](repeating: 0, count: n)
        var distinct = 0
        for k in 0..<n {
            if k > 0 && eta[Int(byEta[k])] != eta[Int(byEta[k - 1])] { distinct += 1 }
            rank[Int(byEta[k])] = Int32(distinct + 1)
        }
        byEta = []
        let size = distinct + 1
        // Counts of intervals (at most n < 2³¹ each): 32-bit, half the memory of the sums below.
        var tree = [Int32](repeating: 0, count: size + 1)
        var count = [Int32](repeating: 0, count: size + 1)
        var total: Int64 = 0
        func add(_ r: Int32, _ v: Int32) {
            count[Int(r)] += v
            total += Int64(v)
            var i = Int(r)
            while i <= size { tree[i] += v; i += i & -i }
        }
        func below(_ r: Int32) -> Int64 {
            var s: Int64 = 0, i = Int(r) - 1
            while i > 0 { s += Int64(tree[i]); i -= i & -i }
            return s
        }
        // Sweeping down in time, an interval enters at its last event time (its stop-time block) and leaves
        // below its first; only the intervals the Cox problem lists as leaving ever do.
        var leaveStart = [Int](repeating: 0, count: U + 1)  // bucket l: leave[leaveStart[l]..<leaveStart[l + 1]]
        for q in problem.leaving { leaveStart[Int(problem.lo[Int(q)]) + 1] += 1 }
        for k in 0..<U { leaveStart[k + 1] += leaveStart[k] }
        var leave = [Int32](repeating: 0, count: problem.leaving.count)
        var fill = leaveStart
        for q in problem.leaving { let l = Int(problem.lo[Int(q)]); leave[fill[l]] = q; fill[l] += 1 }
        var concordant: Int64 = 0, discordant: Int64 = 0, tied: Int64 = 0
        for k in stride(from: U - 1, through: 0, by: -1) {
            // Leave: intervals whose range starts at k + 1 (start ≥ times[k]).
            if k + 1 < U { for q in leaveStart[k + 1]..<leaveStart[k + 2] { add(rank[Int(leave[q])], -1) } }
            let rows = problem.block[k]..<problem.block[k + 1]
            // Enter the ones that do not churn at k, compare each churn at k, then let the churns in.
            for i in rows where problem.lo[i] <= problem.hi[i] && !problem.event[i] { add(rank[i], 1) }
            for i in rows where problem.event[i] {
                let r = rank[i]
                let lower = below(r), same = Int64(count[Int(r)])
                concordant += lower
                tied += same
                discordant += total - lower - same
            }
            for i in rows where problem.event[i] { add(rank[i], 1) }
        }
        let pairs = concordant + discordant + tied
        return pairs > 0 ? (Double(concordant) + Double(tied) / 2) / Double(pairs) : .nan
    }
}
