import Foundation
import Testing
@testable import AccountHealth

/// Loads `cox_<name>.csv` (id,start,stop,event,x1..xk) and its reference values.
func loadCoxCase(_ name: String) throws -> (SurvivalData, Reference) {
    let text = try String(contentsOfFile: "\(fixtures)/cox_\(name).csv", encoding: .utf8)
    var lines = text.split(separator: "\n")
    let header = lines.removeFirst().split(separator: ",").map(String.init)
    let k = header.count - 4
    var cols = [[Double]](repeating: [], count: k)
    var start: [Double] = [], stop: [Double] = [], event: [Bool] = [], subject: [Int32] = []
    for l in lines {
        let v = l.split(separator: ",").map { Double($0)! }
        subject.append(Int32(v[0])); start.append(v[1]); stop.append(v[2]); event.append(v[3] == 1)
        for j in 0..<k { cols[j].append(v[4 + j]) }
    }
    let ref = try Reference(fixture: "cox_\(name).json")
    let data = try SurvivalData(names: Array(header[4...]), start: start, stop: stop, event: event,
                                x: Matrix(rows: stop.count, columns: k, storage: cols.flatMap { $0 }), subject: subject)
    return (data, ref)
}

/// Cox regression against lifelines and the naive loops of Tests/Reference/survival_reference.py.
@Suite struct CoxReferenceTests {
    @Test(arguments: ["tv_small", "tv_medium", "one_interval"])
    func efronMatchesLifelines(_ name: String) throws {
        let (data, ref) = try loadCoxCase(name)
        let life = ref.object("lifelines")
        for threads in [1, 2] {
            let fit = try CoxRegression(threads: threads).fit(data)
            checkFit(fit, [
                Check(.coefficients, life.numbers("coefficients"), 1e-8),
                Check(.standardErrors, life.numbers("std_errors"), 1e-8),
                Check(.logLikelihood, life.number("log_likelihood"), 1e-10),
            ], names: data.names, label: "\(name) vs lifelines, \(threads) thread(s)")
            let probes = life.numbers("baseline_probe_times"), h0 = life.numbers("baseline_cumulative_hazard")
            for (t, h) in zip(probes, h0) { #expect(relClose(fit.cumulativeHazard(at: t), h, 1e-8), "\(name) H0(\(t))") }
            #expect(fit.events == ref.int("events") && fit.intervals == ref.int("rows"))
        }
    }

    @Test(arguments: ["tv_small", "tv_medium", "one_interval"], [CoxRegression.Ties.efron, .breslow])
    func matchesNaiveLoops(_ name: String, _ ties: CoxRegression.Ties) throws {
        let (data, ref) = try loadCoxCase(name)
        let naive = ref.object("naive").object(ties.rawValue)
        let fit = try CoxRegression(ties: ties).fit(data)
        checkFit(fit, [
            Check(.coefficients, naive.numbers("coefficients"), 1e-9),
            Check(.standardErrors, naive.numbers("std_errors"), 1e-9),
            Check(.robustStandardErrors, naive.numbers("robust_std_errors"), 1e-9),
            Check(.logLikelihood, naive.number("log_likelihood"), 1e-11),
            Check(.nullLogLikelihood, naive.number("null_log_likelihood"), 1e-11),
            Check(.concordance, naive.number("concordance"), 1e-12),
        ], names: data.names, label: "\(name) \(ties) vs naive loops")
    }

    @Test func oneIntervalRobustAndConcordanceMatchCoxPHFitter() throws {
        let (data, ref) = try loadCoxCase("one_interval")
        let ph = ref.object("lifelines_coxph")
        let fit = try CoxRegression().fit(data)
        // lifelines stops its Newton steps at a step norm of 1e-7, so its robust errors carry that error.
        checkFit(fit, [
            Check(.robustStandardErrors, ph.numbers("robust_std_errors"), 1e-7),
            Check(.concordance, ph.number("concordance"), 1e-12),
            Check(.logLikelihood, ph.number("log_likelihood"), 1e-10),
        ], names: data.names, label: "one interval vs CoxPHFitter")
    }

    /// Worked by hand: subjects (time, event, x) = (1,1,1) (2,1,0) (2,1,1) (3,0,0) (4,1,0), β = 0, so every
    /// risk is 1. Breslow: log L = −[log 5 + 2·log 4 + log 1] (risk sets 5, 4, 1); Efron at t = 2 uses 4 and
    /// 4 − ½·2 = 3: −[log 5 + log 4 + log 3]. Score at 0 for Efron: Σ deaths x − Σ x̄ =
    /// 2 − [2/5 + 1/4 + (1 − ½·1)/3 + 0] = 2 − 49/60 = 71/60.
    @Test func handWorkedNullLikelihood() throws {
        let data = try SurvivalData(names: ["x"], start: [0, 0, 0, 0, 0], stop: [1, 2, 2, 3, 4], event: [true, true, true, false, true],
                                    x: Matrix(rows: 5, columns: 1, storage: [1, 0, 1, 0, 0]))
        let breslow = try CoxRegression(ties: .breslow).fit(data), efron = try CoxRegression(ties: .efron).fit(data)
        #expect(abs(breslow.nullLogLikelihood - -(log(5) + 2 * log(4))) < 1e-14)
        #expect(abs(efron.nullLogLikelihood - -(log(5) + log(4) + log(3))) < 1e-14)
        let problem = CoxProblem(data, ties: .efron)
        #expect(abs(problem.evaluate([0], threads: 1, keep: false).gradient[0] - 71.0 / 60) < 1e-14)
        // Concordance of x itself: death at 1 (x=1) vs 4 others: x lower for 3 → concordant, tied with 1.
        // Deaths at 2 (x=0 and 1) vs (3: x=0, 4: x=0) only: x=0 → 2 ties, x=1 → 2 concordant. Death at 4: nobody.
        // C = (3 + 2 + ½·(1 + 2)) / (4 + 4) = 6.5/8.
        #expect(abs(Concordance.harrell(problem: problem, eta: [1, 0, 1, 0, 0]) - 6.5 / 8) < 1e-15)
    }

    /// An interval that contains no event time (C: (2, 4] between the churns at 1 and 5) is in no risk set;
    /// late entry (C again) keeps it out of the risk set at 1. β = 0, Breslow: log L = −log 3 − log 2.
    @Test func intervalsBetweenEventTimesAndLateEntry() throws {
        let data = try SurvivalData(names: ["x"], start: [0, 0, 2, 0], stop: [1, 5, 4, 6], event: [true, true, false, false],
                                    x: Matrix(rows: 4, columns: 1, storage: [1, 0, 7, 2]))
        let fit = try CoxRegression(ties: .breslow).fit(data)
        #expect(abs(fit.nullLogLikelihood - -(log(3) + log(2))) < 1e-14)
        // Score at 0: deaths' x (1 + 0) − risk-set means (A, B, D: (1 + 0 + 2)/3 = 1; B, D: 1) = −1.
        let problem = CoxProblem(data, ties: .breslow)
        #expect(abs(problem.evaluate([0], threads: 1, keep: false).gradient[0] - -1) < 1e-14)
    }

    @Test func predictionsAreConditionalOnAge() throws {
        let (data, _) = try loadCoxCase("tv_medium")
        let fit = try CoxRegression().fit(data)
        let x = fit.means
        // At the means the relative risk is 1: P = 1 − exp(−[H0(a + h) − H0(a)]).
        for age in [0.0, 30, 70] {
            let expected = 1 - exp(-(fit.cumulativeHazard(at: age + 28) - fit.cumulativeHazard(at: age)))
            #expect(abs(fit.churnProbability(x: x, age: age, horizon: 28) - expected) < 1e-15)
        }
        // Survival to age a then h more days: S(a + h)/S(a), which differs from the unconditional probability.
        #expect(fit.churnProbability(x: x, age: 70, horizon: 28) != fit.churnProbability(x: x, age: 0, horizon: 28))
        #expect(fit.churnProbability(x: x, age: fit.followUp + 1, horizon: 28) == 0)
    }

    @Test func typedFailures() throws {
        // All censored.
        let none = try SurvivalData(names: ["x"], start: [0, 0], stop: [1, 2], event: [false, false], x: Matrix(rows: 2, columns: 1, storage: [1, 2]))
        #expect(throws: ModelError.noEvents(intervals: 2)) { _ = try CoxRegression().fit(none) }
        // A constant factor.
        let constant = try SurvivalData(names: ["c"], start: [0, 0, 0], stop: [1, 2, 3], event: [true, false, true],
                                        x: Matrix(rows: 3, columns: 1, storage: [5, 5, 5]))
        #expect(throws: ModelError.constantFactor(name: "c", value: 5)) { _ = try CoxRegression().fit(constant) }
        // Collinear: b = 2a.
        let (base, _) = try loadCoxCase("tv_small")
        var cols = base.x.storage
        cols += base.x.column(0).map { 2 * $0 }
        let collinear = try SurvivalData(names: base.names + ["twice_x1"], start: base.start, stop: base.stop, event: base.event,
                                         x: Matrix(rows: base.count, columns: base.x.columns + 1, storage: cols), subject: base.subject)
        #expect(throws: ModelError.collinear(factor: "twice_x1", with: ["x1"])) { _ = try CoxRegression().fit(collinear) }
        // Monotone likelihood: the higher x, the earlier the churn, always.
        let n = 40
        let sep = try SurvivalData(names: ["perfect", "noise"], start: [Double](repeating: 0, count: n), stop: (0..<n).map { Double($0 + 1) },
                                   event: (0..<n).map { $0 % 3 != 2 },
                                   x: Matrix(rows: n, columns: 2, storage: (0..<n).map { Double(n - $0) } + (0..<n).map { Double(($0 * 7) % 5) }))
        do {
            _ = try CoxRegression().fit(sep)
            Issue.record("separation not detected")
        } catch let ModelError.separation(factors, _) {
            #expect(factors == ["perfect"])
        }
        // A rare flag (2 of 60) whose holders churn first: its β grows slowly in β·sd terms, still separation.
        let m = 60
        var flag = [Double](repeating: 0, count: m); flag[0] = 1; flag[1] = 1
        let rare = try SurvivalData(names: ["flag", "noise"], start: [Double](repeating: 0, count: m), stop: (0..<m).map { Double($0 + 1) },
                                    event: (0..<m).map { $0 % 2 == 0 || $0 < 2 },
                                    x: Matrix(rows: m, columns: 2, storage: flag + (0..<m).map { Double(($0 * 7) % 5) }))
        do {
            _ = try CoxRegression().fit(rare)
            Issue.record("separation by a rare flag not detected")
        } catch let ModelError.separation(factors, _) {
            #expect(factors == ["flag"])
        }
        // Ridge makes it finite.
        let ridge = try CoxRegression(penalty: 1).fit(sep)
        #expect(ridge.coefficients.allSatisfy { $0.isFinite })
        // Bad intervals.
        #expect(throws: ModelError.invalidInterval(index: 1, detail: "start 3.0, stop 3.0")) {
            _ = try SurvivalData(names: ["x"], start: [0, 3], stop: [1, 3], event: [true, false], x: Matrix(rows: 2, columns: 1, storage: [1, 2]))
        }
    }
}

/// The counting-process rules of DESIGN §4, and the whole pipeline against lifelines.
@Suite struct SurvivalDesignTests {
    /// Each bundled dataset's intervals against lifelines on the intervals pandas built (survival_reference.py):
    /// under `--missing drop` (lifelines drops them too), and for the simulated data also under the default (§13:
    /// mean fill with indicators, `survival_peer_simulated_indicator.json`). That design has an indicator on 46
    /// early intervals with one churn whose pure Newton step far from the optimum is enormous: unguarded, the fit
    /// ran into what looked like a monotone likelihood and left `tasks_missing` out.
    @Test(arguments: [
        ("simulated", MissingTreatment.drop, "survival_peer_simulated"),
        ("fightchurn-crm6", .drop, "survival_peer_fightchurn-crm6"),
        ("simulated", .indicator, "survival_peer_simulated_indicator"),
    ])
    func pipelineMatchesLifelinesOnTheBundledData(_ dataset: String, _ missing: MissingTreatment, _ fixture: String)
        throws
    {
        let ref = try Reference(fixture: "\(fixture).json")
        let data = try DataFiles.directory("\(repoRoot)/datasets/\(dataset)").load([.outcomes, .configuration])
        let design = try SurvivalDesign.build(data, options: SurvivalDesignOptions(missing: missing))
        #expect(design.data.names == ref.strings("factors"))
        #expect(design.data.count == ref.int("intervals"))
        #expect(design.data.events == ref.int("events"))
        #expect(design.dropped == ref.int("dropped"))
        #expect(design.accountsWithIntervals == ref.int("accounts_with_intervals"))
        let fit = try CoxRegression().fit(design.data)
        // lifelines reports the information at its last iterate before the final step: 1e-7.
        checkFit(fit, [
            Check(.coefficients, ref.numbers("coefficients"), 1e-8),
            Check(.standardErrors, ref.numbers("std_errors"), 1e-7),
            Check(.logLikelihood, ref.number("log_likelihood"), 1e-10),
            Check(.concordance, ref.number("concordance"), 1e-12),
        ], names: design.data.names, label: "\(fixture) pipeline vs lifelines")
    }

    /// The discrete-time hazard model (logistic on each interval's factors and log(1 + age)) on the bundled
    /// data's intervals, against statsmodels' Logit on the intervals built by pandas
    /// (Tests/Reference/discrete_time_reference.py, survival_discrete_<dataset>.json).
    @Test(arguments: ["simulated", "fightchurn-crm6"])
    func discreteTimeModelMatchesStatsmodels(_ dataset: String) throws {
        let ref = try Reference(fixture: "survival_discrete_\(dataset).json")
        let data = try DataFiles.directory("\(repoRoot)/datasets/\(dataset)").load([.outcomes, .configuration])
        let report = try SurvivalAnalysis.run(try SurvivalDesign.build(data, options: SurvivalDesignOptions(missing: .drop)), options: SurvivalOptions(models: .discrete, predict: false))
        let discrete = try #require(report.discrete)
        #expect(discrete.periods == ref.int("periods") && discrete.events == ref.int("events"))
        #expect(discrete.fit.names.count == ref.numbers("coefficients").count)
        // 1e-8 relative, or a millionth of the standard error for a coefficient near zero (seats on the
        // fight-churn data, −5e-5 on a factor in the thousands, agrees to 1.1e-8 relative).
        checkFit(discrete.fit, [
            Check(.coefficients, ref.numbers("coefficients"), 1e-8, seFraction: 1e-6),
            Check(.standardErrors, ref.numbers("std_errors"), 1e-8),
            Check(.logLikelihood, ref.number("log_likelihood"), 1e-10),
        ], label: "\(dataset) discrete-time model vs statsmodels")
    }

    /// The survival JSON's baseline: Breslow's H0 at each distinct churn time (checked against lifelines
    /// above) and S0 = exp(−H0), for an interval at the factors' means.
    @Test func survivalJSONCarriesTheBaselineCurve() throws {
        let data = try DataFiles.directory("\(repoRoot)/datasets/simulated").load([.outcomes, .configuration])
        let report = try SurvivalAnalysis.run(try SurvivalDesign.build(data), options: SurvivalOptions(predict: false))
        let cox = try #require(report.cox)
        let json = try JSONSerialization.jsonObject(with: Data(Render.survival(report, format: .json).utf8)) as! [String: Any]
        let baseline = json["baseline"] as! [String: Any]
        let at = baseline["at"] as! [String: Double]
        // (Foundation's JSON parser may round the last digit.)
        #expect(Set(at.keys) == Set(cox.names))
        for (name, mean) in zip(cox.names, cox.means) { #expect(relClose(at[name]!, mean, 1e-15)) }
        let points = baseline["points"] as! [[String: Double]]
        #expect(points.count == cox.baselineTimes.count && points.count > 100)
        for (p, q) in zip(points, points.dropFirst()) { #expect(p["days"]! < q["days"]! && p["cumulative_hazard"]! <= q["cumulative_hazard"]!) }
        for p in points {
            #expect(relClose(p["cumulative_hazard"]!, cox.cumulativeHazard(at: p["days"]!), 1e-15))
            #expect(abs(p["survival"]! - exp(-p["cumulative_hazard"]!)) < 1e-15)
        }
    }

    /// Every rule on a hand-made timeline. Times are days since each account's first row.
    @Test func countingProcessRules() throws {
        let dir = TempDir()
        let timeline = dir.write("timeline.csv", """
            account_id,date,a,b
            A,2024-01-01,10,
            A,2024-01-08,,5
            A,2024-01-15,12,6
            A,2024-01-22,13,7
            B,2024-01-11,1,1
            B,2024-01-01,2,2
            B,2024-01-21,3,3
            C,2024-01-01,4,4
            C,2024-01-05,5,5
            D,2024-01-10,1,1
            D,2024-01-20,2,2
            E,2024-01-01,9,9

            """)
        // A churns on the 18th: inside (14, 21] → (14, 17] with the event, the 22nd row does not count.
        // B's rows are out of order; it churns after its last row (the 25th) → (20, 24]. A later churn is ignored.
        // C never churns: (0, 4], and its last row opens nothing. D churns on its first row's date: no time at
        // risk. E renews only. X churns with no timeline row.
        let outcomes = dir.write("outcomes.csv", """
            account_id,date,outcome
            A,2024-01-18,churned
            B,2024-01-25,churned
            B,2024-03-01,churned
            D,2024-01-10,churned
            E,2024-02-01,renewed
            X,2024-01-05,churned

            """)
        let data = try DataFiles(timeline: timeline, outcomes: outcomes).load()
        let d = try SurvivalDesign.build(data, factors: ["a", "b"], options: SurvivalDesignOptions(missing: .drop))
        // A: (0,7] dropped (b missing), (7,14] a=10 b=5, (14,17] a=12 b=6 event. B: (0,10] (10,20] (20,24] event. C: (0,4].
        #expect(d.data.start == [7, 14, 0, 10, 20, 0])
        #expect(d.data.stop == [14, 17, 10, 20, 24, 4])
        #expect(d.data.event == [false, true, false, false, true, false])
        #expect(d.data.x.column(0) == [10, 12, 2, 1, 3, 4])
        #expect(d.data.x.column(1) == [5, 6, 2, 1, 3, 4])
        #expect(d.data.subjectIds == ["A", "B", "C"])
        #expect(d.dropped == 1 && d.droppedEvents == 0 && d.missing == [0, 1])
        #expect(d.churnsWithoutHistory == 1 && d.churnsBeforeFirstRow == 1 && d.laterChurns == 1)
        #expect(d.rowsAfterChurn == 1 + 2)     // A's 22nd; D's two rows
        // Active on the last timeline date (2024-01-22): B (its churn comes later), C and E, all aged 21 days.
        #expect(d.current.map(\.accountId) == ["B", "C", "E"] && d.current.map(\.age) == [21, 21, 21])
        #expect(d.current[0].values == [3, 3] && d.current[1].values == [5, 5])

        // Censoring at the 12th: A keeps (0,7] (dropped) and (7,14]? No: rows after the 12th go, so A's last row is
        // the 8th and opens nothing; B: (0,10] only (its churn on the 25th is not known yet).
        let cut = try SurvivalDesign.build(data, factors: ["a", "b"],
                                           options: SurvivalDesignOptions(censorAt: day("2024-01-12"), missing: .drop))
        #expect(cut.data.start == [0, 0] && cut.data.stop == [10, 4] && cut.data.event == [false, false])
        #expect(cut.current.map(\.accountId) == ["A", "B", "C", "E"])
        #expect(cut.current[0].age == 11 && cut.current[0].values == [10, 5])
    }
}
