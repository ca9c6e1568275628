import Foundation
import Testing
import TestSupport

/// Runs the walk-throughs in notebooks-md/: in every ```console block, each `$ healthscore …` line is run
/// (from the repository root, `$TMP` replaced by a temporary directory, and that directory written back as
/// `$TMP` in the output) and its standard output must equal
/// the lines that follow it: text and integers exactly, other numbers to 1e-9 relative (`NumericText`: another
/// processor's OpenBLAS kernel sums in another order). HEALTHSCORE_RECORD=1 rewrites the expected output instead.
/// Arguments split at spaces, except inside double quotes. A walk-through that mentions `$RECEIVER` gets a real
/// webhook receiver on 127.0.0.1 (`Tests/WebhookTests/receiver.py`, which checks each signature with Python's
/// hmac): `$RECEIVER` is its URL, the commands see its secret in `HS_NOTEBOOK_SECRET`, and every delivery must
/// have arrived signed.
@Suite(.serialized) struct NotebookTests {
    static let dir = CLI.packageRoot + "/notebooks-md"
    static var notebooks: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
    }

    @Test func atLeastFourWalkThroughs() { #expect(Self.notebooks.count >= 4) }

    @Test(arguments: NotebookTests.notebooks)
    func walkThroughOutputIsCurrent(_ name: String) throws {
        let path = "\(Self.dir)/\(name)"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let record = ProcessInfo.processInfo.environment["HEALTHSCORE_RECORD"] == "1"
        let tmp = Dir()
        let secret = "whsec_" + Data("notebook-secret-\(name)".utf8).base64EncodedString()
        let receiver = text.contains("$RECEIVER") ? try Receiver(secret: secret) : nil
        var out: [String] = []
        var lines = text.components(separatedBy: "\n")[...]
        var commands = 0
        while let line = lines.popFirst() {
            out.append(line)
            guard line == "```console" else { continue }
            // A console block: commands and their expected output, up to the closing fence.
            var block: [String] = []
            while let l = lines.first, l != "```" { block.append(l); lines.removeFirst() }
            var i = 0
            while i < block.count {
                let cmd = block[i]
                guard cmd.hasPrefix("$ healthscore ") else { out.append(cmd); i += 1; continue }
                var expected: [String] = []
                var j = i + 1
                while j < block.count && !block[j].hasPrefix("$ ") { expected.append(block[j]); j += 1 }
                let args = Self.arguments(String(cmd.dropFirst("$ healthscore ".count))).map {
                    $0.replacingOccurrences(of: "$TMP", with: tmp.path)
                        .replacingOccurrences(of: "$RECEIVER", with: "http://127.0.0.1:\(receiver?.port ?? 0)/hook")
                }
                let r = try CLI.run(args, cwd: CLI.packageRoot, environment: ["HS_NOTEBOOK_SECRET": secret])
                #expect(r.status == 0, "\(name): `\(cmd)` exited \(r.status): \(r.err)")
                // Paths under the temporary directory are written back as $TMP, so the output is the same every run.
                let text = r.out.replacingOccurrences(of: tmp.path, with: "$TMP")
                let actual = text.hasSuffix("\n") ? String(text.dropLast()).components(separatedBy: "\n") : (text.isEmpty ? [] : text.components(separatedBy: "\n"))
                if !record, let diff = NumericText.difference(actual.joined(separator: "\n"), expected.joined(separator: "\n")) {
                    Issue.record("\(name): output of `\(cmd)` changed: \(diff) (HEALTHSCORE_RECORD=1 swift test --filter NotebookTests refreshes it)")
                }
                out.append(cmd)
                out += record ? actual : expected
                commands += 1
                i = j
            }
        }
        #expect(commands > 0, "\(name) runs no command")
        if let receiver {
            let got = try receiver.requests()
            #expect(!got.isEmpty && got.allSatisfy { $0["signature_ok"] as? Bool == true }, "\(name): \(got)")
        }
        if record { try out.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8) }
    }

    /// A command line's arguments: split at spaces, a double-quoted part kept whole (without its quotes).
    static func arguments(_ line: String) -> [String] {
        var args: [String] = [], current = "", quoted = false, any = false
        for c in line {
            if c == "\"" { quoted.toggle(); any = true; continue }
            if c == " " && !quoted {
                if any || !current.isEmpty { args.append(current) }
                current = ""; any = false
                continue
            }
            current.append(c)
        }
        if any || !current.isEmpty { args.append(current) }
        return args
    }
}
