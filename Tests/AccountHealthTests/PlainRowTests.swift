import Foundation
import Testing
@testable import AccountHealth

/// The wide layout's one-pass fast path (`PlainWideRow`) must give what the general path gives: the same rows,
/// values, counts and ids for every row it takes, and the same error for every row it leaves to the general path.
@Suite struct PlainRowTests {
    func read(_ path: String, plain: Bool, threshold: Int = .max) -> Result<(TimelineSummary, RecordingSink), Error> {
        var reader = TimelineReader(path: path)
        reader.plainRows = plain
        reader.parallelThreshold = threshold
        var sink = RecordingSink()
        return Result { (try reader.read(into: &sink), sink) }
    }

    /// The whole outcome as text: every row with its id, day, risk, value bits and line; the summary's counts;
    /// or every error with its kind, line, column and value.
    func outcome(_ r: Result<(TimelineSummary, RecordingSink), Error>) -> [String] {
        switch r {
        case .success(let (s, sink)):
            var out = [
                "read \(s.recordsRead) used \(s.recordsUsed) rows \(s.rows) blank \(s.blankLines) days \(String(describing: s.firstDay))-\(String(describing: s.lastDay)) counts \(s.valueCounts) ids \(s.accounts.strings)"
            ]
            for row in sink.rows {
                out.append(
                    "\(s.accounts.string(row.account)) \(row.day) \(row.risk) \(row.values.map { $0.bitPattern }) \(row.line)")
            }
            return out
        case .failure(let e as InputErrors):
            return e.errors.map { "\($0.kind) \(String(describing: $0.location)) \($0.value ?? "") \($0.message)" }
        case .failure(let e as InputError):
            return ["\(e.kind) \(String(describing: e.location)) \(e.value ?? "") \(e.message)"]
        case .failure(let e):
            return ["\(e)"]
        }
    }

    /// Valid rows of every shape: plain ones between rows the fast path must decline (quotes, CRLF, blanks,
    /// exponents, long or signed numbers, other ids) and number forms it takes itself ("5.", ".5", "-0", empty).
    static let odd: String = {
        var t = "account_id,date,a,b,c,risk\n"
        t += "A1,2024-01-01,1.5,2,9,low\n"
        t += "\"A1\",2024-01-08,\"3\",4,\" 7\",high\n"
        t += "A2,2024-01-01,5.,.5,,\n"
        t += "A2,2024-01-08,-0,-12.25,0,Medium\n"
        t += "A2,2024-01-15, 7 ,8\t,1, low \n"
        t += "A3,2024-01-01,1e3,2E-2,,none\r\n"
        t += "A3,2024-01-08,12345678901234567890,0.1234567890123456789,,\n"
        t += "A3,2024-01-15,9007199254740993,9007199254740992,,\n"
        t += "A3,2024-01-22,+4,0000000000000000001.5,,\n"
        t += "\n"
        t += "Ä4,2024-01-01,1,2,,\n"
        t += " A5,2024-01-01,1,2,,\n"
        t += "A5,2024-01-01,,,,\n"
        t += "A6,2024-01-01,0.0000000000000000000001,1.00000000000000000000001,,HIGH\n"
        t += "A6,2024-01-08,-,.,,\n".replacingOccurrences(of: "-,.,", with: ",,")
        t += "A7,2024-01-01,   ,\t,,\n"
        // Ids and words longer than a word of 8 bytes (the cells are scanned 8 bytes at a time): plain, quoted,
        // with a non-ASCII letter or a carriage return past the first word, blanks around a risk word.
        t += "ACCOUNT-0000000042,2024-01-01,1,2,,low\n"
        t += "\"ACCOUNT-0000000042\",2024-01-08,3,4,,\n"
        t += "ACCOUNT-0000000Ä43,2024-01-01,1,2,,\n"
        t += "ACCOUNT-0000000044,2024-01-01,1,2,,medium\r\n"
        t += "A8,2024-01-01,1,2,,    medium    \n"
        t += "A7,2024-01-08,3,4,,"  // no newline at the end of the file
        return t
    }()

    @Test func oddRowsReadTheSameBothWays() {
        let dir = TempDir()
        let p = dir.write("timeline.csv", Self.odd)
        let general = outcome(read(p, plain: false)), fast = outcome(read(p, plain: true))
        #expect(general.count == 22, "\(general)")  // the summary and 21 rows: a valid file
        #expect(fast == general)
        // Read in two halves as well (the second half starts mid-file, with its own fast path).
        #expect(outcome(read(p, plain: true, threshold: 1)) == outcome(read(p, plain: false, threshold: 1)))
    }

    /// Columns in another order (the id not first, a risk column first): the fast path follows the header.
    @Test func columnsInAnyOrder() {
        let dir = TempDir()
        let p = dir.write(
            "timeline.csv",
            "risk,b,date,ACCOUNT_ID,a\nlow,2,2024-01-01,x,1.5\n,,2024-01-08,x,3\nhigh,7.25,2024-01-01,y,\n")
        let fast = outcome(read(p, plain: true))
        #expect(fast == outcome(read(p, plain: false)) && fast.count == 4)
    }

    /// Each defect alone, after a plain row: the same error (kind, line, column, value) both ways.
    @Test(arguments: [
        "A1,2024-02-30,1,2,,\n",  // no such date
        "A1,2024-1-5,1,2,,\n",  // not YYYY-MM-DD
        "A1,,1,2,,\n",  // empty date
        "A1,2024-01-08,1x,2,,\n",  // not a number
        "A1,2024-01-08,-,2,,\n",  // a sign alone
        "A1,2024-01-08,.,2,,\n",  // a point alone
        "A1,2024-01-08,1,2,,severe\n",  // not a risk level
        ",2024-01-08,1,2,,\n",  // empty id
        "   ,2024-01-08,1,2,,\n",  // blank id
        "A1,2024-01-08,1,2,\n",  // one field short
        "A1,2024-01-08,1,2,,,\n",  // one field more
        "A1,2024-01-01,1,2,,\n",  // a duplicate of the plain row
        "A1,2024-01-08,\"1\"x,2,,\n",  // text after a closing quote
        "ACCOUNT-0001\"x,2024-01-08,1,2,,\n",  // a quote inside an unquoted id, past its first 8 bytes
        "A1,2024-01-08,1,2,,very-high-risk\n",  // a long word that is no risk level
        "A1,2024-01-08,nan,inf,,\n",  // not finite
        "\u{FF}\u{FE},2024-01-08,1,2,,\n",  // not UTF-8 (written as such below)
    ])
    func defectsReportTheSameErrorBothWays(_ row: String) throws {
        let dir = TempDir()
        var bytes = Array("account_id,date,a,b,c,risk\nA1,2024-01-01,1,2,,\nA2,2024-01-01,3,4,,\n".utf8)
        if row.hasPrefix("\u{FF}") {
            bytes += [0xFF, 0xFE] + Array(row.utf8.dropFirst(4))
        } else {
            bytes += Array(row.utf8)
        }
        let p = dir.path + "/timeline.csv"
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        let general = outcome(read(p, plain: false)), fast = outcome(read(p, plain: true))
        #expect(fast == general, "\(row)")
        #expect(!general.isEmpty)
    }

    /// A random plain file with a few odd rows, large enough for the reader to refill its buffer mid-row.
    @Test func randomFileAcrossBufferRefills() {
        var g = SeededGenerator(seed: 17)
        var t = "account_id,date,a,b,risk\n"
        var seen = Set<String>()
        while seen.count < 150_000 {
            let id = "acc\(g.int(below: 4_000))"
            let d = Day.format(19_000 + Int32(g.int(below: 200)))
            guard seen.insert(id + d).inserted else { continue }
            let a = g.uniform() < 0.1 ? "" : "\(g.int(below: 100_000))." + "\(g.int(below: 100))"
            let b = g.uniform() < 0.01 ? "\"\(g.int(below: 9))\"" : g.uniform() < 0.01 ? "1e\(g.int(below: 5))" : "-\(g.int(below: 50))"
            let line = "\(id),\(d),\(a),\(b),\(["", "low", "High"][g.int(below: 3)])"
            t += g.uniform() < 0.01 ? line + "\r\n" : line + "\n"
        }
        let dir = TempDir()
        let p = dir.write("timeline.csv", t)
        #expect(t.utf8.count > 4 << 20)  // more than one 4 MB block
        // The first difference only (a failed #expect on two 150k-line arrays would diff them for minutes).
        func firstDifference(_ a: [String], _ b: [String]) -> String? {
            if let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) { return "line \(i): \(a[i]) | \(b[i])" }
            return a.count == b.count ? nil : "\(a.count) lines against \(b.count)"
        }
        let general = outcome(read(p, plain: false))
        #expect(general.count == 150_001)
        #expect(firstDifference(outcome(read(p, plain: true)), general) == nil)
        #expect(
            firstDifference(outcome(read(p, plain: true, threshold: 1)), outcome(read(p, plain: false, threshold: 1)))
                == nil)
    }
}
