// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "AccountHealth",
    platforms: [.macOS(.v13)],
    products: [
        // Public products
        .library(name: "AccountHealth", targets: ["AccountHealth"]),
        .executable(name: "healthscore", targets: ["healthscore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Internals: OpenBLAS + LAPACKE (Debian: libopenblas-dev, liblapacke-dev)
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // The library: no ArgumentParser here, never prints, never exits.
        .target(
            name: "AccountHealth",
            dependencies: ["COpenBLAS", .product(name: "Yams", package: "Yams")]
            // No unsafe flags: a package that depends on a released AccountHealth by version cannot build
            // one that has them. The hot loops use unsafe buffers and wrapping arithmetic locally instead.
        ),
        // PostgreSQL as a source and a sink (DESIGN §10): the push-down SQL; the core library never links it.
        .target(name: "AccountHealthPostgres", dependencies: ["AccountHealth", .product(name: "PostgresNIO", package: "postgres-nio")]),
        // The studio (DESIGN §11): the web application over the library; the core library never links it.
        // Its pages, script, style and API description are real files in Web/, embedded at build time.
        .target(
            name: "AccountHealthStudio",
            dependencies: [
                "AccountHealth", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Yams", package: "Yams"),
                // HTTPS, the /metrics text format, the access log, and a malformed request's parser error (a 400).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Web"],
            plugins: ["EmbedFiles"]
        ),
        // Alerts delivered (DESIGN §16): Standard Webhooks over AsyncHTTPClient; the core library never links it.
        .target(
            name: "AccountHealthWebhooks",
            dependencies: [
                "AccountHealth", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Build-time only: embeds a target's Web/ files in its code, so the binary runs alone.
        .executableTarget(name: "embed-files"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        // The command-line shell over the library.
        .executableTarget(
            name: "healthscore",
            dependencies: [
                "AccountHealth",
                "AccountHealthPostgres",
                "AccountHealthStudio",
                "AccountHealthWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "COpenBLAS",      // the dgemm peak of `healthscore bench`
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Tests
        .testTarget(name: "AccountHealthTests", dependencies: ["AccountHealth"]),
        .testTarget(name: "WebhookTests", dependencies: ["AccountHealth", "AccountHealthWebhooks", "healthscore", "TestSupport"]),
        // Running the built tool from the tests (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HealthscoreCLITests", dependencies: ["AccountHealth", "healthscore", "TestSupport"]),
        .testTarget(name: "StudioTests", dependencies: [
            "AccountHealth", "AccountHealthStudio", "healthscore", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "PostgresTests", dependencies: ["AccountHealth", "AccountHealthPostgres", "healthscore", "TestSupport"]),
    ]
)
