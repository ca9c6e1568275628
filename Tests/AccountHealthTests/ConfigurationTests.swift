import Foundation
import Testing
@testable import AccountHealth

@Suite struct ConfigurationTests {
    @Test func parsesTheDesignExample() throws {
        let yaml = """
            factors:
              - {name: profile_completeness, weight: 20}
              - {name: qbr, weight: 10, optional: true}
              - {name: tickets, weight: 5, scale: {min: 0, max: 500}, invert: true, manual: false}
              - {name: satisfaction, weight: 25, manual: true}
            risk_penalty: {low: 5, medium: 10, high: 20}
            bands:
              - {name: red, below: 40}
              - {name: yellow, below: 70}
              - {name: green}
            period: 30
            stale_after: 90
            segments:
              Enterprise:
                factors:
                  - {name: qbr, weight: 1}
            """
        let c = try Configuration.parse(yaml: yaml)
        #expect(c.base.factors.count == 4)
        #expect(c.base.factors[1].optional && c.base.factors[2].invert && c.base.factors[3].manual)
        #expect(c.base.factors[2].scaleMax == 500)
        #expect(c.base.riskPenalty == [0, 5, 10, 20])
        #expect(c.base.bands.map(\.name) == ["red", "yellow", "green"])
        #expect(c.segments.count == 1 && c.segments[0].rules.factors.map(\.name) == ["qbr"])
        #expect(c.segments[0].rules.riskPenalty == [0, 5, 10, 20])   // inherited
        #expect(c.rules(forSegment: "SMB") == c.base)
    }

    @Test func writtenYAMLReadsBackTheSame() throws {
        let yaml = "factors:\n  - {name: a, weight: 12.5, optional: true, scale: {min: 0, max: 10}, invert: true}\n  - {name: \"b c\", weight: 3, manual: true}\nrisk_penalty: {high: 7}\nperiod: 14\nstale_after: 60\nsegments:\n  \"SMB: small\":\n    factors:\n      - {name: a, weight: 1}\n"
        let c = try Configuration.parse(yaml: yaml)
        #expect(try Configuration.parse(yaml: c.yaml()) == c)
    }

    func configError(_ yaml: String) -> InputError? {
        errors { _ = try Configuration.parse(yaml: yaml, file: "cfg.yaml") }.first
    }

    @Test func negativeWeight() {
        let e = configError("factors:\n  - {name: a, weight: 2}\n  - {name: b, weight: -1}\n")
        #expect(e?.kind == .invalidConfiguration && e?.location.file == "cfg.yaml" && e?.location.line == 3)
        #expect(e?.message.contains("factors[1].weight") == true && e?.value == "-1")
    }

    @Test func allZeroWeights() {
        #expect(configError("factors:\n  - {name: a, weight: 0}\n")?.message.contains("all weights are zero") == true)
    }

    @Test func bandsOutOfOrder() {
        let e = configError("factors:\n  - {name: a, weight: 1}\nbands:\n  - {name: red, below: 70}\n  - {name: yellow, below: 40}\n  - {name: green}\n")
        #expect(e?.message.contains("bands[1].below") == true && e?.location.line == 5)
    }

    @Test func aScoreAboveEveryBandFallsInTheLastBand() throws {
        let c = try Configuration.parse(yaml: "factors:\n  - {name: a, weight: 1}\nbands:\n  - {name: red, below: 40}\n  - {name: green, below: 100}\n")
        #expect(c.base.bandIndex(39.9) == 0 && c.base.bandIndex(40) == 1 && c.base.bandIndex(100) == 1)
    }

    @Test func invalidYAML() {
        let e = configError("factors:\n  - {name: a, weight: 1\n")
        #expect(e?.kind == .invalidConfiguration && e?.message.hasPrefix("invalid YAML") == true && e?.location.line != nil)
    }

    @Test func unknownKeyIsATypo() {
        let e = configError("factors:\n  - {name: a, wieght: 1}\n")
        #expect(e?.message.contains("wieght") == true && e?.message.contains("unknown key") == true)
    }

    /// Each defect gives its own located message: the key path, the line and column, and the value.
    @Test func otherDefects() {
        func expect(_ yaml: String, _ fragment: String, line: Int, column: Int? = nil, value: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) {
            let e = configError(yaml)
            #expect(e?.kind == .invalidConfiguration, "\(yaml)", sourceLocation: sourceLocation)
            #expect(e?.message.contains(fragment) == true, "\(e?.message ?? "no error") lacks \(fragment)", sourceLocation: sourceLocation)
            #expect(e?.location.line == line && (column == nil || e?.location.column == column), "\(e.map { "\($0.location)" } ?? "")",
                    sourceLocation: sourceLocation)
            #expect(e?.value == value, "\(e?.value ?? "nil")", sourceLocation: sourceLocation)
        }
        expect("", "configuration is empty", line: 1)
        expect("- a\n- b\n", "must be a mapping", line: 1)
        expect("factors: []\n", "factors: at least one factor is needed", line: 1, column: 10)
        expect("factors:\n  - {name: a, weight: x}\n", "factors[0].weight", line: 2, value: "x")
        #expect(configError("factors:\n  - {name: a, weight: 1}\n  - {name: A, weight: 1}\n")?.message.contains("twice") == true)
        expect("factors:\n  - {name: a, weight: 1, scale: {min: 3, max: 3}}\n", "factors[0].scale: min and max must differ", line: 2,
               column: 47, value: "3")
        expect("factors:\n  - {name: a, weight: 1}\nrisk_penalty: {severe: 3}\n", "risk_penalty: unknown risk level", line: 3,
               column: 16, value: "severe")
        expect("factors:\n  - {name: a, weight: 1}\nperiod: 0\n", "period: must be a positive number of days", line: 3, column: 9,
               value: "0")
        expect("factors:\n  - {name: a, weight: 1, optional: maybe}\n", "factors[0].optional: must be true or false", line: 2,
               column: 36, value: "maybe")
        expect("factors:\n  - {name: a, weight: .nan}\n", "factors[0].weight: must be a finite number", line: 2, column: 23,
               value: ".nan")
    }

    @Test func missingConfigurationFileIs66() {
        let e = errors { _ = try Configuration.load(path: "/no/such/config.yaml") }
        #expect(e.first?.exitCode == 66)
    }
}

@Suite struct SimulatorTests {
    @Test func sameSeedSameFiles() throws {
        let a = TempDir(), b = TempDir()
        _ = try Simulator(accounts: 60, weeks: 20, seed: 9).write(to: a.path)
        _ = try Simulator(accounts: 60, weeks: 20, seed: 9).write(to: b.path)
        for f in ["timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml", "truth.yaml"] {
            let x = FileManager.default.contents(atPath: a.path + "/" + f)
            #expect(x != nil && x == FileManager.default.contents(atPath: b.path + "/" + f), "\(f)")
        }
    }

    @Test func simulatedWorldIsValidAndScores() throws {
        let d = TempDir()
        let s = try Simulator(accounts: 200, weeks: 52, seed: 2).write(to: d.path)
        #expect(s.churns > 0 && s.churns < s.outcomes)
        let files = DataFiles.directory(d.path)
        let v = Validator.validate(files)
        #expect(!v.hasErrors)
        #expect(v.timeline?.factors.count == 8)
        let r = try Scorer.score(try files.load())
        #expect(r.rows.count == 200)
        #expect(r.rows.allSatisfy { ($0.result.score ?? -1) >= 0 && ($0.result.score ?? 101) <= 100 })
    }
}
