#!/usr/bin/env bash
# Peer ratios in one run: two healthscore builds (e.g. the previous main and this change) and the Python
# peers, interleaved on the same files, medians of RUNS. Used to check that a change keeps the ratios.
#   BASE_BIN=/path/to/old/healthscore bash scripts/bench_onerun.sh [DATA_DIR] [RUNS]
# DATA_DIR defaults to /tmp/ah-bench-100000-104 (scripts/bench_score.sh creates it); the peers' venv is
# /tmp/peers (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-/tmp/ah-bench-100000-104}; RUNS=${2:-3}
P=${PEERS_VENV:-/tmp/peers}/bin/python; PEERS=${PEERS_DIR:-../shared/peers}
NEW_BIN=${NEW_BIN:-.build/release/healthscore}; BASE_BIN=${BASE_BIN:-$NEW_BIN}
t() { /usr/bin/time -o /tmp/ah-onerun-t -f "%e" "$@" > /dev/null 2>/dev/null; tail -1 /tmp/ah-onerun-t; }
declare -A T
for _ in $(seq "$RUNS"); do
  T[score_base]+="$(t "$BASE_BIN" score --data "$D" --as-of 2024-06-30 --format csv) "
  T[score_new]+="$(t "$NEW_BIN" score --data "$D" --as-of 2024-06-30 --format csv) "
  T[score_polars]+="$(t env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$P" "$PEERS/score_polars.py" "$D" 2024-06-30) "
  T[fit_base]+="$(t "$BASE_BIN" fit --data "$D" --horizon 90 --format json) "
  T[fit_new]+="$(t "$NEW_BIN" fit --data "$D" --horizon 90 --format json) "
  T[fit_sklearn]+="$(t env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$P" "$PEERS/fit_peer.py" "$D" --horizon 90 --engine sklearn-lbfgs) "
  T[fit_statsmodels]+="$(t env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$P" "$PEERS/fit_peer.py" "$D" --horizon 90 --engine statsmodels) "
done
for k in score_base score_new score_polars fit_base fit_new fit_sklearn fit_statsmodels; do
  m=$(echo ${T[$k]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$k median $m s (runs: ${T[$k]})"
done
