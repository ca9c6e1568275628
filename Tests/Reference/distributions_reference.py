#!/usr/bin/env python3
"""SciPy reference values for the hand-written distribution functions (Models/Distributions.swift).
usage: python3 distributions_reference.py > ../AccountHealthTests/Fixtures/distributions.json   (needs scipy)"""
import json, scipy
from scipy.stats import chi2, norm, poisson
from scipy.special import gammainc
out = {"source": "scipy %s" % scipy.__version__, "gammainc": [], "chi2_ppf": [], "norm_ppf": [], "garwood": []}
for a in [0.5, 1, 2.5, 7, 30, 150.5, 1000]:
    for x in [1e-3, 0.5, 1, 3, 10, 40, 200, 1200]:
        out["gammainc"].append([a, x, float(gammainc(a, x))])
for df in [1, 2, 3, 10, 57, 400, 2000]:
    for p in [1e-6, 0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999999]:
        out["chi2_ppf"].append([p, df, float(chi2.ppf(p, df))])
for p in [1e-10, 1e-4, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9]:
    out["norm_ppf"].append([p, float(norm.ppf(p))])
for k in [0, 1, 2, 5, 17, 100, 1234]:
    lo = 0.0 if k == 0 else float(chi2.ppf(0.025, 2 * k) / 2)
    out["garwood"].append([k, lo, float(chi2.ppf(0.975, 2 * k + 2) / 2)])
print(json.dumps(out, indent=1))
