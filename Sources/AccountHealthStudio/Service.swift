import AccountHealth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Prometheus
import Synchronization

/// The studio a team runs (DESIGN §11 "Running it for a team"): the dataset being served, swapped whole when a
/// reload has finished, so that every request is answered from one complete dataset, the old one until the new
/// one is ready.
public final class LiveStudio: Sendable {
    private let state: Mutex<(studio: Studio, loadedAt: Date)>
    private let reloading = Mutex<Bool>(false)

    /// The studio serving `studio`, loaded now.
    public init(_ studio: Studio, loadedAt: Date = Date()) {
        state = Mutex((studio, loadedAt))
    }

    /// The studio requests are answered from.
    public var current: Studio { state.withLock { $0.studio } }
    /// When the data being served was loaded.
    public var loadedAt: Date { state.withLock { $0.loadedAt } }

    /// What a reload did.
    public enum ReloadOutcome: Sendable, Equatable {
        /// The new data is served; it has this many accounts.
        case reloaded(accounts: Int, seconds: Double)
        /// The load failed; the old data is still served.
        case failed(String)
        /// A reload was already running; this one was not started.
        case alreadyRunning
    }

    /// Loads the data again with `load` (on a thread of its own, never the pool that answers requests) and, when
    /// it succeeds, serves it; a failure keeps the data served until then. One reload at a time.
    public func reload(_ load: @escaping @Sendable () throws -> Studio) async -> ReloadOutcome {
        let started = reloading.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard started else { return .alreadyRunning }
        defer { reloading.withLock { $0 = false } }
        let clock = ContinuousClock.now
        do {
            let studio = try await StudioServer.offThePool(load)
            state.withLock { $0 = (studio, Date()) }
            return .reloaded(accounts: studio.accountCount, seconds: (ContinuousClock.now - clock).seconds)
        } catch {
            return .failed("\(error)")
        }
    }
}

/// The `/metrics` counters (Prometheus text format, swift-prometheus): requests by route and status, their
/// durations by route, the requests being answered now, and the size of the dataset served.
public final class StudioMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let accounts: Gauge
    private let timelineRows: Gauge
    private let inFlight: Gauge
    /// The upper bounds of the duration histogram's buckets.
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    /// Empty counters.
    public init() {
        accounts = registry.makeGauge(
            descriptor: .init(
                namespace: "healthscore", subsystem: "dataset", metricName: "accounts", unitName: "",
                helpText: "Accounts in the dataset served"))
        timelineRows = registry.makeGauge(
            descriptor: .init(
                namespace: "healthscore", subsystem: "dataset", metricName: "timeline_rows", unitName: "",
                helpText: "Timeline rows in the dataset served"))
        inFlight = registry.makeGauge(
            descriptor: .init(
                namespace: "healthscore", subsystem: "http", metricName: "requests_in_flight", unitName: "",
                helpText: "HTTP requests being answered now (a request for /metrics counts itself)"))
    }

    /// Counts one request begun (in flight until `record`).
    func began() { inFlight.increment() }

    /// Counts one answered request (no longer in flight).
    func record(route: String, status: Int, seconds: Double) {
        inFlight.decrement()
        registry.makeCounter(
            descriptor: .init(
                namespace: "healthscore", subsystem: "http", metricName: "requests", unitName: "total",
                helpText: "HTTP requests answered, by route and status"),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "healthscore", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                helpText: "Time to answer an HTTP request, by route"),
            labels: [("route", route)], buckets: StudioMetrics.buckets
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The text format, with the dataset's size as served now.
    func text(_ studio: Studio) -> String {
        accounts.set(Double(studio.accountCount))
        timelineRows.set(Double(studio.timelineRows))
        return registry.emitToString()
    }
}

/// One access-log line per request (method, route, status, milliseconds; never the query string, a token or a
/// cookie) and its count in the metrics. The route is the path pattern that matched (`/api/v1/accounts/{id}`), so
/// neither the log nor the metrics carry an account's id; a path that matched no route is `unmatched`.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = StudioRequestContext
    let logger: Logger?
    let metrics: StudioMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        metrics.began()
        defer {
            let seconds = (ContinuousClock.now - start).seconds
            // Hummingbird names an unmatched path "NotFound"; a route is always a pattern from "/".
            let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
            metrics.record(route: route, status: status, seconds: seconds)
            logger?.info(
                "\(request.method) \(route) \(status) \(String(format: "%.1f", seconds * 1000)) ms",
                metadata: [:])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let e as any HTTPResponseError {
            status = e.status.code
            throw e
        }
    }
}

extension StudioServer {
    /// HTTPS from a PEM certificate (chain) and its private key. A file that is missing, unreadable or not PEM,
    /// or a key that does not belong to the certificate, is a usage error that names the file.
    public static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        for file in [certificate, key] {
            guard FileManager.default.fileExists(atPath: file) else {
                throw Studio.Failure(.usage, "\(file): no such file")
            }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw Studio.Failure(.usage, "\(file): cannot be read")
            }
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw Studio.Failure(.usage, "\(certificate): not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw Studio.Failure(.usage, "\(certificate): holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw Studio.Failure(.usage, "\(key): not a PEM private key (\(error))")
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        do {
            _ = try NIOSSLContext(configuration: tls)
        } catch {
            throw Studio.Failure(.usage, "\(key): not the private key of the certificate in \(certificate) (\(error))")
        }
        return tls
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
