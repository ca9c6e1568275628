/// Counting-process survival data (DESIGN §4): one row per `(start, stop]` interval of a subject, the
/// factor values in force during it, and whether it ends in the event (churn).
public struct SurvivalData: Sendable {
    /// The factors.
    public var names: [String]
    /// Each interval's start (days since the subject's first row).
    public var start: [Double]
    /// Each interval's end.
    public var stop: [Double]
    /// Whether each interval ends in the event.
    public var event: [Bool]
    /// Factor values, intervals × factors, column-major.
    public var x: Matrix
    /// The subject (account) of each interval, 0-based: robust errors are clustered by it.
    public var subject: [Int32]
    /// Subject names, indexed by `subject`.
    public var subjectIds: [String]

    /// The number of intervals.
    public var count: Int { stop.count }
    /// The number of events.
    public var events: Int { event.reduce(0) { $0 + ($1 ? 1 : 0) } }
    /// Subjects with at least one interval (a subject index may be unused).
    public var subjectsPresent: Int {
        var seen = [Bool](repeating: false, count: subjectIds.count)
        var k = 0
        for s in subject where !seen[Int(s)] { seen[Int(s)] = true; k += 1 }
        return k
    }

    /// Checks the shapes and that every interval is `(start, stop]` with finite start < stop and finite values.
    public init(
        names: [String], start: [Double], stop: [Double], event: [Bool], x: Matrix, subject: [Int32]? = nil,
        subjectIds: [String]? = nil
    ) throws {
        let n = stop.count
        guard start.count == n, event.count == n, x.rows == n, x.columns == names.count else {
            throw LinearAlgebraError.dimensionMismatch(
                "survival data: start \(start.count), stop \(n), event \(event.count), x \(x.rows)×\(x.columns), "
                    + "names \(names.count)"
            )
        }
        for i in 0..<n where !(start[i].isFinite && stop[i].isFinite && start[i] < stop[i]) {
            throw ModelError.invalidInterval(index: i, detail: "start \(start[i]), stop \(stop[i])")
        }
        for j in 0..<x.columns {
            for i in 0..<n where !x[i, j].isFinite {
                throw ModelError.invalidInterval(index: i, detail: "factor '\(names[j])' is \(x[i, j])")
            }
        }
        let s = subject ?? (0..<n).map { Int32($0) }
        guard s.count == n else {
            throw LinearAlgebraError.dimensionMismatch("survival data: \(s.count) subjects for \(n) intervals")
        }
        let ids = subjectIds ?? (0..<((s.max() ?? -1) + 1)).map { String($0) }
        guard s.allSatisfy({ $0 >= 0 && Int($0) < ids.count }) else {
            throw LinearAlgebraError.dimensionMismatch("survival data: subject index outside 0..<\(ids.count)")
        }
        self.names = names; self.start = start; self.stop = stop; self.event = event; self.x = x
        self.subject = s; self.subjectIds = ids
    }
}
