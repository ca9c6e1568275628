/// LSD radix sort of 64-bit keys whose values fit in `bits` bits, in as few passes of at most
/// 16 bits as that needs, skipping passes whose digit is the same for all keys.
enum RadixSort {
    static func sort(_ a: inout [UInt64], bits: Int = 64) {
        let n = a.count
        if n < 4096 { a.sort(); return }
        let passes = max(1, (min(bits, 64) + 15) / 16)
        let width = UInt64((min(bits, 64) + passes - 1) / passes)
        let radix = 1 << Int(width)
        let digitMask = UInt64(radix - 1)
        let tmp = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: radix)
        defer { tmp.deallocate(); counts.deallocate() }
        a.withUnsafeMutableBufferPointer { buf in
            var src = buf.baseAddress!
            var dst = tmp
            var shift: UInt64 = 0
            for _ in 0..<passes {
                counts.initialize(repeating: 0, count: radix)
                for i in 0..<n { counts[Int((src[i] >> shift) & digitMask)] += 1 }
                if counts[Int((src[0] >> shift) & digitMask)] != n {
                    var sum = 0
                    for d in 0..<radix { let c = counts[d]; counts[d] = sum; sum += c }
                    for i in 0..<n {
                        let v = src[i]
                        let d = Int((v >> shift) & digitMask)
                        dst[counts[d]] = v
                        counts[d] += 1
                    }
                    swap(&src, &dst)
                }
                shift += width
            }
            if src != buf.baseAddress! { buf.baseAddress!.update(from: src, count: n) }
        }
    }
}
