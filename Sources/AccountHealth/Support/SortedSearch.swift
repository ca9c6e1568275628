extension Array where Element: Comparable {
    /// In an ascending array: how many elements are ≤ `value` (the index of the first one above it).
    @inline(__always)
    func upperBound(_ value: Element) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if self[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// A right-continuous step function: `values[k]` from `points[k]` on, 0 before the first point.
@inline(__always)
func stepValue(points: [Double], values: [Double], at t: Double) -> Double {
    let k = points.upperBound(t)
    return k == 0 ? 0 : values[k - 1]
}
