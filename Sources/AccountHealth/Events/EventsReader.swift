/// Reads an events file (DESIGN §9): `account_id,time,type[,value]` in any column order, names matched
/// case-insensitively, other columns ignored. Byte-level, like the timeline reader: account ids and types
/// are interned straight from the buffer, times and values parsed without allocating.
public struct EventsReader: Sendable {
    /// The file's path.
    public var path: String
    /// The name the file is reported under.
    public var displayName: String
    /// The field delimiter.
    public var delimiter: UInt8
    /// Row errors kept (all are counted).
    public var errorLimit = 200

    /// A reader of an events file.
    public init(path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C) {
        self.path = path
        self.displayName = displayName ?? path
        self.delimiter = delimiter
    }

    /// Reads every row; throws `InputErrors` locating every bad row after the whole file is read.
    public func read() throws -> EventLog {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        let file = displayName
        let header = try HeaderMap(try reader.readHeader(), file: file, required: ["account_id", "time", "type"])
        let ac = header["account_id"]!, tc = header["time"]!, yc = header["type"]!, vc = header["value"]
        var errors = ErrorCollector(limit: errorLimit)
        var accounts = Interner(capacity: 4096), types = Interner(capacity: 64)
        var account: [Int32] = [], type: [Int32] = [], time: [Int64] = [], value: [Double] = []
        let estimate = max(1024, reader.fileSize / 40)
        account.reserveCapacity(estimate); type.reserveCapacity(estimate); time.reserveCapacity(estimate);
        value.reserveCapacity(estimate)
        var lastAccount: Int32 = -1, lastType: Int32 = -1

        let cells = CellReader(file: file, header: header)  // the small tables' cell locations
        /// Interns a cell (unescaped when it was quoted with doubled quotes), trimming spaces for types.
        func intern(
            _ rec: borrowing CSVRecord, _ i: Int, into table: inout Interner, last: inout Int32, trim: Bool
        ) -> Int32? {
            var p = rec.pointer(i), n = rec.length(i)
            if trim {
                while n > 0 && (p[0] == 0x20 || p[0] == 0x09) { p += 1; n -= 1 }
                while n > 0 && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
            }
            if n == 0 { return nil }
            if !rec.fields[i].hasEscapes && last >= 0 && table.matches(last, p, n) { return last }
            var isNew = false
            let code: Int32
            if rec.fields[i].hasEscapes {
                var bytes = rec.bytes(i)
                if trim {
                    while let f = bytes.first, f == 0x20 || f == 0x09 { bytes.removeFirst() }
                    while let l = bytes.last, l == 0x20 || l == 0x09 { bytes.removeLast() }
                }
                code = bytes.withUnsafeBufferPointer { table.intern($0.baseAddress!, $0.count, isNew: &isNew) }
            } else {
                code = table.intern(p, n, isNew: &isNew)
            }
            if isNew && !rec.isValidUTF8(i) { return nil }  // the file fails: the stray entry is never used
            last = code
            return code
        }

        rows: while true {
            switch try reader.next() {
            case .end: break rows
            case .rowError(let e): errors.add(e); continue rows
            case .record: break
            }
            let rec = reader.record
            let before = errors.count
            guard let t = EventTime.parse(rec.pointer(tc), rec.length(tc)) else {
                let what =
                    rec.isEmpty(tc)
                    ? "time is empty"
                    : "not a date (YYYY-MM-DD) or an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM])"
                errors.add(
                    InputError(
                        rec.isValidUTF8(tc) ? .invalidDate : .invalidUTF8, cells.loc(rec, tc),
                        value: rec.lossyString(tc), what))
                continue
            }
            var v = Double.nan
            if let vc, !rec.isEmpty(vc) {
                if let x = DecimalParser.parse(rec.pointer(vc), rec.length(vc)) {
                    v = x
                } else {
                    errors.add(
                        InputError(
                            rec.isValidUTF8(vc) ? .invalidNumber : .invalidUTF8, cells.loc(rec, vc),
                            value: rec.lossyString(vc),
                            "not a finite number"))
                }
            }
            guard let a = intern(rec, ac, into: &accounts, last: &lastAccount, trim: false) else {
                errors.add(
                    InputError(
                        rec.isEmpty(ac) ? .emptyValue : .invalidUTF8, cells.loc(rec, ac), value: rec.lossyString(ac),
                        rec.isEmpty(ac) ? "account_id is empty" : "account_id is not valid UTF-8"))
                continue
            }
            guard let y = intern(rec, yc, into: &types, last: &lastType, trim: true) else {
                errors.add(
                    InputError(
                        rec.isEmpty(yc) ? .emptyValue : .invalidUTF8, cells.loc(rec, yc), value: rec.lossyString(yc),
                        rec.isEmpty(yc) ? "type is empty" : "type is not valid UTF-8"))
                continue
            }
            if errors.count != before { continue }
            account.append(a); type.append(y); time.append(t); value.append(v)
        }
        if reader.records == 0 {
            throw InputError(.noRows, Location(file: file, line: 2), "file has a header but no data rows")
        }
        try errors.throwIfAny()
        return EventLog(
            file: file, accounts: accounts, types: types, account: account, type: type, time: time, value: value,
            recordsRead: reader.records)
    }
}
