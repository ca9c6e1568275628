#!/usr/bin/env bash
# Installs what AccountHealth needs on a fresh Debian machine, and nothing that is already there:
#   libopenblas-dev + liblapacke-dev (BLAS/LAPACK for the models; DESIGN §9),
#   python3-yaml (the independent §3 reference used by the tests).
# Safe to run repeatedly. Uses sudo when not root.
set -euo pipefail

need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s liblapacke-dev >/dev/null 2>&1 || need+=(liblapacke-dev)
python3 -c 'import yaml' >/dev/null 2>&1 || need+=(python3-yaml)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH (Swift 6.1 or later is needed: https://swift.org/install)" >&2
  exit 1
fi
