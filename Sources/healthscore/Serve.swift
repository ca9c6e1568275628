import AccountHealth
import AccountHealthStudio
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOSSL
import ServiceLifecycle

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
            studio writes (DESIGN §15). Ctrl-C or SIGTERM stops it, after the requests in flight (up to
            --stop-timeout seconds, 10 by default).

            As a team's service (DESIGN §11): --tls-cert and --tls-key serve HTTPS; GET /healthz answers without
            the token ({"status", "loaded_at", "accounts"}); GET /metrics answers Prometheus's text format (behind
            the token when there is one); every request gets one access-log line on stderr (method, route, status,
            milliseconds: never the query string, the token or a cookie; --no-access-log turns it off); SIGHUP
            reads the data again in the background (the files, or the database with --db) and serves it once it is
            loaded, keeping the old data when the new cannot be read.
            Examples:
              healthscore serve --data datasets/simulated
              healthscore serve --db postgresql://analyst@localhost/crm --config config.yaml --port 9000
              HEALTHSCORE_TOKEN=… healthscore serve --data datasets/simulated --host 0.0.0.0
              healthscore serve --data /srv/crm --tls-cert /etc/healthscore/cert.pem --tls-key /etc/healthscore/key.pem
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
    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate (chain); needs --tls-key.", valueName: "file"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?
    @Flag(help: "No access-log line per request on stderr.") var noAccessLog = false
    @Option(
        help: ArgumentHelp(
            "Seconds SIGTERM or Ctrl-C waits for the requests in flight before the server stops.",
            valueName: "seconds"))
    var stopTimeout = 10

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
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if !(1...3600).contains(stopTimeout) { throw ValidationError("--stop-timeout must be from 1 to 3600 seconds") }
    }

    /// The dataset, as at start and at each reload: --configs names the folder the tuner saves versions into;
    /// while it holds none, the configuration is the data's own.
    func load() throws -> Studio {
        var sources = inputs
        if let folder = inputs.configs, try ConfigurationHistory.loadIfAny(folder) == nil { sources.configs = nil }
        let dataset = try sources.dataset(
            .all, required: [.configuration, .outcomes], timeline: .memory, command: "serve")
        return try Studio(dataset: dataset, configsFolder: inputs.configs)
    }

    func run() async throws {
        var tls: TLSConfiguration? = nil
        var loaded: Studio? = nil
        try reportingErrors(progress: !inputs.quiet) {
            // A bad certificate pair is refused (64) before the data is read.
            if let tlsCert, let tlsKey { tls = try StudioServer.tlsConfiguration(certificate: tlsCert, key: tlsKey) }
            loaded = try load()
        }
        guard let studio = loaded else { throw ExitCode(70) }
        // Request bodies (up to 1 MiB each) and a reload's read go back to the system when freed, so the resident
        // memory of a long-running server follows what it holds.
        returnLargeBlocks()
        let live = LiveStudio(studio)
        let (host, name, scheme) = (host, studio.dataset.timeline.name, tls == nil ? "http" : "https")
        var log = Logger(label: "healthscore.access") { StreamLogHandler.standardError(label: $0) }
        log.logLevel = .info
        let settings = StudioServer.Settings(
            host: host, port: port, token: token, tls: tls, accessLog: noAccessLog ? nil : log)
        let app = try StudioServer.buildApplication(live, settings: settings) { p in
            let address = host == "::1" ? "[::1]" : host
            note("serving \(name) on \(scheme)://\(address):\(p)/ (Ctrl-C stops it; SIGHUP reloads)")
        }
        // SIGHUP: the data read again in the background; the old data is served until the new is ready.
        signal(SIGHUP, SIG_IGN)
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        var messages = Logger(label: "healthscore.reload") { StreamLogHandler.standardError(label: $0) }
        messages.logLevel = .info
        let reloadLog = messages
        let command = self
        hangUp.setEventHandler {
            Task {
                reloadLog.info("SIGHUP: reloading the data")
                Connections.reset()
                switch await live.reload({ try command.load() }) {
                case .reloaded(let accounts, let seconds):
                    reloadLog.info("reloaded: \(accounts) accounts in \(String(format: "%.1f", seconds)) s")
                case .failed(let why):
                    reloadLog.error("reload failed, still serving the data loaded before: \(why)")
                case .alreadyRunning:
                    reloadLog.notice("a reload is already running: this SIGHUP is ignored")
                }
            }
        }
        hangUp.resume()
        // SIGINT or SIGTERM: no new connection, the requests in flight answered, for up to --stop-timeout seconds.
        var config = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "healthscore.serve") { _ in SwiftLogNoOpLogHandler() })
        config.maximumGracefulShutdownDuration = .seconds(stopTimeout)
        try await ServiceGroup(configuration: config).run()
        hangUp.cancel()
    }
}
