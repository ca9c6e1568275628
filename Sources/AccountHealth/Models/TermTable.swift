/// One row per model term in one vocabulary for every model (broom's `tidy`): the logistic fit, the
/// constrained weight model, Cox and the discrete-time hazard all produce a `TermTable`, and one renderer
/// per format writes it. Core columns: `name, estimate, std_error, z, p_value, ci_low, ci_high` (95%
/// Wald intervals on the estimate's scale); model-specific extras follow in `Extra`'s order.
public struct TermTable: Sendable {
    /// Which model the terms belong to (the `model` column of the CSV outputs).
    public enum Model: String, Sendable, CaseIterable {
        case logistic, constrained, cox
        case scoreForm = "score_form"
        case discreteTime = "discrete_time"
    }

    /// Model-specific columns, always written in this order after the core ones.
    public enum Extra: String, Sendable, CaseIterable, Comparable {
        case robustStdError = "robust_std_error"
        case oddsRatio = "odds_ratio"
        case hazardRatio = "hazard_ratio"
        case standardized
        case mean
        case currentWeight = "current_weight"
        case suggestedWeight = "suggested_weight"
        case weightCILow = "weight_ci_low"
        case weightCIHigh = "weight_ci_high"

        /// In column order.
        public static func < (a: Extra, b: Extra) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// One term's row.
    public struct Term: Sendable {
        /// The term.
        public var name: String
        /// The estimate.
        public var estimate: Double
        /// Its standard error.
        public var standardError: Double?
        /// Its Wald z.
        public var z: Double?
        /// Its two-sided p-value.
        public var pValue: Double?
        /// Its 95 % interval, low end.
        public var ciLow: Double?
        /// Its 95 % interval, high end.
        public var ciHigh: Double?
        /// One value per `TermTable.extras` column (nil = empty).
        public var extras: [Double?]

        /// A term's row.
        public init(
            name: String, estimate: Double, standardError: Double? = nil, z: Double? = nil, pValue: Double? = nil,
            ciLow: Double? = nil, ciHigh: Double? = nil, extras: [Double?] = []
        ) {
            self.name = name
            self.estimate = estimate
            self.standardError = standardError
            self.z = z
            self.pValue = pValue
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.extras = extras
        }
    }

    /// The core column names, in order (the term column is `name` everywhere, as in DESIGN §6's JSON).
    public static let coreColumns = ["name", "estimate", "std_error", "z", "p_value", "ci_low", "ci_high"]

    /// The model the table belongs to.
    public var model: Model
    /// The extra columns, in order.
    public var extras: [Extra]
    /// The rows.
    public var terms: [Term]

    /// A table of a model's terms.
    public init(model: Model, extras: [Extra], terms: [Term]) {
        self.model = model
        self.extras = extras
        self.terms = terms
    }

    /// The value of an extra column for a term (nil when this table has no such column or it is empty).
    public func extra(_ e: Extra, of term: Term) -> Double? {
        guard let k = extras.firstIndex(of: e), k < term.extras.count else { return nil }
        return term.extras[k]
    }
}

extension LogisticFit {
    /// The tidy terms: estimates with Wald errors and intervals, odds ratios and standardised coefficients.
    public func terms(model: TermTable.Model = .logistic) -> TermTable {
        let se = standardErrors, z = zValues, p = pValues, lo = confidenceLow, hi = confidenceHigh, or = oddsRatios,
            sc = standardized
        return TermTable(
            model: model, extras: [.oddsRatio, .standardized],
            terms: names.indices.map { j in
                TermTable.Term(
                    name: names[j], estimate: coefficients[j], standardError: se[j], z: z[j], pValue: p[j],
                    ciLow: lo[j], ciHigh: hi[j], extras: [or[j], sc[j]])
            })
    }
}

extension CoxFit {
    /// The tidy terms: model-based errors (as lifelines and R report by default), intervals, hazard ratios,
    /// the clustered robust errors and each factor's mean (the baseline's reference point).
    public var terms: TermTable {
        let se = standardErrors, rse = robustStandardErrors, z = zValues, p = pValues, hr = hazardRatios,
            lo = confidenceLow, hi = confidenceHigh
        return TermTable(
            model: .cox, extras: [.robustStdError, .hazardRatio, .mean],
            terms: names.indices.map { j in
                TermTable.Term(
                    name: names[j], estimate: coefficients[j], standardError: se[j], z: z[j], pValue: p[j],
                    ciLow: lo[j], ciHigh: hi[j], extras: [rse[j], hr[j], means[j]])
            })
    }
}

extension WeightSuggestion {
    /// The score-form model's terms (DESIGN §13): the intercept, each factor's coefficient on the 0–100 scale
    /// (−k·w_f/100: negative lowers churn) with the current and suggested weights and their bootstrap interval,
    /// then `risk_<level>` for each fitted penalty (k·p: the log-odds a flag adds). The estimates are on bounds
    /// or tied by Σw = 100, so they have no Wald errors; the inferential columns are empty and the bootstrap
    /// interval is on the weights.
    public var terms: TermTable {
        var rows = [TermTable.Term(name: "intercept", estimate: fit.intercept, extras: [nil, nil, nil, nil])]
        for j in factors.indices {
            rows.append(
                TermTable.Term(
                    name: factors[j], estimate: -fit.theta[1 + j],
                    extras: [current[j], suggested[j], bootstrapLow?[j], bootstrapHigh?[j]]))
        }
        for (k, level) in fittedLevels.enumerated() {
            rows.append(
                TermTable.Term(
                    name: "risk_\(RiskLevel(rawValue: UInt8(level))!)", estimate: fit.theta[1 + factors.count + k],
                    extras: [nil, nil, nil, nil]))
        }
        return TermTable(
            model: .scoreForm, extras: [.currentWeight, .suggestedWeight, .weightCILow, .weightCIHigh], terms: rows)
    }
}
