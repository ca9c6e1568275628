#!/usr/bin/env python3
"""Fails (exit 1) when a Swift source line is longer than LIMIT characters (not bytes), naming each one.
usage: check_line_length.py LIMIT DIR...   (make lint runs it after swift format's lint, which cannot break
string literals or comments)"""
import os, sys

limit = int(sys.argv[1])
bad = 0
for root in sys.argv[2:]:
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if len(line.rstrip("\n")) > limit:
                        print(f"{path}:{number}: {len(line.rstrip())} characters (at most {limit})")
                        bad += 1
if bad:
    print(f"{bad} line(s) over {limit} characters", file=sys.stderr)
    sys.exit(1)
