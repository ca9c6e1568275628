import Foundation
import Testing
@testable import AccountHealth

@Suite struct MatrixTests {
    @Test func choleskySolveInverseAndErrors() throws {
        let a = Matrix([[4, 2, 0.6], [2, 5, 1], [0.6, 1, 3]])
        let c = try Cholesky(a)
        let x = try c.solve([1, 2, 3])
        let back = try a.times(x)
        for (u, v) in zip(back, [1.0, 2, 3]) { #expect(abs(u - v) < 1e-12) }
        let inv = try c.inverse()
        let id = try inv.transposeTimes(a)       // inv is symmetric, so invᵀa = inv·a
        for i in 0..<3 { for j in 0..<3 { #expect(abs(id[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
        // det = 4·(15 − 1) − 2·(6 − 0.6) + 0.6·(2 − 3) = 56 − 10.8 − 0.6 = 44.6
        #expect(abs(c.logDeterminant - log(44.6)) < 1e-12)
        // A singular matrix: the third column is the sum of the first two.
        let s = Matrix([[1, 0, 1], [0, 1, 1], [1, 1, 2]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(column: 3)) { try Cholesky(s) }
        #expect(throws: LinearAlgebraError.self) { try Cholesky(Matrix(rows: 2, columns: 3)) }
        #expect(throws: LinearAlgebraError.self) { try a.times([1, 2]) }
    }

    @Test func gramMatchesTransposeTimes() throws {
        let x = Matrix([[1, 2], [3, 4], [5, 6.5]])
        #expect(x.gram() == (try x.transposeTimes(x)))
        #expect(x.selecting(columns: [1]).storage == [2, 4, 6.5])
        #expect(x.rows([2, 0]).storage == [5, 1, 6.5, 2])
    }
}
