import AccountHealth
import Foundation
import Synchronization
import Yams

/// What the studio serves (DESIGN §11), independent of HTTP: the dataset loaded once, in memory, and the
/// answers of the API as the CLI's JSON (the same library calls and the same renderers, so an answer equals
/// the CLI's output for the same inputs, number for number). Heavy answers are kept once computed.
public final class Studio: Sendable {
    /// The dataset loaded, with the configuration history as it stands (a version saved from the tuner joins it).
    public var dataset: Dataset { state.withLock { $0 } }
    /// The configuration scores are computed under: the latest version under a history.
    public var configuration: Configuration { dataset.configuration! }
    /// The folder `serve --configs` named: the only place the studio ever writes (nil: it writes nothing).
    public let configsFolder: String?
    private let state: Mutex<Dataset>
    /// The last timeline date: the default as-of date.
    public let lastDay: Int32
    /// The first timeline date.
    public let firstDay: Int32
    /// The accounts of the timeline (what `/healthz` and `/metrics` say of the data).
    public let accountCount: Int
    /// The timeline's rows.
    public let timelineRows: Int
    private let cache = Mutex<[String: any Sendable]>([:])

    /// A request the studio refuses: a bad parameter (usage, 400) or an unknown name (404).
    public struct Failure: ClassifiedFailure, Sendable, CustomStringConvertible {
        /// How the router answers it.
        public var failureClass: FailureClass
        /// The message, naming the parameter and its value.
        public var description: String
        /// A refusal of the given class.
        public init(_ failureClass: FailureClass, _ message: String) {
            self.failureClass = failureClass; description = message
        }
    }

    /// Loads the dataset into memory (its timeline read once) and scores it at the last date. `configsFolder` is
    /// where the tuner may save new versions (DESIGN §15); the dataset's history, when it has one, is read from it.
    public init(dataset: Dataset, configsFolder: String? = nil) throws {
        let d = try dataset.inMemory()
        state = Mutex(d)
        self.configsFolder = configsFolder
        let configuration = try d.requireConfiguration("the studio")
        guard let range = try d.timeline.dateRange() else {
            throw InputError(.noRows, Location(file: d.timeline.name), "the timeline has no valid dates")
        }
        firstDay = range.first
        lastDay = range.last
        accountCount = (d.timeline as? Timeline)?.accountCount ?? 0
        timelineRows = (d.timeline as? Timeline)?.rowCount ?? 0
        timelineFactors = try d.timeline.columns().factorNames ?? configuration.allFactorNames
        // The scores at the last date (the portfolio's default), computed now: a dataset that cannot be scored
        // fails at start, not at the first request.
        let index = try Studio.index(d, at: range.last)
        indexes.withLock { $0[range.last] = index }
        // The default preview's panel, read now, so the tuner's first move is as fast as the next.
        if d.outcomes != nil { _ = try? previewPanel(BacktestOptions()) }
    }

    /// Runs `body` once per key and keeps its answer.
    /// A heavy answer, computed once per key and kept.
    func cached<T: Sendable>(_ key: String, _ body: () throws -> T) throws -> T {
        if let hit = cache.withLock({ $0[key] }) as? T { return hit }
        let value = try body()
        cache.withLock { $0[key] = value }
        return value
    }

    func day(_ text: String?, _ name: String) throws -> Int32? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = Day.parse(text) else {
            throw Failure(.usage, "\(name): not a YYYY-MM-DD date (value: \"\(text)\")")
        }
        return d
    }

    func int(_ text: String?, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw Failure(
                .usage, "\(name): a whole number from \(range.lowerBound) to \(range.upperBound) (value: \"\(text)\")")
        }
        return v
    }

    // MARK: The API (DESIGN §11): each returns a JSON document.

    /// `GET /api/v1/summary`
    public func summary(asOf: String?) throws -> Summary {
        let report = try scoreIndex(at: try day(asOf, "as_of")).report
        let bands = configuration.base.bands.map(\.name)
        var counts = [String: Int]()
        for r in report.rows { if let b = r.band { counts[b, default: 0] += 1 } }
        return Summary(
            accounts: report.timeline.accounts.count, firstDate: Day.format(firstDay), lastDate: Day.format(lastDay),
            asOf: Day.format(report.dates.last ?? lastDay), factors: report.factorNames,
            bands: bands.map { Summary.Band(name: $0, accounts: counts[$0] ?? 0) })
    }

    /// The query of `GET /api/v1/scores`.
    public struct ScoresQuery: Sendable, Decodable {
        enum CodingKeys: String, CodingKey {
            case asOf = "as_of", band, am, segment, search, sort, limit, offset, churned
        }

        /// The query parameters, as text (checked by `scores`).
        public var asOf: String?, band: String?, am: String?, segment: String?, search: String?, sort: String?,
            limit: String?, offset: String?
        /// `true`: the accounts that churned on or before the date too (by default only the active ones).
        public var churned: String?
        /// A query.
        public init(
            asOf: String? = nil, band: String? = nil, am: String? = nil, segment: String? = nil, search: String? = nil,
            sort: String? = nil, limit: String? = nil, offset: String? = nil, churned: String? = nil
        ) {
            self.asOf = asOf; self.band = band; self.am = am; self.segment = segment; self.search = search
            self.sort = sort; self.limit = limit; self.offset = offset; self.churned = churned
        }
    }

    /// The sort keys of `/api/v1/scores` (`-` in front for descending).
    static let sortKeys = [
        "account_id", "score", "change", "arr", "arr_at_risk", "churn_probability", "band", "am", "segment",
        "renewal_date",
    ]

    /// The default order of the portfolio: ARR at risk, highest first (as `rank`).
    public static let defaultSort = "-arr_at_risk"

    /// `GET /api/v1/scores`: the score rows (the CLI's JSON rows) with `am`, `segment`, `arr`, the accounts file's
    /// `renewal_date` (and `renewal_overdue` when it is before the date), `rank`'s `churn_probability` and
    /// `arr_at_risk` at the date, and `churned_on` for an account that churned on or before it; filtered, sorted
    /// (ARR at risk, highest first, unless told) and paged; `total` counts the filtered rows. Only the active
    /// accounts (no churn on or before the date) unless `churned=true`.
    public func scores(_ q: ScoresQuery) throws -> ScoresPage {
        let limit = try int(q.limit, "limit", range: 1...100_000) ?? 100
        let offset = try int(q.offset, "offset", range: 0...Int.max) ?? 0
        let (index, selected) = try portfolioRows(q)
        let page = selected.dropFirst(offset).prefix(limit).map { index.row($0) }
        return ScoresPage(
            total: selected.count, rows: Array(page),
            rankingNote: index.rankingFailure.map { "no churn probabilities at this date: \($0)" })
    }

    /// `GET /api/v1/scores/export`: every row `scores` would list for the query (no paging), in its order, as
    /// `rank`'s CSV (its columns, ranked from 1 in the list's order): with the default order and only active
    /// accounts, exactly `rank --as-of` with the same filter. A churned account has no probability, nor has any
    /// account when no ranking can be made at the date (no renewals yet).
    public func export(_ q: ScoresQuery) throws -> String {
        let (index, selected) = try portfolioRows(q)
        return Render.rankCSV(
            selected.enumerated().map { k, i in
                var r = index.rankRow(i)
                r.rank = k + 1
                return r
            })
    }

    /// The rows of the portfolio's query, filtered and in its order.
    func portfolioRows(_ q: ScoresQuery) throws -> (ScoreIndex, [Int]) {
        let index = try scoreIndex(at: try day(q.asOf, "as_of"))
        var sortKey = q.sort.flatMap { $0.isEmpty ? nil : $0 } ?? Studio.defaultSort
        let descending = sortKey.hasPrefix("-")
        if descending { sortKey.removeFirst() }
        guard Studio.sortKeys.contains(sortKey) else {
            throw Failure(
                .usage,
                "sort: one of \(Studio.sortKeys.joined(separator: ", ")), with - for descending (value: "
                    + "\"\(q.sort ?? "")\")"
            )
        }
        let withChurned: Bool
        switch q.churned ?? "" {
        case "", "false": withChurned = false
        case "true": withChurned = true
        default: throw Failure(.usage, "churned: true or false (value: \"\(q.churned ?? "")\")")
        }
        let order = index.order(sortKey, descending: descending)
        let band = q.band.flatMap { $0.isEmpty ? nil : $0 }, am = q.am.flatMap { $0.isEmpty ? nil : $0 }
        let segment = q.segment.flatMap { $0.isEmpty ? nil : $0 },
            needle = q.search.flatMap { $0.isEmpty ? nil : Array($0.lowercased().utf8) }
        var selected: [Int] = []
        for i in order {
            if !withChurned && index.churnedOn[i] != nil { continue }
            if let band, index.report.rows[i].band != band { continue }
            if let am, index.am[i] != am { continue }
            if let segment, index.segment[i] != segment { continue }
            if let needle, !ScoreIndex.contains(index.searchText[i], needle) { continue }
            selected.append(i)
        }
        return (index, selected)
    }

    /// The score rows of a date with what the portfolio filters and sorts on, and each sort's order, kept.
    final class ScoreIndex: @unchecked Sendable {
        let report: ScoreReport
        let am: [String?], segment: [String?], arr: [Double?], renewal: [Int32?]
        /// `rank` at the date (nil when it cannot rank: no outcomes before the date, a model that cannot be
        /// fitted; `rankingFailure` says why), and each row's place in it.
        let ranking: RankReport?
        let rankingFailure: String?
        let rankPosition: [Int?]
        /// The date of each row's churn, when it churned on or before the date.
        let churnedOn: [Int32?]
        /// The date of the scores.
        let day: Int32
        /// Each row's id and name, lower-cased, as bytes (a search looks for its bytes in them).
        let searchText: [[UInt8]]
        private let lock = NSLock()
        private var orders: [String: [Int]] = [:]

        init(
            _ report: ScoreReport, accounts: AccountsTable?, outcomes: OutcomesTable?,
            ranking: Result<RankReport, any Error>
        ) {
            self.report = report
            switch ranking {
            case .success(let r): (self.ranking, rankingFailure) = (r, nil)
            case .failure(let e): (self.ranking, rankingFailure) = (nil, "\(e)")
            }
            var place: [String: Int] = [:]
            for (k, r) in (self.ranking?.rows ?? []).enumerated() { place[r.accountId] = k }
            rankPosition = report.rows.map { place[$0.accountId] }
            day = report.dates.last ?? Int32.max
            let churn = Ranking.churnDates(by: day, outcomes)
            churnedOn = report.rows.map { churn[$0.accountId] }
            let k = report.rows.map { r in accounts?.row(of: r.accountId) }
            am = k.map { $0.map { accounts!.am[$0] } }
            segment = k.map { $0.map { accounts!.segment[$0] } }
            arr = k.map { $0.map { accounts!.arr[$0] } }
            renewal = k.map { $0.flatMap { accounts!.renewalDay[$0] } }
            searchText = zip(report.rows, k).map { r, k in
                Array((r.accountId + "\u{0}" + (k.flatMap { accounts!.name[$0] } ?? "")).lowercased().utf8)
            }
        }

        /// Rows in the order of a key; a missing value last either way, ties by account id.
        func order(_ key: String, descending: Bool) -> [Int] {
            let name = (descending ? "-" : "") + key
            if let o = lock.withLock({ orders[name] }) { return o }
            let rows = report.rows
            if key == "arr_at_risk" {
                // `rank`'s own order (ARR at risk, then probability, then id), reversed for ascending; rows
                // without a place in it last either way, by id.
                let ranked = rows.indices.filter { rankPosition[$0] != nil }.sorted {
                    descending ? rankPosition[$0]! < rankPosition[$1]! : rankPosition[$0]! > rankPosition[$1]!
                }
                let o =
                    ranked
                    + rows.indices.filter { rankPosition[$0] == nil }.sorted { rows[$0].accountId < rows[$1].accountId }
                lock.withLock { orders[name] = o }
                return o
            }
            func number(_ i: Int) -> Double? {
                switch key {
                case "score": return rows[i].result.score
                case "change": return rows[i].change
                case "churn_probability": return rankPosition[i].flatMap { ranking!.rows[$0].churnProbability }
                case "renewal_date": return renewal[i].map(Double.init)
                default: return arr[i]
                }
            }
            func text(_ i: Int) -> String? {
                switch key {
                case "band": return rows[i].band
                case "am": return am[i]
                case "segment": return segment[i]
                default: return rows[i].accountId
                }
            }
            let numeric = ["score", "change", "arr", "churn_probability", "renewal_date"].contains(key)
            let o = rows.indices.sorted { a, b in
                if numeric {
                    switch (number(a), number(b)) {
                    case let (x?, y?) where x != y: return descending ? x > y : x < y
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: break
                    }
                } else {
                    switch (text(a), text(b)) {
                    case let (x?, y?) where x != y: return descending ? x > y : x < y
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: break
                    }
                }
                return rows[a].accountId < rows[b].accountId
            }
            lock.withLock { orders[name] = o }
            return o
        }

        static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
            let n = needle.count
            guard n <= hay.count else { return false }
            return hay.withUnsafeBufferPointer { h in
                needle.withUnsafeBufferPointer { w in
                    var i = 0
                    while i + n <= h.count {
                        if h[i] == w[0] && memcmp(h.baseAddress! + i, w.baseAddress!, n) == 0 { return true }
                        i += 1
                    }
                    return false
                }
            }
        }

        /// One row of `/api/v1/scores`: `score`'s row, then the account's am, segment, arr and renewal date
        /// (an active account's is overdue when before the date), its churn probability and ARR at risk, and its
        /// churn date.
        public struct Row: Encodable, Sendable {
            var score: ScoreRow.Named
            var am: String?
            var segment: String?
            var arr: Double?
            var renewalDate: String?
            var renewalOverdue: Bool?
            var churnProbability: Double?
            var arrAtRisk: Double?
            var churnedOn: String?

            enum CodingKeys: String, CodingKey {
                case am, segment, arr, renewalDate = "renewal_date", renewalOverdue = "renewal_overdue"
                case churnProbability = "churn_probability", arrAtRisk = "arr_at_risk", churnedOn = "churned_on"
            }

            /// `score`'s row, then the account's attributes.
            public func encode(to encoder: any Encoder) throws {
                try score.encode(to: encoder)
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encodeIfPresent(am, forKey: .am)
                try c.encodeIfPresent(segment, forKey: .segment)
                try c.encodeIfPresent(arr, forKey: .arr)
                try c.encodeIfPresent(renewalDate, forKey: .renewalDate)
                try c.encodeIfPresent(renewalOverdue, forKey: .renewalOverdue)
                try c.encodeIfPresent(churnProbability, forKey: .churnProbability)
                try c.encodeIfPresent(arrAtRisk, forKey: .arrAtRisk)
                try c.encodeIfPresent(churnedOn, forKey: .churnedOn)
            }
        }

        func row(_ i: Int) -> Row {
            let ranked = rankPosition[i].map { ranking!.rows[$0] }
            return Row(
                score: ScoreRow.Named(report.rows[i], factorNames: report.factorNames), am: am[i], segment: segment[i],
                arr: arr[i], renewalDate: renewal[i].map(Day.format),
                renewalOverdue: churnedOn[i] == nil ? renewal[i].map { $0 < day } : nil,
                churnProbability: ranked?.churnProbability, arrAtRisk: ranked?.arrAtRisk,
                churnedOn: churnedOn[i].map(Day.format))
        }

        /// The row as `rank` lists it: its own row when ranked; else (a churned account, or no ranking) the score,
        /// band, change and account columns, with no probability and the churn date.
        func rankRow(_ i: Int) -> RankRow {
            if let k = rankPosition[i] { return ranking!.rows[k] }
            let r = report.rows[i]
            return RankRow(
                rank: 0, accountId: r.accountId, am: am[i], segment: segment[i], churnProbability: nil,
                score: r.result.score, band: r.band, change: r.change, arr: arr[i], arrAtRisk: nil,
                renewalDate: renewal[i], drivers: [], imputed: [], churnedOn: churnedOn[i])
        }
    }

    private let indexes = Mutex<[Int32: ScoreIndex]>([:])

    /// The scores of a date with `rank` at the same date (the model fitted on the outcomes dated on or before it,
    /// as `rank --as-of`); a ranking that cannot be made leaves the probabilities empty, never the scores.
    static func index(_ d: Dataset, at day: Int32) throws -> ScoreIndex {
        let scores = try Scorer.score(d, asOf: day)
        let ranking = Result { try Ranking.rank(d, asOf: day) }
        return ScoreIndex(scores, accounts: d.accounts, outcomes: d.outcomes, ranking: ranking)
    }

    func scoreIndex(at asOf: Int32?) throws -> ScoreIndex {
        let d = asOf ?? lastDay
        if let hit = indexes.withLock({ $0[d] }) { return hit }
        let index = try Studio.index(dataset, at: d)
        indexes.withLock {
            if $0.count > 16 { $0.removeAll() }; $0[d] = index
        }
        return index
    }

    /// `GET /api/v1/accounts/{id}`: the account's attributes, its raw timeline rows, its outcomes, its score
    /// at each of its timeline dates (the score JSON rows, with points per factor), and the waterfall between
    /// `from` and `to` (default: the last date and one period before it; the JSON of `explain`).
    public func account(_ id: String, from: String?, to: String?) throws -> AccountDetail {
        guard let timeline = dataset.timeline as? Timeline, let code = timeline.summary.accounts.lookup(id) else {
            throw Failure(.notFound, "no account \(id)")
        }
        let range = timeline.rows(ofAccount: code)
        guard !range.isEmpty else { throw Failure(.notFound, "account \(id) has no timeline rows") }
        let end = try day(to, "to") ?? timeline.days[range.last!]
        let segment = dataset.accounts.flatMap { t in t.row(of: id).map { t.segment[$0] } }
        let start =
            try day(from, "from")
            ?? max(timeline.days[range.first!], end - Int32(configuration.rules(forSegment: segment).period))
        guard start < end else { throw Failure(.usage, "from must be before to") }
        // The account alone, scored at each of its timeline dates.
        var builder = TimelineBuilder(name: timeline.name, factors: timeline.factors, hasRisk: timeline.summary.hasRisk)
        for i in range {
            try builder.append(
                account: id, day: timeline.days[i], risk: RiskLevel(rawValue: timeline.risks[i]),
                values: timeline.values.map { $0[i].isNaN ? nil : $0[i] })
        }
        var one = dataset
        one.timeline = try builder.build()
        var detail = AccountDetail(accountId: id, from: start, to: end)
        for d in range.map({ timeline.days[$0] }) {
            let r = try Scorer.score(one, asOf: d)
            detail.factors = r.factorNames
            detail.scores += r.rows.map { ScoreRow.Named($0, factorNames: r.factorNames) }
        }
        detail.waterfall = try Explainer.explain(dataset, accountId: id, from: start, to: end)
        detail.timeline = range.map { i in
            let risk =
                timeline.risks[i] == TimelineReader.riskUnspecified
                ? nil : RiskLevel(rawValue: timeline.risks[i])?.description
            return AccountDetail.RawRow(
                date: Day.format(timeline.days[i]), risk: risk, factors: timeline.factors,
                values: timeline.values.map { $0[i].isNaN ? nil : $0[i] })
        }
        if let o = dataset.outcomes {
            for i in 0..<o.count where o.accountIds[i] == id {
                detail.outcomes.append(
                    .init(date: Day.format(o.day[i]), outcome: o.churned[i] ? "churned" : "renewed", arr: o.arr[i]))
            }
        }
        if let t = dataset.accounts, let k = t.row(of: id) {
            detail.attributes = .init(
                name: t.name[k], am: t.am[k], segment: t.segment[k], arr: t.arr[k],
                renewalDate: t.renewalDay[k].map(Day.format))
        }
        return detail
    }

    /// `POST /api/v1/preview`: the body is a configuration as JSON (the YAML schema); `horizon` and `step` come
    /// from the query or from the body's own keys of those names. The answer is `backtest --against` of the saved
    /// configuration against it. A bad configuration is a 400 with the message `backtest --against` would give.
    public func preview(body: String, horizon: String? = nil, step: String? = nil) throws -> BacktestReport {
        let (panel, saved, other) = try previewRequest(body: body, horizon: horizon, step: step)
        return panel.report(current: saved, against: ("request body", panel.scores(other)))
    }

    /// `POST /api/v1/backtest`: the JSON of `backtest --config` for the body's configuration alone (its own
    /// calibration, per-cutoff AUC and bands), from the same panel as the preview.
    public func backtest(body: String, horizon: String? = nil, step: String? = nil) throws -> BacktestReport {
        let (panel, _, other) = try previewRequest(body: body, horizon: horizon, step: step)
        return panel.report(current: panel.scores(other))
    }

    /// `POST /api/v1/preview/moves?limit=`: the accounts that change band on the last date if the body's
    /// configuration replaced the saved one (the off-diagonal cells of the preview's band × band matrix), the
    /// largest score changes first: `{"date", "total", "accounts": [{"account_id", "am", "segment", "arr",
    /// "from_band", "to_band", "from_score", "to_score"}]}`. Each is what `score` gives under either configuration.
    public func moves(
        body: String, horizon: String? = nil, step: String? = nil, limit: String? = nil
    ) throws -> BandMoves {
        let n = try int(limit, "limit", range: 1...100_000) ?? 50
        let (panel, saved, other) = try previewRequest(body: body, horizon: horizon, step: step)
        let moves = panel.bandMoves(current: saved, other: panel.scores(other))
        let t = dataset.accounts
        let listed = moves.prefix(n).map { m in
            let k = t?.row(of: m.accountId)
            return BandMoves.Move(
                accountId: m.accountId, am: k.map { t!.am[$0] }, segment: k.map { t!.segment[$0] },
                arr: k.flatMap { t!.arr[$0] }, fromBand: m.fromBand, toBand: m.toBand, fromScore: m.fromScore,
                toScore: m.toScore)
        }
        return BandMoves(date: Day.format(panel.lastDay), total: moves.count, accounts: listed)
    }

    /// A preview's request: the configuration of the body, checked against the timeline, and the panel of the
    /// horizon and step with the saved configuration's scores.
    func previewRequest(
        body: String, horizon: String?, step: String?
    ) throws -> (BacktestPanel, PanelScores, Configuration) {
        // A step of at least a week: the panel holds every account at every cutoff while it is read (on 100 k
        // accounts × 2 years, `backtest --step 7` peaks at 1.7 GB, a step of 1 would take about seven times as
        // much), and a request must not take the server's memory.
        let ranges = ["horizon": 1...3650, "step": 7...3650]
        var h = try int(horizon, "horizon", range: ranges["horizon"]!) ?? 90
        var st = try int(step, "step", range: ranges["step"]!) ?? 30
        let (other, object) = try postedConfiguration(body, extraKeys: ["horizon", "step"])
        for k in ["horizon", "step"] where object[k] != nil {
            let range = ranges[k]!
            guard let n = object[k] as? Int, range.contains(n) else {
                throw Failure(.usage, "\(k): a whole number of days from \(range.lowerBound) to \(range.upperBound)")
            }
            if k == "horizon" { h = n } else { st = n }
        }
        let (panel, saved) = try previewPanel(BacktestOptions(horizon: h, step: st))
        try panel.check(other, file: "request body")
        return (panel, saved, other)
    }

    /// A posted configuration: a JSON object with the keys of config.yaml (`extraKeys` are the request's own
    /// and are set aside), parsed by the library as the file would be. Its located errors (InputError) are the
    /// router's 400s, as every library error is.
    func postedConfiguration(_ body: String, extraKeys: [String] = []) throws -> (Configuration, [String: Any]) {
        let object = try jsonObject(
            body, shape: "a JSON object: a configuration, with the keys of config.yaml")
        guard extraKeys.contains(where: { object[$0] != nil }) else {
            return (try Configuration.parse(yaml: body, file: "request body"), object)
        }
        var rest = object
        for k in extraKeys { rest[k] = nil }
        return (try configuration(rest), object)
    }

    /// A request body that must be a JSON object; `shape` says what it must be, in the refusal.
    func jsonObject(_ body: String, shape: String) throws -> [String: Any] {
        do {
            guard let o = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                throw Failure(.usage, "the body must be \(shape)")
            }
            return o
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(.usage, "the body is not valid JSON: \((error as NSError).localizedDescription)")
        }
    }

    /// A configuration given as a JSON object with the keys of config.yaml, parsed by the library as the file
    /// would be.
    func configuration(_ object: [String: Any]) throws -> Configuration {
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        return try Configuration.parse(yaml: text, file: "request body")
    }

    /// The timeline's factor columns: what a preview's configuration may weigh.
    let timelineFactors: [String]
    private let panels = Mutex<[String: (BacktestPanel, PanelScores)]>([:])

    /// The backtest panel of a horizon and step, with every timeline factor (so any configuration of the
    /// dataset can be previewed from it), and the saved configuration's scores on it: read once, kept.
    func previewPanel(_ options: BacktestOptions) throws -> (BacktestPanel, PanelScores) {
        func name(_ o: BacktestOptions) -> String { "\(o.horizon) \(o.step)" }
        let key = name(options)
        if let hit = panels.withLock({ $0[key] }) { return hit }
        let panel = try BacktestPanel(dataset, options: options, factors: timelineFactors)
        let kept = (panel, panel.scores(configuration))
        // Up to four panels, and about 2 GB of values in all; the default one stays.
        panels.withLock { cache in
            let size = cache.values.reduce(panel.storedValues) { $0 + $1.0.storedValues }
            if cache.count >= 4 || size > 250_000_000 { cache = cache.filter { $0.key == name(BacktestOptions()) } }
            cache[key] = kept
        }
        return kept
    }

    /// `GET /api/v1/configs`: the configuration history, `config list`'s JSON (`{"versions": []}` without one).
    public func versions() -> VersionList { VersionList(history: dataset.history) }

    /// The answer of `GET /api/v1/configs`.
    public struct VersionList: Encodable, Sendable {
        var history: ConfigurationHistory?
        enum CodingKeys: String, CodingKey { case versions }
        /// `{"versions": [...]}`.
        public func encode(to encoder: any Encoder) throws {
            if let history { return try history.encode(to: encoder) }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode([ConfigurationVersion](), forKey: .versions)
        }
    }

    /// What `POST /api/v1/configs` created: `{"id", "file"}`.
    public struct SavedVersion: Encodable, Sendable {
        /// The new version's id.
        public var id: String
        /// The file written.
        public var file: String
    }

    /// `POST /api/v1/configs`: `{"configuration": <the configuration as JSON>, "version": {"id", "effective_from",
    /// "author", "note"}}` becomes a new version of the history in `configsFolder`, with its evidence (what
    /// `config new` writes, and the same refusals: a duplicate id or date is a `duplicateVersion` error). The
    /// history is read again from the folder, and every kept answer is dropped, so the portfolio and the accounts
    /// show scores under the new history at once.
    public func saveVersion(body: String) throws -> SavedVersion {
        guard let folder = configsFolder else {
            throw Failure(.usage, "this studio saves no versions: serve --configs DIR names the folder")
        }
        let object = try jsonObject(body, shape: "{\"configuration\": {…}, \"version\": {…}}")
        guard let c = object["configuration"] as? [String: Any], let v = object["version"] as? [String: Any] else {
            throw Failure(.usage, "the body must be {\"configuration\": {…}, \"version\": {…}}")
        }
        guard let id = v["id"] as? String, !id.isEmpty else { throw Failure(.usage, "version.id: missing") }
        guard let dateText = v["effective_from"] as? String else {
            throw Failure(.usage, "version.effective_from: missing")
        }
        guard let effective = Day.parse(dateText) else {
            throw Failure(.usage, "version.effective_from: not a YYYY-MM-DD date (value: \"\(dateText)\")")
        }
        let configuration = try configuration(c)
        try configuration.check(againstTimelineFactors: timelineFactors, file: "request body")
        return try saving.withLock { _ in
            let d = dataset
            let history = try ConfigurationHistory.loadIfAny(folder)
            let file = (folder as NSString).appendingPathComponent("\(Day.format(effective))-\(id).yaml")
            let (version, _) = try ConfigurationHistory.newVersion(
                configuration, id: id, effectiveFrom: effective, author: v["author"] as? String,
                note: v["note"] as? String, history: history, dataset: d, file: file)
            let path = try ConfigurationHistory.write(version, directory: folder)
            let updated = try ConfigurationHistory.load(directory: folder)
            state.withLock { $0.history = updated }
            cache.withLock { $0.removeAll() }
            indexes.withLock { $0.removeAll() }
            panels.withLock { $0.removeAll() }
            return SavedVersion(id: id, file: path)
        }
    }

    /// One save at a time: the check of the folder and the write are one step.
    private let saving = Mutex<Void>(())

    /// `GET /api/v1/config`: the saved configuration as JSON (the YAML schema), what the tuner starts from.
    public func config() throws -> String {
        try cached("config") {
            let tree = try Yams.load(yaml: configuration.yaml()) ?? [:]
            return String(
                decoding: try JSONSerialization.data(withJSONObject: tree, options: [.prettyPrinted, .sortedKeys]),
                as: UTF8.self) + "\n"
        }
    }

    /// `POST /api/v1/config/yaml`: the body's configuration (JSON with the keys of config.yaml) checked against
    /// the timeline's factors and written by the library's configuration writer, what the tuner's "save"
    /// downloads: `score --config` reads it back as the same configuration.
    public func configYAML(body: String) throws -> String {
        let (configuration, _) = try postedConfiguration(body)
        try configuration.check(againstTimelineFactors: timelineFactors, file: "request body")
        return "# Saved from the AccountHealth studio\n" + configuration.yaml()
    }

    /// `GET /api/v1/fit?horizon=&bootstrap=`: the JSON of `fit`, with bootstrap intervals on the suggested
    /// weights and penalties (50 resamples of accounts unless `bootstrap` says otherwise; 0 for none).
    public func fit(horizon: String?, bootstrap: String? = nil) throws -> FitReport {
        let h = try int(horizon, "horizon", range: 0...3650) ?? 90
        let b = try int(bootstrap, "bootstrap", range: 0...1000) ?? 50
        return try cached("fit \(h) \(b)") {
            let obs = try Observations.build(
                dataset, factors: configuration.base.factors.map(\.name), options: ObservationOptions(horizons: [h]))[0]
            return try FitAnalysis.run(obs, rules: configuration.base, options: FitOptions(bootstrap: b))
        }
    }

    /// `GET /api/v1/compare?by=`: the JSON of `compare`.
    public func compare(by: String?) throws -> ComparisonReport {
        let column = by.flatMap { $0.isEmpty ? nil : $0 } ?? "am"
        return try cached("compare \(column)") {
            try Portfolio.compare(dataset, by: column)
        }
    }

    /// `GET /api/v1/rank?as_of=&top=`: the JSON of `rank`.
    public func rank(asOf: String?, top: String?) throws -> RankReport {
        let d = try day(asOf, "as_of"), t = try int(top, "top", range: 1...1_000_000)
        return try cached("rank \(d.map(String.init) ?? "") \(t.map(String.init) ?? "")") {
            // The portfolio's ranking of the date, when it has one and the whole list is asked for.
            if t == nil, let r = try scoreIndex(at: d).ranking { return r }
            return try Ranking.rank(dataset, asOf: d, top: t)
        }
    }

    /// `GET /api/v1/indicators`: the JSON of `indicators`.
    public func indicators() throws -> IndicatorReport {
        try cached("indicators") { try Indicators.run(dataset) }
    }

    /// `GET /api/v1/survival?landmark=&times=`: the JSON of `survival`; with `landmark` (a date, or `auto`: 180
    /// days before the last timeline date) that of `survival --landmark --times` (default 30,60,90,150), whose
    /// `evaluation` the page draws (DESIGN §14).
    public func survival(landmark: String? = nil, times: String? = nil) throws -> SurvivalReport {
        let at: Int32? = landmark == "auto" ? lastDay - 180 : try day(landmark, "landmark")
        var evaluationTimes: [Int]? = nil
        if let at {
            evaluationTimes = [30, 60, 90, 150]
            if let times, !times.isEmpty {
                evaluationTimes = try times.split(separator: ",", omittingEmptySubsequences: false).map {
                    guard let v = Int($0.trimmingCharacters(in: .whitespaces)) else {
                        throw Failure(.usage, "times: whole days separated by commas (value: \"\(times)\")")
                    }
                    return v
                }
            }
        }
        let timesKey = evaluationTimes.map { $0.map(String.init).joined(separator: ",") } ?? "-"
        let key = "survival \(at.map(Day.format) ?? "-") \(timesKey)"
        return try cached(key) {
            let design = try SurvivalDesign.build(dataset, options: SurvivalDesignOptions(landmark: at))
            // As `survival --format json` runs it: no per-account predictions.
            return try SurvivalAnalysis.run(
                design,
                options: SurvivalOptions(
                    models: at == nil ? .both : .cox, predict: false, landmarkTimes: evaluationTimes))
        }
    }
}

/// `GET /api/v1/accounts/{id}`'s answer: the account's attributes, its scores at each timeline date, its raw
/// rows, its outcomes, and `explain`'s waterfall between `from` and `to`.
public struct AccountDetail: Encodable, Sendable {
    /// The accounts file's columns for the account (absent without an accounts file).
    struct Attributes {
        var name: String?
        var am: String
        var segment: String
        var arr: Double?
        var renewalDate: String?
    }

    /// One renewal decision.
    struct Outcome: Encodable {
        var date: String
        var outcome: String
        var arr: Double?
    }

    var accountId: String
    var attributes: Attributes?
    var from: Int32
    var to: Int32
    var factors: [String] = []
    var scores: [ScoreRow.Named] = []
    /// One raw timeline row: its date, risk and each factor's value (nil when empty), keyed by the columns.
    struct RawRow: Encodable {
        var date: String
        var risk: String?
        var factors: [String]
        var values: [Double?]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: NameKey.self)
            try c.encode(date, forKey: NameKey("date"))
            try c.encodeIfPresent(risk, forKey: NameKey("risk"))
            for (name, v) in zip(factors, values) { try c.encodeIfPresent(v, forKey: NameKey(name)) }
        }
    }

    /// The raw rows, in date order.
    var timeline: [RawRow] = []
    var outcomes: [Outcome] = []
    var waterfall: Waterfall?

    init(accountId: String, from: Int32, to: Int32) {
        self.accountId = accountId
        self.from = from
        self.to = to
    }

    enum CodingKeys: String, CodingKey {
        case accountId = "account_id", name, am, segment, arr, renewalDate = "renewal_date", from, to, factors, scores
        case timeline, outcomes, waterfall
    }

    /// The account's detail, as `/api/v1/accounts/{id}` answers it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accountId, forKey: .accountId)
        if let a = attributes {
            try c.encodeIfPresent(a.name, forKey: .name)
            try c.encode(a.am, forKey: .am)
            try c.encode(a.segment, forKey: .segment)
            try c.encodeIfPresent(a.arr, forKey: .arr)
            try c.encodeIfPresent(a.renewalDate, forKey: .renewalDate)
        }
        try c.encode(Day.format(from), forKey: .from)
        try c.encode(Day.format(to), forKey: .to)
        try c.encode(factors, forKey: .factors)
        try c.encode(scores, forKey: .scores)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encodeIfPresent(waterfall, forKey: .waterfall)
    }
}

/// `POST /api/v1/preview/moves`'s answer: the accounts that change band on the last date.
public struct BandMoves: Encodable, Sendable {
    /// One account that changes band, with its scores under both configurations.
    public struct Move: Encodable, Sendable {
        var accountId: String
        var am: String?
        var segment: String?
        var arr: Double?
        var fromBand: String
        var toBand: String
        var fromScore: Double
        var toScore: Double

        enum CodingKeys: String, CodingKey {
            case accountId = "account_id", am, segment, arr, fromBand = "from_band", toBand = "to_band"
            case fromScore = "from_score", toScore = "to_score"
        }
    }

    var date: String
    var total: Int
    var accounts: [Move]
}

/// `GET /api/v1/summary`'s answer.
public struct Summary: Encodable, Sendable {
    /// A band and its accounts at the date.
    public struct Band: Encodable, Sendable {
        var name: String
        var accounts: Int
    }

    var accounts: Int
    var firstDate: String
    var lastDate: String
    var asOf: String
    var factors: [String]
    var bands: [Band]

    enum CodingKeys: String, CodingKey {
        case accounts, firstDate = "first_date", lastDate = "last_date", asOf = "as_of", factors, bands
    }
}

/// `GET /api/v1/scores`' answer: the rows that pass the filters, and how many there are in all.
public struct ScoresPage: Encodable, Sendable {
    var total: Int
    var rows: [Studio.ScoreIndex.Row]
    /// Why the rows have no churn probability, when `rank` cannot rank at the date (no renewals yet, say).
    var rankingNote: String? = nil

    enum CodingKeys: String, CodingKey { case total, rows, rankingNote = "ranking_note" }
}
