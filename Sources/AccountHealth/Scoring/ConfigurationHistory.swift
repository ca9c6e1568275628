import Foundation
import Yams

/// What `config new` found when it backtested a new version against the one in force before it (DESIGN §15):
/// the `backtest --against` summary, with backtest's defaults.
public struct VersionEvidence: Sendable, Equatable {
    /// The id of the version compared against.
    public var against: String
    /// The backtest's horizon.
    public var horizonDays: Int
    /// The backtest's step.
    public var stepDays: Int
    /// The pooled AUC of the version before.
    public var aucBefore: Double?
    /// The pooled AUC of the new version.
    public var aucAfter: Double?
    /// The top-decile lift of the version before.
    public var liftBefore: Double?
    /// The top-decile lift of the new version.
    public var liftAfter: Double?
    /// Accounts whose band on the last date differs between the two.
    public var accountsChangingBand: Int

    /// Evidence from its parts.
    public init(
        against: String, horizonDays: Int, stepDays: Int, aucBefore: Double?, aucAfter: Double?,
        liftBefore: Double?, liftAfter: Double?, accountsChangingBand: Int
    ) {
        self.against = against
        self.horizonDays = horizonDays
        self.stepDays = stepDays
        self.aucBefore = aucBefore
        self.aucAfter = aucAfter
        self.liftBefore = liftBefore
        self.liftAfter = liftAfter
        self.accountsChangingBand = accountsChangingBand
    }

    /// The evidence of a backtest comparison: `comparison.overall` is the new version's, `overallCurrent` the
    /// one's before.
    public init(against: String, report: BacktestReport) {
        let c = report.comparison
        self.init(
            against: against, horizonDays: report.options.horizon, stepDays: report.options.step,
            aucBefore: c?.overallCurrent.auc ?? report.overall.auc, aucAfter: c?.overall.auc,
            liftBefore: c?.overallCurrent.topDecileLift ?? report.overall.topDecileLift,
            liftAfter: c?.overall.topDecileLift, accountsChangingBand: c?.accountsChangingBand ?? 0)
    }
}

/// One version of a configuration history: a configuration file with its `version:` block (DESIGN §15).
public struct ConfigurationVersion: Sendable {
    /// The version's id: a plain name (`[A-Za-z0-9._-]`, not starting with a dot).
    public var id: String
    /// The first day the version is in force.
    public var effectiveFrom: Int32
    /// Who made it.
    public var author: String?
    /// Why it was made.
    public var note: String?
    /// The backtest that `config new` ran when the version was made.
    public var evidence: VersionEvidence?
    /// The weights, bands and penalties.
    public var configuration: Configuration
    /// Where the version came from (a file, or a database row), for located messages.
    public var file: String

    /// A version from its parts.
    public init(
        id: String, effectiveFrom: Int32, author: String? = nil, note: String? = nil, evidence: VersionEvidence? = nil,
        configuration: Configuration, file: String
    ) {
        self.id = id
        self.effectiveFrom = effectiveFrom
        self.author = author
        self.note = note
        self.evidence = evidence
        self.configuration = configuration
        self.file = file
    }

    /// Whether a text is a plain version id: `[A-Za-z0-9._-]+`, not starting with a dot (so never a path).
    public static func isPlainId(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix(".") && s.utf8.count <= 100
            && s.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                    || b == 0x5F || b == 0x2D
            }
    }

    /// The file name `config new` writes: `<effective_from>-<id>.yaml`.
    public var fileName: String { "\(Day.format(effectiveFrom))-\(id).yaml" }

    /// Parses a version file: the configuration and its `version:` block (required), with the `evidence:` block
    /// when there is one. Errors name the file, line and key.
    public static func parse(yaml: String, file: String) throws -> ConfigurationVersion {
        let configuration = try Configuration.parse(yaml: yaml, file: file)
        let p = ConfigParser(file: file)
        // The text parsed as a configuration above, so it is a mapping.
        guard let root = try? Yams.compose(yaml: yaml), let map = root.mapping else {
            throw InputError(.invalidConfiguration, Location(file: file), "the configuration must be a mapping")
        }
        guard let vn = map["version"] else {
            throw InputError(
                .invalidConfiguration, Location(file: file, line: 1),
                "version: missing (a history's files each need version: {id, effective_from, author, note})")
        }
        guard let vm = vn.mapping else {
            throw p.error(vn, "version", "must be a mapping {id, effective_from, author, note}")
        }
        try p.checkKeys(vm, ["id", "effective_from", "author", "note"], "version.")
        guard let idNode = vm["id"], let id = idNode.string?.trimmingASCIISpaces(), !id.isEmpty else {
            throw p.error(vn, "version.id", "missing or empty")
        }
        guard isPlainId(id) else {
            throw p.error(
                idNode, "version.id", "must be a plain name: letters, digits, '.', '_', '-', not starting with '.'")
        }
        guard let dn = vm["effective_from"] else {
            throw p.error(vn, "version.effective_from", "missing (the first day the version is in force)")
        }
        guard let ds = dn.string, let day = Day.parse(ds.trimmingASCIISpaces()) else {
            throw p.error(dn, "version.effective_from", "must be a date YYYY-MM-DD")
        }
        var evidence: VersionEvidence? = nil
        if let en = map["evidence"] { evidence = try p.evidence(en) }
        return ConfigurationVersion(
            id: id, effectiveFrom: day, author: vm["author"]?.string, note: vm["note"]?.string, evidence: evidence,
            configuration: configuration, file: file)
    }

    /// The version's file: its `version:` block, the configuration (in `Configuration.yaml`'s schema), and the
    /// `evidence:` block when there is one.
    public func yaml() -> String {
        var out = "version:\n"
        out += "  id: \(ConfigWriter.quoteText(id))\n"
        out += "  effective_from: \(Day.format(effectiveFrom))\n"
        if let author { out += "  author: \(ConfigWriter.quoteText(author))\n" }
        if let note { out += "  note: \(ConfigWriter.quoteText(note))\n" }
        out += configuration.yaml()
        if let e = evidence {
            func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "null" }
            out += "evidence:\n"
            out += "  against: \(ConfigWriter.quoteText(e.against))\n"
            out += "  horizon_days: \(e.horizonDays)\n"
            out += "  step_days: \(e.stepDays)\n"
            out += "  auc_before: \(n(e.aucBefore))\n"
            out += "  auc_after: \(n(e.aucAfter))\n"
            out += "  lift_before: \(n(e.liftBefore))\n"
            out += "  lift_after: \(n(e.liftAfter))\n"
            out += "  accounts_changing_band: \(e.accountsChangingBand)\n"
        }
        return out
    }
}

/// A configuration history: versions in order of `effective_from`, each in force from its date until the next
/// one's (DESIGN §15).
public struct ConfigurationHistory: Sendable {
    /// The versions, earliest first; ids and dates are unique.
    public let versions: [ConfigurationVersion]
    /// Where the history came from (a folder or a table), for messages.
    public let name: String

    /// A history from versions in any order; a duplicate id or date is an error naming both files.
    public init(_ versions: [ConfigurationVersion], name: String) throws {
        guard !versions.isEmpty else {
            throw InputError(
                .invalidConfiguration, Location(file: name),
                "the configuration history has no versions (no *.yaml file)")
        }
        let sorted = versions.sorted { ($0.effectiveFrom, $0.file) < ($1.effectiveFrom, $1.file) }
        var byId: [String: ConfigurationVersion] = [:]
        var byDay: [Int32: ConfigurationVersion] = [:]
        for v in sorted {
            if let other = byId[v.id] {
                throw InputError(
                    .duplicateVersion, Location(file: v.file), value: v.id,
                    "version id '\(v.id)' is also the id of \(other.file)")
            }
            if let other = byDay[v.effectiveFrom] {
                throw InputError(
                    .duplicateVersion, Location(file: v.file), value: Day.format(v.effectiveFrom),
                    "effective_from \(Day.format(v.effectiveFrom)) is also the date of \(other.file) "
                        + "('\(other.id)')")
            }
            byId[v.id] = v
            byDay[v.effectiveFrom] = v
        }
        self.versions = sorted
        self.name = name
    }

    /// Reads every `*.yaml` file of a folder (in name order), each one version.
    public static func load(directory: String) throws -> ConfigurationHistory {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw InputError(.missingFile, Location(file: directory), "no such configuration folder")
        }
        guard isDir.boolValue else {
            throw InputError(
                .unreadableFile, Location(file: directory), "not a folder (a history is a folder of *.yaml)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw InputError(.unreadableFile, Location(file: directory), "cannot list the configuration folder")
        }
        var versions: [ConfigurationVersion] = []
        for n in names.sorted() where n.hasSuffix(".yaml") && !n.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(n)
            versions.append(
                try ConfigurationVersion.parse(yaml: try ConfigParser.text(path: path, name: path), file: path))
        }
        return try ConfigurationHistory(versions, name: directory)
    }

    /// The history of a folder, or nil when there is no such folder or it holds no version yet (where `config new`
    /// starts one).
    public static func loadIfAny(_ directory: String) throws -> ConfigurationHistory? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard names.contains(where: { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }) else { return nil }
        return try load(directory: directory)
    }

    /// The index of the version in force on `day`: the latest with `effective_from ≤ day`; before the first
    /// version, the first.
    public func index(at day: Int32) -> Int {
        var lo = 0, hi = versions.count  // the first version with effective_from > day
        while lo < hi {
            let mid = (lo + hi) / 2
            if versions[mid].effectiveFrom <= day { lo = mid + 1 } else { hi = mid }
        }
        return max(lo - 1, 0)
    }

    /// The version in force on `day`.
    public func version(at day: Int32) -> ConfigurationVersion { versions[index(at: day)] }

    /// The latest version: the one in force from its date on.
    public var current: ConfigurationVersion { versions[versions.count - 1] }

    /// The version with an id.
    public func version(id: String) -> ConfigurationVersion? { versions.first { $0.id == id } }

    /// The version in force before a new one dated `day` would take effect (nil when it would be the first).
    public func predecessor(of day: Int32) -> ConfigurationVersion? { versions.last { $0.effectiveFrom < day } }

    /// Every factor of every version, in order of first appearance (the `_points` columns of a replay).
    public var allFactorNames: [String] { Configuration.factorNames(of: versions.map(\.configuration)) }

    /// Checks every version's factors against the timeline's, each error naming its version's file.
    public func check(againstTimelineFactors names: [String]) throws {
        for v in versions { try v.configuration.check(againstTimelineFactors: names, file: v.file) }
    }

    /// A note when `day` is before the first version (which then applies).
    public func noteBeforeFirst(_ day: Int32) -> Diagnostic? {
        guard day < versions[0].effectiveFrom else { return nil }
        return Diagnostic(
            .beforeFirstVersion,
            message:
                "\(Day.format(day)) is before the first configuration version ('\(versions[0].id)', effective "
                + "\(Day.format(versions[0].effectiveFrom))): that version applies")
    }

    /// Checks a new version against the history: a plain id, and neither its id nor its date taken (each an error
    /// naming the file that has it).
    public func checkNew(id: String, effectiveFrom: Int32, file: String) throws {
        if let v = version(id: id) {
            throw InputError(
                .duplicateVersion, Location(file: file), value: id, "version id '\(id)' is already taken by \(v.file)")
        }
        if let v = versions.first(where: { $0.effectiveFrom == effectiveFrom }) {
            throw InputError(
                .duplicateVersion, Location(file: file), value: Day.format(effectiveFrom),
                "a version already takes effect on \(Day.format(effectiveFrom)): \(v.file) ('\(v.id)')")
        }
    }
}

/// One changed setting between two configurations: its path, and its old and new values as text (nil where
/// one side does not have it).
public struct ConfigurationChange: Sendable, Equatable {
    /// Where: `factors.<name>.weight`, `risk_penalty.high`, `bands[1].below`, `segments.<s>.…`.
    public var path: String
    /// The value before.
    public var old: String?
    /// The value after.
    public var new: String?
}

/// `config diff`'s result: every changed weight, flag, scale, penalty, band, period and staleness.
public struct ConfigurationDiff: Sendable {
    /// The earlier version's id.
    public var from: String
    /// The later version's id.
    public var to: String
    /// The changes, in configuration order.
    public var changes: [ConfigurationChange]

    /// The changes from `a` to `b`.
    public init(from: String, _ a: Configuration, to: String, _ b: Configuration) {
        self.from = from
        self.to = to
        var out: [ConfigurationChange] = []
        Self.rules(a.base, b.base, prefix: "", into: &out)
        let names =
            a.segments.map(\.name) + b.segments.map(\.name).filter { n in !a.segments.contains { $0.name == n } }
        for s in names {
            let ra = a.segments.first { $0.name == s }?.rules, rb = b.segments.first { $0.name == s }?.rules
            switch (ra, rb) {
            case let (x?, y?): Self.rules(x, y, prefix: "segments.\(s).", into: &out)
            case (nil, _?): out.append(ConfigurationChange(path: "segments.\(s)", old: nil, new: "added"))
            case (_?, nil): out.append(ConfigurationChange(path: "segments.\(s)", old: "present", new: nil))
            case (nil, nil): break
            }
        }
        changes = out
    }

    static func num(_ v: Double?) -> String? { v.map(ConfigWriter.num) }

    static func rules(_ a: ScoringRules, _ b: ScoringRules, prefix: String, into out: inout [ConfigurationChange]) {
        func add(_ path: String, _ x: String?, _ y: String?) {
            if x != y { out.append(ConfigurationChange(path: prefix + path, old: x, new: y)) }
        }
        let names = a.factors.map(\.name) + b.factors.map(\.name).filter { n in !a.factors.contains { $0.name == n } }
        for n in names {
            let fa = a.factors.first { $0.name == n }, fb = b.factors.first { $0.name == n }
            let p = "factors.\(n)."
            add(p + "weight", num(fa?.weight), num(fb?.weight))
            add(p + "optional", fa.map { "\($0.optional)" }, fb.map { "\($0.optional)" })
            add(p + "scale.min", num(fa?.scaleMin), num(fb?.scaleMin))
            add(p + "scale.max", num(fa?.scaleMax), num(fb?.scaleMax))
            add(p + "invert", fa.map { "\($0.invert)" }, fb.map { "\($0.invert)" })
            add(p + "manual", fa.map { "\($0.manual)" }, fb.map { "\($0.manual)" })
        }
        for level in RiskLevel.allCases where level != .none {
            let i = Int(level.rawValue)
            add("risk_penalty.\(level)", num(a.riskPenalty[i]), num(b.riskPenalty[i]))
        }
        for i in 0..<max(a.bands.count, b.bands.count) {
            let ba = i < a.bands.count ? a.bands[i] : nil, bb = i < b.bands.count ? b.bands[i] : nil
            add("bands[\(i)].name", ba?.name, bb?.name)
            add("bands[\(i)].below", ba.map { num($0.below) ?? "null" }, bb.map { num($0.below) ?? "null" })
        }
        add("period", "\(a.period)", "\(b.period)")
        add("stale_after", "\(a.staleAfter)", "\(b.staleAfter)")
    }
}

extension ConfigParser {
    /// The `evidence:` block of a version file.
    func evidence(_ n: Node) throws -> VersionEvidence {
        guard let m = n.mapping else { throw error(n, "evidence", "must be a mapping") }
        try checkKeys(
            m,
            [
                "against", "horizon_days", "step_days", "auc_before", "auc_after", "lift_before", "lift_after",
                "accounts_changing_band",
            ], "evidence.")
        func opt(_ k: String) throws -> Double? {
            guard let v = m[k], v.scalar?.string.lowercased() != "null", v.scalar?.string != "~" else { return nil }
            return try number(v, "evidence.\(k)")
        }
        func int(_ k: String) throws -> Int {
            guard let v = m[k] else { throw error(n, "evidence.\(k)", "missing") }
            return try integer(v, "evidence.\(k)")
        }
        return VersionEvidence(
            against: m["against"]?.string ?? "", horizonDays: try int("horizon_days"), stepDays: try int("step_days"),
            aucBefore: try opt("auc_before"), aucAfter: try opt("auc_after"), liftBefore: try opt("lift_before"),
            liftAfter: try opt("lift_after"), accountsChangingBand: try int("accounts_changing_band"))
    }
}

extension ConfigWriter {
    /// A free text (an author, a note) as a YAML double-quoted scalar.
    static func quoteText(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

// MARK: - A new version

extension ConfigurationHistory {
    /// A new version for a history folder (or table): validated against the history (a plain id, neither id nor
    /// date taken), with the evidence of `backtest --against` (backtest's defaults) against the version in force
    /// before it when `dataset` has outcomes. `history` is nil for the first version. `file` names where it will
    /// be written, for messages.
    public static func newVersion(
        _ configuration: Configuration, id: String, effectiveFrom: Int32, author: String?, note: String?,
        history: ConfigurationHistory?, dataset: Dataset?, file: String
    ) throws -> (version: ConfigurationVersion, diagnostics: [Diagnostic]) {
        guard ConfigurationVersion.isPlainId(id) else {
            throw InputError(
                .invalidConfiguration, Location(file: "id"), value: id,
                "a version id is a plain name: letters, digits, '.', '_', '-', not starting with '.'")
        }
        try history?.checkNew(id: id, effectiveFrom: effectiveFrom, file: file)
        var version = ConfigurationVersion(
            id: id, effectiveFrom: effectiveFrom, author: author, note: note, configuration: configuration, file: file)
        var diagnostics: [Diagnostic] = []
        guard let before = history?.predecessor(of: effectiveFrom) else {
            diagnostics.append(
                Diagnostic(.noEvidence, message: "no version in force before \(Day.format(effectiveFrom)): no evidence")
            )
            return (version, diagnostics)
        }
        guard var data = dataset, let outcomes = data.outcomes, outcomes.count > 0 else {
            diagnostics.append(
                Diagnostic(
                    .noEvidence, message: "no outcomes given: the version is written without its evidence block"))
            return (version, diagnostics)
        }
        data.history = nil
        data.configuration = before.configuration
        data.configurationName = before.file
        let report = try Backtest.run(
            data, configuration: before.configuration, options: BacktestOptions(),
            against: (file: file, configuration: configuration))
        version.evidence = VersionEvidence(against: before.id, report: report)
        return (version, diagnostics)
    }

    /// Writes a version into a folder as `<effective_from>-<id>.yaml`, atomically (a temporary file in the folder,
    /// then a rename that never replaces an existing file); the folder is created when missing. Returns the path.
    public static func write(_ version: ConfigurationVersion, directory: String) throws -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if !fm.fileExists(atPath: directory, isDirectory: &isDir) {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: false)
            } catch {
                throw InputError(.unreadableFile, Location(file: directory), "cannot create the configuration folder")
            }
        } else if !isDir.boolValue {
            throw InputError(.unreadableFile, Location(file: directory), "not a folder")
        }
        let path = (directory as NSString).appendingPathComponent(version.fileName)
        if fm.fileExists(atPath: path) {
            throw InputError(.duplicateVersion, Location(file: path), "the file already exists (never overwritten)")
        }
        let temporary = (directory as NSString).appendingPathComponent(".\(version.fileName).\(getpid()).tmp")
        guard fm.createFile(atPath: temporary, contents: Data(version.yaml().utf8)) else {
            throw InputError(.unreadableFile, Location(file: directory), "cannot write in the configuration folder")
        }
        // link(2) fails when the name exists: no other writer's file is ever replaced.
        let linked = link(temporary, path)
        let failure = errno
        unlink(temporary)
        guard linked == 0 else {
            if failure == EEXIST {
                throw InputError(.duplicateVersion, Location(file: path), "the file already exists (never overwritten)")
            }
            throw InputError(.unreadableFile, Location(file: path), "cannot write the version file")
        }
        return path
    }
}
