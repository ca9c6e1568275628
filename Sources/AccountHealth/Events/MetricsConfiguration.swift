import Foundation
import Yams

/// How the factors are computed from the activity log (DESIGN §9): the `metrics:` section of a configuration.
public struct MetricsConfiguration: Sendable, Equatable {
    /// What one factor computes over the events of its listed types.
    public enum Kind: Sendable, Equatable {
        /// The number of events in the window (0 if none).
        case count([String])
        /// The sum of their non-empty values (0 if none).
        case sum([String])
        /// The mean of their non-empty values (empty if none).
        case mean([String])
        /// count(numerator) / count(denominator) in the window (empty if the denominator count is 0).
        case ratio(numerator: [String], denominator: [String])
        /// Days since the latest event on or before the date (empty if none).
        case daysSince([String])
        /// The value of the latest event with a value on or before the date (in the window, if one is given).
        case latest([String])

        /// The YAML key of the kind.
        public var name: String {
            switch self {
            case .count: return "count"
            case .sum: return "sum"
            case .mean: return "mean"
            case .ratio: return "ratio"
            case .daysSince: return "days_since"
            case .latest: return "latest"
            }
        }

        /// Every type the metric reads.
        public var types: [String] {
            switch self {
            case .count(let t), .sum(let t), .mean(let t), .daysSince(let t), .latest(let t): return t
            case .ratio(let n, let d): return n + d
            }
        }
    }

    /// One factor derived from the events.
    public struct Factor: Sendable, Equatable {
        /// The factor's name in the timeline.
        public var name: String
        /// How it is computed from the events.
        public var kind: Kind
        /// Days: the window is (d − window, d]; nil means every event on or before d.
        public var window: Int?

        /// A factor of a kind, with its window in days where the kind has one.
        public init(name: String, kind: Kind, window: Int? = nil) {
            self.name = name
            self.kind = kind
            self.window = window
        }
    }

    /// The longest `every` or `window` accepted, in days (about 270 years).
    public static let maxDays = 100_000

    /// Days between grid dates.
    public var every: Int
    /// First grid date (default: the first event's day) and the bound of the last (default: the last event's day).
    public var start: Int32?
    /// The bound of the last grid date, or nil for the last event's day.
    public var end: Int32?
    /// The factors to derive, in output order.
    public var factors: [Factor]
    /// Where it came from, for messages.
    public var file: String
    /// Soft problems found while reading it (a window on `days_since`, which does not use one).
    public var diagnostics: [Diagnostic] = []

    /// A metrics configuration.
    public init(every: Int = 7, start: Int32? = nil, end: Int32? = nil, factors: [Factor], file: String = "metrics") {
        self.every = every
        self.start = start
        self.end = end
        self.factors = factors
        self.file = file
    }

    /// Equal when every setting and factor is equal.
    public static func == (a: MetricsConfiguration, b: MetricsConfiguration) -> Bool {
        a.every == b.every && a.start == b.start && a.end == b.end && a.factors == b.factors
    }
}

extension MetricsConfiguration {
    /// Reads the `metrics:` section of a YAML file (a configuration, or a file of its own whose root is the
    /// section or holds it under `metrics:`). Every error names the file, the line and the YAML path.
    public static func load(path: String) throws -> MetricsConfiguration {
        try parse(yaml: try ConfigParser.text(path: path, name: path), file: path)
    }

    /// Parses a metrics configuration, with located errors.
    public static func parse(yaml: String, file: String = "metrics.yaml") throws -> MetricsConfiguration {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch let e as YamlError {
            throw InputError(
                .invalidConfiguration, ConfigParser.location(of: e, file: file),
                "invalid YAML: \(ConfigParser.problem(of: e))")
        }
        let p = ConfigParser(file: file)
        guard let root, let top = root.mapping else {
            throw InputError(
                .invalidConfiguration, Location(file: file, line: 1),
                "metrics: missing (a mapping with every, start, end and factors)")
        }
        var section = top
        if let m = top["metrics"] {
            guard let mm = m.mapping else {
                throw p.error(m, "metrics", "must be a mapping with every, start, end and factors")
            }
            section = mm
        } else if top["factors"] == nil || isWeights(top["factors"]) {
            // A weight configuration without the section (a file of its own may hold the section at its root).
            throw InputError(
                .invalidConfiguration, Location(file: file, line: 1),
                "metrics: missing (the section that says how factors are computed from the events)")
        }
        try p.checkKeys(section, ["every", "start", "end", "factors"], "metrics.")
        var config = MetricsConfiguration(factors: [], file: file)
        if let e = section["every"] {
            let v = try p.integer(e, "metrics.every")
            guard v > 0, v <= MetricsConfiguration.maxDays else {
                throw p.error(
                    e, "metrics.every",
                    "must be a positive whole number of days (at most \(MetricsConfiguration.maxDays))")
            }
            config.every = v
        }
        func date(_ key: String) throws -> Int32? {
            guard let n = section[key] else { return nil }
            guard let s = n.scalar?.string, let d = Day.parse(s) else {
                throw p.error(n, "metrics.\(key)", "must be a date YYYY-MM-DD")
            }
            return d
        }
        config.start = try date("start")
        config.end = try date("end")
        if let s = config.start, let e = config.end, e < s {
            throw p.error(section["end"]!, "metrics.end", "is before metrics.start")
        }
        guard let fn = section["factors"] else {
            throw InputError(
                .invalidConfiguration, Location(file: file),
                "metrics.factors: missing (a list of {name, <kind>: [types], window})")
        }
        guard let list = fn.sequence, !list.isEmpty else {
            throw p.error(fn, "metrics.factors", "must be a non-empty list")
        }
        var seen: [String: Int] = [:]
        for (i, item) in list.enumerated() {
            let path = "metrics.factors[\(i)]"
            guard let m = item.mapping else {
                throw p.error(item, path, "must be a mapping like {name: notes, count: [note], window: 28}")
            }
            guard let nameNode = m["name"], let name = nameNode.scalar?.string.trimmingASCIISpaces(), !name.isEmpty
            else {
                throw p.error(item, "\(path).name", "missing or empty")
            }
            let lower = name.lowercased()
            if ["account_id", "date", "risk"].contains(lower) {
                throw p.error(nameNode, "\(path).name", "'\(name)' is a timeline column of its own")
            }
            if let j = seen[lower] {
                throw p.error(nameNode, "\(path).name", "'\(name)' is defined twice (factors[\(j)] and factors[\(i)])")
            }
            seen[lower] = i
            var kind: Kind? = nil
            var window: Int? = nil
            for (k, v) in m {
                guard let key = k.string else { throw p.error(k, path, "keys must be text") }
                func types(_ n: Node, _ at: String) throws -> [String] {
                    let items: [Node] = n.sequence.map(Array.init) ?? (n.scalar != nil ? [n] : [])
                    let names = items.compactMap { $0.scalar?.string.trimmingASCIISpaces() }
                    guard !items.isEmpty, names.count == items.count, names.allSatisfy({ !$0.isEmpty }) else {
                        throw p.error(n, at, "must be a non-empty list of event types")
                    }
                    return names
                }
                let at = "\(path).\(key)"
                func set(_ k: Kind) throws {
                    if kind != nil {
                        throw p.error(v, at, "a factor has one metric kind (this one has \(kind!.name) and \(key))")
                    }
                    kind = k
                }
                switch key {
                case "name": continue
                case "window":
                    let w = try p.integer(v, at)
                    guard w > 0, w <= MetricsConfiguration.maxDays else {
                        throw p.error(
                            v, at, "must be a positive whole number of days (at most \(MetricsConfiguration.maxDays))")
                    }
                    window = w
                case "count": try set(.count(try types(v, at)))
                case "sum": try set(.sum(try types(v, at)))
                case "mean": try set(.mean(try types(v, at)))
                case "days_since": try set(.daysSince(try types(v, at)))
                case "latest": try set(.latest(try types(v, at)))
                case "ratio":
                    guard let r = v.mapping, let num = r["numerator"], let den = r["denominator"] else {
                        throw p.error(v, at, "must be {numerator: [types], denominator: [types]}")
                    }
                    try p.checkKeys(r, ["numerator", "denominator"], "\(at).")
                    try set(
                        .ratio(
                            numerator: try types(num, "\(at).numerator"),
                            denominator: try types(den, "\(at).denominator")))
                default:
                    throw p.error(
                        k, at,
                        "unknown metric kind (expected count, sum, mean, ratio, days_since or latest, and name, window)"
                    )
                }
            }
            guard let kind else {
                throw p.error(item, path, "no metric kind (count, sum, mean, ratio, days_since or latest)")
            }
            if case .daysSince = kind, window != nil {
                config.diagnostics.append(
                    Diagnostic(
                        .unusedSetting, column: name,
                        message: "\(file): \(path).window: days_since does not use a window (ignored)"))
                window = nil
            }
            config.factors.append(Factor(name: name, kind: kind, window: window))
        }
        return config
    }

    /// A weights `factors:` list (entries with a weight) rather than metric definitions.
    private static func isWeights(_ n: Node?) -> Bool {
        guard let list = n?.sequence else { return false }
        return list.contains { $0.mapping?["weight"] != nil }
    }
}
