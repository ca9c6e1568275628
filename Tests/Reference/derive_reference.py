#!/usr/bin/env python3
"""An independent, deliberately plain implementation of DESIGN.md §9 (`derive`: factors from activity
events), used as a reference by the test suite: it shares no code with the Swift implementation and
computes every metric by scanning the events again for every grid date (no sweeps, no prefix sums).

usage: derive_reference.py EVENTS_CSV METRICS_YAML
prints the derived timeline CSV: account_id,date,<factor>... (empty = no value), accounts in order of
first appearance, then dates. Needs only Python 3 and PyYAML.

Rules as this script reads them (the README's §9 section says the same):
- time: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.fff]] with an optional Z or ±HH:MM (none = UTC); an event
  belongs to its UTC day; fraction digits beyond the sixth are dropped.
- an exact duplicate is a row with the same account, the same instant, the same (trimmed) type and the
  same value (or both empty): used once.
- windows are the event days in (d - w, d]; without a window, every event on or before d.
- latest: the latest event with a value on or before d, by time, the later row of the file on a tie.
"""
import csv, sys, re, math, datetime as dt
import yaml

TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def instant(text):
    """Microseconds since the epoch (UTC), or raise ValueError."""
    m = TIME.match(text.strip())
    if not m:
        raise ValueError(text)
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    if hh is None and tz is not None:
        raise ValueError(text)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    t = dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro)
    if tz in (None, "Z"):
        t = t.replace(tzinfo=dt.timezone.utc)
    else:
        sign = 1 if tz[0] == "+" else -1
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            raise ValueError(text)
        t = t.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=oh, minutes=om)))
    delta = t - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def utc_day(micros):
    return (EPOCH + dt.timedelta(microseconds=micros)).date()


def fmt(v):
    if v is None:
        return ""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def types_of(spec):
    return [str(t).strip() for t in (spec if isinstance(spec, list) else [spec])]


def main(events_path, metrics_path):
    with open(metrics_path) as f:
        doc = yaml.safe_load(f)
    m = doc["metrics"] if "metrics" in doc else doc
    every = int(m.get("every", 7))
    factors = m["factors"]

    with open(events_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = [h.strip().lower() for h in rows[0]]
    ai, ti, yi = header.index("account_id"), header.index("time"), header.index("type")
    vi = header.index("value") if "value" in header else None
    order, events = [], {}
    for n, r in enumerate(rows[1:]):
        if not any(c.strip() for c in r):
            continue
        a = r[ai]
        v = r[vi].strip() if vi is not None else ""
        ev = (instant(r[ti]), n, r[yi].strip(), float(v) if v != "" else None)
        if a not in events:
            events[a] = []
            order.append(a)
        events[a].append(ev)
    all_days = [utc_day(e[0]) for es in events.values() for e in es]
    start = dt.date.fromisoformat(str(m["start"])) if "start" in m else min(all_days)
    end = dt.date.fromisoformat(str(m["end"])) if "end" in m else max(all_days)
    grid = []
    d = start
    while d <= end:
        grid.append(d)
        d += dt.timedelta(days=every)

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["account_id", "date"] + [f["name"] for f in factors])
    for a in order:
        es = sorted(events[a])                  # by instant, then file row
        kept = []
        for e in es:
            if not any(k[0] == e[0] and k[2] == e[2] and k[3] == e[3] for k in kept if k[0] == e[0]):
                kept.append(e)
        # (day, instant, type, value) per kept event, in time order
        kept = [(utc_day(e[0]), e[0], e[2], e[3]) for e in kept]
        first = min(k[0] for k in kept)
        columns = []
        for f in factors:
            w = f.get("window")
            def of(types):
                return [k for k in kept if k[2] in types]
            def window(evs, d):
                return [k for k in evs if k[0] <= d and (w is None or k[0] > d - dt.timedelta(days=int(w)))]
            col = []
            if "ratio" in f:
                num, den = of(types_of(f["ratio"]["numerator"])), of(types_of(f["ratio"]["denominator"]))
            else:
                kind = next(k for k in ("count", "sum", "mean", "days_since", "latest") if k in f)
                evs = of(types_of(f[kind]))
            for d in grid:
                if d < first:
                    continue
                if "count" in f:
                    col.append(fmt(len(window(evs, d))))
                elif "sum" in f:
                    col.append(fmt(math.fsum(k[3] for k in window(evs, d) if k[3] is not None)))
                elif "mean" in f:
                    vals = [k[3] for k in window(evs, d) if k[3] is not None]
                    col.append(fmt(math.fsum(vals) / len(vals)) if vals else "")
                elif "ratio" in f:
                    n, m = len(window(num, d)), len(window(den, d))
                    col.append(fmt(n / m) if m else "")
                elif "days_since" in f:
                    past = [k[0] for k in evs if k[0] <= d]          # no window for days_since
                    col.append(fmt((d - max(past)).days) if past else "")
                else:
                    with_value = [k for k in window(evs, d) if k[3] is not None]
                    col.append(fmt(with_value[-1][3]) if with_value else "")
            columns.append(col)
        dates = [d for d in grid if d >= first]
        for i, d in enumerate(dates):
            out.writerow([a, d.isoformat()] + [c[i] for c in columns])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
