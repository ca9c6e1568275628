#!/usr/bin/env python3
"""The DuckDB peer of `healthscore derive` (DESIGN §9): the same metrics in SQL, for the benchmark.

usage: derive_duckdb.py EVENTS_CSV METRICS_YAML OUTPUT_CSV [--threads N]

Events are read by DuckDB's CSV reader; times cast to TIMESTAMPTZ with the session in UTC (so an offset
moves an event to its UTC day); exact duplicates (account, instant, type, value) grouped away. For each
metric: per account and day aggregates of its types, running totals per account (window functions), and
each grid date joined to the running totals at d and at d − window by ASOF joins (count, sum, mean,
ratio), to the last event day on or before d (days_since), or to the latest valued event (latest: on a
tie in time the later file row, via arg_max). Needs duckdb and PyYAML.
"""
import sys, time
import duckdb, yaml


def types_sql(spec):
    names = spec if isinstance(spec, list) else [spec]
    return "(" + ", ".join("'" + str(t).strip().replace("'", "''") + "'" for t in names) + ")"


def main(events, metrics_path, out, threads):
    with open(metrics_path) as f:
        doc = yaml.safe_load(f)
    m = doc["metrics"] if "metrics" in doc else doc
    every = int(m.get("every", 7))
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.time()
    con.execute(f"""
        CREATE TABLE raw AS
        SELECT account_id, row_number() OVER () AS rn, CAST(time AS TIMESTAMPTZ) AS ts, trim(type) AS type,
               CAST(NULLIF(trim(value), '') AS DOUBLE) AS value
        FROM read_csv('{events}', header = true, all_varchar = true)""")
    con.execute("""
        CREATE TABLE e AS
        SELECT account_id, min(rn) AS rn, ts, CAST(ts AS DATE) AS d, type, value
        FROM raw GROUP BY account_id, ts, type, value""")
    con.execute("CREATE TABLE acc AS SELECT account_id, min(rn) AS first_rn, min(CAST(ts AS DATE)) AS first_day FROM raw GROUP BY account_id")
    bounds = con.execute("SELECT min(d), max(d) FROM e").fetchone()
    start = str(m["start"]) if "start" in m else str(bounds[0])
    end = str(m["end"]) if "end" in m else str(bounds[1])
    con.execute(f"""
        CREATE TABLE grid AS SELECT CAST(range AS DATE) AS g
        FROM range(DATE '{start}', DATE '{end}' + INTERVAL 1 DAY, INTERVAL {every} DAY)""")
    con.execute("""
        CREATE TABLE rows AS
        SELECT a.account_id, a.first_rn, g.g FROM acc a JOIN grid g ON g.g >= a.first_day""")
    cols = []
    for k, f in enumerate(m["factors"]):
        name = f"f{k}"
        w = f.get("window")
        lo = f"r.g - INTERVAL {int(w)} DAY" if w else "DATE '0001-01-01'"
        def running(types, tag):
            con.execute(f"""
                CREATE TABLE {tag} AS
                SELECT account_id, d,
                       sum(c) OVER (PARTITION BY account_id ORDER BY d) AS cc,
                       sum(s) OVER (PARTITION BY account_id ORDER BY d) AS cs,
                       sum(n) OVER (PARTITION BY account_id ORDER BY d) AS cn
                FROM (SELECT account_id, d, count(*) AS c, sum(value) AS s, count(value) AS n
                      FROM e WHERE type IN {types} GROUP BY account_id, d)""")
            # Without a window every event on or before d counts: no lower running total.
            def diff(col):
                return f"coalesce(hi.{col}, 0) - coalesce(lo.{col}, 0)" if w else f"coalesce(hi.{col}, 0)"
            lower = f"ASOF LEFT JOIN {tag} lo ON r.account_id = lo.account_id AND lo.d <= {lo}" if w else ""
            con.execute(f"""
                CREATE TABLE {tag}_at AS
                SELECT r.account_id, r.g, {diff("cc")} AS c, {diff("cs")} AS s, {diff("cn")} AS n
                FROM rows r
                ASOF LEFT JOIN {tag} hi ON r.account_id = hi.account_id AND hi.d <= r.g
                {lower}""")
        if "count" in f or "sum" in f or "mean" in f:
            kind = "count" if "count" in f else "sum" if "sum" in f else "mean"
            running(types_sql(f[kind]), name)
            expr = {"count": "CAST(c AS DOUBLE)", "sum": "CASE WHEN n = 0 THEN 0 ELSE s END",
                    "mean": "CASE WHEN n = 0 THEN NULL ELSE s / n END"}[kind]
            con.execute(f"CREATE TABLE {name}_v AS SELECT account_id, g, {expr} AS v FROM {name}_at")
        elif "ratio" in f:
            running(types_sql(f["ratio"]["numerator"]), name + "n")
            running(types_sql(f["ratio"]["denominator"]), name + "d")
            con.execute(f"""
                CREATE TABLE {name}_v AS
                SELECT a.account_id, a.g, CASE WHEN b.c = 0 THEN NULL ELSE CAST(a.c AS DOUBLE) / b.c END AS v
                FROM {name}n_at a JOIN {name}d_at b ON a.account_id = b.account_id AND a.g = b.g""")
        elif "days_since" in f:
            con.execute(f"""
                CREATE TABLE {name}_v AS
                SELECT r.account_id, r.g, CAST(r.g - x.d AS DOUBLE) AS v
                FROM rows r ASOF LEFT JOIN (SELECT DISTINCT account_id, d FROM e WHERE type IN {types_sql(f["days_since"])}) x
                  ON r.account_id = x.account_id AND x.d <= r.g""")
        elif "latest" in f:
            con.execute(f"""
                CREATE TABLE {name}_v AS
                SELECT r.account_id, r.g, CASE WHEN x.d IS NULL {f"OR x.d <= {lo}" if w else ""} THEN NULL ELSE x.value END AS v
                FROM rows r ASOF LEFT JOIN (
                    SELECT account_id, ts, CAST(ts AS DATE) AS d, arg_max(value, rn) AS value
                    FROM e WHERE type IN {types_sql(f["latest"])} AND value IS NOT NULL GROUP BY account_id, ts) x
                  ON r.account_id = x.account_id AND x.ts < CAST(r.g + INTERVAL 1 DAY AS TIMESTAMPTZ)""")
        cols.append((name, f["name"]))
    select = ", ".join(f"{n}.v AS \"{label}\"" for n, label in cols)
    joins = " ".join(f"JOIN {n}_v {n} ON {n}.account_id = r.account_id AND {n}.g = r.g" for n, _ in cols)
    con.execute(f"""
        COPY (SELECT r.account_id, strftime(r.g, '%Y-%m-%d') AS date, {select}
              FROM rows r {joins} ORDER BY r.first_rn, r.g) TO '{out}' (HEADER, DELIMITER ',')""")
    print(f"derive_duckdb: {time.time() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    main(sys.argv[1], sys.argv[2], sys.argv[3], threads)
