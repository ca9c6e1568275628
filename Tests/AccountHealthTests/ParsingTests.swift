import Foundation
import Testing
@testable import AccountHealth

@Suite struct DecimalParserTests {
    @Test(arguments: [("0", 0.0), ("12", 12.0), ("-3.5", -3.5), ("+7", 7.0), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0),
                      ("2.5E-2", 0.025), (" 42 ", 42.0), ("0.1", 0.1), ("123456789012345678901234", 1.2345678901234568e23),
                      ("3.14159265358979323846", 3.141592653589793), ("1e-310", 1e-310), ("-0", -0.0)])
    func parsesDecimals(_ text: String, _ expected: Double) {
        #expect(DecimalParser.parse(text) == expected)
    }

    @Test(arguments: ["", " ", "nan", "NaN", "inf", "-inf", "Infinity", "0x1p3", "1e", "--1", "1.2.3", "1,5", "abc", "1e400", "12a", "+", "."])
    func rejectsNonNumbers(_ text: String) {
        #expect(DecimalParser.parse(text) == nil)
    }

    @Test func agreesWithStrtodOnRandomDecimals() {
        var g = SeededGenerator(seed: 99)
        for _ in 0..<20_000 {
            let intPart = g.int(below: 1_000_000)
            let frac = g.int(below: 100_000)
            let digits = 1 + g.int(below: 5)
            var s = "\(intPart).\(String(frac).prefix(digits))"
            if g.uniform() < 0.3 { s += "e\(g.int(below: 40) - 20)" }
            if g.uniform() < 0.5 { s = "-" + s }
            #expect(DecimalParser.parse(s) == strtod(s, nil), "\(s)")
        }
    }
}

@Suite struct DayTests {
    @Test func parsesAndFormats() {
        #expect(Day.parse("1970-01-01") == 0)
        #expect(Day.parse("2024-01-15") == 19737)
        #expect(Day.parse("2024-02-29") != nil)
        #expect(Day.format(Day.parse("2000-02-29")!) == "2000-02-29")
        for d in stride(from: Int32(-700_000), to: 2_900_000, by: 997) {
            #expect(Day.parse(Day.format(d)) == d)
        }
    }

    @Test(arguments: ["2023-02-29", "1900-02-29", "2023-13-01", "2023-00-10", "2023-04-31", "2023-1-01", "23-01-01",
                      "2023/01/01", "20230101", "2023-01-01T00:00:00", "", "0000-01-01", "2023-01-0x"])
    func rejectsImpossibleOrMalformedDates(_ s: String) {
        #expect(Day.parse(s) == nil)
    }
}

@Suite struct CSVReaderTests {
    func records(_ text: String, block: Int = 1 << 16, delimiter: UInt8 = 0x2C) throws -> (header: [String], rows: [[String]], lines: [Int], errors: [InputError]) {
        let dir = TempDir()
        let p = dir.write("f.csv", text)
        let r = try CSVReader(path: p, delimiter: delimiter, blockSize: block)
        var header: [String] = []
        var rows: [[String]] = []
        var lines: [Int] = []
        var errs: [InputError] = []
        try r.read(header: { header = $0 }, onError: { errs.append($0) }, record: { rec in
            rows.append((0..<rec.count).map { rec.string($0)! })
            lines.append(rec.line)
        })
        return (header, rows, lines, errs)
    }

    @Test func quotedFieldsEscapesAndNewlines() throws {
        let text = "a,b,c\n1,\"x,y\",\"say \"\"hi\"\"\"\n2,\"multi\nline\",z\n3,,\n"
        for block in [7, 64, 1 << 16] {   // tiny blocks force records across buffer refills
            let r = try records(text, block: block)
            #expect(r.header == ["a", "b", "c"])
            #expect(r.rows == [["1", "x,y", "say \"hi\""], ["2", "multi\nline", "z"], ["3", "", ""]])
            #expect(r.lines == [2, 3, 5])
        }
    }

    @Test func crlfBomBlankLinesAndNoFinalNewline() throws {
        let text = "\u{FEFF}a,b\r\n1,2\r\n\r\n  \t\r\n3,4"
        for block in [5, 1 << 16] {
            let r = try records(text, block: block)
            #expect(r.header == ["a", "b"])
            #expect(r.rows == [["1", "2"], ["3", "4"]])
            #expect(r.lines == [2, 5])
        }
    }

    @Test func otherDelimiter() throws {
        let r = try records("a;b\n1,5;2\n", delimiter: 0x3B)
        #expect(r.rows == [["1,5", "2"]])
    }

    @Test func raggedRowIsReportedWithItsLine() throws {
        let r = try records("a,b\n1,2\n1,2,3\n4,5\n")
        #expect(r.rows == [["1", "2"], ["4", "5"]])
        #expect(r.errors.count == 1)
        #expect(r.errors[0].kind == .raggedRow && r.errors[0].location.line == 3)
    }

    @Test func unterminatedQuoteIsFatal() {
        let e = errors { _ = try records("a,b\n1,\"open\n2,3\n") }
        #expect(e.count == 1 && e[0].kind == .unterminatedQuote && e[0].location.line == 2)
    }

    @Test func characterAfterClosingQuote() throws {
        let r = try records("a,b\n1,\"x\"y\n2,3\n")
        #expect(r.rows == [["2", "3"]])
        #expect(r.errors.first?.kind == .malformedQuote && r.errors.first?.location.line == 2)
    }

    @Test func emptyAndHeaderOnlyFiles() {
        #expect(errors { _ = try records("") }.first?.kind == .emptyFile)
        #expect(errors { _ = try records("\n\n") }.first?.kind == .emptyFile)
        #expect(errors { _ = try records("a,b\n") }.first?.kind == .noRows)
    }

    @Test func missingFileIs66() {
        let e = errors { _ = try CSVReader(path: "/nonexistent/x.csv") }
        #expect(e.first?.kind == .missingFile && e.first?.exitCode == 66)
    }
}

@Suite struct InternerTests {
    @Test func codesAreDenseAndStable() {
        var i = Interner(capacity: 4)
        var codes: [Int32] = []
        for k in 0..<5000 { codes.append(i.intern("acct-\(k % 1000)")) }
        #expect(i.count == 1000)
        for k in 0..<5000 { #expect(codes[k] == Int32(k % 1000)) }
        #expect(i.string(7) == "acct-7")
        #expect(i.lookup("acct-999") == 999)
        #expect(i.lookup("nope") == nil)
    }
}

@Suite struct SeenDaysTests {
    @Test func findsRepeatsInAnyOrderAndRebases() {
        var s = SeenDays(slots: 3)
        var g = SeededGenerator(seed: 8)
        var truth = Set<String>()
        for _ in 0..<20_000 {
            let a = g.int(below: 50), d = Int32(18000 + g.int(below: 2000)), slot = g.int(below: 3)
            let fresh = truth.insert("\(a) \(d) \(slot)").inserted
            #expect(s.insert(account: a, day: d, slot: slot) == fresh)
        }
        #expect(s.distinct == truth.count)
    }

    @Test func absorbFindsThePairsBothHalvesHad() {
        // Two halves of a file: the second's accounts map to other codes; dates far apart force rebasing and
        // unaligned word shifts.
        var g = SeededGenerator(seed: 9)
        for slots in [1, 3, 10] {
            var front = SeenDays(slots: slots), back = SeenDays(slots: slots)
            var inFront = Set<String>(), inBack = Set<String>()
            let map = (0..<40).map { Int32(($0 * 7) % 60) }
            for _ in 0..<6_000 {
                let a = g.int(below: 60), d = Int32(17000 + g.int(below: 3000)), slot = g.int(below: slots)
                if front.insert(account: a, day: d, slot: slot) { inFront.insert("\(a) \(d) \(slot)") }
                let b = g.int(below: 40), e = Int32(16000 + g.int(below: 4000)), t = g.int(below: slots)
                if back.insert(account: b, day: e, slot: t) { inBack.insert("\(map[b]) \(e) \(t)") }
            }
            var duplicates: [(Int32, Int32, Int)] = []
            front.absorb(back, map: map) { duplicates.append(($0, $1, $2)) }
            #expect(Set(duplicates.map { "\($0.0) \($0.1) \($0.2)" }) == inFront.intersection(inBack))
            #expect(duplicates.count == inFront.intersection(inBack).count)
            #expect(front.distinct == inFront.union(inBack).count)
            // Per account, in day and slot order.
            for (x, y) in zip(duplicates, duplicates.dropFirst()) where x.0 == y.0 {
                #expect(x.1 < y.1 || (x.1 == y.1 && x.2 < y.2))
            }
            // Everything is in the front now: inserting any pair again is a repeat.
            for key in inFront.union(inBack) {
                let f = key.split(separator: " ").map { Int($0)! }
                let again = front.insert(account: f[0], day: Int32(f[1]), slot: f[2])
                #expect(!again)
            }
        }
    }
}

@Suite struct InternerWordTests {
    @Test func everyLengthHashesAndComparesByItsBytes() {
        var i = Interner(capacity: 16)
        var g = SeededGenerator(seed: 4)
        var ids: [[UInt8]] = []
        for n in 0..<40 {
            for _ in 0..<30 { ids.append((0..<n).map { _ in UInt8(0x41 + g.int(below: 3)) }) }
        }
        var codeOf: [[UInt8]: Int32] = [:]
        for id in ids {
            var isNew = false
            let c = id.withUnsafeBufferPointer { b in
                i.intern(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count, isNew: &isNew)
            }
            #expect(isNew == (codeOf[id] == nil))
            if let known = codeOf[id] { #expect(c == known) } else { codeOf[id] = c }
        }
        #expect(i.count == codeOf.count)
        // The byte order of the strings, ties in the first 8 bytes included.
        let sorted = i.codesByString.map { Array(i.string($0).utf8) }
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        #expect(sorted.count == codeOf.count)
    }
}

@Suite struct DateCacheTests {
    @Test func givesWhatDayParseGives() {
        let cache = DateCache()
        defer { cache.deallocate() }
        var g = SeededGenerator(seed: 12)
        var texts = ["2024-02-29", "2023-02-29", "2024-13-01", "2024-1-01", " 2024-01-01", "2024-01-01 ", "abcdefghij"]
        for _ in 0..<3_000 {
            let y = 1990 + g.int(below: 60), m = 1 + g.int(below: 13), d = 1 + g.int(below: 32)
            texts.append(String(format: "%04d-%02d-%02d", y, m, d))
        }
        for text in texts + texts.reversed() {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { b in
                #expect(cache.day(b.baseAddress!, b.count) == Day.parse(b.baseAddress!, b.count), "\(text)")
            }
        }
    }
}
