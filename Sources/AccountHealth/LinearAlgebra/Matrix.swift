import COpenBLAS

/// A numerical failure of a linear-algebra routine, decoded from LAPACK's `info`.
public enum LinearAlgebraError: Error, Equatable, Sendable {
    /// Cholesky failed: the leading minor of this order (1-based column) is not positive definite,
    /// i.e. that column is (numerically) a linear combination of the ones before it.
    case notPositiveDefinite(column: Int)
    /// A LAPACK argument was illegal (a bug, not a data problem).
    case illegalArgument(Int)
    case dimensionMismatch(String)
}

/// A dense column-major matrix of doubles.
public struct Matrix: Equatable, Sendable {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// Column-major storage: element (i, j) at `i + j·rows`.
    public var storage: [Double]

    /// A matrix with every entry `v`.
    public init(rows: Int, columns: Int, repeating v: Double = 0) {
        self.rows = rows
        self.columns = columns
        storage = Array(repeating: v, count: rows * columns)
    }

    /// A matrix over column-major storage of `rows × columns` entries.
    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(storage.count == rows * columns, "Matrix: storage size")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix from rows given as arrays (for tests and small cases).
    public init(_ rowArrays: [[Double]]) {
        rows = rowArrays.count
        columns = rowArrays.first?.count ?? 0
        storage = Array(repeating: 0, count: rows * columns)
        for (i, r) in rowArrays.enumerated() { for (j, v) in r.enumerated() { storage[i + j * rows] = v } }
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// The entry at row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] { Array(storage[(j * rows)..<((j + 1) * rows)]) }

    /// The diagonal entries.
    public var diagonal: [Double] { (0..<min(rows, columns)).map { self[$0, $0] } }

    /// A·x by `dgemv`.
    public func times(_ x: [Double]) throws -> [Double] {
        guard x.count == columns else {
            throw LinearAlgebraError.dimensionMismatch("times: \(columns) columns, vector of \(x.count)")
        }
        var y = [Double](repeating: 0, count: rows)
        if rows == 0 || columns == 0 { return y }
        cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, storage, Int32(rows), x, 1, 0, &y, 1)
        return y
    }

    /// Aᵀ·B by `dgemm`.
    public func transposeTimes(_ b: Matrix) throws -> Matrix {
        guard rows == b.rows else {
            throw LinearAlgebraError.dimensionMismatch("transposeTimes: \(rows) vs \(b.rows) rows")
        }
        var c = Matrix(rows: columns, columns: b.columns)
        if rows == 0 { return c }
        cblas_dgemm(
            CblasColMajor, CblasTrans, CblasNoTrans, Int32(columns), Int32(b.columns), Int32(rows),
            1, storage, Int32(rows), b.storage, Int32(b.rows), 0, &c.storage, Int32(columns))
        return c
    }

    /// AᵀA by `dsyrk`, full symmetric result.
    public func gram() -> Matrix {
        var c = Matrix(rows: columns, columns: columns)
        if rows == 0 { return c }
        cblas_dsyrk(
            CblasColMajor, CblasUpper, CblasTrans, Int32(columns), Int32(rows), 1, storage, Int32(rows), 0, &c.storage,
            Int32(columns))
        c.symmetrizeFromUpper()
        return c
    }

    /// Copies the upper triangle into the lower one.
    public mutating func symmetrizeFromUpper() {
        let n = rows
        storage.withUnsafeMutableBufferPointer { s in
            for j in 0..<n { for i in (j + 1)..<max(j + 1, n) { s[i + j * n] = s[j + i * n] } }
        }
    }
}

/// The Cholesky factorisation A = UᵀU of a symmetric positive-definite matrix (`dpotrf`, upper).
public struct Cholesky: Sendable {
    /// U in the upper triangle (column-major).
    public let factor: Matrix

    static let upper = CChar(UInt8(ascii: "U"))

    /// LAPACK's `info` as a typed error: > 0 a leading minor that is not positive definite, < 0 a bad argument.
    static func check(_ info: Int32) throws {
        if info > 0 { throw LinearAlgebraError.notPositiveDefinite(column: Int(info)) }
        if info < 0 { throw LinearAlgebraError.illegalArgument(Int(-info)) }
    }

    /// The Cholesky factor of a symmetric positive-definite matrix; throws when it is not one.
    public init(_ a: Matrix) throws {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.dimensionMismatch("Cholesky of a \(a.rows)×\(a.columns) matrix")
        }
        var f = a
        let n = Int32(a.rows)
        try Cholesky.check(
            f.storage.withUnsafeMutableBufferPointer {
                LAPACKE_dpotrf(LAPACK_COL_MAJOR, Cholesky.upper, n, $0.baseAddress, max(1, n))
            })
        factor = f
    }

    /// Solves A·x = b (`dpotrs`).
    public func solve(_ b: [Double]) throws -> [Double] {
        let n = factor.rows
        guard b.count == n else { throw LinearAlgebraError.dimensionMismatch("solve: \(n) vs \(b.count)") }
        var x = b
        try Cholesky.check(
            x.withUnsafeMutableBufferPointer { xp in
                factor.storage.withUnsafeBufferPointer { fp in
                    LAPACKE_dpotrs(
                        LAPACK_COL_MAJOR, Cholesky.upper, Int32(n), 1, fp.baseAddress, Int32(max(1, n)), xp.baseAddress,
                        Int32(max(1, n)))
                }
            })
        return x
    }

    /// A⁻¹ (`dpotri`), full symmetric.
    public func inverse() throws -> Matrix {
        var inv = factor
        let n = Int32(factor.rows)
        try Cholesky.check(
            inv.storage.withUnsafeMutableBufferPointer {
                LAPACKE_dpotri(LAPACK_COL_MAJOR, Cholesky.upper, n, $0.baseAddress, max(1, n))
            })
        inv.symmetrizeFromUpper()
        return inv
    }

    /// log det A = 2 Σ log Uᵢᵢ.
    public var logDeterminant: Double { factor.diagonal.reduce(0) { $0 + 2 * _log($1) } }
}
