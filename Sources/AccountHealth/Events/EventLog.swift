/// A CRM's activity log (DESIGN §9), held columnar: one entry per event row in file order, with the
/// account and the type interned, the UTC instant in microseconds, and the value (NaN when empty).
public struct EventLog: Sendable {
    /// Where the events came from, for messages.
    public let file: String
    /// Account ids in order of first appearance (the order of the derived timeline).
    public let accounts: Interner
    /// Event types (trimmed) in order of first appearance.
    public let types: Interner
    /// Each event's account code (into `accounts`).
    public let account: [Int32]
    /// Each event's type code (into `types`).
    public let type: [Int32]
    /// Microseconds since 1970-01-01T00:00Z.
    public let time: [Int64]
    /// Each event's value.
    public let value: [Double]
    /// Data records read (header and blank lines excluded), all of them used.
    public let recordsRead: Int

    /// The number of events.
    public var count: Int { account.count }

    /// The UTC calendar day of an instant (microseconds since the epoch).
    @inline(__always)
    public static func day(ofMicroseconds t: Int64) -> Int32 {
        let perDay: Int64 = 86_400_000_000
        let q = t / perDay
        return Int32(truncatingIfNeeded: t % perDay < 0 ? q - 1 : q)
    }

    /// An event log from its columns.
    public init(
        file: String, accounts: Interner, types: Interner, account: [Int32], type: [Int32], time: [Int64],
        value: [Double],
        recordsRead: Int
    ) {
        self.file = file
        self.accounts = accounts
        self.types = types
        self.account = account
        self.type = type
        self.time = time
        self.value = value
        self.recordsRead = recordsRead
    }
}

/// Builds an `EventLog` from events given one at a time (a database query, a test): the way a new source
/// produces an activity log.
public struct EventLogBuilder: Sendable {
    /// The file the events come from.
    public let file: String
    private var accounts = Interner(capacity: 1024)
    private var types = Interner(capacity: 64)
    private var account: [Int32] = [], type: [Int32] = [], time: [Int64] = [], value: [Double] = []

    /// A builder for the events of a file.
    public init(file: String) { self.file = file }

    /// Adds an event at `microseconds` since 1970-01-01T00:00Z; `value` nil when empty.
    public mutating func append(account id: String, microseconds: Int64, type t: String, value v: Double?) {
        account.append(accounts.intern(id))
        type.append(types.intern(t.trimmingASCIISpaces()))
        time.append(microseconds)
        value.append(v ?? .nan)
    }

    /// The finished log.
    public func build() -> EventLog {
        EventLog(
            file: file, accounts: accounts, types: types, account: account, type: type, time: time, value: value,
            recordsRead: account.count)
    }
}

/// Event times: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM` offset
/// (none = UTC). Parsed from bytes, without Foundation's formatters.
public enum EventTime {
    /// Microseconds since 1970-01-01T00:00Z, or nil when the text is not such a time. Fraction digits beyond
    /// the sixth are read and dropped.
    public static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var s = 0, e = n
        while s < e && (p[s] == 0x20 || p[s] == 0x09) { s &+= 1 }
        while e > s && (p[e &- 1] == 0x20 || p[e &- 1] == 0x09) { e &-= 1 }
        guard e &- s >= 10, let day = Day.parse(p + s, 10) else { return nil }
        var micros = Int64(day) &* 86_400_000_000
        var i = s &+ 10
        if i == e { return micros }
        guard p[i] == 0x54 else { return nil }  // 'T'
        i &+= 1
        @inline(__always) func two(_ at: Int) -> Int? {
            guard at &+ 1 < e else { return nil }
            let a = p[at] &- 0x30, b = p[at &+ 1] &- 0x30
            return a < 10 && b < 10 ? Int(a) &* 10 &+ Int(b) : nil
        }
        guard let hh = two(i), hh < 24, i &+ 2 < e, p[i &+ 2] == 0x3A, let mm = two(i &+ 3), mm < 60 else { return nil }
        i &+= 5
        var seconds = 0
        var fraction: Int64 = 0
        if i < e && p[i] == 0x3A {
            guard let ss = two(i &+ 1), ss < 60 else { return nil }
            seconds = ss
            i &+= 3
            if i < e && p[i] == 0x2E {
                i &+= 1
                var digits = 0
                while i < e, case let c = p[i] &- 0x30, c < 10 {
                    if digits < 6 { fraction = fraction &* 10 &+ Int64(c) }
                    digits &+= 1
                    i &+= 1
                }
                guard digits > 0 else { return nil }
                for _ in min(digits, 6)..<6 { fraction &*= 10 }
            }
        }
        var offsetMinutes = 0
        if i < e {
            if p[i] == 0x5A && i &+ 1 == e {  // 'Z'
                i &+= 1
            } else if (p[i] == 0x2B || p[i] == 0x2D) && e &- i == 6 && p[i &+ 3] == 0x3A {
                guard let oh = two(i &+ 1), oh < 24, let om = two(i &+ 4), om < 60 else { return nil }
                offsetMinutes = (p[i] == 0x2B ? 1 : -1) &* (oh &* 60 &+ om)
                i = e
            } else {
                return nil
            }
        }
        guard i == e else { return nil }
        let local = Int64(hh &* 3600 &+ mm &* 60 &+ seconds &- offsetMinutes &* 60)
        micros &+= local &* 1_000_000 &+ fraction
        return micros
    }

    /// Parses an ISO 8601 date or date-time to microseconds since 1970-01-01T00:00Z, or nil.
    public static func parse(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { b in b.baseAddress.flatMap { parse($0, b.count) } }
    }
}
