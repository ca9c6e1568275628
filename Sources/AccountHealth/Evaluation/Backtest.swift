/// How a configuration's scores would have predicted the renewals that followed them (DESIGN §4).
public struct BacktestOptions: Sendable {
    /// Days after a cutoff within which a churn counts.
    public var horizon = 90
    /// Days between cutoffs.
    public var step = 30
    /// The first cutoff, or nil for the earliest possible.
    public var from: Int32? = nil
    /// The last cutoff, or nil for the latest possible.
    public var to: Int32? = nil
    /// k of precision at k.
    public var k = 50
    /// Backtest options: horizon, step, cutoff range and the k of precision at k.
    public init(horizon: Int = 90, step: Int = 30, from: Int32? = nil, to: Int32? = nil, k: Int = 50) {
        self.horizon = horizon; self.step = step; self.from = from; self.to = to; self.k = k
    }

    /// Throws when the step or the horizon is not a positive number of days.
    public func check() throws {
        guard step > 0 else {
            throw InputError(
                .invalidArgument, Location(file: "step"), value: String(step), "must be a positive number of days")
        }
        guard horizon > 0 else {
            throw InputError(
                .invalidArgument, Location(file: "horizon"), value: String(horizon), "must be a positive number of days"
            )
        }
    }
}

/// The accounts and churns of one band.
public struct BandRate: Sendable {
    /// The band.
    public var band: String
    /// Accounts scored in the band.
    public var accounts: Int
    /// Of them, churned within the horizon.
    public var churns: Int
    /// Churns over accounts, or nil for an empty band.
    public var churnRate: Double? { accounts > 0 ? Double(churns) / Double(accounts) : nil }
}

/// The metrics of one set of (score, outcome) pairs: one cutoff, or all pooled.
public struct BacktestSlice: Sendable {
    /// The cutoff day, or nil for all cutoffs pooled.
    public var cutoff: Int32?
    /// Accounts scored.
    public var accounts: Int
    /// Of them, churned within the horizon.
    public var churns: Int
    /// The AUC of the score against churn, or nil without both classes.
    public var auc: Double?
    /// The churn rate of the lowest-scored decile over the overall rate.
    public var topDecileLift: Double?
    /// The share of churners among the k lowest scores.
    public var precisionAtK: Double?
    /// The churn rate per band.
    public var bands: [BandRate]
}

/// One step of the isotonic calibration of score to churn probability.
public struct CalibrationStep: Sendable {
    /// The lowest score of the step.
    public var scoreFrom: Double
    /// The highest score of the step.
    public var scoreTo: Double
    /// The churn probability of the step.
    public var probability: Double
    /// Observations in the step.
    public var observations: Int
}

/// One row of a reliability table.
public struct ReliabilityRow: Sendable {
    /// The decile or band.
    public var label: String
    /// Observations in the row.
    public var observations: Int
    /// Their mean score.
    public var meanScore: Double?
    /// Their churn rate.
    public var observedRate: Double?
    /// The isotonic map's mean probability over the rows (what the calibrated score predicts).
    public var predictedRate: Double?
}

/// The backtest of another configuration against the current one, on the same cutoffs.
public struct ConfigComparison: Sendable {
    /// The other configuration's file.
    public var otherFile: String
    /// The other configuration's pooled slice.
    public var overall: BacktestSlice
    /// The current configuration's pooled slice.
    public var overallCurrent: BacktestSlice
    /// Spearman correlation of the two configurations' scores over the backtest pairs.
    public var rankCorrelation: Double?
    /// Accounts scored on `matrixDate` by band: rows are the current configuration's bands, columns the other's.
    public var matrix: [[Int]]
    /// The current configuration's bands.
    public var currentBands: [String]
    /// The other configuration's bands.
    public var otherBands: [String]
    /// The day of the band-to-band matrix.
    public var matrixDate: Int32
    /// Accounts whose band differs between the two configurations on that day.
    public var accountsChangingBand: Int
}

/// `backtest`'s result.
public struct BacktestReport: Sendable {
    /// The options it ran with.
    public var options: BacktestOptions
    /// One slice per cutoff.
    public var cutoffs: [BacktestSlice]
    /// All cutoffs pooled.
    public var overall: BacktestSlice
    /// The isotonic calibration of score to churn.
    public var isotonic: [CalibrationStep]
    /// Reliability per score decile.
    public var byDecile: [ReliabilityRow]
    /// Reliability per band.
    public var byBand: [ReliabilityRow]
    /// The comparison with `--against`, when asked.
    public var comparison: ConfigComparison?
    /// Account-cutoff pairs skipped because the account had no timeline row yet at the cutoff.
    public var unscored: Int
    /// Soft problems (account-cutoffs that could not be scored).
    public var diagnostics: [Diagnostic] = []
    /// Every scored (score, churned) pair, pooled over the cutoffs (for ROC curves).
    public var pairs: [(score: Double, churned: Bool)] = []

    /// The calibrated churn probability of a score (step function; the nearest step outside the range).
    public func probability(ofScore s: Double) -> Double? {
        guard !isotonic.isEmpty else { return nil }
        var p = isotonic[0].probability
        for st in isotonic where st.scoreFrom <= s { p = st.probability }
        return p
    }
}

/// Backtests a configuration's score against the outcomes at regular cutoffs.
public enum Backtest {
    /// `configuration` defaults to the dataset's history (each cutoff scored under the version in force then:
    /// the score as the team saw it, DESIGN §15), else its configuration; `against` is a second configuration (and
    /// its name) to preview. The timeline is read once into a `BacktestPanel`, from which the report is computed.
    public static func run(
        _ dataset: Dataset, configuration: Configuration? = nil,
        options: BacktestOptions, against: (file: String, configuration: Configuration)? = nil
    ) throws -> BacktestReport {
        try options.check()
        let history = configuration == nil ? dataset.history : nil
        let configuration = try configuration ?? dataset.requireConfiguration("backtest")
        let names = Configuration.factorNames(
            of: (history?.versions.map(\.configuration) ?? [configuration]) + (against.map { [$0.configuration] } ?? [])
        )
        let panel = try BacktestPanel(dataset, options: options, factors: names)
        if let against { try panel.check(against.configuration, file: against.file) }
        guard let history else {
            try panel.check(configuration, file: dataset.configurationName)
            return panel.report(configuration, against: against)
        }
        for v in history.versions { try panel.check(v.configuration, file: v.file) }
        return panel.report(
            current: panel.scores(history), against: against.map { ($0.file, panel.scores($0.configuration)) })
    }
}
