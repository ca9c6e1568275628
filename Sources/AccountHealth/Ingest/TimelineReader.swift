import Foundation

/// Receives the rows of a timeline as they are parsed (no row is stored by the reader).
public protocol TimelineSink {
    /// Called once, after the header, with the factor names in column order.
    mutating func begin(factors: [String])
    /// One row: `values` has one slot per factor, NaN where the cell is empty. `risk` is the
    /// raw value of `RiskLevel`, or `TimelineReader.riskUnspecified` when the row says nothing about risk
    /// (a long-layout row of another factor).
    mutating func row(account: Int32, day: Int32, risk: UInt8, values: UnsafePointer<Double>, line: Int)
    /// A new account id was interned as `code` (called before its first row).
    mutating func newAccount(_ code: Int32, id: String)
    /// A sink with the same settings and nothing received (for a second reading thread).
    func makeEmpty() -> Self
    /// Takes in what `other` received; its account code `c` is `accountMap[c]` here. `other` read rows
    /// that come later in the file than every row this sink received.
    mutating func merge(_ other: Self, accountMap: [Int32])
}

extension TimelineSink {
    /// Called once per account, in order of first appearance (a sink that keeps ids overrides it).
    public mutating func newAccount(_ code: Int32, id: String) {}
}

/// The layout of a timeline file.
public enum TimelineLayout: String, Sendable, Codable {
    /// `account_id,date,<factor>...[,risk]`
    case wide
    /// `account_id,date,factor,value`
    case long
}

/// What reading a timeline found: counts, dates, factors, soft problems.
public struct TimelineSummary: Sendable {
    /// The file read.
    public var file: String
    /// Long or wide.
    public var layout: TimelineLayout
    /// The factor columns, in file order.
    public var factors: [String]
    /// Whether the file has a risk column.
    public var hasRisk: Bool
    /// Data records read (header and blank lines excluded), including rejected ones.
    public var recordsRead: Int
    /// Records that passed validation.
    public var recordsUsed: Int
    /// Distinct (account, date) rows (equals `recordsUsed` for the wide layout).
    public var rows: Int
    /// Blank lines skipped.
    public var blankLines: Int
    /// The account ids, in order of first appearance.
    public var accounts: Interner
    /// The first date with a row.
    public var firstDay: Int32?
    /// The last date with a row.
    public var lastDay: Int32?
    /// Per factor, the number of rows with a value.
    public var valueCounts: [Int]
    /// 2 when the file was read in two halves at once, 1 otherwise.
    public var readers: Int = 1

    /// A summary from its counts.
    public init(
        file: String, layout: TimelineLayout, factors: [String], hasRisk: Bool, recordsRead: Int, recordsUsed: Int,
        rows: Int, blankLines: Int, accounts: Interner, firstDay: Int32?, lastDay: Int32?, valueCounts: [Int],
        readers: Int = 1
    ) {
        self.file = file
        self.layout = layout
        self.factors = factors
        self.hasRisk = hasRisk
        self.recordsRead = recordsRead
        self.recordsUsed = recordsUsed
        self.rows = rows
        self.blankLines = blankLines
        self.accounts = accounts
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.valueCounts = valueCounts
        self.readers = readers
    }

    /// Share of rows with a value, per factor.
    public var coverage: [Double] { valueCounts.map { rows > 0 ? Double($0) / Double(rows) : 0 } }
}

/// Reads a timeline file (DESIGN §2) into a `TimelineSink`, validating every cell.
public struct TimelineReader: Sendable {
    /// The risk value of a row that says nothing about risk.
    public static let riskUnspecified: UInt8 = 255

    /// The file's path.
    public var path: String
    /// The name the file is reported under.
    public var displayName: String
    /// The field delimiter.
    public var delimiter: UInt8
    /// Hard errors kept before reading stops collecting (all are counted).
    public var errorLimit = 200
    /// Files of at least this many bytes are read by two threads (each half its own parser and sink, merged).
    public var parallelThreshold = 32 << 20
    /// Whether plain rows of the wide layout take the one-pass fast path (`PlainWideRow`); tests turn it off to
    /// compare it with the general path.
    var plainRows = true

    /// A reader of a timeline file.
    public init(path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C) {
        self.path = path
        self.displayName = displayName ?? path
        self.delimiter = delimiter
    }

    private static let accountBits = 26
    private static let factorBits = 14
    private static let dayBias: Int64 = 1 << 23

    struct Columns: Sendable {
        var layout: TimelineLayout
        var account = -1, date = -1, risk = -1, factor = -1, value = -1
        var factorColumns: [Int] = []
        var factorNames: [String] = []
        var width = 0
    }

    static func columns(_ header: [String], file: String) throws -> Columns {
        let lower = header.map { $0.trimmingASCIISpaces().lowercased() }
        var seen: [String: Int] = [:]
        for (i, n) in lower.enumerated() {
            if n.isEmpty {
                throw InputError(
                    .missingColumn, Location(file: file, line: 1, column: i + 1),
                    "header cell \(i + 1) is empty: every column needs a name")
            }
            if let j = seen[n] {
                throw InputError(
                    .duplicateColumn, Location(file: file, line: 1, column: i + 1), value: header[i],
                    "column '\(header[i])' appears twice (columns \(j + 1) and \(i + 1))")
            }
            seen[n] = i
        }
        for required in ["account_id", "date"] where seen[required] == nil {
            throw InputError(
                .missingColumn, Location(file: file, line: 1), value: required,
                "required column '\(required)' is missing (header: \(header.joined(separator: ",")))")
        }
        let others = Set(lower).subtracting(["account_id", "date"])
        var c: Columns
        if others == ["factor", "value"] {
            c = Columns(layout: .long)
            c.factor = seen["factor"]!
            c.value = seen["value"]!
        } else {
            c = Columns(layout: .wide)
            c.risk = seen["risk"] ?? -1
            for (i, n) in lower.enumerated() where n != "account_id" && n != "date" && n != "risk" {
                c.factorColumns.append(i)
                c.factorNames.append(header[i].trimmingASCIISpaces())
            }
            if c.factorColumns.isEmpty {
                throw InputError(
                    .missingColumn, Location(file: file, line: 1),
                    "no factor columns: a wide timeline needs at least one numeric column besides account_id, date "
                        + "and risk"
                )
            }
        }
        c.account = seen["account_id"]!
        c.date = seen["date"]!
        c.width = header.count
        return c
    }

    /// Reads the whole file into `sink`. Throws `InputErrors` listing every defect (row defects are
    /// collected, not fatal, so one run reports them all) after the whole file is read.
    public func read<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary {
        let (summary, errors) = try readCollecting(into: &sink)
        if !errors.isEmpty { throw InputErrors(errors.errors, truncated: errors.count > errors.errors.count) }
        return summary
    }

    /// Reads the whole file, returning what it found and every row-level defect (duplicates included).
    /// Only a structural defect (missing file, bad header, unterminated quote) is thrown.
    func readCollecting<S: TimelineSink>(into sink: inout S) throws -> (TimelineSummary, ErrorCollector) {
        var errors = ErrorCollector(limit: errorLimit)
        var found = (duplicates: [UInt64](), count: 0, distinctRows: 0)
        var summary = try scan(into: &sink, found: &found, errors: &errors, findLinesOf: nil)
        let dups = found.duplicates
        summary.rows = summary.layout == .wide ? summary.recordsUsed : found.distinctRows
        if !dups.isEmpty {
            // Only now, on the error path, read the file again for the lines of every occurrence.
            var finder = NullSink()
            var lines: [UInt64: [Int]] = [:]
            var ignored = (duplicates: [UInt64](), count: 0, distinctRows: 0)
            var e2 = ErrorCollector(limit: 1)
            let wanted = Set(dups.prefix(errorLimit))
            _ = try scan(
                into: &finder, found: &ignored, errors: &e2,
                findLinesOf: (
                    wanted,
                    { key, line in
                        lines[key, default: []].append(line)
                    }
                ))
            for key in dups.prefix(errorLimit) {
                let ls = (lines[key] ?? []).sorted()
                let acct = Int32(truncatingIfNeeded: key >> UInt64(TimelineReader.accountBitsShift))
                let day = Int32(
                    Int64((key >> UInt64(TimelineReader.factorBits)) & ((1 << 24) - 1)) - TimelineReader.dayBias)
                let f = Int(key & ((1 << UInt64(TimelineReader.factorBits)) - 1))
                let what =
                    summary.layout == .long
                    ? (f < summary.factors.count ? " and factor '\(summary.factors[f])'" : " and factor 'risk'") : ""
                let lineText = ls.map(String.init).joined(separator: " and ")
                errors.add(
                    InputError(
                        .duplicateRow, Location(file: displayName, line: ls.last),
                        value: "\(summary.accounts.string(acct)),\(Day.format(day))",
                        "duplicate (account_id, date)\(what): lines \(lineText)"))
            }
            errors.count += found.count - min(dups.count, errorLimit)
        }
        return (summary, errors)
    }

    static var accountBitsShift: Int { 64 - accountBits }

    @inline(__always)
    static func key(account: Int32, day: Int32, factor: Int) -> UInt64 {
        (UInt64(account) << UInt64(accountBitsShift)) | (UInt64(Int64(day) + dayBias) << UInt64(factorBits))
            | UInt64(factor)
    }

    private struct StopAfterHeader: Error {}

    /// The header of the file (used to detect the layout before the full read).
    func header() throws -> [String] {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter, blockSize: 1 << 16)
        var names: [String] = []
        do {
            try reader.read(
                header: {
                    names = $0; throw StopAfterHeader()
                }, onError: { _ in }, record: { _ in })
        } catch is StopAfterHeader {}
        return names
    }

    /// The distinct factor names of a long-layout file, in order of first appearance.
    func longFactorNames(_ cols: Columns) throws -> [String] {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        var seen = Set<String>()
        var names: [String] = []
        var last: [UInt8] = []
        try reader.read(
            header: { _ in }, onError: { _ in },
            record: { rec in
                guard rec.count > cols.factor else { return }
                let b = rec.bytes(cols.factor)
                if b == last { return }
                last = b
                guard let s = String(validating: b, as: UTF8.self) else { return }
                let t = s.trimmingASCIISpaces()
                let k = t.lowercased()
                if !k.isEmpty && k != "risk" && seen.insert(k).inserted { names.append(t) }
            })
        return names
    }

    /// What every scanner of one file shares: the header and the column roles.
    struct ScanContext: Sendable {
        var file: String
        var headerNames: [String]
        var cols: Columns
        var factorNames: [String]
        var factorIndex: [String: Int]
    }

    /// What a scanner accumulates; two halves of a file are merged with `absorb`.
    struct ScanState {
        var accounts = Interner(capacity: 4096)
        var firstDay = Int32.max, lastDay = Int32.min
        var used = 0
        var lastAccount: Int32 = -1
        var valueCounts: [Int]
        var errors: ErrorCollector
        /// (account, date[, factor]) pairs seen, and (account, date) rows for the long layout.
        var seen: SeenDays
        var rowsSeen: SeenDays?
        /// Duplicated keys (packed as `TimelineReader.key`), first ones kept; all counted.
        var duplicates: [UInt64] = []
        var duplicateCount = 0

        init(factors: Int, errorLimit: Int, layout: TimelineLayout) {
            valueCounts = Array(repeating: 0, count: factors)
            errors = ErrorCollector(limit: errorLimit)
            seen = SeenDays(slots: layout == .long ? factors + 1 : 1)
            rowsSeen = layout == .long ? SeenDays(slots: 1) : nil
        }

        mutating func see(account: Int32, day: Int32, slot: Int, riskSlot: Int, limit: Int) {
            let s = slot == riskSlot ? seen.slots - 1 : slot
            if !seen.insert(account: Int(account), day: day, slot: s) {
                duplicateCount += 1
                if duplicates.count < limit {
                    duplicates.append(TimelineReader.key(account: account, day: day, factor: slot))
                }
            }
            if rowsSeen != nil { _ = rowsSeen!.insert(account: Int(account), day: day, slot: 0) }
        }
    }

    private func scan<S: TimelineSink>(
        into sink: inout S, found: inout (duplicates: [UInt64], count: Int, distinctRows: Int),
        errors: inout ErrorCollector,
        findLinesOf: (Set<UInt64>, (UInt64, Int) -> Void)?
    ) throws -> TimelineSummary {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        let file = displayName
        let headerNames = try reader.readHeader()
        let cols = try TimelineReader.columns(headerNames, file: file)
        let factorNames = cols.layout == .wide ? cols.factorNames : try longFactorNames(cols)
        if factorNames.count >= (1 << TimelineReader.factorBits) - 1 {
            throw InputError(
                .tooLarge, Location(file: file, line: 1), "more than \((1 << TimelineReader.factorBits) - 2) factors")
        }
        var factorIndex: [String: Int] = [:]  // long layout: factor name (lowercased) → index
        for (j, n) in factorNames.enumerated() { factorIndex[n.lowercased()] = j }
        let ctx = ScanContext(
            file: file, headerNames: headerNames, cols: cols, factorNames: factorNames, factorIndex: factorIndex)
        sink.begin(factors: factorNames)
        var state = ScanState(factors: factorNames.count, errorLimit: errorLimit, layout: cols.layout)
        state.errors = errors

        var readers = 1
        if findLinesOf == nil, reader.fileSize >= parallelThreshold,
            let split = try splitOffset(after: reader.position, fileSize: reader.fileSize)
        {
            readers = try scanInTwo(reader: reader, split: split, ctx: ctx, state: &state, sink: &sink)
        } else {
            try scanRows(reader: reader, ctx: ctx, state: &state, sink: &sink, findLinesOf: findLinesOf)
        }
        if reader.records == 0 && !reader.requireRows {
            throw InputError(.noRows, Location(file: file, line: 2), "file has a header but no data rows")
        }
        found = (state.duplicates, state.duplicateCount, state.rowsSeen?.distinct ?? state.used)
        errors = state.errors
        return TimelineSummary(
            file: file, layout: cols.layout, factors: factorNames, hasRisk: cols.risk >= 0,
            recordsRead: reader.records, recordsUsed: state.used, rows: state.used, blankLines: reader.blankLines,
            accounts: state.accounts, firstDay: state.used > 0 ? state.firstDay : nil,
            lastDay: state.used > 0 ? state.lastDay : nil, valueCounts: state.valueCounts, readers: readers)
    }

    /// The offset just after the first newline at or after the middle of the file, or nil.
    private func splitOffset(after start: Int, fileSize: Int) throws -> Int? {
        let mid = max(start, fileSize / 2)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(mid)) }
        guard n > 0, let i = buf[0..<n].firstIndex(of: 0x0A) else { return nil }
        let split = mid + i + 1
        return split < fileSize ? split : nil
    }

    /// Reads the file in two halves at once. The split is speculative: it is kept only when the first
    /// half's last record ends exactly at `split` (so the newline there really ended a record and was not
    /// inside a quoted field); otherwise the first reader goes on to the end and the second half is dropped.
    private func scanInTwo<S: TimelineSink>(
        reader: CSVReader, split: Int, ctx: ScanContext,
        state: inout ScanState, sink: inout S
    ) throws -> Int {
        var backSink = sink.makeEmpty()
        backSink.begin(factors: ctx.factorNames)
        let backState = ScanState(factors: ctx.factorNames.count, errorLimit: errorLimit, layout: ctx.cols.layout)
        let back = Half(sink: backSink, state: backState)
        let path = self.path, name = displayName, delimiter = self.delimiter, me = self
        let width = ctx.headerNames.count
        // The other thread has no task-local values: it counts into the same progress explicitly.
        let progress = reader.progress
        reader.stopAt = split
        reader.requireRows = false
        let backWork = SideWork {
            back.run(
                me, path: path, name: name, delimiter: delimiter, split: split, width: width, ctx: ctx,
                progress: progress)
        }
        var frontError: Error?
        do { try scanRows(reader: reader, ctx: ctx, state: &state, sink: &sink, findLinesOf: nil) } catch {
            frontError = error
        }
        _ = backWork.wait()
        if let frontError { throw frontError }
        reader.stopAt = .max
        guard reader.position == split, let backReader = back.reader else {
            // The split fell inside a quoted field (or the second half could not start): read on alone.
            try scanRows(reader: reader, ctx: ctx, state: &state, sink: &sink, findLinesOf: nil)
            return 1
        }
        let lineBase = reader.nextLine - 1
        if var e = back.error as? InputError {
            if let l = e.location.line { e.location.line = l + lineBase }
            throw e
        } else if let e = back.error {
            throw e
        }
        // Merge the second half into the first.
        var map = [Int32](repeating: 0, count: back.state.accounts.count)
        for c in 0..<back.state.accounts.count {
            map[c] = state.accounts.intern(back.state.accounts.string(Int32(c)))
        }
        sink.merge(back.sink, accountMap: map)
        state.used += back.state.used
        state.firstDay = min(state.firstDay, back.state.firstDay)
        state.lastDay = max(state.lastDay, back.state.lastDay)
        for j in 0..<state.valueCounts.count { state.valueCounts[j] += back.state.valueCounts[j] }
        for var e in back.state.errors.errors {
            if let l = e.location.line { e.location.line = l + lineBase }
            state.errors.add(e)
        }
        state.errors.count += back.state.errors.count - back.state.errors.errors.count
        // Duplicates within the second half, then every pair it saw replayed into the first half's
        // bitmaps: a pair both halves have is a duplicate across the split.
        let shift = UInt64(TimelineReader.accountBitsShift)
        let low = (UInt64(1) << shift) - 1
        for k in back.state.duplicates {
            state.duplicateCount += 1
            if state.duplicates.count < errorLimit {
                state.duplicates.append((UInt64(map[Int(k >> shift)]) << shift) | (k & low))
            }
        }
        state.duplicateCount += back.state.duplicateCount - back.state.duplicates.count
        let riskSlot = (1 << TimelineReader.factorBits) - 1
        let slots = back.state.seen.slots, long = ctx.cols.layout == .long, limit = errorLimit
        var cross: [UInt64] = [], crossCount = 0
        state.seen.absorb(back.state.seen, map: map) { a, d, slot in
            crossCount += 1
            if cross.count < limit {
                cross.append(
                    TimelineReader.key(account: a, day: d, factor: long && slot == slots - 1 ? riskSlot : slot))
            }
        }
        state.duplicateCount += crossCount
        for k in cross where state.duplicates.count < errorLimit { state.duplicates.append(k) }
        if let backRows = back.state.rowsSeen { state.rowsSeen?.absorb(backRows, map: map) { _, _, _ in } }
        reader.absorb(backReader)
        return 2
    }

    /// Reads records until the reader ends, validating each and passing it to the sink.
    fileprivate func scanRows<S: TimelineSink>(
        reader: CSVReader, ctx: ScanContext, state st: inout ScanState, sink: inout S,
        findLinesOf: (Set<UInt64>, (UInt64, Int) -> Void)?
    ) throws {
        let cols = ctx.cols, headerNames = ctx.headerNames, file = ctx.file
        let nf = ctx.factorNames.count
        let values = UnsafeMutablePointer<Double>.allocate(capacity: max(1, nf))
        let valueCounts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, nf))
        valueCounts.initialize(repeating: 0, count: max(1, nf))
        let factorColumns = UnsafeMutablePointer<Int>.allocate(capacity: max(1, cols.factorColumns.count))
        for (j, c) in cols.factorColumns.enumerated() { factorColumns[j] = c }
        let nFactorColumns = cols.factorColumns.count
        defer {
            for j in 0..<nf { st.valueCounts[j] += valueCounts[j] }
            values.deallocate(); valueCounts.deallocate(); factorColumns.deallocate()
        }
        var firstDay = st.firstDay, lastDay = st.lastDay, used = st.used, lastAccount = st.lastAccount
        defer { st.firstDay = firstDay; st.lastDay = lastDay; st.used = used; st.lastAccount = lastAccount }
        let dcol = cols.date, acol = cols.account, rcol = cols.risk
        let wide = cols.layout == .wide
        let riskFactor = (1 << TimelineReader.factorBits) - 1
        let dates = DateCache()
        defer { dates.deallocate() }

        func cellError(_ rec: borrowing CSVRecord, _ i: Int, _ kind: InputError.Kind, _ what: String) -> InputError {
            let loc = Location(
                file: file, line: rec.line, column: i + 1, columnName: headerNames[i].trimmingASCIISpaces())
            if !rec.isValidUTF8(i) {
                return InputError(.invalidUTF8, loc, value: rec.lossyString(i), "cell is not valid UTF-8")
            }
            return InputError(kind, loc, value: rec.lossyString(i), what)
        }

        // The account, day, risk and values of a row read, into the state and the sink (both paths).
        @inline(__always) func take(_ account: Int32, day: Int32, risk: UInt8, factorOfRow: Int, line: Int) {
            used += 1
            if day < firstDay { firstDay = day }
            if day > lastDay { lastDay = day }
            if wide {
                for j in 0..<nf where !values[j].isNaN { valueCounts[j] += 1 }
            } else if factorOfRow < nf, !values[factorOfRow].isNaN {
                valueCounts[factorOfRow] += 1
            }
            if let (wanted, report) = findLinesOf {
                let k = TimelineReader.key(account: account, day: day, factor: factorOfRow)
                if wanted.contains(k) { report(k, line) }
            } else {
                st.see(account: account, day: day, slot: factorOfRow, riskSlot: riskFactor, limit: errorLimit)
            }
            sink.row(account: account, day: day, risk: risk, values: values, line: line)
        }
        func tooManyAccounts(line: Int) -> InputError {
            InputError(
                .tooLarge, Location(file: file, line: line), "more than \(1 << TimelineReader.accountBits) accounts")
        }
        // Plain rows of the wide layout in one pass over their bytes; every other row by the general path.
        let plain =
            wide && plainRows
            ? PlainWideRow(
                width: headerNames.count, delimiter: reader.delimiter, account: acol, date: dcol, risk: rcol,
                factorColumns: cols.factorColumns) : nil
        defer { plain?.deallocate() }
        var row = PlainWideRow.Row()

        rows: while true {
            if let plain {
                let (b, count) = reader.unread()
                let n = count > 0 ? plain.read(b, count: count, dates: dates, values: values, into: &row) : 0
                if n > 0 {
                    let line = reader.nextLine
                    reader.consume(recordOf: n)
                    let ap = b + row.accountStart, an = row.accountLength
                    var account = lastAccount
                    if lastAccount < 0 || !st.accounts.matches(lastAccount, ap, an) {
                        var isNew = false
                        account = st.accounts.intern(ap, an, isNew: &isNew)
                        if isNew {
                            // ASCII (the fast path declines any other byte): no validation needed.
                            sink.newAccount(
                                account, id: String(decoding: UnsafeBufferPointer(start: ap, count: an), as: UTF8.self))
                        }
                        if Int(account) >= (1 << TimelineReader.accountBits) { throw tooManyAccounts(line: line) }
                        lastAccount = account
                    }
                    take(account, day: row.day, risk: row.risk, factorOfRow: 0, line: line)
                    continue rows
                }
            }
            switch try reader.next() {
            case .end: break rows
            case .rowError(let e): st.errors.add(e); continue rows
            case .record: break
            }
            let rec = reader.record
            guard let day = dates.day(rec.pointer(dcol), rec.length(dcol)) else {
                st.errors.add(
                    cellError(
                        rec, dcol, .invalidDate, rec.isEmpty(dcol) ? "date is empty" : "not a valid YYYY-MM-DD date"))
                continue
            }
            var risk = TimelineReader.riskUnspecified
            var factorOfRow = 0
            if wide {
                var rowOK = true
                for j in 0..<nFactorColumns {
                    let c = factorColumns[j]
                    let n = rec.length(c)
                    if n == 0 { values[j] = .nan; continue }
                    if let v = DecimalParser.parse(rec.pointer(c), n) {
                        values[j] = v
                    } else if rec.isEmpty(c) {
                        values[j] = .nan
                    } else {
                        st.errors.add(cellError(rec, c, .invalidNumber, "not a finite number"))
                        rowOK = false
                    }
                }
                if rcol >= 0 {
                    if let r = RiskLevel.parse(rec.pointer(rcol), rec.length(rcol)) {
                        risk = r.rawValue
                    } else {
                        st.errors.add(
                            cellError(rec, rcol, .invalidRisk, "risk must be none, low, medium, high or empty"))
                        rowOK = false
                    }
                } else {
                    risk = RiskLevel.none.rawValue
                }
                if !rowOK { continue }
            } else {
                // long layout: one factor (or the risk) per row
                guard let name = rec.string(cols.factor) else {
                    st.errors.add(cellError(rec, cols.factor, .invalidUTF8, ""))
                    continue
                }
                let key = name.trimmingASCIISpaces().lowercased()
                if key.isEmpty {
                    st.errors.add(cellError(rec, cols.factor, .emptyValue, "factor name is empty"))
                    continue
                }
                for j in 0..<nf { values[j] = .nan }
                if key == "risk" {
                    guard let r = RiskLevel.parse(rec.pointer(cols.value), rec.length(cols.value)) else {
                        st.errors.add(
                            cellError(rec, cols.value, .invalidRisk, "risk must be none, low, medium, high or empty"))
                        continue
                    }
                    risk = r.rawValue
                    factorOfRow = riskFactor
                } else {
                    var v = Double.nan
                    if !rec.isEmpty(cols.value) {
                        guard let parsed = DecimalParser.parse(rec.pointer(cols.value), rec.length(cols.value)) else {
                            st.errors.add(cellError(rec, cols.value, .invalidNumber, "not a finite number"))
                            continue
                        }
                        v = parsed
                    }
                    // Cannot fail: the pre-pass saw every name.
                    guard let idx = ctx.factorIndex[key] else { continue }
                    values[idx] = v
                    factorOfRow = idx
                }
            }
            // account: interned straight from the buffer; bytes are copied only for a new id
            if rec.isEmpty(acol) {
                st.errors.add(
                    InputError(
                        .emptyValue,
                        Location(file: file, line: rec.line, column: acol + 1, columnName: headerNames[acol]),
                        "account_id is empty"))
                continue
            }
            var account: Int32
            let escaped = rec.fields[acol].hasEscapes
            let ap = rec.pointer(acol), an = rec.length(acol)
            if !escaped && lastAccount >= 0 && st.accounts.matches(lastAccount, ap, an) {
                account = lastAccount
            } else {
                var isNew = false
                if escaped {
                    let idBytes = rec.bytes(acol)
                    account = idBytes.withUnsafeBufferPointer { b in
                        st.accounts.intern(b.baseAddress!, b.count, isNew: &isNew)
                    }
                } else {
                    account = st.accounts.intern(ap, an, isNew: &isNew)
                }
                if isNew {
                    guard let id = rec.string(acol) else {
                        st.errors.add(
                            InputError(
                                .invalidUTF8,
                                Location(file: file, line: rec.line, column: acol + 1, columnName: headerNames[acol]),
                                value: rec.lossyString(acol), "account_id is not valid UTF-8"))
                        continue
                    }
                    sink.newAccount(account, id: id)
                }
                if Int(account) >= (1 << TimelineReader.accountBits) { throw tooManyAccounts(line: rec.line) }
                lastAccount = account
            }
            take(account, day: day, risk: risk, factorOfRow: factorOfRow, line: rec.line)
        }
    }
}

/// The days of the last dates parsed, by their 10 bytes (a timeline has few distinct dates, in any row order):
/// a direct-mapped table of 2,048 entries, filled with what `Day.parse` returned; other lengths go to it
/// directly.
struct DateCache {
    private let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: 2048)
    private let tails = UnsafeMutablePointer<UInt16>.allocate(capacity: 2048)
    private let days = UnsafeMutablePointer<Int32>.allocate(capacity: 2048)

    init() {
        keys.initialize(repeating: 0, count: 2048)  // no date's first 8 bytes are all zero
        tails.initialize(repeating: 0, count: 2048)
        days.initialize(repeating: 0, count: 2048)
    }

    func deallocate() { keys.deallocate(); tails.deallocate(); days.deallocate() }

    @inline(__always)
    func day(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard n == 10 else { return Day.parse(p, n) }
        // Two loads inside the field's 10 bytes.
        let raw = UnsafeRawPointer(p)
        let k = raw.loadUnaligned(as: UInt64.self), t = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        // Dates differ in a few digits: a full mix (murmur's finaliser) keeps the 104 dates of a weekly two-year
        // timeline apart (5 share a slot; a bare multiply shared 27 of them, with 256 slots 52).
        var h = k ^ UInt64(t) << 48 ^ UInt64(t) << 8
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        let slot = Int(truncatingIfNeeded: h >> 53)
        if keys[slot] == k && tails[slot] == t { return days[slot] }
        guard let d = Day.parse(p, n) else { return nil }
        keys[slot] = k
        tails[slot] = t
        days[slot] = d
        return d
    }
}

/// The second half of a file being read on another thread.
private final class Half<T: TimelineSink>: @unchecked Sendable {
    var sink: T
    var state: TimelineReader.ScanState
    var reader: CSVReader?
    var error: Error?
    init(sink: T, state: TimelineReader.ScanState) { self.sink = sink; self.state = state }

    func run(
        _ timeline: TimelineReader, path: String, name: String, delimiter: UInt8, split: Int, width: Int,
        ctx: TimelineReader.ScanContext, progress: ReadProgress?
    ) {
        do {
            let r = try CSVReader(
                path: path, displayName: name, delimiter: delimiter, startOffset: split, progress: progress)
            try r.startHeaderless(fieldCount: width)
            reader = r
            try timeline.scanRows(reader: r, ctx: ctx, state: &state, sink: &sink, findLinesOf: nil)
        } catch { self.error = error }
    }
}

/// A sink that keeps nothing: a read for its checks only (a file re-scanned for line numbers, a table
/// validated).
public struct NullSink: TimelineSink {
    /// A sink that keeps nothing.
    public init() {}
    /// Ignores the factors.
    public mutating func begin(factors: [String]) {}
    /// Ignores the row.
    public mutating func row(account: Int32, day: Int32, risk: UInt8, values: UnsafePointer<Double>, line: Int) {}
    /// Another sink that keeps nothing.
    public func makeEmpty() -> NullSink { NullSink() }
    /// Nothing to merge.
    public mutating func merge(_ other: NullSink, accountMap: [Int32]) {}
}

extension String {
    /// The string without leading and trailing ASCII spaces and tabs.
    func trimmingASCIISpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
