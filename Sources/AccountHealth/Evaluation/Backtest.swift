/// How a configuration's scores would have predicted the renewals that followed them (DESIGN §4).
public struct BacktestOptions: Sendable {
    public var horizon = 90
    public var step = 30
    public var from: Int32? = nil
    public var to: Int32? = nil
    /// k of precision at k.
    public var k = 50
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

public struct BandRate: Sendable {
    public var band: String
    public var accounts: Int
    public var churns: Int
    public var churnRate: Double? { accounts > 0 ? Double(churns) / Double(accounts) : nil }
}

/// The metrics of one set of (score, outcome) pairs: one cutoff, or all pooled.
public struct BacktestSlice: Sendable {
    public var cutoff: Int32?
    public var accounts: Int
    public var churns: Int
    public var auc: Double?
    public var topDecileLift: Double?
    public var precisionAtK: Double?
    public var bands: [BandRate]
}

public struct CalibrationStep: Sendable {
    public var scoreFrom: Double
    public var scoreTo: Double
    public var probability: Double
    public var observations: Int
}

public struct ReliabilityRow: Sendable {
    public var label: String
    public var observations: Int
    public var meanScore: Double?
    public var observedRate: Double?
    /// The isotonic map's mean probability over the rows (what the calibrated score predicts).
    public var predictedRate: Double?
}

public struct ConfigComparison: Sendable {
    public var otherFile: String
    public var overall: BacktestSlice
    public var overallCurrent: BacktestSlice
    /// Spearman correlation of the two configurations' scores over the backtest pairs.
    public var rankCorrelation: Double?
    /// Accounts scored on `matrixDate` by band: rows are the current configuration's bands, columns the other's.
    public var matrix: [[Int]]
    public var currentBands: [String]
    public var otherBands: [String]
    public var matrixDate: Int32
    public var accountsChangingBand: Int
}

public struct BacktestReport: Sendable {
    public var options: BacktestOptions
    public var cutoffs: [BacktestSlice]
    public var overall: BacktestSlice
    public var isotonic: [CalibrationStep]
    public var byDecile: [ReliabilityRow]
    public var byBand: [ReliabilityRow]
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

public enum Backtest {
    /// `configuration` defaults to the dataset's; `against` is a second configuration (and its name) to preview.
    /// The timeline is read once into a `BacktestPanel`, from which the report is computed.
    public static func run(
        _ dataset: Dataset, configuration: Configuration? = nil,
        options: BacktestOptions, against: (file: String, configuration: Configuration)? = nil
    ) throws -> BacktestReport {
        try options.check()
        let configuration = try configuration ?? dataset.requireConfiguration("backtest")
        var names = configuration.allFactorNames
        if let other = against?.configuration {
            for n in other.allFactorNames where !names.contains(where: { $0.lowercased() == n.lowercased() }) {
                names.append(n)
            }
        }
        let panel = try BacktestPanel(dataset, options: options, factors: names)
        try panel.check(configuration, file: dataset.configurationName)
        if let against { try panel.check(against.configuration, file: against.file) }
        return panel.report(configuration, against: against)
    }
}
