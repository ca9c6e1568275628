/// The JSON of the scoring commands (`score`, `explain`, `alerts`, `validate`), encoded from the result values
/// (DESIGN §6's keys, in their documented order; `JSON.encode` writes a nil as null).

/// A coding key made at run time: a factor's or a column's name as an object key.
public struct NameKey: CodingKey {
    /// The key.
    public var stringValue: String
    /// Never an index.
    public var intValue: Int? { nil }
    /// The key of a name.
    public init(_ name: String) { stringValue = name }
    /// The key of a name.
    public init?(stringValue: String) { self.stringValue = stringValue }
    /// No key is an index.
    public init?(intValue: Int) { nil }
}

extension Encodable {
    /// The value's JSON, indented, with a final line feed: what the commands print for `--format json`.
    public func jsonText() -> String { JSON.text(of: self) + "\n" }
}

extension WaterfallStep: Encodable {
    enum CodingKeys: String, CodingKey { case kind, factor, from, to, points }

    /// `{"kind", "factor", "from", "to", "points"}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encodeIfPresent(factor, forKey: .factor)
        try c.encodeIfPresent(from, forKey: .from)
        try c.encodeIfPresent(to, forKey: .to)
        try c.encode(points, forKey: .points)
    }
}

extension Waterfall: Encodable {
    enum CodingKeys: String, CodingKey {
        case accountId = "account_id", from, to, fromScore = "from_score", toScore = "to_score", change
        case fromBand = "from_band", toBand = "to_band", fromVersion = "from_version", toVersion = "to_version", steps
    }

    /// `explain`'s JSON: the two dates, scores and bands, the change, and the steps that sum to it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accountId, forKey: .accountId)
        try c.encode(Day.format(fromDay), forKey: .from)
        try c.encode(Day.format(toDay), forKey: .to)
        try c.encode(fromScore, forKey: .fromScore)
        try c.encode(toScore, forKey: .toScore)
        try c.encode(change, forKey: .change)
        try c.encode(fromBand, forKey: .fromBand)
        try c.encode(toBand, forKey: .toBand)
        // Under a history (DESIGN §15): the version in force at each date.
        if let v = versions {
            try c.encode(v.from, forKey: .fromVersion)
            try c.encode(v.to, forKey: .toVersion)
        }
        try c.encode(steps, forKey: .steps)
    }
}

/// The alerts of one date: what `alerts` reports.
public struct AlertReport: Sendable, Encodable {
    /// The date the alerts are for.
    public var asOf: Int32
    /// The alerts, in account order.
    public var alerts: [Alert]

    /// The alerts of `asOf`.
    public init(asOf: Int32, alerts: [Alert]) {
        self.asOf = asOf
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey { case asOf = "as_of", count, alerts }

    /// `{"as_of", "count", "alerts": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Day.format(asOf), forKey: .asOf)
        try c.encode(alerts.count, forKey: .count)
        try c.encode(alerts, forKey: .alerts)
    }
}

extension Alert: Encodable {
    enum CodingKeys: String, CodingKey {
        case accountId = "account_id", asOf = "as_of", reason, score, previousScore = "previous_score", change, band
        case previousBand = "previous_band", configVersion = "config_version"
    }

    /// One alert: the account, why, and its score and band now and a period before (both under the version in
    /// force at the as-of date, named by `config_version` under a history).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.accountId, forKey: .accountId)
        try c.encode(Day.format(row.asOf), forKey: .asOf)
        try c.encode(reason.rawValue, forKey: .reason)
        try c.encodeIfPresent(row.result.score, forKey: .score)
        try c.encodeIfPresent(row.previousScoreSameConfig, forKey: .previousScore)
        try c.encodeIfPresent(row.changeSameConfig, forKey: .change)
        try c.encodeIfPresent(row.band, forKey: .band)
        try c.encodeIfPresent(row.previousBandSameConfig, forKey: .previousBand)
        if let v = row.configVersion { try c.encode(v, forKey: .configVersion) }
    }
}

extension ScoreRow {
    /// A score row with the names of its points (`ScoreReport.factorNames`): one element of `score`'s
    /// `scores` array, and of the studio's rows.
    public struct Named: Encodable, Sendable {
        /// The row.
        public var row: ScoreRow
        /// The factor of each of its points.
        public var factorNames: [String]

        /// The row with its factors' names.
        public init(_ row: ScoreRow, factorNames: [String]) {
            self.row = row
            self.factorNames = factorNames
        }

        enum CodingKeys: String, CodingKey {
            case accountId = "account_id", asOf = "as_of", score, band, configVersion = "config_version", change
            case changeSameConfig = "change_same_config", risk, riskPenalty = "risk_penalty", coverage, points
        }

        /// `{"account_id", "as_of", "score", "band", ["config_version",] "change", ["change_same_config",] "risk",
        /// "risk_penalty", "coverage", "points"}` (the bracketed keys under a history).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(row.accountId, forKey: .accountId)
            try c.encode(Day.format(row.asOf), forKey: .asOf)
            try c.encodeIfPresent(row.result.score, forKey: .score)
            try c.encodeIfPresent(row.band, forKey: .band)
            // Under a history (DESIGN §15): the version, and the change with both dates under it (null kept).
            if let v = row.configVersion { try c.encode(v, forKey: .configVersion) }
            try c.encodeIfPresent(row.change, forKey: .change)
            if row.configVersion != nil { try c.encodeIfPresent(row.changeSameConfig, forKey: .changeSameConfig) }
            try c.encode(row.result.risk.description, forKey: .risk)
            try c.encode(row.result.penalty, forKey: .riskPenalty)
            try c.encodeIfPresent(row.result.coverage, forKey: .coverage)
            var points = c.nestedContainer(keyedBy: NameKey.self, forKey: .points)
            for (name, p) in zip(factorNames, row.points) { try points.encodeIfPresent(p, forKey: NameKey(name)) }
        }
    }
}

extension ScoreReport: Encodable {
    enum CodingKeys: String, CodingKey { case asOf = "as_of", factors, accountsScored = "accounts_scored", scores }

    /// `score`'s JSON: the dates, the factors, the number of rows and every row.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dates.map(Day.format), forKey: .asOf)
        try c.encode(factorNames, forKey: .factors)
        try c.encode(rows.count, forKey: .accountsScored)
        try c.encode(rows.map { ScoreRow.Named($0, factorNames: factorNames) }, forKey: .scores)
    }
}

extension Problem: Encodable {
    enum CodingKeys: String, CodingKey {
        case severity, kind, file, line, column, columnName = "column_name", value, count, message
    }

    /// One problem `validate` found, located.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(severity.rawValue, forKey: .severity)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(location.file, forKey: .file)
        try c.encodeIfPresent(location.line, forKey: .line)
        try c.encodeIfPresent(location.column, forKey: .column)
        try c.encodeIfPresent(location.columnName, forKey: .columnName)
        try c.encodeIfPresent(value, forKey: .value)
        try c.encode(count, forKey: .count)
        try c.encode(message, forKey: .message)
    }
}

extension ValidationReport: Encodable {
    enum CodingKeys: String, CodingKey { case timeline, accounts, outcomes, config, problems, errors, ok }
    enum TableKeys: String, CodingKey {
        case file, layout, rows, rowsRead = "rows_read", rowsUsed = "rows_used", rowsRejected = "rows_rejected"
        case blankLines = "blank_lines", accounts, firstDate = "first_date", lastDate = "last_date", hasRisk =
            "has_risk"
        case factors, renewed, churned
    }
    enum FactorKeys: String, CodingKey { case name, coverage, values }

    /// `validate`'s JSON: what each input holds (a part that was not given is left out), the problems, the
    /// error count and whether the data can be used.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let t = timeline {
            var o = c.nestedContainer(keyedBy: TableKeys.self, forKey: .timeline)
            try o.encode(t.file, forKey: .file)
            try o.encode(t.layout.rawValue, forKey: .layout)
            try o.encode(t.rows, forKey: .rows)
            try o.encode(t.rowsRead, forKey: .rowsRead)
            try o.encode(t.rowsUsed, forKey: .rowsUsed)
            try o.encode(t.rowsRejected, forKey: .rowsRejected)
            try o.encode(t.blankLines, forKey: .blankLines)
            try o.encode(t.accounts, forKey: .accounts)
            try o.encodeIfPresent(t.firstDate, forKey: .firstDate)
            try o.encodeIfPresent(t.lastDate, forKey: .lastDate)
            try o.encode(t.hasRisk, forKey: .hasRisk)
            var factors = o.nestedUnkeyedContainer(forKey: .factors)
            for f in t.factors {
                var e = factors.nestedContainer(keyedBy: FactorKeys.self)
                try e.encode(f.name, forKey: .name)
                try e.encode(f.coverage, forKey: .coverage)
                try e.encode(f.values, forKey: .values)
            }
        }
        if let a = accounts {
            var o = c.nestedContainer(keyedBy: TableKeys.self, forKey: .accounts)
            try o.encode(a.file, forKey: .file)
            try o.encode(a.rowsUsed, forKey: .rows)
            try o.encode(a.rowsRead, forKey: .rowsRead)
            try o.encode(a.rowsRejected, forKey: .rowsRejected)
        }
        if let u = outcomes {
            var o = c.nestedContainer(keyedBy: TableKeys.self, forKey: .outcomes)
            try o.encode(u.table.file, forKey: .file)
            try o.encode(u.table.rowsUsed, forKey: .rows)
            try o.encode(u.table.rowsRead, forKey: .rowsRead)
            try o.encode(u.table.rowsRejected, forKey: .rowsRejected)
            try o.encode(u.renewed, forKey: .renewed)
            try o.encode(u.churned, forKey: .churned)
        }
        if let file = configurationFile {
            var o = c.nestedContainer(keyedBy: TableKeys.self, forKey: .config)
            try o.encode(file, forKey: .file)
        }
        try c.encode(problems, forKey: .problems)
        try c.encode(errorCount, forKey: .errors)
        try c.encode(!hasErrors, forKey: .ok)
    }
}
