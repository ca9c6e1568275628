extension SurvivalData {
    /// Reads counting-process rows from a CSV file: `stop` and `event` (0/1) required, `start` (default 0)
    /// and `id` (the subject, for clustered errors; default one subject per row) optional, and every other
    /// column a numeric factor. Every bad cell is a located error (exit 65); nothing is skipped.
    public static func read(path: String, delimiter: UInt8 = 0x2C) throws -> SurvivalData {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let file = reader.displayName
        var errors = ErrorCollector()
        var cells: CellReader! = nil
        var h: HeaderMap! = nil
        var factorColumns: [Int] = []
        var cols: [[Double]] = []
        var start: [Double] = [], stop: [Double] = [], event: [Bool] = [], subject: [Int32] = []
        var ids = Interner()
        var idNames: [String] = []
        try reader.read(
            header: { header in
                h = try HeaderMap(header, file: file, required: ["stop", "event"])
                cells = CellReader(file: file, header: h)
                let reserved: Set<String> = ["start", "stop", "event", "id"]
                factorColumns = h.names.indices.filter { !reserved.contains(h.names[$0].lowercased()) }
                cols = [[Double]](repeating: [], count: factorColumns.count)
            }, onError: { errors.add($0) },
            record: { rec in
                let before = errors.count
                var t0: Double? = 0
                if let si = h["start"] { t0 = requiredNumber(rec, si, cells, &errors) }
                let t1 = requiredNumber(rec, h["stop"]!, cells, &errors)
                var e: Bool? = nil
                let ei = h["event"]!
                if let v = requiredNumber(rec, ei, cells, &errors) {
                    if v == 0 || v == 1 {
                        e = v == 1
                    } else {
                        errors.add(
                            InputError(
                                .invalidNumber, cells.loc(rec, ei), value: rec.lossyString(ei), "event must be 0 or 1"))
                    }
                }
                if let a = t0, let b = t1, !(a < b) {
                    errors.add(
                        InputError(
                            .invalidNumber, cells.loc(rec, h["stop"]!), value: rec.lossyString(h["stop"]!),
                            "stop must be after start (\(a))"))
                }
                var row: [Double] = []
                for c in factorColumns { if let v = requiredNumber(rec, c, cells, &errors) { row.append(v) } }
                var code: Int32 = Int32(stop.count)
                if let ii = h["id"] {
                    guard let s = cells.text(rec, ii, required: true, &errors) else { return }
                    let before = ids.count
                    code = ids.intern(s)
                    if ids.count > before { idNames.append(s) }
                }
                guard errors.count == before, let a = t0, let b = t1, let e else { return }
                start.append(a); stop.append(b); event.append(e); subject.append(code)
                for j in row.indices { cols[j].append(row[j]) }
            })
        try errors.throwIfAny()
        guard !stop.isEmpty else { throw InputError(.noRows, Location(file: file), "the file has no rows") }
        let names = factorColumns.map { h.names[$0] }
        let x = Matrix(rows: stop.count, columns: names.count, storage: cols.flatMap { $0 })
        return try SurvivalData(
            names: names, start: start, stop: stop, event: event, x: x, subject: subject,
            subjectIds: h["id"] == nil ? nil : idNames)
    }
}

/// A number that must be present: empty or unparsable cells are located errors.
private func requiredNumber(
    _ rec: borrowing CSVRecord, _ i: Int, _ cells: CellReader, _ errors: inout ErrorCollector
) -> Double? {
    switch cells.number(rec, i, &errors) {
    case .some(.some(let v)): return v
    case .some(.none):
        errors.add(InputError(.emptyValue, cells.loc(rec, i), "\(cells.header.names[i]) is empty"))
        return nil
    case .none: return nil
    }
}
