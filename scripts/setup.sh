#!/usr/bin/env bash
# Installs what AccountHealth needs on a fresh Debian machine, and nothing that is already there:
#   libopenblas-dev + liblapacke-dev (BLAS/LAPACK for the models; DESIGN §9),
#   python3-yaml (the independent §3 and §9 references used by the tests),
#   postgresql (throw-away servers for the push-down tests, DESIGN §10),
#   chromium, chromium-driver and selenium (the studio's browser test, DESIGN §11), curl, openssl (the
#   webhook test's certificates, DESIGN §16).
# Safe to run repeatedly. Uses sudo when not root.
set -euo pipefail

need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s liblapacke-dev >/dev/null 2>&1 || need+=(liblapacke-dev)
python3 -c 'import yaml' >/dev/null 2>&1 || need+=(python3-yaml)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# PostgreSQL (DESIGN §10): the tests start throw-away servers on loopback with its initdb and pg_ctl.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
# The studio's browser test (DESIGN §11): headless Chromium driven by selenium through Debian's chromedriver.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# curl: the test that requests the served binary over HTTP.
command -v curl >/dev/null 2>&1 || need+=(curl)
# openssl: the webhook test makes a CA and server certificates (DESIGN §16).
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# selenium for the python3 on PATH (PyPI; Debian's python3-selenium when pip cannot reach it).
if ! python3 -c 'import selenium' >/dev/null 2>&1; then
  echo "setup: installing selenium (PyPI)" >&2
  python3 -m pip install -q selenium >/dev/null 2>&1 || {
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-selenium >/dev/null
  }
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH (Swift 6.1 or later is needed: https://swift.org/install)" >&2
  exit 1
fi
