import AccountHealth

/// The configuration loader on arbitrary text, then scoring a fixed state with whatever it accepted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // The metric definitions of DESIGN §9, and a derive of a fixed small log with whatever they accept.
    if let metrics = try? MetricsConfiguration.parse(yaml: text, file: "fuzz.yaml"), metrics.factors.count < 64 {
        var b = EventLogBuilder(file: "fuzz")
        for k in 0..<40 {
            b.append(account: k % 3 == 0 ? "a" : "b", microseconds: 1_704_067_200_000_000 + Int64(k) * 43_200_000_000 - Int64(k % 5) * 3_600_000_000,
                     type: ["note", "login", "task_due", "task_done", "qbr_rating"][k % 5], value: k % 4 == 0 ? nil : Double(k % 7))
        }
        var bounded = metrics
        if let s = bounded.start, let e = bounded.end, (Int(e) - Int(s)) / max(1, bounded.every) > 5000 { bounded.end = s }
        if let s = bounded.start, abs(Int(s) - 19_723) > 20_000 { bounded.start = 19_723; bounded.end = nil }
        if let e = bounded.end, abs(Int(e) - 19_723) > 20_000 { bounded.end = nil }
        _ = try? Derive.timeline(b.build(), metrics: bounded)
    }
    guard let config = try? Configuration.parse(yaml: text, file: "fuzz.yaml") else { return 0 }
    _ = config.yaml()
    let names = config.allFactorNames
    let state = AsOfState(asOf: 20_000, latestRowDay: 20_000, risk: .medium, values: names.indices.map { Double($0 * 37 % 150) - 20 },
                          valueDays: names.map { _ in 19_950 })
    for rules in [config.base] + config.segments.map(\.rules) {
        if let r = ScoreEngine(rules: rules, stateFactors: names).score(state), let s = r.score {
            precondition(s >= 0 && s <= 100, "score out of range")
        }
    }
    return 0
}
