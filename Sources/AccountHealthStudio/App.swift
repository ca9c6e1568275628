import AccountHealth
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The studio's HTTP side (DESIGN §11): the pages, their script and style (served from the binary, no
/// external resource), and the API over `Studio`. Every answer carries `Content-Security-Policy:
/// default-src 'self'`; with a token, every request needs it.
public enum StudioServer {
    /// The most a request body may hold (1 MiB); more is a 413.
    public static let maxBody = 1 << 20

    /// The router of the studio: pages, assets and API; `token` (when given) guards every route.
    public static func router(_ studio: Studio, token: String? = nil) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Guard(token: token))
        for page in Pages.all {
            router.get(RouterPath(stringLiteral: page.path)) { _, _ in Pages.html(page) }
        }
        router.get("/accounts/:id") { _, _ in Pages.html(Pages.account) }
        router.get("/assets/app.js") { _, _ in asset(Assets.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/app.css") { _, _ in asset(Assets.style, type: "text/css; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in asset(Assets.icon, type: "image/svg+xml") }
        router.get("/assets/icon.svg") { _, _ in asset(Assets.icon, type: "image/svg+xml") }
        router.get("/api/openapi.json") { _, _ in json(OpenAPI.document) }
        let api = router.group("/api/v1")
        api.get("summary") { req, _ in try answer { try studio.summary(asOf: req.uri.queryParameters.get("as_of")) } }
        api.get("scores") { req, _ in
            let q = req.uri.queryParameters
            return try answer {
                try studio.scores(Studio.ScoresQuery(asOf: q.get("as_of"), band: q.get("band"), am: q.get("am"), segment: q.get("segment"),
                                                     search: q.get("search"), sort: q.get("sort"), limit: q.get("limit"), offset: q.get("offset")))
            }
        }
        api.get("accounts/:id") { req, ctx in
            let raw = ctx.parameters.get("id") ?? ""
            let id = raw.removingPercentEncoding ?? raw
            return try answer { try studio.account(id, from: req.uri.queryParameters.get("from"), to: req.uri.queryParameters.get("to")) }
        }
        // The routes that take a configuration in the body (at most `maxBody` bytes); `q` reads the query.
        typealias Posted = @Sendable (_ body: String, _ q: @escaping (String) -> String?) throws -> String
        let posted: [(String, Posted)] = [
            ("preview", { try studio.preview(body: $0, horizon: $1("horizon"), step: $1("step")) }),
            ("backtest", { try studio.backtest(body: $0, horizon: $1("horizon"), step: $1("step")) }),
            ("preview/moves", { try studio.moves(body: $0, horizon: $1("horizon"), step: $1("step"), limit: $1("limit")) }),
        ]
        for (path, handler) in posted {
            api.post(RouterPath(stringLiteral: path)) { req, _ in
                var request = req
                let body = try await request.collectBody(upTo: maxBody)
                let q = req.uri.queryParameters
                return try answer { try handler(String(buffer: body)) { q.get($0) } }
            }
        }
        api.get("config") { _, _ in try answer { try studio.config() } }
        api.get("fit") { req, _ in try answer { try studio.fit(horizon: req.uri.queryParameters.get("horizon")) } }
        api.get("compare") { req, _ in try answer { try studio.compare(by: req.uri.queryParameters.get("by")) } }
        api.get("rank") { req, _ in
            try answer { try studio.rank(asOf: req.uri.queryParameters.get("as_of"), top: req.uri.queryParameters.get("top")) }
        }
        api.get("indicators") { _, _ in try answer { try studio.indicators() } }
        api.get("survival") { _, _ in try answer { try studio.survival() } }
        return router
    }

    /// An API answer; a library failure becomes a JSON error with its status (400 for bad data or a bad
    /// request, 404 for an unknown account), never a crash.
    static func answer(_ body: () throws -> String) throws -> Response {
        do {
            return json(try body())
        } catch let f as Studio.Failure {
            throw HTTPError(HTTPResponse.Status(code: f.status), message: f.description)
        } catch let e as InputError {
            throw HTTPError(.badRequest, message: e.description)
        } catch let e as InputErrors {
            throw HTTPError(.badRequest, message: e.description)
        } catch let e as DatasetError {
            throw HTTPError(.badRequest, message: e.description)
        } catch let e as ModelError {
            throw HTTPError(.badRequest, message: "cannot fit: \(e.description)")
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether a host name is the loopback interface (a server elsewhere needs a token).
    public static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}

/// The security rules of every request: the token (a bearer header, or the cookie the page sets after
/// `?token=`), then the security headers on every answer, errors included, as JSON.
struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if let token, !authorised(request, token) {
            if request.uri.queryParameters.get("token") == token, request.method == .get, !request.uri.path.hasPrefix("/api/") {
                // Opening a page with ?token=T: set the cookie and come back without the token in the address.
                response = Response(status: .seeOther, headers: [.location: request.uri.path,
                                                                 .setCookie: "hs_token=\(token); Path=/; HttpOnly; SameSite=Strict"])
            } else {
                response = Guard.error(.unauthorized, "a token is needed: Authorization: Bearer <token>, or open a page with ?token=<token>")
            }
        } else {
            do {
                response = try await next(request, context)
            } catch let e as HTTPError {
                response = Guard.error(e.status, e.body ?? e.status.reasonPhrase)
            } catch let e as any HTTPResponseError {
                // NIO's too-large body (413) and the like.
                response = Guard.error(e.status, e.status == .contentTooLarge ? "the body is over \(StudioServer.maxBody) bytes" : e.status.reasonPhrase)
            } catch {
                response = Guard.error(.internalServerError, "\(error)")
            }
        }
        response.headers[.contentSecurityPolicy] = "default-src 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }

    func authorised(_ request: Request, _ token: String) -> Bool {
        if let h = request.headers[.authorization], h == "Bearer \(token)" { return true }
        if let cookies = request.headers[.cookie] {
            for part in cookies.split(separator: ";") where part.trimmingCharacters(in: .whitespaces) == "hs_token=\(token)" { return true }
        }
        return false
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        StudioServer.json(JSON.object([("error", .string(message)), ("status", .int(status.code))]).serialized() + "\n", status: status)
    }
}
