import Foundation
import Testing

@testable import AccountHealth

/// A three-version history over the bundled dataset's configuration (DESIGN §15): v2 weighs QBR more and drops
/// support tickets, v3 raises the high-risk penalty and shortens the period.
struct HistoryWorld {
    static let dir = "\(repoRoot)/datasets/simulated"
    let temp = TempDir()
    let folder: String
    let files: [String]

    init() throws {
        let base = try String(contentsOfFile: Self.dir + "/config.yaml", encoding: .utf8)
        folder = temp.path + "/configs"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let v1 = "version: {id: v1, effective_from: 2023-01-01, author: ana, note: hand-set}\n" + base
        let v2 =
            "version: {id: v2, effective_from: 2023-09-01, author: ana, note: \"more QBR\"}\n"
            + base.replacingOccurrences(of: "name: qbr, weight: 10", with: "name: qbr, weight: 25")
            .replacingOccurrences(of: "  - {name: support_tickets, weight: 5, scale: {min: 0, max: 20}, invert: true}\n",
                                  with: "")
        let v3 =
            "version: {id: v3, effective_from: 2024-03-01}\n"
            + base.replacingOccurrences(of: "high: 20", with: "high: 30").replacingOccurrences(
                of: "period: 30", with: "period: 28")
        let t = temp
        files = [("2023-01-01-v1.yaml", v1), ("2023-09-01-v2.yaml", v2), ("2024-03-01-v3.yaml", v3)].map {
            t.write("configs/" + $0.0, $0.1)
        }
        #expect(!v2.contains("support_tickets") && v3.contains("high: 30"))
    }

    func dataset() throws -> Dataset {
        var d = try DataFiles.directory(Self.dir).load(timeline: .memory)
        d.history = try ConfigurationHistory.load(directory: folder)
        return d
    }
}

@Suite struct ConfigurationHistoryTests {
    @Test func versionsAreReadInDateOrderAndLookedUpByDate() throws {
        let w = try HistoryWorld()
        let h = try ConfigurationHistory.load(directory: w.folder)
        #expect(h.versions.map(\.id) == ["v1", "v2", "v3"])
        #expect(h.versions[1].note == "more QBR" && h.versions[2].author == nil)
        #expect(h.index(at: day("2022-06-01")) == 0, "before the first, the first applies")
        #expect(h.noteBeforeFirst(day("2022-06-01")) != nil && h.noteBeforeFirst(day("2023-01-01")) == nil)
        #expect(h.index(at: day("2023-08-31")) == 0)
        #expect(h.index(at: day("2023-09-01")) == 1, "in force from its effective_from")
        #expect(h.index(at: day("2024-02-29")) == 1)
        #expect(h.index(at: day("2030-01-01")) == 2)
        #expect(h.allFactorNames.count == 8)
        #expect(h.predecessor(of: day("2023-09-01"))?.id == "v1" && h.predecessor(of: day("2023-01-01")) == nil)
        // A version file is also a plain configuration (its version block ignored).
        let c = try Configuration.load(path: w.files[1])
        #expect(c == h.versions[1].configuration)
    }

    @Test func badVersionFilesAreLocatedErrors() throws {
        let base = "factors:\n  - {name: a, weight: 1}\n"
        let cases: [(String, String)] = [
            (base, "version: missing"),
            ("version: {id: v1}\n" + base, "version.effective_from: missing"),
            ("version: {id: v1, effective_from: 2023-02-30}\n" + base, "must be a date"),
            ("version: {id: ../v1, effective_from: 2023-01-01}\n" + base, "plain name"),
            ("version: {id: .hidden, effective_from: 2023-01-01}\n" + base, "plain name"),
            ("version: {effective_from: 2023-01-01}\n" + base, "version.id: missing"),
            ("version: {id: v1, effective_from: 2023-01-01, colour: red}\n" + base, "unknown key"),
            ("version: v1\n" + base, "must be a mapping"),
        ]
        for (text, message) in cases {
            let e = errors { _ = try ConfigurationVersion.parse(yaml: text, file: "x.yaml") }
            #expect(e.count == 1 && e[0].message.contains(message), "\(message): \(e)")
            #expect(e.first?.location.file == "x.yaml")
            #expect(e.first?.failureClass == .badData)
        }
    }

    @Test func aDuplicateIdOrDateNamesBothFiles() throws {
        let t = TempDir()
        let base = "factors:\n  - {name: a, weight: 1}\n"
        t.write("a.yaml", "version: {id: v1, effective_from: 2023-01-01}\n" + base)
        t.write("b.yaml", "version: {id: v1, effective_from: 2023-02-01}\n" + base)
        var e = errors { _ = try ConfigurationHistory.load(directory: t.path) }
        #expect(e.count == 1 && e[0].kind == .duplicateVersion)
        #expect(e[0].location.file.hasSuffix("b.yaml") && e[0].message.contains("a.yaml"))
        t.write("b.yaml", "version: {id: v2, effective_from: 2023-01-01}\n" + base)
        e = errors { _ = try ConfigurationHistory.load(directory: t.path) }
        #expect(e.count == 1 && e[0].message.contains("a.yaml") && e[0].location.file.hasSuffix("b.yaml"))
        let empty = TempDir()
        #expect(errors { _ = try ConfigurationHistory.load(directory: empty.path) }.first?.kind == .invalidConfiguration)
        #expect(errors { _ = try ConfigurationHistory.load(directory: empty.path + "/none") }.first?.kind == .missingFile)
    }

    /// Every date's score equals the score under the version in force then; `change` is the score as shown minus
    /// the score as shown a period before, `change_same_config` both under the row's version; the points columns
    /// are the union (empty where the version lacks the factor).
    @Test func aReplayScoresEachDateUnderItsVersion() throws {
        let w = try HistoryWorld()
        let d = try w.dataset()
        let h = d.history!
        let replay = try Scorer.score(d, every: 14)
        #expect(replay.history != nil && replay.factorNames == h.allFactorNames)
        let support = replay.factorNames.firstIndex(of: "support_tickets")!
        var single: [String: [String: ScoreRow]] = [:]
        var names: [String: [String]] = [:]
        for v in h.versions {
            let r = try Scorer.score(d, configuration: v.configuration, every: 14)
            single[v.id] = Dictionary(uniqueKeysWithValues: r.rows.map { ("\($0.accountId)|\($0.asOf)", $0) })
            names[v.id] = r.factorNames
        }
        var crossings = 0
        for row in replay.rows {
            let v = h.version(at: row.asOf)
            #expect(row.configVersion == v.id)
            let same = single[v.id]!["\(row.accountId)|\(row.asOf)"]!
            #expect(row.result.score == same.result.score && row.band == same.band)
            #expect(row.changeSameConfig == same.change)
            // The same points under the factor's name; none where the version lacks the factor.
            let byName = Dictionary(uniqueKeysWithValues: zip(names[v.id]!, same.points))
            #expect(row.points == replay.factorNames.map { byName[$0] ?? nil })
            if v.id == "v2" { #expect(row.points[support] == nil) }
            let prevDay = row.asOf - Int32(v.configuration.base.period)
            let pv = h.version(at: prevDay)
            if pv.id != v.id, let s = row.result.score, let c = row.change {
                crossings += 1
                // The previous score as shown then: under its own version.
                let before = try Scorer.score(d, configuration: pv.configuration, asOf: prevDay)
                let p = before.rows.first { $0.accountId == row.accountId }!.result.score!
                #expect(c == s - p)
                #expect(row.previousBand == before.rows.first { $0.accountId == row.accountId }!.band)
                if crossings > 20 { break }
            }
        }
        #expect(crossings > 0)
    }

    /// Across a version change the waterfall gains a `configuration` step and still sums to the change.
    @Test func explainAcrossAVersionChangeSumsExactly() throws {
        let w = try HistoryWorld()
        let d = try w.dataset()
        let (from, to) = (day("2023-08-15"), day("2023-09-20"))
        var checked = 0
        for id in ["A000001", "A000002", "A000010", "A000100", "A000500"] {
            guard let wf = try? Explainer.explain(d, accountId: id, from: from, to: to) else { continue }
            checked += 1
            #expect(wf.versions?.from == "v1" && wf.versions?.to == "v2")
            #expect(wf.steps.first?.kind == .configuration)
            let sum = wf.steps.reduce(0.0) { $0 + $1.points }
            #expect(abs(sum - wf.change) <= 1e-12 * max(1, abs(wf.change)))
            let v1 = try Scorer.score(d, configuration: d.history!.versions[0].configuration, asOf: from)
            let v2early = try Scorer.score(d, configuration: d.history!.versions[1].configuration, asOf: from)
            let v2late = try Scorer.score(d, configuration: d.history!.versions[1].configuration, asOf: to)
            func s(_ r: ScoreReport) -> Double { r.rows.first { $0.accountId == id }!.result.score! }
            #expect(wf.fromScore == s(v1) && wf.toScore == s(v2late))
            #expect(wf.steps[0].points == s(v2early) - s(v1))
        }
        #expect(checked >= 3)
        // Within one version: no configuration step.
        let same = try Explainer.explain(d, accountId: "A000001", from: day("2023-10-01"), to: day("2023-11-01"))
        #expect(same.versions?.from == "v2" && !same.steps.contains { $0.kind == .configuration })
    }

    /// Alerts under a history judge movement under the as-of version: the same alerts as `--config` that version.
    @Test func alertsUseTheVersionInForceAtTheAsOfDate() throws {
        let w = try HistoryWorld()
        let d = try w.dataset()
        let asOf = day("2023-09-10")  // v2, a period after v1's last day
        let shown = try Scorer.score(d, asOf: asOf)
        let found = Alerts.find(in: shown, configuration: d.configuration!, drop: 10)
        let v2 = d.history!.versions[1].configuration
        let plain = Alerts.find(in: try Scorer.score(d, configuration: v2, asOf: asOf), configuration: v2, drop: 10)
        #expect(found.map(\.row.accountId) == plain.map(\.row.accountId))
        #expect(found.map(\.reason) == plain.map(\.reason))
        #expect(found.allSatisfy { $0.row.configVersion == "v2" })
    }

    /// The backtest under a history: each cutoff under its version; cutoffs before v2 are v1's.
    @Test func backtestScoresEachCutoffUnderItsVersion() throws {
        let w = try HistoryWorld()
        let d = try w.dataset()
        let shown = try Backtest.run(d, options: BacktestOptions())
        let v1 = try Backtest.run(d, configuration: d.history!.versions[0].configuration, options: BacktestOptions())
        let v3 = try Backtest.run(d, configuration: d.history!.versions[2].configuration, options: BacktestOptions())
        for (i, c) in shown.cutoffs.enumerated() {
            let v = d.history!.version(at: c.cutoff!).id
            if v == "v1" { #expect(c.auc == v1.cutoffs[i].auc && c.accounts == v1.cutoffs[i].accounts) }
            if v == "v3" { #expect(c.auc == v3.cutoffs[i].auc) }
        }
        #expect(shown.overall.auc != v1.overall.auc)
    }

    /// `config new`: the evidence is `backtest --against`'s summary; the file is written once, atomically, and a
    /// duplicate id or date or an existing file is refused with the folder unchanged.
    @Test func aNewVersionCarriesItsEvidenceAndIsNeverWrittenTwice() throws {
        let w = try HistoryWorld()
        let d = try w.dataset()
        let h = d.history!
        var proposal = h.current.configuration
        proposal.base.factors[1].weight = 30
        let (v, _) = try ConfigurationHistory.newVersion(
            proposal, id: "v4", effectiveFrom: day("2024-06-01"), author: "bo", note: "tasks\nmatter", history: h,
            dataset: d, file: w.folder + "/2024-06-01-v4.yaml")
        let expected = try Backtest.run(
            d, configuration: h.current.configuration, options: BacktestOptions(), against: ("p", proposal))
        let e = try #require(v.evidence)
        #expect(e.against == "v3" && e.horizonDays == 90 && e.stepDays == 30)
        #expect(e.aucBefore == expected.comparison!.overallCurrent.auc && e.aucAfter == expected.comparison!.overall.auc)
        #expect(e.liftAfter == expected.comparison!.overall.topDecileLift)
        #expect(e.accountsChangingBand == expected.comparison!.accountsChangingBand)
        let path = try ConfigurationHistory.write(v, directory: w.folder)
        #expect(path.hasSuffix("/2024-06-01-v4.yaml"))
        // Read back: the same version, evidence and all.
        let again = try ConfigurationHistory.load(directory: w.folder)
        let back = try #require(again.version(id: "v4"))
        #expect(back.configuration == proposal && back.evidence == e && back.note == "tasks\nmatter")
        let before = try FileManager.default.contentsOfDirectory(atPath: w.folder).sorted()
        #expect(before.count == 4)
        for (id, date) in [("v4", "2024-07-01"), ("v5", "2024-06-01"), ("../v5", "2024-08-01")] {
            let e = errors {
                _ = try ConfigurationHistory.newVersion(
                    proposal, id: id, effectiveFrom: day(date), author: nil, note: nil, history: again, dataset: nil,
                    file: "f")
            }
            #expect(e.count == 1 && e[0].failureClass == .badData, "\(id) \(date)")
        }
        #expect(errors { _ = try ConfigurationHistory.write(v, directory: w.folder) }.first?.kind == .duplicateVersion)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.folder).sorted() == before)
    }

    @Test func diffListsEveryChangedSetting() throws {
        let a = try Configuration.parse(
            yaml: """
                factors:
                  - {name: a, weight: 10}
                  - {name: b, weight: 5, optional: true, scale: {min: 0, max: 10}}
                risk_penalty: {high: 20}
                bands: [{name: red, below: 40}, {name: green}]
                """)
        let b = try Configuration.parse(
            yaml: """
                factors:
                  - {name: a, weight: 12, invert: true}
                  - {name: c, weight: 5}
                risk_penalty: {high: 25, low: 2}
                bands: [{name: red, below: 45}, {name: green}]
                period: 14
                segments:
                  smb: {risk_penalty: {high: 1}}
                """)
        let d = ConfigurationDiff(from: "x", a, to: "y", b)
        let got = d.changes.map { "\($0.path): \($0.old ?? "-") -> \($0.new ?? "-")" }
        #expect(
            got == [
                "factors.a.weight: 10 -> 12", "factors.a.invert: false -> true", "factors.b.weight: 5 -> -",
                "factors.b.optional: true -> -", "factors.b.scale.min: 0 -> -", "factors.b.scale.max: 10 -> -",
                "factors.b.invert: false -> -", "factors.b.manual: false -> -", "factors.c.weight: - -> 5",
                "factors.c.optional: - -> false", "factors.c.invert: - -> false", "factors.c.manual: - -> false",
                "risk_penalty.low: 0 -> 2", "risk_penalty.high: 20 -> 25", "bands[0].below: 40 -> 45",
                "period: 30 -> 14", "segments.smb: - -> added",
            ])
        #expect(ConfigurationDiff(from: "x", a, to: "x", a).changes.isEmpty)
    }
}
