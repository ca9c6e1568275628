import AccountHealth
import Testing

/// The CSV writer every command's `--format csv` and the database source's small tables go through.
@Suite struct TableCSVTests {
    /// A field is quoted when its bytes hold a comma, a quote, a CR or an LF, with each quote doubled; a CR LF
    /// and a comma under a combining mark (one Character each) are quoted too; other text is written as it is.
    @Test func quotesByBytes() {
        let table = ResultTable(
            columns: ["id", "note"],
            rows: [["A1", "plain é"], ["x,y", "say \"hi\""], ["line\r\nbreak", ",\u{301}"], ["", "tab\there"]])
        #expect(
            table.csv()
                == "id,note\nA1,plain é\n\"x,y\",\"say \"\"hi\"\"\"\n\"line\r\nbreak\",\",\u{301}\"\n,tab\there\n")
        #expect(ResultTable.csvField("a\rb") == "\"a\rb\"" && ResultTable.csvField("ab") == "ab")
    }
}
