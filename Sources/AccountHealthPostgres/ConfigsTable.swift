import AccountHealth
import Foundation

/// A configuration history held in a table (DESIGN §15): `id, effective_from, author, note, yaml, evidence,
/// created_at`, one row per version. `yaml` is the version's file (`ConfigurationVersion.yaml`, or any
/// configuration: the row's columns say the id and the date); `evidence` is its evidence as JSON.
public enum ConfigsTable {
    /// The history in `table`; nil when the table has no row yet.
    public static func history(_ source: DatabaseSource, table: String) throws -> ConfigurationHistory? {
        let name = source.displayName(table)
        let qualified = source.tables.qualified(table)
        let rows = try source.database.rows(
            "SELECT id, CAST(effective_from AS TEXT), author, note, yaml FROM \(qualified) ORDER BY effective_from, id",
            table: name)
        var versions: [ConfigurationVersion] = []
        for (i, r) in rows.enumerated() {
            let id = r[0] ?? ""
            let place = "\(name) row \(i + 1) (id '\(id)')"
            guard ConfigurationVersion.isPlainId(id) else {
                throw InputError(
                    .invalidConfiguration, Location(file: place), value: id,
                    "id: must be a plain name: letters, digits, '.', '_', '-', not starting with '.'")
            }
            guard let text = r[1], let day = Day.parse(text) else {
                throw InputError(.invalidConfiguration, Location(file: place), value: r[1], "effective_from: missing")
            }
            let yaml = r[4] ?? ""
            let configuration = try Configuration.parse(yaml: yaml, file: place)
            // The evidence block of a file `config new` wrote (a hand-made row may have none).
            let evidence = (try? ConfigurationVersion.parse(yaml: yaml, file: place))?.evidence
            versions.append(
                ConfigurationVersion(
                    id: id, effectiveFrom: day, author: r[2], note: r[3], evidence: evidence,
                    configuration: configuration, file: place))
        }
        return versions.isEmpty ? nil : try ConfigurationHistory(versions, name: name)
    }

    /// The history in `table`; a table with no row, or no such table, is a located error (a history to replay
    /// needs a version).
    public static func requireHistory(_ source: DatabaseSource, table: String) throws -> ConfigurationHistory {
        guard let h = try historyIfAny(source, table: table) else {
            throw InputError(
                .invalidConfiguration, Location(file: source.displayName(table)),
                "the configuration history table has no versions")
        }
        return h
    }

    /// The history in `table`, or nil when there is no such table or it has no row.
    public static func historyIfAny(_ source: DatabaseSource, table: String) throws -> ConfigurationHistory? {
        try source.exists(table) ? try history(source, table: table) : nil
    }

    /// Inserts a version in one transaction (the table created when missing, with the id and the date unique, so
    /// a concurrent duplicate fails too); a duplicate id or date is refused first, naming the row that has it.
    public static func insert(_ version: ConfigurationVersion, into table: String, source: DatabaseSource) throws {
        let name = source.displayName(table)
        let qualified = source.tables.qualified(table)
        if let h = try historyIfAny(source, table: table) {
            try h.checkNew(id: version.id, effectiveFrom: version.effectiveFrom, file: name)
        }
        func text(_ s: String?) -> String { s.map(PushDown.literal) ?? "NULL" }
        let evidence = version.evidence.map {
            "CAST(\(PushDown.literal(JSON.encode($0).serialized(pretty: false))) AS jsonb)"
        }
        let statements = [
            """
            CREATE TABLE IF NOT EXISTS \(qualified) (id text PRIMARY KEY, effective_from date NOT NULL UNIQUE, \
            author text, note text, yaml text NOT NULL, evidence jsonb, created_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            INSERT INTO \(qualified) (id, effective_from, author, note, yaml, evidence) VALUES \
            (\(PushDown.literal(version.id)), DATE '\(Day.format(version.effectiveFrom))', \(text(version.author)), \
            \(text(version.note)), \(PushDown.literal(version.yaml())), \(evidence ?? "NULL"))
            """,
        ]
        do {
            try source.database.transaction(statements, table: name)
        } catch let e as DatabaseError {
            if "\(e)".contains("duplicate key") {
                throw InputError(
                    .duplicateVersion, Location(file: name), value: version.id,
                    "a version with this id or date was inserted meanwhile")
            }
            throw e
        }
    }
}
