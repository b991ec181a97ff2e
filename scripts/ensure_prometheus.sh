#!/usr/bin/env bash
# Make sure Debian's `prometheus` binary is on PATH, for the end-to-end test that scrapes
# earned's /metrics endpoint with a real Prometheus (tests/metrics/test_prometheus.py).
#
#   scripts/ensure_prometheus.sh      # installs the package only when `prometheus --version` fails
#
# Needs root (or sudo) and Debian's package index; nothing else is downloaded. The test
# starts its own Prometheus on a loopback port with a temporary storage directory; the
# package's system service is not used (and is not started where policy-rc.d forbids it).
set -euo pipefail

if prometheus --version >/dev/null 2>&1; then
  prometheus --version 2>&1 | head -n 1 >&2
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "prometheus is missing and this user cannot install it (not root, no sudo);" \
      "run: apt-get install -y prometheus" >&2
    exit 1
  fi
fi

echo "installing Debian's prometheus package" >&2
export DEBIAN_FRONTEND=noninteractive
install() { $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null; }
if ! install; then
  $SUDO apt-get update -qq
  install
fi
prometheus --version 2>&1 | head -n 1 >&2
