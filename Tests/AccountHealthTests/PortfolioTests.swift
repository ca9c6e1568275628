import Foundation
import Testing
@testable import AccountHealth

@Suite struct ShrinkageTests {
    @Test func handWorkedMomentEstimator() {
        // Groups 2/10, 8/10, 5/10: p̄ = 0.5, S = 1.8, G = 3, N = 30, Σn²/N = 10 → τ² = (1.8 − 0.25·2)/20 = 0.065,
        // M = 0.25/0.065 − 1 = 2.846153…, α = β = M/2; the 2/10 group shrinks to (2 + α)/(10 + M).
        let s = BetaBinomialShrinkage(churns: [2, 8, 5], totals: [10, 10, 10])!
        let m = 0.25 / 0.065 - 1
        #expect(abs(s.pooledRate - 0.5) < 1e-15 && abs(s.priorStrength - m) < 1e-12)
        #expect(abs(s.rate(churns: 2, total: 10) - (2 + m / 2) / (10 + m)) < 1e-12)
        #expect(s.rate(churns: 2, total: 10) > 0.2 && s.rate(churns: 8, total: 10) < 0.8)
    }

    @Test func noSpreadBeyondChanceShrinksToThePool() {
        let s = BetaBinomialShrinkage(churns: [5, 5, 5], totals: [50, 50, 50])!
        #expect(s.priorStrength.isInfinite && s.rate(churns: 5, total: 50) == 0.1)
    }
}

struct World4 {
    static let dir = "\(repoRoot)/datasets/simulated"
    static var files: DataFiles { DataFiles.directory(dir) }
    static let dataset: Dataset = try! files.load(timeline: .memory)
}

@Suite struct CompareTests {
    @Test func countsExpectedAndIntervals() throws {
        let d = World4.dataset
        let accounts = d.accounts!, outcomes = d.outcomes!
        let r = try Portfolio.compare(d, by: "am")
        // Every renewal and churn in the right group.
        var direct: [String: (Int, Int)] = [:]
        for i in 0..<outcomes.count {
            let g = accounts.am[accounts.row(of: outcomes.accountIds[i])!]
            if outcomes.churned[i] { direct[g, default: (0, 0)].1 += 1 } else { direct[g, default: (0, 0)].0 += 1 }
        }
        for g in r.groups {
            #expect(g.renewals == direct[g.group]!.0 && g.churns == direct[g.group]!.1, "\(g.group)")
            if let ratio = g.oeRatio { #expect(g.oeLow! <= ratio && ratio <= g.oeHigh!) }
        }
        #expect(r.groups.reduce(0) { $0 + $1.accounts } == accounts.count)
        // Over the fitted data (every observed outcome row) the expected churns add up to the observed ones
        // (logistic MLE with an intercept); a row whose account had no timeline row by T − h is not observed
        // (DESIGN §13) and not modelled, and every other row is.
        let e = r.groups.reduce(0.0) { $0 + $1.expectedChurns }, o = r.groups.reduce(0) { $0 + $1.modelledChurns }
        #expect(abs(e - Double(o)) < 1e-6 * Double(o))
        let obs = try Observations.build(d, factors: d.configuration!.base.factors.map(\.name), options: ObservationOptions())[0]
        #expect(r.groups.reduce(0) { $0 + $1.modelled } == obs.count)
        #expect(r.groups.reduce(0) { $0 + $1.renewals + $1.churns } == obs.count + obs.noHistory)
        #expect(r.modelObservations == obs.count)
        // The "always 9" AMs' satisfaction tells nothing (truth.yaml: am_07, am_08, am_09, am_14).
        for g in r.groups where ["am_07", "am_08", "am_09", "am_14"].contains(g.group) {
            #expect(g.manual.first?.distinctValues == 1 && g.manual.first?.auc == 0.5)
        }
        // The least skilled AM (am_04, skill −1.88) is flagged as churning more than the book predicts.
        #expect(r.groups.first { $0.group == "am_04" }?.flag == .higher)
    }

    /// The per-group score summaries against an independent grouping of `score`'s rows at the same date: each
    /// AM's median score (middle of the sorted scores, the mean of the two middle ones for an even count), mean
    /// change and mean 0–100 value per factor; and each O/E interval is Garwood's exact Poisson interval, checked
    /// by its defining tail sums, P(X ≥ O | low) = P(X ≤ O | high) = 2.5 %, summed term by term here.
    @Test func groupSummariesFromAnIndependentGrouping() throws {
        let d = World4.dataset
        let r = try Portfolio.compare(d, by: "am")
        let scores = try Scorer.score(d, asOf: r.asOf)
        let accounts = d.accounts!
        var byAM: [String: [ScoreRow]] = [:]
        for row in scores.rows { byAM[accounts.am[accounts.row(of: row.accountId)!], default: []].append(row) }
        for g in r.groups {
            let rows = byAM[g.group] ?? []
            let sorted = rows.compactMap { $0.result.score }.sorted()
            let n = sorted.count
            let median = n == 0 ? nil : (n.isMultiple(of: 2) ? (sorted[n / 2 - 1] + sorted[n / 2]) / 2 : sorted[n / 2])
            #expect(g.medianScore == median, "\(g.group)")
            let changes = rows.compactMap(\.change)
            let meanChange = changes.isEmpty ? nil : changes.reduce(0, +) / Double(changes.count)
            #expect(abs((g.meanChange ?? .nan) - (meanChange ?? .nan)) < 1e-12 || (g.meanChange == nil && meanChange == nil), "\(g.group)")
            for (j, mean) in g.factorMeans.enumerated() {
                let values = rows.compactMap { $0.result.mapped[j] }
                let expected = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
                #expect((mean == nil && expected == nil) || abs(mean! - expected!) < 1e-9, "\(g.group) factor \(j)")
            }
            // Garwood: the tail sums at the interval's ends, by the Poisson terms.
            guard g.expectedChurns > 0, let low = g.oeLow, let high = g.oeHigh else { continue }
            let o = g.modelledChurns, e = g.expectedChurns
            func cdf(_ k: Int, _ mu: Double) -> Double {       // P(X ≤ k), X ~ Poisson(mu)
                var term = exp(-mu), sum = term
                if k > 0 { for i in 1...k { term *= mu / Double(i); sum += term } }
                return sum
            }
            if o > 0 { #expect(abs((1 - cdf(o - 1, low * e)) - 0.025) < 1e-9, "\(g.group) lower end") }
            #expect(abs(cdf(o, high * e) - 0.025) < 1e-9, "\(g.group) upper end")
            #expect(g.flag == (low > 1 ? .higher : (high < 1 ? .lower : nil)), "\(g.group)")
        }
        #expect(r.groups.contains { $0.flag == .higher } && r.groups.count > 10)
    }

    @Test func windowAndUnknownColumn() throws {
        let d = World4.dataset
        let outcomes = d.outcomes!
        let from = day("2024-01-01"), to = day("2024-06-30")
        let r = try Portfolio.compare(d, by: "region", from: from, to: to)
        let inWindow = outcomes.day.filter { $0 >= from && $0 <= to }.count
        #expect(r.groups.reduce(0) { $0 + $1.renewals + $1.churns } == inWindow)
        #expect(Set(r.groups.map(\.group)) == ["APAC", "EMEA", "LATAM", "NA"])
        #expect(throws: InputError.self) {
            var noConfig = d
            noConfig.configuration = nil
            return try Portfolio.compare(noConfig, by: "nonexistent")
        }
    }
}

@Suite struct RankingTests {
    let asOf = day("2024-06-30")

    func rank(outcomes: OutcomesTable, top: Int? = nil) throws -> RankReport {
        var d = World4.dataset
        d.outcomes = outcomes
        return try Ranking.rank(d, asOf: asOf, top: top)
    }

    @Test func orderArithmeticAndExclusions() throws {
        let outcomes = try OutcomesTable.read(path: World4.files.outcomes!)
        let r = try rank(outcomes: outcomes)
        let churnedBefore = Set(outcomes.accountIds.indices.filter { outcomes.churned[$0] && outcomes.day[$0] <= asOf }.map { outcomes.accountIds[$0] })
        #expect(r.excludedChurned == churnedBefore.count && r.rows.count > 1000)
        for (i, row) in r.rows.enumerated() {
            #expect(row.rank == i + 1)
            #expect(!churnedBefore.contains(row.accountId))
            #expect(row.drivers.count <= 3)
            if i > 0 { #expect(r.rows[i - 1].arrAtRisk! >= row.arrAtRisk!) }
        }
        #expect(try rank(outcomes: outcomes, top: 5).rows.map(\.accountId) == r.rows.prefix(5).map(\.accountId))
    }

    /// Each row's drivers against β·(x − mean) worked out here: x is the factor's non-empty value of the latest
    /// date on or before the as-of date, read from timeline.csv by the test itself (the as-of rule), and the drivers are
    /// the (at most three) largest positive contributions, a tie going to the name first in order. The churn
    /// probability is the logistic of the intercept plus β·x, and the ARR at risk that times the ARR of
    /// accounts.csv, also read here.
    @Test func driversProbabilityAndARRFromAnIndependentReading() throws {
        let outcomes = try OutcomesTable.read(path: World4.files.outcomes!)
        let r = try rank(outcomes: outcomes)
        let m = r.model
        #expect(m.kind == .logistic && m.trendDays == nil)
        let text = try String(contentsOfFile: World4.dir + "/timeline.csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        // A `<factor>_missing` feature (DESIGN §13) reads its factor's column: 1 where it has no value yet.
        func factorOf(_ f: String) -> String { f.hasSuffix("_missing") ? String(f.dropLast(8)) : f }
        let columns = m.features.map { header.firstIndex(of: factorOf($0))! }
        let cutoff = Day.format(asOf)
        // The file is not in date order within an account: each factor keeps the value of its latest date.
        var dated: [Substring: [(date: Substring, value: Double)?]] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard String(cells[1]) <= cutoff else { continue }      // ISO dates order as text
            var v = dated[cells[0]] ?? [(date: Substring, value: Double)?](repeating: nil, count: columns.count)
            for (j, c) in columns.enumerated() where !cells[c].isEmpty && (v[j] == nil || cells[1] >= v[j]!.date) {
                v[j] = (cells[1], Double(cells[c])!)
            }
            dated[cells[0]] = v
        }
        let latest = dated.mapValues { $0.map { $0?.value } }
        var arrOf: [Substring: Double] = [:]
        for line in try String(contentsOfFile: World4.dir + "/accounts.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            arrOf[cells[0]] = Double(cells[4])!
        }
        var withDrivers = 0
        for row in r.rows {
            let values = try #require(latest[Substring(row.accountId)])
            var eta = m.intercept
            var contributions: [(name: String, value: Double)] = []
            for j in m.features.indices {
                let fill = m.fill.first { $0.factor == m.features[j] }?.value ?? m.means[j]
                let x = m.features[j].hasSuffix("_missing") ? (values[j] == nil ? 1 : 0) : values[j] ?? fill
                eta += m.coefficients[j] * x
                contributions.append((m.features[j], m.coefficients[j] * (x - m.means[j])))
            }
            var expected: [String] = []
            for c in contributions where c.value > 0 {
                let at = expected.firstIndex { name in
                    let v = contributions.first { $0.name == name }!.value
                    return c.value > v || (c.value == v && c.name < name)
                } ?? expected.count
                expected.insert(c.name, at: at)
            }
            #expect(row.drivers == Array(expected.prefix(3)), "\(row.accountId)")
            let p: Double = try #require(row.churnProbability)
            let want: Double = 1 / (1 + exp(-eta))
            #expect(abs(p - want) < 1e-12, "\(row.accountId)")
            let arr: Double = try #require(arrOf[Substring(row.accountId)])
            #expect(row.arr == arr && abs(row.arrAtRisk! - p * arr) == 0)
            if !row.drivers.isEmpty { withDrivers += 1 }
        }
        #expect(r.rows.count > 1000 && withDrivers > 1000)
    }

    @Test func noLookAhead() throws {
        // Flip every outcome decided after the as-of date: a model that saw the future would change.
        let outcomes = try OutcomesTable.read(path: World4.files.outcomes!)
        var flipped = outcomes
        for i in 0..<flipped.count where flipped.day[i] > asOf { flipped.churned[i].toggle() }
        let a = try rank(outcomes: outcomes), b = try rank(outcomes: flipped)
        #expect(a.model.coefficients == b.model.coefficients && a.model.intercept == b.model.intercept)
        #expect(a.rows.map(\.churnProbability) == b.rows.map(\.churnProbability))
    }

    @Test func ranksTheNext90DaysBetterThanChance() throws {
        let outcomes = try OutcomesTable.read(path: World4.files.outcomes!)
        let r = try rank(outcomes: outcomes)
        var next: [String: Double] = [:]
        for i in 0..<outcomes.count where outcomes.day[i] > asOf && outcomes.day[i] <= asOf + 90 && next[outcomes.accountIds[i]] == nil {
            next[outcomes.accountIds[i]] = outcomes.churned[i] ? 1 : 0
        }
        let scored = r.rows.filter { next[$0.accountId] != nil }
        let auc = Metrics.auc(risk: scored.map { $0.churnProbability! }, churned: scored.map { next[$0.accountId]! })!
        #expect(scored.count > 300 && auc > 0.7, "AUC \(auc) over \(scored.count) decisions")
    }
}
