import Foundation

/// The studio's script, style, icon and API description: real files in `Web/`, embedded in the binary at build
/// time by the EmbedFiles plugin (no external resource, nothing beside the binary). The script builds every
/// element with DOM calls and sets data as text, never as markup; charts are SVG built the same way, in the
/// report's visual language (band colours, muted axes).
enum Assets {
    /// The tab's icon: three bars in the band colours.
    static let icon = file("icon.svg")
    /// The pages' style.
    static let style = file("app.css")
    /// The pages' script.
    static let script = file("app.js")
    /// The API's OpenAPI 3.1 description (`GET /api/openapi.json`).
    static let openAPI = file("openapi.json")

    /// The files served under `/assets/`, with their content types (the page shell and the API description
    /// have routes of their own).
    static let types = [
        "app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml",
    ]

    /// An embedded file's text; the build embeds every file of `Web/`, so a missing name is a build error.
    static func file(_ name: String) -> String {
        guard let data = EmbeddedFiles.data(name) else { preconditionFailure("Web/\(name) is not embedded") }
        return String(decoding: data, as: UTF8.self)
    }
}
