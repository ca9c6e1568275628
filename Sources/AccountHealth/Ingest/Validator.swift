/// A finding of `validate`: an error (the file cannot be used) or a warning (soft problem, counted).
public struct Problem: Sendable {
    /// Whether a finding stops the file from being used.
    public enum Severity: String, Sendable { case error, warning }
    /// An input error (its kind), or one of the soft problems that `validate` reports.
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        case error(InputError.Kind)
        case factorWithoutValues, outcomeForUnknownAccount, outcomeWithoutTimeline, accountWithoutTimeline,
            timelineAccountNotInAccounts
        /// A soft problem of deriving the timeline from an activity log (duplicate events, a type that never occurs,
        /// …).
        case derived(Diagnostic.Kind)

        /// The snake_case name in the JSON and CSV output.
        public var rawValue: String {
            switch self {
            case .error(let k): return k.rawValue
            case .factorWithoutValues: return "factor_without_values"
            case .outcomeForUnknownAccount: return "outcome_for_unknown_account"
            case .outcomeWithoutTimeline: return "outcome_without_timeline"
            case .accountWithoutTimeline: return "account_without_timeline"
            case .timelineAccountNotInAccounts: return "timeline_account_not_in_accounts"
            case .derived(let k): return k.rawValue
            }
        }
        /// The snake_case name.
        public var description: String { rawValue }
    }
    /// Error or warning.
    public var severity: Severity
    /// What kind of finding it is.
    public var kind: Kind
    /// Where it was found.
    public var location: Location
    /// The offending value, if any.
    public var value: String?
    /// What was found, in words.
    public var message: String
    /// How many times this soft problem occurs (1 for errors).
    public var count: Int

    init(_ e: InputError) {
        severity = .error
        kind = .error(e.kind)
        location = e.location
        value = e.value
        message = e.message
        count = 1
    }

    init(warning kind: Kind, file: String, count: Int, example: String?, _ message: String) {
        severity = .warning
        self.kind = kind
        location = Location(file: file)
        value = example
        self.message = message
        self.count = count
    }
}

/// What `validate` found in each file (DESIGN §6).
public struct ValidationReport: Sendable {
    /// How much of a factor the timeline has.
    public struct FactorCoverage: Sendable {
        /// The factor, the share of rows with a value, and the number of values.
        public var name: String; public var coverage: Double; public var values: Int
    }
    /// What `validate` found in the timeline.
    public struct TimelinePart: Sendable {
        /// The file.
        public var file: String
        /// Long or wide.
        public var layout: TimelineLayout
        /// Data records read.
        public var rowsRead: Int
        /// Records that passed validation.
        public var rowsUsed: Int
        /// Records rejected.
        public var rowsRejected: Int
        /// Distinct (account, date) rows.
        public var rows: Int
        /// Blank lines skipped.
        public var blankLines: Int
        /// Distinct accounts.
        public var accounts: Int
        /// The first date, as `YYYY-MM-DD`.
        public var firstDate: String?
        /// The last date, as `YYYY-MM-DD`.
        public var lastDate: String?
        /// Whether the file has a risk column.
        public var hasRisk: Bool
        /// Each factor's coverage.
        public var factors: [FactorCoverage]
    }
    /// What `validate` found in a table file.
    public struct TablePart: Sendable {
        /// The file.
        public var file: String
        /// Data records read.
        public var rowsRead: Int
        /// Records that passed validation.
        public var rowsUsed: Int
        /// Records rejected.
        public var rowsRejected: Int
    }
    /// What `validate` found in the outcomes.
    public struct OutcomesPart: Sendable {
        /// The rows read, used and rejected.
        public var table: TablePart
        /// Decisions that were renewals.
        public var renewed: Int
        /// Decisions that were churns.
        public var churned: Int
    }
    /// The timeline's part, when there is a timeline.
    public var timeline: TimelinePart?
    /// The accounts' part, when given.
    public var accounts: TablePart?
    /// The outcomes' part, when given.
    public var outcomes: OutcomesPart?
    /// The configuration file, when given.
    public var configurationFile: String?
    /// Every error and warning, in file order.
    public var problems: [Problem]
    /// Errors found, including any not kept in `problems`.
    public var errorCount: Int

    /// Whether any finding is an error.
    public var hasErrors: Bool { errorCount > 0 }
    /// 66 when a file is missing or unreadable, 65 for bad data, 0 otherwise.
    public var exitCode: Int32 {
        if problems.contains(where: { $0.kind == .error(.missingFile) || $0.kind == .error(.unreadableFile) }) {
            return 66
        }
        return hasErrors ? 65 : 0
    }
}

/// Where `validate` reads each part: the files of a `DataFiles`, or another source (a database), given as
/// readers. A reader returns the part and the defects it collected; a thrown error is a defect of that part.
public struct ValidationInputs {
    /// The timeline's rows and every row defect.
    public var timeline: (() throws -> (TimelineSummary, [InputError], Int))?
    /// An activity log's name and its derived timeline (used when there is no `timeline`).
    public var derived: (name: String, read: () throws -> DerivedTimeline)?
    /// The accounts' rows, every row defect and the rows rejected.
    public var accounts: (() throws -> (AccountsTable, [InputError], Int))?
    /// The outcomes' rows, every row defect and the rows rejected.
    public var outcomes: (() throws -> (OutcomesTable, [InputError], Int))?
    /// The configuration's text, if any.
    public var config: String?
    /// The configuration history folder (DESIGN §15), if any: it is checked instead of `config`.
    public var configs: String?
    /// Turns another source's error (a database's) into a located input error.
    public var locate: (any Error) -> InputError?

    /// The inputs of a validation, each read when `validate` asks for it.
    public init(
        timeline: (() throws -> (TimelineSummary, [InputError], Int))? = nil,
        derived: (name: String, read: () throws -> DerivedTimeline)? = nil,
        accounts: (() throws -> (AccountsTable, [InputError], Int))? = nil,
        outcomes: (() throws -> (OutcomesTable, [InputError], Int))? = nil,
        config: String? = nil, locate: @escaping (any Error) -> InputError? = { _ in nil }
    ) {
        self.timeline = timeline
        self.derived = derived
        self.accounts = accounts
        self.outcomes = outcomes
        self.config = config
        self.locate = locate
    }

    /// A source whose parts throw their first defect (a database): each read in full, its error reported.
    public init(
        timeline source: (any TimelineSource)?, accounts: (() throws -> AccountsTable)?,
        outcomes: (() throws -> OutcomesTable)?,
        config: String?, locate: @escaping (any Error) -> InputError?
    ) {
        self.init(config: config, locate: locate)
        if let source {
            self.timeline = {
                var sink = NullSink(); return (try source.read(into: &sink), [], 0)
            }
        }
        if let accounts { self.accounts = { (try accounts(), [], 0) } }
        if let outcomes { self.outcomes = { (try outcomes(), [], 0) } }
    }
}

/// Checks every given input file against DESIGN §2 and reports everything found.
public enum Validator {
    /// Validates the files of a dataset.
    public static func validate(_ sources: DataFiles) -> ValidationReport {
        var inputs = ValidationInputs(config: sources.config)
        inputs.configs = sources.configs
        if let path = sources.timeline {
            inputs.timeline = {
                var sink = NullSink()
                let (s, e) = try TimelineReader(path: path, delimiter: sources.delimiter).readCollecting(into: &sink)
                return (s, e.errors, e.count)
            }
        } else if let events = sources.events {
            inputs.derived = (events, { try sources.derive() })
        }
        if let path = sources.accounts {
            inputs.accounts = {
                let (t, e) = try AccountsTable.readCollecting(path: path, delimiter: sources.delimiter);
                return (t, e.errors, e.count)
            }
        }
        if let path = sources.outcomes {
            inputs.outcomes = {
                let (t, e) = try OutcomesTable.readCollecting(path: path, delimiter: sources.delimiter);
                return (t, e.errors, e.count)
            }
        }
        if sources.timeline == nil && sources.events == nil && sources.accounts == nil && sources.outcomes == nil
            && sources.config == nil && sources.configs == nil
        {
            var report = ValidationReport(problems: [], errorCount: 0)
            report.problems.append(
                Problem(InputError(.invalidArgument, Location(file: "validate"), "no input file given")))
            report.errorCount = 1
            return report
        }
        return validate(inputs)
    }

    /// Validates inputs from any source (files or a database).
    public static func validate(_ sources: ValidationInputs) -> ValidationReport {
        var report = ValidationReport(problems: [], errorCount: 0)
        func add(_ errors: [InputError], _ count: Int) {
            report.problems += errors.map(Problem.init)
            report.errorCount += max(count, errors.count)
        }
        func add(_ error: Error) {
            if let e = error as? InputError {
                report.problems.append(Problem(e)); report.errorCount += 1
            } else if let es = error as? InputErrors {
                report.problems += es.errors.map(Problem.init); report.errorCount += es.errors.count
            } else if let e = sources.locate(error) {
                report.problems.append(Problem(e)); report.errorCount += 1
            } else if let d = error as? DatasetError {
                report.problems.append(
                    Problem(
                        InputError(
                            .invalidConfiguration, Location(file: sources.derived?.name ?? "config"), d.description)))
                report.errorCount += 1
            } else {
                report.problems.append(Problem(InputError(.unreadableFile, Location(file: "?"), "\(error)")))
                report.errorCount += 1
            }
        }

        var timelineIds: Set<String>? = nil
        var timelineFactors: [String]? = nil
        if let read = sources.timeline {
            do {
                let (s, errors, count) = try read()
                add(errors, count)
                let cov = s.coverage
                report.timeline = .init(
                    file: s.file, layout: s.layout, rowsRead: s.recordsRead, rowsUsed: s.recordsUsed,
                    rowsRejected: s.recordsRead - s.recordsUsed, rows: s.rows, blankLines: s.blankLines,
                    accounts: s.accounts.count, firstDate: s.firstDay.map(Day.format),
                    lastDate: s.lastDay.map(Day.format),
                    hasRisk: s.hasRisk,
                    factors: s.factors.enumerated().map {
                        .init(name: $1, coverage: cov[$0], values: s.valueCounts[$0])
                    })
                timelineIds = Set(s.accounts.strings)
                timelineFactors = s.factors
                for (i, n) in s.factors.enumerated() where s.valueCounts[i] == 0 {
                    report.problems.append(
                        Problem(
                            warning: .factorWithoutValues, file: s.file, count: 1, example: n,
                            "factor '\(n)' has no value in any row"))
                }
            } catch { add(error) }
        }
        if sources.timeline == nil, let (events, derive) = sources.derived {
            // An activity log: the timeline it derives is what the other files are checked against.
            do {
                let d = try derive()
                let s = d.timeline.summary
                let cov = s.coverage
                report.timeline = .init(
                    file: events, layout: s.layout, rowsRead: s.recordsRead, rowsUsed: s.recordsUsed, rowsRejected: 0,
                    rows: s.rows, blankLines: 0, accounts: s.accounts.count - d.accountsWithoutRows,
                    firstDate: s.firstDay.map(Day.format), lastDate: s.lastDay.map(Day.format), hasRisk: false,
                    factors: s.factors.enumerated().map {
                        .init(name: $1, coverage: cov[$0], values: s.valueCounts[$0])
                    })
                timelineIds = Set(
                    (0..<s.accounts.count).filter { !d.timeline.rows(ofAccount: Int32($0)).isEmpty }.map {
                        s.accounts.string(Int32($0))
                    })
                timelineFactors = s.factors
                for diag in d.diagnostics {
                    report.problems.append(
                        Problem(
                            warning: .derived(diag.kind), file: events, count: 1, example: diag.column, diag.message))
                }
            } catch { add(error) }
        }
        var accountIds: Set<String>? = nil
        if let read = sources.accounts {
            do {
                let (t, errors, count) = try read()
                add(errors, count)
                report.accounts = .init(
                    file: t.file, rowsRead: t.recordsRead, rowsUsed: t.count, rowsRejected: t.recordsRead - t.count)
                accountIds = Set(t.ids)
            } catch { add(error) }
        }
        if let read = sources.outcomes {
            do {
                let (t, errors, count) = try read()
                add(errors, count)
                report.outcomes = .init(
                    table: .init(
                        file: t.file, rowsRead: t.recordsRead, rowsUsed: t.count,
                        rowsRejected: t.recordsRead - t.count),
                    renewed: t.renewalCount, churned: t.churnCount)
                let known = accountIds ?? timelineIds
                if let known {
                    let unknown = t.accountIds.filter { !known.contains($0) }
                    if !unknown.isEmpty {
                        report.problems.append(
                            Problem(
                                warning: .outcomeForUnknownAccount, file: t.file, count: unknown.count,
                                example: unknown.first,
                                "\(unknown.count) outcome row(s) name an account that is not in the "
                                    + "\(accountIds != nil ? "accounts file" : "timeline")"
                            ))
                    }
                }
                if let timelineIds {
                    let noTimeline = Set(t.accountIds).subtracting(timelineIds)
                    if !noTimeline.isEmpty && accountIds != nil {
                        report.problems.append(
                            Problem(
                                warning: .outcomeWithoutTimeline, file: t.file, count: noTimeline.count,
                                example: noTimeline.sorted().first,
                                "\(noTimeline.count) account(s) with outcomes have no timeline rows"))
                    }
                }
            } catch { add(error) }
        }
        if let accountIds, let timelineIds {
            let noTimeline = accountIds.subtracting(timelineIds)
            if !noTimeline.isEmpty {
                report.problems.append(
                    Problem(
                        warning: .accountWithoutTimeline, file: report.accounts?.file ?? "accounts",
                        count: noTimeline.count,
                        example: noTimeline.sorted().first, "\(noTimeline.count) account(s) have no timeline rows"))
            }
            let notListed = timelineIds.subtracting(accountIds)
            if !notListed.isEmpty {
                report.problems.append(
                    Problem(
                        warning: .timelineAccountNotInAccounts, file: report.timeline?.file ?? "timeline",
                        count: notListed.count,
                        example: notListed.sorted().first,
                        "\(notListed.count) timeline account(s) are not in the accounts file"))
            }
        }
        if let folder = sources.configs {
            // Every version, each checked as a configuration, and the ids and dates unique.
            report.configurationFile = folder
            do {
                let history = try ConfigurationHistory.load(directory: folder)
                if let timelineFactors { try history.check(againstTimelineFactors: timelineFactors) }
            } catch { add(error) }
        } else if let path = sources.config {
            report.configurationFile = path
            do {
                let cfg = try Configuration.load(path: path)
                if let timelineFactors { try cfg.check(againstTimelineFactors: timelineFactors, file: path) }
            } catch { add(error) }
        }
        return report
    }
}
