#!/usr/bin/env bash
# Fit-from-files benchmark (BENCHMARKS.md): `healthscore fit --horizon 90` vs shared/peers/fit_peer.py
# (sklearn-lbfgs and statsmodels) on the same simulated files; checks the estimates against statsmodels.
#   bash scripts/bench_fit.sh [ACCOUNTS] [WEEKS] [RUNS]     (defaults 100000 104 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-100000}; WEEKS=${2:-104}; RUNS=${3:-3}
DATA=${BENCH_DATA:-/tmp/ah-bench-$ACCOUNTS-$WEEKS}
PEERS=${PEERS_VENV:-/tmp/peers}
PEER=${PEER_FIT:-../shared/peers/fit_peer.py}
BIN=.build/release/healthscore
[ -x "$BIN" ] || swift build -c release
[ -f "$DATA/timeline.csv" ] || "$BIN" simulate --accounts "$ACCOUNTS" --weeks "$WEEKS" --seed 11 --output "$DATA"
if ! "$PEERS/bin/python" -c 'import polars, yaml, statsmodels, sklearn' 2>/dev/null; then
  python3 -m venv "$PEERS" && "$PEERS/bin/pip" install -q polars pyyaml numpy statsmodels scikit-learn
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { /usr/bin/time -o /tmp/ah-fit-time -f "%e" "$@" > /tmp/ah-fit-out.json 2>/dev/null; cat /tmp/ah-fit-time; }
hs=(); hs2=(); lb=(); sm=()
for i in $(seq "$RUNS"); do
  hs+=("$(run "$BIN" fit --data "$DATA" --horizon 90 --format json)"); cp /tmp/ah-fit-out.json /tmp/ah-fit-hs.json
  hs2+=("$(run "$BIN" fit --data "$DATA" --horizon 90 --folds 2 --format json)")
  lb+=("$(run env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PEERS/bin/python" "$PEER" "$DATA" --horizon 90 --engine sklearn-lbfgs)")
  sm+=("$(run env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PEERS/bin/python" "$PEER" "$DATA" --horizon 90 --engine statsmodels)"); cp /tmp/ah-fit-out.json /tmp/ah-fit-sm.json
done
HS=$(printf '%s\n' "${hs[@]}" | median); HS2=$(printf '%s\n' "${hs2[@]}" | median)
LB=$(printf '%s\n' "${lb[@]}" | median); SM=$(printf '%s\n' "${sm[@]}" | median)
AGREE=$(python3 - <<'PY'
import json
a = json.load(open('/tmp/ah-fit-hs.json')); b = json.load(open('/tmp/ah-fit-sm.json'))
assert a['observations'] == b['observations'] and a['dropped'] == b['dropped']
e = max(abs(x['estimate'] - y['estimate']) / abs(y['estimate']) for x, y in zip(a['coefficients'], b['coefficients']))
s = max(abs(x['std_error'] - y['std_error']) / abs(y['std_error']) for x, y in zip(a['coefficients'], b['coefficients']))
print(f"{a['observations']} observations; max relative difference from statsmodels: estimates {e:.1e}, std errors {s:.1e}")
PY
)
FASTER=$(awk -v a="$LB" -v b="$SM" 'BEGIN { print (a < b ? a : b) }')
RATIO=$(awk -v a="$HS" -v b="$FASTER" 'BEGIN { printf "%.2f", a / b }')
echo "fit: healthscore ${HS} s (5-fold CV + weights; ${HS2} s with 2 folds), sklearn-lbfgs peer ${LB} s, statsmodels peer ${SM} s, ratio ${RATIO}; $AGREE"
if ! grep -q "## fit from files" Benchmarks/results.md 2>/dev/null; then
  printf '\n## fit from files, horizon 90 (target: <= 0.5x the faster peer, estimates equal to statsmodels to 1e-6)\n\n| date | healthscore fit (5 folds; 2 folds) | sklearn-lbfgs peer | statsmodels peer | ratio | agreement |\n|---|---|---|---|---|---|\n' >> Benchmarks/results.md
fi
echo "| $(date -u +%Y-%m-%d) | ${HS} s; ${HS2} s | ${LB} s | ${SM} s | ${RATIO}x | $AGREE |" >> Benchmarks/results.md
