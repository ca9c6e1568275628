/// Why a model could not be fitted: typed, naming the factor and saying what to try.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case noObservations(String)
    case oneClass(churned: Bool, count: Int)
    case constantFactor(name: String, value: Double)
    case collinear(factor: String, with: [String])
    case separation(factors: [String], detail: String)
    case notConverged(iterations: Int, detail: String)
    /// Survival data with no event: there is nothing to fit.
    case noEvents(intervals: Int)
    /// A survival interval that is not `(start, stop]` with start < stop, both finite.
    case invalidInterval(index: Int, detail: String)

    /// What went wrong, in words.
    public var description: String {
        switch self {
        case .noObservations(let why):
            return "no observations to fit: \(why)"
        case .oneClass(let churned, let n):
            return
                "all \(n) observations are \(churned ? "churned" : "renewed"): there is nothing to tell apart (widen "
                + "the outcome window or check the outcomes file)"
        case .constantFactor(let name, let v):
            return
                "factor '\(name)' has the same value (\(v)) in every observation: its effect cannot be estimated; "
                + "remove it from the configuration"
        case .collinear(let f, let others):
            return
                "factor '\(f)' is a linear combination of "
                + "\(others.isEmpty ? "the intercept" : others.map { "'\($0)'" }.joined(separator: ", ")) (singular "
                + "design): remove one of them, or add a ridge penalty"
        case .separation(let fs, let detail):
            let who = fs.isEmpty ? "a combination of factors" : fs.map { "'\($0)'" }.joined(separator: ", ")
            return
                "perfect or quasi-complete separation: \(who) separates churned from renewed accounts, so the "
                + "maximum-likelihood estimates are infinite (\(detail)); add a ridge penalty or remove the factor"
        case .noEvents(let n):
            return
                "none of the \(n) intervals ends in a churn: there is no event to fit a hazard model on (check the "
                + "outcomes file and its dates)"
        case .invalidInterval(let i, let detail):
            return "interval \(i + 1) is not a valid (start, stop] interval: \(detail)"
        case .notConverged(let it, let detail):
            return
                "the fit did not converge in \(it) iterations (\(detail)); check for extreme values, add a ridge "
                + "penalty, or remove weak factors"
        }
    }
}

/// A soft problem found by an analysis, naming the column it concerns (Swift has no warnings channel for
/// libraries): every result carries its diagnostics, and renderers show them as notes or as JSON objects.
public struct Diagnostic: Sendable, Equatable {
    /// The kind of a diagnostic, with its snake_case name.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        // Models
        case quasiSeparation = "quasi_separation"
        case largeEffect = "large_effect"
        case mostlyMissing = "mostly_missing"
        case modelNotFitted = "model_not_fitted"
        case fewEvents = "few_events"
        // Missing values and the score-form fit (DESIGN §13)
        case allMissing = "all_missing"
        case indicatorSeparates = "indicator_separates"
        case sameMissingRows = "same_missing_rows"
        case noSignal = "no_signal"
        case penaltyKept = "penalty_kept"
        // Inputs and their coverage
        case noConfiguration = "no_configuration"
        case beforeFirstVersion = "before_first_version"
        case noEvidence = "no_evidence"
        case noAccounts = "no_accounts"
        case unknownSegment = "unknown_segment"
        case noWeight = "no_weight"
        case noHistory = "no_history"
        case imputed = "imputed"
        // Survival design
        case droppedIntervals = "dropped_intervals"
        case churnWithoutHistory = "churn_without_history"
        case churnBeforeFirstRow = "churn_before_first_row"
        case rowsAfterChurn = "rows_after_churn"
        case laterChurns = "later_churns"
        case beyondFollowUp = "beyond_follow_up"
        // What a result is based on
        case modelSource = "model_source"
        case sectionLeftOut = "section_left_out"
        // The activity log (DESIGN §9)
        case duplicateEvents = "duplicate_events"
        case unknownEventType = "unknown_event_type"
        case accountsWithoutRows = "accounts_without_rows"
        case unusedSetting = "unused_setting"
    }

    /// What kind of problem it is.
    public var kind: Kind
    /// The column (factor, feature) concerned, if one is.
    public var column: String?
    /// What was found, in words.
    public var message: String

    /// A diagnostic of a kind, about a column, with a message.
    public init(_ kind: Kind, column: String? = nil, message: String) {
        self.kind = kind
        self.column = column
        self.message = message
    }
}
