#!/usr/bin/env python3
"""Checks a peer's fit against healthscore's: compare_fit.py OURS.json PEER.json TOLERANCE
(the same observation count, and every coefficient equal to a relative tolerance)."""
import json, sys
ours, peer, tol = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
assert ours["observations"] == peer["observations"], (ours["observations"], peer["observations"])
mine = {c["name"]: c["estimate"] for c in ours["coefficients"]}
worst = max(abs(c["estimate"] - mine[c["name"]]) / max(abs(mine[c["name"]]), 1e-12) for c in peer["coefficients"])
print(f"{len(mine)} coefficients, {ours['observations']} observations; largest relative difference {worst:.2e}")
sys.exit(0 if worst <= tol else 1)
