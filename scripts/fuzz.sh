#!/usr/bin/env bash
# libFuzzer runs of the CSV readers and the configuration loader (Fuzz/ package).
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 30; CI runs a short one)
# Long run: bash scripts/fuzz.sh 3600   (new inputs go to Fuzz/corpus/*; crashes to Fuzz/crashes/).
# A crash found becomes a regression input in Tests/AccountHealthTests/Fixtures/failures/ (replayed by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
swift build --package-path Fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address 2>&1 | grep -E "error|Compiling|Build complete" | tail -3
BIN=$(swift build --package-path Fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address --show-bin-path)
mkdir -p Fuzz/crashes .build-fuzz/corpus-csv .build-fuzz/corpus-config
status=0
for t in csv config; do
  target=FuzzCSV; [ "$t" = config ] && target=FuzzConfig
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s"
  # New inputs go to a scratch corpus; the committed seed corpus is read only.
  "$BIN/$target" .build-fuzz/corpus-$t Fuzz/corpus/$t -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -timeout=20 \
      -artifact_prefix=Fuzz/crashes/$t- -print_final_stats=1 2> .build-fuzz/$t.log || status=$?
  grep -E "stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY" .build-fuzz/$t.log || true
  if [ "$status" != 0 ]; then echo "fuzz: $target found a crash (Fuzz/crashes/), log in .build-fuzz/$t.log"; exit "$status"; fi
done
echo "fuzz: no crash"
