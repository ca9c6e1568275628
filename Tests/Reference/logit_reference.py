#!/usr/bin/env python3
"""Reference values for the logistic regression tests, from statsmodels and scikit-learn.

usage: python logit_reference.py OUT_DIR        (OUT_DIR: Tests/AccountHealthTests/Fixtures)
Needs: numpy, statsmodels, scikit-learn (see BENCHMARKS.md for the venv). Writes, per case,
logit_<case>.csv (columns x1..xk, y) and logit_<case>.json (the reference estimates).
The Swift tests read both; this script is kept so the numbers can be re-derived.
"""
import json, sys, os
import numpy as np
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

def make(n, k, seed, rate=0.2, corr=0.0, scale=None):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    if corr:
        z[:, 1] = corr * z[:, 0] + np.sqrt(1 - corr ** 2) * z[:, 1]
    X = z * (scale if scale is not None else 1.0) + 50.0
    beta = rng.uniform(-1, 1, k) / (scale if scale is not None else 1.0)
    eta = (X - 50.0) @ beta
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(mid + eta)))) > rate: hi = mid
        else: lo = mid
    y = (rng.random(n) < 1 / (1 + np.exp(-((lo + hi) / 2 + eta)))).astype(float)
    return X, y

CASES = {
    "small": dict(n=60, k=2, seed=1, rate=0.4),
    "medium": dict(n=5000, k=6, seed=2, rate=0.15, scale=np.array([10, 20, 5, 1, 30, 15.0])),
    "collinearish": dict(n=3000, k=4, seed=3, rate=0.25, corr=0.95),
    "rare": dict(n=20000, k=8, seed=4, rate=0.03),
}

def main(out):
    os.makedirs(out, exist_ok=True)
    for name, kw in CASES.items():
        X, y = make(**kw)
        k = X.shape[1]
        with open(os.path.join(out, f"logit_{name}.csv"), "w") as f:
            f.write(",".join([f"x{j+1}" for j in range(k)] + ["y"]) + "\n")
            for i in range(len(y)):
                f.write(",".join(repr(float(v)) for v in X[i]) + f",{int(y[i])}\n")
        # Re-read exactly what the file holds, so both sides fit the same numbers.
        data = np.loadtxt(os.path.join(out, f"logit_{name}.csv"), delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1]
        Xc = sm.add_constant(X)
        r = sm.Logit(y, Xc).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
        lam = 2.5
        sk = LogisticRegression(C=1 / lam, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
        ref = {
            "source": "statsmodels %s Logit(method='newton', tol=1e-12); ridge: scikit-learn newton-cholesky, C = 1/lambda" % sm.__version__,
            "params": r.params.tolist(), "bse": r.bse.tolist(), "tvalues": r.tvalues.tolist(), "pvalues": r.pvalues.tolist(),
            "conf_int": r.conf_int(0.05).tolist(), "llf": r.llf, "llnull": r.llnull, "aic": r.aic, "bic": r.bic,
            "prsquared": r.prsquared, "iterations": int(r.mle_retvals["iterations"]), "nobs": int(r.nobs),
            "ridge_lambda": lam, "ridge_params": [float(sk.intercept_[0])] + sk.coef_[0].tolist(),
        }
        with open(os.path.join(out, f"logit_{name}.json"), "w") as f:
            json.dump(ref, f, indent=1)
        print(name, "n", len(y), "iterations", ref["iterations"], file=sys.stderr)

if __name__ == "__main__":
    main(sys.argv[1])
