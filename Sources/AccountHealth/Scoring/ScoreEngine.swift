/// The score of one account at one date, with its drill-down (DESIGN §3).
public struct AccountScore: Sendable, Equatable {
    /// nil when the weights that count sum to zero (every factor optional and absent): no score can be formed.
    public var score: Double?
    /// The index of the score's band, nil without a score.
    public var bandIndex: Int?
    /// Points per factor of the rules (w·x/W); nil for an optional factor left out.
    public var points: [Double?]
    /// The 0–100 value per factor after scale/clamp/invert; nil when missing.
    public var mapped: [Double?]
    /// The risk level in force.
    public var risk: RiskLevel
    /// Its penalty in points.
    public var penalty: Double
    /// Σ w·x/W before the penalty and the clamp.
    public var weightedAverage: Double?
    /// W: the sum of the weights that count.
    public var weightTotal: Double
    /// Share of W whose value is no older than `stale_after` days.
    public var coverage: Double?
    /// Factors whose value is older than `stale_after` (counted ones only).
    public var staleFactors: [Int]
}

/// Computes scores from as-of states under one set of rules.
public struct ScoreEngine: Sendable {
    /// The rules scored under.
    public let rules: ScoringRules
    /// For each rules factor, its slot in the state's value array.
    public let slots: [Int]

    /// `stateFactors` are the names in the order of the states' values.
    public init(rules: ScoringRules, stateFactors: [String]) {
        self.rules = rules
        let lower = stateFactors.map { $0.lowercased() }
        self.slots = rules.factors.map { f in lower.firstIndex(of: f.name.lowercased()) ?? -1 }
    }

    /// The score alone of raw values in the order of the states' factors (NaN: none yet) and a risk: the
    /// `score` of `score(_:)`, by the same sums in the same order, without the drill-down (what a backtest
    /// panel computes for every account–cutoff pair). nil when the weights that count sum to zero.
    @inline(__always)
    func scoreOnly(_ values: UnsafePointer<Double>, risk: RiskLevel) -> Double? {
        var num = 0.0, den = 0.0
        for (i, f) in rules.factors.enumerated() {
            let slot = slots[i]
            let raw = slot >= 0 ? values[slot] : .nan
            if raw.isNaN {
                if !f.optional { den += f.weight }
                continue
            }
            num += f.weight * f.points(raw)
            den += f.weight
        }
        guard den > 0 else { return nil }
        return min(max(num / den - rules.riskPenalty[Int(risk.rawValue)], 0), 100)
    }

    /// The score of a state; nil when the account has no row on or before the date.
    public func score(_ s: AsOfState) -> AccountScore? {
        guard s.latestRowDay != nil else { return nil }
        var num = 0.0, den = 0.0, fresh = 0.0
        var mapped: [Double?] = []
        mapped.reserveCapacity(rules.factors.count)
        var stale: [Int] = []
        for (i, f) in rules.factors.enumerated() {
            let slot = slots[i]
            let raw = slot >= 0 ? s.values[slot] : .nan
            if raw.isNaN {
                mapped.append(nil)
                if !f.optional { den += f.weight }  // missing required factor counts as 0
                continue
            }
            let x = f.points(raw)
            mapped.append(x)
            num += f.weight * x
            den += f.weight
            if let d = s.valueDays[slot], Int(s.asOf) - Int(d) <= rules.staleAfter {
                fresh += f.weight
            } else {
                stale.append(i)
            }
        }
        let penalty = rules.riskPenalty[Int(s.risk.rawValue)]
        var points: [Double?] = []
        points.reserveCapacity(rules.factors.count)
        for (i, f) in rules.factors.enumerated() {
            if let x = mapped[i] {
                points.append(den > 0 ? f.weight * x / den : nil)
            } else {
                points.append(f.optional ? nil : 0)
            }
        }
        guard den > 0 else {
            return AccountScore(
                score: nil, bandIndex: nil, points: points, mapped: mapped, risk: s.risk, penalty: penalty,
                weightedAverage: nil, weightTotal: 0, coverage: nil, staleFactors: stale)
        }
        let avg = num / den
        let score = min(max(avg - penalty, 0), 100)
        return AccountScore(
            score: score, bandIndex: rules.bandIndex(score), points: points, mapped: mapped, risk: s.risk,
            penalty: penalty, weightedAverage: avg, weightTotal: den, coverage: fresh / den, staleFactors: stale)
    }
}
