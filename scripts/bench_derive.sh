#!/usr/bin/env bash
# derive benchmark (BENCHMARKS.md): `healthscore derive` vs the same metrics in DuckDB SQL
# (scripts/derive_duckdb.py, checked equal on small data by the tests' data and here on the full run).
#   bash scripts/bench_derive.sh [ACCOUNTS] [WEEKS] [RUNS]     (defaults 100000 104 3: about 50 M events)
# Appends the medians to Benchmarks/results.md. The peer's venv is /tmp/peers (duckdb, pyyaml).
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-100000}; WEEKS=${2:-104}; RUNS=${3:-3}
DATA=${BENCH_DATA:-/tmp/ah-events-$ACCOUNTS-$WEEKS}
PEERS=${PEERS_VENV:-/tmp/peers}
BIN=.build/release/healthscore
[ -x "$BIN" ] || swift build -c release
[ -f "$DATA/events.csv" ] || "$BIN" simulate --accounts "$ACCOUNTS" --weeks "$WEEKS" --seed 11 --events --output "$DATA"
if [ ! -x "$PEERS/bin/python" ] || ! "$PEERS/bin/python" -c 'import duckdb, yaml' 2>/dev/null; then
  python3 -m venv "$PEERS" && "$PEERS/bin/pip" install -q duckdb pyyaml
fi
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
events=$(($(wc -l < "$DATA/events.csv") - 1)); size=$(du -m "$DATA/events.csv" | cut -f1)
measure() { /usr/bin/time -o /tmp/ah-derive-time -f "%e %M" "$@" > /dev/null 2>&1; tail -1 /tmp/ah-derive-time; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
hs_t=(); hs_m=(); dk_t=(); dk_m=()
for _ in $(seq "$RUNS"); do
  read -r t m < <(measure "$BIN" derive --data "$DATA" --output /tmp/ah-derive-hs.csv); hs_t+=("$t"); hs_m+=("$m")
  read -r t m < <(measure "$PEERS/bin/python" scripts/derive_duckdb.py "$DATA/events.csv" "$DATA/config.yaml" /tmp/ah-derive-duckdb.csv --threads 2)
  dk_t+=("$t"); dk_m+=("$m")
done
HS_T=$(printf '%s\n' "${hs_t[@]}" | median); HS_M=$(printf '%s\n' "${hs_m[@]}" | median)
DK_T=$(printf '%s\n' "${dk_t[@]}" | median); DK_M=$(printf '%s\n' "${dk_m[@]}" | median)
AGREE=$(python3 scripts/compare_timelines.py /tmp/ah-derive-hs.csv /tmp/ah-derive-duckdb.csv 1e-9 || true)
RATIO=$(awk -v a="$HS_T" -v b="$DK_T" 'BEGIN { printf "%.2f", a / b }')
echo "derive: healthscore ${HS_T} s (peak $((HS_M/1024)) MB), DuckDB ${DK_T} s (peak $((DK_M/1024)) MB), ratio ${RATIO}; $AGREE"
echo "| $(date -u +%Y-%m-%d) | $events events, $size MB | ${HS_T} s, $((HS_M/1024)) MB | ${DK_T} s, $((DK_M/1024)) MB | ${RATIO}x | $AGREE |" >> Benchmarks/results.md
