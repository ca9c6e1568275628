import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One field of the current record: a byte range in the reader's buffer.
public struct CSVField {
    /// The field's first byte offset in the record buffer.
    public var start: Int
    /// One past its last byte.
    public var end: Int
    /// The field was quoted and contains doubled quotes that must be unescaped before use.
    public var hasEscapes: Bool
    /// Whether the field was quoted.
    public var quoted: Bool
}

/// The current record, valid only inside the callback that receives it.
public struct CSVRecord: ~Copyable {
    /// The buffer the fields point into.
    public let base: UnsafeMutablePointer<UInt8>
    /// The fields.
    public let fields: UnsafeMutablePointer<CSVField>
    /// The number of fields.
    public let count: Int
    /// 1-based physical line where the record starts.
    public let line: Int

    /// A pointer to field `i`'s first byte.
    @inline(__always)
    public func pointer(_ i: Int) -> UnsafePointer<UInt8> { UnsafePointer(base + fields[i].start) }
    /// Field `i`'s length in bytes.
    @inline(__always)
    public func length(_ i: Int) -> Int { fields[i].end - fields[i].start }
    /// Whether field `i` is empty or only blanks.
    @inline(__always)
    public func isEmpty(_ i: Int) -> Bool {
        // An empty or all-blank cell counts as empty.
        blankTrimmed(base + fields[i].start, length(i)).isEmpty
    }

    /// Field `i`'s text with its leading and trailing blanks trimmed as bytes, for a field known to be valid
    /// UTF-8 whose text is `untrimmed` (returned as it is when there is no blank to trim); nil where that could
    /// differ from trimming its characters (`trimmingASCIISpaces`): a field with escapes, or a trimmed leading
    /// blank followed by a non-ASCII byte (it may begin a character with it).
    func byteTrimmedText(_ i: Int, untrimmed: String) -> String? {
        let f = fields[i]
        guard !f.hasEscapes else { return nil }
        let kept = blankTrimmed(base + f.start, f.end - f.start)
        if kept.count == f.end - f.start { return untrimmed }
        if kept.lowerBound > 0 && !kept.isEmpty && base[f.start + kept.lowerBound] >= 0x80 { return nil }
        return String(
            decoding: UnsafeBufferPointer(start: base + f.start + kept.lowerBound, count: kept.count), as: UTF8.self)
    }

    /// The field's bytes with RFC 4180 escapes removed (copies only when the field has escapes).
    public func bytes(_ i: Int) -> [UInt8] {
        let f = fields[i]
        let raw = UnsafeBufferPointer(start: base + f.start, count: f.end - f.start)
        guard f.hasEscapes else { return Array(raw) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        while k < raw.count {
            out.append(raw[k])
            if raw[k] == 0x22 && k + 1 < raw.count && raw[k + 1] == 0x22 { k += 1 }
            k += 1
        }
        return out
    }

    /// The field as a string, or nil when it is not valid UTF-8.
    public func string(_ i: Int) -> String? {
        let f = fields[i]
        // Without escapes the field's bytes are its text: read in place (a short one allocates nothing).
        guard f.hasEscapes else {
            return String(validating: UnsafeBufferPointer(start: base + f.start, count: f.end - f.start), as: UTF8.self)
        }
        return String(validating: bytes(i), as: UTF8.self)
    }

    /// The field decoded for an error message (invalid bytes replaced).
    public func lossyString(_ i: Int) -> String {
        String(decoding: bytes(i).prefix(200), as: UTF8.self)
    }

    /// Whether field `i` is valid UTF-8.
    public func isValidUTF8(_ i: Int) -> Bool { string(i) != nil }
}

/// A streaming RFC 4180 reader over a file, read in large blocks with no per-row allocation.
/// Accepts a UTF-8 BOM, CRLF or LF line ends, quoted fields with embedded delimiters, quotes and newlines.
public final class CSVReader {
    /// The file's path.
    public let path: String
    /// The name used in messages.
    public let displayName: String
    /// The field delimiter.
    public let delimiter: UInt8
    private var fd: Int32 = -1
    @exclusivity(unchecked) private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    @exclusivity(unchecked) private var fieldStore: UnsafeMutablePointer<CSVField>
    @exclusivity(unchecked) private var fieldCapacity: Int = 64

    /// Blank lines passed over (not rows).
    @exclusivity(unchecked) public private(set) var blankLines = 0
    /// Data records delivered to the callback (header excluded).
    @exclusivity(unchecked) public private(set) var records = 0
    /// Bytes in the file.
    public private(set) var fileSize = 0

    /// Opens `path`. With `startOffset > 0` the reader starts there (which must be the start of a record)
    /// and reads no header: call `startHeaderless(fieldCount:)` instead of `readHeader()`.
    /// Where the bytes read are counted (the task's `ReadProgress.current` by default).
    let progress: ReadProgress?

    /// A reader of a CSV file.
    public init(
        path: String, displayName: String? = nil, delimiter: UInt8 = 0x2C, blockSize: Int = 1 << 22,
        startOffset: Int = 0, progress: ReadProgress? = ReadProgress.current
    ) throws {
        self.progress = progress
        self.path = path
        self.displayName = displayName ?? path
        self.delimiter = delimiter
        self.capacity = max(blockSize, 64)
        var st = stat()
        if stat(path, &st) != 0 {
            let code = errno
            throw InputError(
                code == ENOENT ? .missingFile : .unreadableFile, Location(file: self.displayName),
                code == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(code)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw InputError(.unreadableFile, Location(file: self.displayName), "is a directory, not a file")
        }
        fd = open(path, O_RDONLY)
        if fd < 0 {
            throw InputError(
                .unreadableFile, Location(file: self.displayName),
                "cannot open: \(String(cString: strerror(errno)))")
        }
        fileSize = Int(st.st_size)
        buffer = .allocate(capacity: capacity + 1)
        fieldStore = .allocate(capacity: fieldCapacity)
        // A reader started mid-file reads part of a file whose size its first reader already counted.
        progress?.opened((path as NSString).lastPathComponent, bytes: startOffset > 0 ? 0 : fileSize)
        if startOffset > 0 {
            if lseek(fd, off_t(startOffset), SEEK_SET) < 0 {
                throw InputError(
                    .unreadableFile, Location(file: self.displayName),
                    "cannot seek: \(String(cString: strerror(errno)))")
            }
            bufferBase = startOffset
        }
    }

    /// File offset of `buffer[0]`.
    @exclusivity(unchecked) private var bufferBase = 0
    /// Records starting at or after this file offset are not read (`next()` returns `.end`).
    @exclusivity(unchecked) public var stopAt = Int.max
    /// When false, a reader that found no data record does not throw `noRows` (a part of a file).
    public var requireRows = true
    /// File offset of the next record.
    public var position: Int { bufferBase + pos }
    /// Line number (1-based, counted from where this reader started) of the next record.
    public var nextLine: Int { line }

    /// Adds the counts of a reader that read the rest of the same file.
    public func absorb(_ other: CSVReader) {
        records += other.records
        blankLines += other.blankLines
    }

    /// For a reader started mid-file: the records have `fieldCount` fields and there is no header.
    public func startHeaderless(fieldCount: Int) throws {
        headerCount = fieldCount
        requireRows = false
        eof = !(try fill(&filled))
    }

    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
        fieldStore.deallocate()
    }

    private func fill(_ filled: inout Int) throws -> Bool {
        // Returns false at end of file.
        if filled == capacity {
            let newCap = capacity * 2
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap + 1)
            nb.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = nb
            capacity = newCap
        }
        while true {
            let n = Glibc.read(fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(
                    .unreadableFile, Location(file: displayName),
                    "read failed: \(String(cString: strerror(errno)))")
            }
            filled += n
            buffer[filled] = 0x0A  // one past the data, in the spare byte: `unread()`'s sentinel
            if n > 0 { progress?.read(n) }
            return n > 0
        }
    }

    private enum Scan { case record(next: Int), needMore, fatal(InputError) }

    /// What `next()` found.
    public enum Step {
        /// A data record with the header's field count: read it with `record`.
        case record
        /// A defective row (ragged, or text after a closing quote); it was skipped.
        case rowError(InputError)
        /// End of file.
        case end
    }

    // The scanning state is read and written for every record, only ever by the thread that owns this
    // reader (a reader is not Sendable): exclusivity is not checked at run time for it.
    @exclusivity(unchecked) private var filled = 0
    @exclusivity(unchecked) private var pos = 0
    @exclusivity(unchecked) private var line = 1
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var headerCount = -1
    @exclusivity(unchecked) private var currentLine = 0

    /// The current record (valid until the next call to `next()`).
    public var record: CSVRecord { CSVRecord(base: buffer, fields: fieldStore, count: currentCount, line: currentLine) }

    /// Reads the header row (after an optional UTF-8 BOM). Throws on an empty file or a non-UTF-8 header.
    public func readHeader() throws -> [String] {
        eof = !(try fill(&filled))
        while !eof && filled < 3 { eof = !(try fill(&filled)) }
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { pos = 3 }
        while true {
            switch try advance() {
            case .end:
                throw InputError(
                    .emptyFile, Location(file: displayName, line: 1), "file is empty (a header row is required)")
            case .rowError(let e):
                throw e
            case .record:
                let rec = record
                var names: [String] = []
                for i in 0..<rec.count {
                    guard let s = rec.string(i) else {
                        throw InputError(
                            .invalidUTF8, Location(file: displayName, line: rec.line, column: i + 1),
                            value: rec.lossyString(i), "header is not valid UTF-8")
                    }
                    names.append(s)
                }
                headerCount = rec.count
                return names
            }
        }
    }

    /// Moves to the next data record. Blank lines are passed over; a file with a header and no data
    /// records throws `noRows` at its end.
    @inline(__always)
    public func next() throws -> Step {
        let step = try advance()
        switch step {
        case .end:
            if records == 0 && requireRows {
                throw InputError(.noRows, Location(file: displayName, line: 2), "file has a header but no data rows")
            }
            return .end
        case .rowError:
            records += 1
            return step
        case .record:
            records += 1
            if currentCount != headerCount {
                return .rowError(
                    InputError(
                        .raggedRow, Location(file: displayName, line: currentLine),
                        "row has \(currentCount) fields, the header has \(headerCount)"))
            }
            return .record
        }
    }

    /// The next non-blank record, whatever its width.
    private func advance() throws -> Step {
        while true {
            if bufferBase + pos >= stopAt { return .end }
            if pos >= filled {
                if eof { return .end }
                bufferBase += filled
                filled = 0; pos = 0
                eof = !(try fill(&filled))
                continue
            }
            let startLine = line
            var lineCount = line
            switch scanRecord(from: pos, limit: filled, eof: eof, line: &lineCount) {
            case .needMore:
                // Move the partial record to the front and read more.
                let rest = filled - pos
                if pos > 0 { buffer.update(from: buffer + pos, count: rest) }
                bufferBase += pos
                filled = rest; pos = 0
                eof = !(try fill(&filled))
                continue
            case .fatal(let e):
                throw e
            case .record(let nextPos):
                pos = nextPos
                line = lineCount
                currentLine = startLine
                if currentCount == 1 && !fieldStore[0].quoted && record.isEmpty(0) {
                    blankLines += 1  // an empty or all-blank line is not a row
                    continue
                }
                if let bad = malformedField {
                    malformedField = nil
                    return .rowError(
                        InputError(
                            .malformedQuote, Location(file: displayName, line: startLine, column: bad + 1),
                            "unexpected character after a closing quote (quotes inside a field must be doubled)"))
                }
                return .record
            }
        }
    }

    /// The buffered bytes not read yet, for a caller's own fast path over plain records (`consume(recordOf:)`
    /// takes one; anything else is left to `next()`). `count` is 0 when nothing is buffered or the next record
    /// starts at or after `stopAt`. A newline sits one past the data (`bytes[count]`, the buffer's spare byte,
    /// written by each fill), so a scan for a delimiter or a newline stops there without a bound check; a record
    /// whose newline is that one is not complete in the buffer. Valid until the next `next()` or `consume`.
    @inline(__always)
    public func unread() -> (bytes: UnsafePointer<UInt8>, count: Int) {
        if bufferBase + pos >= stopAt { return (UnsafePointer(buffer + filled), 0) }
        return (UnsafePointer(buffer + pos), filled - pos)
    }

    /// Takes the `n` bytes of one record the caller read from `unread()` (its newline included): it counts as a
    /// record, on the line `nextLine` was before the call.
    @inline(__always)
    public func consume(recordOf n: Int) {
        pos &+= n
        records &+= 1
        currentLine = line
        line &+= 1
    }

    /// Convenience for small files: the header, then every data record; row defects go to `onError`.
    public func read(
        header onHeader: ([String]) throws -> Void,
        onError: (InputError) -> Void,
        record body: (borrowing CSVRecord) throws -> Void
    ) throws {
        try onHeader(try readHeader())
        while true {
            switch try next() {
            case .end: return
            case .rowError(let e): onError(e)
            case .record: try body(record)
            }
        }
    }

    @exclusivity(unchecked) private var currentCount = 0
    @exclusivity(unchecked) private var malformedField: Int?

    /// Scans one record starting at `from`. Fields go to `fieldStore`.
    private func scanRecord(from: Int, limit: Int, eof: Bool, line: inout Int) -> Scan {
        // The field list lives in locals while the record is scanned and is stored back once: a class
        // property modified per field would cost a dynamic exclusivity check per field.
        var count = 0
        var malformed: Int? = nil
        var store = fieldStore, capacity = fieldCapacity
        defer { currentCount = count; malformedField = malformed; fieldStore = store; fieldCapacity = capacity }
        @inline(__always) func pushField(_ f: CSVField) {
            if count == capacity {
                let nc = capacity * 2
                let ns = UnsafeMutablePointer<CSVField>.allocate(capacity: nc)
                ns.update(from: store, count: capacity)
                store.deallocate()
                store = ns
                capacity = nc
            }
            store[count] = f
            count &+= 1
        }
        let b = buffer
        let d = delimiter
        var i = from
        let startLine = line
        while true {
            // start of a field
            if i < limit && b[i] == 0x22 {
                // quoted field
                let contentStart = i + 1
                var k = contentStart
                var escapes = false
                while true {
                    if k >= limit {
                        if eof {
                            return .fatal(
                                InputError(
                                    .unterminatedQuote, Location(file: displayName, line: startLine, column: count + 1),
                                    "quoted field is never closed (opened on line \(startLine))"))
                        }
                        line = startLine
                        return .needMore
                    }
                    let c = b[k]
                    if c == 0x22 {
                        if k + 1 < limit && b[k + 1] == 0x22 { escapes = true; k += 2; continue }
                        if k + 1 >= limit && !eof { line = startLine; return .needMore }
                        break
                    }
                    if c == 0x0A { line += 1 }
                    k += 1
                }
                pushField(CSVField(start: contentStart, end: k, hasEscapes: escapes, quoted: true))
                i = k + 1
                // after the closing quote: delimiter, end of line or end of file
                if i < limit && b[i] != d && b[i] != 0x0A && b[i] != 0x0D {
                    if malformed == nil { malformed = count - 1 }
                    while i < limit && b[i] != d && b[i] != 0x0A && b[i] != 0x0D { i += 1 }
                    if i >= limit && !eof { line = startLine; return .needMore }
                }
            } else {
                let s = i
                while i < limit {
                    let c = b[i]
                    if c == d || c == 0x0A || c == 0x0D { break }
                    i += 1
                }
                if i >= limit && !eof { line = startLine; return .needMore }
                pushField(CSVField(start: s, end: i, hasEscapes: false, quoted: false))
            }
            // after a field
            if i >= limit { return .record(next: i) }  // end of file without newline
            let c = b[i]
            if c == d { i += 1; continue }
            if c == 0x0D {
                if i + 1 < limit {
                    line += 1
                    return .record(next: b[i + 1] == 0x0A ? i + 2 : i + 1)
                }
                if !eof { line = startLine; return .needMore }
                line += 1
                return .record(next: i + 1)
            }
            // newline
            line += 1
            return .record(next: i + 1)
        }
    }
}

/// The offsets of `n` bytes at `p` without their leading and trailing blanks (spaces and tabs).
@inline(__always)
func blankTrimmed(_ p: UnsafePointer<UInt8>, _ n: Int) -> Range<Int> {
    var a = 0, b = n
    while a < b && (p[a] == 0x20 || p[a] == 0x09) { a += 1 }
    while b > a && (p[b - 1] == 0x20 || p[b - 1] == 0x09) { b -= 1 }
    return a..<b
}
