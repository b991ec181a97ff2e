#!/usr/bin/env bash
# Create (or reuse) the virtual environment that holds Arize Phoenix for the OTLP end-to-end
# test (tests/tracing/test_phoenix.py). Phoenix is large (about 850 MB installed), so it lives
# outside the project's own environment and is reused across runs: it is (re)installed only
# when the venv is missing, broken, or holds another Phoenix version than PHOENIX_VERSION.
#
#   scripts/phoenix_venv.sh            # prints the venv's path on its last line
#
# The venv is ${EARNED_PHOENIX_VENV:-$HOME/.cache/earned/phoenix-venv}. Phoenix comes from
# PyPI; nothing else is downloaded, and Phoenix itself is started only by the test, bound to
# loopback (PHOENIX_HOST=127.0.0.1).
set -euo pipefail

PHOENIX_VERSION="${EARNED_PHOENIX_VERSION:-20.26.1}"
VENV="${EARNED_PHOENIX_VENV:-$HOME/.cache/earned/phoenix-venv}"
PYTHON="${PYTHON:-$(command -v python || command -v python3)}"
MARKER="$VENV/.earned-phoenix-version"

if [[ -x "$VENV/bin/phoenix" && -f "$MARKER" && "$(cat "$MARKER")" == "$PHOENIX_VERSION" ]] \
  && "$VENV/bin/python" -c "import phoenix" 2>/dev/null; then
  echo "reusing the Phoenix $PHOENIX_VERSION venv at $VENV" >&2
else
  echo "installing Phoenix $PHOENIX_VERSION into $VENV (about 850 MB, once)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "arize-phoenix==$PHOENIX_VERSION"
  "$VENV/bin/python" -c "import phoenix" # fail here, not in the test, if the install is broken
  echo "$PHOENIX_VERSION" >"$MARKER"
fi
echo "$VENV"
