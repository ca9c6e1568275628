/// How a model treats a feature with no value (DESIGN §13).
public enum MissingTreatment: String, Sendable, CaseIterable, Codable {
    /// Fill with the mean of the observed values and add a 0/1 `<factor>_missing` column (the default).
    case indicator
    /// Fill with the mean of the observed values, no indicator.
    case mean
    /// Complete cases only: a row with a missing value is left out and counted.
    case drop
}

/// A design after its missing-value treatment: the rows and columns a model is fitted on, and what was filled.
public struct TreatedDesign: Sendable {
    /// The treatment applied.
    public var treatment: MissingTreatment
    /// Rows kept × (the features used, then the indicator columns), column-major.
    public var x: Matrix
    /// The column names: the features used, then `<feature>_missing` for each indicator.
    public var names: [String]
    /// Each kept row's index among the rows given.
    public var rows: [Int]
    /// The outcome (1 = the event) of each kept row.
    public var y: [Double]
    /// The features given, in order.
    public var features: [String]
    /// Per feature given, the mean of its observed values (NaN when it has none): the fill value.
    public var fill: [Double]
    /// Per feature given, whether it is a column of the design (false: missing in every row, left out).
    public var used: [Bool]
    /// The features that have an indicator column, in column order.
    public var indicators: [String]
    /// Per feature given, how many values were filled (0 under `drop`).
    public var filled: [Int]
    /// Per feature given, how many rows had no value.
    public var missing: [Int]
    /// Rows left out for a missing value (`drop` only).
    public var dropped: Int
    /// What the treatment noticed: a feature missing everywhere, an indicator that separates the outcomes.
    public var diagnostics: [Diagnostic]
}

extension TreatedDesign {
    /// One row of raw feature values (NaN = no value, in `features` order) as a row of this design: a used
    /// feature's value or its fill value, then each indicator; with the features that were filled.
    public func row(_ raw: [Double]) -> (x: [Double], filled: [String]) {
        var x: [Double] = []
        var filledNames: [String] = []
        x.reserveCapacity(names.count)
        for j in features.indices where used[j] {
            if raw[j].isNaN {
                x.append(fill[j])
                filledNames.append(features[j])
            } else {
                x.append(raw[j])
            }
        }
        for f in indicators { x.append(raw[features.firstIndex(of: f)!].isNaN ? 1 : 0) }
        return (x, filledNames)
    }

    /// The design without the indicator of `factor` (its values stay filled): a model found that it alone
    /// separates the outcomes. The matrix loses the column when it has it.
    public func droppingIndicator(_ factor: String) -> TreatedDesign {
        guard let k = indicators.firstIndex(of: factor) else { return self }
        var d = self
        let column = names.count - indicators.count + k
        d.indicators.remove(at: k)
        d.names.remove(at: column)
        if x.columns == names.count {
            d.x = x.selecting(columns: (0..<x.columns).filter { $0 != column })
        }
        return d
    }

    /// The treatment's record without the design matrix (kept by results that hold the data elsewhere).
    public var summary: TreatedDesign {
        var s = self
        s.x = Matrix(rows: 0, columns: 0)
        return s
    }
}

/// The missing-value treatments of DESIGN §13, shared by `fit`, `survival`, `rank` and `compare`'s case mix.
public enum MissingValues {
    /// Applies a treatment to raw features (NaN = no value). `y` (1 = the event) is used to find an indicator
    /// that alone separates the outcomes: such an indicator is left out, and its feature only filled.
    public static func treat(
        _ x: Matrix, names: [String], y: [Double], treatment: MissingTreatment
    ) -> TreatedDesign {
        var copy = x  // shares the storage until the fill writes to it (copy on write)
        return treatInPlace(&copy, names: names, y: y, treatment: treatment)
    }

    /// `treat`, filling `x`'s own storage when nothing else holds it (the survival design's intervals: no second
    /// copy of the largest matrix); `x` is left empty.
    public static func treatInPlace(
        _ x: inout Matrix, names: [String], y: [Double], treatment: MissingTreatment
    ) -> TreatedDesign {
        let n = x.rows, p = x.columns
        var missing = [Int](repeating: 0, count: p)
        var fill = [Double](repeating: .nan, count: p)
        var diagnostics: [Diagnostic] = []
        x.storage.withUnsafeBufferPointer { s in
            for j in 0..<p {
                var sum = 0.0, count = 0
                for i in 0..<n {
                    let v = s[j * n + i]
                    if v.isNaN { missing[j] += 1 } else { sum += v; count += 1 }
                }
                fill[j] = count > 0 ? sum / Double(count) : .nan
            }
        }
        var rows = Array(0..<n)
        var dropped = 0
        if treatment == .drop {
            rows = (0..<n).filter { i in (0..<p).allSatisfy { !x[i, $0].isNaN } }
            dropped = n - rows.count
        }
        var used = [Bool](repeating: true, count: p)
        if treatment != .drop {
            for j in 0..<p where missing[j] == n && n > 0 {
                used[j] = false
                diagnostics.append(
                    Diagnostic(
                        .allMissing, column: names[j],
                        message: "'\(names[j])' has no value in any of the \(n) rows: the model leaves it out"))
            }
        }
        var indicators: [Int] = []
        var indicatorColumns: [[Double]] = []
        if treatment == .indicator {
            for j in 0..<p where used[j] && missing[j] > 0 {
                let column = (0..<n).map { x[$0, j].isNaN ? 1.0 : 0.0 }
                let outcomes = Set((0..<n).filter { column[$0] == 1 }.map { y[$0] })
                if outcomes.count < 2 {
                    let what = outcomes.first == 1 ? "ended in the event" : "did not end in the event"
                    diagnostics.append(
                        Diagnostic(
                            .indicatorSeparates, column: "\(names[j])_missing",
                            message: (missing[j] == 1
                                ? "the one row without '\(names[j])' \(what)"
                                : "every one of the \(missing[j]) rows without '\(names[j])' \(what)")
                                + ": its indicator alone separates the outcomes, so it is left out and the value only "
                                + "filled"))
                    continue
                }
                if let k = indicatorColumns.firstIndex(of: column) {
                    diagnostics.append(
                        Diagnostic(
                            .sameMissingRows, column: "\(names[j])_missing",
                            message:
                                "'\(names[j])' is missing in exactly the rows where '\(names[indicators[k]])' is: "
                                + "one indicator, '\(names[indicators[k]])_missing', stands for both"))
                    continue
                }
                indicators.append(j)
                indicatorColumns.append(column)
            }
        }
        let kept = (0..<p).filter { used[$0] }
        var filled = [Int](repeating: 0, count: p)
        var storage: [Double] = []
        if treatment == .drop {
            storage.reserveCapacity(rows.count * kept.count)
            for j in kept { for i in rows { storage.append(x[i, j]) } }
        } else {
            // Every row stays: fill the gaps where they are, then append the indicator columns.
            swap(&storage, &x.storage)
            storage.withUnsafeMutableBufferPointer { s in
                for j in kept {
                    for i in 0..<n where s[j * n + i].isNaN {
                        s[j * n + i] = fill[j]
                        filled[j] += 1
                    }
                }
            }
            if kept.count < p {
                var compact: [Double] = []
                compact.reserveCapacity(n * (kept.count + indicators.count))
                for j in kept { compact += storage[(j * n)..<((j + 1) * n)] }
                storage = compact
            }
            storage.reserveCapacity(n * (kept.count + indicators.count))
            for column in indicatorColumns { storage += column }
        }
        x = Matrix(rows: 0, columns: 0)
        return TreatedDesign(
            treatment: treatment, x: Matrix(rows: rows.count, columns: kept.count + indicators.count, storage: storage),
            names: kept.map { names[$0] } + indicators.map { "\(names[$0])_missing" }, rows: rows,
            y: treatment == .drop ? rows.map { y[$0] } : y, features: names,
            fill: fill, used: used, indicators: indicators.map { names[$0] }, filled: filled, missing: missing,
            dropped: dropped, diagnostics: diagnostics)
    }
}
