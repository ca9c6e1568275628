import Foundation
import Testing
@testable import AccountHealth

/// Replays Fixtures/failures and the fuzz seed corpus through every reader: a result or a typed error,
/// never a crash.
@Suite struct FailureCorpusTests {
    static let dirs = ["\(fixtures)/failures", "\(repoRoot)/Fuzz/corpus/csv", "\(repoRoot)/Fuzz/corpus/config"]
    static var files: [String] {
        dirs.flatMap { d in ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { $0 != "README.md" }.sorted().map { "\(d)/\($0)" } }
    }

    @Test func everyInputGivesAResultOrATypedError() throws {
        #expect(Self.files.count >= 15)
        for f in Self.files {
            if f.hasSuffix(".yaml") {
                do { let c = try Configuration.load(path: f); _ = c.yaml() } catch is InputError {} catch { Issue.record("\(f): untyped \(error)") }
                continue
            }
            for threshold in [Int.max, 0] {
                var reader = TimelineReader(path: f)
                reader.parallelThreshold = threshold
                var acc = AsOfAccumulator(queryDays: [19_700], factors: ["a"], trendDays: 30)
                do { _ = try reader.read(into: &acc); acc.finish() } catch is InputError {} catch is InputErrors {} catch { Issue.record("\(f): untyped \(error)") }
            }
            do { _ = try AccountsTable.read(path: f) } catch is InputError {} catch is InputErrors {} catch { Issue.record("\(f): untyped \(error)") }
            do { _ = try OutcomesTable.read(path: f) } catch is InputError {} catch is InputErrors {} catch { Issue.record("\(f): untyped \(error)") }
            do { _ = try CoxRegression().fit(try SurvivalData.read(path: f)) }
            catch is InputError {} catch is InputErrors {} catch is ModelError {} catch { Issue.record("\(f): untyped \(error)") }
        }
    }

    @Test func knownCasesGiveTheRightError() {
        let f = "\(fixtures)/failures"
        #expect(errors { _ = try readTimeline("\(f)/unterminated_at_eof.csv") }.first?.kind == .unterminatedQuote)
        #expect(errors { _ = try readTimeline("\(f)/bom_only.csv") }.first?.kind == .emptyFile)
        #expect(errors { _ = try readTimeline("\(f)/huge_number.csv") }.first?.kind == .invalidNumber)
        #expect(errors { _ = try readTimeline("\(f)/long_risk_twice.csv") }.first?.kind == .duplicateRow)
        #expect((try? readTimeline("\(f)/lone_cr.csv"))?.recordsUsed == 2)
        let overflow = errors { _ = try Configuration.load(path: "\(f)/weight_overflow.yaml") }
        #expect(overflow.first?.kind == .invalidConfiguration && overflow.first?.message.contains("too large") == true)
        #expect(errors { _ = try Configuration.load(path: "\(f)/yaml_alias_duplicate.yaml") }.first?.message.contains("twice") == true)
    }
}
