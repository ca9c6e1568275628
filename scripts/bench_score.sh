#!/usr/bin/env bash
# Scoring benchmark (BENCHMARKS.md): `healthscore score` vs the polars peer on the same files.
#   bash scripts/bench_score.sh [ACCOUNTS] [WEEKS] [RUNS]     (defaults 100000 104 5)
# Writes the medians to stdout and appends them to Benchmarks/results.md. Needs hyperfine-free tools only:
# GNU time for peak memory, a venv with polars + pyyaml for the peer (created in /tmp/peers if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-100000}; WEEKS=${2:-104}; RUNS=${3:-5}
DATA=${BENCH_DATA:-/tmp/ah-bench-$ACCOUNTS-$WEEKS}
PEERS=${PEERS_VENV:-/tmp/peers}
PEER_SCRIPT=${PEER_SCRIPT:-../shared/peers/score_polars.py}
BIN=.build/release/healthscore
AS_OF=2024-06-30

[ -x "$BIN" ] || swift build -c release
[ -f "$DATA/timeline.csv" ] || "$BIN" simulate --accounts "$ACCOUNTS" --weeks "$WEEKS" --seed 11 --output "$DATA"
if [ ! -x "$PEERS/bin/python" ] || ! "$PEERS/bin/python" -c 'import polars, yaml' 2>/dev/null; then
  python3 -m venv "$PEERS" && "$PEERS/bin/pip" install -q polars pyyaml
fi
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

rows=$(($(wc -l < "$DATA/timeline.csv") - 1)); size=$(du -m "$DATA/timeline.csv" | cut -f1)
measure() {  # prints "seconds kilobytes" of one run (GNU time writes them to its own file)
  /usr/bin/time -o /tmp/ah-bench-time -f "%e %M" "$@" > /tmp/ah-bench-out.csv 2>/dev/null
  tail -1 /tmp/ah-bench-time
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

hs_t=(); hs_m=(); pl_t=(); pl_m=()
for i in $(seq "$RUNS"); do
  read -r t m < <(measure "$BIN" score --data "$DATA" --as-of $AS_OF --format csv); hs_t+=("$t"); hs_m+=("$m")
  cp /tmp/ah-bench-out.csv /tmp/ah-bench-hs.csv
  read -r t m < <(measure env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PEERS/bin/python" "$PEER_SCRIPT" "$DATA" $AS_OF); pl_t+=("$t"); pl_m+=("$m")
  cp /tmp/ah-bench-out.csv /tmp/ah-bench-pl.csv
done
HS_T=$(printf '%s\n' "${hs_t[@]}" | median); HS_M=$(printf '%s\n' "${hs_m[@]}" | median)
PL_T=$(printf '%s\n' "${pl_t[@]}" | median); PL_M=$(printf '%s\n' "${pl_m[@]}" | median)
AGREE=$(python3 - <<'PY'
import csv
pl = {r['account_id']: r['score'] for r in csv.DictReader(open('/tmp/ah-bench-pl.csv'))}
hs = {r['account_id']: r['score'] for r in csv.DictReader(open('/tmp/ah-bench-hs.csv'))}
assert set(pl) == set(hs), "different account sets"
mx = max((abs(float(a) - float(hs[k])) for k, a in pl.items() if a and hs[k]), default=0.0)
empt = sum(1 for k, a in pl.items() if (a == '') != (hs[k] == ''))
print(f"{len(pl)} accounts, max |diff| {mx:.2e}, empty mismatches {empt}")
PY
)
RATIO=$(awk -v a="$HS_T" -v b="$PL_T" 'BEGIN { printf "%.2f", a / b }')
line="| $(date -u +%Y-%m-%d) | $rows rows, $size MB | ${HS_T} s, $((HS_M/1024)) MB | ${PL_T} s, $((PL_M/1024)) MB | ${RATIO}x | $AGREE |"
echo "score: healthscore ${HS_T} s (peak $((HS_M/1024)) MB), polars ${PL_T} s (peak $((PL_M/1024)) MB), ratio ${RATIO}; $AGREE"
if [ ! -f Benchmarks/results.md ]; then
  printf '# Benchmark results\n\nMedians of %s runs on the project machine (2 cores); `make bench` appends a line.\n\n## score at one as-of date (target: <= 0.5x polars wall time, <= 1 GB)\n\n| date | timeline | healthscore | polars peer | ratio | agreement |\n|---|---|---|---|---|---|\n' "$RUNS" > Benchmarks/results.md
fi
echo "$line" >> Benchmarks/results.md
