import Foundation
import Testing
@_spi(Benchmarks) @testable import AccountHealth

/// The test process runs OpenBLAS as the command does, on one thread, pinned before the first test reads a
/// fixture or a dataset (both go through these paths). Left to DeterminismTests, the switch happened mid-run,
/// and a test comparing two fits bit for bit (RankingTests.noLookAhead) could straddle it: one fit summed by
/// OpenBLAS's threads, the other by the library's row blocks, an ulp apart.
let fixtures: String = {
    BLAS.setThreads(1)
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
}()
let repoRoot: String = {
    BLAS.setThreads(1)
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}()

func loadLogitCase(_ name: String) throws -> (Matrix, [Double], Reference) {
    let text = try String(contentsOfFile: "\(fixtures)/logit_\(name).csv", encoding: .utf8)
    var lines = text.split(separator: "\n")
    let header = lines.removeFirst().split(separator: ",")
    let k = header.count - 1
    var cols = [[Double]](repeating: [], count: k)
    var y: [Double] = []
    for l in lines {
        let v = l.split(separator: ",").map { Double($0)! }
        for j in 0..<k { cols[j].append(v[j]) }
        y.append(v[k])
    }
    let ref = try Reference(fixture: "logit_\(name).json")
    return (Matrix(rows: y.count, columns: k, storage: cols.flatMap { $0 }), y, ref)
}

func relClose(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol * max(abs(b), 1e-300) || abs(a - b) < 1e-14 }

/// Logistic regression against statsmodels (Tests/Reference/logit_reference.py).
@Suite struct LogisticReferenceTests {
    @Test(arguments: ["small", "medium", "collinearish", "rare"])
    func matchesStatsmodels(_ name: String) throws {
        let (x, y, ref) = try loadLogitCase(name)
        for threads in [1, 2] {
            let fit = try LogisticRegression(threads: threads).fit(x, y, names: (1...x.columns).map { "x\($0)" })
            checkFit(fit, [
                Check(.coefficients, ref.numbers("params"), 1e-8),
                Check(.standardErrors, ref.numbers("bse"), 1e-7),
                Check(.pValues, ref.numbers("pvalues"), 1e-6, floor: 1e-200),
                Check(.confidenceLow, ref.column("conf_int", 0), 1e-7),
                Check(.confidenceHigh, ref.column("conf_int", 1), 1e-7),
                Check(.logLikelihood, ref.number("llf"), 1e-10),
                Check(.nullLogLikelihood, ref.number("llnull"), 1e-10),
                Check(.aic, ref.number("aic"), 1e-10),
                Check(.mcFaddenR2, ref.number("prsquared"), 1e-8),
            ], label: "\(name), \(threads) thread(s)")
            // statsmodels starts from zero and stops on a parameter change below 1e-12; starting from the null
            // model with the deviance rule takes fewer steps, never more (and never a suspiciously small number).
            let theirs = ref.int("iterations")
            #expect(fit.iterations <= theirs && fit.iterations >= 3, "\(name) iterations \(fit.iterations) vs \(theirs)")
        }
    }

    @Test(arguments: ["small", "medium", "rare"])
    func ridgeMatchesScikitLearn(_ name: String) throws {
        let (x, y, ref) = try loadLogitCase(name)
        let fit = try LogisticRegression(penalty: ref.number("ridge_lambda")).fit(x, y, names: (1...x.columns).map { "x\($0)" })
        checkFit(fit, [Check(.coefficients, ref.numbers("ridge_params"), 1e-6)], label: "\(name) ridge")
    }
}

@Suite struct LogisticDiagnosticTests {
    func design(_ cols: [[Double]]) -> Matrix { Matrix(rows: cols[0].count, columns: cols.count, storage: cols.flatMap { $0 }) }

    @Test func hand2x2Table() throws {
        // One binary factor: the MLE reproduces the table's log-odds exactly.
        // x = 0: 30 renewed, 10 churned; x = 1: 10 renewed, 20 churned.
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<30 { x.append(0); y.append(0) }
        for _ in 0..<10 { x.append(0); y.append(1) }
        for _ in 0..<10 { x.append(1); y.append(0) }
        for _ in 0..<20 { x.append(1); y.append(1) }
        let fit = try LogisticRegression().fit(design([x]), y, names: ["flag"])
        #expect(relClose(fit.coefficients[0], log(10.0 / 30), 1e-10))
        #expect(relClose(fit.coefficients[1], log(20.0 / 10) - log(10.0 / 30), 1e-10))
        // Wald SE of a log odds ratio: sqrt(1/a + 1/b + 1/c + 1/d)
        #expect(relClose(fit.standardErrors[1], (1.0 / 30 + 1.0 / 10 + 1.0 / 10 + 1.0 / 20).squareRoot(), 1e-9))
    }

    @Test func perfectSeparationNamesTheFactor() {
        let x = (0..<40).map(Double.init), y = (0..<40).map { $0 < 20 ? 0.0 : 1.0 }
        let noise = (0..<40).map { Double(($0 * 7) % 11) }
        do {
            _ = try LogisticRegression().fit(design([noise, x]), y, names: ["noise", "usage"])
            Issue.record("expected separation")
        } catch let e as ModelError {
            guard case .separation(let fs, _) = e else { Issue.record("got \(e)"); return }
            #expect(fs == ["usage"])
            // The library says what to try in words; only the CLI names its flags.
            #expect(e.description.contains("'usage'") && e.description.contains("ridge penalty") && !e.description.contains("--"))
        } catch { Issue.record("\(error)") }
        // With a ridge penalty the same data fit.
        #expect((try? LogisticRegression(penalty: 1).fit(design([noise, x]), y, names: ["noise", "usage"])) != nil)
    }

    @Test func collinearFactorsAreNamed() {
        var g = SeededGenerator(seed: 1)
        let a = (0..<200).map { _ in g.normal() }, b = (0..<200).map { _ in g.normal() }
        let c = zip(a, b).map { 2 * $0 - $1 + 3 }
        let y = (0..<200).map { _ in g.uniform() < 0.3 ? 1.0 : 0.0 }
        do {
            _ = try LogisticRegression().fit(design([a, b, c]), y, names: ["a", "b", "c"])
            Issue.record("expected collinearity")
        } catch let e as ModelError {
            #expect(e == .collinear(factor: "c", with: ["a", "b"]), "\(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func constantFactor() {
        let y = (0..<50).map { Double($0 % 3 == 0 ? 1 : 0) }
        let x = (0..<50).map { Double($0) }
        #expect(throws: ModelError.constantFactor(name: "qbr", value: 3)) {
            try LogisticRegression().fit(design([x, Array(repeating: 3, count: 50)]), y, names: ["usage", "qbr"])
        }
    }

    @Test func oneClassAndEmpty() {
        #expect(throws: ModelError.oneClass(churned: false, count: 5)) {
            try LogisticRegression().fit(design([[1, 2, 3, 4, 5]]), [0, 0, 0, 0, 0], names: ["a"])
        }
        #expect(throws: ModelError.self) { try LogisticRegression().fit(Matrix(rows: 0, columns: 1), [], names: ["a"]) }
    }

    @Test func nonConvergenceIsReported() {
        var g = SeededGenerator(seed: 2)
        let x = (0..<300).map { _ in g.normal() }
        let y = x.map { $0 + g.normal() > 0 ? 1.0 : 0.0 }
        #expect(throws: ModelError.self) { try LogisticRegression(maxIterations: 1).fit(design([x]), y, names: ["a"]) }
    }
}

@Suite struct DeterminismTests {
    @Test func sameBitsWithOneOrTwoThreads() throws {
        // Row blocks run on the library's own threads only when OpenBLAS is single-threaded.
        BLAS.setThreads(1)
        var g = SeededGenerator(seed: 3)
        let n = 60_000
        var x = Matrix(rows: n, columns: 6)
        for i in 0..<x.storage.count { x.storage[i] = g.normal() }
        let y = (0..<n).map { i in g.uniform() < Logistic.sigmoid(-1.5 + 0.4 * x[i, 0] - 0.3 * x[i, 3]) ? 1.0 : 0.0 }
        let names = (1...6).map { "x\($0)" }
        let a = try LogisticRegression(threads: 1).fit(x, y, names: names)
        let b = try LogisticRegression(threads: 2).fit(x, y, names: names)
        #expect(a.coefficients == b.coefficients && a.covariance == b.covariance && a.deviance == b.deviance)
        let c = try LogisticRegression(threads: 2).fit(x, y, names: names)
        #expect(b.coefficients == c.coefficients)
    }
}

/// Issue 23: one read of the design per Newton iteration, and cross-validation that costs well under k fits
/// with the plain fits' answers.
@Suite struct FusedPassTests {
    static func data(n: Int, p: Int, seed: UInt64, scale: Double = 0.4) -> (Matrix, [Double], [String]) {
        var g = SeededGenerator(seed: seed)
        var x = Matrix(rows: n, columns: p)
        for i in 0..<x.storage.count { x.storage[i] = g.normal() }
        let y = (0..<n).map { i in
            var e = -1.2
            for j in 0..<p { e += (j % 2 == 0 ? scale : -scale) * x[i, j] / Double(j + 1) }
            return g.uniform() < Logistic.sigmoid(e) ? 1.0 : 0.0
        }
        return (x, y, (1...p).map { "x\($0)" })
    }

    @Test func onePassPerIteration() throws {
        for (n, threads) in [(5_000, 1), (60_000, 2)] {
            let (x, y, names) = Self.data(n: n, p: 7, seed: 11)
            let fit = try LogisticRegression(threads: threads).fit(x, y, names: names)
            // The pass at the start, then one per iteration (the pass at the new point serves the next one).
            #expect(fit.designRowsRead == n * (fit.iterations + 1), "\(fit.designRowsRead) rows for \(fit.iterations)")
            #expect(fit.designRowsRead / n / fit.iterations == 1)
        }
    }

    /// The means and standard deviations computed on two threads are those of one thread, column by column,
    /// every time (the two threads once wrote into one copy-on-write buffer: a write could be lost, or the
    /// buffer freed under the other thread, which crashed `survival` in CI).
    @Test func columnStatisticsOnTwoThreads() {
        let (x, _, _) = Self.data(n: 40_000, p: 9, seed: 3)
        var means = [Double](repeating: 0, count: 9), sds = means
        for j in 0..<9 {
            let col = x.column(j)
            means[j] = col.reduce(0, +) / 40_000
            sds[j] = (col.reduce(0) { $0 + ($1 - means[j]) * ($1 - means[j]) } / 39_999).squareRoot()
        }
        for _ in 0..<100 {
            let (m, s) = LogisticRegression.columnStatistics(x, threads: 2)
            #expect(m == means && s == sds)
            if m != means || s != sds { break }
        }
    }

    @Test func stepHalvingReadsOnlyTheLandingPoint() throws {
        // A large separation-prone effect makes the first full step overshoot: the halving works on η.
        var g = SeededGenerator(seed: 5)
        let n = 400
        var x = Matrix(rows: n, columns: 1)
        for i in 0..<n { x.storage[i] = g.normal() * 40 }
        let y = (0..<n).map { i in g.uniform() < Logistic.sigmoid(0.5 + 0.3 * x[i, 0]) ? 1.0 : 0.0 }
        let kernel = IRLSKernel(x: x, y: y, threads: 1)
        let beta = [0.2, 0.1]
        let direct = kernel.evaluate([0.2 + 0.25 * 3, 0.1 + 0.25 * -1]).deviance
        let a = kernel.evaluate(beta), b = kernel.evaluate([0.2 + 3, 0.1 - 1])
        let reads = kernel.reads.rows
        let halved = kernel.deviance(between: a.eta, and: b.eta, at: 0.25)
        #expect(kernel.reads.rows == reads)
        #expect(abs(halved - direct) <= 1e-12 * direct)
        let fit = try LogisticRegression().fit(x, y, names: ["x"])
        #expect(fit.designRowsRead <= n * (2 * fit.iterations + 1))
    }

    @Test func foldFitsEqualPlainFits() throws {
        for (n, threads, penalty) in [(3_000, 1, 0.0), (50_000, 2, 0.0), (4_000, 1, 2.0)] {
            let (x, y, names) = Self.data(n: n, p: 9, seed: UInt64(n))
            let groups = (0..<n).map { $0 / 3 }
            let folds = GroupedFolds(groups: groups, k: 5, seed: 7)
            let engine = LogisticRegression(penalty: penalty, threads: threads)
            let full = try engine.fit(x, y, names: names)
            for start in [nil, full.coefficients] {
                let fits = try engine.crossValidate(x, y, names: names, folds: folds, start: start)
                var plainRows = 0
                for f in 0..<5 {
                    let tr = folds.train(f)
                    let plain = try engine.fit(x.rows(tr), tr.map { y[$0] }, names: names)
                    plainRows += plain.designRowsRead
                    for (a, b) in zip(fits[f].coefficients, plain.coefficients) {
                        #expect(abs(a - b) <= 1e-10 * max(1, abs(b)), "fold \(f): \(a) vs \(b)")
                    }
                    #expect(abs(fits[f].deviance - plain.deviance) <= 1e-10 * plain.deviance)
                    for (a, b) in zip(fits[f].standardErrors, plain.standardErrors) {
                        #expect(abs(a - b) <= 1e-8 * b)
                    }
                    for (a, b) in zip(fits[f].featureSDs, plain.featureSDs) { #expect(abs(a - b) <= 1e-10 * b) }
                    #expect(fits[f].observations == plain.observations && fits[f].churns == plain.churns)
                }
                // Well under k plain fits: the shared first pass and the warm starts.
                #expect(Double(fits[0].designRowsRead) < 0.8 * Double(plainRows), "\(fits[0].designRowsRead) vs \(plainRows)")
            }
        }
    }

    @Test func foldErrorsAreThePlainFitsErrors() throws {
        // A factor constant in one fold's training rows: the fold goes to the plain fit and its error.
        let n = 600
        var (x, y, names) = Self.data(n: n, p: 3, seed: 2)
        let groups = Array(0..<n)
        let folds = GroupedFolds(groups: groups, k: 3, seed: 1)
        for i in 0..<n where folds.fold[i] != 0 { x[i, 1] = 4 }
        #expect(throws: ModelError.constantFactor(name: "x2", value: 4)) {
            _ = try LogisticRegression().crossValidate(x, y, names: names, folds: folds)
        }
        names[0] = "a"
        // One class in a fold's training rows.
        for i in 0..<n { y[i] = folds.fold[i] == 2 ? 1 : 0 }
        #expect(throws: ModelError.self) { _ = try LogisticRegression().crossValidate(x, y, names: names, folds: folds) }
    }
}
