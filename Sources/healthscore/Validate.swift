import AccountHealth
import AccountHealthPostgres
import ArgumentParser

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the input files against the data contract and report what was found.",
        discussion: """
            Lists every error (file, line, column, value) and soft problem. Exits 65 when a file has errors,
            66 when a file is missing.
            Example:
              healthscore validate --data datasets/simulated --format json
            """
    )

    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions

    func run() throws {
        var code: Int32 = 0
        try reportingErrors(progress: !inputs.quiet) {
            let report: ValidationReport
            if let source = try inputs.database() {
                // The tables that exist, each read in full with the rules of its file.
                let files = try inputs.files()
                let (timeline, _) = try inputs.databaseTimeline(source, files: files, loading: .stream)
                report = Validator.validate(
                    ValidationInputs(
                        timeline: timeline,
                        accounts: try inputs.wanted(.accounts, required: [], source: source)
                            ? { try source.accounts() } : nil,
                        outcomes: try inputs.wanted(.outcomes, required: [], source: source)
                            ? { try source.outcomes() } : nil,
                        config: files.config, locate: { ($0 as? DatabaseError)?.inputError }))
            } else {
                report = Validator.validate(try inputs.files())
            }
            try out.emit(Render.validation(report, format: out.resolvedFormat))
            code = report.exitCode
            // Standard output stays the data; the verdict, with where to start, goes to standard error.
            if report.hasErrors, let first = report.problems.first(where: { $0.severity == .error }) {
                let value = first.value.map { " (value: \"\($0)\")" } ?? ""
                note(
                    "\(report.errorCount) error\(report.errorCount == 1 ? "" : "s"); the first: \(first.location): "
                        + "\(first.message)\(value)"
                )
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
