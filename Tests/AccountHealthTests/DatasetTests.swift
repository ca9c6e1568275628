import AccountHealth
import Foundation
import Testing

/// A timeline source that counts how often it is read.
final class CountingSource: TimelineSource, @unchecked Sendable {
    let inner: TimelineReader
    private let lock = NSLock()
    private var _reads = 0
    var reads: Int { lock.lock(); defer { lock.unlock() }; return _reads }
    init(_ inner: TimelineReader) { self.inner = inner }
    var name: String { inner.name }
    func columns() throws -> TimelineColumns { try inner.columns() }
    func dateRange() throws -> (first: Int32, last: Int32)? { try inner.dateRange() }
    func read<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary {
        lock.lock(); _reads += 1; lock.unlock()
        return try inner.read(into: &sink)
    }
}

@Suite struct DatasetTests {
    static let dir = "\(repoRoot)/datasets/simulated"

    /// The report reads the timeline once, whatever the number of sections.
    @Test func reportReadsTheTimelineOnce() throws {
        var d = try DataFiles.directory(Self.dir).load()
        let counting = CountingSource(TimelineReader(path: Self.dir + "/timeline.csv"))
        d.timeline = counting
        let r = try ReportBuilder.build(d, options: ReportOptions(bootstrap: 0))
        #expect(counting.reads == 1)
        #expect(r.charts >= 7 && r.diagnostics.filter { $0.kind == .sectionLeftOut }.isEmpty)
    }

    /// Every analysis gives the same answer on the streamed file and on the timeline held in memory.
    @Test func memoryAndStreamAgree() throws {
        let stream = try DataFiles.directory(Self.dir).load()
        let memory = try stream.inMemory()
        #expect(memory.timeline is Timeline)
        let day = Day.parse("2024-06-30")!
        let s1 = try Scorer.score(stream, asOf: day, every: 28), s2 = try Scorer.score(memory, asOf: day, every: 28)
        #expect(s1.rows.map(\.result.score) == s2.rows.map(\.result.score) && s1.rows.map(\.points) == s2.rows.map(\.points))
        let names = stream.configuration!.base.factors.map(\.name)
        let o1 = try Observations.build(stream, factors: names, options: ObservationOptions(horizons: [90], trendDays: 60))[0]
        let o2 = try Observations.build(memory, factors: names, options: ObservationOptions(horizons: [90], trendDays: 60))[0]
        // NaN marks a missing value (DESIGN §13 keeps the rows): NaN equals NaN here.
        #expect(o1.count == o2.count && o1.y == o2.y && o1.dropped == o2.dropped)
        // The factor values are the same numbers; a trend is a least-squares slope whose sums the two-thread read
        // of the file merges in another order than one pass in memory, so it agrees to rounding (1e-12), which only
        // showed once the rows with a missing factor stayed in (they hold such accounts).
        let factorValues = o1.count * names.count
        let differing = o1.x.storage.indices.filter { i in
            let a = o1.x.storage[i], b = o2.x.storage[i]
            if a == b || (a.isNaN && b.isNaN) { return false }
            return i < factorValues || !(abs(a - b) <= 1e-12 * max(1, abs(a)))
        }
        #expect(differing.isEmpty, "\(differing.count) values differ, first at \(differing.first.map { ($0 / o1.count, $0 % o1.count, o1.x.storage[$0], o2.x.storage[$0]) } as Any)")
        let c1 = try SurvivalDesign.build(stream), c2 = try SurvivalDesign.build(memory)
        #expect(c1.data.x == c2.data.x && c1.data.stop == c2.data.stop && c1.dropped == c2.dropped)
        let t = memory.timeline as! Timeline
        #expect(t.rowCount == t.summary.rows && t.accountCount == t.summary.accounts.count)
    }

    /// A long-layout file becomes one row per account and date, the risk of that date kept.
    @Test func longLayoutMergesTheRecordsOfADate() throws {
        let dir = TempDir()
        let p = dir.write("t.csv", """
            account_id,date,factor,value
            A,2024-01-02,b,7
            A,2024-01-01,a,1
            A,2024-01-01,risk,high
            A,2024-01-01,b,2
            B,2024-01-05,a,3

            """)
        let t = try Timeline.load(from: TimelineReader(path: p))
        #expect(t.rowCount == 3 && t.factors == ["b", "a"])
        #expect(Array(t.days[t.rows(ofAccount: 0)]) == [Day.parse("2024-01-01")!, Day.parse("2024-01-02")!])
        #expect(t.values[0][0] == 2 && t.values[1][0] == 1 && t.risks[0] == RiskLevel.high.rawValue)
        #expect(t.values[0][1] == 7 && t.values[1][1].isNaN && t.risks[1] == TimelineReader.riskUnspecified)
        // Cut at the first date: the second row goes, the counts follow.
        let cut = t.truncated(through: Day.parse("2024-01-01")!)
        #expect(cut.rowCount == 1 && cut.summary.valueCounts == [1, 1] && cut.summary.lastDay == Day.parse("2024-01-01"))
        #expect(cut.rows(ofAccount: 1).isEmpty)
    }

    /// A new source builds its timeline row by row; duplicates and bad values are located errors.
    @Test func builderForNewSources() throws {
        var b = TimelineBuilder(name: "crm.timeline", factors: ["a", "b"], hasRisk: true)
        try b.append(account: "X", day: Day.parse("2024-01-15")!, risk: .medium, values: [2, nil])
        try b.append(account: "X", day: Day.parse("2024-01-01")!, values: [1, 5])
        try b.append(account: "Y", day: Day.parse("2024-01-01")!, values: [nil, nil])
        let t = try b.build()
        #expect(t.accountCount == 2 && t.rowCount == 3 && t.summary.valueCounts == [2, 1])
        #expect(Array(t.days[t.rows(ofAccount: 0)]) == [Day.parse("2024-01-01")!, Day.parse("2024-01-15")!])
        let d = Dataset(timeline: t, configuration: try Configuration.parse(yaml: "factors:\n  - {name: a, weight: 1}\n  - {name: b, weight: 1, optional: true}\nrisk_penalty: {medium: 1}\n"))
        let s = try Scorer.score(d, asOf: Day.parse("2024-01-20")!)
        // X: a = 2 (its latest), b = 5 carried forward: (2 + 5) / 2 − 1 for the medium risk = 2.5.
        // Y: a has no value (not optional: counts 0), b has none (optional: left out) → 0.
        #expect(s.rows.map(\.accountId) == ["X", "Y"] && s.rows[0].result.score == 2.5 && s.rows[1].result.score == 0)
        #expect(throws: InputError.self) { try b.append(account: "X", day: 0, values: [1]) }
        #expect(throws: InputError.self) { try b.append(account: "X", day: 0, values: [.infinity, 1]) }
        var dup = TimelineBuilder(name: "crm.timeline", factors: ["a"], hasRisk: false)
        try dup.append(account: "X", day: 10, values: [1])
        try dup.append(account: "X", day: 10, values: [2])
        #expect(throws: InputErrors.self) { _ = try dup.build() }
    }

    /// What an analysis needs and the dataset lacks is a typed error that names no CLI flag.
    @Test func missingPartsAreTyped() throws {
        let d = Dataset(timeline: TimelineReader(path: Self.dir + "/timeline.csv"))
        #expect(throws: DatasetError.missing(.outcomes, neededBy: "a model")) {
            _ = try Observations.build(d, factors: nil, options: ObservationOptions())
        }
        #expect(throws: DatasetError.self) { _ = try Backtest.run(d, options: BacktestOptions()) }
        // A step of 0 is refused before anything is read: an invalid argument named as the library names it.
        let e = #expect(throws: InputError.self) { _ = try Backtest.run(d, options: BacktestOptions(step: 0)) }
        #expect(e?.kind == .invalidArgument && e?.location.file == "step" && e?.description.contains("--") == false)
    }
}

/// A package that depends on a released AccountHealth by version cannot build a target with unsafe flags
/// (SwiftPM refuses them): the library target must have none. `scripts/check_dependency.sh` builds a real
/// consumer of a tagged clone in release.
@Suite struct PackageManifestTests {
    @Test func libraryTargetHasNoUnsafeFlags() throws {
        let manifest = try String(contentsOfFile: repoRoot + "/Package.swift", encoding: .utf8)
        guard let start = manifest.range(of: "name: \"AccountHealth\",\n            dependencies") else {
            Issue.record("the AccountHealth target is not where this test looks for it")
            return
        }
        // The target's declaration runs to the next target.
        let rest = manifest[start.upperBound...]
        let target = rest[..<(rest.range(of: ".executableTarget")?.lowerBound ?? rest.endIndex)]
        #expect(target.contains("COpenBLAS") && !target.contains("unsafeFlags"))
    }
}
