import Foundation
import Testing
import TestSupport

/// Whole-output snapshots of every command on the bundled datasets: standard output, the exit status, standard
/// error (the notes and counts of what was left out) and every file the command writes, compared with `Tests/Snapshots/<name>.txt` through `NumericText` (text and
/// integers exact, other numbers to 1e-9 relative, since another processor's OpenBLAS sums in another order).
/// `HEALTHSCORE_RECORD=1 swift test --filter SnapshotTests` records them anew; review the diff before committing.
@Suite(.serialized) struct SnapshotTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// The snapshot's file name, without `.txt`.
        var name: String
        /// The arguments; `$TMP` is a temporary directory, written back as `$TMP` in the snapshot.
        var args: [String]
        /// Files the command writes, relative to `$TMP`, whose contents are part of the snapshot.
        var files: [String] = []
        var testDescription: String { name }
    }

    static let sim = "datasets/simulated"
    static let formats = ["table", "csv", "json"]

    /// Every command, each in every format it has, on the bundled data.
    static let cases: [Case] = {
        var c: [Case] = []
        func each(_ name: String, _ args: [String]) {
            for f in formats { c.append(Case(name: "\(name).\(f)", args: args + ["--format", f])) }
        }
        each("validate", ["validate", "--data", sim])
        each("validate-fightchurn", ["validate", "--data", "datasets/fightchurn-crm6"])
        each("score", ["score", "--data", sim])
        c.append(Case(name: "score-every.csv", args: ["score", "--data", sim, "--every", "182", "--format", "csv"]))
        each("alerts", ["alerts", "--data", sim, "--drop", "15"])
        each("explain", ["explain", "--data", sim, "--account", "A000042", "--from", "2024-06-03"])
        each("fit", ["fit", "--data", sim])
        c.append(Case(name: "fit-bootstrap.table", args: ["fit", "--data", sim, "--bootstrap", "20",
                                                          "--write-config", "$TMP/suggested.yaml",
                                                          "--save-model", "$TMP/model.json", "--format", "table"],
                      files: ["suggested.yaml", "model.json"]))
        each("fit-activity", ["fit", "--data", "datasets/activity"])
        each("indicators", ["indicators", "--data", sim])
        each("backtest", ["backtest", "--data", sim])
        each("backtest-against", ["backtest", "--data", sim, "--against", "Tests/Snapshots/inputs/suggested.yaml"])
        each("compare-am", ["compare", "--data", sim, "--by", "am"])
        each("compare-segment", ["compare", "--data", sim, "--by", "segment"])
        each("rank", ["rank", "--data", sim, "--as-of", "2024-06-30", "--top", "25"])
        each("survival", ["survival", "--data", sim])
        c.append(Case(name: "survival-predictions.table",
                      args: ["survival", "--data", sim, "--predictions", "$TMP/predictions.csv", "--curve", "30,90,180",
                             "--save-model", "$TMP/cox.json", "--format", "table"],
                      files: ["predictions.csv", "cox.json"]))
        each("rank-cox", ["rank", "--data", sim, "--model", "Tests/Snapshots/inputs/cox.json", "--top", "25"])
        each("rank-logistic", ["rank", "--data", sim, "--model", "Tests/Snapshots/inputs/model.json", "--top", "25"])
        c.append(Case(name: "report", args: ["report", "--data", sim, "--bootstrap", "20", "--output", "$TMP/report"],
                      files: ["report/report.md", "report/report.html"]))
        c.append(Case(name: "derive", args: ["derive", "--data", "datasets/activity", "--output", "$TMP/timeline.csv"],
                      files: ["timeline.csv"]))
        c.append(Case(name: "simulate", args: ["simulate", "--accounts", "40", "--weeks", "20", "--seed", "3",
                                               "--output", "$TMP/world"],
                      files: ["world/timeline.csv", "world/accounts.csv", "world/outcomes.csv", "world/config.yaml",
                              "world/truth.yaml"]))
        return c
    }()

    static let directory = CLI.packageRoot + "/Tests/Snapshots"

    @Test(arguments: SnapshotTests.cases)
    func outputIsTheRecordedOne(_ c: Case) throws {
        let tmp = Dir()
        let args = c.args.map { $0.replacingOccurrences(of: "$TMP", with: tmp.path) }
        let r = try CLI.run(args, cwd: CLI.packageRoot)
        var text = "$ healthscore \(c.args.joined(separator: " "))\nexit \(r.status)\n"
        text += r.out.replacingOccurrences(of: tmp.path, with: "$TMP")
        if !r.err.isEmpty { text += "\n=== standard error\n" + r.err.replacingOccurrences(of: tmp.path, with: "$TMP") }
        for f in c.files {
            let contents = (try? String(contentsOfFile: tmp.path + "/" + f, encoding: .utf8)) ?? "(missing)\n"
            text += "\n=== file \(f)\n" + contents.replacingOccurrences(of: tmp.path, with: "$TMP")
        }
        let path = "\(Self.directory)/\(c.name).txt"
        if ProcessInfo.processInfo.environment["HEALTHSCORE_RECORD"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let recorded = try String(contentsOfFile: path, encoding: .utf8)
        if let diff = NumericText.difference(text, recorded) {
            Issue.record("\(c.name): \(diff) (HEALTHSCORE_RECORD=1 swift test --filter SnapshotTests records it anew)")
        }
    }
}
