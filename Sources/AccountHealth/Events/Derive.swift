/// What `derive` made of an activity log: the factor timeline and what it found on the way.
public struct DerivedTimeline: Sendable {
    /// The derived score timeline.
    public var timeline: Timeline
    /// The grid dates (every account's rows are a suffix of them).
    public var grid: [Int32]
    /// Event rows that exactly repeat an earlier one (same account, instant, type and value): used once.
    public var duplicateEvents: Int
    /// Accounts whose first event comes after the last grid date: no rows.
    public var accountsWithoutRows: Int
    /// What the derivation noticed (duplicates, accounts without rows).
    public var diagnostics: [Diagnostic]
}

/// Factors from activity events (DESIGN §9): each metric on a regular grid of dates, per account in one
/// sorted sweep (no window is scanned again per date).
public enum Derive {
    /// The derived timeline, in memory.
    public static func timeline(_ log: EventLog, metrics: MetricsConfiguration) throws -> DerivedTimeline {
        let nf = metrics.factors.count
        var columns = [[Double]](repeating: [], count: nf)
        var days: [Int32] = [], accountStart = [Int](repeating: 0, count: log.accounts.count + 1)
        var filled = 0
        let run = try sweep(log, metrics: metrics) { a, rowDays, values in
            // Accounts without rows (codes skipped) keep empty ranges.
            while filled < Int(a) { accountStart[filled + 1] = days.count; filled += 1 }
            days.append(contentsOf: rowDays)
            for j in 0..<nf { columns[j].append(contentsOf: values[j]) }
            accountStart[Int(a) + 1] = days.count
            filled = Int(a) + 1
        }
        while filled < log.accounts.count { accountStart[filled + 1] = days.count; filled += 1 }
        var counts = [Int](repeating: 0, count: nf)
        for j in 0..<nf { counts[j] = columns[j].reduce(0) { $0 + ($1.isNaN ? 0 : 1) } }
        let summary = TimelineSummary(
            file: log.file, layout: .wide, factors: metrics.factors.map(\.name), hasRisk: false,
            recordsRead: days.count, recordsUsed: days.count, rows: days.count, blankLines: 0,
            accounts: log.accounts, firstDay: days.min(), lastDay: days.max(), valueCounts: counts)
        let risks = [UInt8](repeating: RiskLevel.none.rawValue, count: days.count)
        return DerivedTimeline(
            timeline: Timeline(summary: summary, accountStart: accountStart, days: days, risks: risks, values: columns),
            grid: run.grid, duplicateEvents: run.duplicateEvents, accountsWithoutRows: run.accountsWithoutRows,
            diagnostics: run.diagnostics)
    }

    /// What a sweep found besides the rows.
    public struct Sweep: Sendable {
        /// The days the timeline is sampled at.
        public var grid: [Int32]
        /// Events counted twice in the log (the same account, type, time and value).
        public var duplicateEvents: Int
        /// Accounts in the log that got no timeline row.
        public var accountsWithoutRows: Int
        /// What the sweep noticed.
        public var diagnostics: [Diagnostic]
    }

    /// Computes every account's rows in account order (codes: first appearance in the file) and hands them to
    /// `emit`: the account, its grid dates, and per factor the values of those dates (NaN = empty). Nothing
    /// but one account's rows is held, so a caller that writes them out needs no memory for the timeline.
    public static func sweep(
        _ log: EventLog, metrics: MetricsConfiguration,
        emit: (_ account: Int32, _ days: ArraySlice<Int32>, _ values: [[Double]]) throws -> Void
    ) throws -> Sweep {
        guard log.count > 0 else {
            throw InputError(.noRows, Location(file: log.file), "the events file has no events")
        }
        // Definitions built in code bypass the parser's checks: the same limits here.
        guard metrics.every > 0, metrics.every <= MetricsConfiguration.maxDays,
            metrics.factors.allSatisfy({ ($0.window ?? 1) > 0 && ($0.window ?? 1) <= MetricsConfiguration.maxDays })
        else {
            throw InputError(
                .invalidConfiguration, Location(file: metrics.file),
                "metrics: every and each window must be whole numbers of days from 1 to \(MetricsConfiguration.maxDays)"
            )
        }
        // The grid.
        var firstDay = Int32.max, lastDay = Int32.min
        for t in log.time {
            let d = EventLog.day(ofMicroseconds: t); if d < firstDay { firstDay = d }; if d > lastDay { lastDay = d }
        }
        let start = metrics.start ?? firstDay, end = metrics.end ?? lastDay
        var grid: [Int32] = []
        var g = start
        while g <= end { grid.append(g); g += Int32(metrics.every) }
        guard !grid.isEmpty else {
            throw InputError(
                .invalidConfiguration, Location(file: metrics.file), value: Day.format(start),
                "metrics: no grid date between the start \(Day.format(start)) and the end \(Day.format(end))")
        }
        // Per metric, which types it reads (by the log's type codes); a listed type that never occurs is reported.
        var diagnostics = metrics.diagnostics
        let nTypes = log.types.count
        func codes(_ names: [String]) -> [Bool] {
            var member = [Bool](repeating: false, count: nTypes)
            for n in names { if let c = log.types.lookup(n) { member[Int(c)] = true } }
            return member
        }
        var missingTypes: [String] = []
        for f in metrics.factors {
            for t in f.kind.types where log.types.lookup(t) == nil && !missingTypes.contains(t) {
                missingTypes.append(t)
            }
        }
        if !missingTypes.isEmpty {
            diagnostics.append(
                Diagnostic(
                    .unknownEventType,
                    message:
                        "\(missingTypes.count) listed event type(s) never occur in \(log.file): "
                        + "\(missingTypes.map { "'\($0)'" }.joined(separator: ", ")) (their metrics are 0 or empty)"
                ))
        }
        // One plan per factor: what it computes and the type sets it reads (the denominator's for a ratio).
        enum Op { case count, sum, mean, ratio, daysSince, latest }
        struct Plan { var op: Op; var a: [Bool]; var b: [Bool]; var window: Int32? }
        let plans: [Plan] = metrics.factors.map { f in
            let w = f.window.map(Int32.init)
            switch f.kind {
            case .count(let t): return Plan(op: .count, a: codes(t), b: [], window: w)
            case .sum(let t): return Plan(op: .sum, a: codes(t), b: [], window: w)
            case .mean(let t): return Plan(op: .mean, a: codes(t), b: [], window: w)
            case .ratio(let n, let d): return Plan(op: .ratio, a: codes(n), b: codes(d), window: w)
            case .daysSince(let t): return Plan(op: .daysSince, a: codes(t), b: [], window: nil)
            case .latest(let t): return Plan(op: .latest, a: codes(t), b: [], window: w)
            }
        }
        // Events grouped by account (a counting sort keeps file order), then each account's by time.
        let nAccounts = log.accounts.count
        let groups = AccountGroups(accounts: log.account, count: nAccounts)
        let nf = plans.count
        var columns = [[Double]](repeating: [], count: nf)  // one account's rows at a time
        var duplicates = 0, withoutRows = 0
        // Reused per account: the events in time order, and per metric the matching days and values.
        var sorted: [Int32] = []
        var evDay: [Int32] = [], evValue: [Double] = []
        var numDays: [Int32] = [], denDays: [Int32] = []
        var prefix: [Double] = [], prefixLow: [Double] = [], prefixCount: [Int] = []
        var kept: [Int32] = []
        for a in 0..<nAccounts {
            sorted.removeAll(keepingCapacity: true)
            sorted.append(contentsOf: groups.rows(of: a))
            // By time, then file order (the slice is in file order; a stable sort keeps it).
            var isSorted = true
            for k in 1..<max(sorted.count, 1) where log.time[Int(sorted[k])] < log.time[Int(sorted[k - 1])] {
                isSorted = false; break
            }
            if !isSorted {
                let t = log.time
                sorted.sort { t[Int($0)] != t[Int($1)] ? t[Int($0)] < t[Int($1)] : $0 < $1 }
            }
            // Exact duplicates (same instant, type and value as an earlier row) are used once.
            var k = 0, runStart = 0
            kept.removeAll(keepingCapacity: true)
            while k < sorted.count {
                let i = Int(sorted[k])
                if k == 0 || log.time[i] != log.time[Int(sorted[k - 1])] { runStart = kept.count }
                var dup = false
                for j in runStart..<kept.count {
                    let o = Int(kept[j])
                    if log.type[o] == log.type[i]
                        && (log.value[o] == log.value[i] || (log.value[o].isNaN && log.value[i].isNaN))
                    {
                        dup = true; break
                    }
                }
                if dup { duplicates += 1 } else { kept.append(Int32(i)) }
                k += 1
            }
            guard let firstEvent = kept.first else { continue }
            let first = EventLog.day(ofMicroseconds: log.time[Int(firstEvent)])
            let g0 = grid.upperBound(first - 1)  // the first grid date on or after the first event
            if g0 == grid.count { withoutRows += 1; continue }
            let rows = grid.count - g0
            for j in 0..<nf { columns[j].removeAll(keepingCapacity: true) }
            /// The days (and values) of the account's events of the member types, in time order.
            func collect(_ member: [Bool], days: inout [Int32], values: inout [Double], withValues: Bool) {
                days.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
                for e in kept {
                    let i = Int(e)
                    if member[Int(log.type[i])] {
                        days.append(EventLog.day(ofMicroseconds: log.time[i]))
                        if withValues { values.append(log.value[i]) }
                    }
                }
            }
            for (f, plan) in plans.enumerated() {
                collect(plan.a, days: &evDay, values: &evValue, withValues: true)
                switch plan.op {
                case .count, .sum, .mean:
                    // Prefix sums over the events in time order: counts, non-empty values, and their sum kept
                    // in two doubles (the running total and its accumulated rounding error), so that a window's sum
                    // (a difference of two prefixes) does not lose the digits a large running total would.
                    prefix.removeAll(keepingCapacity: true); prefixLow.removeAll(keepingCapacity: true)
                    prefixCount.removeAll(keepingCapacity: true)
                    var hi = 0.0, lo = 0.0, c = 0
                    prefix.append(0); prefixLow.append(0); prefixCount.append(0)
                    for v in evValue {
                        if !v.isNaN { (hi, lo) = Derive.add(hi, lo, v); c += 1 }
                        prefix.append(hi); prefixLow.append(lo); prefixCount.append(c)
                    }
                    var upper = 0, lower = 0
                    for r in 0..<rows {
                        let d = grid[g0 + r]
                        while upper < evDay.count && evDay[upper] <= d { upper += 1 }
                        if let w = plan.window { while lower < upper && evDay[lower] <= d - w { lower += 1 } }
                        if plan.op == .count { columns[f].append(Double(upper - lower)); continue }
                        let s = Derive.difference(prefix[upper], prefixLow[upper], prefix[lower], prefixLow[lower])
                        let m = prefixCount[upper] - prefixCount[lower]
                        columns[f].append(plan.op == .sum ? (m == 0 ? 0 : s) : (m == 0 ? .nan : s / Double(m)))
                    }
                case .ratio:
                    swap(&numDays, &evDay)
                    collect(plan.b, days: &denDays, values: &evValue, withValues: false)
                    var nu = 0, nl = 0, du = 0, dl = 0
                    for r in 0..<rows {
                        let d = grid[g0 + r]
                        while nu < numDays.count && numDays[nu] <= d { nu += 1 }
                        while du < denDays.count && denDays[du] <= d { du += 1 }
                        if let w = plan.window {
                            while nl < nu && numDays[nl] <= d - w { nl += 1 }
                            while dl < du && denDays[dl] <= d - w { dl += 1 }
                        }
                        columns[f].append(du - dl == 0 ? .nan : Double(nu - nl) / Double(du - dl))
                    }
                case .daysSince:
                    var upper = 0
                    for r in 0..<rows {
                        let d = grid[g0 + r]
                        while upper < evDay.count && evDay[upper] <= d { upper += 1 }
                        columns[f].append(upper == 0 ? .nan : Double(d - evDay[upper - 1]))
                    }
                case .latest:
                    // The latest event with a value on or before d (by time, the later row on a tie: the
                    // events are in that order, so the last one passed wins).
                    var upper = 0
                    var latestDay: Int32 = 0, latestValue = Double.nan
                    for r in 0..<rows {
                        let d = grid[g0 + r]
                        while upper < evDay.count && evDay[upper] <= d {
                            if !evValue[upper].isNaN { latestDay = evDay[upper]; latestValue = evValue[upper] }
                            upper += 1
                        }
                        let stale = plan.window.map { latestDay <= d - $0 } ?? false
                        columns[f].append(latestValue.isNaN || stale ? .nan : latestValue)
                    }
                }
            }
            try emit(Int32(a), grid[g0...], columns)
        }
        if duplicates > 0 {
            diagnostics.append(
                Diagnostic(
                    .duplicateEvents,
                    message:
                        "\(duplicates) event row(s) exactly repeat an earlier one (same account, time, type and "
                        + "value): each used once"
                ))
        }
        if withoutRows > 0 {
            diagnostics.append(
                Diagnostic(
                    .accountsWithoutRows,
                    message:
                        "\(withoutRows) account(s) have their first event after the last grid date "
                        + "(\(Day.format(grid.last!))): no rows"
                ))
        }
        return Sweep(
            grid: grid, duplicateEvents: duplicates, accountsWithoutRows: withoutRows, diagnostics: diagnostics)
    }

    /// (hi, lo) + v with the rounding error kept (Knuth's two-sum).
    @inline(__always)
    static func add(_ hi: Double, _ lo: Double, _ v: Double) -> (Double, Double) {
        let s = hi + v
        let bp = s - hi
        let err = (hi - (s - bp)) + (v - bp)
        return (s, lo + err)
    }

    /// (aHi + aLo) − (bHi + bLo), rounded once.
    @inline(__always)
    static func difference(_ aHi: Double, _ aLo: Double, _ bHi: Double, _ bLo: Double) -> Double {
        let (s, e) = add(aHi, 0, -bHi)
        return s + (e + (aLo - bLo))
    }

    /// Derives the timeline CSV (DESIGN §9) and hands it to `output` in blocks of about 1 MB, one account at a
    /// time: the memory is the events', not the timeline's.
    public static func writeCSV(
        _ log: EventLog, metrics: MetricsConfiguration,
        to output: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws -> Sweep {
        var line = ByteLine()
        line.append("account_id,date" + metrics.factors.map { "," + ResultTable.csvField($0.name) }.joined() + "\n")
        let ids = log.accounts
        let run = try sweep(log, metrics: metrics) { a, days, values in
            let id = ResultTable.csvField(ids.string(a))
            for (r, d) in days.enumerated() {
                line.append(id); line.append(byte: 0x2C); line.append(day: d)
                for j in 0..<values.count {
                    line.append(byte: 0x2C)
                    let v = values[j][r]
                    if v.isFinite { line.append(NumberFormat.exact(v)) }
                }
                line.append(byte: 0x0A)
            }
            if line.bytes.count > 1 << 20 {
                try line.bytes.withUnsafeBufferPointer { try output($0) }
                line.bytes.removeAll(keepingCapacity: true)
            }
        }
        try line.bytes.withUnsafeBufferPointer { try output($0) }
        return run
    }
}
