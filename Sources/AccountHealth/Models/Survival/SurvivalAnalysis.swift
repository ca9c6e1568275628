/// The `survival` analysis: Cox on the counting-process design, the discrete-time hazard beside it, and
/// each active account's probability of churning within the horizon given how long it has lasted.
public struct SurvivalOptions: Sendable {
    /// Which models to fit.
    public enum Models: String, Sendable, CaseIterable { case cox, discrete, both }
    /// The Cox model's tie method.
    public var ties: CoxRegression.Ties = .efron
    /// L2 penalty λ of both models.
    public var penalty: Double = 0
    /// Which models to fit.
    public var models: Models = .both
    /// Days ahead for the predictions.
    public var horizon: Int = 90
    /// Days ahead at which each active account's conditional survival curve is also reported.
    public var curve: [Int] = []
    /// Threads for the matrix products.
    public var threads: Int = 2
    /// Whether to predict each active account's churn probability (and report what the predictions rest on).
    public var predict: Bool = true
    /// With a landmark design: the days after the landmark at which the predictions are evaluated (DESIGN §14).
    public var landmarkTimes: [Int]? = nil

    /// Survival options.
    public init(
        ties: CoxRegression.Ties = .efron, penalty: Double = 0, models: Models = .both, horizon: Int = 90,
        curve: [Int] = [],
        threads: Int = 2, predict: Bool = true, landmarkTimes: [Int]? = nil
    ) {
        self.predict = predict
        self.landmarkTimes = landmarkTimes
        self.ties = ties
        self.penalty = penalty
        self.models = models
        self.horizon = horizon
        self.curve = curve
        self.threads = threads
    }
}

/// One active account's prediction.
public struct SurvivalPredictionRow: Sendable {
    /// The account.
    public var accountId: String
    /// Days since the account's first row.
    public var ageDays: Int
    /// exp((x − mean)·β): the hazard relative to an account at the mean factor values.
    public var relativeHazard: Double
    /// P(churn within the horizon | no churn by now), factors held at today's values.
    public var churnProbability: Double
    /// The horizon reaches past the longest follow-up seen, where the baseline hazard is not extrapolated.
    public var beyondFollowUp: Bool
    /// P(no churn within d days | no churn by now) for each of the options' `curve` days.
    public var survivalCurve: [Double]
    /// The factors without a value now, held at their means.
    public var imputed: [String]
}

/// The discrete-time hazard model: logistic regression of "churned in this interval" on the factors and
/// log(1 + days since the account's first row) (the baseline hazard's shape), one row per interval.
public struct DiscreteTimeFit: Sendable {
    /// The logistic fit on the intervals.
    public var fit: LogisticFit
    /// Intervals fitted.
    public var periods: Int
    /// Events among them.
    public var events: Int
    /// The name of the age term.
    public static let ageTerm = "log_age_days"
}

/// `survival`'s result.
public struct SurvivalReport: Sendable {
    /// The design fitted.
    public var design: SurvivalDesign
    /// The Cox fit, when asked.
    public var cox: CoxFit?
    /// The discrete-time fit, when asked.
    public var discrete: DiscreteTimeFit?
    /// The prediction horizon in days.
    public var horizon: Int
    /// The days of the survival curves.
    public var curve: [Int]
    /// One prediction per active account.
    public var predictions: [SurvivalPredictionRow]
    /// The landmark evaluation, with `landmarkTimes` (DESIGN §14).
    public var evaluation: LandmarkEvaluation? = nil
    /// What the analysis noticed.
    public var diagnostics: [Diagnostic]
}

/// The `survival` analysis.
public enum SurvivalAnalysis {
    /// Fits the models on a design and predicts each active account.
    public static func run(_ given: SurvivalDesign, options: SurvivalOptions) throws -> SurvivalReport {
        var design = given
        var data = design.data
        var diagnostics: [Diagnostic] = []
        diagnostics += design.treatment.diagnostics
        let filled = zip(design.factorNames, design.treatment.filled).filter { $0.1 > 0 }
        if !filled.isEmpty {
            let how = design.treatment.treatment == .indicator ? "the mean, with an indicator" : "the mean"
            diagnostics.append(
                Diagnostic(
                    .imputed,
                    message:
                        "intervals with a factor that has no value yet are kept, the value filled with \(how) "
                        + "(missing: \(design.treatment.treatment.rawValue)); filled by factor: "
                        + filled.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
        }
        if design.dropped > 0 {
            let which = zip(design.factorNames, design.missing).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(
                separator: ", ")
            diagnostics.append(
                Diagnostic(
                    .droppedIntervals,
                    message:
                        "\(design.dropped) interval(s) dropped for a factor with no value yet "
                        + "(\(design.droppedEvents) of them ending in a churn); missing by factor: \(which)"
                ))
        }
        if design.churnsWithoutHistory > 0 {
            diagnostics.append(
                Diagnostic(
                    .churnWithoutHistory,
                    message:
                        "\(design.churnsWithoutHistory) churn(s) of accounts with no timeline row: not in the model"))
        }
        if design.churnsBeforeFirstRow > 0 {
            diagnostics.append(
                Diagnostic(
                    .churnBeforeFirstRow,
                    message:
                        "\(design.churnsBeforeFirstRow) churn(s) dated on or before the account's first timeline "
                        + "row: no time at risk"
                ))
        }
        if design.rowsAfterChurn > 0 {
            diagnostics.append(
                Diagnostic(
                    .rowsAfterChurn,
                    message:
                        "\(design.rowsAfterChurn) timeline row(s) dated on or after their account's churn: left out"))
        }
        if design.laterChurns > 0 {
            diagnostics.append(
                Diagnostic(
                    .laterChurns,
                    message:
                        "\(design.laterChurns) churn(s) after an account's first churn: only the first ends its history"
                ))
        }
        // A landmark request is checked before anything is fitted.
        let plan = try options.landmarkTimes.map {
            try LandmarkEvaluation.plan(design: given, times: $0, file: "landmark")
        }
        var cox: CoxFit? = nil
        if options.models != .discrete {
            // An indicator column can order the churns perfectly even when its rows hold both outcomes (the
            // intervals before a factor's first value are an account's youngest): DESIGN §13 leaves such an
            // indicator out, keeps the factor filled, and says so.
            while true {
                do {
                    cox = try CoxRegression(ties: options.ties, penalty: options.penalty, threads: options.threads)
                        .fit(data)
                    break
                } catch let e as ModelError {
                    guard case .separation(let factors, _) = e else { throw e }
                    // The indicator named, or the indicator of the factor named (the information matrix can
                    // become singular on either column of the pair).
                    let indicators = factors.compactMap { f -> String? in
                        if f.hasSuffix("_missing") && design.treatment.indicators.contains(String(f.dropLast(8))) {
                            return f
                        }
                        return design.treatment.indicators.contains(f) ? "\(f)_missing" : nil
                    }
                    guard !indicators.isEmpty else { throw e }
                    for f in indicators {
                        let factor = String(f.dropLast(8))
                        design.treatment = design.treatment.droppingIndicator(factor)
                        let keep = data.names.indices.filter { data.names[$0] != f }
                        data = try SurvivalData(
                            names: keep.map { data.names[$0] }, start: data.start, stop: data.stop, event: data.event,
                            x: data.x.selecting(columns: keep), subject: data.subject, subjectIds: data.subjectIds)
                        diagnostics.append(
                            Diagnostic(
                                .indicatorSeparates, column: f,
                                message:
                                    "'\(f)' makes the partial likelihood monotone (the churns are ordered perfectly "
                                    + "with it): it is left out, and '\(factor)' only filled with its mean"))
                    }
                    design.data = data
                }
            }
        }
        var discrete: DiscreteTimeFit? = nil
        if options.models != .cox {
            let n = data.count, p = data.x.columns
            var storage = data.x.storage
            storage.reserveCapacity(n * (p + 1))
            for i in 0..<n { storage.append(_log(1 + data.start[i])) }
            let y = data.event.map { $0 ? 1.0 : 0.0 }
            do {
                let fit = try LogisticRegression(penalty: options.penalty, threads: options.threads)
                    .fit(
                        Matrix(rows: n, columns: p + 1, storage: storage), y,
                        names: data.names + [DiscreteTimeFit.ageTerm])
                discrete = DiscreteTimeFit(fit: fit, periods: n, events: data.events)
            } catch let e as ModelError where options.models == .both {
                // The comparison model failing does not take the Cox results with it; alone, it is an error.
                diagnostics.append(
                    Diagnostic(
                        .modelNotFitted, message: "the discrete-time model could not be fitted: \(e.description)"))
            }
        }
        var predictions: [SurvivalPredictionRow] = []
        if let cox { diagnostics += cox.diagnostics }
        if let cox, options.predict {
            var imputedCount = 0, beyond = 0
            for s in design.current {
                let (x, imputed) = design.treatment.row(s.values)
                if !imputed.isEmpty { imputedCount += 1 }
                let age = Double(s.age)
                let past = age + Double(options.horizon) > cox.followUp
                if past { beyond += 1 }
                predictions.append(
                    SurvivalPredictionRow(
                        accountId: s.accountId, ageDays: s.age, relativeHazard: _exp(cox.relativeLinearPredictor(x)),
                        churnProbability: cox.churnProbability(x: x, age: age, horizon: Double(options.horizon)),
                        beyondFollowUp: past,
                        survivalCurve: options.curve.map {
                            1 - cox.churnProbability(x: x, age: age, horizon: Double($0))
                        },
                        imputed: imputed))
            }
            predictions.sort {
                $0.churnProbability != $1.churnProbability
                    ? $0.churnProbability > $1.churnProbability : $0.accountId < $1.accountId
            }
            if imputedCount > 0 {
                diagnostics.append(
                    Diagnostic(
                        .imputed,
                        message:
                            "\(imputedCount) active account(s) had a factor with no value yet: filled with the mean "
                            + "over the intervals (column 'imputed')"
                    ))
            }
            if beyond > 0 {
                diagnostics.append(
                    Diagnostic(
                        .beyondFollowUp,
                        message:
                            "\(beyond) active account(s) are older than the longest follow-up (\(Int(cox.followUp)) "
                            + "days) at the end of the horizon: the baseline hazard is not extrapolated past it, so "
                            + "their probability counts only the time up to it (column 'beyond_follow_up')"
                    ))
            }
        }
        var evaluation: LandmarkEvaluation? = nil
        if let plan {
            guard let cox else {
                throw InputError(
                    .invalidEvaluation, Location(file: "landmark"), "the landmark evaluation needs the Cox model")
            }
            let e = LandmarkEvaluation.evaluate(design: design, cox: cox, plan: plan)
            if e.leftOut > 0 {
                diagnostics.append(
                    Diagnostic(
                        .noHistory,
                        message:
                            "\(e.leftOut) account(s) at risk at the landmark have no churn and no timeline row after "
                            + "it: nothing to check their predictions against, so they are left out"))
            }
            if let last = e.times.last, last.pastBaseline > 0 {
                diagnostics.append(
                    Diagnostic(
                        .beyondFollowUp,
                        message:
                            "\(last.pastBaseline) account(s) pass the oldest churn age (\(Int(cox.followUp)) days) by "
                            + "\(last.time) days after the landmark: the baseline hazard is held flat there"))
            }
            evaluation = e
        }
        var report = SurvivalReport(
            design: design, cox: cox, discrete: discrete, horizon: options.horizon, curve: options.curve,
            predictions: predictions, diagnostics: diagnostics)
        report.evaluation = evaluation
        return report
    }
}
