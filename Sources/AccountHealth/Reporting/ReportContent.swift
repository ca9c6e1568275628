/// The report as values (DESIGN §6, `report`): what each section shows, computed by the library's analyses;
/// `ReportHTML` and `ReportMarkdown` render it.
public struct ReportContent: Sendable {
    /// "Account health report, <date>".
    public var title: String
    /// One line: accounts scored, renewal decisions, the weight model's size and AUC.
    public var meta = ""
    /// The answers to the report's five questions.
    public var answers: [ReportAnswer] = []
    /// Each chart in order, or the reason in its place where its section was left out.
    public var charts: [ReportChart] = []
    /// The suggested weights (nil when the weight model was left out).
    public var weights: WeightSuggestion?
    /// The leading/lagging table.
    public var indicators: IndicatorReport?
    /// The Cox model of time to churn and its design.
    public var cox: CoxFit?
    /// The survival design the Cox model was fitted on.
    public var design: SurvivalDesign?
    /// The landmark evaluation of the survival predictions (DESIGN §14).
    public var landmark: LandmarkEvaluation?
    /// The accounts to call.
    public var rank: RankReport?
    /// The account managers' comparison.
    public var compare: ComparisonReport?
    /// The configuration history the scores were computed under (DESIGN §15), earliest first; empty without one.
    public var versions: [ConfigurationVersion] = []
    /// The sections left out, each with its reason, and the notes on thin data.
    public var leftOut: [Diagnostic]

    /// An empty report titled `title`.
    public init(title: String, leftOut: [Diagnostic]) {
        self.title = title
        self.leftOut = leftOut
    }

    /// Why the section `name` was left out.
    public func why(_ name: String) -> String { leftOut.first { $0.column == name }?.message ?? "\(name): left out" }

    /// The notes on thin data (fewer than ten churns per factor).
    public var warnings: [String] { leftOut.filter { $0.kind == .fewEvents }.map(\.message) }
}

/// One answer: its question and its text, in which the names from the data are marked, so that each format
/// escapes them in its own way.
public struct ReportAnswer: Sendable, Equatable {
    /// A run of the text.
    public enum Piece: Sendable, Equatable {
        case text(String)
        /// A name from the data (a factor, a manager, an account).
        case name(String)
    }

    /// The question answered.
    public var question: String
    /// The answer, as text and names from the data.
    public var pieces: [Piece]

    /// The text, each name written by `name`.
    public func text(name: (String) -> String) -> String {
        pieces.map { piece -> String in
            switch piece {
            case .text(let t): return t
            case .name(let n): return name(n)
            }
        }.joined()
    }

    static let open: Character = "\u{E000}", close: Character = "\u{E001}"

    /// A name marked in a text that `init(question:marked:)` reads (the two private-use markers are dropped
    /// from the name itself).
    static func mark(_ name: String) -> String {
        String(open) + name.filter { $0 != open && $0 != close } + String(close)
    }

    /// An answer from a text with marked names.
    init(question: String, marked: String) {
        self.question = question
        var pieces: [Piece] = [], run = "", inName = false
        for ch in marked {
            if ch == Self.open || ch == Self.close {
                if !run.isEmpty { pieces.append(inName ? .name(run) : .text(run)) }
                run = ""
                inName = ch == Self.open
            } else {
                run.append(ch)
            }
        }
        if !run.isEmpty { pieces.append(inName ? .name(run) : .text(run)) }
        self.pieces = pieces
    }
}

/// One chart of the report, or the reason it is missing.
public struct ReportChart: Sendable {
    /// What the chart draws.
    public enum Kind: Sendable {
        case scoreHistogram([Double], bands: [Band], title: String)
        /// The share per band at each replay date; `markers` are where a configuration version took effect (the
        /// index of the first date under it, and its id).
        case bandShares(
            [(date: String, shares: [Double])], bandNames: [String], title: String,
            markers: [(position: Int, label: String)])
        case unitLines(
            [(name: String, points: [(Double, Double)])], title: String, xLabel: String, yLabel: String,
            maxValue: Double)
        case weightBars(WeightSuggestion, title: String)
        case heatmap(IndicatorReport, title: String)
        case forest(CoxFit, title: String, xLabel: String)
        case funnel(ComparisonReport, title: String)
        /// Lines over days: each series' (day, value) points, the axes' labels and maxima.
        case dayLines(
            [(name: String, points: [(Double, Double)])], title: String, xLabel: String, yLabel: String, xMax: Double,
            yMax: Double)
    }

    /// The chart's name (its tooltip).
    public var name: String
    /// What it draws; nil where its section was left out.
    public var kind: Kind?
    /// Why it is missing.
    public var reason: String?

    /// A chart.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// The place of a chart whose section was left out.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}
