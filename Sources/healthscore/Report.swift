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
            Example:
              healthscore report --data datasets/simulated --output report
            """
    )
    @OptionGroup var inputs: InputOptions
    @Option(name: [.short, .long], help: ArgumentHelp("Directory for report.html and report.md.", valueName: "dir")) var output: String
    @Option(help: ArgumentHelp("Bootstrap resamples for the weight intervals.", valueName: "n")) var bootstrap: Int = 50

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let sources = try inputs.sources()
            guard let config = try sources.loadConfiguration() else {
                throw InputError(.invalidArgument, Location(file: "config"), "report needs a configuration (--config or --data DIR with config.yaml)")
            }
            let accounts = try AccountsTable.read(path: try sources.accountsPath(), delimiter: sources.delimiter)
            let outcomes = try OutcomesTable.read(path: try sources.outcomesPath(), delimiter: sources.delimiter)
            let r: HealthReport
            do {
                r = try ReportBuilder.build(sources: sources, configuration: config, accounts: accounts, outcomes: outcomes, bootstrap: bootstrap)
            } catch let e as ModelError {
                throw InputError(.modelFailure, Location(file: sources.outcomes ?? "outcomes"), "cannot build the report: \(e.description)")
            }
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                try r.html.write(toFile: output + "/report.html", atomically: true, encoding: .utf8)
                try r.markdown.write(toFile: output + "/report.md", atomically: true, encoding: .utf8)
            } catch {
                throw InputError(.unreadableFile, Location(file: output), "cannot write the report: \(error.localizedDescription)")
            }
            note("wrote \(output)/report.html (\(r.charts) charts) and \(output)/report.md")
        }
    }
}
