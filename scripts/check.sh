#!/usr/bin/env bash
# Install the project with its development tools into .venv, then run every
# check CI runs: generated code up to date, lint, types, tests - the server's
# and both clients' (Python in pytest, Node with its own test runner).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# The server depends on the client package (presencectl uses it); both come
# from this repository, so they are installed in one command.
.venv/bin/python -m pip install --quiet -e ./clients/python -e '.[dev]'
# The Node client's tools (ts-proto for codegen, tsc) from the committed lock.
npm ci --prefix clients/node --no-audit --no-fund --loglevel=error

.venv/bin/python scripts/codegen.py --check
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
npm test --prefix clients/node
