/// LSD radix sort of 64-bit keys, 16 bits a pass, skipping passes whose digit is the same for all keys.
enum RadixSort {
    static func sort(_ a: inout [UInt64]) {
        let n = a.count
        if n < 4096 { a.sort(); return }
        let tmp = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 65536)
        defer { tmp.deallocate(); counts.deallocate() }
        a.withUnsafeMutableBufferPointer { buf in
            var src = buf.baseAddress!
            var dst = tmp
            var shift: UInt64 = 0
            while shift < 64 {
                counts.initialize(repeating: 0, count: 65536)
                for i in 0..<n { counts[Int((src[i] >> shift) & 0xFFFF)] += 1 }
                if counts[Int((src[0] >> shift) & 0xFFFF)] != n {
                    var sum = 0
                    for d in 0..<65536 { let c = counts[d]; counts[d] = sum; sum += c }
                    for i in 0..<n {
                        let v = src[i]
                        let d = Int((v >> shift) & 0xFFFF)
                        dst[counts[d]] = v
                        counts[d] += 1
                    }
                    swap(&src, &dst)
                }
                shift += 16
            }
            if src != buf.baseAddress! { buf.baseAddress!.update(from: src, count: n) }
        }
    }
}
