#!/usr/bin/env python3
"""Compares two timeline CSVs cell by cell: same rows in the same order, same empty cells, numbers equal
to a relative tolerance. usage: compare_timelines.py A.csv B.csv [TOL]   (exit 1 on any difference)"""
import csv, sys

def main(a, b, tol):
    ra, rb = csv.reader(open(a)), csv.reader(open(b))
    ha, hb = next(ra), next(rb)
    if ha != hb:
        sys.exit(f"headers differ: {ha} vs {hb}")
    rows = cells = diff = 0
    worst = 0.0
    for x, y in zip(ra, rb):
        rows += 1
        if x[:2] != y[:2]:
            sys.exit(f"row {rows}: {x[:2]} vs {y[:2]}")
        for u, v in zip(x[2:], y[2:]):
            cells += 1
            if (u == "") != (v == ""):
                diff += 1
                continue
            if u:
                p, q = float(u), float(v)
                e = abs(p - q) / max(1.0, abs(q))
                worst = max(worst, e)
                if e > tol:
                    diff += 1
    extra = sum(1 for _ in ra) + sum(1 for _ in rb)
    print(f"{rows} rows, {cells} cells: {diff} differ, max relative difference {worst:.1e}, {extra} rows only in one file")
    sys.exit(1 if diff or extra else 0)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1e-12)
