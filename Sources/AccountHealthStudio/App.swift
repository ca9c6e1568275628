import AccountHealth
import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The request context of the studio's routes.
public struct StudioRequestContext: RequestContext {
    /// Hummingbird's per-request storage (parameters, logger, allocator).
    public var coreContext: CoreRequestContextStorage

    /// A context for one request.
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }

    /// The request's query decoded into `T` (form encoding: `+` is a space, `%XX` a byte); a query that is not
    /// form-encoded is a 400 that says so. The fields' values are checked where they are used, with messages
    /// that name the parameter and the value.
    func query<T: Decodable>(_ type: T.Type, of request: Request) throws -> T {
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: request.uri.query ?? "")
        } catch {
            throw HTTPError(.badRequest, message: "the query is not form-encoded: \(error)")
        }
    }

    /// A path capture, percent-decoded.
    func capture(_ name: String) -> String {
        let raw = parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}

/// The studio's HTTP side (DESIGN §11): the pages, their script and style (served from the binary, no
/// external resource), and the API over `Studio`. Every answer carries `Content-Security-Policy:
/// default-src 'self'`; with a token, every request needs it.
public enum StudioServer {
    /// The most a request body may hold (1 MiB); more is a 413.
    public static let maxBody = 1 << 20

    /// Where and how the studio listens.
    public struct Settings: Sendable {
        /// The address to bind (loopback unless a token guards the server).
        public var host: String
        /// The port (0: any free port).
        public var port: Int
        /// The token every request must carry (nil on loopback: none); `/healthz` alone is open.
        public var token: String?
        /// HTTPS (`serve --tls-cert --tls-key`, see `tlsConfiguration`); nil: plain HTTP.
        public var tls: TLSConfiguration?
        /// Where the access log goes, one line per request (nil: no log).
        public var accessLog: Logger?
        /// The counters `/metrics` shows.
        public var metrics: StudioMetrics

        /// Settings for `host`, `port` and `token`, with HTTPS when `tls` is given and an access log when
        /// `accessLog` is.
        public init(
            host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, tls: TLSConfiguration? = nil,
            accessLog: Logger? = nil, metrics: StudioMetrics = StudioMetrics()
        ) {
            self.host = host
            self.port = port
            self.token = token
            self.tls = tls
            self.accessLog = accessLog
            self.metrics = metrics
        }
    }

    /// How long a connection may stay silent (a client that never finishes its request or its body included)
    /// before the server closes it.
    public static let idleTimeout = TimeAmount.seconds(30)

    /// The application `serve` runs and the tests exercise: the router of `studio` with its middleware, bound
    /// as `settings` say. `onServerRunning` receives the bound port.
    public static func buildApplication(
        _ studio: Studio, settings: Settings = Settings(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try buildApplication(LiveStudio(studio), settings: settings, onServerRunning: onServerRunning)
    }

    /// The application over a studio whose data may be reloaded (`LiveStudio`).
    public static func buildApplication(
        _ live: LiveStudio, settings: Settings = Settings(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idleTimeout))
        var logger = Logger(label: "healthscore.studio")
        logger.logLevel = settings.accessLog == nil ? .critical : .notice
        return Application(
            router: router(live, settings: settings),
            server: try settings.tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "healthscore"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }

    /// The router of the studio: pages, assets and API behind the three middleware (security headers on every
    /// answer, errors as JSON, then the token when there is one).
    public static func router(_ studio: Studio, token: String? = nil) -> Router<StudioRequestContext> {
        router(LiveStudio(studio), settings: Settings(token: token))
    }

    /// The router over a studio whose data may be reloaded: the access log and the metrics around everything,
    /// then the security headers, errors as JSON and the token; `/healthz` answers without the token.
    public static func router(_ live: LiveStudio, settings: Settings) -> Router<StudioRequestContext> {
        let router = Router(context: StudioRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: settings.accessLog, metrics: settings.metrics))
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        if let token = settings.token { router.add(middleware: TokenMiddleware(token: token)) }
        PageController().addRoutes(to: router.group())
        let metrics = settings.metrics
        router.get("/healthz") { _, _ in
            Answer(Health(status: "ok", loadedAt: live.loadedAt, accounts: live.current.accountCount))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text(live.current))))
        }
        APIController(live: live, token: settings.token).addRoutes(to: router.group("/api/v1"))
        return router
    }

    /// `GET /healthz`: `{"status": "ok", "loaded_at", "accounts"}`, nothing from the data but its size.
    struct Health: Encodable, Sendable {
        var status: String
        var loadedAt: Date
        var accounts: Int

        enum CodingKeys: String, CodingKey { case status, loadedAt = "loaded_at", accounts }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            try c.encode(f.string(from: loadedAt), forKey: .loadedAt)
            try c.encode(accounts, forKey: .accounts)
        }
    }

    /// A library call's answer; its failure becomes the HTTP error of its `FailureClass` (a bad request is a
    /// 400, an unknown account a 404), never a crash. The same table gives the command line its exit status.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as InputError where e.kind == .duplicateVersion {
            // A version id or date already taken: the request conflicts with the history (409).
            throw HTTPError(.conflict, message: "\(e)")
        } catch let e as any ClassifiedFailure {
            let message = e is ModelError ? "cannot fit: \(e)" : "\(e)"
            throw HTTPError(HTTPResponse.Status(code: e.failureClass.httpStatus), message: message)
        }
    }

    /// Heavy synchronous work (a fit, survival, a preview) on a thread of its own, so that Swift's cooperative
    /// pool, which answers every other request, is never blocked by it.
    /// The thread runs at the lowest scheduling priority (nice 19): on a machine with few cores, the quick
    /// answers (a page of scores) go first and the heavy one takes the time left.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                #if os(Linux)
                    // Linux gives each thread its own nice value: who 0 is the calling thread alone.
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                #endif
                continuation.resume(with: Result { try mapped(body) })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A file the browser saves under `filename`.
    static func download(_ text: String, type: String, filename: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether a host is the loopback interface (a server elsewhere needs a token): `Loopback.contains`.
    public static func isLoopback(_ host: String) -> Bool { Loopback.contains(host) }
}

/// The pages (one shell for every path), their script and style, the icon and the API description.
struct PageController {
    func addRoutes(to group: RouterGroup<StudioRequestContext>) {
        for path in Pages.paths {
            group.get(RouterPath(stringLiteral: path)) { _, _ in Pages.html() }
        }
        group.get("/accounts/:id") { _, _ in Pages.html() }
        // Any embedded file by its name: the name is looked up among the embedded ones, never on a disk, so no
        // path (`..`, an encoded slash) can reach another file.
        group.get("/assets/:name") { _, ctx in
            let name = ctx.capture("name")
            guard let type = Assets.types[name], EmbeddedFiles.data(name) != nil else {
                throw HTTPError(.notFound, message: "no asset \(name)")
            }
            return StudioServer.asset(Assets.file(name), type: type)
        }
        group.get("/favicon.ico") { _, _ in StudioServer.asset(Assets.icon, type: "image/svg+xml") }
        group.get("/api/openapi.json") { _, _ in StudioServer.json(Assets.openAPI) }
    }
}

/// The API (`/api/v1`): each route decodes its query, calls the studio and answers its JSON.
struct APIController {
    /// The studio served now: each request reads it once, so it is answered from one dataset.
    let live: LiveStudio
    /// The server's token (saving a version needs one).
    let token: String?

    /// `as_of`, the query of the routes that take a date.
    struct DateQuery: Decodable {
        var as_of: String?
    }

    /// `from` and `to`, the query of an account.
    struct RangeQuery: Decodable {
        var from: String?
        var to: String?
    }

    /// `horizon`, `step` and `limit`, the query of the routes that post a configuration.
    struct PanelQuery: Decodable {
        var horizon: String?
        var step: String?
        var limit: String?
    }

    /// `landmark` and `times` of the survival answer (DESIGN §14).
    struct SurvivalQuery: Decodable {
        var landmark: String?
        var times: String?
    }

    /// `horizon` and `bootstrap` of a fit, `by` of a comparison, `top` of a ranking.
    struct ModelQuery: Decodable {
        var horizon: String?
        var bootstrap: String?
        var by: String?
        var as_of: String?
        var top: String?
    }

    func addRoutes(to api: RouterGroup<StudioRequestContext>) {
        let live = self.live
        api.get("summary") { req, ctx in
            let q = try ctx.query(DateQuery.self, of: req)
            return Answer(try StudioServer.mapped { try live.current.summary(asOf: q.as_of) })
        }
        api.get("scores") { req, ctx in
            let q = try ctx.query(Studio.ScoresQuery.self, of: req)
            return Answer(try StudioServer.mapped { try live.current.scores(q) })
        }
        // The portfolio's list as `rank`'s CSV: the filters and order of /scores, every row.
        api.get("scores/export") { req, ctx in
            let q = try ctx.query(Studio.ScoresQuery.self, of: req)
            let csv = try await StudioServer.offThePool { try live.current.export(q) }
            return StudioServer.download(csv, type: "text/csv; charset=utf-8", filename: "portfolio.csv")
        }
        api.get("accounts/:id") { req, ctx in
            let q = try ctx.query(RangeQuery.self, of: req), id = ctx.capture("id")
            return Answer(try await StudioServer.offThePool { try live.current.account(id, from: q.from, to: q.to) })
        }
        // The routes that take a configuration in the body (at most `maxBody` bytes).
        typealias Posted = @Sendable (_ body: String, _ q: PanelQuery) throws -> any Encodable & Sendable
        let posted: [(String, Posted)] = [
            ("preview", { try live.current.preview(body: $0, horizon: $1.horizon, step: $1.step) }),
            ("backtest", { try live.current.backtest(body: $0, horizon: $1.horizon, step: $1.step) }),
            (
                "preview/moves",
                { try live.current.moves(body: $0, horizon: $1.horizon, step: $1.step, limit: $1.limit) }
            ),
        ]
        for (path, handler) in posted {
            api.post(RouterPath(stringLiteral: path)) { req, ctx in
                var request = req
                let body = String(buffer: try await request.collectBody(upTo: StudioServer.maxBody))
                let q = try ctx.query(PanelQuery.self, of: req)
                return Answer(try await StudioServer.offThePool { try handler(body, q) })
            }
        }
        api.get("config") { _, _ in StudioServer.json(try StudioServer.mapped { try live.current.config() }) }
        api.get("configs") { _, _ in Answer(live.current.versions()) }
        // A new version of the history (DESIGN §15): only behind a token, only into the --configs folder.
        let guarded = token != nil
        api.post("configs") { req, _ in
            guard guarded else {
                throw HTTPError(
                    .forbidden, message: "saving a version needs a token: serve with one (and with --configs DIR)")
            }
            guard live.current.configsFolder != nil else {
                throw HTTPError(
                    .forbidden, message: "this studio saves no versions: serve --configs DIR names the folder")
            }
            var request = req
            let body = String(buffer: try await request.collectBody(upTo: StudioServer.maxBody))
            let saved = try await StudioServer.offThePool { try live.current.saveVersion(body: body) }
            return Response(
                status: .created, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: saved.jsonText())))
        }
        api.post("config/yaml") { req, _ in
            var request = req
            let body = String(buffer: try await request.collectBody(upTo: StudioServer.maxBody))
            let yaml = try StudioServer.mapped { try live.current.configYAML(body: body) }
            return StudioServer.download(yaml, type: "text/yaml; charset=utf-8", filename: "config.yaml")
        }
        api.get("fit") { req, ctx in
            let q = try ctx.query(ModelQuery.self, of: req)
            return Answer(
                try await StudioServer.offThePool { try live.current.fit(horizon: q.horizon, bootstrap: q.bootstrap) })
        }
        api.get("compare") { req, ctx in
            let q = try ctx.query(ModelQuery.self, of: req)
            return Answer(try await StudioServer.offThePool { try live.current.compare(by: q.by) })
        }
        api.get("rank") { req, ctx in
            let q = try ctx.query(ModelQuery.self, of: req)
            return Answer(try await StudioServer.offThePool { try live.current.rank(asOf: q.as_of, top: q.top) })
        }
        api.get("indicators") { _, _ in Answer(try await StudioServer.offThePool { try live.current.indicators() }) }
        api.get("survival") { req, ctx in
            let q = try ctx.query(SurvivalQuery.self, of: req)
            return Answer(
                try await StudioServer.offThePool { try live.current.survival(landmark: q.landmark, times: q.times) })
        }
    }
}

/// A typed answer of the API: the value, encoded as the command line encodes it (`JSON.encode`, so an answer
/// equals the CLI's `--format json` byte for byte).
struct Answer: ResponseGenerator {
    let value: any Encodable & Sendable

    init(_ value: any Encodable & Sendable) { self.value = value }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        StudioServer.json(value.jsonText())
    }
}

/// The token, as a bearer header or the cookie a page sets after `?token=`; without it, a 401.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = StudioRequestContext
    let token: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if authorised(request) || request.uri.path == "/healthz" { return try await next(request, context) }
        if let q = try? context.query(TokenQuery.self, of: request), q.token == token, request.method == .get,
            !request.uri.path.hasPrefix("/api/")
        {
            // Opening a page with ?token=T: set the cookie and come back without the token in the address.
            return Response(
                status: .seeOther,
                headers: [
                    .location: request.uri.path,
                    .setCookie: "hs_token=\(token); Path=/; HttpOnly; SameSite=Strict",
                ])
        }
        throw HTTPError(
            .unauthorized,
            message: "a token is needed: Authorization: Bearer <token>, or open a page with ?token=<token>")
    }

    struct TokenQuery: Decodable {
        var token: String?
    }

    func authorised(_ request: Request) -> Bool {
        if let h = request.headers[.authorization], h == "Bearer \(token)" { return true }
        if let cookies = request.headers[.cookie] {
            for part in cookies.split(separator: ";")
            where part.trimmingCharacters(in: .whitespaces) == "hs_token=\(token)" { return true }
        }
        return false
    }
}

/// Every failure as JSON, `{"error", "status"}`, with its status: a route's HTTP error, NIO's too-large body
/// (413) and the like, and anything unexpected as a 500.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = StudioRequestContext

    /// The body of an error answer.
    struct Body: Encodable {
        var error: String
        var status: Int
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as HTTPError {
            return Self.error(e.status, e.body ?? e.status.reasonPhrase)
        } catch let e as any HTTPResponseError {
            return Self.error(
                e.status,
                e.status == .contentTooLarge ? "the body is over \(StudioServer.maxBody) bytes" : e.status.reasonPhrase)
        } catch let e as HTTPParserError {
            // A request the HTTP parser refused mid-body (a bad chunk size, say): the client's fault, a 400.
            return Self.error(.badRequest, "the request is malformed: \(e)")
        } catch {
            return Self.error(.internalServerError, "\(error)")
        }
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        StudioServer.json(JSON.encode(Body(error: message, status: status.code)).serialized() + "\n", status: status)
    }
}

/// The security headers on every answer, errors and refusals included.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = StudioRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // Errors already are answers here: JSONErrorMiddleware, inside this one, turns every failure into one.
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }
}
