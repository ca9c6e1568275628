import AccountHealth
import ArgumentParser

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain one account's score change between two dates as a waterfall.",
        discussion: """
            Steps: each factor's change in points, factors that appeared or disappeared, the redistribution
            of weight when the total weight changes, the risk penalty and the clamp; they sum to the change.
            Example:
              healthscore explain --data datasets/simulated --account A000042 --from 2024-03-01 --to 2024-06-30
            """
    )

    @OptionGroup var inputs: InputOptions
    @OptionGroup var out: OutputOptions
    @Option(help: "The account id.") var account: String
    @Option(help: ArgumentHelp("Earlier date (default: --to minus the configuration's period).", valueName: "date"))
    var from: DateArgument?
    @Option(help: ArgumentHelp("Later date (default: the last timeline date).", valueName: "date"))
    var to: DateArgument?

    func run() throws {
        try reportingErrors(progress: !inputs.quiet) {
            let dataset = try inputs.dataset(.accounts, required: .configuration, command: "explain")
            let config = try dataset.requireConfiguration("explain")
            let accounts = dataset.accounts
            var end = to?.day
            if end == nil { end = try dataset.timeline.dateRange()?.last }
            guard let end else {
                throw InputError(.noRows, Location(file: dataset.timeline.name), "the timeline has no valid dates")
            }
            let segment = accounts.flatMap { t in t.row(of: account).map { t.segment[$0] } }
            // Under a history, the default period is that of the version in force at --to.
            let rules = (dataset.history?.version(at: end).configuration ?? config).rules(forSegment: segment)
            let start = from?.day ?? end - Int32(rules.period)
            guard start < end else {
                throw InputError(.invalidArgument, Location(file: "--from"), "--from must be before --to")
            }
            let w = try Explainer.explain(dataset, accountId: account, from: start, to: end)
            try out.emit(Render.waterfall(w, format: out.resolvedFormat))
        }
    }
}
