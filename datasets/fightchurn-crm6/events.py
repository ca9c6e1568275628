#!/usr/bin/env python3
"""Write the fight-churn crm6 run's activity as an AccountHealth events file (DESIGN §9).

usage: python3 events.py [SOURCE_DIR] OUTPUT_CSV
  SOURCE_DIR defaults to <repo>/../shared/data/fightchurn-crm6.

The run keeps its activity as daily counts per account and event type (`event_daily.csv.gz`:
account_id, event_date, event_type_id, n_events). Each such row becomes one event row
`account_id,time,type,value` with the date as its time and the day's count as its value, so the
`sum` metric over a window gives the window's event count, which is how convert.py builds its
timeline. Every event type is written (28 of them), as a CRM export would. Standard library only.
"""
import csv, gzip, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(src, out):
    names = {}
    with open(os.path.join(src, "event_type.csv")) as f:
        for r in csv.DictReader(f):
            names[r["event_type_id"]] = r["event_type_name"]
    n = 0
    with gzip.open(os.path.join(src, "event_daily.csv.gz"), "rt") as f, open(out, "w", newline="") as g:
        w = csv.writer(g, lineterminator="\n")
        w.writerow(["account_id", "time", "type", "value"])
        for r in csv.DictReader(f):
            w.writerow([r["account_id"], r["event_date"], names[r["event_type_id"]], r["n_events"]])
            n += 1
    print(f"events.py: {n} events -> {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 2:
        main(os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "fightchurn-crm6")), sys.argv[1])
    else:
        main(sys.argv[1], sys.argv[2])
