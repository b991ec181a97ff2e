#!/usr/bin/env bash
# Create (or reuse) the virtual environment that holds the anchors for bench/bench_step_overhead.py:
# PydanticAI with its DBOS durability, and LangGraph with its SQLite checkpointer. They live
# outside the project's environment so they never become dependencies of earned, and the venv is
# reused across runs: it is (re)installed only when missing, broken, or holding other versions.
#
#   scripts/bench_venv.sh            # prints the venv's path on its last line
#
# The venv is ${EARNED_BENCH_VENV:-$HOME/.cache/earned/bench-venv}. Everything comes from PyPI.
set -euo pipefail

PINS=(
  "pydantic-ai-slim[dbos]==2.68.0"
  "langgraph==1.2.22"
  "langgraph-checkpoint-sqlite==3.1.2"
  "langchain-core==1.6.13"  # 1.7+ needs a certifi newer than PyPI mirrors may carry
)
VENV="${EARNED_BENCH_VENV:-$HOME/.cache/earned/bench-venv}"
PYTHON="${PYTHON:-$(command -v python || command -v python3)}"
MARKER="$VENV/.earned-bench-pins"
WANT="$(printf '%s\n' "${PINS[@]}")"
CHECK="import pydantic_ai.durable_exec.dbos, langgraph.checkpoint.sqlite, langgraph.prebuilt"

if [[ -x "$VENV/bin/python" && -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" ]] \
  && "$VENV/bin/python" -c "$CHECK" 2>/dev/null; then
  echo "reusing the bench venv at $VENV" >&2
else
  echo "installing the anchors into $VENV: ${PINS[*]}" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
  "$VENV/bin/python" -c "$CHECK" # fail here, not in the benchmark, if the install is broken
  echo "$WANT" >"$MARKER"
fi
echo "$VENV"
