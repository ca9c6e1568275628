import Foundation

/// What a backtest reads of the timeline (DESIGN §4), read once and laid out so that configuration after
/// configuration can be scored and evaluated without reading it again (the studio's live preview, §11).
///
/// Rows `0 ..< pairs` are the account–cutoff pairs: at each cutoff (in date order), each account (in id order)
/// with an outcome in `(cutoff, cutoff + horizon]`, with its next such outcome; rows `pairs ..< rows` are every
/// account on the last timeline date (where the band × band matrix of a comparison is counted). Each row keeps
/// the raw as-of value of every panel factor and the risk: all a score reads. A report computed from a panel
/// is `Backtest.run`'s (which builds one), so the studio and the CLI give the same numbers.
public struct BacktestPanel: Sendable {
    /// The options the panel was built with.
    public let options: BacktestOptions
    /// The cutoff days.
    public let cutoffs: [Int32]
    /// The last day of the timeline.
    public let lastDay: Int32
    /// The factors whose values the rows keep, in column order.
    public let factors: [String]
    /// The timeline's factor columns (a configuration is checked against them).
    public let timelineFactors: [String]
    /// Pairs whose account had no timeline row yet at the cutoff: unscored whatever the configuration.
    public let withoutHistory: Int
    /// The number of account–cutoff pairs (the first rows).
    public let pairs: Int
    let rows: Int
    let cutoffOf: [Int32]
    let churned: [Double]
    /// Per row, the index of the account's segment in `segmentNames`; -1 without one.
    let segmentOf: [Int32]
    let segmentNames: [String]
    let risks: [RiskLevel]
    /// The account of each last-date row (rows `pairs ..< rows`).
    public let lastDateAccounts: [String]
    /// Row-major: row r's value of factor f at `r * factors.count + f`; NaN for no value yet.
    let values: [Double]

    /// Reads the timeline at the cutoffs of `options` and on the last date, keeping `factors` (for a
    /// configuration: its `allFactorNames`; for any configuration of the dataset: every timeline factor).
    public init(_ dataset: Dataset, options: BacktestOptions, factors: [String]) throws {
        try options.check()
        let outcomes = try dataset.requireDecidedOutcomes("the backtest")
        guard let (firstDay, lastDay) = try dataset.timeline.dateRange() else {
            throw InputError(.noRows, Location(file: dataset.timeline.name), "the timeline has no valid dates")
        }
        guard let lastOutcome = outcomes.day.max() else {
            throw InputError(.noRows, Location(file: outcomes.file), "no outcomes")
        }
        let start = options.from ?? firstDay
        let end = options.to ?? (lastOutcome - 1)
        var cutoffs: [Int32] = []
        var c = start
        while c <= end { cutoffs.append(c); c += Int32(options.step) }
        guard !cutoffs.isEmpty else {
            throw InputError(
                .invalidArgument, Location(file: "from"), value: Day.format(start),
                "no cutoff dates between the first and the last date")
        }
        // Only the accounts with an outcome in a cutoff's window are read at it, and every account on the last date.
        let (acc, summary) = try Scorer.accumulate(
            dataset.timeline, days: cutoffs + [lastDay], factors: factors,
            origin: .cutoffs(horizon: options.horizon, everyAccountAt: [lastDay]))
        let accounts = summary.accounts
        // Outcomes by account, in date order.
        var outcomesOf = [[(day: Int32, churned: Bool)]](repeating: [], count: accounts.count)
        for i in 0..<outcomes.count {
            if let a = accounts.lookup(outcomes.accountIds[i]) {
                outcomesOf[Int(a)].append((outcomes.day[i], outcomes.churned[i]))
            }
        }
        for a in outcomesOf.indices where outcomesOf[a].count > 1 { outcomesOf[a].sort { $0.day < $1.day } }
        var segmentNames: [String] = []
        var segmentCode: [String: Int32] = [:]
        let segmentOfAccount: [Int32] = accounts.strings.map { id in
            guard let t = dataset.accounts, let k = t.row(of: id) else { return -1 }
            let s = t.segment[k]
            if let code = segmentCode[s] { return code }
            segmentNames.append(s)
            segmentCode[s] = Int32(segmentNames.count - 1)
            return Int32(segmentNames.count - 1)
        }

        var cutoffOf: [Int32] = [], churned: [Double] = [], segmentOf: [Int32] = [], risks: [RiskLevel] = [],
            values: [Double] = []
        var withoutHistory = 0
        func append(_ a: Int, _ k: Int) -> Bool {
            guard let (risk, v) = acc.scoringInputs(account: a, query: k) else { return false }
            segmentOf.append(segmentOfAccount[a])
            risks.append(risk)
            values.append(contentsOf: v)
            return true
        }
        // Accounts in id order: the pairs (and the sums over them) do not depend on the order rows came in.
        let byId = accounts.codesByString.map(Int.init)
        for (ci, cut) in cutoffs.enumerated() {
            let k = acc.queryIndex(cut)!
            let windowEnd = cut + Int32(options.horizon)
            for a in byId {
                guard let next = outcomesOf[a].first(where: { $0.day > cut && $0.day <= windowEnd }) else { continue }
                guard append(a, k) else { withoutHistory += 1; continue }
                cutoffOf.append(Int32(ci))
                churned.append(next.churned ? 1 : 0)
            }
        }
        let pairs = cutoffOf.count
        let kLast = acc.queryIndex(lastDay)!
        var lastDateAccounts: [String] = []
        for a in byId where append(a, kLast) { lastDateAccounts.append(accounts.string(Int32(a))) }

        self.options = options
        self.cutoffs = cutoffs
        self.lastDay = lastDay
        self.factors = factors
        self.timelineFactors = summary.factors
        self.withoutHistory = withoutHistory
        self.pairs = pairs
        self.rows = segmentOf.count
        self.cutoffOf = cutoffOf
        self.churned = churned
        self.segmentOf = segmentOf
        self.segmentNames = segmentNames
        self.risks = risks
        self.values = values
        self.lastDateAccounts = lastDateAccounts
    }

    /// The number of values held (rows × factors): what keeping the panel costs, in doubles.
    public var storedValues: Int { values.count }

    /// Checks that a configuration can be scored from the panel: its factors are timeline columns (the error
    /// `backtest` gives otherwise) that the panel keeps.
    public func check(_ configuration: Configuration, file: String) throws {
        try configuration.check(againstTimelineFactors: timelineFactors, file: file)
        try configuration.check(againstTimelineFactors: factors, file: file)
    }

    /// A configuration's score and band on every row.
    public func scores(_ configuration: Configuration) -> PanelScores {
        let baseBands = configuration.base.bands.map(\.name)
        // The rules of each segment (a segment without its own rules takes the base rules).
        let ruleSets = [configuration.base] + configuration.segments.map(\.rules)
        let engines = ruleSets.map { ScoreEngine(rules: $0, stateFactors: factors) }
        let engineOfSegment = segmentNames.map { name in
            (configuration.segments.firstIndex { $0.name == name }).map { $0 + 1 } ?? 0
        }
        // Each rule set's band index → the index of its name among the base bands (-1: not a base band).
        let toBase = ruleSets.map { r in r.bands.map { b in Int32(baseBands.firstIndex(of: b.name) ?? -1) } }
        let nf = factors.count
        var score = [Double](repeating: .nan, count: rows)
        var band = [Int32](repeating: -1, count: rows)
        let engineOfRow = segmentOf.map { $0 < 0 ? 0 : engineOfSegment[Int($0)] }
        let used = engines.indices.filter { $0 == 0 || engineOfSegment.contains($0) }
        // Rows are independent: a few chunks, scored on the cores there are (each row's arithmetic is the same
        // whatever thread runs it).
        let parts = rows < 50_000 ? 1 : 8
        values.withUnsafeBufferPointer { v in
            score.withUnsafeMutableBufferPointer { sc in
                band.withUnsafeMutableBufferPointer { bd in
                    // Each part writes its own rows only.
                    nonisolated(unsafe) let v = v.baseAddress!, sc = sc.baseAddress!, bd = bd.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        let lo = rows * part / parts, hi = rows * (part + 1) / parts
                        // One pass per rule set, its engine held outside the loop.
                        for e in used {
                            let engine = engines[e], bands = toBase[e]
                            for r in lo..<hi where engineOfRow[r] == e {
                                guard let s = engine.scoreOnly(v + r * nf, risk: risks[r]) else { continue }
                                sc[r] = s
                                bd[r] = bands[engine.rules.bandIndex(s)]
                            }
                        }
                    }
                }
            }
        }
        return PanelScores(score: score, band: band, bandNames: baseBands)
    }

    /// The scores as shown under a history (DESIGN §15): each row under the version in force at its date (its
    /// cutoff, or the last date), with band names those of the latest version's base rules.
    public func scores(_ history: ConfigurationHistory) -> PanelScores {
        let per = history.versions.map { scores($0.configuration) }
        let bandNames = history.current.configuration.base.bands.map(\.name)
        let toLatest = per.map { p in p.bandNames.map { Int32(bandNames.firstIndex(of: $0) ?? -1) } }
        var score = [Double](repeating: .nan, count: rows)
        var band = [Int32](repeating: -1, count: rows)
        let versionOfCutoff = cutoffs.map { history.index(at: $0) }
        let versionLast = history.index(at: lastDay)
        for r in 0..<rows {
            let v = r < pairs ? versionOfCutoff[Int(cutoffOf[r])] : versionLast
            score[r] = per[v].score[r]
            let b = per[v].band[r]
            band[r] = b < 0 ? -1 : toLatest[v][Int(b)]
        }
        return PanelScores(score: score, band: band, bandNames: bandNames)
    }

    /// The backtest report of `configuration`, and with `against`, its comparison with a second one.
    public func report(
        _ configuration: Configuration, against: (file: String, configuration: Configuration)? = nil
    ) -> BacktestReport {
        report(current: scores(configuration), against: against.map { ($0.file, scores($0.configuration)) })
    }

    /// The report from scores already computed: keep the current configuration's `PanelScores` to preview
    /// change after change, and its half of the report is computed once.
    public func report(current: PanelScores, against: (file: String, scores: PanelScores)? = nil) -> BacktestReport {
        // The pairs both configurations score (a pair either cannot score is counted as unscored).
        let scored = (0..<pairs).filter { !current.score[$0].isNaN }
        let kept = against.map { o in scored.filter { !o.scores.score[$0].isNaN } } ?? scored
        // The two halves are independent: computed side by side.
        final class Halves: @unchecked Sendable { var mine: Side?, theirs: Side? }
        let halves = Halves()
        let work: @Sendable (Int) -> Void = { part in
            if part == 1 {
                halves.theirs = self.side(against!.scores, kept: kept, full: false)
            } else if kept.count == scored.count {
                halves.mine = current.lock.withLock {
                    if let m = current.memo { return m }
                    let m = self.side(current, kept: scored, full: true)
                    current.memo = m
                    return m
                }
            } else {
                halves.mine = self.side(current, kept: kept, full: true)
            }
        }
        DispatchQueue.concurrentPerform(iterations: against == nil ? 1 : 2, execute: work)
        let side = halves.mine!
        let unscored = withoutHistory + (pairs - kept.count)
        var report = BacktestReport(
            options: options, cutoffs: side.cutoffs, overall: side.overall, isotonic: side.isotonic,
            byDecile: side.byDecile, byBand: side.byBand, comparison: nil, unscored: unscored, pairs: side.pairs)
        if unscored > 0 {
            report.diagnostics.append(
                Diagnostic(
                    .noHistory,
                    message: "\(unscored) account-cutoff pair(s) had no timeline row yet and were not scored"))
        }
        if let (file, other) = against {
            let theirs = halves.theirs!
            // Band moves over every account scored on the last timeline date: what adopting the other weights would
            // change today.
            var matrix = [[Int]](
                repeating: [Int](repeating: 0, count: other.bandNames.count), count: current.bandNames.count)
            var moving = 0
            for r in pairs..<rows {
                let i = current.band[r], j = other.band[r]
                guard i >= 0, j >= 0 else { continue }
                matrix[Int(i)][Int(j)] += 1
                if current.bandNames[Int(i)] != other.bandNames[Int(j)] { moving += 1 }
            }
            report.comparison = ConfigComparison(
                otherFile: file, overall: theirs.overall, overallCurrent: side.overall,
                rankCorrelation: Metrics.spearman(ranks: side.ranks, theirs.ranks),
                matrix: matrix, currentBands: current.bandNames, otherBands: other.bandNames,
                matrixDate: lastDay, accountsChangingBand: moving)
        }
        return report
    }

    /// An account whose band on the last date differs between two configurations.
    public struct BandMove: Sendable, Equatable {
        /// The account.
        public var accountId: String
        /// Its score under the two configurations.
        public var fromScore: Double, toScore: Double
        /// Its band under the two configurations.
        public var fromBand: String, toBand: String
    }

    /// The accounts of the band × band matrix off its diagonal (scored by both, in a base band of each, under
    /// another band name), the largest score changes first, ties by account id.
    public func bandMoves(current: PanelScores, other: PanelScores) -> [BandMove] {
        var moves: [BandMove] = []
        for r in pairs..<rows {
            let i = current.band[r], j = other.band[r]
            guard i >= 0, j >= 0, current.bandNames[Int(i)] != other.bandNames[Int(j)] else { continue }
            moves.append(
                BandMove(
                    accountId: lastDateAccounts[r - pairs], fromScore: current.score[r], toScore: other.score[r],
                    fromBand: current.bandNames[Int(i)], toBand: other.bandNames[Int(j)]))
        }
        return moves.sorted {
            let a = abs($0.toScore - $0.fromScore), b = abs($1.toScore - $1.fromScore)
            return a != b ? a > b : $0.accountId < $1.accountId
        }
    }

    /// One configuration's half of a report over the pairs `kept` (ascending): the overall slice and the
    /// scores' mid-ranks, and when `full`, the slice of each cutoff and the calibration.
    struct Side: Sendable {
        var overall: BacktestSlice
        var ranks: [Double]
        var cutoffs: [BacktestSlice] = []
        var isotonic: [CalibrationStep] = []
        var byDecile: [ReliabilityRow] = []
        var byBand: [ReliabilityRow] = []
        var pairs: [(score: Double, churned: Bool)] = []
    }

    func side(_ s: PanelScores, kept: [Int], full: Bool) -> Side {
        let v = kept.map { s.score[$0] }, y = kept.map { churned[$0] }, band = kept.map { s.band[$0] }
        // One sort serves every metric: ascending score, equal scores in pair order, which is also the
        // riskiest-first order of the lift and the precision (ties in input order).
        let order = RadixSort.ascendingOrder(v)
        func slice(_ positions: ArraySlice<Int32>, cutoff: Int32?) -> BacktestSlice {
            var sv: [Double] = [], sy: [Double] = []
            sv.reserveCapacity(positions.count)
            sy.reserveCapacity(positions.count)
            var accounts = [Int](repeating: 0, count: s.bandNames.count), churns = accounts
            for p in positions {
                let p = Int(p)
                sv.append(v[p])
                sy.append(y[p])
                if band[p] >= 0 {
                    accounts[Int(band[p])] += 1
                    if y[p] > 0.5 { churns[Int(band[p])] += 1 }
                }
            }
            return BacktestSlice(
                cutoff: cutoff, accounts: positions.count, churns: Int(sy.reduce(0, +)),
                auc: Metrics.auc(sortedRisk: sv, churned: sy, descending: true),
                topDecileLift: Metrics.lift(riskiestFirst: sy, fraction: 0.1),
                precisionAtK: positions.isEmpty ? nil : Metrics.precisionAt(options.k, riskiestFirst: sy),
                bands: s.bandNames.indices.map {
                    BandRate(band: s.bandNames[$0], accounts: accounts[$0], churns: churns[$0])
                })
        }
        var out = Side(overall: slice(order[...], cutoff: nil), ranks: Metrics.ranks(v, ascendingOrder: order))
        guard full else { return out }
        // The order split by cutoff, each cutoff's pairs still in score order.
        let groups = AccountGroups(accounts: order.map { cutoffOf[kept[Int($0)]] }, count: cutoffs.count)
        let byCutoff = groups.order.map { order[Int($0)] }
        out.cutoffs = cutoffs.indices.map {
            slice(byCutoff[groups.start[$0]..<groups.start[$0 + 1]], cutoff: cutoffs[$0])
        }
        out.pairs = zip(v, y).map { ($0, $1 > 0.5) }

        // Calibration: the non-increasing step function from score to churn probability.
        let sv = order.map { v[Int($0)] }, sy = order.map { y[Int($0)] }
        var offset = 0
        for st in Metrics.isotonicDecreasing(ascendingScore: sv, churned: sy) {
            out.isotonic.append(
                CalibrationStep(
                    scoreFrom: st.score, scoreTo: sv[offset + st.count - 1], probability: st.probability,
                    observations: st.count))
            offset += st.count
        }
        // Each pair's calibrated probability (`BacktestReport.probability(ofScore:)`, walked in score order).
        var probability = [Double](repeating: 0, count: v.count)
        var step = 0
        for (i, p) in order.enumerated() {
            while step + 1 < out.isotonic.count && out.isotonic[step + 1].scoreFrom <= sv[i] { step += 1 }
            probability[Int(p)] = out.isotonic[step].probability
        }
        func reliability(_ label: String, _ positions: some Collection<Int32>) -> ReliabilityRow {
            let n = Double(positions.count)
            return ReliabilityRow(
                label: label, observations: positions.count,
                meanScore: positions.isEmpty ? nil : positions.reduce(0.0) { $0 + v[Int($1)] } / n,
                observedRate: positions.isEmpty ? nil : positions.reduce(0.0) { $0 + y[Int($1)] } / n,
                predictedRate: positions.isEmpty ? nil : positions.reduce(0.0) { $0 + probability[Int($1)] } / n)
        }
        let n = order.count
        out.byDecile = (0..<10).map { d in
            reliability("decile \(d + 1) (lowest scores first)", order[(n * d / 10)..<(n * (d + 1) / 10)])
        }
        var inBand = [[Int32]](repeating: [], count: s.bandNames.count)
        for p in 0..<Int32(kept.count) where band[Int(p)] >= 0 { inBand[Int(band[Int(p)])].append(p) }
        out.byBand = s.bandNames.indices.map { reliability(s.bandNames[$0], inBand[$0]) }
        return out
    }
}

/// One configuration's score and band on every row of a `BacktestPanel`.
public final class PanelScores: @unchecked Sendable {
    /// NaN where the configuration gives no score (every weight that counts is on an absent optional factor).
    let score: [Double]
    /// The index of the row's band name among `bandNames`; -1 when a segment's band is not a base band.
    let band: [Int32]
    /// The base rules' band names.
    public let bandNames: [String]
    /// This configuration's half of a report over every pair it scores, once computed (under `lock`).
    var memo: BacktestPanel.Side?
    let lock = NSLock()

    init(score: [Double], band: [Int32], bandNames: [String]) {
        self.score = score
        self.band = band
        self.bandNames = bandNames
    }
}
