/// The JSON and renderers of `config list|show|diff|new` (DESIGN §15).

extension VersionEvidence: Encodable {
    enum CodingKeys: String, CodingKey {
        case against, horizonDays = "horizon_days", stepDays = "step_days", aucBefore = "auc_before"
        case aucAfter = "auc_after", liftBefore = "lift_before", liftAfter = "lift_after"
        case accountsChangingBand = "accounts_changing_band"
    }

    /// `{"against", "horizon_days", "step_days", "auc_before", "auc_after", "lift_before", "lift_after",
    /// "accounts_changing_band"}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(against, forKey: .against)
        try c.encode(horizonDays, forKey: .horizonDays)
        try c.encode(stepDays, forKey: .stepDays)
        try c.encodeIfPresent(aucBefore, forKey: .aucBefore)
        try c.encodeIfPresent(aucAfter, forKey: .aucAfter)
        try c.encodeIfPresent(liftBefore, forKey: .liftBefore)
        try c.encodeIfPresent(liftAfter, forKey: .liftAfter)
        try c.encode(accountsChangingBand, forKey: .accountsChangingBand)
    }
}

extension ConfigurationVersion: Encodable {
    enum CodingKeys: String, CodingKey { case id, effectiveFrom = "effective_from", author, note, file, evidence }

    /// `{"id", "effective_from", "author", "note", "file", "evidence"}` (null where a version has none).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(Day.format(effectiveFrom), forKey: .effectiveFrom)
        try c.encodeIfPresent(author, forKey: .author)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encode(file, forKey: .file)
        try c.encodeIfPresent(evidence, forKey: .evidence)
    }
}

extension ConfigurationHistory: Encodable {
    enum CodingKeys: String, CodingKey { case versions }

    /// `config list`'s JSON: `{"versions": [...]}`, earliest first.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(versions, forKey: .versions)
    }
}

extension ConfigurationChange: Encodable {
    enum CodingKeys: String, CodingKey { case path, old, new }

    /// `{"path", "old", "new"}` (null where one side does not have the setting).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(old, forKey: .old)
        try c.encodeIfPresent(new, forKey: .new)
    }
}

extension ConfigurationDiff: Encodable {
    enum CodingKeys: String, CodingKey { case from, to, changes }

    /// `config diff`'s JSON: `{"from", "to", "changes": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(changes, forKey: .changes)
    }
}

extension Render {
    // MARK: config

    /// `config list`'s output in a format.
    public static func configVersions(_ h: ConfigurationHistory, format: OutputFormat) -> String {
        switch format {
        case .json:
            return h.jsonText()
        case .csv, .table:
            var t = ResultTable(columns: [
                "id", "effective_from", "author", "note", "auc_before", "auc_after", "accounts_changing_band", "file",
            ])
            t.numeric = [4, 5, 6]
            let csv = format == .csv
            for v in h.versions {
                let e = v.evidence
                func auc(_ x: Double?) -> String { csv ? NumberFormat.exact(x) : NumberFormat.fixed(x, 3) }
                t.rows.append([
                    v.id, Day.format(v.effectiveFrom), v.author ?? "", v.note ?? "", auc(e?.aucBefore),
                    auc(e?.aucAfter), e.map { String($0.accountsChangingBand) } ?? "", v.file,
                ])
            }
            return csv ? t.csv() : t.text()
        }
    }

    /// `config show`'s output: the version file (YAML) on a terminal and in CSV, its record and evidence in JSON.
    public static func configVersion(_ v: ConfigurationVersion, format: OutputFormat) -> String {
        format == .json ? v.jsonText() : v.yaml()
    }

    /// `config diff`'s output in a format.
    public static func configDiff(_ d: ConfigurationDiff, format: OutputFormat) -> String {
        switch format {
        case .json:
            return d.jsonText()
        case .csv, .table:
            var t = ResultTable(columns: ["path", "old", "new"])
            for c in d.changes { t.rows.append([c.path, c.old ?? "", c.new ?? ""]) }
            if format == .csv { return t.csv() }
            return "\(d.from) → \(d.to): \(d.changes.count) change(s)\n" + (d.changes.isEmpty ? "" : t.text())
        }
    }
}
