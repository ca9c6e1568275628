/// Header handling shared by the small tables: case-insensitive names, duplicates, required columns.
struct HeaderMap {
    var index: [String: Int] = [:]
    var names: [String] = []

    init(_ header: [String], file: String, required: [String]) throws {
        names = header.map { $0.trimmingASCIISpaces() }
        for (i, n) in names.enumerated() {
            let k = n.lowercased()
            if k.isEmpty {
                throw InputError(
                    .missingColumn, Location(file: file, line: 1, column: i + 1),
                    "header cell \(i + 1) is empty: every column needs a name")
            }
            if let j = index[k] {
                throw InputError(
                    .duplicateColumn, Location(file: file, line: 1, column: i + 1), value: n,
                    "column '\(n)' appears twice (columns \(j + 1) and \(i + 1))")
            }
            index[k] = i
        }
        for r in required where index[r] == nil {
            throw InputError(
                .missingColumn, Location(file: file, line: 1), value: r,
                "required column '\(r)' is missing (header: \(header.joined(separator: ",")))")
        }
    }

    subscript(_ name: String) -> Int? { index[name] }
}

/// Reads one cell as text, number or date, adding a located error on failure.
struct CellReader {
    let file: String
    let header: HeaderMap

    func loc(_ rec: borrowing CSVRecord, _ i: Int) -> Location {
        Location(file: file, line: rec.line, column: i + 1, columnName: header.names[i])
    }

    func text(_ rec: borrowing CSVRecord, _ i: Int, required: Bool, _ errors: inout ErrorCollector) -> String? {
        guard let s = rec.string(i) else {
            errors.add(InputError(.invalidUTF8, loc(rec, i), value: rec.lossyString(i), "cell is not valid UTF-8"))
            return nil
        }
        if required {
            // Only blanks: empty (a field with escapes holds a quote, so it never is).
            if rec.isEmpty(i) {
                errors.add(InputError(.emptyValue, loc(rec, i), "\(header.names[i]) is empty"))
                return nil
            }
            return s
        }
        return rec.byteTrimmedText(i, untrimmed: s) ?? s.trimmingASCIISpaces()
    }

    func number(_ rec: borrowing CSVRecord, _ i: Int, _ errors: inout ErrorCollector) -> Double?? {
        if rec.isEmpty(i) { return .some(nil) }
        if let v = DecimalParser.parse(rec.pointer(i), rec.length(i)) { return .some(v) }
        if !rec.isValidUTF8(i) {
            errors.add(InputError(.invalidUTF8, loc(rec, i), value: rec.lossyString(i), "cell is not valid UTF-8"))
        } else {
            errors.add(InputError(.invalidNumber, loc(rec, i), value: rec.lossyString(i), "not a finite number"))
        }
        return nil
    }

    func date(_ rec: borrowing CSVRecord, _ i: Int, _ errors: inout ErrorCollector) -> Int32?? {
        if rec.isEmpty(i) { return .some(nil) }
        if let d = Day.parse(rec.pointer(i), rec.length(i)) { return .some(d) }
        if !rec.isValidUTF8(i) {
            errors.add(InputError(.invalidUTF8, loc(rec, i), value: rec.lossyString(i), "cell is not valid UTF-8"))
        } else {
            errors.add(InputError(.invalidDate, loc(rec, i), value: rec.lossyString(i), "not a valid YYYY-MM-DD date"))
        }
        return nil
    }
}

/// `accounts.csv`: one row per account (DESIGN §2).
public struct AccountsTable: Sendable {
    /// The file the table was read from.
    public var file: String
    /// Each account's id.
    public var ids: [String] = []
    /// Each account's account manager.
    public var am: [String] = []
    /// Each account's segment.
    public var segment: [String] = []
    /// Each account's annual recurring revenue.
    public var arr: [Double] = []
    /// Each account's display name, if any.
    public var name: [String?] = []
    /// Each account's renewal date, if any.
    public var renewalDay: [Int32?] = []
    /// Every other column, by its header name.
    public var attributes: [String: [String]] = [:]
    /// The other columns' names, in file order.
    public var attributeNames: [String] = []
    /// The row of each account id.
    public var index: [String: Int] = [:]
    /// Data records read (header and blank lines excluded).
    public var recordsRead = 0

    /// The number of accounts.
    public var count: Int { ids.count }

    /// Account rows given as columns; `attributes` holds any other column by name.
    public init(
        file: String, ids: [String] = [], am: [String] = [], segment: [String] = [], arr: [Double] = [],
        name: [String?]? = nil, renewalDay: [Int32?]? = nil, attributes: [String: [String]] = [:],
        attributeNames: [String] = []
    ) {
        self.file = file
        self.ids = ids
        self.am = am
        self.segment = segment
        self.arr = arr
        self.name = name ?? Array(repeating: nil, count: ids.count)
        self.renewalDay = renewalDay ?? Array(repeating: nil, count: ids.count)
        self.attributes = attributes
        self.attributeNames = attributeNames
        self.recordsRead = ids.count
        for (i, id) in ids.enumerated() where index[id] == nil { index[id] = i }
    }

    /// The row of an account id.
    public func row(of id: String) -> Int? { index[id] }

    /// The value of any column (am, segment, name or an attribute) for a row, nil when the column does not exist.
    public func column(_ column: String) -> [String]? {
        switch column.lowercased() {
        case "am": return am
        case "segment": return segment
        case "account_id": return ids
        case "name": return name.map { $0 ?? "" }
        default:
            if let k = attributeNames.first(where: { $0.lowercased() == column.lowercased() }) { return attributes[k] }
            return nil
        }
    }

    /// Reads and validates `accounts.csv`; every bad row is a located error.
    public static func read(path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C) throws -> AccountsTable {
        let (t, errors) = try readCollecting(path: path, displayName: displayName, delimiter: delimiter)
        try errors.throwIfAny()
        return t
    }

    static func readCollecting(
        path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C
    ) throws -> (AccountsTable, ErrorCollector) {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        let file = reader.displayName
        var t = AccountsTable(file: file)
        var errors = ErrorCollector()
        var cells: CellReader! = nil
        var h: HeaderMap! = nil
        var lineOf: [String: Int] = [:]
        var extra: [Int] = []
        try reader.read(
            header: { header in
                h = try HeaderMap(header, file: file, required: ["account_id", "am", "segment", "arr"])
                cells = CellReader(file: file, header: h)
                let known: Set<String> = ["account_id", "am", "segment", "arr", "name", "renewal_date"]
                for (i, n) in h.names.enumerated() where !known.contains(n.lowercased()) {
                    extra.append(i)
                    t.attributeNames.append(n)
                    t.attributes[n] = []
                }
            }, onError: { errors.add($0) },
            record: { rec in
                let before = errors.count
                let id = cells.text(rec, h["account_id"]!, required: true, &errors)
                let am = cells.text(rec, h["am"]!, required: false, &errors)
                let seg = cells.text(rec, h["segment"]!, required: false, &errors)
                let arrCell = cells.number(rec, h["arr"]!, &errors)
                var arr: Double? = nil
                if case .some(.some(let v)) = arrCell {
                    if v < 0 {
                        errors.add(
                            InputError(
                                .invalidNumber, cells.loc(rec, h["arr"]!), value: rec.lossyString(h["arr"]!),
                                "arr must not be negative"))
                    } else {
                        arr = v
                    }
                } else if case .some(.none) = arrCell {
                    errors.add(InputError(.emptyValue, cells.loc(rec, h["arr"]!), "arr is empty"))
                }
                let name = h["name"].flatMap { cells.text(rec, $0, required: false, &errors) }
                var renewal: Int32? = nil
                if let ri = h["renewal_date"] {
                    if let d = cells.date(rec, ri, &errors) { renewal = d }
                }
                var attrs: [String] = []
                for i in extra { attrs.append(cells.text(rec, i, required: false, &errors) ?? "") }
                guard errors.count == before, let id, let am, let seg, let arr else { return }
                if let first = lineOf[id] {
                    errors.add(
                        InputError(
                            .duplicateRow, Location(file: file, line: rec.line), value: id,
                            "duplicate account_id: lines \(first) and \(rec.line)"))
                    return
                }
                lineOf[id] = rec.line
                t.index[id] = t.ids.count
                t.ids.append(id); t.am.append(am); t.segment.append(seg); t.arr.append(arr)
                t.name.append(name); t.renewalDay.append(renewal)
                for (k, i) in extra.enumerated() { _ = i; t.attributes[t.attributeNames[k]]!.append(attrs[k]) }
            })
        t.recordsRead = reader.records
        return (t, errors)
    }
}

/// `outcomes.csv`: one row per renewal decision (DESIGN §2).
public struct OutcomesTable: Sendable {
    /// The file the table was read from.
    public var file: String
    /// Each decision's account.
    public var accountIds: [String] = []
    /// Each decision's date.
    public var day: [Int32] = []
    /// Whether the decision was a churn.
    public var churned: [Bool] = []
    /// The ARR at stake in the decision, if given.
    public var arr: [Double?] = []
    /// Each decision's line in the file.
    public var line: [Int] = []
    /// Data records read (header and blank lines excluded).
    public var recordsRead = 0

    /// The number of decisions.
    public var count: Int { accountIds.count }

    /// Outcome rows given as columns (`line`: where each row came from, its position when there is no file).
    public init(
        file: String, accountIds: [String] = [], day: [Int32] = [], churned: [Bool] = [], arr: [Double?]? = nil,
        line: [Int]? = nil
    ) {
        self.file = file
        self.accountIds = accountIds
        self.day = day
        self.churned = churned
        self.arr = arr ?? Array(repeating: nil, count: accountIds.count)
        self.line = line ?? Array(stride(from: 1, through: accountIds.count, by: 1))
        self.recordsRead = accountIds.count
    }

    /// The rows whose decision date passes `isIncluded`.
    public func filter(date isIncluded: (Int32) -> Bool) -> OutcomesTable {
        var t = self
        let keep = day.indices.filter { isIncluded(day[$0]) }
        t.accountIds = keep.map { accountIds[$0] }; t.day = keep.map { day[$0] }
        t.churned = keep.map { churned[$0] }; t.arr = keep.map { arr[$0] }; t.line = keep.map { line[$0] }
        return t
    }
    /// The number of churns.
    public var churnCount: Int { churned.reduce(0) { $0 + ($1 ? 1 : 0) } }
    /// The number of renewals.
    public var renewalCount: Int { count - churnCount }

    /// Reads and validates `outcomes.csv`; every bad row is a located error.
    public static func read(path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C) throws -> OutcomesTable {
        let (t, errors) = try readCollecting(path: path, displayName: displayName, delimiter: delimiter)
        try errors.throwIfAny()
        return t
    }

    static func readCollecting(
        path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C
    ) throws -> (OutcomesTable, ErrorCollector) {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        // A header and no rows is a valid outcomes file: no renewal decided yet (DESIGN §13's "zero outcomes").
        reader.requireRows = false
        let file = reader.displayName
        var t = OutcomesTable(file: file)
        var errors = ErrorCollector()
        var cells: CellReader! = nil
        // The columns' indices, looked up once (not a hashed name per row).
        var idColumn = 0, dateColumn = 0, oi = 0
        var arrColumn: Int? = nil
        try reader.read(
            header: { header in
                let h = try HeaderMap(header, file: file, required: ["account_id", "date", "outcome"])
                cells = CellReader(file: file, header: h)
                idColumn = h["account_id"]!
                dateColumn = h["date"]!
                oi = h["outcome"]!
                arrColumn = h["arr"]
            }, onError: { errors.add($0) },
            record: { rec in
                let before = errors.count
                let id = cells.text(rec, idColumn, required: true, &errors)
                let dcell = cells.date(rec, dateColumn, &errors)
                var day: Int32? = nil
                if case .some(.some(let d)) = dcell {
                    day = d
                } else if case .some(.none) = dcell {
                    errors.add(InputError(.invalidDate, cells.loc(rec, dateColumn), "date is empty"))
                }
                // The two words read from the bytes; anything else (other cases of Unicode, escapes, a wrong
                // word) goes through the text, which also reports it.
                var churned: Bool? = rec.fields[oi].hasEscapes ? nil : outcomeWord(rec.pointer(oi), rec.length(oi))
                if churned == nil, let word = cells.text(rec, oi, required: false, &errors) {
                    switch word.lowercased() {
                    case "churned": churned = true
                    case "renewed": churned = false
                    default:
                        errors.add(
                            InputError(
                                .invalidOutcome, cells.loc(rec, oi), value: word,
                                word.isEmpty
                                    ? "outcome is empty (renewed or churned)" : "outcome must be renewed or churned"))
                    }
                }
                var arr: Double? = nil
                if let ai = arrColumn, let v = cells.number(rec, ai, &errors) {
                    if let x = v, x < 0 {
                        errors.add(
                            InputError(
                                .invalidNumber, cells.loc(rec, ai), value: rec.lossyString(ai),
                                "arr must not be negative"))
                    }
                    arr = v
                }
                guard errors.count == before, let id, let day, let churned else { return }
                t.accountIds.append(id); t.day.append(day); t.churned.append(churned); t.arr.append(arr);
                t.line.append(rec.line)
            })
        t.recordsRead = reader.records
        // Duplicates are found in key order, where they are neighbours (no table of every key while reading);
        // their errors join the others in line order, as if found row by row.
        var sorted = t.inKeyOrder()
        errors.merge(sorted.removeDuplicates(file: file))
        return (sorted, errors)
    }

    /// Drops every row whose (account_id, date) an earlier line has (rows in key order: the same key's rows are
    /// neighbours, by line) and returns an error for each, in line order.
    mutating func removeDuplicates(file: String) -> [InputError] {
        var duplicates: [InputError] = []
        var keep: [Int] = []
        var first = 0
        for i in 0..<count {
            if i > 0 && day[i] == day[first] && accountIds[i].utf8.elementsEqual(accountIds[first].utf8) {
                duplicates.append(
                    InputError(
                        .duplicateRow, Location(file: file, line: line[i]),
                        value: "\(accountIds[i]),\(Day.format(day[i]))",
                        "duplicate outcome for (account_id, date): lines \(line[first]) and \(line[i])"))
                continue
            }
            first = i
            keep.append(i)
        }
        guard !duplicates.isEmpty else { return [] }
        accountIds = keep.map { accountIds[$0] }; day = keep.map { day[$0] }
        churned = keep.map { churned[$0] }; arr = keep.map { arr[$0] }; line = keep.map { line[$0] }
        return duplicates.sorted { ($0.location.line ?? 0) < ($1.location.line ?? 0) }
    }

    /// The rows ordered by account id (bytes) and date: the order every analysis sees, so that its sums do
    /// not depend on the order of the file's (or a table's) rows.
    public func inKeyOrder() -> OutcomesTable {
        // Each id's first 8 bytes as one big-endian integer (zero-padded) decide nearly every pair; the whole
        // bytes where those tie.
        let prefixes = accountIds.map { id -> UInt64 in
            var k: UInt64 = 0, taken = 0
            for b in id.utf8.prefix(8) { k = k << 8 | UInt64(b); taken += 1 }
            return taken == 8 ? k : k << (8 * UInt64(8 - taken))
        }
        let order = accountIds.indices.sorted { a, b in
            if prefixes[a] != prefixes[b] { return prefixes[a] < prefixes[b] }
            let x = accountIds[a].utf8, y = accountIds[b].utf8
            if !x.elementsEqual(y) { return x.lexicographicallyPrecedes(y) }
            return (day[a], line[a]) < (day[b], line[b])
        }
        if order.elementsEqual(accountIds.indices) { return self }
        var t = self
        t.accountIds = order.map { accountIds[$0] }; t.day = order.map { day[$0] };
        t.churned = order.map { churned[$0] }
        t.arr = order.map { arr[$0] }; t.line = order.map { line[$0] }
        return t
    }
}

/// "churned" → true and "renewed" → false from a cell's bytes, ASCII case and surrounding blanks ignored; nil for
/// anything else.
func outcomeWord(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
    let kept = blankTrimmed(p, n)
    guard kept.count == 7 else { return nil }
    func matches(_ word: StaticString) -> Bool {
        let w = word.utf8Start
        for k in 0..<7 where p[kept.lowerBound + k] | 0x20 != w[k] { return false }
        return true
    }
    if matches("churned") { return true }
    if matches("renewed") { return false }
    return nil
}
