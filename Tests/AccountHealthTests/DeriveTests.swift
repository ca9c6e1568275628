import AccountHealth
import Foundation
import Testing

@Suite struct EventTimeTests {
    func day(_ s: String) -> Int32 { EventLog.day(ofMicroseconds: EventTime.parse(s)!) }

    @Test func utcDayOfEachForm() {
        #expect(day("2024-01-08") == Day.parse("2024-01-08"))
        #expect(day("2024-01-08T00:00") == Day.parse("2024-01-08"))
        #expect(day("2024-01-07T23:30:00-02:00") == Day.parse("2024-01-08"))   // an offset across midnight
        #expect(day("2024-01-08T00:30:00+02:00") == Day.parse("2024-01-07"))
        #expect(day("2024-03-01T01:00+05:30") == Day.parse("2024-02-29"))      // and across a leap day
        #expect(day("1969-12-31T23:59:59.999999Z") == Day.parse("1969-12-31"))
        #expect(EventTime.parse("2024-01-08T10:00:00.1234567Z")! - EventTime.parse("2024-01-08T10:00Z")! == 123_456)
        #expect(EventTime.parse("2024-01-08T10:00Z") == EventTime.parse("2024-01-08T11:00+01:00"))
        for bad in ["2024-01-08T24:00", "2024-01-08T10:60", "2024-01-08T10", "2024-01-08 10:00", "2024-01-08T10:00:00.",
                    "2024-01-08Z", "2024-01-08T10:00+1:00", "2024-01-08T10:00+01", "2024-02-30", "", "T10:00", "2024-01-08T10:00:61"] {
            #expect(EventTime.parse(bad) == nil, "\(bad)")
        }
    }
}

/// The hand-made cases of Fixtures/derive, with the values worked out by hand from DESIGN §9.
@Suite struct DeriveRuleTests {
    @Test func handWorkedCases() throws {
        let dir = "\(fixtures)/derive"
        let log = try EventsReader(path: dir + "/events.csv").read()
        let metrics = try MetricsConfiguration.load(path: dir + "/metrics.yaml")
        let d = try Derive.timeline(log, metrics: metrics)
        let t = d.timeline
        #expect(d.grid == ["2024-01-01", "2024-01-08", "2024-01-15"].map { Day.parse($0)! })
        #expect(d.duplicateEvents == 2)
        #expect(d.diagnostics.contains { $0.kind == .unknownEventType && $0.message.contains("no_such_type") })
        func cell(_ account: String, _ date: String, _ factor: String) -> Double? {
            let code = t.summary.accounts.lookup(account)!
            let j = t.factors.firstIndex(of: factor)!
            guard let i = t.rows(ofAccount: code).first(where: { t.days[$0] == Day.parse(date)! }) else { return nil }
            return t.values[j][i]
        }
        // An event at d − w is out of the window, one at d (to its last microsecond) is in.
        #expect(cell("edge", "2024-01-01", "notes") == 1)
        #expect(cell("edge", "2024-01-08", "notes") == 2)
        #expect(cell("edge", "2024-01-15", "notes") == 0)
        #expect(cell("edge", "2024-01-15", "freshness") == 7)
        // Offsets move events across midnight: both logins fall in (01-01, 01-08]; the duplicates count once.
        #expect(cell("offset", "2024-01-08", "logins") == 7)
        #expect(cell("offset", "2024-01-15", "logins") == 0)
        // Latest: the later row wins a tie; an empty value is skipped; a window leaves an old value out.
        #expect(cell("ties", "2024-01-08", "qbr") == 5 && cell("ties", "2024-01-15", "qbr") == 5)
        #expect(cell("ties", "2024-01-08", "qbr_recent") == 5 && cell("ties", "2024-01-15", "qbr_recent")!.isNaN)
        // Empty values: counted by count, left out of the mean; a ratio with no denominator is empty.
        #expect(cell("empty", "2024-01-08", "nps_count") == 2 && cell("empty", "2024-01-08", "nps_mean") == 8)
        #expect(cell("empty", "2024-01-08", "task_completion") == 0 && cell("empty", "2024-01-15", "task_completion") == 1)
        #expect(cell("edge", "2024-01-08", "task_completion")!.isNaN)
        // A type that never occurs: 0 for a count.
        #expect(cell("edge", "2024-01-08", "never") == 0)
        // The first grid date of an account is the first on or after its first event.
        #expect(t.rows(ofAccount: t.summary.accounts.lookup("late")!).map { t.days[$0] } == [Day.parse("2024-01-15")!])
        #expect(t.rows(ofAccount: t.summary.accounts.lookup("offset")!).count == 2)
        #expect(cell("late", "2024-01-15", "freshness") == 6)
    }

    /// Sums over a long history keep their digits: a window's sum is a difference of two running totals,
    /// each kept with its rounding error, so a huge early value (1e16, where 0.1 is below one ulp) does not
    /// wipe out the window's 0.7 (plain running totals give 0 here). The error left is of the order of an ulp
    /// of the accumulated rounding error, not of the total.
    @Test func windowSumsDoNotLoseDigits() throws {
        var b = EventLogBuilder(file: "t")
        let base = EventTime.parse("2024-01-01")!
        for k in 0..<400 { b.append(account: "A", microseconds: base + Int64(k) * 86_400_000_000, type: "x", value: k == 0 ? 1e16 : 0.1) }
        let m = MetricsConfiguration(every: 7, start: Day.parse("2024-06-03"), factors: [.init(name: "s", kind: .sum(["x"]), window: 7)])
        let d = try Derive.timeline(b.build(), metrics: m)
        let s = d.timeline.values[0][0]
        #expect(abs(s - 0.7) < 1e-14, "\(s)")
    }
}
