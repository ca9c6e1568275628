#!/usr/bin/env python3
"""Reference values for the missing-value treatments of `fit` (DESIGN §13), from statsmodels.

usage: python3 Tests/Reference/missing_reference.py Tests/AccountHealthTests/Fixtures   (from the repository root)
Needs: numpy, pandas, statsmodels, PyYAML.

The observations of the bundled simulated dataset at a 90-day horizon are built with pandas, independently of
the Swift builder: for each outcome row, each configuration factor's latest non-empty value on or before
T − 90 (merge_asof), and whether the account has any timeline row by then (an outcome row without one is
`not_observed` and left out). Then, per treatment:
- indicator: a factor with a missing value is filled with the mean of its observed values and gets a 0/1
  `<factor>_missing` column after the factors, unless every row without it has the same outcome (the indicator
  alone would separate them: left out, the value only filled) or its rows are those of an earlier indicator;
- mean: filled, no indicator;
- drop: complete cases.
statsmodels' Logit fits each by Newton's method to a gradient of 1e-12. Writes missing_<treatment>_simulated.json
with the term names, estimates, standard errors, the log-likelihood and the counts.
"""
import json, os, sys

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
import yaml


def observations(data_dir, horizon):
    cfg = yaml.safe_load(open(os.path.join(data_dir, "config.yaml")))
    names = [f["name"] for f in cfg["factors"]]
    tl = pd.read_csv(os.path.join(data_dir, "timeline.csv"), dtype=str, keep_default_na=False)
    tl.columns = [c.lower() for c in tl.columns]
    tl["date"] = pd.to_datetime(tl["date"])
    oc = pd.read_csv(os.path.join(data_dir, "outcomes.csv"), dtype=str, keep_default_na=False)
    oc.columns = [c.lower() for c in oc.columns]
    oc["row"] = np.arange(len(oc))
    oc["t"] = pd.to_datetime(oc["date"]) - pd.Timedelta(days=horizon)
    oc["y"] = (oc["outcome"].str.lower() == "churned").astype(float)
    q = oc[["row", "account_id", "t", "y"]].sort_values("t")
    rows = tl[["account_id", "date"]].drop_duplicates().rename(columns={"date": "t"}).sort_values("t")
    rows["seen"] = 1.0
    q = pd.merge_asof(q, rows, on="t", by="account_id", direction="backward")
    for n in names:
        s = tl[tl[n].str.strip() != ""][["account_id", "date", n]].rename(columns={"date": "t"})
        s[n] = s[n].astype(float)
        q = pd.merge_asof(q, s.sort_values("t"), on="t", by="account_id", direction="backward")
    q = q.sort_values("row")
    observed = q[q["seen"] == 1.0]
    return names, observed, len(q) - len(observed)


def design(names, obs, treatment):
    X = obs[names].to_numpy(dtype=float)
    y = obs["y"].to_numpy(dtype=float)
    if treatment == "drop":
        keep = ~np.isnan(X).any(axis=1)
        return names, X[keep], y[keep], int((~keep).sum())
    means = np.nanmean(X, axis=0)
    miss = np.isnan(X)
    cols, terms, seen = [], [], []
    for j, n in enumerate(names):
        if treatment == "indicator" and miss[:, j].any():
            ind = miss[:, j].astype(float)
            if len(set(y[miss[:, j]])) < 2:
                continue
            if any(np.array_equal(ind, s) for s in seen):
                continue
            seen.append(ind)
            cols.append(ind)
            terms.append(f"{n}_missing")
    Xf = np.where(miss, means, X)
    return names + terms, np.column_stack([Xf] + cols) if cols else Xf, y, 0


def main():
    out = sys.argv[1]
    names, obs, not_observed = observations("datasets/simulated", 90)
    for treatment in ["indicator", "mean", "drop"]:
        terms, X, y, dropped = design(names, obs, treatment)
        fit = sm.Logit(y, np.column_stack([np.ones(len(y)), X])).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
        ref = {"data": "datasets/simulated", "horizon": 90, "treatment": treatment, "observations": len(y),
               "not_observed": not_observed, "dropped": dropped, "names": ["intercept"] + terms,
               "coefficients": fit.params.tolist(), "std_errors": fit.bse.tolist(),
               "log_likelihood": float(fit.llf), "statsmodels_version": statsmodels.__version__}
        with open(os.path.join(out, f"missing_{treatment}_simulated.json"), "w") as f:
            json.dump(ref, f, indent=1)
        print(treatment, len(y), "observations", not_observed, "not observed", dropped, "dropped", terms[len(names):])


if __name__ == "__main__":
    main()
