import Foundation

/// How one simulated factor is generated and how it relates to churn (written to `truth.yaml`).
public struct SimulatedFactor: Sendable {
    /// The factor's column name.
    public var name: String
    /// Effect on the churn log-odds of one standard deviation of the factor's latent health, measured
    /// `leadDays` before the renewal (0 for factors with no causal effect).
    public var beta: Double
    /// How far before the renewal the factor's effect is measured.
    public var leadDays: Int
    /// `leading`: its latent value long before the renewal drives churn; `lagging`: it only moves in the
    /// weeks before a churn (a symptom); `noise`: no effect of its own.
    public var kind: String
    /// What the factor stands for.
    public var description: String
}

/// A seeded synthetic world of accounts, AMs, weekly health factors, renewals and churn (DESIGN §6 `simulate`).
public struct Simulator: Sendable {
    /// The number of accounts.
    public var accounts: Int
    /// The number of weeks of history.
    public var weeks: Int
    /// The seed.
    public var seed: UInt64
    /// First timeline date (a Monday).
    public var startDay: Int32 = Day.from(year: 2023, month: 1, day: 2)
    /// Write the world as a CRM activity log (`events.csv`, DESIGN §9) instead of a factor timeline: the same
    /// accounts and outcomes, and a `metrics:` section that derives the same factors from the events.
    public var events = false

    /// A world of a size, from a seed.
    public init(accounts: Int, weeks: Int, seed: UInt64) {
        self.accounts = accounts
        self.weeks = weeks
        self.seed = seed
    }

    /// The factors simulated and their truth.
    public static let factors: [SimulatedFactor] = [
        SimulatedFactor(
            name: "profile_completeness", beta: 0, leadDays: 0, kind: "noise",
            description:
                "share of CRM profile fields filled, 0-100; tracks the account's overall health but has no effect of "
                + "its own"
        ),
        SimulatedFactor(
            name: "tasks", beta: 0.45, leadDays: 90, kind: "leading",
            description: "AM task completion, 0-100; better AMs run higher"),
        SimulatedFactor(
            name: "notes", beta: 0.15, leadDays: 30, kind: "leading",
            description: "notes activity, 0-100; weak"),
        SimulatedFactor(
            name: "qbr", beta: 0.3, leadDays: 90, kind: "leading",
            description: "quarterly business review rating 1-5, one value a quarter (optional factor)"),
        SimulatedFactor(
            name: "freshness", beta: 0.35, leadDays: 30, kind: "leading",
            description: "raw days since the last contact (higher is worse: needs scale + invert)"),
        SimulatedFactor(
            name: "satisfaction", beta: 0, leadDays: 0, kind: "lagging",
            description:
                "manual 0-10 satisfaction, entered sparsely; unrelated to the account's health except that it drops "
                + "in the 60 days before a churn (a symptom); some AMs always enter 9"
        ),
        SimulatedFactor(
            name: "usage", beta: 0.8, leadDays: 120, kind: "leading",
            description: "product usage, 0-100; the strongest and earliest signal"),
        SimulatedFactor(
            name: "support_tickets", beta: 0.5, leadDays: 60, kind: "leading",
            description: "raw count of open support tickets (higher is worse: needs scale + invert)"),
    ]

    static let segments: [(name: String, share: Double, medianARR: Double, intercept: Double)] = [
        ("SMB", 0.6, 15_000, -2.0), ("Mid-Market", 0.3, 60_000, -2.5), ("Enterprise", 0.1, 240_000, -3.0),
    ]
    static let regions = ["EMEA", "NA", "APAC", "LATAM"]
    static let rho = 0.92  // weekly autocorrelation of the latent factors
    static let sharedHealth = 0.6  // loading of the account's base health on every factor
    static let amEffectOnChurn = -0.35  // log-odds per SD of AM skill
    static let lagWindow = 60  // days before a churn in which lagging factors drop

    /// What `write` wrote.
    public struct Summary: Sendable {
        /// Timeline rows.
        public var timelineRows: Int
        /// Accounts.
        public var accounts: Int
        /// Outcome rows.
        public var outcomes: Int
        /// Of them, churns.
        public var churns: Int
        /// The files written.
        public var files: [String]
    }

    /// Writes `timeline.csv`, `accounts.csv`, `outcomes.csv`, `config.yaml` and `truth.yaml` into `directory`.
    public func write(to directory: String) throws -> Summary {
        guard accounts > 0, weeks > 0 else {
            throw InputError(
                .invalidArgument, Location(file: "simulate"), "the number of accounts and of weeks must be positive")
        }
        var rng = SeededGenerator(seed: seed)
        var shuffleRng = SeededGenerator(seed: seed ^ 0x5EED_5EED_5EED_5EED)
        let nAM = max(3, min(40, accounts / 150))
        var amSkill: [Double] = []
        var amAlwaysNine: [Bool] = []
        for _ in 0..<nAM {
            amSkill.append(rng.normal())
            amAlwaysNine.append(rng.uniform() < 0.3)
        }
        let endDay = startDay + Int32(7 * (weeks - 1))
        let F = Simulator.factors
        let nf = F.count
        let burnWeeks = 26
        let totalWeeks = weeks + burnWeeks

        let timeline = try FileWriter(path: directory + (events ? "/.timeline-unused.csv" : "/timeline.csv"))
        try timeline.write("account_id,date," + F.map(\.name).joined(separator: ",") + ",risk\n")
        // The activity log draws from its own generator, so the accounts and outcomes are those of the
        // same seed's timeline world.
        var eventRng = SeededGenerator(seed: seed ^ 0xE7E7_E7E7_0123_4567)
        let eventsFile = events ? try FileWriter(path: directory + "/events.csv") : nil
        try eventsFile?.write("account_id,time,type,value\n")
        var eventCount = 0
        var eventBuffer = ByteLine()
        var accountsOut = ByteLine()
        accountsOut.append("account_id,name,am,segment,arr,renewal_date,region\n")
        var outcomesOut = ByteLine()
        outcomesOut.append("account_id,date,outcome,arr\n")

        var rows = 0, outcomes = 0, churns = 0
        var latent = LatentPaths(factors: nf, weeks: totalWeeks, burnWeeks: burnWeeks, startDay: startDay)
        var chunk = ByteLine()
        var lineStarts: [Int] = []
        let chunkSize = 2000
        let idWidth = max(6, String(accounts).count)

        func flushChunk() throws {
            // Rows of a chunk of accounts go out in shuffled order: files come in no particular order.
            var order = Array(0..<lineStarts.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, shuffleRng.int(below: i + 1)) }
            try chunk.bytes.withUnsafeBufferPointer { b in
                for i in order {
                    let s = lineStarts[i], e = i + 1 < lineStarts.count ? lineStarts[i + 1] : b.count
                    try timeline.write(bytes: UnsafeBufferPointer(rebasing: b[s..<e]))
                }
            }
            chunk.bytes.removeAll(keepingCapacity: true)
            lineStarts.removeAll(keepingCapacity: true)
        }

        for a in 0..<accounts {
            var id = String(a + 1)
            id = "A" + String(repeating: "0", count: max(0, idWidth - id.count)) + id
            let am = rng.int(below: nAM)
            let skill = amSkill[am]
            var u = rng.uniform(), seg = 0, acc = 0.0
            for (i, s) in Simulator.segments.enumerated() { acc += s.share; if u < acc { seg = i; break } }
            let segment = Simulator.segments[seg]
            let arr = (segment.medianARR * _exp(0.5 * rng.normal()) / 100).rounded() * 100
            latent.draw(skill: skill, rng: &rng)
            func latentAt(_ f: Int, day: Int32) -> Double { latent.at(f, day: day) }
            // Most accounts are customers before the window opens; one in ten signs up during it.
            let contractStart =
                rng.uniform() < 0.9
                ? startDay - 1 - Int32(rng.int(below: 364))
                : startDay + Int32(rng.int(below: max(1, Int(Double(7 * weeks) * 0.7))))
            let (churnDay, nextRenewal) = renewals(
                id: id, arr: arr, logitBase: segment.intercept + Simulator.amEffectOnChurn * skill,
                contractStart: contractStart, endDay: endDay, latent: latent, rng: &rng, into: &outcomesOut,
                outcomes: &outcomes, churns: &churns)
            accountsOut.append(id)
            accountsOut.append(",Account \(a + 1),am_")
            if am + 1 < 10 { accountsOut.append(byte: 0x30) }
            accountsOut.append(int: am + 1)
            accountsOut.append(",")
            accountsOut.append(segment.name)
            accountsOut.append(",")
            accountsOut.append(int: Int(arr))
            accountsOut.append(",")
            accountsOut.append(day: nextRenewal)
            accountsOut.append(",")
            accountsOut.append(Simulator.regions[rng.int(below: Simulator.regions.count)])
            accountsOut.append(byte: 0x0A)

            // Weekly rows from the first grid date on or after the contract start, until churn.
            var day = startDay
            if contractStart > startDay { day = startDay + Int32((Int(contractStart - startDay) + 6) / 7 * 7) }
            let qbrOffset = rng.int(below: 13)
            let lastDay = min(endDay, churnDay ?? endDay)
            if events {
                // Four weeks of activity before the first row, so its 28-day windows are full.
                var d = day - 28
                while d <= lastDay {
                    let w = Int((d - startDay) / 7)
                    let toChurn = churnDay.map { Int($0 - d) } ?? Int.max
                    let lag = toChurn <= Simulator.lagWindow ? 1 - Double(toChurn) / Double(Simulator.lagWindow) : 0
                    eventCount += weekOfEvents(
                        id: id, weekEnd: d, lag: lag, qbrWeek: (w + qbrOffset) % 13 == 0,
                        alwaysNine: amAlwaysNine[am], x: { latentAt($0, day: d) },
                        rng: &eventRng, into: &eventBuffer)
                    d += 7
                }
                if eventBuffer.bytes.count > 1 << 20 {
                    try eventBuffer.bytes.withUnsafeBufferPointer { try eventsFile!.write(bytes: $0) }
                    eventBuffer.bytes.removeAll(keepingCapacity: true)
                }
            }
            while day <= lastDay {
                let w = Int((day - startDay) / 7)
                let toChurn = churnDay.map { Int($0 - day) } ?? Int.max
                let lag = toChurn <= Simulator.lagWindow ? 1 - Double(toChurn) / Double(Simulator.lagWindow) : 0
                lineStarts.append(chunk.bytes.count)
                timelineRow(
                    id: id, day: day, lag: lag, qbrWeek: (w + qbrOffset) % 13 == 0, alwaysNine: amAlwaysNine[am],
                    latent: latent, rng: &rng, into: &chunk)
                chunk.append(byte: 0x0A)
                rows += 1
                day += 7
            }
            if (a + 1) % chunkSize == 0 { try flushChunk() }
        }
        try flushChunk()
        try timeline.close()
        if let eventsFile {
            try eventBuffer.bytes.withUnsafeBufferPointer { try eventsFile.write(bytes: $0) }
            try eventsFile.close()
            try? FileManager.default.removeItem(atPath: directory + "/.timeline-unused.csv")
        }

        try Simulator.writeFile(directory + "/accounts.csv", accountsOut.bytes)
        try Simulator.writeFile(directory + "/outcomes.csv", outcomesOut.bytes)
        let configuration =
            events ? Simulator.guessedEventsConfiguration(start: startDay) : Simulator.guessedConfiguration
        try Simulator.writeFile(directory + "/config.yaml", Array(configuration.utf8))
        let truth = truthYAML(nAM: nAM, skills: amSkill, alwaysNine: amAlwaysNine, endDay: endDay)
        try Simulator.writeFile(directory + "/truth.yaml", Array(truth.utf8))
        return Summary(
            timelineRows: events ? eventCount : rows, accounts: accounts, outcomes: outcomes, churns: churns,
            files: [
                events ? "events.csv" : "timeline.csv", "accounts.csv", "outcomes.csv", "config.yaml", "truth.yaml",
            ])
    }

    /// The account's renewal decisions inside the timeline window, in order, as outcome lines; the first churn
    /// ends the account. Returns the churn date, if any, and the next renewal date (the churn's, or the first
    /// after the window).
    func renewals(
        id: String, arr: Double, logitBase: Double, contractStart: Int32, endDay: Int32, latent: LatentPaths,
        rng: inout SeededGenerator, into out: inout ByteLine, outcomes: inout Int, churns: inout Int
    ) -> (churnDay: Int32?, nextRenewal: Int32) {
        var renewal = contractStart + 365
        while renewal <= endDay {
            if renewal >= startDay {
                var logit = logitBase
                for (f, spec) in Simulator.factors.enumerated() where spec.beta != 0 {
                    logit -= spec.beta * latent.at(f, day: renewal - Int32(spec.leadDays))
                }
                let churned = rng.uniform() < 1 / (1 + _exp(-logit))
                out.append(id)
                out.append(byte: 0x2C)
                out.append(day: renewal)
                out.append(churned ? ",churned," : ",renewed,")
                out.append(int: Int(arr))
                out.append(byte: 0x0A)
                outcomes += 1
                if churned {
                    churns += 1
                    return (renewal, renewal)
                }
            }
            renewal += 365
        }
        return (nil, renewal)
    }

    /// One weekly timeline row without its line end: the factors measured from the latent paths (a few cells
    /// missing, QBR quarterly, satisfaction sparse and falling before a churn), then the risk flag.
    func timelineRow(
        id: String, day: Int32, lag: Double, qbrWeek: Bool, alwaysNine: Bool, latent: LatentPaths,
        rng: inout SeededGenerator, into chunk: inout ByteLine
    ) {
        chunk.append(id); chunk.append(byte: 0x2C); chunk.append(day: day)
        for f in 0..<Simulator.factors.count {
            chunk.append(byte: 0x2C)
            let x = latent.at(f, day: day)
            let dense = f != 3 && f != 5  // qbr and satisfaction are sparse by design
            if dense && rng.uniform() < 0.015 { continue }  // not measured this week
            switch f {  // the order of `Simulator.factors`
            case 6: chunk.append(tenths: min(max(60 + 14 * x + 4 * rng.normal(), 0), 100))
            case 1: chunk.append(tenths: min(max(55 + 16 * x + 6 * rng.normal(), 0), 100))
            case 2: chunk.append(tenths: min(max(50 + 14 * x + 8 * rng.normal(), 0), 100))
            case 0: chunk.append(tenths: min(max(72 + 10 * x + 1.5 * rng.normal(), 0), 100))
            case 4: chunk.append(int: Int(max(0, 28 - 14 * x + 4 * rng.normal()).rounded()))
            case 7: chunk.append(int: Int(max(0, 4 - 2.5 * x + 1.2 * rng.normal()).rounded()))
            case 3:
                if qbrWeek {
                    chunk.append(int: Int(min(max(3 + 0.9 * x + 0.5 * rng.normal(), 1), 5).rounded()))
                }
            case 5:
                // Entered about one week in ten, and far more often as an account heads for churn (complaints
                // get logged).
                if rng.uniform() < 0.1 + 0.5 * lag {
                    if alwaysNine {
                        chunk.append(int: 9)
                    } else {
                        chunk.append(
                            int: Int(min(max(7 + 1.3 * x + 0.8 * rng.normal() - 5 * lag, 0), 10).rounded()))
                    }
                }
            default: break
            }
        }
        // Risk flags: set by the AM when usage and tasks look bad, and more often right before a churn.
        let trouble = -(latent.at(6, day: day) + latent.at(1, day: day)) + 2.5 * lag
        let r = rng.uniform()
        if trouble > 2.0 && r < 0.5 {
            chunk.append(",high")
        } else if trouble > 1.2 && r < 0.4 {
            chunk.append(",medium")
        } else if trouble > 0.5 && r < 0.2 {
            chunk.append(",low")
        } else {
            chunk.append(",")
        }
    }

    /// Writes bytes to a new file.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let file = try FileWriter(path: path)
        try bytes.withUnsafeBufferPointer { try file.write(bytes: $0) }
        try file.close()
    }

    /// The latent factor paths of one account: standardised AR(1) series per factor, week by week, with a
    /// burn-in before the timeline starts.
    struct LatentPaths {
        let factors: Int, weeks: Int, burnWeeks: Int, startDay: Int32
        var values: [Double]

        init(factors: Int, weeks: Int, burnWeeks: Int, startDay: Int32) {
            (self.factors, self.weeks, self.burnWeeks, self.startDay) = (factors, weeks, burnWeeks, startDay)
            values = [Double](repeating: 0, count: factors * weeks)
        }

        /// Draws the paths of an account whose manager has `skill`.
        mutating func draw(skill: Double, rng: inout SeededGenerator) {
            let base = rng.normal()
            for f in 0..<factors {
                var z = rng.normal()
                let amShift = f == 1 || f == 2 || f == 4 ? 0.35 * skill : 0  // tasks, notes, freshness
                let r = f == 0 ? 0.99 : Simulator.rho  // profile_completeness moves slowly
                let innov = (1 - r * r).squareRoot()
                // Satisfaction is a pure symptom: no loading on the account's health (its drop before a churn is
                // added by `timelineRow`).
                let loading = f == 5 ? 0 : Simulator.sharedHealth
                for w in 0..<weeks {
                    values[f * weeks + w] = loading * base + 0.8 * z + amShift
                    z = r * z + innov * rng.normal()
                }
            }
        }

        /// Factor `f`'s latent value in the week of `day`.
        @inline(__always)
        func at(_ f: Int, day: Int32) -> Double {
            let w = Int((day - startDay) / 7) + burnWeeks
            return values[f * weeks + min(max(w, 0), weeks - 1)]
        }
    }

    /// One week of CRM activity ending on `weekEnd` (events on its seven days), from the account's latent
    /// factors `x(f)` (standardised) that week: the same factors the timeline world measures, as events.
    func weekOfEvents(
        id: String, weekEnd: Int32, lag: Double, qbrWeek: Bool, alwaysNine: Bool, x: (Int) -> Double,
        rng: inout SeededGenerator, into out: inout ByteLine
    ) -> Int {
        var n = 0
        func clamp(_ v: Double, _ lo: Double, _ hi: Double) -> Double { min(max(v, lo), hi) }
        func poisson(_ lambda: Double) -> Int {
            // Knuth's method: the rates here are small.
            let l = _exp(-max(0, lambda))
            var k = 0, p = rng.uniform()
            while p > l && k < 200 { k += 1; p *= rng.uniform() }
            return k
        }
        func event(_ type: String, _ value: String?) {
            // A random moment of the week; one in five written in local time with an offset.
            let dayOffset = Int32(rng.int(below: 7))
            let minute = rng.int(below: 24 * 60)
            let utcDay = weekEnd - dayOffset
            out.append(id); out.append(byte: 0x2C)
            if rng.uniform() < 0.2 {
                let offset = [-300, -240, 60, 120, 330][rng.int(below: 5)]
                var local = minute + offset, localDay = utcDay
                if local < 0 { local += 1440; localDay -= 1 } else if local >= 1440 { local -= 1440; localDay += 1 }
                out.append(day: localDay)
                out.append(
                    "T" + two(local / 60) + ":" + two(local % 60) + ":00" + (offset < 0 ? "-" : "+")
                        + two(abs(offset) / 60) + ":" + two(abs(offset) % 60))
            } else {
                out.append(day: utcDay)
                out.append("T" + two(minute / 60) + ":" + two(minute % 60) + ":00Z")
            }
            out.append(byte: 0x2C); out.append(type); out.append(byte: 0x2C)
            if let value { out.append(value) }
            out.append(byte: 0x0A)
            n += 1
        }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        // usage: logins with the session's minutes; about 1.5 a week for a typical account.
        for _ in 0..<poisson(clamp(1.5 + 0.9 * x(6), 0, 6)) {
            event("login", String(Int(clamp(20 + 8 * x(6) + 6 * rng.normal(), 1, 120).rounded())))
        }
        // tasks: tasks fall due; each is done with the AM's completion rate.
        for _ in 0..<poisson(1.2) {
            event("task_due", nil)
            if rng.uniform() < clamp((55 + 16 * x(1)) / 100, 0.02, 0.98) { event("task_done", nil) }
        }
        // notes: written notes and call notes.
        for _ in 0..<poisson(clamp(0.9 + 0.45 * x(2), 0, 4)) { event(rng.uniform() < 0.7 ? "note" : "call_note", nil) }
        // profile_completeness: an update about once a month, with the share of fields filled.
        if rng.uniform() < 0.25 {
            event("profile_update", String(Int(clamp(72 + 10 * x(0) + 1.5 * rng.normal(), 0, 100).rounded())))
        }
        // qbr: the quarterly business review and its rating.
        if qbrWeek { event("qbr_rating", String(Int(clamp(3 + 0.9 * x(3) + 0.5 * rng.normal(), 1, 5).rounded()))) }
        // freshness: a call or meeting more often with healthier, better-run accounts (about every four weeks).
        if rng.uniform() < clamp(0.25 + 0.12 * x(4), 0.03, 0.9) { event(rng.uniform() < 0.5 ? "call" : "meeting", nil) }
        // satisfaction: a survey answer now and then, more often (and lower) as an account heads for churn.
        if rng.uniform() < 0.1 + 0.5 * lag {
            event(
                "nps_answer",
                alwaysNine ? "9" : String(Int(clamp(7 + 1.3 * x(5) + 0.8 * rng.normal() - 5 * lag, 0, 10).rounded())))
        }
        // support_tickets: tickets opened.
        for _ in 0..<poisson(clamp(0.5 - 0.3 * x(7), 0, 4)) { event("ticket_opened", nil) }
        return n
    }

    /// The administrator's guess for the activity-log world: the factors derived from the events by a
    /// `metrics:` section, weighted as in `guessedConfiguration`, with scales for the derived units.
    public static func guessedEventsConfiguration(start: Int32) -> String {
        """
        # Health-score weights as an administrator set them by hand, over factors derived from the CRM's
        # activity log (written by `healthscore simulate --events`).
        factors:
          - {name: profile_completeness, weight: 20}
          - {name: tasks, weight: 20, scale: {min: 0, max: 1}}
          - {name: notes, weight: 15, scale: {min: 0, max: 8}}
          - {name: qbr, weight: 10, optional: true, scale: {min: 1, max: 5}}
          - {name: freshness, weight: 10, scale: {min: 0, max: 120}, invert: true}
          - {name: satisfaction, weight: 15, optional: true, manual: true, scale: {min: 0, max: 10}}
          - {name: usage, weight: 5, scale: {min: 0, max: 300}}
          - {name: support_tickets, weight: 5, scale: {min: 0, max: 6}, invert: true}
        \(bandsAndPenalties)# How each factor is computed from the events (DESIGN §9): weekly, from the first Monday.
        metrics:
          every: 7
          start: \(Day.format(start))
          factors:
            - {name: profile_completeness, latest: [profile_update]}
            - {name: tasks, ratio: {numerator: [task_done], denominator: [task_due]}, window: 28}
            - {name: notes, count: [note, call_note], window: 28}
            - {name: qbr, latest: [qbr_rating], window: 120}
            - {name: freshness, days_since: [call, meeting]}
            - {name: satisfaction, mean: [nps_answer], window: 90}
            - {name: usage, sum: [login], window: 28}
            - {name: support_tickets, count: [ticket_opened], window: 28}

        """
    }

    /// The weights an administrator guessed: plausible, but not the truth.
    public static let guessedConfiguration = """
        # Health-score weights as an administrator set them by hand (written by `healthscore simulate`).
        factors:
          - {name: profile_completeness, weight: 20}
          - {name: tasks, weight: 20}
          - {name: notes, weight: 15}
          - {name: qbr, weight: 10, optional: true, scale: {min: 1, max: 5}}
          - {name: freshness, weight: 10, scale: {min: 0, max: 120}, invert: true}
          - {name: satisfaction, weight: 15, optional: true, manual: true, scale: {min: 0, max: 10}}
          - {name: usage, weight: 5}
          - {name: support_tickets, weight: 5, scale: {min: 0, max: 20}, invert: true}
        \(bandsAndPenalties)
        """

    /// The risk penalties, bands, period and staleness both guessed configurations use.
    static let bandsAndPenalties = """
        risk_penalty: {low: 5, medium: 10, high: 20}
        bands:
          - {name: red, below: 40}
          - {name: yellow, below: 70}
          - {name: green}
        period: 30
        stale_after: 90

        """

    func truthYAML(nAM: Int, skills: [Double], alwaysNine: [Bool], endDay: Int32) -> String {
        func r(_ v: Double) -> String { String((v * 1000).rounded() / 1000) }
        var s = """
            # The process that generated this dataset (healthscore simulate).
            seed: \(seed)
            accounts: \(accounts)
            weeks: \(weeks)
            first_date: \(Day.format(startDay))
            last_date: \(Day.format(endDay))
            renewal: annual, on the anniversary of a contract start drawn uniformly from a year before the first date \
            to 70% into the window
            churn_model: "logit P(churn at renewal T) = intercept(segment) + \(Simulator.amEffectOnChurn) * am_skill \
            - sum_f beta_f * latent_f(T - lead_f)"
            latent: "latent_f(t) = \(Simulator.sharedHealth) * account_health + 0.8 * AR1_f(t) (+ 0.35 * am_skill \
            for tasks, notes, freshness); AR(1) weekly rho \(Simulator.rho), standardised"
            lagging_rule: "satisfaction (no loading on account health) drops by up to 5 points and risk flags rise \
            in the \(Simulator.lagWindow) days before a churn"
            missing: "dense factors missing 1.5% of weeks; qbr once a quarter; satisfaction entered about 1 week \
            in 10, up to 6 in 10 in the 60 days before a churn"
            factors:

            """
        let total = Simulator.factors.reduce(0) { $0 + $1.beta }
        let ranked = Simulator.factors.filter { $0.beta > 0 }.sorted { $0.beta > $1.beta }.map(\.name)
        for f in Simulator.factors {
            s +=
                "  - {name: \(f.name), kind: \(f.kind), beta: \(f.beta), lead_days: \(f.leadDays), true_weight: "
                + "\(r(100 * f.beta / total))}\n"
            s += "    # \(f.description)\n"
        }
        s += "importance_order: [\(ranked.joined(separator: ", "))]\n"
        s += "segments:\n"
        for seg in Simulator.segments {
            s +=
                "  - {name: \(seg.name), share: \(seg.share), median_arr: \(Int(seg.medianARR)), intercept: "
                + "\(seg.intercept)}\n"
        }
        s += "ams:\n"
        for i in 0..<nAM {
            let name = i + 1 < 10 ? "am_0\(i + 1)" : "am_\(i + 1)"
            s +=
                "  - {name: \(name), skill: \(r(skills[i])), satisfaction_entries: "
                + "\(alwaysNine[i] ? "always_9" : "informative")}\n"
        }
        return s
    }
}
