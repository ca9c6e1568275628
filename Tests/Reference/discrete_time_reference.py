#!/usr/bin/env python3
"""Reference values for the discrete-time hazard model of `survival` (DESIGN §4), from statsmodels.

usage: python Tests/Reference/discrete_time_reference.py Tests/AccountHealthTests/Fixtures   (from the repository root)
Needs: numpy, pandas, statsmodels, PyYAML, lifelines (survival_reference.py, whose counting-process builder this
reuses, imports it).

The counting-process rows of each bundled dataset are built with pandas, independently of the Swift builder
(survival_reference.counting_process). The discrete-time model is a logistic regression of "the interval ends
in a churn" on the interval's factor values and log(1 + age at the interval's start, in days), with an
intercept; statsmodels' Logit fits it by Newton's method to a gradient of 1e-12. Writes
survival_discrete_<dataset>.json: coefficients (intercept, the factors in configuration order, then the age
term), standard errors, the log-likelihood and the statsmodels version.
"""
import json, os, sys

import numpy as np
import statsmodels
import statsmodels.api as sm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from survival_reference import counting_process  # noqa: E402


def main():
    out = sys.argv[1]
    for data_dir, name in [("datasets/simulated", "simulated"), ("datasets/fightchurn-crm6", "fightchurn-crm6")]:
        df, dropped, factors = counting_process(data_dir)
        X = np.column_stack([np.ones(len(df)), df[factors].to_numpy(dtype=float), np.log1p(df.start.to_numpy(dtype=float))])
        y = df.event.to_numpy(dtype=float)
        fit = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=100, disp=False)
        ref = {"data": data_dir, "periods": len(df), "events": int(y.sum()), "dropped": dropped,
               "names": ["intercept"] + factors + ["log_age"], "statsmodels_version": statsmodels.__version__,
               "coefficients": fit.params.tolist(), "std_errors": fit.bse.tolist(), "log_likelihood": float(fit.llf)}
        with open(os.path.join(out, f"survival_discrete_{name}.json"), "w") as f:
            json.dump(ref, f, indent=1)
        print(name, len(df), "periods", ref["events"], "events", fit.mle_retvals["iterations"], "iterations")


if __name__ == "__main__":
    main()
