/// Which way a factor points: its AUC is reported ≥ 0.5 in this direction.
public enum IndicatorDirection: String, Sendable, CaseIterable {
    case higherIsRiskier = "higher_is_riskier"
    case higherIsHealthier = "higher_is_healthier"
}

/// Whether a factor still separates churners far ahead of the decision (DESIGN §4).
public enum IndicatorKind: String, Sendable, CaseIterable {
    case leading, lagging
}

/// One factor at one horizon: how well its value that many days before the decision separates churn.
public struct IndicatorCell: Sendable {
    /// The horizon in days.
    public var horizon: Int
    /// ≥ 0.5: the AUC in the factor's own direction (nil when fewer than two classes have a value).
    public var auc: Double?
    /// Whether a higher value goes with less or more churn, when the evidence says so.
    public var direction: IndicatorDirection?
    /// Univariate logistic slope (log-odds of churn per unit of the raw factor); nil when it cannot be estimated.
    public var coefficient: Double?
    /// Observations with a value at this horizon.
    public var observations: Int
    /// Of them, churned.
    public var churns: Int
}

/// One factor's indicator cells across horizons.
public struct IndicatorRow: Sendable {
    /// The factor.
    public var name: String
    /// One cell per horizon.
    public var cells: [IndicatorCell]
    /// The horizon where the factor predicts best, if any.
    public var peakHorizon: Int?
    /// Leading, lagging or neither.
    public var kind: IndicatorKind
}

/// The leading/lagging table (DESIGN §4).
public struct IndicatorReport: Sendable {
    /// The horizons, in days.
    public var horizons: [Int]
    /// One row per factor.
    public var rows: [IndicatorRow]
    /// Soft problems (a factor that separates nothing at some horizon: one class, or no values there).
    public var diagnostics: [Diagnostic] = []
    /// The rule that classifies a factor as leading or lagging, as printed under the table.
    public static let rule =
        "leading: at some horizon of at least 90 days the factor keeps at least half of its peak separation (AUC − "
        + "0.5); lagging: its separation is concentrated at shorter horizons"

    /// The horizons used when none are given.
    public static let defaultHorizons = [30, 60, 90, 180, 365]
}

/// Classifies factors as leading or lagging indicators of churn.
public enum Indicators {
    /// Tells the dataset's timeline what `run` will read (`Observations.prepare`): call it before the outcomes
    /// are read.
    public static func prepare(
        _ dataset: Dataset, factors: [String]? = nil, horizons: [Int] = IndicatorReport.defaultHorizons
    ) {
        Observations.prepare(
            dataset, factors: factors ?? dataset.configuration?.base.factors.map(\.name),
            options: ObservationOptions(horizons: horizons, keepMissing: true))
    }

    /// `factors` default to the dataset configuration's (with none, every numeric timeline column).
    public static func run(
        _ dataset: Dataset, factors: [String]? = nil, horizons: [Int] = IndicatorReport.defaultHorizons
    ) throws -> IndicatorReport {
        let factors = factors ?? dataset.configuration?.base.factors.map(\.name)
        let sets = try Observations.build(
            dataset, factors: factors,
            options: ObservationOptions(horizons: horizons, keepMissing: true))
        let names = sets.first?.featureNames ?? []
        var rows: [IndicatorRow] = []
        for (j, name) in names.enumerated() {
            var cells: [IndicatorCell] = []
            for set in sets {
                var x: [Double] = [], y: [Double] = []
                for i in 0..<set.count where !set.x[i, j].isNaN { x.append(set.x[i, j]); y.append(set.y[i]) }
                var cell = IndicatorCell(
                    horizon: set.horizon, auc: nil, direction: nil, coefficient: nil, observations: x.count,
                    churns: Int(y.reduce(0, +)))
                if let a = Metrics.auc(risk: x, churned: y) {
                    cell.auc = max(a, 1 - a)
                    cell.direction = a >= 0.5 ? .higherIsRiskier : .higherIsHealthier
                    if let f = try? LogisticRegression(threads: 1).fit(
                        Matrix(rows: x.count, columns: 1, storage: x), y, names: [name])
                    {
                        cell.coefficient = f.coefficients[1]
                    }
                }
                cells.append(cell)
            }
            let peak = cells.filter { $0.auc != nil }.max { ($0.auc!, -$0.horizon) < ($1.auc!, -$1.horizon) }
            var kind = IndicatorKind.lagging
            if let peak, let pa = peak.auc, pa > 0.5 {
                let far = cells.filter { $0.horizon >= 90 }.compactMap(\.auc).max() ?? 0.5
                if far - 0.5 >= 0.5 * (pa - 0.5) { kind = .leading }
            }
            rows.append(IndicatorRow(name: name, cells: cells, peakHorizon: peak?.horizon, kind: kind))
        }
        var report = IndicatorReport(horizons: horizons, rows: rows)
        for row in rows {
            let none = row.cells.filter { $0.auc == nil }.map(\.horizon)
            if !none.isEmpty {
                report.diagnostics.append(
                    Diagnostic(
                        .mostlyMissing, column: row.name,
                        message:
                            "'\(row.name)' has no AUC at \(none.map { "\($0)d" }.joined(separator: ", ")): no values "
                            + "there, or only one outcome among them"
                    ))
            }
        }
        return report
    }
}
