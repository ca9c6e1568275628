/// A timeline held in memory, columnar: interned account ids, each account's rows in date order (one row per
/// account and date), one contiguous column of values per factor (NaN = empty) and the risk of each row.
/// Immutable once built; reading it replays its rows into a sink, so every analysis runs on it unchanged.
public struct Timeline: TimelineSource, Sendable {
    /// What reading the original source found (counts, dates, factors, the account dictionary).
    public let summary: TimelineSummary
    /// Rows of account code `a` are `accountStart[a] ..< accountStart[a + 1]`, in date order.
    public let accountStart: [Int]
    /// Each row's day (days since 1970-01-01), in row order.
    public let days: [Int32]
    /// `RiskLevel` raw values; `TimelineReader.riskUnspecified` where the row said nothing about risk.
    public let risks: [UInt8]
    /// One column per factor of `summary.factors`, NaN where the cell was empty.
    public let values: [[Double]]

    /// The file the timeline was read from.
    public var name: String { summary.file }
    /// The factor columns, in file order.
    public var factors: [String] { summary.factors }
    /// The number of distinct accounts.
    public var accountCount: Int { summary.accounts.count }
    /// The number of rows.
    public var rowCount: Int { days.count }

    /// Reads a source (a file, once) into memory.
    public static func load(from source: some TimelineSource) throws -> Timeline {
        var collector = RowCollector()
        let summary = try source.read(into: &collector)
        return collector.timeline(summary: summary)
    }

    init(summary: TimelineSummary, accountStart: [Int], days: [Int32], risks: [UInt8], values: [[Double]]) {
        self.summary = summary
        self.accountStart = accountStart
        self.days = days
        self.risks = risks
        self.values = values
    }

    /// The rows of one account (by code), in date order.
    public func rows(ofAccount code: Int32) -> Range<Int> { accountStart[Int(code)]..<accountStart[Int(code) + 1] }

    /// The timeline as columns (it is already in memory).
    public func columns() throws -> TimelineColumns {
        TimelineColumns(layout: summary.layout, factorNames: summary.layout == .wide ? summary.factors : nil)
    }

    /// The first and last day of the timeline, or nil when it has no rows.
    public func dateRange() throws -> (first: Int32, last: Int32)? {
        guard let f = summary.firstDay, let l = summary.lastDay else { return nil }
        return (f, l)
    }

    /// Replays every row, account by account (codes ascending), each account's rows in date order.
    public func read<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary {
        let nf = values.count
        sink.begin(factors: summary.factors)
        let row = UnsafeMutablePointer<Double>.allocate(capacity: max(1, nf))
        defer { row.deallocate() }
        let ids = summary.accounts
        for a in 0..<ids.count {
            let code = Int32(a)
            sink.newAccount(code, id: ids.string(code))
            for i in accountStart[a]..<accountStart[a + 1] {
                for j in 0..<nf { row[j] = values[j][i] }
                sink.row(account: code, day: days[i], risk: risks[i], values: row, line: 0)
            }
        }
        return summary
    }
}

/// Builds a `Timeline` from rows given one at a time: the way a new source (an activity log, a database
/// query) produces a dataset. Rows may come in any order; a second row of the same account and date is an error.
public struct TimelineBuilder: Sendable {
    /// The name the timeline is reported under.
    public let name: String
    /// The factor columns.
    public let factors: [String]
    /// Whether the rows carry a risk flag.
    public let hasRisk: Bool
    private var collector = RowCollector()
    private var records = 0
    private var valueCounts: [Int]
    private var firstDay = Int32.max, lastDay = Int32.min

    /// `name` is used in messages (a table, a file); `factors` are the value columns in order.
    public init(name: String, factors: [String], hasRisk: Bool) {
        self.name = name
        self.factors = factors
        self.hasRisk = hasRisk
        valueCounts = Array(repeating: 0, count: factors.count)
        collector.begin(factors: factors)
    }

    /// Adds one row: `values` has one entry per factor, NaN (or nil) where empty; `risk` nil means none.
    public mutating func append(account: String, day: Int32, risk: RiskLevel? = nil, values: [Double?]) throws {
        guard values.count == factors.count else {
            throw InputError(
                .raggedRow, Location(file: name), value: account,
                "a row has \(values.count) values for \(factors.count) factors")
        }
        let code = collector.accounts.intern(account)
        let row = values.map { $0 ?? .nan }
        for (j, v) in row.enumerated() where !v.isNaN {
            guard v.isFinite else {
                throw InputError(
                    .invalidNumber, Location(file: name, columnName: factors[j]), value: "\(v)",
                    "account \(account), \(Day.format(day)): not a finite number")
            }
            valueCounts[j] += 1
        }
        records += 1
        firstDay = min(firstDay, day)
        lastDay = max(lastDay, day)
        row.withUnsafeBufferPointer { b in
            collector.row(
                account: code, day: day, risk: (risk ?? RiskLevel.none).rawValue,
                values: b.baseAddress ?? UnsafePointer(bitPattern: 8)!, line: records)
        }
    }

    /// The timeline; throws `InputErrors` naming each duplicated (account, date).
    public func build() throws -> Timeline {
        let summary = TimelineSummary(
            file: name, layout: .wide, factors: factors, hasRisk: hasRisk, recordsRead: records,
            recordsUsed: records, rows: records, blankLines: 0, accounts: collector.accounts,
            firstDay: records > 0 ? firstDay : nil, lastDay: records > 0 ? lastDay : nil,
            valueCounts: valueCounts)
        var duplicates: [InputError] = []
        let t = collector.timeline(summary: summary, duplicates: &duplicates)
        if !duplicates.isEmpty { throw InputErrors(Array(duplicates.prefix(200)), truncated: duplicates.count > 200) }
        return t
    }
}

/// Keeps every row as it arrives (account code, date, risk, values), then sorts them into a `Timeline`.
struct RowCollector: TimelineSink, Sendable {
    /// The account dictionary of a builder (a reader's rows come with the reader's own dictionary).
    var accounts = Interner(capacity: 4096)
    var nf = 0
    var rowAccounts: [Int32] = []
    var rowDays: [Int32] = []
    var rowRisks: [UInt8] = []
    var rowValues: [Double] = []

    mutating func begin(factors: [String]) { nf = factors.count }

    mutating func row(account: Int32, day: Int32, risk: UInt8, values: UnsafePointer<Double>, line: Int) {
        rowAccounts.append(account)
        rowDays.append(day)
        rowRisks.append(risk)
        rowValues.append(contentsOf: UnsafeBufferPointer(start: values, count: nf))
    }

    func makeEmpty() -> RowCollector { var c = RowCollector(); c.nf = nf; return c }

    mutating func merge(_ other: RowCollector, accountMap: [Int32]) {
        rowAccounts.append(contentsOf: other.rowAccounts.map { accountMap[Int($0)] })
        rowDays.append(contentsOf: other.rowDays)
        rowRisks.append(contentsOf: other.rowRisks)
        rowValues.append(contentsOf: other.rowValues)
    }

    func timeline(summary: TimelineSummary) -> Timeline {
        var ignored: [InputError] = []
        return timeline(summary: summary, duplicates: &ignored)
    }

    /// Sorts the rows by account (code order) and date, keeping file order within a date, and merges the
    /// records of one account and date (a long layout's factors) into one row. Two records of the same date
    /// that both carry a value for one factor, or both a wide row, are reported in `duplicates`.
    func timeline(summary: TimelineSummary, duplicates: inout [InputError]) -> Timeline {
        let nAccounts = summary.accounts.count
        let n = rowDays.count
        let groups = AccountGroups(accounts: rowAccounts, count: nAccounts)
        var outStart = [Int](repeating: 0, count: nAccounts + 1)
        var days: [Int32] = [], risks: [UInt8] = []
        days.reserveCapacity(n); risks.reserveCapacity(n)
        var cols = [[Double]](repeating: [], count: nf)
        for j in 0..<nf { cols[j].reserveCapacity(n) }
        let wide = summary.layout == .wide
        var keys: [UInt64] = []
        for a in 0..<nAccounts {
            // By date, then file order.
            for r in AccountGroups.byDay(groups.rows(of: a), days: rowDays, into: &keys) {
                let i = Int(r)
                let d = rowDays[i]
                let out = days.count - 1
                if out >= outStart[a] && days[out] == d {
                    // The same account and date again: a long layout's other factor (or a duplicate).
                    var clash = wide
                    for j in 0..<nf {
                        let v = rowValues[i * nf + j]
                        if v.isNaN { continue }
                        if !cols[j][out].isNaN { clash = true }
                        cols[j][out] = v
                    }
                    if rowRisks[i] != TimelineReader.riskUnspecified {
                        if !wide && risks[out] != TimelineReader.riskUnspecified { clash = true }
                        risks[out] = rowRisks[i]
                    }
                    if clash {
                        duplicates.append(
                            InputError(
                                .duplicateRow, Location(file: summary.file),
                                value: "\(summary.accounts.string(Int32(a))),\(Day.format(d))",
                                "duplicate (account_id, date)"))
                    }
                } else {
                    days.append(d)
                    risks.append(rowRisks[i])
                    for j in 0..<nf { cols[j].append(rowValues[i * nf + j]) }
                }
            }
            outStart[a + 1] = days.count
        }
        return Timeline(summary: summary, accountStart: outStart, days: days, risks: risks, values: cols)
    }
}

extension Timeline {
    /// The timeline as it stood at the end of `day`: every row dated after it left out (accounts keep their
    /// codes; one whose rows all come later has none).
    public func truncated(through day: Int32) -> Timeline {
        let nf = values.count
        var start = [Int](repeating: 0, count: accountStart.count)
        var keep: [Int] = []
        keep.reserveCapacity(days.count)
        for a in 0..<(accountStart.count - 1) {
            for i in accountStart[a]..<accountStart[a + 1] where days[i] <= day { keep.append(i) }
            start[a + 1] = keep.count
        }
        var s = summary
        var counts = [Int](repeating: 0, count: nf)
        let cols = (0..<nf).map { j -> [Double] in
            let c = keep.map { values[j][$0] }
            counts[j] = c.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
            return c
        }
        let kept = keep.map { days[$0] }
        s.recordsRead = kept.count
        s.recordsUsed = kept.count
        s.rows = kept.count
        s.blankLines = 0
        s.valueCounts = counts
        s.firstDay = kept.min()
        s.lastDay = kept.max()
        return Timeline(summary: s, accountStart: start, days: kept, risks: keep.map { risks[$0] }, values: cols)
    }
}
