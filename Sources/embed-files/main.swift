import Foundation

// The build tool behind the EmbedFiles plugin: `embed-files OUTPUT.swift FILE…` writes a Swift file holding
// each file's bytes as base64 (exact bytes whatever they contain, and one short literal for the compiler).
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: embed-files OUTPUT.swift FILE…\n".utf8))
    exit(64)
}
var source = """
    // Generated at build time by the EmbedFiles plugin from the target's Web/ folder: do not edit.
    import Foundation

    /// The files of the target's Web/ folder, by name.
    enum EmbeddedFiles {
        /// Each file's bytes, base64-encoded, by file name.
        static let base64: [String: String] = [

    """
var entries = 0
for path in arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("embed-files: cannot read \(path)\n".utf8))
        exit(66)
    }
    let name = URL(fileURLWithPath: path).lastPathComponent
    source += "        \"\(name)\": \"\(data.base64EncodedString())\",\n"
    entries += 1
}
if entries == 0 { source += "        :\n" }
source += """
        ]

        /// A file's bytes (nil for a name that is not embedded).
        static func data(_ name: String) -> Data? { base64[name].flatMap { Data(base64Encoded: $0) } }
    }

    """
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("embed-files: cannot write \(output): \(error)\n".utf8))
    exit(73)
}
