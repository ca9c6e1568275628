#!/usr/bin/env bash
# DESIGN §13/§14 costs in one interleaved run (medians of RUNS, peak memory in MB beside each time):
#   the fit with the score-form suggestion against the previous build's fit; --missing indicator against
#   --missing drop; --bootstrap 100; survival --landmark against survival alone (bundled data).
#   BASE_BIN=/path/to/old/healthscore bash scripts/bench_score_form.sh [DATA_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-/tmp/ah-bench-100000-104}; RUNS=${2:-3}
NEW_BIN=${NEW_BIN:-.build/release/healthscore}; BASE_BIN=${BASE_BIN:-$NEW_BIN}
B=datasets/simulated
t() { /usr/bin/time -o /tmp/ah-sf-t -f "%e %M" "$@" > /dev/null 2>/dev/null; awk '{printf "%s/%d ", $1, $2/1024}' /tmp/ah-sf-t; }
declare -A T
for _ in $(seq "$RUNS"); do
  T[fit_base]+="$(t "$BASE_BIN" fit --data "$D" --horizon 90 --format json)"
  T[fit_new]+="$(t "$NEW_BIN" fit --data "$D" --horizon 90 --format json)"
  T[fit_new_drop]+="$(t "$NEW_BIN" fit --data "$D" --horizon 90 --missing drop --format json)"
  T[survival_base]+="$(t "$BASE_BIN" survival --data "$B" --models cox --format json)"
  T[survival_new]+="$(t "$NEW_BIN" survival --data "$B" --models cox --format json)"
  T[survival_landmark]+="$(t "$NEW_BIN" survival --data "$B" --models cox --landmark 2024-06-30 --times 30,60,90,150 --format json)"
done
T[fit_bootstrap100]="$(t "$NEW_BIN" fit --data "$D" --horizon 90 --bootstrap 100 --format json)"
for k in fit_base fit_new fit_new_drop fit_bootstrap100 survival_base survival_new survival_landmark; do
  m=$(echo ${T[$k]} | tr ' ' '\n' | cut -d/ -f1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$k median $m s (runs, s/MB peak: ${T[$k]})"
done
