import Foundation
import Testing
@testable import AccountHealth

/// Reference values (a fixture written by a script of Tests/Reference/, or one of its objects) with typed
/// look-ups: a missing or mistyped key fails the test that asked, naming the key, instead of trapping.
struct Reference {
    let values: [String: Any]
    let label: String

    init(_ values: [String: Any], label: String) {
        self.values = values
        self.label = label
    }

    /// A whole fixture file of Fixtures/.
    init(fixture name: String) throws {
        self.init(try fixtureJSON(name), label: name)
    }

    func object(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> Reference {
        guard let o = values[key] as? [String: Any] else {
            Issue.record("\(label): no object '\(key)'", sourceLocation: sourceLocation)
            return Reference([:], label: "\(label).\(key)")
        }
        return Reference(o, label: "\(label).\(key)")
    }

    func numbers(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Double] {
        if let v = values[key] as? [Double] { return v }
        Issue.record("\(label): no number list '\(key)'", sourceLocation: sourceLocation)
        return []
    }

    func strings(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        if let v = values[key] as? [String] { return v }
        Issue.record("\(label): no string list '\(key)'", sourceLocation: sourceLocation)
        return []
    }

    func number(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> Double {
        if let v = values[key] as? Double { return v }
        Issue.record("\(label): no number '\(key)'", sourceLocation: sourceLocation)
        return .nan
    }

    func int(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        if let v = values[key] as? Int { return v }
        Issue.record("\(label): no integer '\(key)'", sourceLocation: sourceLocation)
        return -1
    }

    /// One column of a list of pairs (statsmodels' `conf_int()`), or a field of a list of objects.
    func column(_ key: String, _ index: Int, sourceLocation: SourceLocation = #_sourceLocation) -> [Double] {
        if let rows = values[key] as? [[Double]], rows.allSatisfy({ $0.count > index }) { return rows.map { $0[index] } }
        Issue.record("\(label): no pair list '\(key)'", sourceLocation: sourceLocation)
        return []
    }

    func field(_ key: String, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Double] {
        if let rows = values[key] as? [[String: Any]] {
            let v = rows.compactMap { $0[field] as? Double }
            if v.count == rows.count { return v }
        }
        Issue.record("\(label): no '\(field)' in every object of '\(key)'", sourceLocation: sourceLocation)
        return []
    }
}

/// The statistics a fitted model is checked on.
enum Statistic: String {
    case coefficients, standardErrors, robustStandardErrors, pValues, confidenceLow, confidenceHigh
    case logLikelihood, nullLogLikelihood, aic, mcFaddenR2, concordance
}

/// A fit whose statistics can be compared with reference values: its terms as the `TermTable` every output is
/// rendered from, and its model-level statistics.
protocol CheckableFit {
    var termTable: TermTable { get }
    var logLikelihood: Double { get }
    var nullLogLikelihood: Double { get }
    var aic: Double { get }
    /// A statistic only this model has (McFadden's R², concordance), or nil.
    func own(_ s: Statistic) -> Double?
}

extension CheckableFit {
    /// The statistic's values (one per term, or one for a model-level statistic); nil when the model has none.
    func values(_ s: Statistic) -> [Double]? {
        let t = termTable
        switch s {
        case .coefficients: return t.terms.map(\.estimate)
        case .standardErrors: return t.terms.map { $0.standardError ?? .nan }
        case .pValues: return t.terms.map { $0.pValue ?? .nan }
        case .confidenceLow: return t.terms.map { $0.ciLow ?? .nan }
        case .confidenceHigh: return t.terms.map { $0.ciHigh ?? .nan }
        case .robustStandardErrors: return t.extras.contains(.robustStdError) ? t.terms.map { t.extra(.robustStdError, of: $0) ?? .nan } : nil
        case .logLikelihood: return [logLikelihood]
        case .nullLogLikelihood: return [nullLogLikelihood]
        case .aic: return [aic]
        case .mcFaddenR2, .concordance: return own(s).map { [$0] }
        }
    }
}

extension LogisticFit: CheckableFit {
    var termTable: TermTable { terms() }
    func own(_ s: Statistic) -> Double? { s == .mcFaddenR2 ? mcFaddenR2 : nil }
}

extension CoxFit: CheckableFit {
    var termTable: TermTable { terms }
    func own(_ s: Statistic) -> Double? { s == .concordance ? concordance : nil }
}

/// One comparison: a statistic against reference values, at a relative tolerance. `floor`: reference values
/// below it in magnitude count as matched by anything as small (p-values that underflow differently);
/// `seFraction`: an estimate near zero also matches within that fraction of its standard error.
struct Check {
    var statistic: Statistic
    var expected: [Double]
    var tolerance: Double
    var floor: Double = 0
    var seFraction: Double? = nil

    init(_ statistic: Statistic, _ expected: [Double], _ tolerance: Double, floor: Double = 0, seFraction: Double? = nil) {
        self.statistic = statistic
        self.expected = expected
        self.tolerance = tolerance
        self.floor = floor
        self.seFraction = seFraction
    }

    init(_ statistic: Statistic, _ expected: Double, _ tolerance: Double) {
        self.init(statistic, [expected], tolerance)
    }
}

/// In the spirit of statsmodels' `CheckModelResults`: every statistic a reference holds is compared with the
/// fit's at its own tolerance, each mismatch reported with the term and both values.
func checkFit(_ fit: some CheckableFit, _ checks: [Check], names: [String]? = nil, label: String,
              sourceLocation: SourceLocation = #_sourceLocation) {
    for c in checks {
        guard let ours = fit.values(c.statistic) else {
            Issue.record("\(label): the model has no \(c.statistic)", sourceLocation: sourceLocation)
            continue
        }
        guard ours.count == c.expected.count, !ours.isEmpty else {
            Issue.record("\(label) \(c.statistic): \(ours.count) values, reference has \(c.expected.count)", sourceLocation: sourceLocation)
            continue
        }
        let se = c.seFraction != nil ? fit.values(.standardErrors) : nil
        for (j, (a, b)) in zip(ours, c.expected).enumerated() {
            var ok = relClose(a, b, c.tolerance) || (abs(b) < c.floor && abs(a) < c.floor)
            if !ok, let f = c.seFraction, let se, j < se.count { ok = abs(a - b) < f * se[j] }
            let term = names.map { j < $0.count ? $0[j] : "\(j)" } ?? (ours.count > 1 ? "[\(j)]" : "")
            #expect(ok, "\(label) \(c.statistic)\(term.isEmpty ? "" : " \(term)"): \(a) vs \(b) (tolerance \(c.tolerance))",
                    sourceLocation: sourceLocation)
        }
    }
}
