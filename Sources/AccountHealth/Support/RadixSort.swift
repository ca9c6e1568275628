/// Sorting doubles by their bits: the orders that ranks, AUCs, lifts and calibrations need, in O(n).
enum RadixSort {
    /// The key of a double whose unsigned order is the double's order (-0 and +0 share one key; NaN must not
    /// occur).
    @inline(__always)
    static func key(_ x: Double) -> UInt64 {
        let b = (x + 0.0).bitPattern
        return b & (1 << 63) != 0 ? ~b : b | (1 << 63)
    }

    /// The positions of `v` in ascending order, equal values in position order: the order of
    /// `indices.sorted { (v[$0], $0) < (v[$1], $0) }`. A stable least-significant-digit radix sort on 16-bit
    /// digits, skipping the digits that every key shares (scores in 0–100 share most of their high bits); a
    /// comparison sort below a few thousand values, where the digit tables would cost more than they save.
    static func ascendingOrder(_ v: UnsafeBufferPointer<Double>) -> [Int32] {
        let n = v.count
        if n < 2048 {
            var order = (0..<Int32(n)).map { $0 }
            order.sort { a, b in
                let x = v[Int(a)] + 0.0, y = v[Int(b)] + 0.0
                return x < y || (x == y && a < b)
            }
            return order
        }
        var keys = [UInt64](unsafeUninitializedCapacity: n) { b, c in
            for i in 0..<n { b[i] = key(v[i]) }
            c = n
        }
        var order = (0..<Int32(n)).map { $0 }
        var counts = [Int](repeating: 0, count: 4 << 16)
        counts.withUnsafeMutableBufferPointer { h in
            for k in keys {
                h[Int(k & 0xFFFF)] += 1
                h[(1 << 16) + Int((k >> 16) & 0xFFFF)] += 1
                h[(2 << 16) + Int((k >> 32) & 0xFFFF)] += 1
                h[(3 << 16) + Int(k >> 48)] += 1
            }
        }
        var keys2 = [UInt64](repeating: 0, count: n)
        var order2 = [Int32](repeating: 0, count: n)
        for digit in 0..<4 {
            let shift = UInt64(digit * 16), base = digit << 16
            // A digit every key shares moves nothing.
            if counts[base + Int((keys[0] >> shift) & 0xFFFF)] == n { continue }
            counts.withUnsafeMutableBufferPointer { h in
                var sum = 0
                for d in 0..<(1 << 16) { let c = h[base + d]; h[base + d] = sum; sum += c }
                keys.withUnsafeBufferPointer { k in
                    order.withUnsafeBufferPointer { o in
                        keys2.withUnsafeMutableBufferPointer { k2 in
                            order2.withUnsafeMutableBufferPointer { o2 in
                                for i in 0..<n {
                                    let d = base + Int((k[i] >> shift) & 0xFFFF)
                                    let at = h[d]
                                    h[d] = at + 1
                                    k2[at] = k[i]
                                    o2[at] = o[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &keys2)
            swap(&order, &order2)
        }
        return order
    }

    static func ascendingOrder(_ v: [Double]) -> [Int32] {
        v.withUnsafeBufferPointer { ascendingOrder($0) }
    }
}
