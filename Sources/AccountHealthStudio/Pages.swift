import Hummingbird
import NIOCore

/// The pages: one HTML shell each, filled by the script from the API (no data in the HTML, so nothing from
/// the data is ever parsed as markup: the script only sets text).
enum Pages {
    struct Page: Sendable { var path: String; var name: String; var title: String }
    static let portfolio = Page(path: "/", name: "portfolio", title: "Portfolio")
    static let account = Page(path: "/accounts", name: "account", title: "Account")
    static let tune = Page(path: "/tune", name: "tune", title: "Weight tuner")
    static let managers = Page(path: "/managers", name: "managers", title: "Managers and segments")
    static let indicators = Page(path: "/indicators", name: "indicators", title: "Leading and lagging indicators")
    static let survival = Page(path: "/survival", name: "survival", title: "Time to churn")
    static let all = [portfolio, tune, managers, indicators, survival]

    static func html(_ page: Page) -> Response {
        let nav = [portfolio, tune, managers, indicators, survival].map { p in
            "<a href=\"\(p.path)\"\(p.name == page.name ? " aria-current=\"page\"" : "")>\(p.title)</a>"
        }.joined(separator: "\n      ")
        let text = """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>\(page.title) · AccountHealth studio</title>
              <link rel="stylesheet" href="/assets/app.css">
              <link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
            </head>
            <body data-page="\(page.name)">
              <header>
                <strong class="brand">AccountHealth</strong>
                <nav aria-label="Pages">
                  \(nav)
                </nav>
              </header>
              <main id="main" aria-live="polite"><h1>\(page.title)</h1><p class="muted">Loading…</p></main>
              <script src="/assets/app.js"></script>
            </body>
            </html>

            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
