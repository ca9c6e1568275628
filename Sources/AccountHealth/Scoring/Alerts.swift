/// An account that crossed into a worse band or dropped more than the threshold within the period.
public struct Alert: Sendable {
    /// Why an account is alerted.
    public enum Reason: String, Sendable { case bandDown = "band_down", drop, both }
    /// The account's score row at the as-of date.
    public var row: ScoreRow
    /// Why it is alerted.
    public var reason: Reason
}

/// The `alerts` analysis.
public enum Alerts {
    /// Accounts whose band at `asOf` is worse than at `asOf − period`, or whose score fell by more than `drop` points.
    /// Bands are ordered as in the configuration, worst first. Under a history (DESIGN §15) both dates are scored
    /// under the version in force at `asOf`: an alert says the account moved, not that the weights changed.
    public static func find(in report: ScoreReport, configuration: Configuration, drop: Double?) -> [Alert] {
        var out: [Alert] = []
        for row in report.rows {
            guard let band = row.band else { continue }
            let cfg = report.history?.version(at: row.asOf).configuration ?? configuration
            let names = cfg.rules(forSegment: row.segment).bands.map(\.name)
            var worse = false
            if let pb = row.previousBandSameConfig, let i = names.firstIndex(of: band),
                let j = names.firstIndex(of: pb),
                i < j
            {
                worse = true
            }
            var dropped = false
            if let drop, let c = row.changeSameConfig, c < -drop { dropped = true }
            if worse || dropped {
                out.append(Alert(row: row, reason: worse && dropped ? .both : (worse ? .bandDown : .drop)))
            }
        }
        // Largest fall first, then account id: a stable order.
        return out.sorted {
            let a = $0.row.changeSameConfig ?? 0, b = $1.row.changeSameConfig ?? 0
            return a != b ? a < b : $0.row.accountId < $1.row.accountId
        }
    }
}
