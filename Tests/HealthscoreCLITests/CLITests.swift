import Foundation
import Testing
import AccountHealth
import TestSupport


/// One simulated world shared by the tests of a suite.
final class World: @unchecked Sendable {
    static let shared = World()
    let dir = Dir()
    /// `simulate`'s exit status and standard error (checked by `simulateWritesTheFiveFiles`).
    let simulated: (status: Int32, err: String)
    init() {
        let r = try? CLI.run(["simulate", "--accounts", "300", "--weeks", "60", "--seed", "21", "--output", dir.path])
        simulated = (r?.status ?? -1, r?.err ?? "simulate did not run")
    }
}

/// Every documented key is present and not JSON null (JSONSerialization reads null as NSNull, which `!= nil` lets through).
func expectKeys(_ object: [String: Any], _ keys: [String], _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    for k in keys {
        let v = object[k]
        #expect(v != nil && !(v is NSNull), "\(what)\(k) is missing or null", sourceLocation: sourceLocation)
    }
}

func parseCSV(_ text: String) -> [[String]] {
    text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

@Suite(.serialized) struct CommandTests {
    @Test func simulateWritesTheFiveFiles() throws {
        #expect(World.shared.simulated.status == 0, "\(World.shared.simulated.err)")
        for f in ["timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml", "truth.yaml"] {
            #expect(FileManager.default.fileExists(atPath: World.shared.dir.path + "/" + f))
        }
    }

    @Test func validateJSONHasTheDocumentedKeys() throws {
        let r = try CLI.run(["validate", "--data", World.shared.dir.path, "--format", "json"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let t = obj["timeline"] as! [String: Any]
        expectKeys(t, ["rows", "accounts", "first_date", "last_date", "factors"], "timeline.")
        let f = (t["factors"] as! [[String: Any]]).first!
        #expect(f["name"] != nil && f["coverage"] != nil)
        #expect((obj["accounts"] as! [String: Any])["rows"] as? Int == 300)
        let o = obj["outcomes"] as! [String: Any]
        #expect(o["rows"] as? Int == (o["renewed"] as! Int) + (o["churned"] as! Int))
        #expect(obj["problems"] is [Any])
        // read = used + rejected
        #expect(t["rows_read"] as? Int == (t["rows_used"] as! Int) + (t["rows_rejected"] as! Int))
    }

    @Test func scoreCSVHeaderIsTheInterface() throws {
        let r = try CLI.run(["score", "--data", World.shared.dir.path, "--as-of", "2024-01-15", "--format", "csv"])
        #expect(r.status == 0)
        let header = r.out.split(separator: "\n").first.map(String.init)
        #expect(header == "account_id,as_of,score,band,change,profile_completeness_points,tasks_points,notes_points,qbr_points,freshness_points,satisfaction_points,usage_points,support_tickets_points,risk_penalty,coverage")
    }

    @Test func scoreAgreesWithTheIndependentReference() throws {
        // Tests/Reference/score_reference.py implements DESIGN §3 separately; it needs python3 with PyYAML.
        let probe = try? CLI.runTool("/usr/bin/env", ["python3", "-c", "import yaml"])
        guard let probe, probe.status == 0 else {
            Issue.record("python3 with PyYAML is needed for the reference comparison (scripts/setup.sh installs it)")
            return
        }
        let d = World.shared.dir.path
        // Add per-segment weights so the reference checks that rule too.
        let cfg = try String(contentsOfFile: d + "/config.yaml", encoding: .utf8)
            + "segments:\n  Enterprise:\n    factors:\n      - {name: usage, weight: 3}\n      - {name: qbr, weight: 1, optional: true, scale: {min: 1, max: 5}}\n    period: 14\n"
        let dir = Dir()
        let cfgPath = dir.write("config.yaml", cfg)
        for asOf in ["2023-02-01", "2023-09-17", "2024-02-19"] {
            let mine = try CLI.run(["score", "--timeline", d + "/timeline.csv", "--accounts", d + "/accounts.csv", "--config", cfgPath,
                                    "--as-of", asOf, "--format", "csv"])
            #expect(mine.status == 0, "\(mine.err)")
            let ref = try CLI.runTool("/usr/bin/env", ["python3", CLI.packageRoot + "/Tests/Reference/score_reference.py",
                                                      d + "/timeline.csv", cfgPath, asOf, d + "/accounts.csv"])
            #expect(ref.status == 0, "\(ref.err)")
            let a = parseCSV(mine.out), b = parseCSV(ref.out)
            #expect(a.count == b.count && a.count > 100)
            let pointCols = b[0].count - 3
            for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
                #expect(x[0] == y[0])
                for (i, j) in [(2, 1), (4, 2)] + (0..<pointCols).map({ (5 + $0, 3 + $0) }) {
                    if x[i].isEmpty || y[j].isEmpty { #expect(x[i] == y[j], "\(x[0]) col \(i)"); continue }
                    let u = Double(x[i])!, v = Double(y[j])!
                    #expect(abs(u - v) <= 1e-9 * max(1, abs(v)), "\(x[0]) col \(i): \(u) vs \(v)")
                }
            }
        }
    }

    @Test func scoreJSONAndTable() throws {
        let j = try CLI.run(["score", "--data", World.shared.dir.path, "--format", "json"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as! [String: Any]
        let first = (obj["scores"] as! [[String: Any]]).first!
        expectKeys(first, ["account_id", "as_of", "score", "band", "change", "points", "coverage"], "")
        let t = try CLI.run(["score", "--data", World.shared.dir.path, "--format", "table"])
        #expect(t.status == 0 && t.out.contains("account_id") && t.out.contains("-----"))
    }

    @Test func replayWithEvery() throws {
        let r = try CLI.run(["score", "--data", World.shared.dir.path, "--every", "28", "--from", "2023-06-01", "--format", "csv"])
        #expect(r.status == 0)
        let dates = Set(parseCSV(r.out).dropFirst().map { $0[1] })
        #expect(dates.count == Int((Day.parse("2024-02-19")! - Day.parse("2023-06-01")!) / 28) + 1)
    }

    @Test func explainSumsToTheChange() throws {
        let r = try CLI.run(["explain", "--data", World.shared.dir.path, "--account", "A000010", "--from", "2023-06-01", "--to", "2024-01-01", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let steps = obj["steps"] as! [[String: Any]]
        let sum = steps.reduce(0.0) { $0 + ($1["points"] as! Double) }
        #expect(abs(sum - (obj["change"] as! Double)) < 1e-9)
        let unknown = try CLI.run(["explain", "--data", World.shared.dir.path, "--account", "nobody"])
        #expect(unknown.status == 64 && unknown.err.contains("nobody"))
    }

    @Test func alertsFailOnAlerts() throws {
        let quiet = try CLI.run(["alerts", "--data", World.shared.dir.path, "--as-of", "2024-01-01", "--drop", "100", "--fail-on-alerts"])
        let loud = try CLI.run(["alerts", "--data", World.shared.dir.path, "--as-of", "2024-01-01", "--drop", "1", "--fail-on-alerts", "--format", "csv"])
        #expect(loud.status == 1)
        #expect(loud.out.hasPrefix("account_id,as_of,reason,score,previous_score,change,band,previous_band\n"))
        // With --drop 100 only band crossings alert. The alerts are counted in the CSV (and, independently of
        // the tool, from two score runs), and the exit status must follow that count.
        let rows = quiet.out.split(separator: "\n").dropFirst().count
        let before = try CLI.run(["score", "--data", World.shared.dir.path, "--as-of", "2023-12-02", "--format", "csv"])
        let after = try CLI.run(["score", "--data", World.shared.dir.path, "--as-of", "2024-01-01", "--format", "csv"])
        let rank = ["red": 0, "yellow": 1, "green": 2]
        var band: [String: Int] = [:]
        for row in parseCSV(before.out).dropFirst() where !row[3].isEmpty { band[row[0]] = rank[row[3]] }
        let worse = parseCSV(after.out).dropFirst().filter { row in
            guard let now = rank[row[3]], let then = band[row[0]] else { return false }
            return now < then
        }.count
        #expect(rows == worse && rows > 0, "\(rows) alert rows, \(worse) accounts entered a worse band")
        #expect(quiet.status == 1 && quiet.err.contains(" \(rows) alert(s)"), "\(quiet.status): \(quiet.err)")
    }
}

@Suite struct ExitCodeTests {
    @Test func missingFileIs66() throws {
        let r = try CLI.run(["score", "--timeline", "/no/such/timeline.csv"])
        #expect(r.status == 66 && r.err.contains("/no/such/timeline.csv"))
        let v = try CLI.run(["validate", "--timeline", "/no/such/timeline.csv"])
        #expect(v.status == 66)
    }

    @Test func badDataIs65WithFileLineAndValue() throws {
        let d = Dir()
        let p = d.write("timeline.csv", "account_id,date,a\nx,2024-01-01,1\nx,2024-01-08,oops\n")
        let r = try CLI.run(["score", "--timeline", p])
        #expect(r.status == 65)
        #expect(r.err.contains("\(p):3:3") && r.err.contains("oops"))
        let v = try CLI.run(["validate", "--timeline", p, "--format", "json"])
        #expect(v.status == 65 && v.out.contains("\"invalid_number\""))
        // Standard output stays the data; standard error says how many errors and where the first is.
        #expect(v.err.contains("1 error; the first: \(p):3:3") && v.err.contains("oops"), "\(v.err)")
        #expect((try JSONSerialization.jsonObject(with: Data(v.out.utf8))) is [String: Any])
        let ok = try CLI.run(["validate", "--data", World.shared.dir.path, "--format", "json"])
        #expect(ok.status == 0 && !ok.err.contains("error"))
    }

    /// The top-level help is paragraphs that ArgumentParser wraps: no line over 80 columns, and no short
    /// line inside a paragraph (the mark of a hard line break wrapped again).
    @Test func topLevelHelpWrapsCleanly() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
        let overview = Array(lines.prefix { !$0.hasPrefix("USAGE") })
        for (i, l) in overview.enumerated() where i + 1 < overview.count && !overview[i + 1].isEmpty && !l.isEmpty {
            #expect(l.count >= 50, "a short line inside a paragraph: '\(l)'")
        }
    }

    @Test func duplicateRowNamesBothLines() throws {
        let d = Dir()
        let p = d.write("timeline.csv", "account_id,date,a\nx,2024-01-01,1\ny,2024-01-01,1\nx,2024-01-01,2\n")
        let r = try CLI.run(["score", "--timeline", p])
        #expect(r.status == 65 && r.err.contains("lines 2 and 4"))
    }

    @Test func badConfigurationIs65() throws {
        let d = Dir()
        let t = d.write("timeline.csv", "account_id,date,a\nx,2024-01-01,1\n")
        let c = d.write("config.yaml", "factors:\n  - {name: a, weight: -2}\n")
        let r = try CLI.run(["score", "--timeline", t, "--config", c])
        #expect(r.status == 65 && r.err.contains("config.yaml:2") && r.err.contains("weight"))
    }

    @Test func usageErrorsUseArgumentParsersCode() throws {
        let r = try CLI.run(["score", "--as-of", "2024-02-30"])
        #expect(r.status == 64)
        let r2 = try CLI.run(["score", "--format", "xml"])
        #expect(r2.status == 64)
    }

    @Test func oddButValidFilesAreAccepted() throws {
        let d = Dir()
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array("Date;\"Account_ID\";A;risk\r\n2024-01-01;\"x;1\";\"50\";HIGH\r\n2024-01-08;\"x;1\";70;\r\n".utf8)
        let p = d.write("timeline.csv", bytes: bytes)
        let r = try CLI.run(["score", "--timeline", p, "--delimiter", ";", "--format", "csv"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("\nx;1,2024-01-08,70,green,"))
    }

    @Test func helpHasExamples() throws {
        for cmd in ["simulate", "derive", "validate", "sql", "score", "explain", "alerts", "fit", "indicators", "backtest", "compare", "rank", "survival", "report", "bench"] {
            let r = try CLI.run([cmd, "--help"])
            #expect(r.status == 0 && r.out.contains("healthscore \(cmd)"), "\(cmd)")
            #expect(r.out.contains("Example"), "\(cmd) --help has no example")
        }
        let completion = try CLI.run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.out.contains("healthscore"))
    }
}

@Suite(.serialized) struct FitCommandTests {
    @Test func fitJSONHasTheDocumentedKeys() throws {
        let r = try CLI.run(["fit", "--data", World.shared.dir.path, "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        expectKeys(o, ["observations", "dropped", "horizon_days", "coefficients", "log_likelihood", "deviance", "aic", "iterations", "cv",
                  "suggested_weights", "auc_current", "auc_suggested"], "")
        let c = (o["coefficients"] as! [[String: Any]])[0]
        expectKeys(c, ["name", "estimate", "std_error", "z", "p_value", "ci_low", "ci_high"], "coefficients.")
        #expect(c["name"] as? String == "intercept")
        let cv = o["cv"] as! [String: Any]
        expectKeys(cv, ["auc", "log_loss", "brier", "folds"], "cv.")
        let w = (o["suggested_weights"] as! [[String: Any]])
        #expect(w.count == 8 && abs(w.reduce(0.0) { $0 + ($1["suggested"] as! Double) } - 100) < 1e-9)
        expectKeys(w[0], ["name", "current", "suggested"], "")
    }

    @Test func writtenConfigIsAcceptedByScoreAndSavedModelLoads() throws {
        let d = Dir()
        let r = try CLI.run(["fit", "--data", World.shared.dir.path, "--bootstrap", "20", "--write-config", d.path + "/suggested.yaml",
                             "--save-model", d.path + "/model.json", "--format", "csv"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.hasPrefix("horizon_days,model,name,estimate,std_error,z,p_value,ci_low,ci_high,odds_ratio,standardized,current_weight,suggested_weight,weight_ci_low,weight_ci_high\n90,logistic,intercept,"))
        let rows = parseCSV(r.out)
        let m0 = try SavedModel.load(path: d.path + "/model.json")
        // The logistic terms: the intercept, the 8 factors and an indicator per factor with missing values (DESIGN
        // §13); the score-form terms: the intercept, the 8 weights and a penalty per risk level that occurs.
        #expect(rows.filter { $0[1] == "logistic" }.count == 1 + m0.features.count && m0.features.count == 8 + m0.indicators.count)
        #expect(rows.filter { $0[1] == "score_form" && !$0[2].hasPrefix("risk_") }.count == 9)
        let s = try CLI.run(["score", "--data", World.shared.dir.path, "--config", d.path + "/suggested.yaml", "--format", "csv"])
        #expect(s.status == 0, "\(s.err)")
        let cfg = try Configuration.load(path: d.path + "/suggested.yaml")
        let orig = try Configuration.load(path: World.shared.dir.path + "/config.yaml")
        // The suggested configuration changes the weights and the penalties of the levels that occur, nothing else.
        #expect(cfg.base.bands == orig.base.bands && cfg.base.riskPenalty.allSatisfy { $0 >= 0 })
        #expect(cfg.base.factors.map(\.name) == orig.base.factors.map(\.name))
        #expect(cfg.base.factors.map(\.invert) == orig.base.factors.map(\.invert))
        let m = try SavedModel.load(path: d.path + "/model.json")
        #expect(m.horizonDays == 90 && m.features.count == 8 + m.indicators.count && m.missingTreatment == .indicator)
    }

    @Test func separationIsExplainedWithExit65() throws {
        let d = Dir()
        var t = "account_id,date,usage,noise\n", o = "account_id,date,outcome\n"
        for i in 0..<60 {
            t += "a\(i),2024-01-01,\(i),\((i * 7) % 11)\n"
            o += "a\(i),2024-06-01,\(i < 30 ? "churned" : "renewed")\n"
        }
        d.write("timeline.csv", t); d.write("outcomes.csv", o)
        let r = try CLI.run(["fit", "--data", d.path])
        #expect(r.status == 65)
        #expect(r.err.contains("separation") && r.err.contains("'usage'") && !r.err.lowercased().contains("nan"))
        let ok = try CLI.run(["fit", "--data", d.path, "--penalty", "1", "--format", "json"])
        #expect(ok.status == 0, "\(ok.err)")
    }
}

@Suite struct IndicatorsCommandTests {
    @Test func indicatorsJSONHasTheDocumentedKeys() throws {
        let r = try CLI.run(["indicators", "--data", World.shared.dir.path, "--horizons", "30,90", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        #expect(o["horizons"] as? [Int] == [30, 90])
        let f = (o["factors"] as! [[String: Any]])[0]
        expectKeys(f, ["name", "peak_horizon", "kind", "by_horizon"], "")
        #expect(["leading", "lagging"].contains(f["kind"] as! String))
        let c = (f["by_horizon"] as! [[String: Any]])[0]
        expectKeys(c, ["horizon", "auc", "direction", "coefficient", "observations"], "by_horizon.")
        let bad = try CLI.run(["indicators", "--data", World.shared.dir.path, "--horizons", "30,x"])
        #expect(bad.status == 64)
    }
}

@Suite struct BacktestCommandTests {
    @Test func backtestJSONAndAgainst() throws {
        let d = Dir()
        let other = d.write("other.yaml", "factors:\n  - {name: usage, weight: 1}\n  - {name: tasks, weight: 1}\nbands:\n  - {name: red, below: 40}\n  - {name: yellow, below: 70}\n  - {name: green}\n")
        let r = try CLI.run(["backtest", "--data", World.shared.dir.path, "--step", "60", "--against", other, "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        expectKeys(o, ["horizon_days", "step_days", "cutoffs", "overall", "calibration", "against"], "")
        let overall = o["overall"] as! [String: Any]
        expectKeys(overall, ["accounts", "churns", "auc", "top_decile_lift", "precision_at_k", "bands"], "overall.")
        let a = o["against"] as! [String: Any]
        let m = a["band_matrix"] as! [String: Any]
        let counts = (m["counts"] as! [[Int]]).flatMap { $0 }
        #expect(counts.reduce(0, +) > 0 && a["rank_correlation"] != nil)
        let cal = (o["calibration"] as! [String: Any])["isotonic"] as! [[String: Any]]
        let probs = cal.map { $0["churn_probability"] as! Double }
        #expect(zip(probs, probs.dropFirst()).allSatisfy { $0 >= $1 })
    }
}

@Suite struct BenchCommandTests {
    @Test func benchRunsOnSmallSizes() throws {
        let r = try CLI.run(["bench", "--rows", "3000", "--columns", "4", "--cv-rows", "2000", "--cox-rows", "1500", "--reps", "1"])
        #expect(r.status == 0, "\(r.err)")
        for s in ["dgemm", "IRLS pass", "logistic fit 3000×4", "5-fold CV AUC 2000×4", "OpenBLAS core", "Cox PH (Efron) 1500×8"] { #expect(r.out.contains(s), "\(s)") }
    }

    /// The Cox file benchmark reads a counting-process CSV and reports lifelines' estimates (fixture).
    @Test func coxFileBenchmarkMatchesLifelines() throws {
        let root = CLI.packageRoot + "/Tests/AccountHealthTests/Fixtures"
        let r = try CLI.run(["bench", "--cox-file", root + "/cox_tv_small.csv", "--reps", "2"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/cox_tv_small.json"))) as! [String: Any]
        let b = (ref["lifelines"] as! [String: Any])["coefficients"] as! [Double]
        let mine = o["coefficients"] as! [Double]
        for j in b.indices { #expect(abs(mine[j] - b[j]) <= 1e-8 * abs(b[j])) }
        #expect((o["fit_seconds"] as! [Double]).count == 2 && o["names"] as! [String] == ["x1", "x2", "x3"])
        let d = Dir()
        let bad = d.write("bad.csv", "id,start,stop,event,x\n1,0,5,1,2\n2,3,3,0,1\n3,0,4,2,1\n4,0,4,0,\n")
        let e = try CLI.run(["bench", "--cox-file", bad])
        #expect(e.status == 65)
        for s in ["bad.csv:3:3", "stop must be after start", "bad.csv:4:4", "event must be 0 or 1", "bad.csv:5:5", "x is empty"] { #expect(e.err.contains(s), "\(s): \(e.err)") }
    }
}

@Suite(.serialized) struct PortfolioCommandTests {
    @Test func compareJSONHasTheDocumentedKeys() throws {
        let r = try CLI.run(["compare", "--data", World.shared.dir.path, "--by", "segment", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        #expect(o["by"] as? String == "segment")
        let g = (o["groups"] as! [[String: Any]])[0]
        for k in ["group", "accounts", "arr", "mean_score", "renewals", "churns", "observed_churn_rate", "expected_churns", "oe_ratio",
                  "oe_ci_low", "oe_ci_high", "shrunk_churn_rate", "flag"] { #expect(g.keys.contains(k), "groups.\(k)") }
        let bad = try CLI.run(["compare", "--data", World.shared.dir.path, "--by", "nope"])
        #expect(bad.status == 64 && bad.err.contains("nope"))
    }

    @Test func rankCSVColumnsAndSavedModel() throws {
        let d = Dir()
        _ = try CLI.run(["fit", "--data", World.shared.dir.path, "--save-model", d.path + "/m.json", "--format", "json"])
        for extra in [[], ["--model", d.path + "/m.json"]] {
            let r = try CLI.run(["rank", "--data", World.shared.dir.path, "--as-of", "2023-12-01", "--top", "10", "--format", "csv"] + extra)
            #expect(r.status == 0, "\(r.err)")
            let lines = r.out.split(separator: "\n")
            #expect(lines.first == "rank,account_id,am,segment,churn_probability,score,band,change,arr,arr_at_risk,renewal_date,driver_1,driver_2,driver_3,imputed")
            #expect(lines.count == 11)
        }
        let missing = try CLI.run(["rank", "--data", World.shared.dir.path, "--model", "/no/such/model.json"])
        #expect(missing.status == 66)
    }
}

@Suite(.serialized) struct SurvivalCommandTests {
    /// One term vocabulary: the fit and survival outputs (both survival models) share the core columns.
    @Test func fitAndSurvivalShareTheTermColumns() throws {
        let core = ["model", "name", "estimate", "std_error", "z", "p_value", "ci_low", "ci_high"]
        let fit = try CLI.run(["fit", "--data", World.shared.dir.path, "--format", "csv"])
        let surv = try CLI.run(["survival", "--data", World.shared.dir.path, "--format", "csv"])
        #expect(fit.status == 0 && surv.status == 0, "\(fit.err) \(surv.err)")
        let fh = parseCSV(fit.out)[0], sh = parseCSV(surv.out)[0]
        #expect(Array(fh.dropFirst().prefix(core.count)) == core && Array(sh.prefix(core.count)) == core)
        #expect(Set(parseCSV(surv.out).dropFirst().map { $0[0] }) == ["cox", "discrete_time"])
        // Every discrete-time row has its interval, on the estimate's scale.
        for row in parseCSV(surv.out).dropFirst() {
            let e = Double(row[2])!, lo = Double(row[6])!, hi = Double(row[7])!
            #expect(lo < e && e < hi, "\(row[0]) \(row[1])")
        }
        let fj = try JSONSerialization.jsonObject(with: Data(try CLI.run(["fit", "--data", World.shared.dir.path, "--format", "json"]).out.utf8)) as! [String: Any]
        let sj = try JSONSerialization.jsonObject(with: Data(try CLI.run(["survival", "--data", World.shared.dir.path, "--format", "json"]).out.utf8)) as! [String: Any]
        let dt = sj["discrete_time"] as! [String: Any]
        for terms in [fj["coefficients"], sj["coefficients"], dt["coefficients"]] {
            for t in terms as! [[String: Any]] { expectKeys(t, Array(core.dropFirst()), "coefficients.") }
        }
        for d in (sj["diagnostics"] as! [[String: Any]]) { expectKeys(d, ["kind", "message"], "diagnostics.") }
    }

    @Test func survivalJSONHasTheDocumentedKeys() throws {
        let r = try CLI.run(["survival", "--data", World.shared.dir.path, "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        expectKeys(o, ["intervals", "events", "dropped", "coefficients", "log_likelihood", "concordance"], "")
        let cs = o["coefficients"] as! [[String: Any]]
        #expect(cs.count == 8 + (o["indicators"] as! [String]).count)
        expectKeys(cs[0], ["name", "estimate", "std_error", "robust_std_error", "z", "p_value", "hazard_ratio"], "coefficients.")
        #expect(abs((cs[0]["hazard_ratio"] as! Double) - exp(cs[0]["estimate"] as! Double)) < 1e-12)
        let c = o["concordance"] as! Double
        #expect(c > 0.5 && c < 1)
        let dt = o["discrete_time"] as! [String: Any]
        #expect((dt["coefficients"] as! [[String: Any]]).map { $0["name"] as! String }.first == "intercept")
        let csv = try CLI.run(["survival", "--data", World.shared.dir.path, "--models", "cox", "--format", "csv"])
        #expect(csv.out.hasPrefix("model,name,estimate,std_error,z,p_value,ci_low,ci_high,robust_std_error,hazard_ratio,mean\ncox,"))
        #expect(parseCSV(csv.out).count == 1 + cs.count)
    }

    /// The notes about predictions (accounts beyond the longest follow-up, imputed factors) come only when
    /// predictions are made.
    @Test func predictionNotesOnlyWhenPredicting() throws {
        let d = Dir()
        let quiet = try CLI.run(["survival", "--data", World.shared.dir.path, "--models", "cox", "--format", "json"])
        let predicting = try CLI.run(["survival", "--data", World.shared.dir.path, "--models", "cox", "--format", "json",
                                      "--predictions", d.path + "/p.csv"])
        #expect(quiet.status == 0 && predicting.status == 0)
        #expect(!quiet.err.contains("longest follow-up") && predicting.err.contains("longest follow-up"))
        let kinds = { (out: String) in
            ((try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        }
        #expect(!kinds(quiet.out).contains("beyond_follow_up") && kinds(predicting.out).contains("beyond_follow_up"))
    }

    @Test func predictionsAndSavedModelAgreeWithRank() throws {
        let d = Dir()
        let r = try CLI.run(["survival", "--data", World.shared.dir.path, "--horizon", "60", "--predictions", d.path + "/p.csv",
                             "--curve", "30,60,120", "--save-model", d.path + "/cox.json", "--format", "table"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("Cox proportional hazards") && r.out.contains("concordance"))
        let p = parseCSV(try String(contentsOfFile: d.path + "/p.csv", encoding: .utf8))
        #expect(p[0] == ["account_id", "as_of", "age_days", "horizon_days", "relative_hazard", "churn_probability", "beyond_follow_up", "imputed",
                         "survival_30d", "survival_60d", "survival_120d"])
        var probability: [String: Double] = [:]
        for row in p.dropFirst() {
            probability[row[0]] = Double(row[5])!
            // The curve at the horizon is 1 − P(churn), and it never rises.
            #expect(abs(Double(row[9])! - (1 - Double(row[5])!)) < 1e-15)
            #expect(Double(row[8])! >= Double(row[9])! && Double(row[9])! >= Double(row[10])!)
        }
        let m = try SavedModel.load(path: d.path + "/cox.json")
        #expect(m.isCox && m.horizonDays == 60 && m.features.count == 8 + m.indicators.count && m.missingTreatment == .indicator)
        let ranked = try CLI.run(["rank", "--data", World.shared.dir.path, "--model", d.path + "/cox.json", "--format", "csv"])
        #expect(ranked.status == 0, "\(ranked.err)")
        let rows = parseCSV(ranked.out).dropFirst()
        #expect(rows.count == probability.count)
        for row in rows { #expect(abs(Double(row[4])! - probability[row[1]]!) < 1e-12, "\(row[1])") }
    }

    @Test func separationNamesTheFactorWithExit65() throws {
        let d = Dir()
        // The lower 'usage', the earlier the churn, for every account: a monotone likelihood.
        var t = "account_id,date,usage,noise\n", o = "account_id,date,outcome\n"
        for i in 0..<40 {
            t += "a\(i),2024-01-01,\(i),\((i * 7) % 5)\n"
            o += "a\(i),\(Day.format(Day.parse("2024-01-02")! + Int32(i))),churned\n"
        }
        d.write("timeline.csv", t); d.write("outcomes.csv", o)
        let r = try CLI.run(["survival", "--data", d.path])
        #expect(r.status == 65)
        #expect(r.err.contains("separation") && r.err.contains("'usage'") && !r.err.lowercased().contains("nan"), "\(r.err)")
        let ok = try CLI.run(["survival", "--data", d.path, "--penalty", "1", "--format", "json"])
        #expect(ok.status == 0, "\(ok.err)")
    }

    @Test func noChurnIsExplainedWithExit65() throws {
        let d = Dir()
        d.write("timeline.csv", "account_id,date,usage\na,2024-01-01,1\na,2024-02-01,2\nb,2024-01-01,3\nb,2024-03-01,1\n")
        d.write("outcomes.csv", "account_id,date,outcome\na,2024-06-01,renewed\n")
        let r = try CLI.run(["survival", "--data", d.path])
        #expect(r.status == 65)
        #expect(r.err.contains("no event") && r.err.contains("outcomes.csv"))
        let ties = try CLI.run(["survival", "--data", d.path, "--ties", "exact"])
        #expect(ties.status == 64)
    }
}

@Suite struct MissingInputTests {
    @Test func aRequiredFileMissingFromTheDataDirectoryIs66() throws {
        let d = Dir()
        try FileManager.default.copyItem(atPath: World.shared.dir.path + "/timeline.csv", toPath: d.path + "/timeline.csv")
        for cmd in ["fit", "indicators", "compare", "survival"] {
            let r = try CLI.run([cmd, "--data", d.path])
            #expect(r.status == 66, "\(cmd): \(r.err)")
            #expect(r.err.contains(d.path), "\(cmd)")
        }
        let noDir = try CLI.run(["score", "--data", "/no/such/dir"])
        #expect(noDir.status == 66)
    }
}

@Suite(.serialized) struct DeterminismCommandTests {
    @Test func everyCommandGivesTheSameBytesTwice() throws {
        let d = World.shared.dir.path
        let commands: [[String]] = [
            ["validate", "--data", d, "--format", "json"],
            ["score", "--data", d, "--every", "30", "--format", "csv"],
            ["explain", "--data", d, "--account", "A000010", "--format", "json"],
            ["alerts", "--data", d, "--drop", "5", "--format", "csv"],
            ["fit", "--data", d, "--bootstrap", "10", "--format", "json"],
            ["indicators", "--data", d, "--format", "json"],
            ["backtest", "--data", d, "--step", "60", "--format", "json"],
            ["compare", "--data", d, "--by", "am", "--format", "json"],
            ["rank", "--data", d, "--format", "csv"],
            ["survival", "--data", d, "--format", "json"],
        ]
        for c in commands {
            let a = try CLI.run(c), b = try CLI.run(c)
            #expect(a.status == 0, "\(c[0]): \(a.err)")
            #expect(!a.out.isEmpty && a.out == b.out, "\(c[0]) output differs between runs")
        }
    }
}

@Suite struct ReportCommandTests {
    @Test func reportIsSelfContainedWithAtLeastFiveCharts() throws {
        let d = Dir()
        let r = try CLI.run(["report", "--data", World.shared.dir.path, "--output", d.path + "/rep", "--bootstrap", "5"])
        #expect(r.status == 0, "\(r.err)")
        let html = try String(contentsOfFile: d.path + "/rep/report.html", encoding: .utf8)
        let md = try String(contentsOfFile: d.path + "/rep/report.md", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 >= 5)
        #expect(!html.lowercased().contains("<script"))
        // No external reference: the only URL is the SVG namespace.
        let urls = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
        #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") }, "\(urls.filter { !$0.hasPrefix("://www.w3.org/2000/svg") })")
        for q in ["Which factors matter?", "Are our weights any good?", "Who needs help?", "Which accounts to call?"] {
            #expect(html.contains(q) && md.contains(q), "\(q)")
        }
        #expect(md.contains("## Accounts to call") && md.contains("## Weights"))
    }

    /// A manager's name made of table and markup characters: in report.md every row of the managers' table
    /// keeps its seven cells and no tag survives; in report.html the name is text.
    @Test func namesFromTheDataAreEscapedInBothFormats() throws {
        let d = Dir()
        let src = CLI.packageRoot + "/datasets/simulated/"
        let name = "am|07 <b>x</b> *y* [z]"
        for f in ["timeline.csv", "outcomes.csv", "config.yaml", "accounts.csv"] {
            var text = try String(contentsOfFile: src + f, encoding: .utf8)
            if f == "accounts.csv" { text = text.replacingOccurrences(of: ",am_07,", with: ",\(name),") }
            d.write(f, text)
        }
        let r = try CLI.run(["report", "--data", d.path, "--output", d.path + "/rep", "--bootstrap", "5", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let md = try String(contentsOfFile: d.path + "/rep/report.md", encoding: .utf8)
        let managers = md.components(separatedBy: "## Account managers\n\n")[1].split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(managers.count > 10)
        for row in managers {
            // Cells are split by the bars that no backslash escapes.
            var cells = 0, escaped = false
            for ch in row {
                if ch == "|" && !escaped { cells += 1 }
                escaped = ch == "\\" && !escaped
            }
            #expect(cells == 8, "\(row)")
        }
        #expect(managers.contains { $0.contains("am\\|07 &lt;b&gt;x&lt;/b&gt; \\*y\\* \\[z\\]") }, "\(managers)")
        #expect(!md.contains("<b>"))
        let html = try String(contentsOfFile: d.path + "/rep/report.html", encoding: .utf8)
        #expect(!html.contains("<b>x") && html.contains("am|07 &lt;b&gt;x&lt;/b&gt;"))
    }

    /// A small book (40 accounts, 10 churns) and a book with no renewal yet: the report renders and exits 0,
    /// each section that cannot be fitted replaced by its one-line reason.
    @Test func rendersOnASmallBookAndWithNoRenewalsYet() throws {
        let d = Dir()
        let sim = try CLI.run(["simulate", "--accounts", "40", "--weeks", "52", "--seed", "3", "--output", d.path + "/small"])
        #expect(sim.status == 0, "\(sim.err)")
        let small = try CLI.run(["report", "--data", d.path + "/small", "--output", d.path + "/small-rep", "--bootstrap", "5"])
        #expect(small.status == 0, "\(small.err)")
        let md = try String(contentsOfFile: d.path + "/small-rep/report.md", encoding: .utf8)
        // Every observed decision counts now (DESIGN §13), so the reason is the fit's own (separation on so few).
        #expect(md.contains("Suggested weights: left out, too few churns") || md.contains("Suggested weights: left out, perfect or quasi-complete separation"))
        // Every renewal removed: only churns so far.
        let fm = FileManager.default
        try fm.createDirectory(atPath: d.path + "/churns", withIntermediateDirectories: true)
        for f in ["timeline.csv", "accounts.csv", "config.yaml"] { try fm.copyItem(atPath: d.path + "/small/" + f, toPath: d.path + "/churns/" + f) }
        let outcomes = try String(contentsOfFile: d.path + "/small/outcomes.csv", encoding: .utf8).split(separator: "\n")
        d.write("churns/outcomes.csv", ([outcomes[0]] + outcomes.filter { $0.contains(",churned") }).joined(separator: "\n") + "\n")
        let churns = try CLI.run(["report", "--data", d.path + "/churns", "--output", d.path + "/churns-rep"])
        #expect(churns.status == 0, "\(churns.err)")
        let html = try String(contentsOfFile: d.path + "/churns-rep/report.html", encoding: .utf8)
        let md2 = try String(contentsOfFile: d.path + "/churns-rep/report.md", encoding: .utf8)
        for section in ["Suggested weights", "Leading and lagging factors", "Account managers", "Accounts to call"] {
            #expect(html.contains("\(section): left out") && md2.contains("\(section): left out"), "\(section)")
            #expect(churns.err.contains("\(section): left out"), "\(section) on stderr")
        }
        #expect(!html.contains("NaN") && !md2.contains("nan"))
    }

    /// `--as-of` reports what was known then: later outcomes leave no trace.
    @Test func asOfUsesNothingLater() throws {
        let d = Dir()
        let a = try CLI.run(["report", "--data", World.shared.dir.path, "--as-of", "2024-03-31", "--output", d.path + "/a", "--bootstrap", "0"])
        #expect(a.status == 0, "\(a.err)")
        let md = try String(contentsOfFile: d.path + "/a/report.md", encoding: .utf8)
        #expect(md.hasPrefix("# Account health report, 2024-03-31"))
        // Flip every outcome after the date: the report must not change.
        for f in ["timeline.csv", "accounts.csv", "config.yaml"] { try FileManager.default.copyItem(atPath: World.shared.dir.path + "/" + f, toPath: d.path + "/" + f) }
        var lines = try String(contentsOfFile: World.shared.dir.path + "/outcomes.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let dc = header.firstIndex(of: "date")!, oc = header.firstIndex(of: "outcome")!
        for i in 1..<lines.count {
            var c = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if c[dc] > "2024-03-31" { c[oc] = c[oc] == "churned" ? "renewed" : "churned" }
            lines[i] = c.joined(separator: ",")
        }
        d.write("outcomes.csv", lines.joined(separator: "\n") + "\n")
        let b = try CLI.run(["report", "--data", d.path, "--as-of", "2024-03-31", "--output", d.path + "/b", "--bootstrap", "0"])
        #expect(b.status == 0, "\(b.err)")
        #expect(try String(contentsOfFile: d.path + "/b/report.md", encoding: .utf8) == md)
    }
}

/// The version the tool reports is the library's and the newest one the CHANGELOG describes.
@Suite struct VersionTests {
    @Test func versionIsTheChangelogsNewest() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0 && r.out == AccountHealthVersion.current + "\n", "\(r.out)")
        let changelog = try String(contentsOfFile: CLI.packageRoot + "/CHANGELOG.md", encoding: .utf8)
        let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## ") }
        #expect(newest == "## \(AccountHealthVersion.current)"[...], "\(newest ?? "no version heading")")
    }
}
