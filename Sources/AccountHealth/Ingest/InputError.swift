/// A location in an input file: 1-based line and column (column = field position in the record).
public struct Location: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var columnName: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s
    }
}

/// One defect found in an input file (a data file or the configuration), with where and what.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
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
        case invalidArgument = "invalid_argument"
        case tooLarge = "too_large"
        /// The data cannot support the model (separation, collinearity, a constant factor, non-convergence).
        case modelFailure = "model_failure"
    }

    public var kind: Kind
    public var location: Location
    /// The offending value as it appears in the file (decoded lossily when it is not UTF-8).
    public var value: String?
    public var message: String

    public init(_ kind: Kind, _ location: Location, value: String? = nil, _ message: String) {
        self.kind = kind
        self.location = location
        self.value = value
        self.message = message
    }

    /// The exit status of its `FailureClass`: 66 for a missing or unreadable file, 64 for an argument out of
    /// range, 65 (EX_DATAERR) for bad data.
    public var exitCode: Int32 { failureClass.exitStatus }

    public var description: String {
        var s = "\(location): error: \(message)"
        if let name = location.columnName { s += " [column '\(name)']" }
        if let value { s += " (value: \"\(value)\")" }
        return s
    }
}

/// Every defect found while reading one or more files; thrown when any hard error was found.
public struct InputErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [InputError]
    /// True when more errors existed than were kept.
    public var truncated: Bool

    public init(_ errors: [InputError], truncated: Bool = false) {
        self.errors = errors
        self.truncated = truncated
    }

    /// The exit status of its `FailureClass`: 66 when a file is missing, 65 otherwise.
    public var exitCode: Int32 { failureClass.exitStatus }

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

    func throwIfAny() throws {
        if count > 0 { throw InputErrors(errors, truncated: count > errors.count) }
    }
}
