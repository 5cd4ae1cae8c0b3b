#!/bin/sh
# tests/run.sh - runs every test suite and prints one total line at the end:
#   "N passed, N failed, N skipped"
# Suites: each binary under $BUILDDIR/tests/{unit,conformance}/ and each
# tests/cli/*.sh (run with IPCBENCH=$BUILDDIR/ipcbench).  Each suite ends
# with its own "N passed, N failed, N skipped" line; a suite that ends
# without one (it crashed) counts as one failure.  "-- NAME took N s" after
# each suite says where the time goes (CI must stay well inside its budget).
# Usage: sh tests/run.sh [SUITE-SUBSTRING...]
# IPCB_SKIP_SUITES="a.sh b.sh": suites not run this time, said so on one
# line each (.ci/run's sanitizer pass leaves out the suites that rebuild or
# package the tree: they test the build, not the code under the
# sanitizers, and the plain pass after it runs them).
set -u
BUILDDIR=${BUILDDIR:-build}
IPCBENCH=$(cd "$(dirname "$BUILDDIR/ipcbench")" && pwd)/ipcbench
export IPCBENCH IPCB_SRCDIR="$(pwd)"
passed=0 failed=0 skipped=0 broken=""
log=$(mktemp "${TMPDIR:-/tmp}/ipcbench-tests-log.XXXXXX")
trap 'rm -f "$log"' EXIT
trap 'rm -f "$log"; exit 130' INT
trap 'rm -f "$log"; exit 143' TERM

selected() {
	[ $# -le 1 ] && return 0
	name=$1; shift
	for f in "$@"; do
		case "$name" in *"$f"*) return 0 ;; esac
	done
	return 1
}

run_suite() {
	name=$1; shift
	echo "== $name"
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	echo "-- $name took $(($(date +%s) - t0)) s"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $name ended without a summary (exit $rc)"
		failed=$((failed + 1)); broken="$broken $name"
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		broken="$broken $name"
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
}

for t in "$BUILDDIR"/tests/unit/test_* "$BUILDDIR"/tests/conformance/test_*; do
	[ -x "$t" ] || continue
	selected "$t" "$@" || continue
	run_suite "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	selected "$t" "$@" || continue
	case " ${IPCB_SKIP_SUITES:-} " in
	*" $(basename "$t") "*) echo "== $(basename "$t"): not run (IPCB_SKIP_SUITES)"; continue ;;
	esac
	run_suite "$(basename "$t")" sh "$t"
done
[ -n "$broken" ] && echo "failing suites:$broken"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
