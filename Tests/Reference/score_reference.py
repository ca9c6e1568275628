#!/usr/bin/env python3
"""An independent, deliberately plain implementation of DESIGN.md §3 (scoring), used as a reference
by the test suite: it shares no code with the Swift engine.

usage: score_reference.py TIMELINE_CSV CONFIG_YAML AS_OF [ACCOUNTS_CSV]
prints CSV: account_id,score,change,<factor>_points...  (empty = no value), sorted by account_id.
Needs only Python 3 and PyYAML.
"""
import csv, sys, datetime as dt
import yaml

PEN_LEVELS = ("none", "low", "medium", "high")

def parse_date(s):
    return dt.date.fromisoformat(s.strip())

def rules_for(cfg, segment):
    base = {k: cfg.get(k) for k in ("factors", "risk_penalty", "period", "stale_after")}
    seg = (cfg.get("segments") or {}).get(segment) if segment is not None else None
    if seg:
        for k in ("factors", "risk_penalty", "period", "stale_after"):
            if k in seg:
                base[k] = seg[k]
    base["period"] = base["period"] or 30
    base["risk_penalty"] = {str(k).lower(): float(v) for k, v in (base["risk_penalty"] or {}).items()}
    return base

def as_of_state(rows, names, t):
    """rows: list of (date, {col: raw str}) for one account. Latest non-empty value per factor, risk of latest row."""
    past = [r for r in rows if r[0] <= t]
    if not past:
        return None
    past.sort(key=lambda r: r[0])
    values = {}
    for n in names:
        for d, cells in reversed(past):
            v = cells.get(n, "")
            if v is not None and v.strip() != "":
                values[n] = float(v)
                break
    risk = (past[-1][1].get("risk") or "").strip().lower() or "none"
    return values, risk

def score(state, rules):
    if state is None:
        return None, None
    values, risk = state
    num = den = 0.0
    mapped = {}
    for f in rules["factors"]:
        n = f["name"].lower(); w = float(f["weight"])
        if n not in values:
            if not f.get("optional", False):
                den += w
            continue
        x = values[n]
        sc = f.get("scale")
        if sc:
            x = 100.0 * (x - float(sc["min"])) / (float(sc["max"]) - float(sc["min"]))
        x = min(max(x, 0.0), 100.0)
        if f.get("invert", False):
            x = 100.0 - x
        mapped[n] = x
        num += w * x
        den += w
    if den == 0:
        return None, None
    s = min(max(num / den - rules["risk_penalty"].get(risk, 0.0), 0.0), 100.0)
    points = {}
    for f in rules["factors"]:
        n = f["name"].lower()
        if n in mapped:
            points[n] = float(f["weight"]) * mapped[n] / den
        elif not f.get("optional", False):
            points[n] = 0.0
    return s, points

def main(timeline, config, as_of, accounts=None):
    cfg = yaml.safe_load(open(config))
    t = parse_date(as_of)
    segments = {}
    if accounts:
        with open(accounts, newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                r = {k.strip().lower(): v for k, v in r.items()}
                segments[r["account_id"]] = r["segment"]
    by_account = {}
    with open(timeline, newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            r = {k.strip().lower(): v for k, v in r.items()}
            by_account.setdefault(r["account_id"], []).append((parse_date(r["date"]), r))
    names = []
    for fs in [cfg["factors"]] + [s["factors"] for s in (cfg.get("segments") or {}).values() if "factors" in s]:
        for f in fs:
            if f["name"].lower() not in names:
                names.append(f["name"].lower())
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["account_id", "score", "change"] + [n + "_points" for n in names])
    for acct in sorted(by_account, key=lambda s: s.encode()):
        rules = rules_for(cfg, segments.get(acct))
        s, pts = score(as_of_state(by_account[acct], names, t), rules)
        if s is None and pts is None and as_of_state(by_account[acct], names, t) is None:
            continue
        prev, _ = score(as_of_state(by_account[acct], names, t - dt.timedelta(days=int(rules["period"]))), rules)
        change = "" if s is None or prev is None else repr(s - prev)
        w.writerow([acct, "" if s is None else repr(s), change] + ["" if pts is None or n not in pts else repr(pts[n]) for n in names])

if __name__ == "__main__":
    main(*sys.argv[1:])
