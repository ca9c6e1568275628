#!/usr/bin/env bash
# Cox benchmark (BENCHMARKS.md): `healthscore bench --cox-file` vs lifelines CoxPHFitter on the same
# 100k × 8 data (generated as shared/peers/bench_models.py does), in one run; appends to Benchmarks/results.md.
#   bash scripts/bench_cox.sh [N] [LIFELINES_REPS]     (defaults 100000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}; REPS=${2:-3}
PEERS=${PEERS_VENV:-/tmp/peers}
BIN=.build/release/healthscore
[ -x "$BIN" ] || swift build -c release
if ! "$PEERS/bin/python" -c 'import lifelines, pandas, numpy' 2>/dev/null; then
  python3 -m venv "$PEERS" && "$PEERS/bin/pip" install -q numpy pandas lifelines
fi
OUT=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE HEALTHSCORE_BIN="$BIN" "$PEERS/bin/python" scripts/bench_cox.py "$N" "$REPS")
echo "$OUT"
if ! grep -q "## Cox PH" Benchmarks/results.md 2>/dev/null; then
  printf '\n## Cox PH (target: <= 0.5 s and >= 20x faster than lifelines, coefficients equal to 1e-6)\n\n```\n' >> Benchmarks/results.md
else
  printf '\n```\n' >> Benchmarks/results.md
fi
{ echo "$(date +%F)"; echo "$OUT"; echo '```'; } >> Benchmarks/results.md
