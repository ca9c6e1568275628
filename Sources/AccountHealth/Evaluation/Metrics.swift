/// Discrimination and calibration metrics for churn predictions (higher `risk` = more likely to churn).
public enum Metrics {
    /// Area under the ROC curve: the probability that a churned observation has a higher risk than a
    /// renewed one, ties counting ½ (Mann–Whitney with mid-ranks), O(n). nil with one class only.
    public static func auc(risk: [Double], churned y: [Double]) -> Double? {
        let order = RadixSort.ascendingOrder(risk)
        return auc(sortedRisk: order.map { risk[Int($0)] }, churned: order.map { y[Int($0)] })
    }

    /// The AUC of observations sorted by risk, ascending (or `descending`); equal risks in any order. Only
    /// the equality of neighbouring keys is read, so an ascending score serves as a descending risk.
    static func auc(sortedRisk risk: [Double], churned y: [Double], descending: Bool = false) -> Double? {
        let n = risk.count
        var rankSum = 0.0
        var positives = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && risk[j + 1] == risk[i] { j += 1 }
            let midRank = Double(i + j) / 2 + 1
            for k in i...j where y[k] > 0.5 { rankSum += midRank; positives += 1 }
            i = j + 1
        }
        let negatives = Double(n) - positives
        guard positives > 0, negatives > 0 else { return nil }
        // A mid-rank r from the riskiest end is n + 1 − r from the safest (sums of halves: exact).
        if descending { rankSum = positives * Double(n + 1) - rankSum }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean negative log-likelihood of probabilities (clipped to [1e-15, 1 − 1e-15], as scikit-learn).
    public static func logLoss(probability p: [Double], churned y: [Double]) -> Double {
        var s = 0.0
        for (q, t) in zip(p, y) {
            let c = min(max(q, 1e-15), 1 - 1e-15)
            s -= t > 0.5 ? _log(c) : _log(1 - c)
        }
        return s / Double(max(1, p.count))
    }

    /// The mean squared difference between probability and outcome.
    public static func brier(probability p: [Double], churned y: [Double]) -> Double {
        zip(p, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(1, p.count))
    }

    /// Churn rate among the riskiest `fraction` (ties broken by input order) divided by the overall rate.
    public static func lift(risk: [Double], churned y: [Double], fraction: Double = 0.1) -> Double? {
        lift(riskiestFirst: riskiestFirst(risk, y), fraction: fraction)
    }

    /// Share of churned among the `k` riskiest (stable order).
    public static func precisionAt(_ k: Int, risk: [Double], churned y: [Double]) -> Double {
        precisionAt(k, riskiestFirst: riskiestFirst(risk, y))
    }

    /// The outcomes from the riskiest observation to the safest, equal risks in input order.
    static func riskiestFirst(_ risk: [Double], _ y: [Double]) -> [Double] {
        RadixSort.ascendingOrder(risk.map { -$0 }).map { y[Int($0)] }
    }

    /// `lift` of outcomes given riskiest first.
    static func lift(riskiestFirst y: [Double], fraction: Double) -> Double? {
        let n = y.count
        let overall = y.reduce(0, +) / Double(max(1, n))
        guard n > 0, overall > 0 else { return nil }
        let k = max(1, Int((Double(n) * fraction).rounded(.up)))
        return precisionAt(k, riskiestFirst: y) / overall
    }

    /// `precisionAt` of outcomes given riskiest first.
    static func precisionAt(_ k: Int, riskiestFirst y: [Double]) -> Double {
        let top = y.prefix(max(0, k))
        return top.isEmpty ? 0 : top.reduce(0.0, +) / Double(top.count)
    }

    /// One row of a reliability (calibration) table.
    public struct ReliabilityBin: Sendable, Equatable {
        /// The bin's label.
        public var label: String
        /// Observations in the bin.
        public var count: Int
        /// Their mean predicted probability.
        public var meanPredicted: Double?
        /// Their churn rate.
        public var observedRate: Double?
        /// Their churns.
        public var churns: Int
    }

    /// Calibration by deciles of the predicted probability (equal counts, stable order).
    public static func reliability(probability p: [Double], churned y: [Double], bins: Int = 10) -> [ReliabilityBin] {
        let order = (0..<p.count).sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var out: [ReliabilityBin] = []
        for b in 0..<bins {
            let lo = order.count * b / bins, hi = order.count * (b + 1) / bins
            let idx = order[lo..<hi]
            let c = idx.reduce(0.0) { $0 + y[$1] }
            out.append(
                ReliabilityBin(
                    label: "decile \(b + 1)", count: idx.count,
                    meanPredicted: idx.isEmpty ? nil : idx.reduce(0.0) { $0 + p[$1] } / Double(idx.count),
                    observedRate: idx.isEmpty ? nil : c / Double(idx.count), churns: Int(c)))
        }
        return out
    }

    /// Spearman rank correlation (mid-ranks for ties).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count > 1 else { return nil }
        return spearman(ranks: ranks(a), ranks(b))
    }

    /// The Pearson correlation of two rank vectors.
    static func spearman(ranks ra: [Double], _ rb: [Double]) -> Double? {
        guard ra.count == rb.count, ra.count > 1 else { return nil }
        let n = Double(ra.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<ra.count {
            sab += (ra[i] - ma) * (rb[i] - mb); saa += (ra[i] - ma) * (ra[i] - ma); sbb += (rb[i] - mb) * (rb[i] - mb)
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    static func ranks(_ v: [Double]) -> [Double] { ranks(v, ascendingOrder: RadixSort.ascendingOrder(v)) }

    /// Mid-ranks (from 1) of `v`, given its positions in ascending order.
    static func ranks(_ v: [Double], ascendingOrder order: [Int32]) -> [Double] {
        var r = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[Int(order[j + 1])] == v[Int(order[i])] { j += 1 }
            for k in i...j { r[Int(order[k])] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }

    /// Pool-adjacent-violators: the non-increasing step function of `score` (higher score, lower churn
    /// probability) that fits the outcomes best in least squares. Returns breakpoints ascending by score.
    public static func isotonicDecreasing(
        score: [Double], churned y: [Double]
    ) -> [(score: Double, probability: Double, count: Int)] {
        let order = RadixSort.ascendingOrder(score)
        return isotonicDecreasing(ascendingScore: order.map { score[Int($0)] }, churned: order.map { y[Int($0)] })
    }

    /// `isotonicDecreasing` of observations given in ascending order of score.
    static func isotonicDecreasing(
        ascendingScore score: [Double], churned y: [Double]
    ) -> [(score: Double, probability: Double, count: Int)] {
        // Blocks of equal score first, then pool violators (probability must not rise with score).
        var blocks: [(lo: Double, hi: Double, sum: Double, n: Double)] = []
        var i = 0
        while i < score.count {
            var j = i, s = 0.0
            while j < score.count && score[j] == score[i] { s += y[j]; j += 1 }
            blocks.append((score[i], score[i], s, Double(j - i)))
            while blocks.count > 1 {
                let b = blocks[blocks.count - 1], a = blocks[blocks.count - 2]
                // Pool violators, and equal neighbours too (same fit, fewer steps).
                if a.sum / a.n > b.sum / b.n { break }
                blocks.removeLast(2)
                blocks.append((a.lo, b.hi, a.sum + b.sum, a.n + b.n))
            }
            i = j
        }
        return blocks.map { ($0.lo, $0.sum / $0.n, Int($0.n)) }
    }
}

/// Seeded k-fold assignment grouped by account: all observations of an account fall in one fold.
public struct GroupedFolds: Sendable {
    /// The number of folds.
    public let k: Int
    /// Fold of each observation.
    public let fold: [Int]

    /// Folds that keep each group (an account) in one fold, shuffled with a seed.
    public init(groups: [Int], k: Int, seed: UInt64) {
        self.k = k
        let distinct = Array(Set(groups)).sorted()
        var g = SeededGenerator(seed: seed)
        var shuffled = distinct
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, g.int(below: i + 1)) }
        var foldOf: [Int: Int] = [:]
        for (i, a) in shuffled.enumerated() { foldOf[a] = i % k }
        fold = groups.map { foldOf[$0]! }
    }

    /// The indices outside fold `f`.
    public func train(_ f: Int) -> [Int] { fold.indices.filter { fold[$0] != f } }
    /// The indices in fold `f`.
    public func test(_ f: Int) -> [Int] { fold.indices.filter { fold[$0] == f } }
}

extension Matrix {
    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, columns: columns)
        for j in 0..<columns {
            for (r, i) in indices.enumerated() { out.storage[r + j * indices.count] = storage[i + j * rows] }
        }
        return out
    }
}
