import AccountHealth
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
            let report = Validator.validate(try inputs.files())
            try out.emit(Render.validation(report, format: out.resolvedFormat))
            code = report.exitCode
            // Standard output stays the data; the verdict, with where to start, goes to standard error.
            if report.hasErrors, let first = report.problems.first(where: { $0.severity == .error }) {
                let value = first.value.map { " (value: \"\($0)\")" } ?? ""
                note("\(report.errorCount) error\(report.errorCount == 1 ? "" : "s"); the first: \(first.location): \(first.message)\(value)")
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
