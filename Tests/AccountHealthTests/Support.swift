import Foundation
@testable import AccountHealth

/// A temporary directory with helpers to write fixture files.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "ah-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

/// Reads a timeline into memory-free sink, returning the summary or the thrown errors.
func readTimeline(_ path: String, delimiter: UInt8 = 0x2C) throws -> TimelineSummary {
    var sink = NullSink()
    return try TimelineReader(path: path, delimiter: delimiter).read(into: &sink)
}

/// The errors thrown by `body` (empty when it did not throw).
func errors(_ body: () throws -> Void) -> [InputError] {
    do { try body() } catch let e as InputErrors { return e.errors } catch let e as InputError { return [e] } catch { return [] }
    return []
}

/// A sink that records every row.
struct RecordingSink: TimelineSink {
    var factors: [String] = []
    var rows: [(account: Int32, day: Int32, risk: UInt8, values: [Double], line: Int)] = []
    mutating func begin(factors: [String]) { self.factors = factors }
    mutating func row(account: Int32, day: Int32, risk: UInt8, values: UnsafePointer<Double>, line: Int) {
        rows.append((account, day, risk, Array(UnsafeBufferPointer(start: values, count: factors.count)), line))
    }
    func makeEmpty() -> RecordingSink { RecordingSink(factors: factors) }
    mutating func merge(_ other: RecordingSink, accountMap: [Int32]) {
        rows += other.rows.map { (accountMap[Int($0.account)], $0.day, $0.risk, $0.values, $0.line) }
    }
}

func day(_ s: String) -> Int32 { Day.parse(s)! }

/// A reference-values file of Fixtures/, as a JSON object.
func fixtureJSON(_ name: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name)"))) as! [String: Any]
}

/// Equal arrays where NaN (a missing value) equals NaN.
func sameValues(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}
