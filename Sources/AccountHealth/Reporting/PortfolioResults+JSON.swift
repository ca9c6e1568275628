/// The JSON of `compare` and `rank`, encoded from their result values.

extension ManualFactorQuality: Encodable {
    enum CodingKeys: String, CodingKey {
        case factor, observations, auc, distinctValues = "distinct_values", byValue = "by_value"
    }
    enum ValueKeys: String, CodingKey { case value, observations, churns }

    /// How well a group's entries of a manual factor predict churn, and the entries by value.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(factor, forKey: .factor)
        try c.encode(observations, forKey: .observations)
        try c.encodeIfPresent(auc, forKey: .auc)
        try c.encode(distinctValues, forKey: .distinctValues)
        var list = c.nestedUnkeyedContainer(forKey: .byValue)
        for v in byValue {
            var e = list.nestedContainer(keyedBy: ValueKeys.self)
            try e.encode(v.value, forKey: .value)
            try e.encode(v.observations, forKey: .observations)
            try e.encode(v.churns, forKey: .churns)
        }
    }
}

extension GroupComparison {
    /// A group with the names of its factor means (`ComparisonReport.factorNames`).
    struct Named: Encodable {
        var group: GroupComparison
        var factorNames: [String]

        enum CodingKeys: String, CodingKey {
            case group, accounts, arr, meanScore = "mean_score", renewals, churns, observedChurnRate =
                "observed_churn_rate"
            case expectedChurns = "expected_churns", oeRatio = "oe_ratio", oeLow = "oe_ci_low", oeHigh = "oe_ci_high"
            case shrunkChurnRate = "shrunk_churn_rate", flag, medianScore = "median_score", meanChange = "mean_change"
            case churnedARR = "churned_arr", modelled, modelledChurns = "modelled_churns", factorMeans = "factor_means",
                manual
        }

        func encode(to encoder: any Encoder) throws {
            let g = group
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(g.group, forKey: .group)
            try c.encode(g.accounts, forKey: .accounts)
            try c.encode(g.arr, forKey: .arr)
            try c.encodeIfPresent(g.meanScore, forKey: .meanScore)
            try c.encode(g.renewals, forKey: .renewals)
            try c.encode(g.churns, forKey: .churns)
            try c.encodeIfPresent(g.observedChurnRate, forKey: .observedChurnRate)
            try c.encode(g.expectedChurns, forKey: .expectedChurns)
            try c.encodeIfPresent(g.oeRatio, forKey: .oeRatio)
            try c.encodeIfPresent(g.oeLow, forKey: .oeLow)
            try c.encodeIfPresent(g.oeHigh, forKey: .oeHigh)
            try c.encodeIfPresent(g.shrunkChurnRate, forKey: .shrunkChurnRate)
            try c.encodeIfPresent(g.flag?.rawValue, forKey: .flag)
            try c.encodeIfPresent(g.medianScore, forKey: .medianScore)
            try c.encodeIfPresent(g.meanChange, forKey: .meanChange)
            try c.encode(g.churnedARR, forKey: .churnedARR)
            try c.encode(g.modelled, forKey: .modelled)
            try c.encode(g.modelledChurns, forKey: .modelledChurns)
            var means = c.nestedContainer(keyedBy: NameKey.self, forKey: .factorMeans)
            for (name, m) in zip(factorNames, g.factorMeans) { try means.encodeIfPresent(m, forKey: NameKey(name)) }
            try c.encode(g.manual, forKey: .manual)
        }
    }
}

extension ComparisonReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case by, groups, asOf = "as_of", from, to, horizonDays = "horizon_days", modelObservations =
            "model_observations"
        case shrinkage, interval, diagnostics
    }
    enum ShrinkageKeys: String, CodingKey {
        case estimator, pooledRate = "pooled_rate", priorStrength = "prior_strength"
    }

    /// `compare`'s JSON: every group, the window, the case-mix model's size, the shrinkage and the interval used.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(by, forKey: .by)
        try c.encode(groups.map { GroupComparison.Named(group: $0, factorNames: factorNames) }, forKey: .groups)
        try c.encode(Day.format(asOf), forKey: .asOf)
        try c.encodeIfPresent(from.map(Day.format), forKey: .from)
        try c.encodeIfPresent(to.map(Day.format), forKey: .to)
        try c.encode(horizon, forKey: .horizonDays)
        try c.encode(modelObservations, forKey: .modelObservations)
        var s = c.nestedContainer(keyedBy: ShrinkageKeys.self, forKey: .shrinkage)
        try s.encode("beta-binomial, method of moments with size weights", forKey: .estimator)
        try s.encodeIfPresent(shrinkage?.pooledRate, forKey: .pooledRate)
        let strength: JSON =
            shrinkage.map { $0.priorStrength.isFinite ? .number($0.priorStrength) : .string("infinite") } ?? .null
        try s.encode(strength, forKey: .priorStrength)
        try c.encode(
            "exact Poisson (Garwood) 95% interval on the observed churns, divided by the expected", forKey: .interval)
        try c.encode(diagnostics, forKey: .diagnostics)
    }
}

extension RankRow: Encodable {
    enum CodingKeys: String, CodingKey {
        case rank, accountId = "account_id", am, segment, churnProbability = "churn_probability", score, band, change,
            arr
        case arrAtRisk = "arr_at_risk", renewalDate = "renewal_date", drivers, imputed, churnedOn = "churned_on"
    }

    /// One account of the ranking.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rank, forKey: .rank)
        try c.encode(accountId, forKey: .accountId)
        try c.encodeIfPresent(am, forKey: .am)
        try c.encodeIfPresent(segment, forKey: .segment)
        try c.encodeIfPresent(churnProbability, forKey: .churnProbability)
        try c.encodeIfPresent(score, forKey: .score)
        try c.encodeIfPresent(band, forKey: .band)
        try c.encodeIfPresent(change, forKey: .change)
        try c.encodeIfPresent(arr, forKey: .arr)
        try c.encodeIfPresent(arrAtRisk, forKey: .arrAtRisk)
        try c.encodeIfPresent(renewalDate.map(Day.format), forKey: .renewalDate)
        try c.encode(drivers, forKey: .drivers)
        try c.encode(imputed, forKey: .imputed)
        // Only on the studio's churned rows: `rank`'s JSON keeps its keys.
        if let churnedOn { try c.encode(Day.format(churnedOn), forKey: .churnedOn) }
    }
}

extension RankReport: Encodable {
    enum CodingKeys: String, CodingKey {
        case asOf = "as_of", horizonDays = "horizon_days", model, excludedChurned = "excluded_churned", accounts,
            diagnostics
    }

    /// `rank`'s JSON.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Day.format(asOf), forKey: .asOf)
        try c.encode(horizon, forKey: .horizonDays)
        try c.encode(modelSource, forKey: .model)
        try c.encode(excludedChurned, forKey: .excludedChurned)
        try c.encode(rows, forKey: .accounts)
        try c.encode(diagnostics, forKey: .diagnostics)
    }
}
