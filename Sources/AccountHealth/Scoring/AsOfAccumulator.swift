/// Streams a timeline and keeps, per account and per query date, the latest non-empty value of
/// each wanted factor on or before that date (with its date), and the risk of the latest row.
///
/// Rows are filed into the bucket of the first query date on or after them (one binary search a row),
/// then buckets are carried forward once at the end: memory is accounts × dates × factors, not rows.
public struct AsOfAccumulator: TimelineSink {
    public static let noDay = Int32.min

    public let queryDays: [Int32]
    /// The factors kept, by name (matched case-insensitively to timeline columns).
    public let wanted: [String]
    private var slotOfColumn: [(column: Int, slot: Int)] = []
    public private(set) var accountCount = 0
    private var values: [Double] = []
    private var valueDays: [Int32] = []
    private var rowDays: [Int32] = []
    private var risks: [UInt8] = []
    private var finalized = false
    /// Timeline factor names, as read.
    public private(set) var timelineFactors: [String] = []

    public init(queryDays: [Int32], factors: [String]) {
        self.queryDays = Array(Set(queryDays)).sorted()
        self.wanted = factors
    }

    public mutating func begin(factors: [String]) {
        timelineFactors = factors
        let lower = factors.map { $0.lowercased() }
        slotOfColumn = []
        for (slot, name) in wanted.enumerated() {
            if let c = lower.firstIndex(of: name.lowercased()) { slotOfColumn.append((c, slot)) }
        }
    }

    @inline(__always)
    private func bucket(_ day: Int32) -> Int {
        var lo = 0, hi = queryDays.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if queryDays[mid] < day { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private mutating func addAccounts(upTo account: Int) {
        let nq = queryDays.count, nf = wanted.count
        let add = (account + 1 - accountCount)
        values.append(contentsOf: repeatElement(.nan, count: add * nq * nf))
        valueDays.append(contentsOf: repeatElement(AsOfAccumulator.noDay, count: add * nq * nf))
        rowDays.append(contentsOf: repeatElement(AsOfAccumulator.noDay, count: add * nq))
        risks.append(contentsOf: repeatElement(0, count: add * nq))
        accountCount = account + 1
    }

    public mutating func row(account: Int32, day: Int32, risk: UInt8, values rowValues: UnsafePointer<Double>, line: Int) {
        let a = Int(account)
        if a >= accountCount { addAccounts(upTo: a) }
        let b = bucket(day)
        if b == queryDays.count { return }   // after every query date
        let cell = a * queryDays.count + b
        // The risk is kept raw (`riskUnspecified` for a long-layout row of another factor) so that a
        // risk row of the same date, read later or by the other thread, still wins.
        if day > rowDays[cell] {
            rowDays[cell] = day
            risks[cell] = risk
        } else if day == rowDays[cell] && risk != TimelineReader.riskUnspecified {
            risks[cell] = risk      // long layout: the risk entry of the same date
        }
        let nf = wanted.count
        let base = cell * nf
        for (c, slot) in slotOfColumn {
            let v = rowValues[c]
            if !v.isNaN && day >= valueDays[base + slot] {
                valueDays[base + slot] = day
                values[base + slot] = v
            }
        }
    }

    public func makeEmpty() -> AsOfAccumulator {
        var a = AsOfAccumulator(queryDays: queryDays, factors: wanted)
        a.begin(factors: timelineFactors)
        return a
    }

    public mutating func merge(_ other: AsOfAccumulator, accountMap: [Int32]) {
        let nq = queryDays.count, nf = wanted.count
        for b in 0..<other.accountCount {
            let a = Int(accountMap[b])
            if a >= accountCount { addAccounts(upTo: a) }
            for k in 0..<nq {
                let mine = a * nq + k, theirs = b * nq + k
                if other.rowDays[theirs] > rowDays[mine] {
                    rowDays[mine] = other.rowDays[theirs]
                    risks[mine] = other.risks[theirs]
                } else if other.rowDays[theirs] == rowDays[mine] && other.risks[theirs] != TimelineReader.riskUnspecified {
                    risks[mine] = other.risks[theirs]
                }
                for f in 0..<nf where other.valueDays[theirs * nf + f] > valueDays[mine * nf + f] {
                    valueDays[mine * nf + f] = other.valueDays[theirs * nf + f]
                    values[mine * nf + f] = other.values[theirs * nf + f]
                }
            }
        }
    }

    /// Carries each bucket forward into the later ones (call once, after reading).
    public mutating func finish() {
        guard !finalized else { return }
        finalized = true
        let nq = queryDays.count, nf = wanted.count
        if accountCount == 0 { return }
        for a in 0..<accountCount {
            for k in 1..<max(nq, 1) {
                let cell = a * nq + k, prev = cell - 1
                if rowDays[cell] == AsOfAccumulator.noDay {
                    rowDays[cell] = rowDays[prev]
                    risks[cell] = risks[prev]
                }
                for f in 0..<nf where valueDays[cell * nf + f] == AsOfAccumulator.noDay {
                    valueDays[cell * nf + f] = valueDays[prev * nf + f]
                    values[cell * nf + f] = values[prev * nf + f]
                }
            }
        }
    }

    /// The as-of state of an account at query date index `k` (after `finish()`).
    public func state(account: Int, query k: Int) -> AsOfState {
        let cell = account * queryDays.count + k
        let nf = wanted.count
        return AsOfState(asOf: queryDays[k],
                         latestRowDay: rowDays[cell] == AsOfAccumulator.noDay ? nil : rowDays[cell],
                         risk: RiskLevel(rawValue: risks[cell]) ?? .none,   // unspecified → none
                         values: Array(values[(cell * nf)..<(cell * nf + nf)]),
                         valueDays: valueDays[(cell * nf)..<(cell * nf + nf)].map { $0 == AsOfAccumulator.noDay ? nil : $0 })
    }

    /// The index of a query date.
    public func queryIndex(_ day: Int32) -> Int? {
        let b = bucket(day)
        return b < queryDays.count && queryDays[b] == day ? b : nil
    }
}

/// What the timeline says about one account at one date: the latest value of each factor
/// (NaN when none yet) and its date, and the risk of the latest row.
public struct AsOfState: Sendable, Equatable {
    public var asOf: Int32
    /// nil when the account has no row on or before `asOf` (it gets no score).
    public var latestRowDay: Int32?
    public var risk: RiskLevel
    /// Raw values in the order of the accumulator's wanted factors; NaN = no value yet.
    public var values: [Double]
    public var valueDays: [Int32?]

    public init(asOf: Int32, latestRowDay: Int32?, risk: RiskLevel, values: [Double], valueDays: [Int32?]) {
        self.asOf = asOf
        self.latestRowDay = latestRowDay
        self.risk = risk
        self.values = values
        self.valueDays = valueDays
    }
}
