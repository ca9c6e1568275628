import Foundation
import Testing
@testable import AccountHealth

/// Scores a timeline given as text under a configuration given as YAML.
func scoreText(_ timeline: String, _ yaml: String, asOf: String? = nil, every: Int? = nil, from: String? = nil,
               accounts: String? = nil) throws -> ScoreReport {
    let dir = TempDir()
    let files = DataFiles(timeline: dir.write("timeline.csv", timeline), accounts: accounts.map { dir.write("accounts.csv", $0) },
                          config: dir.write("config.yaml", yaml))
    return try Scorer.score(try files.load(), asOf: asOf.map(day), every: every, from: from.map(day))
}

func close(_ a: Double?, _ b: Double, _ tol: Double = 1e-12) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tol * max(1, abs(b))
}

@Suite struct WorkedExampleTests {
    // DESIGN §3: factors a (50), b (30, optional), c (20, scale 0–10, inverted); medium risk 10; period 10.
    static let yaml = """
        factors:
          - {name: a, weight: 50}
          - {name: b, weight: 30, optional: true}
          - {name: c, weight: 20, scale: {min: 0, max: 10}, invert: true}
        risk_penalty: {medium: 10}
        period: 10
        """
    static let timeline = "account_id,date,a,b,c,risk\nX,2024-01-01,80,,2,medium\nX,2024-01-15,,60,,\n"

    @Test func scoreOnJanuaryTenth() throws {
        let r = try scoreText(Self.timeline, Self.yaml, asOf: "2024-01-10")
        #expect(r.rows.count == 1)
        #expect(close(r.rows[0].result.score, 70.0))
        #expect(r.rows[0].result.penalty == 10)
        #expect(r.rows[0].points[1] == nil)           // b left out
        #expect(close(r.rows[0].result.weightTotal, 70))
    }

    @Test func scoreChangeAndContributionsOnJanuaryTwentieth() throws {
        let r = try scoreText(Self.timeline, Self.yaml, asOf: "2024-01-20")
        let row = r.rows[0]
        #expect(close(row.result.score, 74.0))
        #expect(close(row.change, 4.0))
        #expect(close(row.points[0], 40) && close(row.points[1], 18) && close(row.points[2], 16))
        #expect(row.result.risk == .none && row.result.penalty == 0)
        #expect(row.band == "green")   // 74 is not below 70
    }

    @Test func waterfallSumsToTheChange() throws {
        let dir = TempDir()
        let files = DataFiles(timeline: dir.write("timeline.csv", Self.timeline), config: dir.write("config.yaml", Self.yaml))
        let w = try Explainer.explain(try files.load(), accountId: "X", from: day("2024-01-10"), to: day("2024-01-20"))
        #expect(close(w.change, 4.0))
        let sum = w.steps.reduce(0.0) { $0 + $1.points }
        #expect(abs(sum - w.change) < 1e-12)
        let byKind = Dictionary(grouping: w.steps, by: \.kind)
        // b appeared: 30·60/100 = 18; redistribution: (50·80 + 20·80)(1/100 − 1/70) = −24; penalty −(0 − 10) = +10.
        #expect(close(byKind[.factorAppeared]?.first?.points, 18))
        #expect(close(byKind[.redistribution]?.first?.points, -24))
        #expect(close(byKind[.riskPenalty]?.first?.points, 10))
        #expect(close(byKind[.factor]?.map(\.points).reduce(0, +), 0))
        #expect(abs(byKind[.clamp]!.first!.points) < 1e-12)
    }
}

@Suite struct ScoringRuleTests {
    let twoFactors = """
        factors:
          - {name: a, weight: 1}
          - {name: b, weight: 3}

        """

    @Test func latestNonEmptyValueIsCarriedForward() throws {
        let t = "account_id,date,a,b\nX,2024-01-01,10,20\nX,2024-01-08,,40\nX,2024-01-15,30,\n"
        // as of 01-10: a = 10 (carried), b = 40 → (10 + 120)/4 = 32.5
        #expect(close(try scoreText(t, twoFactors, asOf: "2024-01-10").rows[0].result.score, 32.5))
        // as of 01-20: a = 30, b = 40 (carried) → (30 + 120)/4 = 37.5
        #expect(close(try scoreText(t, twoFactors, asOf: "2024-01-20").rows[0].result.score, 37.5))
        // a row dated exactly on the as-of date counts
        #expect(close(try scoreText(t, twoFactors, asOf: "2024-01-15").rows[0].result.score, 37.5))
    }

    @Test func rowsInAnyOrder() throws {
        let t = "account_id,date,a,b\nX,2024-01-15,30,\nX,2024-01-01,10,20\nX,2024-01-08,,40\n"
        #expect(close(try scoreText(t, twoFactors, asOf: "2024-01-20").rows[0].result.score, 37.5))
    }

    @Test func missingRequiredFactorCountsAsZero() throws {
        let t = "account_id,date,a,b\nX,2024-01-01,80,\n"
        // b required and missing: (80 + 0)/4 = 20
        let r = try scoreText(t, twoFactors, asOf: "2024-01-02")
        #expect(close(r.rows[0].result.score, 20))
        #expect(r.rows[0].points[1] == 0)
    }

    @Test func optionalFactorWithoutValueLeavesBothSums() throws {
        let yaml = "factors:\n  - {name: a, weight: 1}\n  - {name: b, weight: 3, optional: true}\n"
        let r = try scoreText("account_id,date,a,b\nX,2024-01-01,80,\n", yaml, asOf: "2024-01-02")
        #expect(close(r.rows[0].result.score, 80))
        #expect(r.rows[0].points[1] == nil)
    }

    @Test func scaleClampInvertOrder() throws {
        let yaml = "factors:\n  - {name: a, weight: 1, scale: {min: 0, max: 500}}\n  - {name: b, weight: 1, invert: true}\n"
        // a = 750 → 150 → clamped 100; b = −20 → clamped 0 → inverted 100
        #expect(close(try scoreText("account_id,date,a,b\nX,2024-01-01,750,-20\n", yaml, asOf: "2024-01-01").rows[0].result.score, 100))
        // a = 100 → 20; b = 130 → clamped 100 → inverted 0 → (20 + 0)/2 = 10
        #expect(close(try scoreText("account_id,date,a,b\nX,2024-01-01,100,130\n", yaml, asOf: "2024-01-01").rows[0].result.score, 10))
        // a reversed scale (min > max): 100 → 100·(100−500)/(0−500) = 80
        let rev = "factors:\n  - {name: a, weight: 1, scale: {min: 500, max: 0}}\n"
        #expect(close(try scoreText("account_id,date,a\nX,2024-01-01,100\n", rev, asOf: "2024-01-01").rows[0].result.score, 80))
    }

    @Test func riskIsNotCarriedOverEmptyCells() throws {
        let yaml = twoFactors + "risk_penalty: {low: 5, medium: 10, high: 20}\n"
        let t = "account_id,date,a,b,risk\nX,2024-01-01,40,40,high\nX,2024-01-08,40,40,\nX,2024-01-15,,,Medium\n"
        #expect(close(try scoreText(t, yaml, asOf: "2024-01-05").rows[0].result.score, 20))
        #expect(close(try scoreText(t, yaml, asOf: "2024-01-10").rows[0].result.score, 40))   // cleared
        #expect(close(try scoreText(t, yaml, asOf: "2024-01-15").rows[0].result.score, 30))   // a row with only risk
    }

    @Test func scoreIsClampedAfterThePenalty() throws {
        let yaml = twoFactors + "risk_penalty: {high: 20}\n"
        let r = try scoreText("account_id,date,a,b,risk\nX,2024-01-01,4,4,high\n", yaml, asOf: "2024-01-01")
        #expect(r.rows[0].result.score == 0)
    }

    @Test func bandBoundaryBelongsToTheNextBand() throws {
        let t = "account_id,date,a,b\nX,2024-01-01,40,40\nY,2024-01-01,39.99,39.99\nZ,2024-01-01,100,100\n"
        let r = try scoreText(t, twoFactors, asOf: "2024-01-01")
        #expect(r.rows.map { $0.band! } == ["yellow", "red", "green"])
        #expect(r.rows.map(\.accountId) == ["X", "Y", "Z"])
    }

    @Test func accountsWithoutARowBeforeTheDateAreNotScored() throws {
        let t = "account_id,date,a,b\nX,2024-01-01,1,1\nY,2024-02-01,1,1\n"
        let r = try scoreText(t, twoFactors, asOf: "2024-01-15")
        #expect(r.rows.map(\.accountId) == ["X"])
        #expect(r.notYetStarted == [1])
    }

    @Test func changeIsEmptyWithoutAScoreOnePeriodBack() throws {
        let t = "account_id,date,a,b\nX,2024-01-01,1,1\nX,2024-03-01,2,2\n"
        let r = try scoreText(t, twoFactors, asOf: "2024-01-20")
        #expect(r.rows[0].change == nil)
        let r2 = try scoreText(t, twoFactors, asOf: "2024-03-01")
        #expect(close(r2.rows[0].change, 1))
    }

    @Test func coverageCountsOnlyFreshWeight() throws {
        let yaml = twoFactors + "stale_after: 10\n"
        let t = "account_id,date,a,b\nX,2024-01-01,50,\nX,2024-01-20,,50\n"
        // as of 01-25: a is 24 days old (stale), b 5 days (fresh) → coverage 3/4
        let r = try scoreText(t, yaml, asOf: "2024-01-25")
        #expect(close(r.rows[0].result.coverage, 0.75))
        #expect(close(r.rows[0].result.score, 50))     // a stale value still counts
        // exactly stale_after days old is still fresh
        #expect(close(try scoreText(t, yaml, asOf: "2024-01-11").rows[0].result.coverage, 1.0 / 4.0 + 0))
    }

    @Test func segmentWeightsOverrideTheBase() throws {
        let yaml = twoFactors + "segments:\n  Enterprise:\n    factors:\n      - {name: a, weight: 1}\n"
        let accounts = "account_id,am,segment,arr\nX,ann,SMB,1\nY,bob,Enterprise,2\n"
        let t = "account_id,date,a,b\nX,2024-01-01,20,60\nY,2024-01-01,20,60\n"
        let r = try scoreText(t, yaml, asOf: "2024-01-01", accounts: accounts)
        #expect(close(r.rows[0].result.score, 50))    // (20 + 180)/4
        #expect(close(r.rows[1].result.score, 20))    // a alone
        #expect(r.rows[1].points[1] == nil)
    }

    @Test func replayEqualsScoringAtEachDate() throws {
        var g = SeededGenerator(seed: 4)
        var t = "account_id,date,a,b,risk\n"
        for acct in 0..<20 {
            for w in 0..<30 where g.uniform() < 0.8 {
                let a = g.uniform() < 0.2 ? "" : String(Int(g.uniform() * 100))
                let b = g.uniform() < 0.2 ? "" : String(Int(g.uniform() * 100))
                let risk = ["", "", "low", "high"][g.int(below: 4)]
                t += "acc\(acct),\(Day.format(day("2024-01-01") + Int32(7 * w))),\(a),\(b),\(risk)\n"
            }
        }
        let yaml = twoFactors + "risk_penalty: {low: 5, high: 20}\nperiod: 14\n"
        let replay = try scoreText(t, yaml, asOf: "2024-07-01", every: 9, from: "2024-01-01")
        #expect(replay.dates.count > 10)
        for d in replay.dates {
            let single = try scoreText(t, yaml, asOf: Day.format(d))
            let fromReplay = replay.rows.filter { $0.asOf == d }
            #expect(single.rows.map(\.accountId) == fromReplay.map(\.accountId))
            for (x, y) in zip(single.rows, fromReplay) {
                #expect(x.result == y.result)
                #expect(x.change == y.change)
            }
        }
    }

    @Test func configurationFactorMissingFromTheTimeline() {
        let e = errors { _ = try scoreText("account_id,date,a\nX,2024-01-01,1\n", twoFactors) }
        #expect(e.first?.kind == .unknownFactor && e.first?.value == "b")
    }

    @Test func factorNamesMatchCaseInsensitively() throws {
        let r = try scoreText("account_id,date,A,B\nX,2024-01-01,10,10\n", twoFactors)
        #expect(close(r.rows[0].result.score, 10))
    }

    @Test func defaultAsOfIsTheLastTimelineDate() throws {
        let r = try scoreText("account_id,date,a,b\nX,2024-01-01,10,10\nY,2024-03-05,20,20\n", twoFactors)
        #expect(r.dates == [day("2024-03-05")])
        #expect(r.rows.count == 2)
    }
}

@Suite struct AlertTests {
    @Test func bandCrossingsAndDrops() throws {
        let yaml = "factors:\n  - {name: a, weight: 1}\nperiod: 7\n"
        let t = """
            account_id,date,a
            down,2024-01-01,75
            down,2024-01-08,65
            drop,2024-01-01,69
            drop,2024-01-08,41
            up,2024-01-01,30
            up,2024-01-08,90
            flat,2024-01-01,50
            flat,2024-01-08,49

            """
        let dir = TempDir()
        let dataset = try DataFiles(timeline: dir.write("t.csv", t), config: dir.write("c.yaml", yaml)).load()
        let cfg = dataset.configuration!
        let report = try Scorer.score(dataset, asOf: day("2024-01-08"))
        let alerts = Alerts.find(in: report, configuration: cfg, drop: 20)
        #expect(alerts.map(\.row.accountId) == ["drop", "down"])
        #expect(alerts.map(\.reason) == [.drop, .bandDown])
        #expect(Alerts.find(in: report, configuration: cfg, drop: nil).map(\.row.accountId) == ["down"])
    }
}
