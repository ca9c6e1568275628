/// The layout and factor columns of a timeline, known before its rows are read.
public struct TimelineColumns: Sendable, Equatable {
    /// Long or wide.
    public var layout: TimelineLayout
    /// The factor columns of a wide timeline in column order; nil for a long layout, whose factors are
    /// only known once every row has been read.
    public var factorNames: [String]?

    /// The columns of a source in a layout, with its factor names when they are known.
    public init(layout: TimelineLayout, factorNames: [String]?) {
        self.layout = layout
        self.factorNames = factorNames
    }
}

/// Where a timeline's rows come from: a CSV file streamed in bounded memory, a timeline held in memory,
/// and (later) an activity log or a database. Every analysis reads the timeline through this protocol, so
/// it never needs to know which.
public protocol TimelineSource: Sendable {
    /// The name used in messages: a file path, a table name.
    var name: String { get }
    /// The layout and factor names (a header read, not a scan of the rows).
    func columns() throws -> TimelineColumns
    /// The first and last row dates, or nil when there is no valid row.
    func dateRange() throws -> (first: Int32, last: Int32)?
    /// Hands every row to `sink` (after `begin(factors:)`), announcing each account before its first row;
    /// throws the located row defects (`InputErrors`) after the whole source is read.
    func read<S: TimelineSink>(into sink: inout S) throws -> TimelineSummary
    /// Told, before the caller reads the outcomes, that its next read is of the states at each outcome's date
    /// minus each horizon, for these factors (a model's observations, `Observations.build`): a source that
    /// sends queries may send them now, while the outcomes are read. A hint only: nothing is thrown, and the
    /// read gives the same rows whether it was told or not. Files and memory ignore it.
    func prepare(statesBeforeOutcomes horizons: [Int], factors: [String])
}

extension TimelineSource {
    /// Nothing to prepare: the rows are read when asked for.
    public func prepare(statesBeforeOutcomes horizons: [Int], factors: [String]) {}
}

extension TimelineReader: TimelineSource {
    /// The name the file is reported under.
    public var name: String { displayName }

    /// Reads the header only: the layout and the factor names.
    public func columns() throws -> TimelineColumns {
        let cols = try TimelineReader.columns(try header(), file: displayName)
        return TimelineColumns(layout: cols.layout, factorNames: cols.layout == .wide ? cols.factorNames : nil)
    }

    /// A quick pass over the date column only.
    public func dateRange() throws -> (first: Int32, last: Int32)? {
        let reader = try CSVReader(path: path, displayName: displayName, delimiter: delimiter)
        var dcol = -1
        var lo = Int32.max, hi = Int32.min
        let file = displayName
        try reader.read(
            header: { h in
                dcol = h.firstIndex { $0.trimmingASCIISpaces().lowercased() == "date" } ?? -1
                if dcol < 0 {
                    throw InputError(
                        .missingColumn, Location(file: file, line: 1), value: "date",
                        "required column 'date' is missing")
                }
            }, onError: { _ in },
            record: { rec in
                if let d = Day.parse(rec.pointer(dcol), rec.length(dcol)) {
                    if d < lo { lo = d }
                    if d > hi { hi = d }
                }
            })
        return lo <= hi ? (lo, hi) : nil
    }
}
