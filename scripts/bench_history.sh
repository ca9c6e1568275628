#!/usr/bin/env bash
# DESIGN §15 costs in one interleaved run (medians of RUNS, peak memory in MB beside each time):
#   score --every 7 under a history of three versions against score --every 7 under one configuration (target
#   at most 1.2x), and config new with its evidence block against the backtest --against it runs (at most 1x).
#   bash scripts/bench_history.sh [DATA_DIR] [RUNS]      (PARTS=config: only the config new half)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-/tmp/ah-bench-100000-104}; RUNS=${2:-3}
BIN=${BIN:-.build/release/healthscore}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# Three versions: the dataset's weights, then more weight on the second factor, then a higher high-risk penalty
# and a shorter period (so the replay's change crosses versions with different periods).
mkdir "$W/configs"
{ echo "version: {id: v1, effective_from: 2000-01-01}"; cat "$D/config.yaml"; } > "$W/configs/v1.yaml"
# The later versions take effect a third and two thirds of the way through the timeline.
read -r mid1 mid2 < <("$BIN" validate --timeline "$D/timeline.csv" --format json --quiet | python3 -c "
import datetime as d, json, sys
t = json.load(sys.stdin)['timeline']
a, b = d.date.fromisoformat(t['first_date']), d.date.fromisoformat(t['last_date'])
print(a + (b - a) / 3, a + 2 * (b - a) / 3)")
python3 - "$D/config.yaml" "$W/configs" "$mid1" "$mid2" <<'PY'
import re, sys
base, out, m1, m2 = sys.argv[1:]
text = open(base).read()
weights = list(re.finditer(r"weight: ([0-9.]+)", text))
w = weights[1]
v2 = text[:w.start(1)] + str(float(w.group(1)) * 2 + 1) + text[w.end(1):]
open(f"{out}/v2.yaml", "w").write(f"version: {{id: v2, effective_from: {m1}}}\n" + v2)
v3 = re.sub(r"high: ([0-9.]+)", lambda m: f"high: {float(m.group(1)) + 10}", text)
v3 = re.sub(r"period: [0-9]+", "period: 28", v3)
open(f"{out}/v3.yaml", "w").write(f"version: {{id: v3, effective_from: {m2}}}\n" + v3)
PY
cp "$W/configs/v2.yaml" "$W/proposal.yaml"
t() { /usr/bin/time -o "$W/t" -f "%e %M" "$@" > /dev/null 2>/dev/null; awk '{printf "%s/%d ", $1, $2/1024}' "$W/t"; }
declare -A T
for i in $(seq "$RUNS"); do
  if [ "${PARTS:-all}" = all ]; then
    T[score_every7_one]+="$(t "$BIN" score --data "$D" --every 7 --format csv -o "$W/one.csv")"
    T[score_every7_history]+="$(t "$BIN" score --data "$D" --configs "$W/configs" --every 7 --format csv -o "$W/h.csv")"
  fi
  T[backtest_against]+="$(t "$BIN" backtest --data "$D" --config "$W/configs/v3.yaml" --against "$W/proposal.yaml" --format json)"
  rm -rf "$W/new"; cp -r "$W/configs" "$W/new"
  T[config_new]+="$(t "$BIN" config new "$W/proposal.yaml" --configs "$W/new" --id "p$i" --effective-from 2099-01-01 --data "$D" --quiet)"
done
for k in "${!T[@]}"; do
  m=$(echo ${T[$k]} | tr ' ' '\n' | cut -d/ -f1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$k median $m s (runs, s/MB peak: ${T[$k]})"
done
