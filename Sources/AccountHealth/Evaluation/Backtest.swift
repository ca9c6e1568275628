/// How a configuration's scores would have predicted the renewals that followed them (DESIGN §4).
public struct BacktestOptions: Sendable {
    public var horizon = 90
    public var step = 30
    public var from: Int32? = nil
    public var to: Int32? = nil
    /// k of precision at k.
    public var k = 50
    public init(horizon: Int = 90, step: Int = 30, from: Int32? = nil, to: Int32? = nil, k: Int = 50) {
        self.horizon = horizon; self.step = step; self.from = from; self.to = to; self.k = k
    }
}

public struct BandRate: Sendable {
    public var band: String
    public var accounts: Int
    public var churns: Int
    public var churnRate: Double? { accounts > 0 ? Double(churns) / Double(accounts) : nil }
}

/// The metrics of one set of (score, outcome) pairs: one cutoff, or all pooled.
public struct BacktestSlice: Sendable {
    public var cutoff: Int32?
    public var accounts: Int
    public var churns: Int
    public var auc: Double?
    public var topDecileLift: Double?
    public var precisionAtK: Double?
    public var bands: [BandRate]
}

public struct CalibrationStep: Sendable {
    public var scoreFrom: Double
    public var scoreTo: Double
    public var probability: Double
    public var observations: Int
}

public struct ReliabilityRow: Sendable {
    public var label: String
    public var observations: Int
    public var meanScore: Double?
    public var observedRate: Double?
    /// The isotonic map's mean probability over the rows (what the calibrated score predicts).
    public var predictedRate: Double?
}

public struct ConfigComparison: Sendable {
    public var otherFile: String
    public var overall: BacktestSlice
    public var overallCurrent: BacktestSlice
    /// Spearman correlation of the two configurations' scores over the backtest pairs.
    public var rankCorrelation: Double?
    /// Accounts scored on `matrixDate` by band: rows are the current configuration's bands, columns the other's.
    public var matrix: [[Int]]
    public var currentBands: [String]
    public var otherBands: [String]
    public var matrixDate: Int32
    public var accountsChangingBand: Int
}

public struct BacktestReport: Sendable {
    public var options: BacktestOptions
    public var cutoffs: [BacktestSlice]
    public var overall: BacktestSlice
    public var isotonic: [CalibrationStep]
    public var byDecile: [ReliabilityRow]
    public var byBand: [ReliabilityRow]
    public var comparison: ConfigComparison?
    /// Account-cutoff pairs skipped because the account had no timeline row yet at the cutoff.
    public var unscored: Int
    /// Soft problems (account-cutoffs that could not be scored).
    public var diagnostics: [Diagnostic] = []
    /// Every scored (score, churned) pair, pooled over the cutoffs (for ROC curves).
    public var pairs: [(score: Double, churned: Bool)] = []

    /// The calibrated churn probability of a score (step function; the nearest step outside the range).
    public func probability(ofScore s: Double) -> Double? {
        guard !isotonic.isEmpty else { return nil }
        var p = isotonic[0].probability
        for st in isotonic where st.scoreFrom <= s { p = st.probability }
        return p
    }
}

public enum Backtest {
    /// `configuration` defaults to the dataset's; `against` is a second configuration (and its name) to preview.
    public static func run(_ dataset: Dataset, configuration: Configuration? = nil,
                           options: BacktestOptions, against: (file: String, configuration: Configuration)? = nil) throws -> BacktestReport {
        guard options.step > 0 else { throw InputError(.invalidArgument, Location(file: "step"), value: String(options.step), "must be a positive number of days") }
        guard options.horizon > 0 else { throw InputError(.invalidArgument, Location(file: "horizon"), value: String(options.horizon), "must be a positive number of days") }
        let configuration = try configuration ?? dataset.requireConfiguration("backtest")
        let outcomes = try dataset.requireOutcomes("backtest")
        let accounts = dataset.accounts
        guard let (firstDay, lastDay) = try dataset.timeline.dateRange() else {
            throw InputError(.noRows, Location(file: dataset.timeline.name), "the timeline has no valid dates")
        }
        guard let lastOutcome = outcomes.day.max() else { throw InputError(.noRows, Location(file: outcomes.file), "no outcomes") }
        let start = options.from ?? firstDay
        let end = options.to ?? (lastOutcome - 1)
        var cutoffs: [Int32] = []
        var c = start
        while c <= end { cutoffs.append(c); c += Int32(options.step) }
        guard !cutoffs.isEmpty else { throw InputError(.invalidArgument, Location(file: "from"), value: Day.format(start), "no cutoff dates between the first and the last date") }

        var names = configuration.allFactorNames
        if let other = against?.configuration {
            for n in other.allFactorNames where !names.contains(where: { $0.lowercased() == n.lowercased() }) { names.append(n) }
        }
        // Only the accounts with an outcome in a cutoff's window are scored at it, and every account on the last date.
        let (acc, summary) = try Scorer.accumulate(dataset.timeline, days: cutoffs + [lastDay], factors: names,
                                                   origin: .cutoffs(horizon: options.horizon, everyAccountAt: [lastDay]))
        try configuration.check(againstTimelineFactors: summary.factors, file: dataset.configurationName)
        if let against { try against.configuration.check(againstTimelineFactors: summary.factors, file: against.file) }

        // Outcomes by account, in date order.
        var byAccount: [String: [(Int32, Bool)]] = [:]
        for i in 0..<outcomes.count { byAccount[outcomes.accountIds[i], default: []].append((outcomes.day[i], outcomes.churned[i])) }
        for k in byAccount.keys { byAccount[k]!.sort { $0.0 < $1.0 } }

        func engines(_ cfg: Configuration) -> (base: ScoreEngine, seg: [String: ScoreEngine]) {
            var seg: [String: ScoreEngine] = [:]
            for (n, r) in cfg.segments { seg[n] = ScoreEngine(rules: r, stateFactors: names) }
            return (ScoreEngine(rules: cfg.base, stateFactors: names), seg)
        }
        let mine = engines(configuration)
        let theirs = against.map { engines($0.configuration) }
        func segment(_ id: String) -> String? { accounts.flatMap { t in t.row(of: id).map { t.segment[$0] } } }

        struct Pair { var score: Double; var band: String; var other: Double?; var otherBand: String?; var y: Double; var cutoff: Int }
        var pairs: [Pair] = []
        var unscored = 0
        let ids = summary.accounts.strings
        // Accounts in id order: the pairs (and the sums over them) do not depend on the order rows came in.
        let byId = summary.accounts.codesByString.map(Int.init)
        for (ci, cut) in cutoffs.enumerated() {
            let k = acc.queryIndex(cut)!
            for a in byId {
                let id = ids[a]
                guard let next = byAccount[id]?.first(where: { $0.0 > cut && $0.0 <= cut + Int32(options.horizon) }) else { continue }
                let seg = segment(id)
                let e = seg.flatMap { mine.seg[$0] } ?? mine.base
                let state = acc.state(account: a, query: k)
                guard let r = e.score(state), let s = r.score else { unscored += 1; continue }
                var pair = Pair(score: s, band: e.rules.bands[r.bandIndex!].name, other: nil, otherBand: nil, y: next.1 ? 1 : 0, cutoff: ci)
                if let theirs {
                    let e2 = seg.flatMap { theirs.seg[$0] } ?? theirs.base
                    guard let r2 = e2.score(state), let s2 = r2.score else { unscored += 1; continue }
                    pair.other = s2
                    pair.otherBand = e2.rules.bands[r2.bandIndex!].name
                }
                pairs.append(pair)
            }
        }
        let bandNames = configuration.base.bands.map(\.name)
        func slice(_ ps: [Pair], cutoff: Int32?, other: Bool = false) -> BacktestSlice {
            let s = ps.map { other ? $0.other! : $0.score }, y = ps.map(\.y)
            let risk = s.map { -$0 }
            var bands: [BandRate] = []
            let names = other ? (against!.configuration.base.bands.map(\.name)) : bandNames
            for b in names {
                let inBand = ps.filter { (other ? $0.otherBand! : $0.band) == b }
                bands.append(BandRate(band: b, accounts: inBand.count, churns: Int(inBand.reduce(0.0) { $0 + $1.y })))
            }
            return BacktestSlice(cutoff: cutoff, accounts: ps.count, churns: Int(y.reduce(0, +)), auc: Metrics.auc(risk: risk, churned: y),
                                 topDecileLift: Metrics.lift(risk: risk, churned: y, fraction: 0.1),
                                 precisionAtK: ps.isEmpty ? nil : Metrics.precisionAt(options.k, risk: risk, churned: y), bands: bands)
        }
        let perCutoff = cutoffs.enumerated().map { ci, cut in slice(pairs.filter { $0.cutoff == ci }, cutoff: cut) }
        let overall = slice(pairs, cutoff: nil)
        // Calibration: the non-increasing step function from score to churn probability.
        let iso = Metrics.isotonicDecreasing(score: pairs.map(\.score), churned: pairs.map(\.y))
        var steps: [CalibrationStep] = []
        let sortedScores = pairs.map(\.score).sorted()
        var offset = 0
        for st in iso {
            let hi = sortedScores[offset + st.count - 1]
            steps.append(CalibrationStep(scoreFrom: st.score, scoreTo: hi, probability: st.probability, observations: st.count))
            offset += st.count
        }
        var report = BacktestReport(options: options, cutoffs: perCutoff, overall: overall, isotonic: steps, byDecile: [], byBand: [],
                                    comparison: nil, unscored: unscored, pairs: pairs.map { ($0.score, $0.y > 0.5) })
        if unscored > 0 {
            report.diagnostics.append(Diagnostic(.noHistory, message: "\(unscored) account-cutoff pair(s) had no timeline row yet and were not scored"))
        }
        func reliability(_ label: String, _ ps: [Pair]) -> ReliabilityRow {
            let n = Double(ps.count)
            return ReliabilityRow(label: label, observations: ps.count, meanScore: ps.isEmpty ? nil : ps.reduce(0.0) { $0 + $1.score } / n,
                                  observedRate: ps.isEmpty ? nil : ps.reduce(0.0) { $0 + $1.y } / n,
                                  predictedRate: ps.isEmpty ? nil : ps.reduce(0.0) { $0 + (report.probability(ofScore: $1.score) ?? 0) } / n)
        }
        let ordered = pairs.sorted { $0.score < $1.score }
        report.byDecile = (0..<10).map { d in reliability("decile \(d + 1) (lowest scores first)", Array(ordered[(ordered.count * d / 10)..<(ordered.count * (d + 1) / 10)])) }
        report.byBand = bandNames.map { b in reliability(b, pairs.filter { $0.band == b }) }
        if let against, let theirs {
            // Band moves over every account scored on the last timeline date: what adopting the other weights would change today.
            let otherBands = against.configuration.base.bands.map(\.name)
            var matrix = [[Int]](repeating: [Int](repeating: 0, count: otherBands.count), count: bandNames.count)
            let kLast = acc.queryIndex(lastDay)!
            var moving = 0
            for (a, id) in ids.enumerated() {
                let seg = segment(id)
                let st = acc.state(account: a, query: kLast)
                let e1 = seg.flatMap { mine.seg[$0] } ?? mine.base, e2 = seg.flatMap { theirs.seg[$0] } ?? theirs.base
                guard let r1 = e1.score(st), let b1 = r1.bandIndex, let r2 = e2.score(st), let b2 = r2.bandIndex else { continue }
                guard let i = bandNames.firstIndex(of: e1.rules.bands[b1].name), let j = otherBands.firstIndex(of: e2.rules.bands[b2].name) else { continue }
                matrix[i][j] += 1
                if bandNames[i] != otherBands[j] { moving += 1 }
            }
            report.comparison = ConfigComparison(otherFile: against.file, overall: slice(pairs, cutoff: nil, other: true), overallCurrent: overall,
                                                 rankCorrelation: Metrics.spearman(pairs.map(\.score), pairs.map { $0.other! }),
                                                 matrix: matrix, currentBands: bandNames, otherBands: otherBands, matrixDate: lastDay,
                                                 accountsChangingBand: moving)
        }
        return report
    }
}
