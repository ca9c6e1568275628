import Foundation
import Testing
@testable import AccountHealth

/// Against SciPy (Tests/Reference/distributions_reference.py → Fixtures/distributions.json).
@Suite struct DistributionTests {
    let ref = try! fixtureJSON("distributions.json")

    @Test func incompleteGamma() {
        for r in ref["gammainc"] as! [[Double]] {
            let v = GammaDistribution.regularizedLower(r[0], r[1])
            #expect(abs(v - r[2]) <= 1e-12 * max(r[2], 1e-300) || abs(v - r[2]) < 1e-300, "P(\(r[0]), \(r[1])) = \(v) vs \(r[2])")
        }
    }

    @Test func chiSquareQuantiles() {
        for r in ref["chi2_ppf"] as! [[Double]] {
            let v = GammaDistribution.chiSquareQuantile(r[0], df: r[1])
            #expect(abs(v - r[2]) <= 1e-12 * r[2], "qchisq(\(r[0]), \(r[1])) = \(v) vs \(r[2])")
        }
    }

    @Test func normalQuantiles() {
        for r in ref["norm_ppf"] as! [[Double]] {
            let v = GammaDistribution.normalQuantile(r[0])
            #expect(abs(v - r[1]) <= 1e-12 * max(1, abs(r[1])), "qnorm(\(r[0])) = \(v) vs \(r[1])")
        }
    }

    @Test func garwoodIntervals() {
        for r in ref["garwood"] as! [[Double]] {
            let (lo, hi) = PoissonInterval.garwood(Int(r[0]))
            #expect(abs(lo - r[1]) <= 1e-12 * max(r[1], 1) && abs(hi - r[2]) <= 1e-12 * r[2], "k=\(r[0])")
        }
        // Textbook value: for k = 0 the upper limit is −ln(0.025) = 3.6889.
        #expect(abs(PoissonInterval.garwood(0).high + log(0.025)) < 1e-12)
    }
}
