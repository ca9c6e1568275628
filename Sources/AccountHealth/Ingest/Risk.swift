/// The risk flag of a timeline row.
public enum RiskLevel: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case none = 0, low = 1, medium = 2, high = 3

    /// Ordered by severity.
    public static func < (a: RiskLevel, b: RiskLevel) -> Bool { a.rawValue < b.rawValue }

    /// The level's name as the files write it.
    public var description: String {
        switch self {
        case .none: return "none"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        }
    }

    /// Parses `none|low|medium|high` case-insensitively; an empty cell is `none`.
    @inlinable
    public static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> RiskLevel? {
        var s = 0, e = n
        while s < e && (p[s] == 0x20 || p[s] == 0x09) { s += 1 }
        while e > s && (p[e - 1] == 0x20 || p[e - 1] == 0x09) { e -= 1 }
        let len = e - s
        if len == 0 { return RiskLevel.none }
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c }
        func matches(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == len else { return false }
            let w = word.utf8Start
            for i in 0..<len where lower(p[s + i]) != w[i] { return false }
            return true
        }
        if matches("none") { return RiskLevel.none }
        if matches("low") { return .low }
        if matches("medium") { return .medium }
        if matches("high") { return .high }
        return nil
    }

    /// The level of a name as the files write it, or nil.
    public init?(name: String) {
        var s = name
        guard let v = s.withUTF8({ b in b.baseAddress.flatMap { RiskLevel.parse($0, b.count) } }) else { return nil }
        self = v
    }
}
