#!/usr/bin/env bash
# After the test suite: no secret the tests made (a database password, a studio token: they all start with
# hs-secret-) may appear in anything the tests captured from the tool (its output, its errors, a server's log).
set -euo pipefail
LOG=${1:-.build/test-captures.log}
[ -f "$LOG" ] || { echo "check_no_secrets: nothing was captured ($LOG is missing)"; exit 1; }
if grep -n "hs-secret-" "$LOG" | head -5 | grep .; then
  echo "check_no_secrets: a password or token appears in the captured output above ($LOG)"; exit 1
fi
echo "check_no_secrets: $(wc -l < "$LOG") captured lines, no password or token in them"
