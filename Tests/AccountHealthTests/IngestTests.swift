import Foundation
import Testing
@testable import AccountHealth

/// One test per input defect: each asserts the kind, the file, the line and the offending value.
@Suite struct TimelineDefectTests {
    let header = "account_id,date,a,b,risk\n"

    func check(_ body: String, kind: InputError.Kind, line: Int?, value: String? = nil, column: Int? = nil) {
        let dir = TempDir()
        let p = dir.write("timeline.csv", header + body)
        let e = errors { _ = try readTimeline(p) }
        #expect(e.count >= 1, "expected \(kind)")
        guard let first = e.first else { return }
        #expect(first.kind == kind)
        #expect(first.location.file == p)
        #expect(first.location.line == line)
        if let value { #expect(first.value == value) }
        if let column { #expect(first.location.column == column) }
        #expect(first.exitCode == 65)
        #expect(first.description.contains(p))
    }

    @Test func unparseableNumber() { check("x,2024-01-01,1,2,\ny,2024-01-01,12abc,2,\n", kind: .invalidNumber, line: 3, value: "12abc", column: 3) }
    @Test func nanIsRejected() { check("x,2024-01-01,nan,2,\n", kind: .invalidNumber, line: 2, value: "nan") }
    @Test func infIsRejected() { check("x,2024-01-01,1,-inf,\n", kind: .invalidNumber, line: 2, value: "-inf", column: 4) }
    @Test func impossibleDate() { check("x,2023-02-30,1,2,\n", kind: .invalidDate, line: 2, value: "2023-02-30", column: 2) }
    @Test func wrongDateFormat() { check("x,01/02/2024,1,2,\n", kind: .invalidDate, line: 2, value: "01/02/2024") }
    @Test func emptyDate() { check("x,,1,2,\n", kind: .invalidDate, line: 2) }
    @Test func unknownRisk() { check("x,2024-01-01,1,2,severe\n", kind: .invalidRisk, line: 2, value: "severe", column: 5) }
    @Test func raggedRow() { check("x,2024-01-01,1,2,\nx,2024-01-08,1\n", kind: .raggedRow, line: 3) }
    @Test func unterminatedQuote() { check("x,2024-01-01,1,2,\n\"y,2024-01-08,1,2,\n", kind: .unterminatedQuote, line: 3) }
    @Test func emptyAccountId() { check("x,2024-01-01,1,2,\n,2024-01-08,1,2,\n", kind: .emptyValue, line: 3) }

    @Test func duplicateNamesBothLines() {
        let dir = TempDir()
        let p = dir.write("timeline.csv", header + "x,2024-01-01,1,2,\ny,2024-01-01,1,2,\nz,2024-01-08,1,2,\nx,2024-01-01,3,4,\n")
        let e = errors { _ = try readTimeline(p) }
        #expect(e.count == 1)
        #expect(e[0].kind == .duplicateRow)
        #expect(e[0].message.contains("lines 2 and 5"))
        #expect(e[0].value == "x,2024-01-01")
    }

    @Test func duplicateInALargeShuffledFile() {
        // Enough rows to take the radix-sort path.
        var text = header
        for a in 0..<300 { for w in 0..<30 { text += "acc\(a),\(Day.format(Int32(19000 + 7 * w))),1,2,\n" } }
        text += "acc17,\(Day.format(19000 + 7 * 12)),5,5,low\n"
        let dir = TempDir()
        let p = dir.write("timeline.csv", text)
        let e = errors { _ = try readTimeline(p) }
        #expect(e.count == 1 && e[0].kind == .duplicateRow)
        #expect(e[0].message.contains("lines \(2 + 17 * 30 + 12) and \(2 + 9000)"))
    }

    @Test func invalidUTF8() {
        let dir = TempDir()
        var bytes = Array((header + "x,2024-01-01,1,2,\n").utf8)
        bytes += [0x79, 0xFF, 0xFE] + Array(",2024-01-01,1,2,\n".utf8)
        let p = dir.write("timeline.csv", bytes: bytes)
        let e = errors { _ = try readTimeline(p) }
        #expect(e.first?.kind == .invalidUTF8 && e.first?.location.line == 3)
    }

    @Test func invalidUTF8InANumberCell() {
        let dir = TempDir()
        var bytes = Array((header).utf8)
        bytes += Array("x,2024-01-01,".utf8) + [0xC3, 0x28] + Array(",2,\n".utf8)
        let p = dir.write("timeline.csv", bytes: bytes)
        let e = errors { _ = try readTimeline(p) }
        #expect(e.first?.kind == .invalidUTF8 && e.first?.location.line == 2 && e.first?.location.column == 3)
    }

    @Test func missingRequiredColumn() {
        let dir = TempDir()
        let p = dir.write("timeline.csv", "account,date,a\nx,2024-01-01,1\n")
        let e = errors { _ = try readTimeline(p) }
        #expect(e.first?.kind == .missingColumn && e.first?.value == "account_id" && e.first?.location.line == 1)
    }

    @Test func duplicateColumn() {
        let dir = TempDir()
        let p = dir.write("timeline.csv", "account_id,date,a,A\nx,2024-01-01,1,2\n")
        #expect(errors { _ = try readTimeline(p) }.first?.kind == .duplicateColumn)
    }

    @Test func emptyFileAndHeaderOnly() {
        let dir = TempDir()
        let e1 = errors { _ = try readTimeline(dir.write("t1.csv", "")) }
        #expect(e1.first?.kind == .emptyFile)
        let e2 = errors { _ = try readTimeline(dir.write("t2.csv", header)) }
        #expect(e2.first?.kind == .noRows && e2.first?.location.line == 2)
    }

    @Test func missingFile() {
        let e = errors { _ = try readTimeline("/no/such/timeline.csv") }
        #expect(e.first?.kind == .missingFile && e.first?.exitCode == 66)
    }

    @Test func everyRowDefectIsReportedInOneRun() {
        let dir = TempDir()
        let p = dir.write("timeline.csv", header + "x,2024-01-01,zz,2,\nx,2024-13-01,1,2,\nx,2024-01-08,1,2,bad\nx,2024-01-15,1,2,\n")
        let e = errors { _ = try readTimeline(p) }
        #expect(e.map(\.kind) == [.invalidNumber, .invalidDate, .invalidRisk])
        #expect(e.map { $0.location.line } == [2, 3, 4])
    }
}

@Suite struct TimelineLayoutTests {
    @Test func oddButValidFileIsAccepted() throws {
        // BOM, CRLF, shuffled and upper-case columns, quoted fields, spaces around numbers, blank line.
        let text = "\u{FEFF}Risk,B,\"Date\",ACCOUNT_ID,a\r\nLOW, 2 ,2024-01-01,\"x,1\",\"1.5\"\r\n\r\n,,2024-01-08,\"x,1\",3\r\n"
        let dir = TempDir()
        let p = dir.write("timeline.csv", text)
        var sink = RecordingSink()
        let s = try TimelineReader(path: p).read(into: &sink)
        #expect(s.layout == .wide && s.factors == ["B", "a"] && s.hasRisk)
        #expect(s.accounts.strings == ["x,1"])
        #expect(sink.rows.count == 2 && s.blankLines == 1)
        #expect(sink.rows[0].values == [2, 1.5] && sink.rows[0].risk == RiskLevel.low.rawValue)
        #expect(sink.rows[1].values[0].isNaN && sink.rows[1].values[1] == 3 && sink.rows[1].risk == 0)
        #expect(s.valueCounts == [1, 2])
        #expect(s.firstDay == day("2024-01-01") && s.lastDay == day("2024-01-08"))
    }

    @Test func longLayoutIsDetectedAndPivoted() throws {
        let text = "account_id,date,factor,value\nx,2024-01-01,a,1\nx,2024-01-01,b,2\nx,2024-01-01,risk,high\ny,2024-01-08,b,\n"
        let dir = TempDir()
        let p = dir.write("timeline.csv", text)
        var sink = RecordingSink()
        let s = try TimelineReader(path: p).read(into: &sink)
        #expect(s.layout == .long && s.factors == ["a", "b"] && s.rows == 2)
        #expect(sink.rows.count == 4)
        #expect(sink.rows[2].risk == RiskLevel.high.rawValue)
        #expect(sink.rows[0].risk == TimelineReader.riskUnspecified)
    }

    @Test func longLayoutDuplicateFactorRow() {
        let text = "account_id,date,factor,value\nx,2024-01-01,a,1\nx,2024-01-01,b,2\nx,2024-01-01,A,3\n"
        let dir = TempDir()
        let p = dir.write("timeline.csv", text)
        let e = errors { _ = try readTimeline(p) }
        #expect(e.first?.kind == .duplicateRow && e.first!.message.contains("lines 2 and 4"))
    }
}

@Suite struct TableDefectTests {
    @Test func outcomesUnknownWord() {
        let dir = TempDir()
        let p = dir.write("outcomes.csv", "account_id,date,outcome\nx,2024-01-01,Renewed\ny,2024-01-01,lost\n")
        let e = errors { _ = try OutcomesTable.read(path: p) }
        #expect(e.first?.kind == .invalidOutcome && e.first?.location.line == 3 && e.first?.value == "lost" && e.first?.location.column == 3)
    }

    @Test func outcomesAreCaseInsensitiveAndCounted() throws {
        let dir = TempDir()
        let p = dir.write("outcomes.csv", "Outcome,Date,Account_ID,ARR\nCHURNED,2024-01-01,x,100\nrenewed,2024-02-01,x,\n")
        let t = try OutcomesTable.read(path: p)
        #expect(t.churned == [true, false] && t.arr == [100, nil] && t.churnCount == 1)
    }

    @Test func outcomesDuplicateAndBadDate() {
        let dir = TempDir()
        let p = dir.write("outcomes.csv", "account_id,date,outcome\nx,2024-01-01,renewed\nx,2024-01-01,churned\nx,2024-02-30,churned\n")
        let e = errors { _ = try OutcomesTable.read(path: p) }
        #expect(e.map(\.kind) == [.duplicateRow, .invalidDate])
        #expect(e[0].message.contains("lines 2 and 3"))
    }

    @Test func outcomesDuplicatesFoundInKeyOrderAreReportedInLineOrder() {
        // Three rows of one key (lines 2, 4, 6) around other defects: each later one names the first line, and
        // the errors come in line order, as when they were found row by row.
        let dir = TempDir()
        let p = dir.write(
            "outcomes.csv",
            "account_id,date,outcome\nb,2024-01-01,renewed\na,2024-13-01,renewed\nb,2024-01-01,churned\n"
                + "c,2024-01-01,lost\nb,2024-01-01,renewed\na,2024-01-01,renewed\n")
        let e = errors { _ = try OutcomesTable.read(path: p) }
        #expect(e.map(\.kind) == [.invalidDate, .duplicateRow, .invalidOutcome, .duplicateRow])
        #expect(e.map { $0.location.line } == [3, 4, 5, 6])
        #expect(e[1].message.contains("lines 2 and 4") && e[3].message.contains("lines 2 and 6"))
        #expect(e[1].value == "b,2024-01-01")
    }

    @Test func outcomeWordsFromTheirBytes() throws {
        // Case and surrounding blanks are ignored; a quoted word is read as its text.
        let dir = TempDir()
        let p = dir.write(
            "outcomes.csv",
            "account_id,date,outcome\nx,2024-01-01, ChUrNeD \ny,2024-01-01,\"RENEWED\"\nz,2024-01-01,\tchurned\n")
        let t = try OutcomesTable.read(path: p)
        #expect(t.accountIds == ["x", "y", "z"] && t.churned == [true, false, true])
        #expect(outcomeWord("churnex", 7) == nil && outcomeWord("renewe", 6) == nil && outcomeWord("CHURNED", 7) == true)
    }

    @Test func cellTextTrimsBlanksAsCharacters() throws {
        // Blanks trimmed from a cell's text (bytes read in place) as the characters' trim does: a leading blank
        // that starts a character with a combining mark stays; a required id is kept as written.
        let dir = TempDir()
        let p = dir.write(
            "accounts.csv",
            "account_id,am,segment,arr,name\n a1 ,\t Ann ,\" SMB \",10, \u{301}x\nb2,Bob,,20,\"Q \"\"R\"\" \"\n")
        let t = try AccountsTable.read(path: p)
        #expect(t.ids == [" a1 ", "b2"])
        #expect(t.am == ["Ann", "Bob"] && t.segment == ["SMB", ""])
        #expect(t.name == [" \u{301}x", "Q \"R\""])
        let bad = dir.write("accounts2.csv", "account_id,am,segment,arr\n  ,Ann,SMB,10\nc\u{FF},Ann,SMB,10\n")
        let data = try Data(contentsOf: URL(fileURLWithPath: bad))
        // The second row's id as invalid UTF-8: ÿ's encoding cut to its first byte.
        var bytes = [UInt8](data)
        if let k = bytes.firstIndex(of: 0xC3) { bytes.remove(at: k + 1) }
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let e = errors { _ = try AccountsTable.read(path: bad) }
        #expect(e.map(\.kind) == [.emptyValue, .invalidUTF8])
        #expect(e.map { $0.location.line } == [2, 3])
    }

    @Test func accountsDuplicateAndBadArr() {
        let dir = TempDir()
        let p = dir.write("accounts.csv", "account_id,am,segment,arr\nx,ann,SMB,100\nx,bob,SMB,200\ny,ann,SMB,-5\nz,ann,SMB,ten\n")
        let e = errors { _ = try AccountsTable.read(path: p) }
        #expect(e.map(\.kind) == [.duplicateRow, .invalidNumber, .invalidNumber])
        #expect(e.map { $0.location.line } == [3, 4, 5])
        #expect(e[2].value == "ten")
    }

    @Test func accountsKeepExtraColumns() throws {
        let dir = TempDir()
        let p = dir.write("accounts.csv", "account_id,am,segment,arr,region,renewal_date\nx,ann,SMB,100,EMEA,2025-01-01\n")
        let t = try AccountsTable.read(path: p)
        #expect(t.column("region") == ["EMEA"] && t.renewalDay == [day("2025-01-01")])
    }
}

@Suite struct NothingLostTests {
    @Test func everyRowIsUsedOrRejectedWithAReason() {
        let dir = TempDir()
        let t = dir.write("timeline.csv", "account_id,date,a,risk\nx,2024-01-01,1,\nx,2024-13-01,2,\n\ny,2024-01-01,zz,\ny,2024-01-08,3,bad\nz,2024-01-01,4\nz,2024-01-08,5,low\n")
        let a = dir.write("accounts.csv", "account_id,am,segment,arr\nx,ann,SMB,1\ny,bob,SMB,-1\nz,cy,SMB,3\n")
        let o = dir.write("outcomes.csv", "account_id,date,outcome\nx,2024-03-01,renewed\ny,2024-03-01,maybe\n")
        let r = Validator.validate(DataFiles(timeline: t, accounts: a, outcomes: o))
        let tl = r.timeline!
        #expect(tl.rowsRead == 6 && tl.rowsUsed == 2 && tl.rowsRejected == 4 && tl.blankLines == 1)
        #expect(r.accounts!.rowsRead == 3 && r.accounts!.rowsUsed == 2 && r.accounts!.rowsRejected == 1)
        #expect(r.outcomes!.table.rowsRead == 2 && r.outcomes!.table.rowsUsed == 1 && r.outcomes!.table.rowsRejected == 1)
        // One error with a reason per rejected row, each with its line.
        let errs = r.problems.filter { $0.severity == .error }
        #expect(errs.count == 6 && r.errorCount == 6)
        #expect(errs.filter { $0.location.file == t }.map { $0.location.line! } == [3, 5, 6, 7])
        #expect(Set(errs.map(\.kind.rawValue)) == ["invalid_date", "invalid_number", "invalid_risk", "ragged_row", "invalid_outcome"])
        #expect(r.exitCode == 65)
    }
}
