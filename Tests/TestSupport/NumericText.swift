import Foundation

/// Compares two outputs as R's `all.equal` compares numbers: text and integers exactly, numbers with a
/// fraction or an exponent within a relative tolerance.
///
/// The tool promises the same bytes on one machine (two runs give the same output). Across processors
/// OpenBLAS picks another kernel, which sums in another order, so the last digits of a full-precision
/// number may differ (about 1e-12 relative); recorded outputs are therefore compared with this.
public enum NumericText {
    /// One piece of an output: a run of text, an integer, or a number with a fraction or an exponent.
    enum Token: Equatable {
        case text(String)
        case integer(String)
        case real(String, Double)
    }

    /// The first difference between `actual` and `expected`, or nil when they agree: every text token and
    /// integer equal, every other number within `relative` of the expected one (an absolute floor of
    /// `relative × 1e-6` lets values that are zero but for rounding agree).
    public static func difference(_ actual: String, _ expected: String, relative: Double = 1e-9) -> String? {
        if actual == expected { return nil }
        let a = tokens(actual), e = tokens(expected)
        for (i, (x, y)) in zip(a, e).enumerated() where !agree(x, y, relative) {
            return "token \(i): \(describe(x)) where \(describe(y)) was expected, in \(context(a, i))"
        }
        if a.count != e.count {
            return "\(a.count) tokens where \(e.count) were expected; the shorter ends at \(context(a.count < e.count ? e : a, min(a.count, e.count)))"
        }
        return nil
    }

    static func agree(_ x: Token, _ y: Token, _ relative: Double) -> Bool {
        switch (x, y) {
        case (.real(_, let u), .real(_, let v)):
            return abs(u - v) <= relative * max(abs(u), abs(v)) || abs(u - v) <= relative * 1e-6
        default:
            return x == y
        }
    }

    static func describe(_ t: Token) -> String {
        switch t {
        case .text(let s): return "text \"\(s)\""
        case .integer(let s): return "integer \(s)"
        case .real(let s, _): return "number \(s)"
        }
    }

    static func context(_ t: [Token], _ i: Int) -> String {
        let lo = max(0, i - 3), hi = min(t.count, i + 3)
        return "\"" + t[lo..<hi].map { tok -> String in
            switch tok { case .text(let s), .integer(let s), .real(let s, _): return s }
        }.joined() + "\""
    }

    /// Splits text into text runs and numbers. A sign belongs to a number only where it does not follow a
    /// letter or a digit (so `2024-06-03` is three integers joined by text, not a subtraction).
    static func tokens(_ s: String) -> [Token] {
        let b = Array(s.utf8)
        var out: [Token] = []
        var text: [UInt8] = []
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isWord(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F || c >= 0x80 }
        func flushText() {
            if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))); text.removeAll() }
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            let prevWord = i > 0 && (isWord(b[i - 1]) || b[i - 1] == 0x2E)
            let signed = (c == 0x2D || c == 0x2B) && i + 1 < b.count && isDigit(b[i + 1]) && !prevWord
            if isWord(c) && !isDigit(c) {
                // A word that starts with a letter (A000042, h90) is text, digits and all.
                while i < b.count && isWord(b[i]) { text.append(b[i]); i += 1 }
                continue
            }
            guard isDigit(c) || signed else { text.append(c); i += 1; continue }
            var j = i + (signed ? 1 : 0)
            while j < b.count && isDigit(b[j]) { j += 1 }
            var real = false
            if j + 1 < b.count && b[j] == 0x2E && isDigit(b[j + 1]) {
                real = true; j += 1
                while j < b.count && isDigit(b[j]) { j += 1 }
            }
            if j < b.count && (b[j] == 0x65 || b[j] == 0x45) {
                var k = j + 1
                if k < b.count && (b[k] == 0x2D || b[k] == 0x2B) { k += 1 }
                if k < b.count && isDigit(b[k]) {
                    real = true; j = k
                    while j < b.count && isDigit(b[j]) { j += 1 }
                }
            }
            // Letters right after the digits (90d, 2nd) are text of their own.
            flushText()
            let literal = String(decoding: b[i..<j], as: UTF8.self)
            if real, let v = Double(literal) { out.append(.real(literal, v)) } else { out.append(.integer(literal)) }
            i = j
        }
        flushText()
        return out
    }
}
