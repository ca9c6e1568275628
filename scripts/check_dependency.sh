#!/usr/bin/env bash
# Checks that another package can depend on a released AccountHealth by version and build it in release:
# tags a clone of HEAD, makes a small consumer package that depends on it `from:` that tag, builds it with
# `swift build -c release` and runs it on the bundled dataset. (SwiftPM refuses a dependency resolved by
# version whose targets have unsafe flags; this is the check that the library has none.)
#   bash scripts/check_dependency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q "$ROOT" "$WORK/accounthealth"
git -C "$WORK/accounthealth" tag 99.0.0
mkdir -p "$WORK/consumer/Sources/Consumer"
cat > "$WORK/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "Consumer",
    dependencies: [.package(url: "file://$WORK/accounthealth", from: "99.0.0")],
    targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "AccountHealth", package: "accounthealth")])]
)
SWIFT
cat > "$WORK/consumer/Sources/Consumer/main.swift" <<'SWIFT'
import AccountHealth
let dataset = try DataFiles.directory(CommandLine.arguments[1]).load(timeline: .memory)
BLAS.setThreads(1)
let obs = try Observations.build(dataset, factors: dataset.configuration!.base.factors.map(\.name), options: ObservationOptions())[0]
let fit = try FitAnalysis.run(obs, rules: dataset.configuration!.base, options: FitOptions())
print(Render.termsCSV([fit.model.terms()]), terminator: "")
SWIFT
(cd "$WORK/consumer" && swift build -c release 2>&1 | tail -1)
"$WORK/consumer/.build/release/Consumer" "$ROOT/datasets/simulated" | head -3
echo "check_dependency: a package depending on AccountHealth from: a tagged version builds in release"
