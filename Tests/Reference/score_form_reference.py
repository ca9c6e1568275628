#!/usr/bin/env python3
"""Reference optimum of the score-form weight fit (DESIGN §13), from SciPy.

usage: python3 Tests/Reference/score_form_reference.py Tests/AccountHealthTests/Fixtures   (from the repository root)
Needs: numpy, scipy.

A small case is simulated with a fixed seed: four factors on 0–100 (`usage`, `tasks` non-optional; `qbr` and
`nps` optional, missing for about a third of the observations), risk levels none/low/high (medium never
occurs, so its configured penalty is kept), and churn drawn from a logistic in a score whose weights are not
the configured ones. The model is written in its own parametrisation, independently of the Swift solver's
(c, q) coordinates:

    s_i(w, p) = sum_{f present} w_f x_if / sum_{f present} w_f - p_{r_i},   logit P(churn_i) = b0 - k s_i,
    w >= 0, sum w = 100, k >= 0, p >= 0 (p_none = 0, p_medium fixed at its configured value)

and maximised with SLSQP (equality Σw = 100, bounds) from twenty starts; the best is polished by a second
SLSQP run from it. Writes score_form_case.csv (the points, empty where an optional factor is missing, the
risk level, the outcome) and score_form_case.json (the optimum and the SciPy version).
"""
import json, os, sys

import numpy as np
import scipy
from scipy.optimize import minimize

FACTORS = ["usage", "tasks", "qbr", "nps"]
OPTIONAL = [False, False, True, True]
LEVELS = ["none", "low", "medium", "high"]
CONFIGURED = {"none": 0.0, "low": 5.0, "medium": 10.0, "high": 20.0}
FITTED = ["low", "high"]


def simulate(n=400, seed=20261203):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, size=(n, 4))
    x[:, 1] = np.clip(x[:, 1] + rng.normal(0, 10, n), 0, 100)
    for j in (2, 3):
        x[rng.uniform(size=n) < 0.35, j] = np.nan
    risk = rng.choice([0, 1, 3], size=n, p=[0.7, 0.2, 0.1])
    w = np.array([50.0, 0.0, 35.0, 15.0])
    s = score(x, risk, w, {"low": 8.0, "high": 25.0})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(2.0 - 0.06 * s)))).astype(float)
    return x, risk, y


def score(x, risk, w, pen):
    present = ~np.isnan(x)
    num = np.where(present, x, 0.0) @ w
    den = present @ w
    s = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
    p = np.array([0.0, pen.get("low", CONFIGURED["low"]), pen.get("medium", CONFIGURED["medium"]),
                  pen.get("high", CONFIGURED["high"])])
    return s - p[risk]


def negll(theta, x, risk, y):
    b0, k = theta[0], theta[1]
    w = theta[2:6]
    pen = dict(zip(FITTED, theta[6:]))
    eta = b0 - k * score(x, risk, w, pen)
    return float(np.sum(np.logaddexp(0, eta) - y * eta))


def main():
    out = sys.argv[1]
    x, risk, y = simulate()
    n = len(y)
    cons = [{"type": "eq", "fun": lambda t: np.sum(t[2:6]) - 100.0, "jac": lambda t: np.r_[0, 0, np.ones(4), 0, 0]}]
    bounds = [(None, None), (0, None)] + [(0, 100)] * 4 + [(0, None)] * 2
    rng = np.random.default_rng(7)
    best = None
    for s in range(20):
        w0 = rng.dirichlet(np.ones(4)) * 100
        t0 = np.r_[1.0, 0.05, w0, 5.0, 15.0]
        r = minimize(negll, t0, args=(x, risk, y), method="SLSQP", bounds=bounds, constraints=cons,
                     options={"ftol": 1e-16, "maxiter": 2000})
        if best is None or r.fun < best.fun:
            best = r
    r = minimize(negll, best.x, args=(x, risk, y), method="SLSQP", bounds=bounds, constraints=cons,
                 options={"ftol": 1e-16, "maxiter": 2000})
    if r.fun <= best.fun:
        best = r
    t = best.x
    with open(os.path.join(out, "score_form_case.csv"), "w") as f:
        f.write(",".join(FACTORS + ["risk", "churned"]) + "\n")
        for i in range(n):
            cells = ["" if np.isnan(v) else repr(float(v)) for v in x[i]]
            f.write(",".join(cells + [LEVELS[risk[i]], str(int(y[i]))]) + "\n")
    ref = {"factors": FACTORS, "optional": OPTIONAL, "configured_penalties": CONFIGURED, "fitted_levels": FITTED,
           "observations": n, "churns": int(y.sum()), "scipy_version": scipy.__version__,
           "intercept": t[0], "k": t[1], "weights": t[2:6].tolist(),
           "penalties": dict(zip(FITTED, t[6:].tolist())), "log_likelihood": -best.fun}
    with open(os.path.join(out, "score_form_case.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
