import AccountHealth
import ArgumentParser
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (inline SVG charts) and its Markdown twin.",
        discussion: """
            Answers at a glance: which factors matter, whether the weights are any good, who needs help and which
            accounts to call, with charts of the score distribution, bands over time, ROC, calibration, current vs
            suggested weights, the lead/lag heat map and the AM funnel plot, and the top-risk table.
            A section whose model cannot be fitted on these data (separation, no renewals yet, too few churns) is
            left out with a one-line reason where it would have been; the report still renders.
            Examples:
              healthscore report --data datasets/simulated --output report
              healthscore report --data datasets/simulated --as-of 2024-06-30 --output report-june
            """
    )
    @OptionGroup var inputs: InputOptions
    @Option(name: [.short, .long], help: ArgumentHelp("Directory for report.html and report.md.", valueName: "dir"))
    var output: String
    @Option(help: ArgumentHelp("Bootstrap resamples for the weight intervals.", valueName: "n")) var bootstrap: Int = 50
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "Report as the data stood on this date: later timeline rows and outcomes are left out (default: all data).",
            valueName: "date"))
    var asOf: DateArgument?

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            // Read every input once; the timeline is held in memory and shared by every section.
            let dataset = try inputs.dataset([], required: .all, timeline: .memory, command: "report")
            let r: HealthReport
            do {
                r = try ReportBuilder.build(dataset, options: ReportOptions(asOf: asOf?.day, bootstrap: bootstrap))
            } catch let e as ModelError {
                throw InputError(
                    .modelFailure, Location(file: dataset.outcomes?.file ?? "outcomes"),
                    "cannot build the report: \(e.description)")
            }
            for d in r.diagnostics { note(d.message) }
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                try r.html.write(toFile: output + "/report.html", atomically: true, encoding: .utf8)
                try r.markdown.write(toFile: output + "/report.md", atomically: true, encoding: .utf8)
            } catch {
                throw InputError(
                    .unreadableFile, Location(file: output), "cannot write the report: \(error.localizedDescription)")
            }
            note("wrote \(output)/report.html (\(r.charts) charts) and \(output)/report.md")
        }
    }
}
