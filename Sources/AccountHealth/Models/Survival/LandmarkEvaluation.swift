/// The landmark evaluation of DESIGN §14: the Cox model fitted on what was known at the landmark predicts each
/// account at risk then, and the predictions are scored against what happened after it.
public struct LandmarkEvaluation: Sendable {
    /// The landmark day.
    public var landmark: Int32
    /// Accounts evaluated: a timeline row on or before the landmark, no churn on or before it, and a churn or a
    /// timeline row after it.
    public var accounts: Int
    /// Accounts at risk at the landmark with neither a churn nor a row after it (nothing to check them against).
    public var leftOut: Int
    /// Accounts evaluated with a factor that had no value yet at the landmark (filled as the fit fills it).
    public var filled: Int
    /// One entry per evaluation time.
    public var times: [Time]
    /// The integrated Brier score (nil with one time).
    public var integratedBrier: Double?
    /// Kaplan–Meier's integrated Brier score on the same accounts.
    public var integratedBrierKM: Double?
    /// The AUC's mean weighted by Kaplan–Meier's drops.
    public var meanAUC: Double?
    /// Uno's concordance on the risk 1 − S(t_last), tau = t_last.
    public var concordanceIPCW: Double?
    /// Each evaluated account's predicted survival per time, with its observed outcome.
    public var predictions: [Prediction]

    /// One evaluation time.
    public struct Time: Sendable {
        /// Days after the landmark.
        public var time: Int
        /// Evaluated accounts observed past the time.
        public var atRisk: Int
        /// Churns at or before the time.
        public var events: Int
        /// Accounts whose age at the landmark plus the time passes the oldest churn age, where the baseline
        /// hazard is held flat.
        public var pastBaseline: Int
        /// The IPCW Brier score.
        public var brier: Double
        /// Kaplan–Meier's Brier score.
        public var brierKM: Double
        /// The cumulative/dynamic AUC (nil without a case or a control).
        public var auc: Double?
    }

    /// One account's predictions and outcome.
    public struct Prediction: Sendable {
        /// The account.
        public var accountId: String
        /// S(t) for each of the evaluation times.
        public var survival: [Double]
        /// Days from the landmark to the churn (an event) or to the last timeline row (censored).
        public var eventTime: Int
        /// Whether the account churned.
        public var event: Bool
    }

    /// What a landmark evaluation checks before any fit: the times (positive, increasing; repeats count once)
    /// and the accounts to evaluate with their observed outcome, the times within the follow-up.
    public struct Plan: Sendable {
        /// The evaluation times, sorted and distinct.
        public var times: [Int]
        /// Each evaluated account's state at the landmark, its observed time after it and whether it churned.
        public var evaluated: [(state: SurvivalDesign.CurrentState, time: Int, event: Bool)]
        /// Accounts at risk with neither a churn nor a row after the landmark.
        public var leftOut: Int
    }

    /// Checks a landmark request on its design, before the model is fitted (so a bad request fails fast and
    /// writes nothing): each time must lie in [the shortest observed time, the longest) (scikit-survival's rule).
    public static func plan(design: SurvivalDesign, times requested: [Int], file: String) throws -> Plan {
        let landmark = design.predictionDay
        // Repeated times count once; times out of order or not positive are a mistake in the request.
        for (k, t) in requested.enumerated() {
            if t <= 0 {
                throw InputError(
                    .invalidEvaluation, Location(file: "times", column: k + 1), value: String(t),
                    "evaluation times must be positive numbers of days")
            }
            if k > 0 && t < requested[k - 1] {
                throw InputError(
                    .invalidEvaluation, Location(file: "times", column: k + 1), value: String(t),
                    "evaluation times must be in increasing order (\(t) after \(requested[k - 1]))")
            }
        }
        let times = Array(Set(requested)).sorted()
        guard !times.isEmpty else {
            throw InputError(.invalidEvaluation, Location(file: "times"), "no evaluation time given")
        }
        var evaluated: [(state: SurvivalDesign.CurrentState, time: Int, event: Bool)] = []
        var leftOut = 0
        for s in design.current {
            if let c = s.churnDay {
                evaluated.append((s, Int(c - landmark), true))
            } else if s.lastRowDay > landmark {
                evaluated.append((s, Int(s.lastRowDay - landmark), false))
            } else {
                leftOut += 1
            }
        }
        guard evaluated.count >= 2, evaluated.contains(where: { $0.event }) else {
            throw InputError(
                .invalidEvaluation, Location(file: file), value: Day.format(landmark),
                "the landmark \(Day.format(landmark)) leaves \(evaluated.count) account(s) to evaluate with "
                    + "\(evaluated.filter(\.event).count) churn(s) after it: at least two accounts and one churn "
                    + "are needed")
        }
        let lo = evaluated.map(\.time).min()!, hi = evaluated.map(\.time).max()!
        for t in times where t < lo || t >= hi {
            throw InputError(
                .invalidEvaluation, Location(file: "times", column: (requested.firstIndex(of: t) ?? 0) + 1),
                value: String(t),
                "time \(t) is outside the follow-up after the landmark: each time must be at least \(lo) and "
                    + "below \(hi) days (the shortest and longest observed times)")
        }
        return Plan(times: times, evaluated: evaluated, leftOut: leftOut)
    }

    /// Evaluates a Cox fit on a landmark design (`SurvivalDesignOptions.landmark`) for a checked plan.
    public static func evaluate(design: SurvivalDesign, cox: CoxFit, plan: Plan) -> LandmarkEvaluation {
        let landmark = design.predictionDay
        let times = plan.times, evaluated = plan.evaluated, leftOut = plan.leftOut
        let observed = evaluated.map { Double($0.time) }
        let oldest = cox.followUp
        var survival = [[Double]](repeating: [], count: times.count)
        var predictions: [Prediction] = []
        var pastBaseline = [Int](repeating: 0, count: times.count)
        var filled = 0
        for e in evaluated {
            let (x, missing) = design.treatment.row(e.state.values)
            if !missing.isEmpty { filled += 1 }
            let age = Double(e.state.age)
            let risk = _exp(cox.relativeLinearPredictor(x))
            let h0 = cox.cumulativeHazard(at: age)
            var row: [Double] = []
            for (k, t) in times.enumerated() {
                if age + Double(t) > oldest { pastBaseline[k] += 1 }
                let s = _exp(-(cox.cumulativeHazard(at: age + Double(t)) - h0) * risk)
                survival[k].append(s)
                row.append(s)
            }
            predictions.append(
                Prediction(accountId: e.state.accountId, survival: row, eventTime: e.time, event: e.event))
        }
        let metrics = SurvivalMetrics.evaluate(
            time: observed, event: evaluated.map(\.event), survival: survival, times: times.map(Double.init))
        let rows = times.indices.map { k in
            Time(
                time: times[k], atRisk: observed.filter { $0 > Double(times[k]) }.count,
                events: evaluated.filter { $0.event && $0.time <= times[k] }.count, pastBaseline: pastBaseline[k],
                brier: metrics.brier[k], brierKM: metrics.brierKM[k], auc: metrics.auc[k])
        }
        predictions.sort { $0.accountId < $1.accountId }
        return LandmarkEvaluation(
            landmark: landmark, accounts: evaluated.count, leftOut: leftOut, filled: filled, times: rows,
            integratedBrier: metrics.integratedBrier, integratedBrierKM: metrics.integratedBrierKM,
            meanAUC: metrics.meanAUC, concordanceIPCW: metrics.concordanceIPCW, predictions: predictions)
    }
}
