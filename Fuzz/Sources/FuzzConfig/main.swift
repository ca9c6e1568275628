import AccountHealth

/// The configuration loader on arbitrary text, then scoring a fixed state with whatever it accepted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
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
