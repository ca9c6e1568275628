import AccountHealth
import AccountHealthPostgres
import ArgumentParser
import Foundation

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Print the push-down SQL a command sends to PostgreSQL (DESIGN §10).",
        discussion: """
            The as-of commands need, for each account and date, each factor's latest non-empty value on or before
            it: this is the query that returns only those rows (standard SQL: common table expressions, joins and
            grouping; no window function, no generate_series, no DISTINCT ON), so it also runs on a timeline
            partitioned across servers with postgres_fdw. The factors come from --config (or --data DIR's
            config.yaml). The command itself sends the same statement, with its own dates (in date order) and
            the column types it finds in the table.
            Examples:
              healthscore sql score --data datasets/simulated --as-of 2024-06-30
              healthscore sql fit --config datasets/simulated/config.yaml --horizon 90 --schema crm
              healthscore sql indicators --data datasets/simulated --horizons 30,90,180
            """
    )
    enum Command: String, ExpressibleByArgument, CaseIterable { case score, fit, indicators, rank, compare, backtest }

    @Argument(help: ArgumentHelp("score, fit, indicators, rank, compare or backtest.", valueName: "command"))
    var command: Command
    @OptionGroup var inputs: InputOptions
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "The date (score, rank, compare; default: the timeline's last date, found by the query).", valueName: "date"
        ))
    var asOf: DateArgument?
    @Option(help: ArgumentHelp("Days before each renewal decision (fit, rank, compare).", valueName: "days"))
    var horizon = 90
    @Option(help: ArgumentHelp("Horizons of indicators.", valueName: "days,…")) var horizons = "30,60,90,180,365"
    @Option(help: ArgumentHelp("Backtest: days between cutoffs.", valueName: "days")) var step = 30
    @Option(help: ArgumentHelp("Backtest: first and last cutoff.", valueName: "date")) var from: DateArgument?
    @Option(help: ArgumentHelp("Backtest: last cutoff.", valueName: "date")) var to: DateArgument?

    func run() throws {
        try reportingErrors(progress: false) {
            let files = try inputs.files()
            guard let path = files.config else {
                throw InputError(
                    .invalidArgument, Location(file: "config"),
                    "sql needs the factors: pass --config FILE or --data DIR with config.yaml")
            }
            let config = try Configuration.load(path: path)
            let t = inputs.tables
            var out = "-- healthscore \(command.rawValue): the as-of rows it reads (DESIGN §10)\n"
            switch command {
            case .score:
                // The date and, for the change, the date one period earlier (each rule set's period).
                let periods = Array(Set(([config.base] + config.segments.map(\.rules)).map(\.period))).sorted()
                let dates: PushDown.Dates =
                    asOf.map { d in .everyAccount(at: [d.day] + periods.map { d.day - Int32($0) }) }
                    ?? .everyAccountAtLastDate(minus: [0] + periods)
                out += PushDown.asOfQuery(dates, factors: config.allFactorNames, tables: t)
            case .fit:
                out += PushDown.asOfQuery(
                    .beforeOutcomes(horizons: [horizon], through: nil), factors: config.base.factors.map(\.name),
                    tables: t)
            case .indicators:
                let hs = horizons.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !hs.isEmpty, hs.allSatisfy({ $0 >= 0 }) else {
                    throw ValidationError("--horizons takes days separated by commas")
                }
                out += PushDown.asOfQuery(
                    .beforeOutcomes(horizons: hs, through: nil), factors: config.base.factors.map(\.name), tables: t)
            case .rank, .compare:
                out += "-- 1. the features of every account at the date\n"
                out += PushDown.asOfQuery(
                    asOf.map { .everyAccount(at: [$0.day]) } ?? .everyAccountAtLastDate(minus: [0]),
                    factors: config.allFactorNames, tables: t)
                out += "\n-- 2. the training rows: each outcome's features \(horizon) days before it"
                out += command == .rank ? " (outcomes up to the date only)\n" : "\n"
                out += PushDown.asOfQuery(
                    .beforeOutcomes(horizons: [horizon], through: command == .rank ? asOf?.day : nil),
                    factors: config.base.factors.map(\.name), tables: t)
            case .backtest:
                guard let from, let to, from.day <= to.day, step > 0 else {
                    throw ValidationError("sql backtest needs --from and --to (the cutoffs) and a positive --step")
                }
                let cutoffs = Array(stride(from: from.day, through: to.day, by: step))
                out += PushDown.asOfQuery(
                    .cutoffs(cutoffs, horizon: horizon), factors: config.allFactorNames, tables: t)
            }
            print(out)
        }
    }
}
