/// Curves the report and the studio draw, computed from evaluation results.
public enum Curves {
    /// ROC points (false positive rate, true positive rate) of the score as a risk (a lower score ranks as
    /// riskier), at most about 200 of them: each point after `max(1, n / 200)` observations, and the last.
    public static func roc(_ pairs: [(score: Double, churned: Bool)]) -> [(Double, Double)] {
        let sorted = pairs.sorted { $0.score < $1.score }
        let pos = Double(sorted.filter(\.churned).count), neg = Double(sorted.count) - pos
        guard pos > 0, neg > 0 else { return [(0, 0), (1, 1)] }
        var pts: [(Double, Double)] = [(0, 0)]
        var tp = 0.0, fp = 0.0
        let every = max(1, sorted.count / 200)
        for (i, p) in sorted.enumerated() {
            if p.churned { tp += 1 } else { fp += 1 }
            if i % every == 0 || i == sorted.count - 1 { pts.append((fp / neg, tp / pos)) }
        }
        return pts
    }

    /// The share of scored accounts in each band at each date of a replay (dates with no banded account are
    /// left out), bands in `bandNames` order.
    public static func bandShares(_ replay: ScoreReport, bandNames: [String]) -> [(date: String, shares: [Double])] {
        var shares: [(date: String, shares: [Double])] = []
        for d in replay.dates {
            let rows = replay.rows.filter { $0.asOf == d && $0.band != nil }
            guard !rows.isEmpty else { continue }
            shares.append(
                (Day.format(d), bandNames.map { b in Double(rows.filter { $0.band == b }.count) / Double(rows.count) }))
        }
        return shares
    }

    /// The calibration points of a backtest's deciles: (calibrated probability, observed churn rate).
    public static func decileCalibration(_ backtest: BacktestReport) -> [(Double, Double)] {
        backtest.byDecile.compactMap { r -> (Double, Double)? in
            guard let p = r.predictedRate, let o = r.observedRate else { return nil }
            return (p, o)
        }
    }
}
