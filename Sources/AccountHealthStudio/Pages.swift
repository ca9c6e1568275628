import Hummingbird
import NIOCore

/// The pages: one HTML shell (`Web/page.html`) for every path, filled by the script from the API (no data in
/// the HTML, so nothing from the data is ever parsed as markup: the script only sets text). The script reads
/// the path to pick the page.
enum Pages {
    /// The paths that answer with the shell (an account's page is `/accounts/:id`).
    static let paths = ["/", "/tune", "/managers", "/indicators", "/survival"]

    /// The shell, as the browser gets it.
    static let shell = Assets.file("page.html")

    /// The shell as a response.
    static func html() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: shell)))
    }
}
