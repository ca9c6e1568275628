#!/usr/bin/env python3
"""Cox benchmark (BENCHMARKS.md): `healthscore bench --cox-file` vs lifelines CoxPHFitter in the same run.

usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/peers/bin/python scripts/bench_cox.py [N] [REPS]
       (defaults 100000 subjects, 3 repetitions; run from the repository root after `swift build -c release`)
The data are generated exactly as shared/peers/bench_models.py's Cox case (seed 1, K = 8, ~50 % events),
written once to CSV at full precision; both fitters get the same rows. Prints the median wall times, the
ratio, and the largest difference between the coefficients (and standard errors) of the two.
"""
import json, os, statistics, subprocess, sys, time
import numpy as np
import pandas as pd
from lifelines import CoxPHFitter

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
k = 8
rng = np.random.default_rng(1)
X = rng.standard_normal((n, k)); beta = rng.uniform(-0.5, 0.5, k)
t_event = rng.exponential(1.0 / (0.01 * np.exp(X @ beta)))
t_cens = rng.uniform(0, 156, n)
df = pd.DataFrame(X, columns=[f"x{i}" for i in range(k)])
df["duration"] = np.minimum(t_event, t_cens); df["event"] = (t_event <= t_cens).astype(int)

path = f"/tmp/ah-cox-{n}.csv"
out = pd.DataFrame({"stop": df.duration, "event": df.event})
for i in range(k):
    out[f"x{i}"] = df[f"x{i}"]
out.to_csv(path, index=False, float_format="%.17g")

times = []
for _ in range(reps):
    t0 = time.perf_counter()
    m = CoxPHFitter().fit(df, duration_col="duration", event_col="event")
    times.append(time.perf_counter() - t0)
life = statistics.median(times)

binary = os.environ.get("HEALTHSCORE_BIN", ".build/release/healthscore")
t0 = time.perf_counter()
r = subprocess.run([binary, "bench", "--cox-file", path, "--reps", "5"], capture_output=True, text=True, check=True)
whole = time.perf_counter() - t0
ours = json.loads(r.stdout)
b, se = np.array(ours["coefficients"]), np.array(ours["std_errors"])
lb, lse = m.params_.values, m.standard_errors_.values
print(f"Cox PH, N={n:,} K={k}, {int(df.event.sum()):,} events ({df.event.mean():.1%}); OpenBLAS core {ours['openblas_core']}")
print(f"  lifelines CoxPHFitter: median {life:.3f} s over {reps} (runs {', '.join(f'{t:.3f}' for t in times)})")
print(f"  healthscore Cox fit:   median {ours['median_seconds']:.4f} s, best {ours['best_seconds']:.4f} s over 5, "
      f"{ours['iterations']} Newton iterations (reading the CSV: {ours['read_seconds']:.3f} s; whole process {whole:.2f} s)")
print(f"  ratio {ours['median_seconds'] / life:.4f} ({life / ours['median_seconds']:.0f}× faster)")
print(f"  max |β − lifelines| = {np.max(np.abs(b - lb)):.2e}, max relative {np.max(np.abs(b - lb) / np.abs(lb)):.2e}; "
      f"std errors max relative {np.max(np.abs(se - lse) / lse):.2e}")
print(f"  log-likelihood {ours['log_likelihood']:.6f} vs {m.log_likelihood_:.6f}; concordance {ours['concordance']:.6f} vs {m.concordance_index_:.6f}")
# lifelines stops when its (damped) Newton step is below 1e-7; run to full precision, the two agree further.
tight = CoxPHFitter().fit(df, duration_col="duration", event_col="event", fit_options=dict(precision=1e-13, step_size=1.0))
print(f"  vs lifelines run to full precision (precision=1e-13): max relative |β| difference "
      f"{np.max(np.abs(b - tight.params_.values) / np.abs(tight.params_.values)):.2e}, std errors "
      f"{np.max(np.abs(se - tight.standard_errors_.values) / tight.standard_errors_.values):.2e}")
