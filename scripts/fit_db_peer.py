#!/usr/bin/env python3
"""Peer for `healthscore fit --db` (DESIGN §10): what an analyst would write in Python against the same
PostgreSQL tables. psycopg copies the timeline and outcomes tables out (COPY ... TO STDOUT, the fastest way
psycopg reads a table) into polars; the DESIGN §4 observations (each factor's latest non-empty value on or
before T - h) are built with as-of joins, and scikit-learn fits the logistic model (or statsmodels, for the
exact check on small data).

usage: fit_db_peer.py URL CONFIG_YAML [--horizon 90] [--engine sklearn-lbfgs|statsmodels]
prints JSON {observations, dropped, coefficients:[{name, estimate}]}; stage timings go to stderr.
Needs: pip install "psycopg[binary]" polars pyyaml numpy scikit-learn statsmodels
"""
import argparse, io, json, sys, time
import numpy as np, polars as pl, psycopg, yaml


def copy_out(conn, table, columns):
    buf = io.BytesIO()
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT {', '.join(columns)} FROM {table}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
            for block in copy:
                buf.write(block)
    buf.seek(0)
    return pl.read_csv(buf, infer_schema=False)


def observations(conn, names, horizon):
    quoted = ", ".join(f'"{n}"' for n in names)
    tl = copy_out(conn, "timeline", ["account_id", '"date"'] + [f'"{n}"' for n in names])
    tl = tl.with_columns(pl.col("date").str.to_date())
    oc = copy_out(conn, "outcomes", ["account_id", '"date"', "outcome"]).with_row_index("row")
    oc = oc.with_columns((pl.col("date").str.to_date() - pl.duration(days=horizon)).alias("t"),
                         (pl.col("outcome").str.to_lowercase() == "churned").cast(pl.Float64).alias("y"))
    q = oc.select("row", "account_id", "t", "y").sort("t")
    for n in names:  # latest non-empty value of each factor on or before t
        s = tl.filter(pl.col(n).is_not_null() & (pl.col(n) != "")).select(
            "account_id", pl.col("date").alias("t"), pl.col(n).cast(pl.Float64)).sort("t")
        q = q.join_asof(s, on="t", by="account_id", strategy="backward", check_sortedness=False)
    q = q.sort("row")
    keep = q.drop_nulls(names)
    return keep.select(names).to_numpy(), keep["y"].to_numpy(), q.height - keep.height


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url"); ap.add_argument("config")
    ap.add_argument("--horizon", type=int, default=90)
    ap.add_argument("--engine", default="sklearn-lbfgs")
    a = ap.parse_args()
    names = [f["name"] for f in yaml.safe_load(open(a.config))["factors"]]
    t0 = time.perf_counter()
    with psycopg.connect(a.url) as conn:
        X, y, dropped = observations(conn, names, a.horizon)
    t1 = time.perf_counter()
    if a.engine == "statsmodels":
        import statsmodels.api as sm
        est = sm.Logit(y, np.column_stack([np.ones(len(y)), X])).fit(disp=0, method="newton", tol=1e-12, maxiter=100).params
    else:
        from sklearn.linear_model import LogisticRegression
        m = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000, tol=1e-10).fit(X, y)   # no penalty
        est = np.concatenate([m.intercept_, m.coef_[0]])
    t2 = time.perf_counter()
    print(f"fit_db_peer[{a.engine}]: {len(y)} observations; read and build {t1 - t0:.3f} s, fit {t2 - t1:.3f} s, total {t2 - t0:.3f} s",
          file=sys.stderr)
    json.dump({"observations": int(len(y)), "dropped": int(dropped),
               "coefficients": [{"name": n, "estimate": float(e)} for n, e in zip(["intercept"] + names, est)]}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
