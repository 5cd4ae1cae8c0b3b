#!/bin/sh
# scripts/run-tests.sh - the README's test command: installs what is
# missing, builds, and runs every test suite (unit, conformance, CLI).
# Ends with one line "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -j"$(nproc)" tests >/dev/null
make test
