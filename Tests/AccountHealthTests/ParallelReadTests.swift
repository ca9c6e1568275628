import Foundation
import Testing
@testable import AccountHealth

/// The two-thread read must give exactly what the one-thread read gives, whatever the file holds.
@Suite struct ParallelReadTests {
    func read(_ path: String, threshold: Int) throws -> (TimelineSummary, RecordingSink) {
        var reader = TimelineReader(path: path)
        reader.parallelThreshold = threshold
        var sink = RecordingSink()
        let s = try reader.read(into: &sink)
        return (s, sink)
    }

    func randomTimeline(rows: Int, seed: UInt64, quoted: Bool = false) -> String {
        var g = SeededGenerator(seed: seed)
        var t = "account_id,date,a,b,risk\n"
        var used = Set<String>()
        while used.count < rows {
            let acct = "acc\(g.int(below: 60))"
            let d = Day.format(19000 + Int32(g.int(below: 400)))
            guard used.insert(acct + d).inserted else { continue }
            let a = g.uniform() < 0.1 ? "" : String(g.int(below: 1000)) + "." + String(g.int(below: 10))
            let id = quoted && g.uniform() < 0.3 ? "\"\(acct)\"" : acct
            t += "\(id),\(d),\(a),\(g.int(below: 50)),\(["", "low", "high"][g.int(below: 3)])\n"
        }
        return t
    }

    func same(_ x: (TimelineSummary, RecordingSink), _ y: (TimelineSummary, RecordingSink)) {
        #expect(x.0.recordsRead == y.0.recordsRead && x.0.recordsUsed == y.0.recordsUsed && x.0.rows == y.0.rows)
        #expect(x.0.valueCounts == y.0.valueCounts && x.0.firstDay == y.0.firstDay && x.0.lastDay == y.0.lastDay)
        #expect(Set(x.0.accounts.strings) == Set(y.0.accounts.strings))
        func rows(_ r: (TimelineSummary, RecordingSink)) -> [String] {
            r.1.rows.map { "\(r.0.accounts.string($0.account)) \($0.day) \($0.risk) \($0.values.map { $0.isNaN ? "-" : "\($0)" })" }
        }
        #expect(rows(x) == rows(y))   // same rows, in file order
    }

    @Test func sameResultAsOneThread() throws {
        let dir = TempDir()
        for seed in UInt64(1)...5 {
            let p = dir.write("t\(seed).csv", randomTimeline(rows: 2000, seed: seed, quoted: seed % 2 == 0))
            let two = try read(p, threshold: 0), one = try read(p, threshold: .max)
            #expect(two.0.readers == 2 && one.0.readers == 1)
            same(two, one)
        }
    }

    @Test func quotedNewlineAcrossTheSplitFallsBackExactly() throws {
        // A quoted field with many newlines around the middle of the file: the split lands inside it.
        var t = "account_id,date,a,note\n"
        for i in 0..<200 { t += "x\(i),2024-01-01,\(i),plain\n" }
        t += "y,2024-01-01,1,\"" + String(repeating: "line\n", count: 2000) + "\"\n"
        for i in 0..<50 { t += "z\(i),2024-01-01,\(i),plain\n" }
        let dir = TempDir()
        // `note` is a factor column here, so the long quoted text is a number error: both reads must agree on it.
        let p = dir.write("t.csv", t.replacingOccurrences(of: ",note\n", with: ",b\n").replacingOccurrences(of: ",plain\n", with: ",0\n"))
        let e1 = errors { _ = try read(p, threshold: 0) }
        let e2 = errors { _ = try read(p, threshold: .max) }
        #expect(e1 == e2 && e1.count == 1 && e1[0].location.line == 202)
        // And with the text in a non-factor position (quoted account id spanning the middle) the rows agree.
        var u = "account_id,date,a\n"
        for i in 0..<200 { u += "x\(i),2024-01-01,\(i)\n" }
        u += "\"" + String(repeating: "id\n", count: 3000) + "\",2024-01-01,1\n"
        for i in 0..<50 { u += "z\(i),2024-01-01,\(i)\n" }
        let q = dir.write("u.csv", u)
        let two = try read(q, threshold: 0)
        #expect(two.0.readers == 1)   // the speculative split was inside the quoted id: read on alone
        same(two, try read(q, threshold: .max))
    }

    @Test func errorsInTheSecondHalfKeepTheirLineNumbers() throws {
        var t = "account_id,date,a\n"
        for i in 0..<1000 { t += "x\(i),2024-01-01,\(i == 900 ? "bad" : String(i))\n" }
        let dir = TempDir()
        let p = dir.write("t.csv", t)
        let e1 = errors { _ = try read(p, threshold: 0) }
        #expect(e1.count == 1 && e1[0].location.line == 902 && e1[0].value == "bad")
        #expect(e1 == errors { _ = try read(p, threshold: .max) })
    }

    @Test func duplicatesAcrossTheHalves() throws {
        var t = "account_id,date,a\n"
        for i in 0..<1000 { t += "x\(i),2024-01-01,1\n" }
        t += "x3,2024-01-01,2\n"
        let dir = TempDir()
        let p = dir.write("t.csv", t)
        let e = errors { _ = try read(p, threshold: 0) }
        #expect(e.count == 1 && e[0].kind == .duplicateRow && e[0].message.contains("lines 5 and 1002"))
    }

    @Test func scoresAreTheSameWithTwoThreads() throws {
        let d = TempDir()
        _ = try Simulator(accounts: 150, weeks: 40, seed: 8).write(to: d.path)
        let names = Simulator.factors.map(\.name)
        let days = [day("2023-03-01"), day("2023-06-15"), day("2023-09-30")]
        func states(_ threshold: Int) throws -> [String: [AsOfState]] {
            var reader = TimelineReader(path: d.path + "/timeline.csv")
            reader.parallelThreshold = threshold
            var acc = AsOfAccumulator(queryDays: days, factors: names)
            let s = try reader.read(into: &acc)
            acc.finish()
            var out: [String: [AsOfState]] = [:]
            for a in 0..<s.accounts.count {
                out[s.accounts.string(Int32(a))] = (0..<days.count).map { acc.state(account: a, query: $0) }
            }
            return out
        }
        let one = try states(.max), two = try states(0)
        #expect(one.count == 150)
        for (k, v) in one {
            let w = two[k]!
            for (x, y) in zip(v, w) {
                #expect(x.latestRowDay == y.latestRowDay && x.risk == y.risk && x.valueDays == y.valueDays)
                #expect(zip(x.values, y.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
            }
        }
    }

    @Test func longLayoutRiskRowsAcrossTheSplit() throws {
        var t = "account_id,date,factor,value\n"
        for i in 0..<400 { t += "x\(i % 20),\(Day.format(19000 + Int32(i / 20))),a,\(i)\n" }
        for i in 0..<400 { t += "x\(i % 20),\(Day.format(19000 + Int32(i / 20))),risk,\(["low", "high", ""][i % 3])\n" }
        let dir = TempDir()
        let p = dir.write("t.csv", t)
        let days = [Int32(19005), 19010, 19019]
        func states(_ threshold: Int) throws -> [AsOfState] {
            var reader = TimelineReader(path: p)
            reader.parallelThreshold = threshold
            var acc = AsOfAccumulator(queryDays: days, factors: ["a"])
            let s = try reader.read(into: &acc)
            acc.finish()
            return (0..<s.accounts.count).flatMap { a in (0..<3).map { acc.state(account: a, query: $0) } }
        }
        #expect(try states(0) == states(.max))
    }
}
