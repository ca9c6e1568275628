import Foundation
import Yams

/// One factor of a weight configuration.
public struct FactorSpec: Sendable, Equatable {
    /// The factor's column name.
    public var name: String
    /// The factor's weight.
    public var weight: Double
    /// An optional factor with no value is left out of both sums.
    public var optional: Bool = false
    /// Linear map of raw values to 0–100 (then clamped).
    public var scaleMin: Double? = nil
    /// The raw value that maps to 100.
    public var scaleMax: Double? = nil
    /// Higher raw value = less healthy.
    public var invert: Bool = false
    /// Entered by a person (e.g. satisfaction).
    public var manual: Bool = false

    /// A factor with a weight, optional flag, scale, direction and manual flag.
    public init(
        name: String, weight: Double, optional: Bool = false, scale: (min: Double, max: Double)? = nil,
        invert: Bool = false, manual: Bool = false
    ) {
        self.name = name
        self.weight = weight
        self.optional = optional
        self.scaleMin = scale?.min
        self.scaleMax = scale?.max
        self.invert = invert
        self.manual = manual
    }

    /// The raw value mapped to 0–100: scale, clamp, invert (DESIGN §3).
    @inlinable
    public func points(_ raw: Double) -> Double {
        var x = raw
        if let lo = scaleMin, let hi = scaleMax { x = 100 * (x - lo) / (hi - lo) }
        x = min(max(x, 0), 100)
        return invert ? 100 - x : x
    }
}

/// A named band; a score belongs to the first band whose `below` exceeds it.
public struct Band: Sendable, Equatable {
    /// The band's name.
    public var name: String
    /// Scores below this belong to the band (nil for the last band).
    public var below: Double?
    /// A band.
    public init(name: String, below: Double?) { self.name = name; self.below = below }
}

/// The rules that turn factor values into a score: weights, risk penalty, bands, period, staleness.
public struct ScoringRules: Sendable, Equatable {
    /// The factors and their weights.
    public var factors: [FactorSpec]
    /// Penalty indexed by `RiskLevel.rawValue` (none, low, medium, high).
    public var riskPenalty: [Double] = [0, 0, 0, 0]
    /// The bands, worst first.
    public var bands: [Band] = ScoringRules.defaultBands
    /// Days between the scores a change is measured over.
    public var period: Int = 30
    /// Days after which a value is stale.
    public var staleAfter: Int = 90

    /// red below 40, yellow below 70, green.
    public static let defaultBands = [
        Band(name: "red", below: 40), Band(name: "yellow", below: 70), Band(name: "green", below: nil),
    ]

    /// Scoring rules.
    public init(
        factors: [FactorSpec], riskPenalty: [Double] = [0, 0, 0, 0], bands: [Band] = ScoringRules.defaultBands,
        period: Int = 30, staleAfter: Int = 90
    ) {
        self.factors = factors
        self.riskPenalty = riskPenalty
        self.bands = bands
        self.period = period
        self.staleAfter = staleAfter
    }

    /// The index of the band of a score: the first whose `below` exceeds it; a score at or above every
    /// `below` (possible only when the last band has one) falls in the last band.
    @inlinable
    public func bandIndex(_ score: Double) -> Int {
        for (i, b) in bands.enumerated() {
            guard let below = b.below else { return i }
            if below > score { return i }
        }
        return bands.count - 1
    }
}

/// A weight configuration (DESIGN §2): base rules plus optional per-segment rules.
public struct Configuration: Sendable, Equatable {
    /// The rules of accounts without segment rules.
    public var base: ScoringRules
    /// Per-segment rules, in file order.
    public var segments: [(name: String, rules: ScoringRules)]

    /// A configuration from its base and segment rules.
    public init(base: ScoringRules, segments: [(name: String, rules: ScoringRules)] = []) {
        self.base = base
        self.segments = segments
    }

    /// Equal when the base and the segments (in order) are.
    public static func == (a: Configuration, b: Configuration) -> Bool {
        a.base == b.base && a.segments.count == b.segments.count
            && zip(a.segments, b.segments).allSatisfy { $0.name == $1.name && $0.rules == $1.rules }
    }

    /// The rules for an account's segment (the base rules when the segment has none of its own).
    public func rules(forSegment segment: String?) -> ScoringRules {
        guard let segment else { return base }
        return segments.first(where: { $0.name == segment })?.rules ?? base
    }

    /// Every distinct factor name used by the base or any segment, in first-use order.
    public var allFactorNames: [String] { Self.factorNames(of: [base] + segments.map(\.rules)) }

    /// The distinct factor names of several rule sets, in first-use order (names compare case-insensitively).
    static func factorNames(of rules: [ScoringRules]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for r in rules {
            for f in r.factors where seen.insert(f.name.lowercased()).inserted { out.append(f.name) }
        }
        return out
    }

    /// The distinct factor names of several configurations, in first-use order: what one read of the timeline must
    /// keep for all of them (a history's versions, a configuration and the one it is compared with).
    public static func factorNames(of configurations: [Configuration]) -> [String] {
        factorNames(of: configurations.flatMap { [$0.base] + $0.segments.map(\.rules) })
    }

    /// A configuration with every given factor at equal weight (used when no configuration is given).
    public static func equalWeights(_ factors: [String]) -> Configuration {
        Configuration(base: ScoringRules(factors: factors.map { FactorSpec(name: $0, weight: 1) }))
    }

    /// Checks that every factor exists in the timeline (case-insensitively).
    public func check(againstTimelineFactors names: [String], file: String) throws {
        let have = Set(names.map { $0.lowercased() })
        var errors = ErrorCollector()
        for (where_, r) in [("factors", base)] + segments.map({ ("segments.\($0.name).factors", $0.rules) }) {
            for f in r.factors where !have.contains(f.name.lowercased()) {
                errors.add(
                    InputError(
                        .unknownFactor, Location(file: file), value: f.name,
                        "\(where_): factor '\(f.name)' is not a column of the timeline (timeline factors: "
                            + "\(names.joined(separator: ", ")))"
                    ))
            }
        }
        try errors.throwIfAny()
    }
}

// MARK: - Loading

extension Configuration {
    /// Loads and validates a YAML configuration file.
    public static func load(path: String, displayName: String? = nil) throws -> Configuration {
        let name = displayName ?? path
        return try parse(yaml: try ConfigParser.text(path: path, name: name), file: name)
    }

    /// Parses and validates configuration text; errors name the file, line and key.
    public static func parse(yaml: String, file: String = "config.yaml") throws -> Configuration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw InputError(
                .invalidConfiguration, ConfigParser.location(of: e, file: file),
                "invalid YAML: \(ConfigParser.problem(of: e))")
        } catch {
            throw InputError(.invalidConfiguration, Location(file: file), "invalid YAML: \(error)")
        }
        guard let root else {
            throw InputError(.invalidConfiguration, Location(file: file, line: 1), "configuration is empty")
        }
        let p = ConfigParser(file: file)
        guard let map = root.mapping else {
            throw p.error(root, "", "the configuration must be a mapping with a 'factors' list")
        }
        let base = try p.rules(map, path: "", inherit: nil)
        var segments: [(String, ScoringRules)] = []
        if let segNode = map["segments"] {
            guard let segMap = segNode.mapping else {
                throw p.error(segNode, "segments", "must be a mapping of segment name to rules")
            }
            for (k, v) in segMap {
                guard let segName = k.string else { throw p.error(k, "segments", "segment names must be text") }
                guard let vm = v.mapping else {
                    throw p.error(v, "segments.\(segName)", "must be a mapping (factors, risk_penalty, bands, …)")
                }
                if vm["segments"] != nil {
                    throw p.error(v, "segments.\(segName).segments", "segments cannot be nested")
                }
                segments.append((segName, try p.rules(vm, path: "segments.\(segName).", inherit: base)))
            }
        }
        return Configuration(base: base, segments: segments)
    }
}

struct ConfigParser {
    let file: String

    /// A YAML file's text: a missing file is 66, a directory or an unreadable file 66, text that is not UTF-8 65.
    static func text(path: String, name: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError(.missingFile, Location(file: name), "no such file")
        }
        guard !isDir.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw InputError(.unreadableFile, Location(file: name), "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(.invalidUTF8, Location(file: name), "configuration is not valid UTF-8")
        }
        return text
    }

    static func location(of e: YamlError, file: String) -> Location {
        switch e {
        case .scanner(_, _, let m, _), .parser(_, _, let m, _), .composer(_, _, let m, _):
            return Location(file: file, line: m.line, column: m.column)
        default:
            return Location(file: file)
        }
    }

    static func problem(of e: YamlError) -> String {
        switch e {
        case .scanner(let c, let p, _, _), .parser(let c, let p, _, _), .composer(let c, let p, _, _):
            return c.map { "\($0.text) \(p)" } ?? p
        default:
            return "\(e)"
        }
    }

    func loc(_ n: Node) -> Location { Location(file: file, line: n.mark?.line, column: n.mark?.column) }

    func error(_ n: Node, _ key: String, _ message: String) -> InputError {
        InputError(.invalidConfiguration, loc(n), value: n.scalar?.string, key.isEmpty ? message : "\(key): \(message)")
    }

    func number(_ n: Node, _ key: String) throws -> Double {
        guard let s = n.scalar?.string, let v = DecimalParser.parse(s) else {
            throw error(n, key, "must be a finite number")
        }
        return v
    }

    func integer(_ n: Node, _ key: String) throws -> Int {
        guard let s = n.scalar?.string, let v = Int(s.trimmingASCIISpaces()) else {
            throw error(n, key, "must be a whole number of days")
        }
        return v
    }

    func bool(_ n: Node, _ key: String) throws -> Bool {
        switch n.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(n, key, "must be true or false")
        }
    }

    func checkKeys(_ m: Node.Mapping, _ allowed: Set<String>, _ path: String) throws {
        for (k, _) in m {
            guard let s = k.string, allowed.contains(s) else {
                throw error(
                    k, path.isEmpty ? (k.string ?? "") : "\(path)\(k.string ?? "")",
                    "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    func rules(_ m: Node.Mapping, path: String, inherit: ScoringRules?) throws -> ScoringRules {
        // `metrics:` (DESIGN §9) belongs to the events source; it is read by MetricsConfiguration. `version:` and
        // `evidence:` (DESIGN §15) belong to a history's version files; a version file is also a configuration.
        try checkKeys(
            m,
            path.isEmpty
                ? [
                    "factors", "risk_penalty", "bands", "period", "stale_after", "segments", "metrics", "version",
                    "evidence",
                ]
                : ["factors", "risk_penalty", "bands", "period", "stale_after", "segments"], path)
        var r = inherit ?? ScoringRules(factors: [])
        if let fn = m["factors"] {
            r.factors = try factors(fn, path: "\(path)factors")
        } else if inherit == nil {
            throw InputError(
                .invalidConfiguration, loc(Node.mapping(m)), "\(path)factors: missing (a list of {name, weight})")
        }
        if let rp = m["risk_penalty"] {
            guard let rm = rp.mapping else {
                throw error(rp, "\(path)risk_penalty", "must be a mapping like {low: 5, medium: 10, high: 20}")
            }
            var pen: [Double] = [0, 0, 0, 0]
            for (k, v) in rm {
                guard let level = k.string.flatMap(RiskLevel.init(name:)), !(k.string ?? "").isEmpty else {
                    throw error(k, "\(path)risk_penalty", "unknown risk level (expected none, low, medium, high)")
                }
                let p = try number(v, "\(path)risk_penalty.\(k.string!)")
                if p < 0 { throw error(v, "\(path)risk_penalty.\(k.string!)", "penalty must not be negative") }
                pen[Int(level.rawValue)] = p
            }
            r.riskPenalty = pen
        }
        if let bn = m["bands"] { r.bands = try bands(bn, path: "\(path)bands") }
        if let pn = m["period"] {
            r.period = try integer(pn, "\(path)period")
            if r.period <= 0 { throw error(pn, "\(path)period", "must be a positive number of days") }
        }
        if let sn = m["stale_after"] {
            r.staleAfter = try integer(sn, "\(path)stale_after")
            if r.staleAfter < 0 { throw error(sn, "\(path)stale_after", "must not be negative") }
        }
        return r
    }

    func factors(_ n: Node, path: String) throws -> [FactorSpec] {
        guard let seq = n.sequence else { throw error(n, path, "must be a list of {name, weight}") }
        var out: [FactorSpec] = []
        var seen: [String: Int] = [:]
        for (i, item) in seq.enumerated() {
            let here = "\(path)[\(i)]"
            guard let m = item.mapping else { throw error(item, here, "must be a mapping {name, weight, …}") }
            try checkKeys(m, ["name", "weight", "optional", "scale", "invert", "manual"], "\(here).")
            guard let nameNode = m["name"], let name = nameNode.string?.trimmingASCIISpaces(), !name.isEmpty else {
                throw error(item, "\(here).name", "missing or empty")
            }
            if let j = seen[name.lowercased()] {
                throw error(nameNode, "\(here).name", "factor '\(name)' is listed twice (entries \(j) and \(i))")
            }
            seen[name.lowercased()] = i
            guard let wn = m["weight"] else { throw error(item, "\(here).weight", "missing for factor '\(name)'") }
            let w = try number(wn, "\(here).weight")
            if w < 0 { throw error(wn, "\(here).weight", "weight of '\(name)' must not be negative") }
            // Weights are relative: a bound keeps Σ w·x finite (1e308 weights would overflow to a NaN score).
            if w > 1e12 {
                throw error(
                    wn, "\(here).weight", "weight of '\(name)' is too large (weights are relative; use at most 1e12)")
            }
            var f = FactorSpec(name: name, weight: w)
            if let o = m["optional"] { f.optional = try bool(o, "\(here).optional") }
            if let o = m["invert"] { f.invert = try bool(o, "\(here).invert") }
            if let o = m["manual"] { f.manual = try bool(o, "\(here).manual") }
            if let s = m["scale"] {
                guard let sm = s.mapping else { throw error(s, "\(here).scale", "must be {min: …, max: …}") }
                try checkKeys(sm, ["min", "max"], "\(here).scale.")
                guard let lo = sm["min"], let hi = sm["max"] else {
                    throw error(s, "\(here).scale", "needs both min and max")
                }
                f.scaleMin = try number(lo, "\(here).scale.min")
                f.scaleMax = try number(hi, "\(here).scale.max")
                if f.scaleMin! == f.scaleMax! { throw error(hi, "\(here).scale", "min and max must differ") }
            }
            out.append(f)
        }
        if out.isEmpty { throw error(n, path, "at least one factor is needed") }
        if !out.contains(where: { $0.weight > 0 }) {
            throw error(n, path, "all weights are zero: at least one factor needs a positive weight")
        }
        return out
    }

    func bands(_ n: Node, path: String) throws -> [Band] {
        guard let seq = n.sequence, seq.count > 0 else {
            throw error(n, path, "must be a non-empty list of {name, below}")
        }
        var out: [Band] = []
        for (i, item) in seq.enumerated() {
            let here = "\(path)[\(i)]"
            guard let m = item.mapping else { throw error(item, here, "must be a mapping {name, below}") }
            try checkKeys(m, ["name", "below"], "\(here).")
            guard let name = m["name"]?.string?.trimmingASCIISpaces(), !name.isEmpty else {
                throw error(item, "\(here).name", "missing or empty")
            }
            var below: Double? = nil
            if let b = m["below"] {
                if i == seq.count - 1 && b.scalar?.string.lowercased() == "null" {
                    below = nil
                } else {
                    below = try number(b, "\(here).below")
                }
            }
            if i < seq.count - 1 && below == nil {
                throw error(item, "\(here).below", "only the last band may omit 'below'")
            }
            if let prev = out.last?.below, let below, below <= prev {
                throw error(
                    m["below"]!, "\(here).below",
                    "bands out of order: \(below) is not above the previous band's \(prev)")
            }
            out.append(Band(name: name, below: below))
        }
        // A score not below any band's `below` falls in the last band (see `ScoringRules.bandIndex`).
        return out
    }
}

// MARK: - Writing

extension Configuration {
    /// YAML in the schema `load` reads (what `fit --write-config` writes).
    public func yaml() -> String {
        var out = ""
        ConfigWriter.rules(base, indent: "", into: &out)
        if !segments.isEmpty {
            out += "segments:\n"
            for (name, r) in segments {
                out += "  \(ConfigWriter.quote(name)):\n"
                ConfigWriter.rules(r, indent: "    ", into: &out)
            }
        }
        return out
    }
}

enum ConfigWriter {
    static func num(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    static func quote(_ s: String) -> String {
        let safe =
            s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == " " }
            && !s.isEmpty && !s.hasPrefix(" ") && !s.hasSuffix(" ") && Double(s) == nil
            && !["true", "false", "yes", "no", "null", "on", "off", "~"].contains(s.lowercased())
        if safe { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func rules(_ r: ScoringRules, indent: String, into out: inout String) {
        out += "\(indent)factors:\n"
        for f in r.factors {
            var parts = ["name: \(quote(f.name))", "weight: \(num(f.weight))"]
            if f.optional { parts.append("optional: true") }
            if let lo = f.scaleMin, let hi = f.scaleMax { parts.append("scale: {min: \(num(lo)), max: \(num(hi))}") }
            if f.invert { parts.append("invert: true") }
            if f.manual { parts.append("manual: true") }
            out += "\(indent)  - {\(parts.joined(separator: ", "))}\n"
        }
        let levels = RiskLevel.allCases.filter { r.riskPenalty[Int($0.rawValue)] != 0 }
        out +=
            "\(indent)risk_penalty: "
            + "{\(levels.map { "\($0): \(num(r.riskPenalty[Int($0.rawValue)]))" }.joined(separator: ", "))}\n"
        out += "\(indent)bands:\n"
        for b in r.bands {
            out += "\(indent)  - {name: \(quote(b.name))\(b.below.map { ", below: \(num($0))" } ?? "")}\n"
        }
        out += "\(indent)period: \(r.period)\n"
        out += "\(indent)stale_after: \(r.staleAfter)\n"
    }
}
