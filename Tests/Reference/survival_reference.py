#!/usr/bin/env python3
"""Reference values for the Cox tests, from lifelines and from a deliberately naive numpy implementation.

usage: python survival_reference.py OUT_DIR [--pipeline-only]   (OUT_DIR: Tests/AccountHealthTests/Fixtures; run from the repository root)
Needs: numpy, pandas, lifelines (see BENCHMARKS.md for the venv). Writes, per case, cox_<case>.csv
(columns id,start,stop,event,x1..xk) and cox_<case>.json with:
  - "lifelines": CoxTimeVaryingFitter (Efron) coefficients, standard errors, log-likelihood and the
    cumulative baseline hazard at a few times; for the one-interval case also CoxPHFitter's robust
    (cluster) standard errors and concordance_index_;
  - "naive": values from the loops below, one event time at a time over explicit risk sets, written
    straight from the formulas: Breslow's fit (lifelines has Efron only), the clustered sandwich with
    Efron-weighted score residuals (lifelines' robust errors ignore ties; R's coxph weights them like
    this), and Harrell's C over risk sets (lifelines' CoxTimeVaryingFitter has no concordance).
It also builds DESIGN §4's counting-process rows from both bundled datasets with pandas (independently of
the Swift builder) and fits them with lifelines: survival_peer_<dataset>.json with the intervals that lack a
factor dropped (--missing drop), and survival_peer_<dataset>_indicator.json under DESIGN §13's default: each
missing value filled with its factor's mean over the intervals that have it, and a <factor>_missing column
when the missing intervals hold both churns and non-churns and not exactly the rows of an earlier indicator.
The Swift tests read both; this script is kept so the numbers can be re-derived.
"""
import json, os, sys
import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, CoxTimeVaryingFitter


def time_varying(n, k, seed, weeks=20):
    """Weekly rows per subject with drifting factors; churn on an integer day (many tied times)."""
    rng = np.random.default_rng(seed)
    beta = rng.uniform(-0.8, 0.8, k)
    rows = []
    for s in range(n):
        x = rng.normal(0, 1, k) * np.arange(1, k + 1)
        start_week = rng.integers(0, 4)
        t = 0
        for w in range(start_week, weeks):
            x = x + rng.normal(0, 0.3, k) * np.arange(1, k + 1)
            hazard = 0.01 * np.exp((x / np.arange(1, k + 1)) @ beta)
            stop = t + 7
            if rng.random() < 1 - np.exp(-7 * hazard):
                day = int(rng.integers(t + 1, stop + 1))
                rows.append((s, t, day, 1, *x))
                break
            last = w == weeks - 1 or rng.random() < 0.03
            rows.append((s, t, stop, 0, *x))
            if last:
                break
            t = stop
    cols = ["id", "start", "stop", "event"] + [f"x{j + 1}" for j in range(k)]
    df = pd.DataFrame(rows, columns=cols)
    df[cols[4:]] = df[cols[4:]].round(3)
    return df


def one_interval(n, k, seed):
    """Continuous times, one interval per subject (no ties): lifelines' robust errors apply."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, k)) * 2 + 10
    beta = rng.uniform(-0.5, 0.5, k)
    t_event = rng.exponential(1.0 / (0.01 * np.exp((X - 10) @ beta)))
    t_cens = rng.uniform(0, 156, n)
    df = pd.DataFrame(X.round(6), columns=[f"x{j + 1}" for j in range(k)])
    df.insert(0, "event", (t_event <= t_cens).astype(int))
    df.insert(0, "stop", np.minimum(t_event, t_cens).round(6))
    df.insert(0, "start", 0.0)
    df.insert(0, "id", np.arange(n))
    return df


def naive_pieces(X, start, stop, event, beta, ties):
    """Per event time: the risk set, the deaths, φ_l and x̄_l (l = 0..d−1)."""
    r = np.exp(X @ beta)
    for t in np.unique(stop[event == 1]):
        at_risk = (start < t) & (t <= stop)
        dead = at_risk & (stop == t) & (event == 1)
        d = dead.sum()
        S0, S1 = r[at_risk].sum(), (r[at_risk, None] * X[at_risk]).sum(0)
        D0, D1 = r[dead].sum(), (r[dead, None] * X[dead]).sum(0)
        S2 = (X[at_risk].T * r[at_risk]) @ X[at_risk]
        D2 = (X[dead].T * r[dead]) @ X[dead]
        fs = np.arange(d) / d if ties == "efron" else np.zeros(d)
        yield t, at_risk, dead, r, [(f, S0 - f * D0, (S1 - f * D1) / (S0 - f * D0), S2 - f * D2) for f in fs]


def naive_fit(X, start, stop, event, ties):
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        ll, g, H = 0.0, np.zeros_like(beta), np.zeros((len(beta), len(beta)))
        for t, at_risk, dead, r, ls in naive_pieces(X, start, stop, event, beta, ties):
            ll += (X[dead] @ beta).sum()
            g += X[dead].sum(0)
            for f, phi, xbar, S2 in ls:
                ll -= np.log(phi)
                g -= xbar
                H += S2 / phi - np.outer(xbar, xbar)
        step = np.linalg.solve(H, g)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13:
            break
    cov = np.linalg.inv(H)
    return beta, cov, ll


def naive_loglik(X, start, stop, event, beta, ties):
    ll = 0.0
    for t, at_risk, dead, r, ls in naive_pieces(X, start, stop, event, beta, ties):
        ll += (X[dead] @ beta).sum() - sum(np.log(phi) for _, phi, _, _ in ls)
    return ll


def naive_robust(X, start, stop, event, ids, beta, cov, ties):
    """Σ_c U_c U_cᵀ sandwich; U_i = Σ_t [δ_i(t)(x_i − mean_l x̄_l) − r_i Σ_l w_il (x_i − x̄_l)/φ_l], w = 1 − f for a death."""
    U = np.zeros_like(X)
    for t, at_risk, dead, r, ls in naive_pieces(X, start, stop, event, beta, ties):
        xbars = np.array([xbar for _, _, xbar, _ in ls])
        for i in np.where(at_risk)[0]:
            for f, phi, xbar, _ in ls:
                w = (1 - f) if dead[i] else 1.0
                U[i] -= r[i] * w * (X[i] - xbar) / phi
            if dead[i]:
                U[i] += X[i] - xbars.mean(0)
    Uc = pd.DataFrame(U).groupby(ids).sum().values
    return cov @ (Uc.T @ Uc) @ cov


def naive_concordance(eta, start, stop, event):
    conc = disc = tied = 0
    for i in np.where(event == 1)[0]:
        t = stop[i]
        others = (start < t) & (t <= stop) & ~((stop == t) & (event == 1))
        conc += (eta[others] < eta[i]).sum()
        disc += (eta[others] > eta[i]).sum()
        tied += (eta[others] == eta[i]).sum()
    return (conc + tied / 2) / (conc + disc + tied)


def counting_process(data_dir, keep_missing=False):
    """DESIGN §4's counting-process rows, written independently of the Swift code with pandas."""
    import yaml
    config = yaml.safe_load(open(os.path.join(data_dir, "config.yaml")))
    factors = [f["name"] for f in config["factors"]]
    tl = pd.read_csv(os.path.join(data_dir, "timeline.csv"), dtype={"account_id": str})
    tl["day"] = pd.to_datetime(tl["date"]).map(lambda d: d.toordinal())
    tl = tl.sort_values(["account_id", "day"], kind="stable")
    tl[factors] = tl.groupby("account_id")[factors].ffill()          # the as-of rule: carried forward, raw
    tl = tl.groupby(["account_id", "day"], as_index=False).last()      # one row per (account, date)
    out = pd.read_csv(os.path.join(data_dir, "outcomes.csv"), dtype={"account_id": str})
    out["day"] = pd.to_datetime(out["date"]).map(lambda d: d.toordinal())
    churn = out[out.outcome == "churned"].groupby("account_id")["day"].min()
    rows, dropped = [], 0
    for acc, g in tl.groupby("account_id", sort=True):
        days = g["day"].to_numpy()
        vals = g[factors].to_numpy(dtype=float)
        first = days[0]
        c = churn.get(acc)
        for i in range(len(days)):
            if c is not None and days[i] >= c:
                break
            nxt = days[i + 1] if i + 1 < len(days) else None
            if c is not None and (nxt is None or nxt >= c):
                stop, ev = c, 1
            elif nxt is not None:
                stop, ev = nxt, 0
            else:
                break
            if np.isnan(vals[i]).any() and not keep_missing:
                dropped += 1
            else:
                rows.append((acc, days[i] - first, stop - first, ev, *vals[i]))
            if ev:
                break
    return pd.DataFrame(rows, columns=["id", "start", "stop", "event"] + factors), dropped, factors


def with_indicators(df, factors):
    """DESIGN §13's indicator treatment of the intervals, written from the rule."""
    df, names, patterns = df.copy(), list(factors), []
    for f in factors:
        miss = df[f].isna()
        if not miss.any():
            continue
        fill = df.loc[~miss, f].mean()
        df[f] = df[f].fillna(fill)
        if df.loc[miss, "event"].nunique() < 2 or any((miss == p).all() for p in patterns):
            continue
        patterns.append(miss)
        df[f + "_missing"] = miss.astype(float)
        names.append(f + "_missing")
    return df, names


def pipeline(data_dir, out, name, indicator=False):
    df, dropped, factors = counting_process(data_dir, keep_missing=indicator)
    if indicator:
        df, factors = with_indicators(df, factors)
        df = df[["id", "start", "stop", "event"] + factors]
    # A step of 1 diverges on the indicator design (a rare indicator's Newton step is huge far from the optimum).
    ctv = CoxTimeVaryingFitter().fit(df, id_col="id", event_col="event", start_col="start", stop_col="stop",
                                     fit_options=dict(precision=1e-12, r_precision=1e-14,
                                                      step_size=0.3 if indicator else 1.0))
    X = df[factors].to_numpy(dtype=float)
    eta = (X - X.mean(0)) @ ctv.params_.values
    start, stop, event = df.start.to_numpy(float), df.stop.to_numpy(float), df.event.to_numpy()
    ref = {"data": data_dir, "intervals": len(df), "events": int(event.sum()), "dropped": dropped, "factors": factors,
           "accounts_with_intervals": int(df.id.nunique()),
           "lifelines_version": __import__("lifelines").__version__,
           "coefficients": ctv.params_.values.tolist(), "std_errors": ctv.standard_errors_.values.tolist(),
           "log_likelihood": float(ctv.log_likelihood_), "concordance": naive_concordance(eta, start, stop, event)}
    with open(os.path.join(out, f"survival_peer_{name}{'_indicator' if indicator else ''}.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(name, len(df), "intervals", ref["events"], "events", dropped, "dropped")


CASES = {
    "tv_small": dict(kind="tv", n=300, k=3, seed=11),
    "tv_medium": dict(kind="tv", n=1500, k=5, seed=12),
    "one_interval": dict(kind="one", n=2000, k=4, seed=13),
}


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, kw in CASES.items():
        df = time_varying(kw["n"], kw["k"], kw["seed"]) if kw["kind"] == "tv" else one_interval(kw["n"], kw["k"], kw["seed"])
        xs = [c for c in df.columns if c.startswith("x")]
        df.to_csv(os.path.join(out, f"cox_{name}.csv"), index=False)
        X = df[xs].values.astype(float)
        start, stop, event, ids = df.start.values.astype(float), df.stop.values.astype(float), df.event.values, df.id.values
        ctv = CoxTimeVaryingFitter().fit(df, id_col="id", event_col="event", start_col="start", stop_col="stop",
                                         fit_options=dict(precision=1e-12, r_precision=1e-14, step_size=1.0))
        probe = np.quantile(stop[event == 1], [0.1, 0.5, 0.9])
        bch = ctv.baseline_cumulative_hazard_
        ref = {
            "rows": len(df), "events": int(event.sum()), "factors": xs,
            "lifelines": {
                "version": __import__("lifelines").__version__,
                "fitter": "CoxTimeVaryingFitter (Efron)",
                "coefficients": ctv.params_.values.tolist(),
                "std_errors": ctv.standard_errors_.values.tolist(),
                "log_likelihood": float(ctv.log_likelihood_),
                "baseline_probe_times": probe.tolist(),
                "baseline_cumulative_hazard": [float(bch[bch.index <= t].iloc[-1, 0]) for t in probe],
            },
        }
        # Centred X for the naive loops (the partial likelihood does not depend on centring).
        Xc = X - X.mean(0)
        b_efron, cov_efron, ll_efron = naive_fit(Xc, start, stop, event, "efron")
        b_bres, cov_bres, ll_bres = naive_fit(Xc, start, stop, event, "breslow")
        ref["naive"] = {
            "efron": {"coefficients": b_efron.tolist(), "std_errors": np.sqrt(np.diag(cov_efron)).tolist(),
                      "log_likelihood": ll_efron, "null_log_likelihood": naive_loglik(Xc, start, stop, event, 0 * b_efron, "efron"),
                      "robust_std_errors": np.sqrt(np.diag(naive_robust(Xc, start, stop, event, ids, b_efron, cov_efron, "efron"))).tolist(),
                      "concordance": naive_concordance(Xc @ b_efron, start, stop, event)},
            "breslow": {"coefficients": b_bres.tolist(), "std_errors": np.sqrt(np.diag(cov_bres)).tolist(),
                        "log_likelihood": ll_bres, "null_log_likelihood": naive_loglik(Xc, start, stop, event, 0 * b_bres, "breslow"),
                        "robust_std_errors": np.sqrt(np.diag(naive_robust(Xc, start, stop, event, ids, b_bres, cov_bres, "breslow"))).tolist(),
                        "concordance": naive_concordance(Xc @ b_bres, start, stop, event)},
        }
        if kw["kind"] == "one":
            ph = CoxPHFitter().fit(df.drop(columns=["start"]), duration_col="stop", event_col="event", cluster_col="id")
            ref["lifelines_coxph"] = {
                "fitter": "CoxPHFitter(cluster_col='id') (Efron)",
                "coefficients": ph.params_.values.tolist(),
                "robust_std_errors": ph.standard_errors_.values.tolist(),
                "log_likelihood": float(ph.log_likelihood_),
                "concordance": float(ph.concordance_index_),
            }
        with open(os.path.join(out, f"cox_{name}.json"), "w") as f:
            json.dump(ref, f, indent=1)
        print(name, len(df), "rows", int(event.sum()), "events; max |lifelines − naive efron| =",
              np.max(np.abs(np.array(ref["lifelines"]["coefficients"]) - b_efron)))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/AccountHealthTests/Fixtures"
    if "--pipeline-only" not in sys.argv:
        main(out)
    # The whole pipeline on a bundled dataset: timeline + outcomes + config → intervals → lifelines.
    pipeline("datasets/simulated", out, "simulated")
    pipeline("datasets/fightchurn-crm6", out, "fightchurn-crm6")
    pipeline("datasets/simulated", out, "simulated", indicator=True)
