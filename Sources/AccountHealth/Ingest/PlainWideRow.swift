/// The timeline scan's fast path for a plain row of the wide layout: one pass over the row's bytes that finds
/// the fields and parses the numbers as it goes (the general path finds every field's bounds first, then parses
/// each cell again). "Plain" is what nearly every row of a machine-written file is: no quotes, no carriage
/// return, the header's number of fields, an ASCII account id that does not start with a blank, and cells the
/// general path would accept. Any other row is declined (0) and read by the general path, which gives the same
/// values for every row this one accepts, and the error for a row this one declines.
struct PlainWideRow {
    /// What column c holds: a factor's slot (≥ 0), or one of the roles below.
    private let roles: UnsafeMutablePointer<Int32>
    let width: Int
    let delimiter: UInt8
    /// The delimiter in every byte of a word.
    private let stopWord: UInt64
    static let other: Int32 = -1, account: Int32 = -2, date: Int32 = -3, risk: Int32 = -4

    /// The fields of one accepted row.
    struct Row {
        var day: Int32 = 0
        var risk: UInt8 = RiskLevel.none.rawValue
        var accountStart = 0, accountLength = 0
    }

    init(width: Int, delimiter: UInt8, account: Int, date: Int, risk: Int, factorColumns: [Int]) {
        self.width = width
        self.delimiter = delimiter
        stopWord = Self.ones &* UInt64(delimiter)
        roles = .allocate(capacity: max(1, width))
        roles.initialize(repeating: PlainWideRow.other, count: max(1, width))
        roles[account] = PlainWideRow.account
        roles[date] = PlainWideRow.date
        if risk >= 0 { roles[risk] = PlainWideRow.risk }
        for (j, c) in factorColumns.enumerated() { roles[c] = Int32(j) }
    }

    func deallocate() { roles.deallocate() }

    private static let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
    private static let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A, quotes: UInt64 = 0x2222_2222_2222_2222
    private static let returns: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

    /// The high bit of each byte of `x` that equals the byte of `pattern` (SWAR zero-byte test). Exact up to the
    /// first such byte in memory order; a byte after it may be marked falsely (a borrow), never one before it.
    @inline(__always)
    static func bytesEqual(_ x: UInt64, _ pattern: UInt64) -> UInt64 {
        let v = x ^ pattern
        return (v &- ones) & ~v & highs
    }

    /// Reads the row at `b` (`count` bytes buffered, a newline at `b[count]`): the bytes it took, newline
    /// included, or 0 when the row is not plain or not whole in the buffer. Factor values go to `values` (NaN
    /// for an empty cell).
    @inline(__always)
    func read(
        _ b: UnsafePointer<UInt8>, count: Int, dates: DateCache, values: UnsafeMutablePointer<Double>,
        into row: inout Row
    ) -> Int {
        let d = delimiter
        var i = 0
        var c = 0
        while true {
            let s = i
            let role = roles[c]
            if role >= 0 {
                // [-]digits[.digits]: the value as the general parser's fast path computes it, else that parser.
                var k = i
                var negative = false
                if b[k] == 0x2D { negative = true; k &+= 1 }
                let digitsFrom = k
                var m: UInt64 = 0
                while case let x = b[k] &- 0x30, x < 10 { m = m &* 10 &+ UInt64(x); k &+= 1 }
                var digits = k &- digitsFrom
                var frac = 0
                if b[k] == 0x2E {
                    k &+= 1
                    let fracFrom = k
                    while case let x = b[k] &- 0x30, x < 10 { m = m &* 10 &+ UInt64(x); k &+= 1 }
                    frac = k &- fracFrom
                    digits &+= frac
                }
                let t = b[k]
                if (t == d || t == 0x0A) && k &- s <= 19 && m <= (1 << 53) && frac <= 22 && (digits > 0 || k == s) {
                    if k == s {
                        values[Int(role)] = .nan
                    } else {
                        let v = frac == 0 ? Double(m) : Double(m) / DecimalParser.powerOf10(frac)
                        values[Int(role)] = negative ? -v : v
                    }
                } else {
                    // Anything else (blanks, an exponent, many digits): to the cell's end, then the full parser.
                    while b[k] != d && b[k] != 0x0A { if b[k] == 0x0D || b[k] == 0x22 { return 0 }; k &+= 1 }
                    guard let v = DecimalParser.parse(b + s, k &- s) else { return 0 }
                    values[Int(role)] = v
                }
                i = k
            } else {
                // To the cell's end; a quote, a carriage return or a non-ASCII byte anywhere leaves the row to the
                // general path. Eight bytes at a time while they are buffered, then byte by byte.
                var k = i
                var unusual: UInt8 = 0
                while k &+ 8 <= count {
                    let x = UInt64(littleEndian: UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self))
                    let stop = Self.bytesEqual(x, stopWord) | Self.bytesEqual(x, Self.newlines)
                    let odd = Self.bytesEqual(x, Self.quotes) | Self.bytesEqual(x, Self.returns) | (x & Self.highs)
                    if stop == 0 {
                        if odd != 0 { return 0 }
                        k &+= 8
                        continue
                    }
                    // The first stop byte is exact (a false mark only follows a true one); an odd byte marked
                    // before it is a true one or follows one.
                    let before = stop.trailingZeroBitCount &- 7  // bits of the bytes before the stop byte
                    if odd & ((1 << UInt64(before)) &- 1) != 0 { return 0 }
                    k &+= before >> 3
                    break
                }
                while case let x = b[k], x != d && x != 0x0A {
                    unusual |= (x == 0x22 || x == 0x0D || x >= 0x80) ? 1 : 0
                    k &+= 1
                }
                if unusual != 0 { return 0 }
                let n = k &- s
                if role == PlainWideRow.account {
                    if n == 0 || b[s] == 0x20 || b[s] == 0x09 { return 0 }
                    row.accountStart = s
                    row.accountLength = n
                } else if role == PlainWideRow.date {
                    guard let day = dates.day(b + s, n) else { return 0 }
                    row.day = day
                } else if role == PlainWideRow.risk {
                    guard let r = RiskLevel.parse(b + s, n) else { return 0 }
                    row.risk = r.rawValue
                }
                i = k
            }
            c &+= 1
            if c == width {
                // The last cell must end the row with a real newline (not the one written past the data).
                return b[i] == 0x0A && i < count ? i &+ 1 : 0
            }
            if b[i] != d { return 0 }  // fewer cells than the header
            i &+= 1
        }
    }
}
