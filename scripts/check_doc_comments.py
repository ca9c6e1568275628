#!/usr/bin/env python3
"""Every public declaration in the given source folders has a doc comment (a `///` line, or the end of a
`/** */` block, just above it and its attributes). Prints each one that has none, as file:line: text, and
exits 1 when there is any. Usage: check_doc_comments.py DIR..."""
import pathlib
import re
import sys

DECL = re.compile(r"^\s*(@\w+(\([^)]*\))?\s+)*(public|open)\s+(?!extension\b)")
ATTR = re.compile(r"^\s*@\w+")

missing = []
for root in sys.argv[1:]:
    for path in sorted(pathlib.Path(root).rglob("*.swift")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not DECL.match(line):
                continue
            j = i - 1
            while j >= 0 and ATTR.match(lines[j]) and not lines[j].strip().startswith("///"):
                j -= 1
            above = lines[j].strip() if j >= 0 else ""
            if not (above.startswith("///") or above.endswith("*/")):
                missing.append(f"{path}:{i + 1}: {line.strip()}")
for m in missing:
    print(m)
if missing:
    print(f"{len(missing)} public declarations without a doc comment", file=sys.stderr)
    sys.exit(1)
