import AccountHealth
import Foundation
import Testing
import TestSupport

/// DESIGN §13 and §14 through the binary: the missing-value treatments, the score-form suggestion, the landmark
/// evaluation, its bad input (exit 65, nothing half-written), and an outcomes file with a header and no rows.
@Suite(.serialized) struct MissingAndLandmarkCommandTests {
    static let bundled = CLI.packageRoot + "/datasets/simulated"

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func fitCountsEveryObservedDecision() throws {
        let r = try CLI.run(["fit", "--data", Self.bundled, "--format", "json", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let o = try json(r.out)
        expectKeys(o, ["observations", "dropped", "not_observed", "missing_treatment", "suggested_penalties", "suggested_fit"])
        let outcomes = try String(contentsOfFile: Self.bundled + "/outcomes.csv", encoding: .utf8)
            .split(separator: "\n").count - 1
        #expect(o["missing_treatment"] as? String == "indicator")
        #expect(o["dropped"] as? Int == 0)
        #expect((o["observations"] as! Int) + (o["not_observed"] as! Int) == outcomes)
        #expect(o["indicators"] as? [String] == ["qbr", "satisfaction", "usage"])
        let names = (o["coefficients"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names.suffix(3) == ["qbr_missing", "satisfaction_missing", "usage_missing"])
        let fit = o["suggested_fit"] as! [String: Any]
        #expect(fit["observations"] as? Int == o["observations"] as? Int)
        #expect((fit["projected_gradient"] as! Double) < 1e-7 && (fit["newton_decrement"] as! Double) <= 1e-12)
        let penalties = o["suggested_penalties"] as! [[String: Any]]
        #expect(penalties.map { $0["level"] as! String } == ["low", "medium", "high"])
        let weights = (o["suggested_weights"] as! [[String: Any]]).map { $0["suggested"] as! Double }
        #expect(abs(weights.reduce(0, +) - 100) < 1e-9)
        // The alias and the other treatments.
        let mean = try json(try CLI.run(["fit", "--data", Self.bundled, "--impute", "mean", "--format", "json", "--quiet"]).out)
        #expect(mean["missing_treatment"] as? String == "mean" && (mean["indicators"] as? [String])?.isEmpty == true)
        let drop = try json(try CLI.run(["fit", "--data", Self.bundled, "--missing", "drop", "--format", "json", "--quiet"]).out)
        #expect(drop["dropped"] as? Int == 486 && drop["observations"] as? Int == 3187)
        // The suggestion does not depend on the logistic model's treatment: it is the score's rule on every row.
        let dw = (drop["suggested_weights"] as! [[String: Any]]).map { $0["suggested"] as! Double }
        #expect(dw == weights)
        let bad = try CLI.run(["fit", "--data", Self.bundled, "--missing", "zero"])
        #expect(bad.status == 64 && bad.err.contains("indicator, mean or drop"))
    }

    @Test func writtenConfigCarriesTheSuggestedPenalties() throws {
        let d = Dir()
        let r = try CLI.run(["fit", "--data", Self.bundled, "--write-config", d.path + "/s.yaml", "--format", "json", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let o = try json(r.out)
        let yaml = try String(contentsOfFile: d.path + "/s.yaml", encoding: .utf8)
        let config = try Configuration.parse(yaml: yaml, file: "s.yaml")
        for p in o["suggested_penalties"] as! [[String: Any]] {
            let level = RiskLevel(name: p["level"] as! String)!
            #expect(abs(config.base.riskPenalty[Int(level.rawValue)] - (p["suggested"] as! Double)) < 1e-9)
        }
        let score = try CLI.run(["score", "--data", Self.bundled, "--config", d.path + "/s.yaml", "--format", "csv"])
        #expect(score.status == 0, "\(score.err)")
    }

    @Test func landmarkEvaluationAndItsPredictions() throws {
        let d = Dir()
        let r = try CLI.run([
            "survival", "--data", Self.bundled, "--landmark", "2024-06-30", "--times", "30,60,90,150", "--models", "cox",
            "--format", "json", "--predictions", d.path + "/p.csv", "--quiet",
        ])
        #expect(r.status == 0, "\(r.err)")
        let e = try json(r.out)["evaluation"] as! [String: Any]
        expectKeys(e, ["landmark", "accounts", "left_out", "times", "integrated_brier", "integrated_brier_km", "mean_auc", "concordance_ipcw"])
        #expect(e["landmark"] as? String == "2024-06-30")
        let times = e["times"] as! [[String: Any]]
        #expect(times.map { $0["time"] as! Int } == [30, 60, 90, 150])
        for t in times { expectKeys(t, ["time", "at_risk", "events", "past_baseline", "brier", "brier_km", "auc"]) }
        // The predictions file: every evaluated account at every time, sorted, and the counts of the JSON
        // worked out from it.
        let rows = parseCSV(try String(contentsOfFile: d.path + "/p.csv", encoding: .utf8))
        #expect(rows[0] == ["account_id", "time", "survival", "event_time", "event"])
        let body = Array(rows.dropFirst())
        let accounts = e["accounts"] as! Int
        #expect(body.count == accounts * 4)
        #expect(body.map { "\($0[0]) \(Int($0[1])! + 10000)" } == body.map { "\($0[0]) \(Int($0[1])! + 10000)" }.sorted())
        for t in times {
            let at = body.filter { Int($0[1]) == t["time"] as? Int }
            #expect(at.filter { Int($0[3])! > t["time"] as! Int }.count == t["at_risk"] as? Int)
            #expect(at.filter { $0[4] == "1" && Int($0[3])! <= t["time"] as! Int }.count == t["events"] as? Int)
            #expect(at.allSatisfy { Double($0[2])! > 0 && Double($0[2])! <= 1 })
        }
        // The Kaplan–Meier Brier score at the first time, from the file: KM of (event_time, event), censoring
        // distribution G by the reverse KM (churns leave first at a tie), IPCW as DESIGN §14 says.
        let first = body.filter { $0[1] == "30" }
        let obs = first.map { (Double($0[3])!, $0[4] == "1") }
        func km(_ t: Double, reverse: Bool) -> Double {
            var s = 1.0
            for u in Set(obs.map(\.0)).sorted() where u <= t {
                let atRisk = obs.filter { $0.0 >= u }.count, d = obs.filter { $0.0 == u && $0.1 }.count
                let c = obs.filter { $0.0 == u && !$0.1 }.count
                s *= reverse ? (c == 0 ? 1 : 1 - Double(c) / Double(atRisk - d)) : 1 - Double(d) / Double(atRisk)
            }
            return s
        }
        let sKM = km(30, reverse: false), g30 = km(30, reverse: true)
        var sum = 0.0
        for (y, ev) in obs {
            if y <= 30 && ev { sum += sKM * sKM / km(y, reverse: true) } else if y > 30 { sum += (1 - sKM) * (1 - sKM) / g30 }
        }
        #expect(abs(sum / Double(obs.count) - (times[0]["brier_km"] as! Double)) < 1e-12)
    }

    @Test func badLandmarkRequestsExit65AndWriteNothing() throws {
        let d = Dir()
        for (args, words) in [
            (["--landmark", "1999-01-01"], "outside the timeline"),
            (["--landmark", "2024-06-30", "--times", "30,9999"], "outside the follow-up"),
            (["--landmark", "2024-06-30", "--times", "90,30"], "increasing order"),
            (["--landmark", "2024-06-30", "--times", "0,30"], "positive"),
        ] {
            let path = d.path + "/p.csv"
            let r = try CLI.run(["survival", "--data", Self.bundled, "--models", "cox", "--predictions", path] + args)
            #expect(r.status == 65, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains(words), "\(args): \(r.err)")
            #expect(r.out.isEmpty && !FileManager.default.fileExists(atPath: path), "\(args) wrote something")
        }
        let both = try CLI.run(["survival", "--data", Self.bundled, "--landmark", "2024-06-30", "--as-of", "2024-06-30"])
        #expect(both.status == 64)
    }

    @Test func anOutcomesFileWithNoRowsIsZeroOutcomes() throws {
        let d = Dir()
        for f in ["timeline.csv", "accounts.csv", "config.yaml"] {
            try FileManager.default.copyItem(atPath: Self.bundled + "/" + f, toPath: d.path + "/" + f)
        }
        try "account_id,date,outcome,arr\n".write(toFile: d.path + "/outcomes.csv", atomically: true, encoding: .utf8)
        for args in [["score"], ["alerts"], ["explain", "--account", "A000042", "--from", "2024-06-03"], ["validate"]] {
            let r = try CLI.run(args + ["--data", d.path, "--format", "csv"])
            #expect(r.status == 0, "\(args): \(r.err)")
        }
        for command in ["fit", "backtest"] {
            let r = try CLI.run([command, "--data", d.path])
            #expect(r.status == 65, "\(command): \(r.status)")
            let lines = r.err.split(separator: "\n").filter { $0.contains("error") }
            #expect(lines.count == 1 && lines[0].contains("no renewal decided yet"), "\(command): \(r.err)")
        }
        let report = try CLI.run(["report", "--data", d.path, "--output", d.path + "/out", "--bootstrap", "0"])
        #expect(report.status == 0, "\(report.err)")
        let md = try String(contentsOfFile: d.path + "/out/report.md", encoding: .utf8)
        #expect(md.contains("no renewal decided yet"))
    }
}
