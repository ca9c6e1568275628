// swift-tools-version:6.1
// libFuzzer targets, kept out of the main package so ordinary builds never pay for them.
// Build and run: scripts/fuzz.sh SECONDS (from the repository root).
import PackageDescription

let package = Package(
    name: "AccountHealthFuzz",
    dependencies: [.package(path: "deps/AccountHealth")],   // a symlink to the repository: a fixed package name wherever it is cloned
    targets: [
        .executableTarget(name: "FuzzCSV", dependencies: [.product(name: "AccountHealth", package: "AccountHealth")],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "AccountHealth", package: "AccountHealth")],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
