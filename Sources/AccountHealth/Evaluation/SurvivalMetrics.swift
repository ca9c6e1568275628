/// Survival prediction metrics exactly as scikit-survival 0.28 computes them (DESIGN §14), with the evaluated
/// accounts as both `survival_train` and `survival_test`: the IPCW Brier score, the integrated Brier score, the
/// cumulative/dynamic AUC and its Kaplan–Meier-weighted mean, and Uno's concordance. `sksurv/metrics.py` and
/// `sksurv/nonparametric.py` are the reference; Tests/Reference/landmark_reference.py stores their values.
public enum SurvivalMetrics {
    /// A right-continuous step function: `value(at: t)` is the value at the largest jump time ≤ t (1 before the
    /// first), as scikit-survival's `predict_proba` reads its estimators.
    public struct StepFunction: Sendable {
        /// The jump times, increasing.
        public var times: [Double]
        /// The value from each jump time on.
        public var values: [Double]

        /// The value at t: 1 before the first time, the last value after the last time.
        public func value(at t: Double) -> Double {
            var lo = 0, hi = times.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if times[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? 1 : values[lo - 1]
        }
    }

    /// Kaplan–Meier's survival curve (`reverse: false`) or the censoring distribution G (`reverse: true`: the
    /// censorings are the events; at a tie, churns leave the risk set before censorings). With no censoring G is 1.
    public static func kaplanMeier(time: [Double], event: [Bool], reverse: Bool) -> StepFunction {
        let order = time.indices.sorted { time[$0] < time[$1] }
        var times: [Double] = [], values: [Double] = []
        var atRisk = time.count
        var s = 1.0
        var k = 0
        while k < order.count {
            let t = time[order[k]]
            var events = 0, count = 0
            while k < order.count && time[order[k]] == t {
                if event[order[k]] { events += 1 }
                count += 1
                k += 1
            }
            let censored = count - events
            let (d, n) = reverse ? (censored, atRisk - events) : (events, atRisk)
            if d != 0 { s *= 1 - Double(d) / Double(n) }
            times.append(t)
            values.append(s)
            atRisk -= count
        }
        return StepFunction(times: times, values: values)
    }

    /// The IPCW Brier score at each time (`brier_score`): survival[k][i] is account i's S(times[k]).
    public static func brier(
        time: [Double], event: [Bool], survival: [[Double]], times: [Double], censoring g: StepFunction
    ) -> [Double] {
        let n = time.count
        let gy = time.map { g.value(at: $0) }
        return times.indices.map { k in
            let t = times[k], gt = g.value(at: t)
            var sum = 0.0
            for i in 0..<n {
                let s = survival[k][i]
                // A zero G weighs 0 (scikit-survival divides by infinity).
                if time[i] <= t && event[i] {
                    if gy[i] > 0 { sum += s * s / gy[i] }
                } else if time[i] > t && gt > 0 {
                    sum += (1 - s) * (1 - s) / gt
                }
            }
            return sum / Double(n)
        }
    }

    /// The trapezoid over the times divided by their span (`integrated_brier_score`); nil with one time.
    public static func integrated(_ values: [Double], times: [Double]) -> Double? {
        guard times.count >= 2 else { return nil }
        var area = 0.0
        for k in 1..<times.count { area += (times[k] - times[k - 1]) * (values[k] + values[k - 1]) / 2 }
        return area / (times[times.count - 1] - times[0])
    }

    /// The inverse-probability-of-censoring weight of each account: 1/G(y) for a churn, 0 for a censored account
    /// or where G is 0.
    static func ipcw(time: [Double], event: [Bool], censoring g: StepFunction) -> [Double] {
        time.indices.map { i in
            guard event[i] else { return 0 }
            let v = g.value(at: time[i])
            return v > 0 ? 1 / v : 0
        }
    }

    /// The cumulative/dynamic AUC at one time (`cumulative_dynamic_auc`): cases churned at or before t, weighted
    /// by their IPCW; controls still observed after t; risks within `tiedTol` of their neighbour in the sorted
    /// order tie. Nil without a case or a control.
    static func dynamicAUC(
        time: [Double], event: [Bool], risk: [Double], weight: [Double], t: Double, tiedTol: Double
    ) -> Double? {
        let order = risk.indices.sorted { risk[$0] > risk[$1] || (risk[$0] == risk[$1] && $0 < $1) }
        var tp: [Double] = [0], fp: [Double] = [0]
        var cumTP = 0.0, cumFP = 0.0
        var controls = 0
        for i in 0..<time.count where time[i] > t { controls += 1 }
        for (k, i) in order.enumerated() {
            if time[i] <= t && event[i] { cumTP += weight[i] }
            if time[i] > t { cumFP += 1 }
            // Only the last of a run of tied risks is a threshold.
            let next = k + 1 < order.count ? order[k + 1] : nil
            if let next, abs(risk[next] - risk[i]) <= tiedTol { continue }
            tp.append(cumTP)
            fp.append(Double(cumFP))
        }
        guard cumTP > 0, controls > 0 else { return nil }
        var area = 0.0
        for k in 1..<tp.count {
            area += (fp[k] - fp[k - 1]) / Double(controls) * (tp[k] + tp[k - 1]) / cumTP / 2
        }
        return area
    }

    /// Uno's concordance (`concordance_index_ipcw`): over the comparable pairs (a churn before another account's
    /// time, or tied with a censored one), weighted by the churn's squared IPCW, only churns before `tau` counting;
    /// risks within `tiedTol` count ½. Nil without a comparable pair. Counted in O(n log n) with a Fenwick tree
    /// over the sorted risks (the accounts can be many).
    public static func concordanceIPCW(
        time: [Double], event: [Bool], risk: [Double], tau: Double, censoring g: StepFunction, tiedTol: Double = 1e-8
    ) -> Double? {
        let n = time.count
        let values = Array(Set(risk)).sorted()
        var tree = [Int](repeating: 0, count: values.count + 1)
        var inserted = 0
        func add(_ v: Double) {
            var i = lowerBound(values, v) + 1
            while i < tree.count { tree[i] += 1; i += i & -i }
            inserted += 1
        }
        func countBelow(_ x: Double) -> Int {  // values < x
            var i = lowerBound(values, x), s = 0
            while i > 0 { s += tree[i]; i -= i & -i }
            return s
        }
        func countAtMost(_ x: Double) -> Int {  // values ≤ x
            var i = upperBound(values, x), s = 0
            while i > 0 { s += tree[i]; i -= i & -i }
            return s
        }
        let order = time.indices.sorted { time[$0] > time[$1] }
        var numerator = 0.0, denominator = 0.0
        var comparable = false
        var k = 0
        while k < n {
            let t = time[order[k]]
            var end = k
            while end < n && time[order[end]] == t { end += 1 }
            let group = order[k..<end]
            for i in group where !event[i] { add(risk[i]) }
            for i in group where event[i] {
                comparable = comparable || inserted > 0
                let gv = g.value(at: t)
                let w = t < tau && gv > 0 ? 1 / (gv * gv) : 0
                let below = countBelow(risk[i] - tiedTol)
                let ties = countAtMost(risk[i] + tiedTol) - below
                numerator += w * Double(below) + 0.5 * w * Double(ties)
                denominator += w * Double(inserted)
            }
            for i in group where event[i] { add(risk[i]) }
            k = end
        }
        guard comparable, denominator > 0 else { return nil }
        return numerator / denominator
    }

    static func lowerBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func upperBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Every metric of DESIGN §14 for predicted survival `survival[k][i]` = S_i(times[k]) (times sorted, distinct,
    /// within the observed range): the Brier scores and their integral beside Kaplan–Meier's, the AUC by time and
    /// its mean, and Uno's concordance on the risk 1 − S(t_last) with tau = t_last.
    public static func evaluate(
        time: [Double], event: [Bool], survival: [[Double]], times: [Double]
    ) -> Evaluation {
        let g = kaplanMeier(time: time, event: event, reverse: true)
        let km = kaplanMeier(time: time, event: event, reverse: false)
        let brier = brier(time: time, event: event, survival: survival, times: times, censoring: g)
        let kmCurve = times.map { km.value(at: $0) }
        let brierKM = self.brier(
            time: time, event: event, survival: kmCurve.map { [Double](repeating: $0, count: time.count) },
            times: times, censoring: g)
        let weight = ipcw(time: time, event: event, censoring: g)
        let auc = times.indices.map { k in
            dynamicAUC(
                time: time, event: event, risk: survival[k].map { 1 - $0 }, weight: weight, t: times[k], tiedTol: 1e-8)
        }
        var meanAUC: Double? = nil
        if times.count == 1 {
            meanAUC = auc[0]
        } else if auc.allSatisfy({ $0 != nil }), let last = kmCurve.last, last < 1 {
            var integral = 0.0, previous = 1.0
            for (k, s) in kmCurve.enumerated() {
                integral += auc[k]! * (previous - s)
                previous = s
            }
            meanAUC = integral / (1 - last)
        }
        let concordance = concordanceIPCW(
            time: time, event: event, risk: survival[times.count - 1].map { 1 - $0 }, tau: times[times.count - 1],
            censoring: g)
        return Evaluation(
            times: times, brier: brier, brierKM: brierKM, survivalKM: kmCurve,
            integratedBrier: integrated(brier, times: times), integratedBrierKM: integrated(brierKM, times: times),
            auc: auc, meanAUC: meanAUC, concordanceIPCW: concordance)
    }

    /// The metrics of one set of predictions.
    public struct Evaluation: Sendable {
        /// The evaluation times.
        public var times: [Double]
        /// The IPCW Brier score at each time.
        public var brier: [Double]
        /// The same for the Kaplan–Meier curve of the evaluated accounts (the null model).
        public var brierKM: [Double]
        /// Kaplan–Meier's survival at each time.
        public var survivalKM: [Double]
        /// The integrated Brier score (nil with one time).
        public var integratedBrier: Double?
        /// Kaplan–Meier's integrated Brier score.
        public var integratedBrierKM: Double?
        /// The cumulative/dynamic AUC at each time (nil without a case or a control).
        public var auc: [Double?]
        /// The AUC's mean weighted by Kaplan–Meier's drops.
        public var meanAUC: Double?
        /// Uno's concordance with tau = the last time.
        public var concordanceIPCW: Double?
    }
}
