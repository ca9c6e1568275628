#!/usr/bin/env bash
# Push-down benchmark (DESIGN §10, first part): on a throw-away PostgreSQL server on loopback holding the
# 100k-account × 104-week timeline, the rows and bytes `healthscore sql fit` moves, and its time, against a
# full COPY of the table. Needs Debian's postgresql (scripts/setup.sh).
#   bash scripts/bench_pushdown.sh [DATA_DIR]      (default /tmp/ah-bench-100000-104, made by bench_score.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/ah-bench-100000-104}
BIN=.build/release/healthscore
[ -x "$BIN" ] || swift build -c release
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /tmp/ah-pg-bench-XXXXXX); PORT=$((30000 + RANDOM % 20000))
AS=""; [ "$(id -u)" -eq 0 ] && { chown postgres:postgres "$DIR"; AS="runuser -u postgres --"; }
$AS "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale C > "$DIR/initdb.log"
$AS "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c shared_buffers=1GB -c work_mem=256MB" > /dev/null
trap '$AS "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop > /dev/null; rm -rf "$DIR"' EXIT
PSQL=(psql -h 127.0.0.1 -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
cols=$(head -1 "$DATA/timeline.csv" | tr ',' '\n' | awk '{ if ($1=="account_id"||$1=="risk") print "\""$1"\" text"; else if ($1=="date") print "\"date\" date"; else print "\""$1"\" double precision" }' | paste -sd, -)
"${PSQL[@]}" -c "CREATE TABLE timeline ($cols)" -c "CREATE TABLE outcomes (account_id text, \"date\" date, outcome text, arr double precision)"
"${PSQL[@]}" -c "\\copy timeline FROM '$DATA/timeline.csv' WITH (FORMAT csv, HEADER true)" -c "\\copy outcomes FROM '$DATA/outcomes.csv' WITH (FORMAT csv, HEADER true)" -c "ANALYZE"
rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM timeline")
"$BIN" sql fit --config "$DATA/config.yaml" > "$DIR/fit.sql"
t0=$(date +%s.%N); "${PSQL[@]}" --csv -f "$DIR/fit.sql" > "$DIR/fit.csv"; t1=$(date +%s.%N)
"${PSQL[@]}" -c "\\copy timeline TO '$DIR/all.csv' WITH (FORMAT csv)"; t2=$(date +%s.%N)
pr=$(($(wc -l < "$DIR/fit.csv") - 1)); pb=$(stat -c %s "$DIR/fit.csv"); cb=$(stat -c %s "$DIR/all.csv")
echo "push-down: timeline $rows rows; fit query $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s, $pr rows ($(awk -v a="$pr" -v b="$rows" 'BEGIN{printf "%.1f", 100*a/b}') % of the table), $((pb/1024/1024)) MB; full COPY $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", b-a}') s, $((cb/1024/1024)) MB"
