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
        var keyed = [(Double, Int32)](repeating: (0, 0), count: n)
        for i in 0..<n { keyed[i] = (eta[i], Int32(i)) }
        keyed.sort { $0.0 < $1.0 }
        var rank = [Int32](repeating: 0, count: n)
        var distinct = 0
        for k in 0..<n {
            if k > 0 && keyed[k].0 != keyed[k - 1].0 { distinct += 1 }
            rank[Int(keyed[k].1)] = Int32(distinct + 1)
        }
        let size = distinct + 1
        var tree = [Int64](repeating: 0, count: size + 1)
        var count = [Int64](repeating: 0, count: size + 1)
        var total: Int64 = 0
        func add(_ r: Int32, _ v: Int64) {
            count[Int(r)] += v
            total += v
            var i = Int(r)
            while i <= size { tree[i] += v; i += i & -i }
        }
        func below(_ r: Int32) -> Int64 {
            var s: Int64 = 0, i = Int(r) - 1
            while i > 0 { s += tree[i]; i -= i & -i }
            return s
        }
        // Intervals bucketed by the event time where they enter (hi) and leave (lo − 1), sweeping down in time.
        var enterStart = [Int](repeating: 0, count: U + 1), leaveStart = [Int](repeating: 0, count: U + 1)
        for i in 0..<n where problem.lo[i] <= problem.hi[i] {
            enterStart[Int(problem.hi[i]) + 1] += 1
            leaveStart[Int(problem.lo[i]) + 1] += 1
        }
        for k in 0..<U { enterStart[k + 1] += enterStart[k]; leaveStart[k + 1] += leaveStart[k] }
        var enter = [Int32](repeating: 0, count: enterStart[U]), leave = [Int32](repeating: 0, count: leaveStart[U])
        var fe = enterStart, fl = leaveStart
        for i in 0..<n where problem.lo[i] <= problem.hi[i] {
            let h = Int(problem.hi[i]), l = Int(problem.lo[i])
            enter[fe[h]] = Int32(i); fe[h] += 1
            leave[fl[l]] = Int32(i); fl[l] += 1
        }
        var concordant: Int64 = 0, discordant: Int64 = 0, tied: Int64 = 0
        for k in stride(from: U - 1, through: 0, by: -1) {
            // Leave: intervals whose range starts at k + 1 (start ≥ times[k]).
            if k + 1 < U { for q in leaveStart[k + 1]..<leaveStart[k + 2] { add(rank[Int(leave[q])], -1) } }
            // Enter the ones that do not churn at k, compare each churn at k, then let the churns in.
            for q in enterStart[k]..<enterStart[k + 1] where !problem.event[Int(enter[q])] { add(rank[Int(enter[q])], 1) }
            for q in enterStart[k]..<enterStart[k + 1] where problem.event[Int(enter[q])] {
                let r = rank[Int(enter[q])]
                let lower = below(r), same = count[Int(r)]
                concordant += lower
                tied += same
                discordant += total - lower - same
            }
            for q in enterStart[k]..<enterStart[k + 1] where problem.event[Int(enter[q])] { add(rank[Int(enter[q])], 1) }
        }
        let pairs = concordant + discordant + tied
        return pairs > 0 ? (Double(concordant) + Double(tied) / 2) / Double(pairs) : .nan
    }
}
