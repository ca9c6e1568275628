/// A location in an input file: 1-based line and column (column = field position in the record).
public struct Location: Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The line, counting the header as line 1, when known.
    public var line: Int?
    /// The column, from 1, when known.
    public var column: Int?
    /// The column's header name, when known.
    public var columnName: String?

    /// A location in a file.
    public init(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
    }

    /// `file:line:column (name)`, with what is known.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s
    }
}

/// One defect found in an input file (a data file or the configuration), with where and what.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a bad input.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case missingFile = "missing_file"
        case unreadableFile = "unreadable_file"
        case emptyFile = "empty_file"
        case noRows = "no_rows"
        case missingColumn = "missing_column"
        case duplicateColumn = "duplicate_column"
        case raggedRow = "ragged_row"
        case unterminatedQuote = "unterminated_quote"
        case malformedQuote = "malformed_quote"
        case invalidUTF8 = "invalid_utf8"
        case invalidNumber = "invalid_number"
        case invalidDate = "invalid_date"
        case invalidRisk = "invalid_risk"
        case invalidOutcome = "invalid_outcome"
        case emptyValue = "empty_value"
        case duplicateRow = "duplicate_row"
        case unknownFactor = "unknown_factor"
        case invalidConfiguration = "invalid_configuration"
        /// Two versions of a configuration history with one id or one date (DESIGN §15).
        case duplicateVersion = "duplicate_version"
        case invalidArgument = "invalid_argument"
        case tooLarge = "too_large"
        /// The data cannot support the model (separation, collinearity, a constant factor, non-convergence).
        case modelFailure = "model_failure"
        /// A landmark evaluation the data cannot answer (DESIGN §14): a landmark outside the timeline, a time
        /// outside the follow-up, times not increasing or not positive.
        case invalidEvaluation = "invalid_evaluation"
    }

    /// What is wrong.
    public var kind: Kind
    /// Where it is.
    public var location: Location
    /// The offending value as it appears in the file (decoded lossily when it is not UTF-8).
    public var value: String?
    /// What is wrong, in words.
    public var message: String

    /// An input error of a kind at a location, with the offending value.
    public init(_ kind: Kind, _ location: Location, value: String? = nil, _ message: String) {
        self.kind = kind
        self.location = location
        self.value = value
        self.message = message
    }

    /// The exit status of its `FailureClass`: 66 for a missing or unreadable file, 64 for an argument out of
    /// range, 65 (EX_DATAERR) for bad data.
    public var exitCode: Int32 { failureClass.exitStatus }

    /// `location: message (value: "…")`.
    public var description: String {
        var s = "\(location): error: \(message)"
        if let name = location.columnName { s += " [column '\(name)']" }
        if let value { s += " (value: \"\(value)\")" }
        return s
    }
}

/// Every defect found while reading one or more files; thrown when any hard error was found.
public struct InputErrors: Error, Sendable, CustomStringConvertible {
    /// The errors, in file order.
    public var errors: [InputError]
    /// True when more errors existed than were kept.
    public var truncated: Bool

    /// The errors of one input, possibly cut short.
    public init(_ errors: [InputError], truncated: Bool = false) {
        self.errors = errors
        self.truncated = truncated
    }

    /// The exit status of its `FailureClass`: 66 when a file is missing, 65 otherwise.
    public var exitCode: Int32 { failureClass.exitStatus }

    /// Every error on its own line, with a count when cut short.
    public var description: String {
        var lines = errors.map(\.description)
        if truncated { lines.append("… more errors not shown") }
        return lines.joined(separator: "\n")
    }
}

/// Collects errors while a file is read, keeping the first `limit`.
struct ErrorCollector {
    var errors: [InputError] = []
    var count = 0
    let limit: Int

    init(limit: Int = 200) { self.limit = limit }

    mutating func add(_ e: InputError) {
        count += 1
        if errors.count < limit { errors.append(e) }
    }

    var isEmpty: Bool { count == 0 }

    /// Adds errors found apart (both lists in line order) where they fall by line, as if each had been added
    /// when its line was read; the kept errors stay the first `limit` of them all.
    mutating func merge(_ more: [InputError]) {
        guard !more.isEmpty else { return }
        var merged: [InputError] = []
        merged.reserveCapacity(errors.count + more.count)
        var i = 0, j = 0
        while i < errors.count || j < more.count {
            if j == more.count || (i < errors.count && (errors[i].location.line ?? 0) <= (more[j].location.line ?? 0)) {
                merged.append(errors[i]); i += 1
            } else {
                merged.append(more[j]); j += 1
            }
        }
        count += more.count
        errors = Array(merged.prefix(limit))
    }

    func throwIfAny() throws {
        if count > 0 { throw InputErrors(errors, truncated: count > errors.count) }
    }
}
