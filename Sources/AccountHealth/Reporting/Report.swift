import Foundation

/// The self-contained HTML report (inline SVG and CSS, no scripts, no network) and its Markdown twin.
public struct HealthReport: Sendable {
    public var html: String
    public var markdown: String
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
    public var seed: UInt64

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

public enum ReportBuilder {
    /// Runs score, replay, fit (with bootstrap), indicators, backtest, compare, rank and survival on one dataset
    /// (its timeline read into memory once) and renders them. A section whose model cannot be fitted on these
    /// data (separation, no renewals yet, too few churns) is left out with a one-line reason; the scores are
    /// the report's core and their failure is the report's.
    public static func build(_ input: Dataset, options: ReportOptions = ReportOptions()) throws -> HealthReport {
        let dataset = try options.asOf.map { try input.known(through: $0) } ?? input.inMemory()
        let configuration = try dataset.requireConfiguration("the report")
        _ = try dataset.requireAccounts("the report")      // the AM sections and the ARR at risk need them
        let outcomes = try dataset.requireOutcomes("the report")
        let factors = configuration.base.factors.map(\.name)
        var leftOut: [Diagnostic] = []
        func section<T>(_ name: String, _ body: () throws -> T) -> T? {
            do { return try body() } catch {
                leftOut.append(Diagnostic(.sectionLeftOut, column: name, message: "\(name): left out, \(ReportBuilder.reason(error))"))
                return nil
            }
        }
        let scores = try Scorer.score(dataset, asOf: options.asOf)
        let asOf = scores.dates[0]
        let replay = try Scorer.score(dataset, asOf: asOf, every: 28)
        // A model needs at least one churn per factor to estimate anything; below ten per factor (Peduzzi et
        // al.'s rule of thumb) its estimates are unstable, which the report says.
        func enoughChurns(_ churns: Int, _ what: String) throws {
            if churns < factors.count {
                throw SectionLeftOut("too few churns (\(churns)) for the \(factors.count) factors of \(what)")
            }
            if churns < 10 * factors.count {
                leftOut.append(Diagnostic(.fewEvents, message: "\(what): \(churns) churns for \(factors.count) factors (fewer than 10 per factor): the estimates are unstable"))
            }
        }
        let obs = section("Suggested weights") { () throws -> ObservationSet in
            let o = try Observations.build(dataset, factors: factors, options: ObservationOptions(horizons: [90]))[0]
            try enoughChurns(Int(o.y.reduce(0, +)), "the weight model")
            return o
        }
        let fit = obs.flatMap { obs in
            section("Suggested weights") { try FitAnalysis.run(obs, rules: configuration.base, options: FitOptions(seed: options.seed, bootstrap: options.bootstrap)) }
        }
        let indicators = section("Leading and lagging factors") { () throws -> IndicatorReport in
            let r = try Indicators.run(dataset, factors: factors)
            guard r.rows.contains(where: { $0.cells.contains { $0.auc != nil } }) else {
                throw SectionLeftOut("no horizon has both churned and renewed accounts with a value")
            }
            return r
        }
        let backtest = section("Backtest") { try Backtest.run(dataset, options: BacktestOptions(step: 30)) }
        let compare = section("Account managers") { try Portfolio.compare(dataset, by: "am") }
        let rank = section("Accounts to call") { try Ranking.rank(dataset, asOf: asOf, top: 15) }
        let survival = section("Time to churn") { () throws -> (SurvivalDesign, CoxFit) in
            let design = try SurvivalDesign.build(dataset, factors: factors)
            try enoughChurns(design.data.events, "the Cox model")
            return (design, try CoxRegression().fit(design.data))
        }
        let design = survival?.0, cox = survival?.1

        let bands = configuration.base.bands
        let bandNames = bands.map(\.name)
        func why(_ name: String) -> String { leftOut.first { $0.column == name }?.message ?? "\(name): left out" }
        // Each chart, or where a section was left out, the reason in its place.
        var charts: [(name: String, svg: String?, reason: String?)] = []
        func chart(_ name: String, _ svg: String) { charts.append((name, svg, nil)) }
        charts.append(("Score distribution on \(Day.format(asOf))",
                       SVG.scoreHistogram(scores.rows.compactMap { $0.result.score }, bands: bands, title: "Score distribution, \(Day.format(asOf))"), nil))
        var shares: [(String, [Double])] = []
        for d in replay.dates {
            let rows = replay.rows.filter { $0.asOf == d && $0.band != nil }
            guard !rows.isEmpty else { continue }
            shares.append((Day.format(d), bandNames.map { b in Double(rows.filter { $0.band == b }.count) / Double(rows.count) }))
        }
        chart("Bands over time", SVG.bandShares(shares.map { (date: $0.0, shares: $0.1) }, bandNames: bandNames, title: "Share of accounts per band, every 28 days"))
        if let backtest {
            chart("ROC of the current score (backtest)", SVG.unitLines([("current score, AUC \(NumberFormat.fixed(backtest.overall.auc, 3))", roc(backtest.pairs))],
                                                                       title: "ROC: the score against churn in the next 90 days", xLabel: "false positive rate", yLabel: "true positive rate"))
            let deciles = backtest.byDecile.compactMap { r -> (Double, Double)? in
                guard let p = r.predictedRate, let o = r.observedRate else { return nil }
                return (p, o)
            }
            let maxRate = min(1, max(0.05, (deciles.map { max($0.0, $0.1) }.max() ?? 1) * 1.1))
            chart("Calibration", SVG.unitLines([("score deciles: calibrated vs observed", deciles)], title: "Reliability of the calibrated churn probability",
                                               xLabel: "calibrated probability", yLabel: "observed churn rate", maxValue: maxRate))
        } else {
            charts.append(("Backtest", nil, why("Backtest")))
        }
        if let w = fit?.weights {
            chart("Weights: current and suggested", SVG.weightBars(w.factors, current: w.current, suggested: w.suggested, low: w.bootstrapLow, high: w.bootstrapHigh,
                                                                    title: "Weights (sum 100): current and suggested, with 95% bootstrap intervals"))
        } else if fit == nil {
            charts.append(("Suggested weights", nil, why("Suggested weights")))
        }
        if let indicators {
            chart("Leading and lagging factors", SVG.heatmap(indicators.rows.map { "\($0.name) (\($0.kind.rawValue))" }, columns: indicators.horizons.map { "\($0)d" },
                                                             values: indicators.rows.map { $0.cells.map(\.auc) }, title: "AUC of each factor h days before the renewal"))
        } else {
            charts.append(("Leading and lagging factors", nil, why("Leading and lagging factors")))
        }
        if let cox {
            // Hazard ratio per standard deviation of each factor, so factors on different scales compare.
            let sd = cox.featureSDs
            chart("Time to churn: hazard ratios", SVG.forest(cox.names, estimate: cox.names.indices.map { _exp(cox.coefficients[$0] * sd[$0]) },
                                                             low: cox.names.indices.map { _exp(cox.confidenceLow[$0] * sd[$0]) },
                                                             high: cox.names.indices.map { _exp(cox.confidenceHigh[$0] * sd[$0]) },
                                                             title: "Cox model: churn hazard ratio per standard deviation, 95% CI",
                                                             xLabel: "hazard ratio (log scale; < 1 protects, > 1 raises the risk)"))
        } else {
            charts.append(("Time to churn", nil, why("Time to churn")))
        }
        if let compare {
            chart("Account managers: funnel plot", SVG.funnel(compare.groups.filter { $0.expectedChurns > 0 }.map { ($0.group, $0.expectedChurns, $0.oeRatio ?? 0) },
                                                              title: "Observed/expected churn by AM, with 95% limits"))
        }

        // The answers, in words; `n` writes a name from the data as the format needs it.
        func answerList(_ n: (String) -> String) -> [(String, String)] {
            var answers: [(String, String)] = []
            if let w = fit?.weights {
                let top = zip(w.factors, w.suggested).sorted { $0.1 > $1.1 }.prefix(3).map { "\(n($0.0)) (\(NumberFormat.fixed($0.1, 0)))" }
                let zero = zip(w.factors, w.suggested).filter { $0.1 < 0.5 }.map { n($0.0) }
                var text = "The data weight \(top.joined(separator: ", ")) most\(zero.isEmpty ? "" : "; \(zero.joined(separator: ", ")) add nothing once the others are known")."
                if let indicators {
                    text += " Leading factors: \(indicators.rows.filter { $0.kind == .leading }.map { n($0.name) }.joined(separator: ", ")); lagging: \(indicators.rows.filter { $0.kind == .lagging }.map { n($0.name) }.joined(separator: ", "))."
                }
                answers.append(("Which factors matter?", text + "\n"))
                var good = "Cross-validated AUC 90 days ahead: current weights \(NumberFormat.fixed(w.aucCurrent, 3)), suggested \(NumberFormat.fixed(w.aucSuggested, 3))."
                if let backtest {
                    good += " In the backtest the current score ranks next-90-day renewals with AUC \(NumberFormat.fixed(backtest.overall.auc, 3)) and top-decile lift \(NumberFormat.fixed(backtest.overall.topDecileLift, 2)); churn by band: \(backtest.overall.bands.map { "\(n($0.band)) \(NumberFormat.percent($0.churnRate))" }.joined(separator: ", "))."
                }
                answers.append(("Are our weights any good?", good + "\n"))
            } else {
                answers.append(("Which factors matter?", why("Suggested weights") + ".\n"))
            }
            if let cox, let design {
                let sd = cox.featureSDs
                let ordered = cox.names.indices.sorted { abs(cox.coefficients[$0] * sd[$0]) > abs(cox.coefficients[$1] * sd[$1]) }
                let strongest = ordered.prefix(3).map { "\(n(cox.names[$0])) (×\(NumberFormat.fixed(_exp(cox.coefficients[$0] * sd[$0]), 2)) per SD)" }
                answers.append(("How fast do accounts leave?", "Over the whole history (\(design.data.count) intervals between timeline rows, \(cox.events) churns), the factors that move the churn hazard most, week by week, are \(strongest.joined(separator: ", ")); the Cox model orders churns with concordance \(NumberFormat.fixed(cox.concordance, 3)). `healthscore survival` gives each account's probability of churning in the next 90 days given its age.\n"))
            } else {
                answers.append(("How fast do accounts leave?", why("Time to churn") + ".\n"))
            }
            if let compare {
                let higher = compare.groups.filter { $0.flag == .higher }.map { n($0.group) }, lower = compare.groups.filter { $0.flag == .lower }.map { n($0.group) }
                answers.append(("Who needs help?", higher.isEmpty ? "No account manager churns more than their book predicts beyond chance.\(lower.isEmpty ? "" : " Doing better than predicted: \(lower.joined(separator: ", ")).")\n"
                                : "Churning more than their book predicts (95% interval above 1): \(higher.joined(separator: ", ")).\(lower.isEmpty ? "" : " Better than predicted: \(lower.joined(separator: ", ")).")\n"))
            } else {
                answers.append(("Who needs help?", why("Account managers") + ".\n"))
            }
            if let first = rank?.rows.first {
                answers.append(("Which accounts to call?", "\(rank!.rows.count) accounts with the most ARR at risk are listed below; first \(n(first.accountId)) (\(NumberFormat.percent(first.churnProbability)) churn probability, \(NumberFormat.fixed(first.arrAtRisk, 0)) ARR at risk).\n"))
            } else if rank == nil {
                answers.append(("Which accounts to call?", why("Accounts to call") + ".\n"))
            }
            return answers
        }
        let answers = answerList { $0 }

        // Top-risk table.
        var riskTable = ResultTable(columns: ["rank", "account", "am", "segment", "P(churn)", "score", "band", "ARR at risk", "renewal", "drivers"], numeric: [0, 4, 5, 7])
        for r in rank?.rows ?? [] {
            riskTable.rows.append([String(r.rank), r.accountId, r.am ?? "", r.segment ?? "", NumberFormat.percent(r.churnProbability), NumberFormat.fixed(r.score),
                                   r.band ?? "", NumberFormat.fixed(r.arrAtRisk, 0), r.renewalDate.map(Day.format) ?? "", r.drivers.joined(separator: ", ")])
        }

        let title = "Account health report, \(Day.format(asOf))"
        let model = fit.map { "model: \(obs?.count ?? 0) observations 90 days ahead, CV AUC \(NumberFormat.fixed($0.cv.auc, 3))" } ?? "the weight model could not be fitted"
        let meta = "\(scores.rows.count) accounts scored; \(outcomes.count) renewal decisions\(options.asOf == nil ? "" : " up to \(Day.format(asOf))"); \(model)."
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(SVG.esc(title))</title>
            <style>body{font-family:sans-serif;max-width:1400px;margin:24px auto;color:#222;padding:0 12px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
            .answers{display:grid;grid-template-columns:repeat(2,1fr);gap:12px}.answer{border:1px solid #ddd;border-radius:6px;padding:10px 14px;background:#fafafa}
            .answer h3{margin:0 0 6px;font-size:14px}.charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:1px solid #eee;border-radius:6px;padding:6px}
            .leftout{color:#666;font-style:italic;max-width:420px;padding:12px}
            table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}td.n{text-align:right}.meta{color:#666;font-size:12px}</style></head><body>
            <h1>\(SVG.esc(title))</h1><p class="meta">\(SVG.esc(meta)) Generated by healthscore report.</p>
            """
        let warnings = leftOut.filter { $0.kind == .fewEvents }.map(\.message)
        for w in warnings { html += "<p class=\"meta\">Note: \(SVG.esc(w)).</p>" }
        html += """
            <div class="answers">
            """
        for (q, a) in answers { html += "<div class=\"answer\"><h3>\(SVG.esc(q))</h3>\(SVG.esc(a))</div>" }
        html += "</div><h2>Charts</h2><div class=\"charts\">"
        for c in charts {
            if let svg = c.svg { html += "<div class=\"chart\" title=\"\(SVG.esc(c.name))\">\(svg)</div>" }
            else { html += "<div class=\"chart leftout\" title=\"\(SVG.esc(c.name))\">\(SVG.esc(c.reason ?? ""))</div>" }
        }
        html += "</div><h2>Accounts to call</h2>"
        if rank == nil { html += "<p class=\"leftout\">\(SVG.esc(why("Accounts to call")))</p>" } else {
            html += "<table><tr>" + riskTable.columns.map { "<th>\(SVG.esc($0))</th>" }.joined() + "</tr>"
            for row in riskTable.rows {
                html += "<tr>" + row.enumerated().map { i, c in "<td\(riskTable.numeric.contains(i) ? " class=\"n\"" : "")>\(SVG.esc(c))</td>" }.joined() + "</tr>"
            }
            html += "</table>"
        }
        html += "<h2>Account managers</h2>"
        if let compare {
            html += "<table><tr><th>AM</th><th>accounts</th><th>churns</th><th>expected</th><th>O/E</th><th>95% interval</th><th>flag</th></tr>"
            for g in compare.groups {
                html += "<tr><td>\(SVG.esc(g.group))</td><td class=\"n\">\(g.accounts)</td><td class=\"n\">\(g.churns)</td><td class=\"n\">\(NumberFormat.fixed(g.expectedChurns, 1))</td><td class=\"n\">\(NumberFormat.fixed(g.oeRatio, 2))</td><td class=\"n\">\(NumberFormat.fixed(g.oeLow, 2)) – \(NumberFormat.fixed(g.oeHigh, 2))</td><td>\(g.flag?.rawValue ?? "")</td></tr>"
            }
            html += "</table>"
        } else {
            html += "<p class=\"leftout\">\(SVG.esc(why("Account managers")))</p>"
        }
        html += "</body></html>\n"

        var md = "# \(title)\n\n\(meta) Charts are in `report.html`.\n\n"
        for w in warnings { md += "Note: \(w).\n\n" }
        for (q, a) in answerList(Markdown.name) { md += "## \(q)\n\n\(a)\n" }
        md += "## Weights\n\n"
        if let w = fit?.weights {
            md += "| factor | current | suggested | 95% bootstrap |\n|---|---:|---:|---|\n"
            for j in w.factors.indices {
                md += "| \(Markdown.name(w.factors[j])) | \(NumberFormat.fixed(w.current[j], 1)) | \(NumberFormat.fixed(w.suggested[j], 1)) | \(w.bootstrapLow.map { NumberFormat.fixed($0[j], 1) } ?? "") – \(w.bootstrapHigh.map { NumberFormat.fixed($0[j], 1) } ?? "") |\n"
            }
        } else {
            md += "_\(why("Suggested weights"))._\n"
        }
        md += "\n## Leading and lagging\n\n"
        if let indicators {
            md += "| factor | " + indicators.horizons.map { "AUC \($0)d" }.joined(separator: " | ") + " | kind |\n|---|" + indicators.horizons.map { _ in "---:" }.joined(separator: "|") + "|---|\n"
            for r in indicators.rows { md += "| \(Markdown.name(r.name)) | " + r.cells.map { NumberFormat.fixed($0.auc, 3) }.joined(separator: " | ") + " | \(r.kind.rawValue) |\n" }
        } else {
            md += "_\(why("Leading and lagging factors"))._\n"
        }
        if let cox, let design {
            md += "\n## Time to churn (Cox, \(cox.ties.rawValue) ties)\n\n| factor | hazard ratio | per SD | 95% CI (per unit) | robust se | p |\n|---|---:|---:|---|---:|---:|\n"
            for j in cox.names.indices {
                md += "| \(Markdown.name(cox.names[j])) | \(NumberFormat.fixed(cox.hazardRatios[j], 4)) | \(NumberFormat.fixed(_exp(cox.coefficients[j] * cox.featureSDs[j]), 3)) | \(NumberFormat.fixed(_exp(cox.confidenceLow[j]), 4)) – \(NumberFormat.fixed(_exp(cox.confidenceHigh[j]), 4)) | \(NumberFormat.fixed(cox.robustStandardErrors[j], 5)) | \(Render.pText(cox.pValues[j])) |\n"
            }
            md += "\nConcordance \(NumberFormat.fixed(cox.concordance, 3)); \(design.data.count) intervals, \(cox.events) churns, \(design.dropped) intervals dropped for a missing value.\n"
        } else {
            md += "\n## Time to churn\n\n_\(why("Time to churn"))._\n"
        }
        md += "\n## Accounts to call\n\n"
        if rank != nil {
            md += "| " + riskTable.columns.joined(separator: " | ") + " |\n|" + riskTable.columns.map { _ in "---" }.joined(separator: "|") + "|\n"
            for row in riskTable.rows { md += "| " + row.map(Markdown.name).joined(separator: " | ") + " |\n" }
        } else {
            md += "_\(why("Accounts to call"))._\n"
        }
        md += "\n## Account managers\n\n"
        if let compare {
            md += "| AM | accounts | churns | expected | O/E | 95% interval | flag |\n|---|---:|---:|---:|---:|---|---|\n"
            for g in compare.groups {
                md += "| \(Markdown.name(g.group)) | \(g.accounts) | \(g.churns) | \(NumberFormat.fixed(g.expectedChurns, 1)) | \(NumberFormat.fixed(g.oeRatio, 2)) | \(NumberFormat.fixed(g.oeLow, 2)) – \(NumberFormat.fixed(g.oeHigh, 2)) | \(g.flag?.rawValue ?? "") |\n"
            }
        } else {
            md += "_\(why("Account managers"))._\n"
        }
        return HealthReport(html: html, markdown: md, charts: charts.filter { $0.svg != nil }.count, diagnostics: leftOut)
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

    /// ROC points (FPR, TPR) with risk = −score, at most about 200 of them.
    static func roc(_ pairs: [(score: Double, churned: Bool)]) -> [(Double, Double)] {
        let sorted = pairs.sorted { $0.score < $1.score }
        let pos = Double(sorted.filter(\.churned).count), neg = Double(sorted.count) - pos
        guard pos > 0, neg > 0 else { return [(0, 0), (1, 1)] }
        var pts: [(Double, Double)] = [(0, 0)]
        var tp = 0.0, fp = 0.0
        let every = max(1, sorted.count / 200)
        for (i, p) in sorted.enumerated() {
            if p.churned { tp += 1 } else { fp += 1 }
            if i % every == 0 || i == sorted.count - 1 { pts.append((fp / neg, tp / pos)) }
        }
        return pts
    }
}
