#!/usr/bin/env python3
"""Turn the fight-churn `crm6` simulator run (../shared/data/fightchurn-crm6) into the AccountHealth
data contract (DESIGN.md §2). Re-runnable and deterministic; needs only the Python 3 standard library.

usage: python3 convert.py [SOURCE_DIR] [OUTPUT_DIR]
  SOURCE_DIR defaults to <repo>/../shared/data/fightchurn-crm6, OUTPUT_DIR to this folder.

What it writes (see README.md beside this script for the reasoning):
  timeline.csv  one row per account per week (Mondays) while subscribed: each chosen event type's
                count over the 28 days up to that date, plus `seats` (users on the base plan)
  accounts.csv  account_id, am (= acquisition channel), segment (= plan tier), arr (= 12 x MRR of the
                latest period), renewal_date, country, date_of_birth
  outcomes.csv  every base-plan billing period that ended on or before the simulation end: renewed
                when another base-plan period starts on its end date, churned otherwise
  config.yaml   a hand-guessed weighting, as an administrator would write it before any analysis
"""
import csv, datetime as dt, gzip, os, sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_END = dt.date(2023, 1, 1)           # the simulator's end_date (conf.yaml)
WINDOW = 28                             # days in each event count
FACTORS = [                             # event types kept as factors (utility in conf.yaml)
    "search", "add_contact", "add_lead", "meeting", "create_opportunity", "advance_stage",
    "quote", "win_opportunity", "email_list", "add_competitor", "disqualify_opportunity", "cancel_meeting",
]
NEGATIVE = {"add_competitor", "disqualify_opportunity", "cancel_meeting"}
ADDONS = {"meetings", "search_unlimited"}


def d(s):
    return dt.date.fromisoformat(s)


def main(src, out):
    names = {}
    with open(os.path.join(src, "event_type.csv")) as f:
        for r in csv.DictReader(f):
            names[int(r["event_type_id"])] = r["event_type_name"]
    wanted = {i: n for i, n in names.items() if n in FACTORS}

    # Billing periods per account: base plan rows and the total MRR of each period.
    periods = defaultdict(dict)         # account -> start -> {end, plan, seats, mrr}
    with open(os.path.join(src, "subscription.csv")) as f:
        for r in csv.DictReader(f):
            a, s, e = r["account_id"], d(r["start_date"]), d(r["end_date"])
            p = periods[a].setdefault(s, {"end": e, "plan": None, "seats": 0, "mrr": 0.0})
            p["mrr"] += float(r["mrr"])
            if r["product"] not in ADDONS:
                p["plan"], p["seats"], p["end"] = r["product"], int(r["quantity"]), e

    # Daily event counts of the kept types.
    daily = defaultdict(lambda: defaultdict(dict))  # account -> factor -> date -> n
    with gzip.open(os.path.join(src, "event_daily.csv.gz"), "rt") as f:
        for r in csv.DictReader(f):
            t = int(r["event_type_id"])
            if t in wanted:
                daily[r["account_id"]][wanted[t]][d(r["event_date"])] = int(r["n_events"])

    accounts = {}
    with open(os.path.join(src, "account.csv")) as f:
        for r in csv.DictReader(f):
            accounts[r["account_id"]] = r

    def key(a):
        return int(a)

    os.makedirs(out, exist_ok=True)
    first_monday = dt.date(2022, 1, 3)
    rows = 0
    with open(os.path.join(out, "timeline.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account_id", "date"] + FACTORS + ["seats"])
        for a in sorted(periods, key=key):
            ps = sorted((s, p) for s, p in periods[a].items() if p["plan"])
            if not ps:
                continue
            start, last_end = ps[0][0], max(p["end"] for _, p in ps)
            # Weekly snapshots from the first Monday with a full 28-day window while subscribed.
            day = first_monday
            while day < start + dt.timedelta(days=WINDOW - 1):
                day += dt.timedelta(days=7)
            stop = min(last_end, SIM_END)
            while day <= stop:
                seats = next((p["seats"] for s, p in reversed(ps) if s <= day), ps[0][1]["seats"])
                counts = []
                for fac in FACTORS:
                    ev = daily[a].get(fac, {})
                    counts.append(sum(ev.get(day - dt.timedelta(days=k), 0) for k in range(WINDOW)))
                w.writerow([a, day.isoformat()] + counts + [seats])
                rows += 1
                day += dt.timedelta(days=7)

    outcomes = 0
    churns = 0
    with open(os.path.join(out, "outcomes.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account_id", "date", "outcome", "arr"])
        for a in sorted(periods, key=key):
            starts = {s for s, p in periods[a].items() if p["plan"]}
            for s, p in sorted(periods[a].items()):
                if not p["plan"] or p["end"] > SIM_END:
                    continue            # still running at the end of the simulation: censored, no decision
                renewed = p["end"] in starts
                w.writerow([a, p["end"].isoformat(), "renewed" if renewed else "churned", round(12 * p["mrr"], 2)])
                outcomes += 1
                churns += 0 if renewed else 1

    with open(os.path.join(out, "accounts.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account_id", "am", "segment", "arr", "renewal_date", "country", "date_of_birth"])
        for a in sorted(periods, key=key):
            ps = sorted((s, p) for s, p in periods[a].items() if p["plan"])
            if not ps:
                continue
            s, p = ps[-1]
            tier = p["plan"].split("_")[0]
            info = accounts.get(a, {})
            w.writerow([a, info.get("channel", ""), tier, round(12 * p["mrr"], 2), p["end"].isoformat(),
                        info.get("country", ""), info.get("date_of_birth", "")])

    # The guessed configuration: every kept event at a round weight, counts scaled to 0-100 by a cap
    # an administrator might pick (the 90th percentile of the 28-day counts), negative events inverted.
    caps = {}
    with open(os.path.join(out, "timeline.csv")) as f:
        r = list(csv.DictReader(f))
    for fac in FACTORS + ["seats"]:
        v = sorted(int(x[fac]) for x in r)
        caps[fac] = max(1, v[int(0.9 * (len(v) - 1))])
    with open(os.path.join(out, "config.yaml"), "w") as f:
        f.write("# A hand-guessed weighting of the crm6 activity counts (written by convert.py).\n")
        f.write("# Counts are scaled to 0-100 with the 90th percentile as 100; negative events are inverted.\n")
        f.write("factors:\n")
        for fac in FACTORS + ["seats"]:
            weight = 5 if fac in NEGATIVE else (15 if fac in ("add_contact", "meeting") else 8)
            inv = ", invert: true" if fac in NEGATIVE else ""
            f.write(f"  - {{name: {fac}, weight: {weight}, scale: {{min: 0, max: {caps[fac]}}}{inv}}}\n")
        f.write("bands:\n  - {name: red, below: 40}\n  - {name: yellow, below: 70}\n  - {name: green}\n")
        f.write("period: 28\nstale_after: 35\n")
    print(f"convert.py: {rows} timeline rows, {len(periods)} accounts, {outcomes} outcomes ({churns} churned) -> {out}",
          file=sys.stderr)


if __name__ == "__main__":
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "shared", "data", "fightchurn-crm6")
    out = sys.argv[2] if len(sys.argv) > 2 else HERE
    main(os.path.normpath(src), out)
