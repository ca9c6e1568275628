/// Calendar dates as days since 1970-01-01 (proleptic Gregorian), parsed strictly from `YYYY-MM-DD`.
public enum Day {
    /// Days since 1970-01-01 for a civil date (H. Hinnant's algorithm). Wrapping arithmetic: every caller
    /// passes a validated year, month and day, far from overflow, and this runs once per parsed row.
    @inlinable
    public static func from(year: Int, month: Int, day: Int) -> Int32 {
        let y = month <= 2 ? year &- 1 : year
        let era = (y >= 0 ? y : y &- 399) / 400
        let yoe = y &- era &* 400
        let mp = (month &+ 9) % 12
        let doy = (153 &* mp &+ 2) / 5 &+ day &- 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return Int32(truncatingIfNeeded: era &* 146097 &+ doe &- 719468)
    }

    /// The civil date of a day number.
    public static func civil(_ days: Int32) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Whether `y` is a leap year in the proleptic Gregorian calendar.
    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// The number of days in a month of a year.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses exactly `YYYY-MM-DD` (surrounding spaces allowed); nil for anything else or an impossible date.
    @inlinable
    public static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        var s = 0, e = n
        while s < e && (p[s] == 0x20 || p[s] == 0x09) { s &+= 1 }
        while e > s && (p[e &- 1] == 0x20 || p[e &- 1] == 0x09) { e &-= 1 }
        guard e &- s == 10, p[s &+ 4] == 0x2D, p[s &+ 7] == 0x2D else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let c = p[s &+ i] &- 0x30
            return c < 10 ? Int(c) : nil
        }
        guard let y0 = digit(0), let y1 = digit(1), let y2 = digit(2), let y3 = digit(3),
            let m0 = digit(5), let m1 = digit(6), let d0 = digit(8), let d1 = digit(9)
        else { return nil }
        // Single digits: no overflow possible.
        let year = y0 &* 1000 &+ y1 &* 100 &+ y2 &* 10 &+ y3
        let month = m0 &* 10 &+ m1
        let day = d0 &* 10 &+ d1
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return from(year: year, month: month, day: day)
    }

    /// Parses a `YYYY-MM-DD` date to days since 1970-01-01, or nil when it is not a valid date.
    public static func parse(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { b in b.baseAddress.flatMap { parse($0, b.count) } }
    }

    /// `YYYY-MM-DD`.
    public static func format(_ days: Int32) -> String {
        let (y, m, d) = civil(days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
