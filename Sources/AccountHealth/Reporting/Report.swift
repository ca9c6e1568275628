import Foundation

/// The self-contained HTML report (inline SVG and CSS, no scripts, no network) and its Markdown twin.
public struct HealthReport: Sendable {
    /// The HTML page.
    public var html: String
    /// The Markdown twin.
    public var markdown: String
    /// The number of charts drawn.
    public var charts: Int
    /// The sections left out (each with its reason) and the warnings the report shows.
    public var diagnostics: [Diagnostic]
}

/// What the report covers.
public struct ReportOptions: Sendable {
    /// Report as the data stood at the end of this date: later timeline rows and outcomes are left out
    /// (default: everything, as of the last timeline date).
    public var asOf: Int32?
    /// Bootstrap resamples for the intervals on the suggested weights.
    public var bootstrap: Int
    /// The seed of the bootstrap and the folds.
    public var seed: UInt64

    /// Report options.
    public init(asOf: Int32? = nil, bootstrap: Int = 50, seed: UInt64 = 1) {
        self.asOf = asOf
        self.bootstrap = bootstrap
        self.seed = seed
    }
}

/// Why the report leaves a section out when nothing failed but the data cannot support it.
struct SectionLeftOut: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Builds the report: the content from the library's analyses, then its renderers.
public enum ReportBuilder {
    /// The report of a dataset, rendered: `content` and its two renderers.
    public static func build(_ input: Dataset, options: ReportOptions = ReportOptions()) throws -> HealthReport {
        let c = try content(input, options: options)
        return HealthReport(
            html: ReportHTML.render(c), markdown: ReportMarkdown.render(c),
            charts: c.charts.filter { $0.kind != nil }.count, diagnostics: c.leftOut)
    }

    /// Runs score, replay, fit (with bootstrap), indicators, backtest, compare, rank and survival on one dataset
    /// (its timeline read into memory once) and gathers the report's sections. A section whose model cannot be
    /// fitted on these data (separation, no renewals yet, too few churns) is left out with a one-line reason;
    /// the scores are the report's core and their failure is the report's.
    public static func content(_ input: Dataset, options: ReportOptions = ReportOptions()) throws -> ReportContent {
        let dataset = try options.asOf.map { try input.known(through: $0) } ?? input.inMemory()
        let configuration = try dataset.requireConfiguration("the report")
        _ = try dataset.requireAccounts("the report")  // the AM sections and the ARR at risk need them
        let outcomes = try dataset.requireOutcomes("the report")
        let s = try ReportSections(dataset, configuration: configuration, options: options)
        var c = ReportContent(title: "Account health report, \(Day.format(s.asOf))", leftOut: s.leftOut)
        c.charts = charts(s, bands: configuration.base.bands, why: c.why)
        c.answers = answers(
            fit: s.fit, indicators: s.indicators, backtest: s.backtest, cox: s.cox, design: s.design,
            compare: s.compare, rank: s.rank, why: c.why)
        if let e = s.landmark {
            let skill = e.integratedBrier.flatMap { ibs in e.integratedBrierKM.map { 1 - ibs / $0 } }
            let better = (skill ?? 0) > 0
            c.answers.append(
                ReportAnswer(
                    question: "Are the time-to-churn predictions any good?",
                    marked:
                        "Fitted on what was known on \(Day.format(e.landmark)) and checked on the \(e.accounts) "
                        + "accounts at risk then: integrated Brier score \(NumberFormat.fixed(e.integratedBrier, 4)) "
                        + "against \(NumberFormat.fixed(e.integratedBrierKM, 4)) for Kaplan–Meier without factors ("
                        + (better ? "better" : "no better") + "), mean AUC \(NumberFormat.fixed(e.meanAUC, 3)), Uno's "
                        + "concordance \(NumberFormat.fixed(e.concordanceIPCW, 3))"
                        + (better ? "." : "; rank by the renewal model instead.") + "\n"))
        }
        let model =
            s.fit.map {
                "model: \(s.observations?.count ?? 0) observations 90 days ahead, CV AUC "
                    + "\(NumberFormat.fixed($0.cv.auc, 3))"
            } ?? "the weight model could not be fitted"
        c.meta =
            "\(s.scores.rows.count) accounts scored; \(outcomes.count) renewal "
            + "decisions\(options.asOf == nil ? "" : " up to \(Day.format(s.asOf))"); \(model)."
        c.weights = s.fit?.weights
        c.indicators = s.indicators
        c.cox = s.cox
        c.design = s.design
        c.landmark = s.landmark
        c.rank = s.rank
        c.compare = s.compare
        c.versions = dataset.history?.versions ?? []
        return c
    }

    /// The analyses of the report, each computed by the library; a section whose model cannot be fitted on
    /// the data is nil, with its reason in `leftOut`.
    struct ReportSections {
        var scores: ScoreReport
        var asOf: Int32
        /// The scores every 28 days up to the as-of date (the bands over time).
        var replay: ScoreReport
        var observations: ObservationSet?
        var fit: FitReport?
        var indicators: IndicatorReport?
        var backtest: BacktestReport?
        var compare: ComparisonReport?
        var rank: RankReport?
        var design: SurvivalDesign?
        var cox: CoxFit?
        var landmark: LandmarkEvaluation?
        var leftOut: [Diagnostic] = []

        init(_ dataset: Dataset, configuration: Configuration, options: ReportOptions) throws {
            let factors = configuration.base.factors.map(\.name)
            var leftOut: [Diagnostic] = []
            func section<T>(_ name: String, _ body: () throws -> T) -> T? {
                do { return try body() } catch {
                    leftOut.append(
                        Diagnostic(
                            .sectionLeftOut, column: name,
                            message: "\(name): left out, \(ReportBuilder.reason(error))"))
                    return nil
                }
            }
            scores = try Scorer.score(dataset, asOf: options.asOf)
            let asOf = scores.dates[0]
            self.asOf = asOf
            replay = try Scorer.score(dataset, asOf: asOf, every: 28)
            // A model needs at least one churn per factor to estimate anything; below ten per factor (Peduzzi
            // et al.'s rule of thumb) its estimates are unstable, which the report says.
            func enoughChurns(_ churns: Int, _ what: String) throws {
                if churns < factors.count {
                    throw SectionLeftOut("too few churns (\(churns)) for the \(factors.count) factors of \(what)")
                }
                if churns < 10 * factors.count {
                    leftOut.append(
                        Diagnostic(
                            .fewEvents,
                            message:
                                "\(what): \(churns) churns for \(factors.count) factors (fewer than 10 per factor): "
                                + "the estimates are unstable"
                        ))
                }
            }
            let obs = section("Suggested weights") { () throws -> ObservationSet in
                let o = try Observations.build(
                    dataset, factors: factors, options: ObservationOptions(horizons: [90]))[0]
                try enoughChurns(Int(o.y.reduce(0, +)), "the weight model")
                return o
            }
            observations = obs
            fit = obs.flatMap { obs in
                section("Suggested weights") {
                    try FitAnalysis.run(
                        obs, rules: configuration.base,
                        options: FitOptions(seed: options.seed, bootstrap: options.bootstrap))
                }
            }
            indicators = section("Leading and lagging factors") { () throws -> IndicatorReport in
                let r = try Indicators.run(dataset, factors: factors)
                guard r.rows.contains(where: { $0.cells.contains { $0.auc != nil } }) else {
                    throw SectionLeftOut("no horizon has both churned and renewed accounts with a value")
                }
                return r
            }
            backtest = section("Backtest") { try Backtest.run(dataset, options: BacktestOptions(step: 30)) }
            compare = section("Account managers") { try Portfolio.compare(dataset, by: "am") }
            rank = section("Accounts to call") { try Ranking.rank(dataset, asOf: asOf, top: 15) }
            let survival = section("Time to churn") { () throws -> (SurvivalDesign, CoxFit) in
                let design = try SurvivalDesign.build(dataset, factors: factors)
                try enoughChurns(design.data.events, "the Cox model")
                // The analysis (not the bare regression): it leaves out an indicator that orders the churns.
                let r = try SurvivalAnalysis.run(design, options: SurvivalOptions(models: .cox, predict: false))
                return (r.design, r.cox!)
            }
            design = survival?.0
            cox = survival?.1
            // The predictions checked (DESIGN §14): fitted on what was known 180 days before the report's date,
            // scored on what happened since.
            if survival != nil {
                landmark = section("Survival predictions checked") { () throws -> LandmarkEvaluation in
                    let design = try SurvivalDesign.build(
                        dataset, factors: factors, options: SurvivalDesignOptions(landmark: asOf - 180))
                    let r = try SurvivalAnalysis.run(
                        design,
                        options: SurvivalOptions(models: .cox, predict: false, landmarkTimes: [30, 60, 90, 150]))
                    return r.evaluation!
                }
            }
            self.leftOut = leftOut
        }
    }

    /// The report's charts, as data: each drawn from a section, or its place with the reason it is left out.
    static func charts(_ s: ReportSections, bands: [Band], why: (String) -> String) -> [ReportChart] {
        let asOf = s.asOf, scores = s.scores, replay = s.replay, backtest = s.backtest, fit = s.fit
        let indicators = s.indicators, cox = s.cox, compare = s.compare
        var charts: [ReportChart] = []
        charts.append(
            ReportChart(
                name: "Score distribution on \(Day.format(asOf))",
                kind: .scoreHistogram(
                    scores.rows.compactMap { $0.result.score }, bands: bands,
                    title: "Score distribution, \(Day.format(asOf))")))
        // A marker at the first replay date under each version after the first date's.
        let dates = replay.dates
        let markers: [(position: Int, label: String)] = (replay.history?.versions ?? []).compactMap { v in
            guard let i = dates.firstIndex(where: { $0 >= v.effectiveFrom }), i > 0 else { return nil }
            return (i, v.id)
        }
        charts.append(
            ReportChart(
                name: "Bands over time",
                kind: .bandShares(
                    Curves.bandShares(replay, bandNames: bands.map(\.name)), bandNames: bands.map(\.name),
                    title: "Share of accounts per band, every 28 days", markers: markers)))
        if let backtest {
            charts.append(
                ReportChart(
                    name: "ROC of the current score (backtest)",
                    kind: .unitLines(
                        [
                            (
                                "current score, AUC \(NumberFormat.fixed(backtest.overall.auc, 3))",
                                Curves.roc(backtest.pairs)
                            )
                        ],
                        title: "ROC: the score against churn in the next 90 days", xLabel: "false positive rate",
                        yLabel: "true positive rate", maxValue: 1)))
            let deciles = Curves.decileCalibration(backtest)
            let maxRate = min(1, max(0.05, (deciles.map { max($0.0, $0.1) }.max() ?? 1) * 1.1))
            charts.append(
                ReportChart(
                    name: "Calibration",
                    kind: .unitLines(
                        [("score deciles: calibrated vs observed", deciles)],
                        title: "Reliability of the calibrated churn probability",
                        xLabel: "calibrated probability", yLabel: "observed churn rate", maxValue: maxRate)))
        } else {
            charts.append(ReportChart(name: "Backtest", reason: why("Backtest")))
        }
        if let w = fit?.weights {
            charts.append(
                ReportChart(
                    name: "Weights: current and suggested",
                    kind: .weightBars(
                        w, title: "Weights (sum 100): current and suggested, with 95% bootstrap intervals")))
        } else if fit == nil {
            charts.append(ReportChart(name: "Suggested weights", reason: why("Suggested weights")))
        }
        if let indicators {
            charts.append(
                ReportChart(
                    name: "Leading and lagging factors",
                    kind: .heatmap(indicators, title: "AUC of each factor h days before the renewal")))
        } else {
            charts.append(
                ReportChart(name: "Leading and lagging factors", reason: why("Leading and lagging factors")))
        }
        if let cox {
            charts.append(
                ReportChart(
                    name: "Time to churn: hazard ratios",
                    kind: .forest(
                        cox, title: "Cox model: churn hazard ratio per standard deviation, 95% CI",
                        xLabel: "hazard ratio (log scale; < 1 protects, > 1 raises the risk)")))
        } else {
            charts.append(ReportChart(name: "Time to churn", reason: why("Time to churn")))
        }
        if let e = s.landmark {
            let brier = e.times.map { (Double($0.time), $0.brier) }, km = e.times.map { (Double($0.time), $0.brierKM) }
            let top = (e.times.map { max($0.brier, $0.brierKM) }.max() ?? 0.1) * 1.15
            charts.append(
                ReportChart(
                    name: "Survival predictions checked",
                    kind: .dayLines(
                        [("Cox model", brier), ("Kaplan–Meier (no factors)", km)],
                        title: "Brier score of the predictions after \(Day.format(e.landmark)) (lower is better)",
                        xLabel: "days after the landmark", yLabel: "IPCW Brier score",
                        xMax: Double(e.times.last?.time ?? 1), yMax: max(top, 1e-3))))
            let auc = e.times.compactMap { t in t.auc.map { (Double(t.time), $0) } }
            charts.append(
                ReportChart(
                    name: "Survival predictions: AUC by time",
                    kind: .dayLines(
                        [("cumulative/dynamic AUC", auc), ("chance", e.times.map { (Double($0.time), 0.5) })],
                        title: "AUC of the predicted churn by each time after \(Day.format(e.landmark))",
                        xLabel: "days after the landmark", yLabel: "AUC", xMax: Double(e.times.last?.time ?? 1),
                        yMax: 1)))
        } else if s.cox != nil {
            charts.append(
                ReportChart(name: "Survival predictions checked", reason: why("Survival predictions checked")))
        }
        if let compare {
            charts.append(
                ReportChart(
                    name: "Account managers: funnel plot",
                    kind: .funnel(compare, title: "Observed/expected churn by AM, with 95% limits")))
        }
        return charts
    }

    /// The answers, in words, each a `ReportAnswer` whose names from the data are marked as names.
    static func answers(
        fit: FitReport?, indicators: IndicatorReport?, backtest: BacktestReport?, cox: CoxFit?, design: SurvivalDesign?,
        compare: ComparisonReport?, rank: RankReport?, why: (String) -> String
    ) -> [ReportAnswer] {
        answerTexts(
            fit: fit, indicators: indicators, backtest: backtest, cox: cox, design: design, compare: compare,
            rank: rank, why: why,
            ReportAnswer.mark
        ).map { ReportAnswer(question: $0.0, marked: $0.1) }
    }

    /// The answers' texts; `n` writes a name from the data.
    static func answerTexts(
        fit: FitReport?, indicators: IndicatorReport?, backtest: BacktestReport?, cox: CoxFit?, design: SurvivalDesign?,
        compare: ComparisonReport?, rank: RankReport?, why: (String) -> String,
        _ n: (String) -> String
    ) -> [(String, String)] {
        var answers: [(String, String)] = []
        if let w = fit?.weights {
            let top = zip(w.factors, w.suggested).sorted { $0.1 > $1.1 }.prefix(3).map {
                "\(n($0.0)) (\(NumberFormat.fixed($0.1, 0)))"
            }
            let zero = zip(w.factors, w.suggested).filter { $0.1 < 0.5 }.map { n($0.0) }
            var text =
                "The data weight \(top.joined(separator: ", ")) "
                + "most\(zero.isEmpty ? "" : "; \(zero.joined(separator: ", ")) add nothing once the others are known")"
                + "."
            if let indicators {
                text +=
                    " Leading factors: "
                    + "\(indicators.rows.filter { $0.kind == .leading }.map { n($0.name) }.joined(separator: ", ")); "
                    + "lagging: "
                    + "\(indicators.rows.filter { $0.kind == .lagging }.map { n($0.name) }.joined(separator: ", "))."
            }
            answers.append(("Which factors matter?", text + "\n"))
            var good =
                "Cross-validated AUC 90 days ahead: current weights \(NumberFormat.fixed(w.aucCurrent, 3)), "
                + "suggested \(NumberFormat.fixed(w.aucSuggested, 3))."
            if let f = fit {
                let filled = zip(f.design.features, f.design.filled).filter { $0.1 > 0 }.map { "\(n($0.0)) \($0.1)" }
                let penalties = (1...3).map { level in
                    "\(RiskLevel(rawValue: UInt8(level))!) \(NumberFormat.fixed(w.suggestedPenalties[level], 1)) "
                        + "(now \(NumberFormat.fixed(w.currentPenalties[level], 1)))"
                }
                good +=
                    " The suggestion is the score's own rule (weights over the factors present, minus the risk "
                    + "penalty) fitted on all \(w.fit.observations) observed renewal decisions"
                    + (f.observations.noHistory > 0
                        ? " (\(f.observations.noHistory) more had no timeline row 90 days before: not observed)" : "")
                    + "; suggested risk penalties: \(penalties.joined(separator: ", ")). The logistic model treats "
                    + "missing values by \(f.design.treatment.rawValue)"
                    + (filled.isEmpty ? "." : " (values filled: \(filled.joined(separator: ", "))).")
            }
            if let backtest {
                good +=
                    " In the backtest the current score ranks next-90-day renewals with AUC "
                    + "\(NumberFormat.fixed(backtest.overall.auc, 3)) and top-decile lift "
                    + "\(NumberFormat.fixed(backtest.overall.topDecileLift, 2)); churn by band: "
                    + backtest.overall.bands.map { "\(n($0.band)) \(NumberFormat.percent($0.churnRate))" }
                    .joined(separator: ", ") + "."
            }
            answers.append(("Are our weights any good?", good + "\n"))
        } else {
            answers.append(("Which factors matter?", why("Suggested weights") + ".\n"))
        }
        if let cox, let design {
            let sd = cox.featureSDs
            let ordered = cox.names.indices.sorted {
                abs(cox.coefficients[$0] * sd[$0]) > abs(cox.coefficients[$1] * sd[$1])
            }
            let strongest = ordered.prefix(3).map {
                "\(n(cox.names[$0])) (×\(NumberFormat.fixed(_exp(cox.coefficients[$0] * sd[$0]), 2)) per SD)"
            }
            answers.append(
                (
                    "How fast do accounts leave?",
                    "Over the whole history (\(design.data.count) intervals between timeline rows, \(cox.events) "
                        + "churns), the factors that move the churn hazard most, week by week, are "
                        + "\(strongest.joined(separator: ", ")); the Cox model orders churns with concordance "
                        + "\(NumberFormat.fixed(cox.concordance, 3)). `healthscore survival` gives each account's "
                        + "probability of churning in the next 90 days given its age.\n"
                ))
        } else {
            answers.append(("How fast do accounts leave?", why("Time to churn") + ".\n"))
        }
        if let compare {
            let higher = compare.groups.filter { $0.flag == .higher }.map { n($0.group) },
                lower = compare.groups.filter { $0.flag == .lower }.map { n($0.group) }
            answers.append(
                (
                    "Who needs help?",
                    higher.isEmpty
                        ? "No account manager churns more than their book predicts beyond "
                            + "chance."
                            + (lower.isEmpty ? "" : " Doing better than predicted: \(lower.joined(separator: ", ")).")
                            + "\n"
                        : "Churning more than their book predicts (95% interval above 1): "
                            + "\(higher.joined(separator: ", "))."
                            + (lower.isEmpty ? "" : " Better than predicted: \(lower.joined(separator: ", ")).") + "\n"
                ))
        } else {
            answers.append(("Who needs help?", why("Account managers") + ".\n"))
        }
        if let first = rank?.rows.first {
            answers.append(
                (
                    "Which accounts to call?",
                    "\(rank!.rows.count) accounts with the most ARR at risk are listed below; first "
                        + "\(n(first.accountId)) (\(NumberFormat.percent(first.churnProbability)) churn probability, "
                        + "\(NumberFormat.fixed(first.arrAtRisk, 0)) ARR at risk).\n"
                ))
        } else if rank == nil {
            answers.append(("Which accounts to call?", why("Accounts to call") + ".\n"))
        }
        return answers
    }

    /// One line on why a section could not be computed.
    static func reason(_ error: Error) -> String {
        switch error {
        case let e as SectionLeftOut: return e.reason
        case let e as ModelError: return e.description
        case let e as InputError: return e.message
        case let e as InputErrors: return e.errors.first?.message ?? "bad data"
        default: return "\(error)"
        }
    }
}
