#!/usr/bin/env bash
# The studio's two speed targets (DESIGN §11) on loopback:
#   POST /api/v1/preview  ≤ 50 ms median   (four configurations, REQUESTS requests each, after loading; and the
#                         backtest and band movers a tuner move also asks for)
#   GET  /api/v1/scores   ≥ 200 requests/s with p99 ≤ 100 ms (wrk; one query, then scripts/scores_mix.lua)
# and the time to load. Usage: bash scripts/bench_studio.sh [DATA_DIR] [REQUESTS]
# DATA_DIR defaults to /tmp/ah-bench-100000-104 (scripts/bench_score.sh creates it). Needs curl, python3, wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-/tmp/ah-bench-100000-104}; N=${2:-21}
BIN=${BIN:-.build/release/healthscore}; PORT=${PORT:-8766}
W=$(mktemp -d); trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$W"' EXIT
start=$(date +%s.%N)
"$BIN" serve --data "$D" --port "$PORT" > "$W/serve.log" 2>&1 &
SERVER=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/summary"; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$W/serve.log"; exit 1; }
  sleep 0.1
done
echo "loaded in $(echo "$(date +%s.%N) - $start" | bc) s; resident $(grep VmRSS /proc/$SERVER/status | awk '{print $2/1024 " MB"}')"
curl -s "http://127.0.0.1:$PORT/api/v1/config" > "$W/saved.json"
python3 - "$W" <<'EOF'
import json, sys
w = sys.argv[1]
saved = json.load(open(f"{w}/saved.json"))
moved = json.loads(json.dumps(saved)); moved["factors"][0]["weight"] += 15           # a slider moved
segments = {"factors": [{"name": "tasks", "weight": 30}, {"name": "usage", "weight": 15},
                        {"name": "qbr", "weight": 25, "optional": True, "scale": {"min": 1, "max": 5}},
                        {"name": "freshness", "weight": 20, "scale": {"min": 0, "max": 90}, "invert": True}],
            "bands": [{"name": "red", "below": 35}, {"name": "amber", "below": 60}, {"name": "green"}],
            "segments": {"Enterprise": {"factors": [{"name": "satisfaction", "weight": 40, "scale": {"min": 0, "max": 10}},
                                                    {"name": "usage", "weight": 60}]}}}
optional = {"factors": [{"name": "qbr", "weight": 60, "optional": True, "scale": {"min": 1, "max": 5}},
                        {"name": "satisfaction", "weight": 40, "optional": True, "scale": {"min": 0, "max": 10}}]}
for name, c in [("saved", saved), ("moved", moved), ("segments", segments), ("optional", optional)]:
    json.dump(c, open(f"{w}/{name}.json", "w"))
EOF
for c in saved moved segments optional; do
  for _ in $(seq "$N"); do
    curl -s -o /dev/null -w "%{time_total}\n" -X POST --data-binary "@$W/$c.json" "http://127.0.0.1:$PORT/api/v1/preview"
  done | sort -n | awk -v c="$c" '{a[NR] = $1 * 1000} END {printf "preview %-9s median %.1f ms  p90 %.1f ms  max %.1f ms  (%d requests)\n", c, a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], a[NR], NR}'
done
# What else a tuner move asks for (the tuner sends the three at once).
for route in backtest "preview/moves?limit=25"; do
  for _ in $(seq "$N"); do
    curl -s -o /dev/null -w "%{time_total}\n" -X POST --data-binary "@$W/moved.json" "http://127.0.0.1:$PORT/api/v1/$route"
  done | sort -n | awk -v c="$route" '{a[NR] = $1 * 1000} END {printf "%-22s median %.1f ms  p90 %.1f ms  (%d requests)\n", c, a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], NR}'
done
wrk -t1 -c4 -d15s --latency "http://127.0.0.1:$PORT/api/v1/scores?limit=100" | grep -E "Requests/sec|50%|90%|99%"
wrk -t1 -c4 -d15s --latency -s scripts/scores_mix.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|90%|99%"
