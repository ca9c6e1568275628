/// What kind of failure an error is, and so how each front end answers it: the one table from which the
/// command line takes its exit status (sysexits, DESIGN §6) and the studio its HTTP status (DESIGN §11).
public enum FailureClass: Sendable, Equatable, CaseIterable {
    /// A request that cannot be carried out as asked (a bad flag value, a missing input part).
    case usage
    /// Bad data or a bad configuration, or a numerical failure on the data (separation, a singular design).
    case badData
    /// A file that is missing or cannot be read.
    case missingInput
    /// Something asked for by name that the data does not have (an unknown account).
    case notFound
    /// A service the run depends on cannot be reached (a database server).
    case unavailable
    /// The service refused the credentials.
    case permission

    /// The command line's exit status.
    public var exitStatus: Int32 {
        switch self {
        case .usage, .notFound: return 64
        case .badData: return 65
        case .missingInput: return 66
        case .unavailable: return 69
        case .permission: return 77
        }
    }

    /// The studio's HTTP status: what the client sent is a 400 (404 for an unknown name); what the server
    /// could not reach is a 502 or 503.
    public var httpStatus: Int {
        switch self {
        case .usage, .badData: return 400
        case .notFound: return 404
        case .missingInput: return 500
        case .unavailable: return 503
        case .permission: return 502
        }
    }
}

/// An error that says which `FailureClass` it is.
public protocol ClassifiedFailure: Error {
    /// How the front ends answer it.
    var failureClass: FailureClass { get }
}

extension InputError: ClassifiedFailure {
    /// A missing or unreadable file, an argument out of range (usage), or bad data.
    public var failureClass: FailureClass {
        switch kind {
        case .missingFile, .unreadableFile: return .missingInput
        case .invalidArgument: return .usage
        default: return .badData
        }
    }
}

extension InputErrors: ClassifiedFailure {
    /// A missing file among the errors makes them all a missing input; otherwise bad data.
    public var failureClass: FailureClass {
        errors.contains { $0.failureClass == .missingInput } ? .missingInput : .badData
    }
}

extension DatasetError: ClassifiedFailure {
    /// A dataset without a part the command needs: the request names too little.
    public var failureClass: FailureClass { .usage }
}

extension ModelError: ClassifiedFailure {
    /// A model that cannot be fitted on this data.
    public var failureClass: FailureClass { .badData }
}

extension LinearAlgebraError: ClassifiedFailure {
    /// A numerical failure on the data.
    public var failureClass: FailureClass { .badData }
}
