/// One step of a score-change waterfall.
public struct WaterfallStep: Sendable, Equatable {
    /// The kind of a step.
    public enum Kind: String, Sendable {
        /// A factor's value changed (points at the new total weight).
        case factor
        /// An optional factor gained a value and joined the score.
        case factorAppeared = "factor_appeared"
        /// An optional factor lost its value and left the score.
        case factorDisappeared = "factor_disappeared"
        /// The other factors' points moved because the total weight W changed.
        case redistribution
        /// The risk penalty changed.
        case riskPenalty = "risk_penalty"
        /// The clamp to [0, 100] absorbed part of the change.
        case clamp
        /// The configuration version changed between the dates (DESIGN §15): the earlier date's score under
        /// the later version minus under its own.
        case configuration
    }
    /// What moved.
    public var kind: Kind
    /// The factor, for factor steps.
    public var factor: String?
    /// The value before, where the step has one.
    public var from: Double?
    /// The value after, where the step has one.
    public var to: Double?
    /// The step's points.
    public var points: Double
}

/// Why an account's score moved between two dates: steps that sum to the change.
public struct Waterfall: Sendable {
    /// The account.
    public var accountId: String
    /// The earlier date.
    public var fromDay: Int32
    /// The later date.
    public var toDay: Int32
    /// The score at the earlier date.
    public var fromScore: Double
    /// The score at the later date.
    public var toScore: Double
    /// The score change: the sum of the steps.
    public var change: Double { toScore - fromScore }
    /// The steps, in order.
    public var steps: [WaterfallStep]
    /// The band at the earlier date.
    public var fromBand: String
    /// The band at the later date.
    public var toBand: String
    /// The configuration version in force at each date, under a history (DESIGN §15).
    public var versions: (from: String, to: String)? = nil
}

/// The `explain` analysis: a score change split into steps.
public enum Explainer {
    /// The waterfall of `score(to) − score(from)` for one account under `rules`.
    ///
    /// With C1, C2 the factors counted at each date and W1, W2 their total weights:
    /// ΔA = Σ_{C1∩C2} w(x2 − x1)/W2 + Σ_{C2∖C1} w·x2/W2 − Σ_{C1∖C2} w·x1/W1 + Σ_{C1∩C2} w·x1(1/W2 − 1/W1);
    /// then −Δpenalty, then whatever the clamp took.
    public static func waterfall(
        accountId: String, rules: ScoringRules, engine: ScoreEngine,
        from s1: AsOfState, to s2: AsOfState
    ) throws -> Waterfall {
        guard let r1 = engine.score(s1), let a1 = r1.weightedAverage, let sc1 = r1.score else {
            throw InputError(
                .invalidArgument, Location(file: "from"), value: Day.format(s1.asOf),
                "account '\(accountId)' has no score on \(Day.format(s1.asOf)) (no timeline row on or before it)")
        }
        guard let r2 = engine.score(s2), let a2 = r2.weightedAverage, let sc2 = r2.score else {
            throw InputError(
                .invalidArgument, Location(file: "to"), value: Day.format(s2.asOf),
                "account '\(accountId)' has no score on \(Day.format(s2.asOf))")
        }
        let w1 = r1.weightTotal, w2 = r2.weightTotal
        var steps: [WaterfallStep] = []
        var redistribution = 0.0
        for (i, f) in rules.factors.enumerated() {
            let in1 = r1.mapped[i] != nil || !f.optional
            let in2 = r2.mapped[i] != nil || !f.optional
            let x1 = r1.mapped[i] ?? 0, x2 = r2.mapped[i] ?? 0
            if in1 && in2 {
                steps.append(
                    WaterfallStep(
                        kind: .factor, factor: f.name, from: r1.mapped[i], to: r2.mapped[i],
                        points: f.weight * (x2 - x1) / w2))
                redistribution += f.weight * x1 * (1 / w2 - 1 / w1)
            } else if in2 {
                steps.append(
                    WaterfallStep(kind: .factorAppeared, factor: f.name, from: nil, to: x2, points: f.weight * x2 / w2))
            } else if in1 {
                steps.append(
                    WaterfallStep(
                        kind: .factorDisappeared, factor: f.name, from: x1, to: nil, points: -f.weight * x1 / w1))
            }
        }
        steps.append(WaterfallStep(kind: .redistribution, factor: nil, from: w1, to: w2, points: redistribution))
        steps.append(
            WaterfallStep(
                kind: .riskPenalty, factor: nil, from: r1.penalty, to: r2.penalty, points: -(r2.penalty - r1.penalty)))
        _ = (a1, a2)
        // The clamp step is the remainder, so the steps sum to the change exactly as computed.
        let sum = steps.reduce(0.0) { $0 + $1.points }
        steps.append(WaterfallStep(kind: .clamp, factor: nil, from: nil, to: nil, points: (sc2 - sc1) - sum))
        return Waterfall(
            accountId: accountId, fromDay: s1.asOf, toDay: s2.asOf, fromScore: sc1, toScore: sc2, steps: steps,
            fromBand: rules.bands[r1.bandIndex!].name, toBand: rules.bands[r2.bandIndex!].name)
    }

    /// Reads the timeline and explains one account's change between two dates. Under the dataset's history
    /// (when no `configuration` is given) each date is scored under the version in force then; across a version
    /// change, a `configuration` step (the earlier date's score under the later version minus under its own)
    /// comes before the factor steps, and the steps still sum to the change.
    public static func explain(
        _ dataset: Dataset, configuration: Configuration? = nil,
        accountId: String, from: Int32, to: Int32
    ) throws -> Waterfall {
        let history = configuration == nil ? dataset.history : nil
        // The versions in force at the two dates (nil without a history).
        let vf = history?.version(at: from), vt = history?.version(at: to)
        let late = try vt?.configuration ?? configuration ?? dataset.requireConfiguration("explain")
        let early = vf?.configuration ?? late
        let accounts = dataset.accounts
        let names = Configuration.factorNames(of: [late, early])
        let (acc, summary) = try Scorer.accumulate(dataset.timeline, days: [from, to], factors: names)
        if let vf, let vt {
            for v in [vf, vt] { try v.configuration.check(againstTimelineFactors: summary.factors, file: v.file) }
        } else {
            try late.check(againstTimelineFactors: summary.factors, file: dataset.configurationName)
        }
        guard let code = summary.accounts.lookup(accountId) else {
            throw InputError(
                .invalidArgument, Location(file: summary.file), value: accountId,
                "account '\(accountId)' is not in the timeline")
        }
        let segment = accounts.flatMap { t in t.row(of: accountId).map { t.segment[$0] } }
        let rules = late.rules(forSegment: segment)
        let engine = ScoreEngine(rules: rules, stateFactors: names)
        let s1 = acc.state(account: Int(code), query: acc.queryIndex(from)!)
        var w = try waterfall(
            accountId: accountId, rules: rules, engine: engine, from: s1,
            to: acc.state(account: Int(code), query: acc.queryIndex(to)!))
        guard let vf, let vt else { return w }
        w.versions = (vf.id, vt.id)
        guard vf.id != vt.id else { return w }
        let earlyRules = early.rules(forSegment: segment)
        guard let shown = ScoreEngine(rules: earlyRules, stateFactors: names).score(s1), let a = shown.score,
            let band = shown.bandIndex
        else {
            throw InputError(
                .invalidArgument, Location(file: "from"), value: Day.format(from),
                "account '\(accountId)' has no score on \(Day.format(from)) under version '\(vf.id)'")
        }
        // The earlier date as shown then: its own version's score and band; the step carries the difference.
        w.steps.insert(
            WaterfallStep(kind: .configuration, factor: nil, from: a, to: w.fromScore, points: w.fromScore - a), at: 0)
        w.fromScore = a
        w.fromBand = earlyRules.bands[band].name
        return w
    }
}
