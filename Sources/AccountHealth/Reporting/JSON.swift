/// A JSON value with ordered object keys, so machine-readable output is byte-stable.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case int(Int)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Equal when they serialize to the same text.
    public static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

    /// A number, or null when absent or not finite.
    public static func num(_ v: Double?) -> JSON {
        guard let v, v.isFinite else { return .null }
        return .number(v)
    }

    /// A string, or null when absent.
    public static func str(_ v: String?) -> JSON { v.map(JSON.string) ?? .null }

    /// The JSON text: pretty (two-space indent, arrays of scalars on one line) or compact.
    public func serialized(pretty: Bool = true) -> String {
        var bytes: [UInt8] = []
        JSONWriter.value(self, into: &bytes, indent: pretty ? 0 : -1)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Shortest representation that reads back as the same double.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Whether this value is written on one line inside an array (anything but an array or an object).
    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

/// The bytes of JSON text: one writer for the `JSON` tree and for the encoder's nodes, so both give the same
/// bytes. Pretty output indents two spaces per level, keeps an array of scalars on one line, and writes
/// `"key": value`; compact output (indent -1) has no spaces at all.
enum JSONWriter {
    static func value(_ v: JSON, into out: inout [UInt8], indent: Int) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let x): number(x, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): string(s, into: &out)
        case .array(let a):
            array(count: a.count, scalars: a.allSatisfy(\.isScalar), into: &out, indent: indent) { i, out, inner in
                value(a[i], into: &out, indent: inner)
            }
        case .object(let o):
            object(count: o.count, into: &out, indent: indent) { i, out, inner in
                string(o[i].0, into: &out)
                out.append(contentsOf: inner >= 0 ? [0x3A, 0x20] : [0x3A])
                value(o[i].1, into: &out, indent: inner)
            }
        }
    }

    static func number(_ x: Double, into out: inout [UInt8]) {
        if x.isFinite { out.append(contentsOf: JSON.format(x).utf8) } else { out.append(contentsOf: "null".utf8) }
    }

    /// An array: `[]` when empty; scalars on one line (`[1, 2]`); anything else one item per line.
    static func array(
        count: Int, scalars: Bool, into out: inout [UInt8], indent: Int,
        item: (Int, inout [UInt8], Int) -> Void
    ) {
        guard count > 0 else { return out.append(contentsOf: [0x5B, 0x5D]) }
        let pretty = indent >= 0
        out.append(0x5B)
        for i in 0..<count {
            if i > 0 { out.append(0x2C) }
            if pretty && !scalars {
                newline(indent + 1, into: &out)
            } else if pretty && i > 0 {
                out.append(0x20)
            }
            item(i, &out, pretty ? indent + 1 : -1)
        }
        if pretty && !scalars { newline(indent, into: &out) }
        out.append(0x5D)
    }

    /// An object: `{}` when empty, else one member per line; `member` writes the key, the colon and the value.
    static func object(count: Int, into out: inout [UInt8], indent: Int, member: (Int, inout [UInt8], Int) -> Void) {
        guard count > 0 else { return out.append(contentsOf: [0x7B, 0x7D]) }
        let pretty = indent >= 0
        out.append(0x7B)
        for i in 0..<count {
            if i > 0 { out.append(0x2C) }
            if pretty { newline(indent + 1, into: &out) }
            member(i, &out, pretty ? indent + 1 : -1)
        }
        if pretty { newline(indent, into: &out) }
        out.append(0x7D)
    }

    static func newline(_ level: Int, into out: inout [UInt8]) {
        out.append(0x0A)
        for _ in 0..<(2 * level) { out.append(0x20) }
    }

    /// A string in quotes: `"` and `\\` escaped, newline, return and tab as `\n`, `\r`, `\t`, other control
    /// characters as `\u00xx`; everything else (UTF-8 included) as it is.
    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
