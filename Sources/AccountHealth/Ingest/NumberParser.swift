#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Exact decimal-to-double parsing of plain decimal numbers (`-12.5`, `3e4`, `.5`).
/// `nan`, `inf`, hex floats and anything with other characters are rejected.
public enum DecimalParser {
    /// 10^k for 0 ≤ k ≤ 22, exact: every intermediate product is an exactly representable double.
    @inlinable @inline(__always)
    static func powerOf10(_ k: Int) -> Double {
        var v = 1.0
        for _ in 0..<k { v *= 10 }
        return v
    }

    /// Parses the bytes `p[0..<n]` (surrounding spaces allowed). Returns nil when it is not a finite decimal number.
    @inlinable
    public static func parse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0, e = n
        // Indices stay within 0...n: wrapping arithmetic drops the overflow checks of this per-cell loop.
        while i < e && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        while e > i && (p[e &- 1] == 0x20 || p[e &- 1] == 0x09) { e &-= 1 }
        guard i < e else { return nil }
        // Fast path: at most 19 characters of [-]digits[.digits] cannot overflow the mantissa.
        if e &- i <= 19 {
            var k = i
            var neg = false
            if p[k] == 0x2D { neg = true; k &+= 1 }
            var m: UInt64 = 0
            var any = false
            while k < e, case let c = p[k] &- 0x30, c < 10 { m = m &* 10 &+ UInt64(c); k &+= 1; any = true }
            var frac = 0
            if k < e && p[k] == 0x2E {
                k &+= 1
                while k < e, case let c = p[k] &- 0x30, c < 10 {
                    m = m &* 10 &+ UInt64(c); k &+= 1; frac &+= 1; any = true
                }
            }
            if k == e && any && m <= (1 << 53) && frac <= 22 {
                let v = frac == 0 ? Double(m) : Double(m) / powerOf10(frac)
                return neg ? -v : v
            }
        }
        let start = i
        var negative = false
        if p[i] == 0x2D { negative = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits accumulated into mantissa
        var sawDigit = false
        var dropped = 0  // integer digits beyond 19 (scale up)
        var fracDigits = 0
        while i < e {
            let c = p[i] &- 0x30
            if c >= 10 { break }
            sawDigit = true
            if digits < 19 {
                if mantissa != 0 || c != 0 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(c)
            } else {
                dropped += 1
            }
            i += 1
        }
        var inexact = dropped > 0
        if i < e && p[i] == 0x2E {
            i += 1
            while i < e {
                let c = p[i] &- 0x30
                if c >= 10 { break }
                sawDigit = true
                if digits < 19 {
                    if mantissa != 0 || c != 0 { digits += 1 }
                    mantissa = mantissa &* 10 &+ UInt64(c)
                    fracDigits += 1
                } else if c != 0 {
                    inexact = true
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if i < e && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            var expNegative = false
            if i < e && p[i] == 0x2D { expNegative = true; i += 1 } else if i < e && p[i] == 0x2B { i += 1 }
            var sawExp = false
            while i < e {
                let c = p[i] &- 0x30
                if c >= 10 { break }
                sawExp = true
                if exponent < 100_000 { exponent = exponent * 10 + Int(c) }
                i += 1
            }
            guard sawExp else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == e else { return nil }
        let scale = exponent + dropped - fracDigits
        if !inexact && mantissa <= (1 << 53) {
            var v = Double(mantissa)
            if scale == 0 { return negative ? -v : v }
            if scale < 0 && scale >= -22 { v /= powerOf10(-scale); return negative ? -v : v }
            if scale > 0 && scale <= 22 { v *= powerOf10(scale); return negative ? -v : v }
        }
        return slowPath(p + start, e - start)
    }

    /// Correctly rounded conversion by the C library, for the rare long or extreme literal.
    @usableFromInline
    static func slowPath(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        guard n < 512 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf -> Double? in
            for k in 0..<n { buf[k] = CChar(bitPattern: p[k]) }
            buf[n] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(buf.baseAddress!, &end)
            guard v.isFinite else { return nil }
            return v
        }
    }

    /// Parses a decimal number (the timeline's syntax) from a string, or nil when it is not one.
    public static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { b in b.baseAddress.flatMap { parse($0, b.count) } }
    }
}
