#!/usr/bin/env bash
# The PostgreSQL benchmark (DESIGN §10, BENCHMARKS.md): a throw-away server on loopback holding the
# 100k-account × 104-week timeline (10.4 M rows).
#   1. the peer checked equal on small data: scripts/fit_db_peer.py (psycopg + polars + scikit-learn, and
#      statsmodels for the exact check) against `healthscore fit --db` on the bundled dataset;
#   2. `fit --db` against `fit` on the CSV files and against the peer, wall time and peak memory, each run
#      RUNS times interleaved (median);
#   3. the rows and bytes the push-down moves (the as-of rows and the account list), against a full COPY.
# Needs Debian's postgresql (scripts/setup.sh) and a Python with psycopg, polars, pyyaml, scikit-learn and
# statsmodels (PYTHON, default /tmp/peers/bin/python).
#   bash scripts/bench_pushdown.sh [DATA_DIR] [RUNS]   (default /tmp/ah-bench-100000-104, made by bench_score.sh; 3)
# BASE_BIN=path/to/an/older/healthscore adds that binary's `fit --db` to every round (before this build's), with
# its median and its ratio to the peer of the same rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/ah-bench-100000-104}
RUNS=${2:-3}
PY=${PYTHON:-/tmp/peers/bin/python}
BIN=.build/release/healthscore
[ -x "$BIN" ] || swift build -c release
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /tmp/ah-pg-bench-XXXXXX); PORT=$((30000 + RANDOM % 20000))
AS=""; [ "$(id -u)" -eq 0 ] && { chown postgres:postgres "$DIR"; AS="runuser -u postgres --"; }
$AS "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale C > "$DIR/initdb.log"
$AS "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c shared_buffers=1GB -c work_mem=256MB -c log_min_duration_statement=0 -c log_line_prefix=%p:" > /dev/null
trap '$AS "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop > /dev/null; rm -rf "$DIR"' EXIT
PSQL=(psql -h 127.0.0.1 -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
URL="postgresql://postgres@127.0.0.1:$PORT"

# Loads a dataset directory's timeline and outcomes into a database.
load() {
  local db=$1 dir=$2
  local cols
  cols=$(head -1 "$dir/timeline.csv" | tr ',' '\n' | awk '{ if ($1=="account_id"||$1=="risk") print "\""$1"\" text"; else if ($1=="date") print "\"date\" date"; else print "\""$1"\" double precision" }' | paste -sd, -)
  "${PSQL[@]}" -d "$db" -c "CREATE TABLE timeline ($cols)" -c "CREATE TABLE outcomes (account_id text, \"date\" date, outcome text, arr double precision)"
  "${PSQL[@]}" -d "$db" -c "\\copy timeline FROM '$dir/timeline.csv' WITH (FORMAT csv, HEADER true)" -c "\\copy outcomes FROM '$dir/outcomes.csv' WITH (FORMAT csv, HEADER true)" -c "ANALYZE"
}

# 1. The peer on the bundled dataset: equal to healthscore (statsmodels exactly, scikit-learn to its tolerance).
"${PSQL[@]}" -c "CREATE DATABASE small"
load small datasets/simulated
# The peer fits the complete cases: ours with --missing drop is the same model (the default keeps every
# observation, DESIGN §13).
"$BIN" fit --db "$URL/small" --config datasets/simulated/config.yaml --missing drop --format json --quiet > "$DIR/ours.json"
"$PY" scripts/fit_db_peer.py "$URL/small" datasets/simulated/config.yaml --engine statsmodels > "$DIR/sm.json" 2>/dev/null
"$PY" scripts/fit_db_peer.py "$URL/small" datasets/simulated/config.yaml > "$DIR/sk.json" 2>/dev/null
echo "peer check, statsmodels engine: $(python3 scripts/compare_fit.py "$DIR/ours.json" "$DIR/sm.json" 1e-6)"
echo "peer check, scikit-learn engine: $(python3 scripts/compare_fit.py "$DIR/ours.json" "$DIR/sk.json" 1e-4)"

# 2. The 10 M-row timeline: fit --db, fit on the CSV files, the peer.
load postgres "$DATA"
rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM timeline")
measure() {  # label, command…: prints "label seconds peak_MB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" > "$DIR/$label.out" 2> "$DIR/$label.err"
  read -r s kb < "$DIR/time"; echo "$label $s $((kb / 1024))"
}
for r in $(seq "$RUNS"); do
  [ -n "${BASE_BIN:-}" ] && measure base "$BASE_BIN" fit --db "$URL/postgres" --config "$DATA/config.yaml" --format json --quiet
  measure db "$BIN" fit --db "$URL/postgres" --config "$DATA/config.yaml" --format json --quiet
  measure csv "$BIN" fit --data "$DATA" --format json --quiet
  measure peer "$PY" scripts/fit_db_peer.py "$URL/postgres" "$DATA/config.yaml"
done > "$DIR/runs"
cmp <(grep -v '"iterations"' "$DIR/db.out") <(grep -v '"iterations"' "$DIR/csv.out") > /dev/null && same="byte-identical" || same="DIFFERENT"
"$BIN" fit --db "$URL/postgres" --config "$DATA/config.yaml" --missing drop --format json --quiet > "$DIR/db-drop.out"
python3 scripts/compare_fit.py "$DIR/db-drop.out" "$DIR/peer.out" 1e-3 > "$DIR/peercheck" || true
median() { grep "^$1 " "$DIR/runs" | awk '{print $2" "$3}' | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
read -r dbs dbm <<< "$(median db)"; read -r css csm <<< "$(median csv)"; read -r pes pem <<< "$(median peer)"
echo "timeline $rows rows, median of $RUNS:"
echo "  fit --db   $dbs s, $dbm MB"
echo "  fit (CSV)  $css s, $csm MB   (fit --db output $same to it)"
echo "  peer       $pes s, $pem MB   ($(cat "$DIR/peercheck"))"
echo "  fit --db / peer = $(awk -v a="$dbs" -v b="$pes" 'BEGIN{printf "%.3f", a/b}')"
if [ -n "${BASE_BIN:-}" ]; then
  read -r bas bam <<< "$(median base)"
  echo "  base fit --db $bas s, $bam MB; base / peer = $(awk -v a="$bas" -v b="$pes" 'BEGIN{printf "%.3f", a/b}')"
fi
echo "  per round (s):"; sed 's/^/    /' "$DIR/runs"

# Where fit --db's time goes: each statement's duration in the server log (log_min_duration_statement=0), for
# the last fit --db run; then the as-of query's plan with EXPLAIN (ANALYZE, BUFFERS).
echo "statements of one fit --db run (server log, ms):"
"$BIN" fit --db "$URL/postgres" --config "$DATA/config.yaml" --format json --quiet > /dev/null
grep "duration:" "$DIR/log" | tail -12 | sed -E 's/^[0-9]+:LOG: +duration: ([0-9.]+) ms +(statement|execute [^:]*|parse [^:]*|bind [^:]*): */\1 ms  /' | cut -c1-150
"$BIN" sql fit --config "$DATA/config.yaml" > "$DIR/fit-explain.sql"
{ echo "EXPLAIN (ANALYZE, BUFFERS)"; cat "$DIR/fit-explain.sql"; } > "$DIR/explain.sql"
"${PSQL[@]}" -f "$DIR/explain.sql" > "$DIR/explain.txt" 2>&1 || true
echo "EXPLAIN ANALYZE of the as-of query (healthscore sql fit):"
cat "$DIR/explain.txt"
[ -n "${KEEP_EXPLAIN:-}" ] && cp "$DIR/explain.txt" "$KEEP_EXPLAIN"

# 3. What the push-down moves: the as-of rows and one row per account, against the whole table.
"$BIN" sql fit --config "$DATA/config.yaml" > "$DIR/fit.sql"
t0=$(date +%s.%N); "${PSQL[@]}" --csv -f "$DIR/fit.sql" > "$DIR/fit.csv"; t1=$(date +%s.%N)
"${PSQL[@]}" --csv -c "SELECT account_id, MIN(\"date\") FROM timeline GROUP BY account_id" > "$DIR/accounts.csv"
"${PSQL[@]}" -c "\\copy timeline TO '$DIR/all.csv' WITH (FORMAT csv)"; t2=$(date +%s.%N)
pr=$(($(wc -l < "$DIR/fit.csv") - 1)); ar=$(($(wc -l < "$DIR/accounts.csv") - 1))
pb=$(( $(stat -c %s "$DIR/fit.csv") + $(stat -c %s "$DIR/accounts.csv") )); cb=$(stat -c %s "$DIR/all.csv")
echo "push-down: as-of query $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s, $pr as-of rows + $ar account rows = $(awk -v a="$((pr + ar))" -v b="$rows" 'BEGIN{printf "%.1f", 100*a/b}') % of the table's rows, $((pb/1024/1024)) MB as CSV; full COPY $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", b-a}') s, $((cb/1024/1024)) MB"
