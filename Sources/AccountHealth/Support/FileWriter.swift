#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered byte writer to a file, throwing located errors.
public final class FileWriter {
    private let file: UnsafeMutablePointer<FILE>
    /// The file's path.
    public let path: String
    private var buffer: [UInt8] = []

    /// Opens the file for writing, truncating it.
    public init(path: String) throws {
        guard let f = fopen(path, "wb") else {
            throw InputError(.unreadableFile, Location(file: path), "cannot write: \(String(cString: strerror(errno)))")
        }
        file = f
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(file) }

    /// Appends the text's bytes.
    public func write(_ s: String) throws {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends bytes.
    public func write(bytes: UnsafeBufferPointer<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes the buffer out.
    public func flush() throws {
        let n = buffer.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        if n != buffer.count {
            throw InputError(.unreadableFile, Location(file: path), "write failed: \(String(cString: strerror(errno)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes everything out and closes the file.
    public func close() throws {
        try flush()
        if fflush(file) != 0 { throw InputError(.unreadableFile, Location(file: path), "write failed") }
    }
}

/// Appends ASCII text and numbers to a byte buffer without allocating.
struct ByteLine {
    var bytes: [UInt8] = []

    mutating func append(_ s: String) { var s = s; s.withUTF8 { bytes.append(contentsOf: $0) } }
    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func append(int v: Int) {
        if v < 0 { bytes.append(0x2D); append(int: -v); return }
        if v >= 10 { append(int: v / 10) }
        bytes.append(UInt8(0x30 + v % 10))
    }

    /// A number with one decimal (rounded half away from zero).
    mutating func append(tenths v: Double) {
        let n = Int((v * 10).rounded())
        if n < 0 { bytes.append(0x2D) }
        let a = abs(n)
        append(int: a / 10)
        bytes.append(0x2E)
        bytes.append(UInt8(0x30 + a % 10))
    }

    mutating func append(day: Int32) {
        let (y, m, d) = Day.civil(day)
        append(int: y)
        bytes.append(0x2D)
        if m < 10 { bytes.append(0x30) }
        append(int: m)
        bytes.append(0x2D)
        if d < 10 { bytes.append(0x30) }
        append(int: d)
    }
}
