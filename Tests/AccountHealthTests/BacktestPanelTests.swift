import Foundation
import Testing
@testable import AccountHealth

/// The backtest panel (what `backtest` and the studio's preview compute from) against a plain
/// re-computation: every pair scored by `ScoreEngine.score` from the as-of states, the AUC by counting
/// churner–renewer pairs, the precision and deciles by a comparison sort, the band matrix by `Scorer.score`.
@Suite struct BacktestPanelTests {
    static let dir = "\(repoRoot)/datasets/simulated"

    @Test func radixOrderIsTheStableSortedOrder() {
        var g = SeededGenerator(seed: 7)
        for n in [0, 1, 2, 100, 2047, 2048, 5000, 70_000] {
            for pool in [3, 1000, 0] {
                let v: [Double] = (0..<n).map { _ in
                    switch pool {
                    case 0: return (g.uniform() - 0.5) * 1e6 * g.uniform()
                    case 3: return [-0.0, 0.0, 55.5][g.int(below: 3)]
                    default: return Double(g.int(below: pool)) / 7 - 40
                    }
                }
                let want = (0..<Int32(n)).sorted { a, b in
                    let x = v[Int(a)] + 0.0, y = v[Int(b)] + 0.0
                    return x < y || (x == y && a < b)
                }
                #expect(RadixSort.ascendingOrder(v) == want, "n \(n), pool \(pool)")
            }
        }
    }

    /// A configuration with per-segment rules, other bands and other weights; and one of optional factors only,
    /// which leaves pairs unscored.
    static let others = [
        """
        factors:
          - {name: profile_completeness, weight: 5}
          - {name: tasks, weight: 30}
          - {name: qbr, weight: 25, optional: true, scale: {min: 1, max: 5}}
          - {name: freshness, weight: 20, scale: {min: 0, max: 90}, invert: true}
          - {name: usage, weight: 15}
        risk_penalty: {low: 2, medium: 15, high: 30}
        bands:
          - {name: red, below: 35}
          - {name: amber, below: 60}
          - {name: green}
        segments:
          Enterprise:
            factors:
              - {name: tasks, weight: 10}
              - {name: satisfaction, weight: 40, scale: {min: 0, max: 10}}
              - {name: usage, weight: 50}
            bands:
              - {name: red, below: 50}
              - {name: green}
        """,
        """
        factors:
          - {name: qbr, weight: 60, optional: true, scale: {min: 1, max: 5}}
          - {name: satisfaction, weight: 40, optional: true, scale: {min: 0, max: 10}}
        """,
    ]

    @Test(arguments: [0, 1]) func theReportIsThePlainComputation(_ which: Int) throws {
        let dataset = try DataFiles.directory(Self.dir).load(timeline: .memory)
        let mine = try dataset.requireConfiguration("test")
        let other = try Configuration.parse(yaml: Self.others[which])
        let options = BacktestOptions(horizon: 120, step: 45, k: 40)
        let panel = try BacktestPanel(dataset, options: options, factors: try dataset.timeline.columns().factorNames!)
        let report = panel.report(mine, against: ("other", other))
        // The CLI's path (a panel of the configurations' factors only) gives the same report.
        let viaRun = try Backtest.run(dataset, options: options, against: ("other", other))
        #expect(Render.backtest(viaRun, format: .json) == Render.backtest(report, format: .json))

        // The plain computation.
        let outcomes = try dataset.requireOutcomes("test")
        let (first, last) = try dataset.timeline.dateRange()!
        let cutoffs = Array(stride(from: first, through: outcomes.day.max()! - 1, by: 45))
        #expect(report.cutoffs.map(\.cutoff) == cutoffs)
        let names = try dataset.timeline.columns().factorNames!
        let (acc, summary) = try Scorer.accumulate(dataset.timeline, days: cutoffs + [last], factors: names)
        func engine(_ c: Configuration, _ id: String) -> ScoreEngine {
            let segment = dataset.accounts!.row(of: id).map { dataset.accounts!.segment[$0] }
            return ScoreEngine(rules: c.rules(forSegment: segment), stateFactors: names)
        }
        struct Pair { var cutoff: Int; var a: Double; var b: Double; var bandA: String; var bandB: String; var churned: Bool }
        var pairs: [Pair] = []
        var unscored = 0
        let ids = summary.accounts.strings
        let accountsById = ids.indices.sorted { ids[$0] < ids[$1] }
        let outcomesOf = Dictionary(grouping: 0..<outcomes.count) { outcomes.accountIds[$0] }
        for (ci, c) in cutoffs.enumerated() {
            for a in accountsById {
                let decisions = (outcomesOf[ids[a]] ?? []).filter { outcomes.day[$0] > c && outcomes.day[$0] <= c + 120 }
                guard let next = decisions.min(by: { outcomes.day[$0] < outcomes.day[$1] }) else { continue }
                let state = acc.state(account: a, query: acc.queryIndex(c)!)
                let e1 = engine(mine, ids[a]), e2 = engine(other, ids[a])
                guard let r1 = e1.score(state), let s1 = r1.score, let r2 = e2.score(state), let s2 = r2.score else { unscored += 1; continue }
                pairs.append(Pair(cutoff: ci, a: s1, b: s2, bandA: e1.rules.bands[r1.bandIndex!].name, bandB: e2.rules.bands[r2.bandIndex!].name,
                                  churned: outcomes.churned[next]))
            }
        }
        #expect(report.unscored == unscored)
        #expect(which == 0 ? unscored == 0 : unscored > 100)
        #expect(report.pairs.count == pairs.count)
        #expect(zip(report.pairs, pairs).allSatisfy { $0.score == $1.a && $0.churned == $1.churned })

        func check(_ slice: BacktestSlice, _ ps: [Pair], score: KeyPath<Pair, Double>, band: KeyPath<Pair, String>, bands: [String]) {
            #expect(slice.accounts == ps.count && slice.churns == ps.filter(\.churned).count)
            // AUC: churner–renewer pairs where the churner scored lower, ties ½.
            let churners = ps.filter(\.churned).map { $0[keyPath: score] }, renewers = ps.filter { !$0.churned }.map { $0[keyPath: score] }
            var wins = 0.0
            for c in churners {
                for r in renewers { wins += c < r ? 1 : c == r ? 0.5 : 0 }
            }
            let n = Double(churners.count * renewers.count)
            if n > 0 { #expect(abs(slice.auc! - wins / n) < 1e-12) } else { #expect(slice.auc == nil) }
            // Precision at k and lift: the lowest scores first, ties in pair order.
            let order = ps.indices.sorted { ps[$0][keyPath: score] < ps[$1][keyPath: score] || (ps[$0][keyPath: score] == ps[$1][keyPath: score] && $0 < $1) }
            func precision(_ k: Int) -> Double { Double(order.prefix(k).filter { ps[$0].churned }.count) / Double(min(k, ps.count)) }
            if !ps.isEmpty {
                #expect(slice.precisionAtK == precision(40))
                let rate = Double(ps.filter(\.churned).count) / Double(ps.count)
                if rate > 0 { #expect(slice.topDecileLift == precision(Int((Double(ps.count) * 0.1).rounded(.up))) / rate) }
            }
            #expect(slice.bands.map(\.band) == bands)
            #expect(slice.bands.map(\.accounts) == bands.map { b in ps.filter { $0[keyPath: band] == b }.count })
            #expect(slice.bands.map(\.churns) == bands.map { b in ps.filter { $0[keyPath: band] == b && $0.churned }.count })
        }
        let bandsA = mine.base.bands.map(\.name), bandsB = other.base.bands.map(\.name)
        for (ci, slice) in report.cutoffs.enumerated() { check(slice, pairs.filter { $0.cutoff == ci }, score: \.a, band: \.bandA, bands: bandsA) }
        check(report.overall, pairs, score: \.a, band: \.bandA, bands: bandsA)
        let comparison = try #require(report.comparison)
        check(comparison.overall, pairs, score: \.b, band: \.bandB, bands: bandsB)

        // Deciles: equal-count groups of the pairs by score, ties in pair order.
        let byScore = pairs.indices.sorted { pairs[$0].a < pairs[$1].a || (pairs[$0].a == pairs[$1].a && $0 < $1) }
        for d in 0..<10 {
            let group = byScore[(pairs.count * d / 10)..<(pairs.count * (d + 1) / 10)]
            #expect(report.byDecile[d].observations == group.count)
            #expect(report.byDecile[d].observedRate == Double(group.filter { pairs[$0].churned }.count) / Double(group.count))
            #expect(abs(report.byDecile[d].meanScore! - group.reduce(0.0) { $0 + pairs[$1].a } / Double(group.count)) < 1e-9)
        }
        // The calibration is a non-increasing step function over every pair.
        #expect(report.isotonic.reduce(0) { $0 + $1.observations } == pairs.count)
        for (a, b) in zip(report.isotonic, report.isotonic.dropFirst()) { #expect(a.probability > b.probability && a.scoreTo < b.scoreFrom) }

        // Spearman of the two scores, from ranks computed here.
        func ranks(_ v: [Double]) -> [Double] {
            let o = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count), i = 0
            while i < o.count {
                var j = i
                while j + 1 < o.count && v[o[j + 1]] == v[o[i]] { j += 1 }
                for k in i...j { r[o[k]] = Double(i + j) / 2 + 1 }
                i = j + 1
            }
            return r
        }
        let ra = ranks(pairs.map(\.a)), rb = ranks(pairs.map(\.b))
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        let cov = zip(ra, rb).reduce(0.0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
        let rho = cov / (ra.reduce(0.0) { $0 + ($1 - ma) * ($1 - ma) } * rb.reduce(0.0) { $0 + ($1 - mb) * ($1 - mb) }).squareRoot()
        #expect(abs(comparison.rankCorrelation! - rho) < 1e-12)

        // The band matrix: both configurations' bands on the last date, from `score`.
        let now = try Scorer.score(dataset, configuration: mine, asOf: last), then = try Scorer.score(dataset, configuration: other, asOf: last)
        let otherBand = Dictionary(uniqueKeysWithValues: then.rows.map { ($0.accountId, $0.band) })
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: bandsB.count), count: bandsA.count)
        for r in now.rows {
            guard let b1 = r.band, let b2 = otherBand[r.accountId] ?? nil, let i = bandsA.firstIndex(of: b1), let j = bandsB.firstIndex(of: b2) else { continue }
            matrix[i][j] += 1
        }
        #expect(comparison.matrix == matrix)
        #expect(comparison.matrixDate == last)
        #expect(comparison.accountsChangingBand == bandsA.indices.reduce(0) { s, i in s + bandsB.indices.reduce(0) { $0 + (bandsA[i] != bandsB[$1] ? matrix[i][$1] : 0) } })
    }

    /// The panel's row count worked out from the CSV files alone: at each cutoff (the first timeline date, then
    /// every `step` days up to the day before the last outcome), each account with an outcome in
    /// (cutoff, cutoff + 90] and a timeline row on or before the cutoff; then every account on the last date.
    func expectedRows(_ dataset: Dataset, step: Int) -> Int {
        func lines(_ f: String) -> [[Substring]] {
            let text = (try? String(contentsOfFile: Self.dir + "/" + f, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        }
        var firstRow: [Substring: Int32] = [:]
        var lastDay: Int32 = .min, firstDay: Int32 = .max
        for row in lines("timeline.csv") {
            let d = day(String(row[1]))
            firstRow[row[0]] = min(firstRow[row[0]] ?? .max, d)
            lastDay = max(lastDay, d)
            firstDay = min(firstDay, d)
        }
        let outcomes = lines("outcomes.csv").map { (id: $0[0], day: day(String($0[1]))) }
        let lastOutcome = outcomes.map(\.day).max()!
        var rows = 0
        var cut = firstDay
        while cut <= lastOutcome - 1 {
            let inWindow = Set(outcomes.filter { $0.day > cut && $0.day <= cut + 90 }.map(\.id))
            rows += inWindow.filter { (firstRow[$0] ?? .max) <= cut }.count
            cut += Int32(step)
        }
        return rows + firstRow.values.filter { $0 <= lastDay }.count
    }

    /// The panel's score of every row is `ScoreEngine.score`'s, to the bit, whatever the segment.
    @Test func panelScoresAreTheEnginesScores() throws {
        let dataset = try DataFiles.directory(Self.dir).load(timeline: .memory)
        let names = try dataset.timeline.columns().factorNames!
        let panel = try BacktestPanel(dataset, options: BacktestOptions(step: 60), factors: names)
        for text in Self.others + [try String(contentsOfFile: Self.dir + "/config.yaml", encoding: .utf8)] {
            let c = try Configuration.parse(yaml: text)
            let scores = panel.scores(c)
            // Every account-cutoff pair has at least its cutoff row; the rows are the pairs' as-of states and the
            // last date's accounts, counted here from the timeline independently of the panel.
            #expect(panel.rows == expectedRows(dataset, step: 60) && scores.score.count == panel.rows)
            var scored = 0
            for r in 0..<panel.rows {
                let segment = panel.segmentOf[r] < 0 ? nil : panel.segmentNames[Int(panel.segmentOf[r])]
                let engine = ScoreEngine(rules: c.rules(forSegment: segment), stateFactors: names)
                let state = AsOfState(asOf: 0, latestRowDay: 0, risk: panel.risks[r], values: Array(panel.values[(r * names.count)..<((r + 1) * names.count)]),
                                      valueDays: [Int32?](repeating: 0, count: names.count))
                let want = engine.score(state)?.score
                #expect(want?.bitPattern == (scores.score[r].isNaN ? nil : scores.score[r].bitPattern))
                if want != nil { scored += 1 }
            }
            // Most rows are scored under every configuration tried (an optional-only one leaves some unscored).
            #expect(scored > panel.rows / 2, "\(scored) of \(panel.rows) rows scored")
        }
    }
}
