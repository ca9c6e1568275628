import AccountHealth
import Foundation

/// Every reader of the data contract on the same bytes: timeline (wide or long), accounts, outcomes, the
/// counting-process reader (and a Cox fit of what it accepts),
/// and the raw CSV reader with a tiny block size so records straddle buffer refills. Any thrown error
/// is fine; a crash, trap or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = "/dev/shm/ah-fuzz-\(getpid()).csv"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    defer { unlink(path) }
    struct Sink: TimelineSink {
        var rows = 0
        mutating func begin(factors: [String]) {}
        mutating func row(account: Int32, day: Int32, risk: UInt8, values: UnsafePointer<Double>, line: Int) { rows += 1 }
        func makeEmpty() -> Sink { Sink() }
        mutating func merge(_ other: Sink, accountMap: [Int32]) { rows += other.rows }
    }
    var sink = Sink()
    _ = try? TimelineReader(path: path).read(into: &sink)
    var two = TimelineReader(path: path)
    two.parallelThreshold = 0          // the two-thread reader on every input too
    var sink2 = Sink()
    _ = try? two.read(into: &sink2)
    var acc = AsOfAccumulator(queryDays: [19_000, 19_500], factors: ["a", "b", "usage"], trendDays: 60)
    _ = try? TimelineReader(path: path).read(into: &acc)
    acc.finish()
    // The in-memory timeline: loaded, cut at a date and replayed into an accumulator.
    if let t = try? Timeline.load(from: two) {
        var again = AsOfAccumulator(queryDays: [19_000, 19_500], factors: ["a", "b", "usage"], trendDays: 60)
        _ = try? t.truncated(through: 19_200).read(into: &again)
        again.finish()
    }
    _ = try? AccountsTable.read(path: path)
    _ = try? OutcomesTable.read(path: path)
    // The activity log: read, then derived with a fixed set of metrics of every kind.
    if let log = try? EventsReader(path: path).read(), log.count < 20_000 {
        let m = MetricsConfiguration(every: 3, factors: [
            .init(name: "c", kind: .count(["note", "a"]), window: 7), .init(name: "s", kind: .sum(["login", "b"]), window: 30),
            .init(name: "m", kind: .mean(["x"])), .init(name: "r", kind: .ratio(numerator: ["a"], denominator: ["b"]), window: 14),
            .init(name: "d", kind: .daysSince(["note"])), .init(name: "l", kind: .latest(["a", "b"]), window: 10),
        ])
        _ = try? Derive.timeline(log, metrics: m)
    }
    if let d = try? SurvivalData.read(path: path), d.count < 5_000 { _ = try? CoxRegression(threads: 1).fit(d) }
    if let r = try? CSVReader(path: path, blockSize: 16) {
        try? r.read(header: { _ in }, onError: { _ in }, record: { rec in
            for i in 0..<rec.count { _ = rec.string(i); _ = DecimalParser.parse(rec.pointer(i), rec.length(i)); _ = Day.parse(rec.pointer(i), rec.length(i)) }
        })
    }
    return 0
}
