import AccountHealth
import AccountHealthStudio
import ArgumentParser
import Foundation
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the studio: the portfolio, accounts, the weight tuner and the comparisons in the browser.",
        discussion: """
            Loads the data once and serves a local web application (DESIGN §11) and its API (JSON with the CLI's
            keys, described at /api/openapi.json). It listens on 127.0.0.1 unless --host says otherwise; any other
            host needs a token in the environment (HEALTHSCORE_TOKEN, or the variable --token-env names), and then
            every request needs Authorization: Bearer <token> (or open a page once with ?token=<token>, which sets
            a cookie). The token is never a flag value and never printed. The data is never written; with a token
            and --configs DIR, the tuner saves new configuration versions into that folder, the only place the
            studio writes (DESIGN §15). Ctrl-C or SIGTERM stops it.
            Examples:
              healthscore serve --data datasets/simulated
              healthscore serve --db postgresql://analyst@localhost/crm --config config.yaml --port 9000
              HEALTHSCORE_TOKEN=… healthscore serve --data datasets/simulated --host 0.0.0.0
            """
    )

    @OptionGroup var inputs: InputOptions
    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host")) var host = "127.0.0.1"
    @Option(help: ArgumentHelp("Port to listen on (0: any free port).", valueName: "port")) var port = 8080
    @Option(
        help: ArgumentHelp(
            "The environment variable holding the token every request must carry (a token is needed for any "
                + "host but loopback; it is never a flag value).", valueName: "name"))
    var tokenEnv = "HEALTHSCORE_TOKEN"

    /// The token, from the environment (a secret is never a flag value, so it shows in no process list).
    var token: String? {
        ProcessInfo.processInfo.environment[tokenEnv].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if !StudioServer.isLoopback(host) && token == nil {
            throw ValidationError(
                "--host \(host) is reachable from other machines: set a token in the environment variable "
                    + "\(tokenEnv) (every request then needs it)")
        }
        if let token, token.count < 8 {
            throw ValidationError("the token in \(tokenEnv) must be at least 8 characters")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        var loaded: Studio? = nil
        try reportingErrors(progress: !inputs.quiet) {
            // --configs names the folder the tuner saves versions into; while it holds none, the configuration
            // is the data's own.
            var sources = inputs
            if let folder = inputs.configs, try ConfigurationHistory.loadIfAny(folder) == nil { sources.configs = nil }
            let dataset = try sources.dataset(
                .all, required: [.configuration, .outcomes], timeline: .memory, command: "serve")
            loaded = try Studio(dataset: dataset, configsFolder: inputs.configs)
        }
        guard let studio = loaded else { throw ExitCode(70) }
        let (host, name) = (host, studio.dataset.timeline.name)
        let token = token
        let app = StudioServer.buildApplication(studio, settings: .init(host: host, port: port, token: token)) { p in
            note("serving \(name) on http://\(host == "::1" ? "[::1]" : host):\(p)/ (Ctrl-C stops it)")
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
