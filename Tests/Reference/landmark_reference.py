#!/usr/bin/env python3
"""Reference values for the landmark evaluation of `survival --landmark` (DESIGN §14), from scikit-survival.

usage: python3 Tests/Reference/landmark_reference.py Tests/AccountHealthTests/Fixtures   (from the repository root)
Needs: numpy, scikit-survival 0.28 (pip install scikit-survival).

A small case is simulated with a fixed seed: 300 accounts with an observed time in whole days after the landmark
(ties included), an event flag, and predicted survival probabilities S_i(t) at 30, 90, 180 and 365 days from a
proportional-hazards curve in a risk score (a block of accounts shares one score, so the risks tie). As DESIGN
§14 says, the evaluated accounts are both `survival_train` and `survival_test`. Writes landmark_case.csv (time,
event, then the four survival columns) and landmark_case.json (brier_score per time, integrated_brier_score,
cumulative_dynamic_auc per time and its mean, concordance_index_ipcw with tau = the last time on the risk
1 − S(t_last), and the same Brier figures for the Kaplan–Meier curve of the evaluated accounts).
"""
import json, os, sys

import numpy as np
import sksurv
from sksurv.metrics import brier_score, concordance_index_ipcw, cumulative_dynamic_auc, integrated_brier_score
from sksurv.nonparametric import SurvivalFunctionEstimator
from sksurv.util import Surv

TIMES = [30, 90, 180, 365]


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(20261203)
    n = 300
    risk = rng.normal(0, 1, n)
    risk[:20] = 0.25  # twenty accounts with the same risk: tied predictions
    event_time = np.ceil(rng.exponential(400 * np.exp(-0.8 * risk)))
    censor_time = np.ceil(rng.uniform(20, 700, n))
    time = np.minimum(event_time, censor_time)
    event = event_time <= censor_time
    time[-1], event[-1] = 800.0, True  # the longest follow-up ends in a churn: G stays positive at every event
    y = Surv.from_arrays(event=event, time=time)
    base = 1 / 500.0
    surv = np.exp(-base * np.outer(np.exp(0.7 * risk), TIMES))
    _, bs = brier_score(y, y, surv, TIMES)
    ibs = integrated_brier_score(y, y, surv, TIMES)
    auc, mean_auc = cumulative_dynamic_auc(y, y, 1 - surv, TIMES)
    cindex = concordance_index_ipcw(y, y, 1 - surv[:, -1], tau=TIMES[-1])[0]
    km = SurvivalFunctionEstimator().fit(y).predict_proba(np.array(TIMES, dtype=float))
    surv_km = np.broadcast_to(km, (n, len(TIMES)))
    _, bs_km = brier_score(y, y, surv_km, TIMES)
    ibs_km = integrated_brier_score(y, y, surv_km, TIMES)
    with open(os.path.join(out, "landmark_case.csv"), "w") as f:
        f.write("time,event," + ",".join(f"s{t}" for t in TIMES) + "\n")
        for i in range(n):
            f.write(f"{int(time[i])},{int(event[i])}," + ",".join(repr(float(v)) for v in surv[i]) + "\n")
    ref = {"times": TIMES, "accounts": n, "events": int(event.sum()), "sksurv_version": sksurv.__version__,
           "brier": bs.tolist(), "integrated_brier": float(ibs), "auc": auc.tolist(), "mean_auc": float(mean_auc),
           "concordance_ipcw": float(cindex), "km": km.tolist(), "brier_km": bs_km.tolist(),
           "integrated_brier_km": float(ibs_km)}
    with open(os.path.join(out, "landmark_case.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
