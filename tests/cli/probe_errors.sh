#!/bin/sh
# Probe failures: a probe that fails for want of a resource (here file
# descriptors, under a low `ulimit -n`) is an error of the cell and the
# run exits 1; only "this host lacks the mechanism" is a skip (issue 20
# #12: it was reported as skipped and the run exited 0, nothing measured).
. "$(dirname "$0")/lib.sh"

t_out_of_fds_in_probe_is_an_error() {
	found=0
	# the descriptors ipcbench holds before the probe vary by build and
	# libc: try a few limits and judge every one where the probe ran dry
	for n in 3 4 5 6 7 8; do
		(
			ulimit -n $n
			exec "$IPCBENCH" run -t pipe -s 64 -n 10 --no-calibrate --placement cross -q -o "$T/r$n.json"
		) >"$T/out" 2>"$T/err"
		rc=$?
		[ -s "$T/r$n.json" ] || continue
		jq -e '.results[] | select(.status == "skipped" or .status == "error")
			| select(((.reason // "") + (.error // "")) | test("probe|not available"))' "$T/r$n.json" \
			>/dev/null 2>&1 || continue
		found=$((found + 1))
		json_check '.results[0].status == "error"' "$T/r$n.json"
		json_check '.results[0].error | test("Too many open files")' "$T/r$n.json"
		[ $rc -eq 1 ] || fail "ulimit -n $n: the probe ran out of fds, yet the run exited $rc"
	done
	[ $found -gt 0 ] || skip "no fd limit between 3 and 8 made the probe itself fail here"
}

t_missing_mechanism_is_still_a_skip() {
	# RLIMIT_SIGPENDING below what signal needs: the host rules it out
	command -v prlimit >/dev/null 2>&1 || skip "no prlimit (util-linux) to lower RLIMIT_SIGPENDING"
	prlimit --sigpending=1:1 "$IPCBENCH" run -t signal -s 64 -n 10 --no-calibrate --placement cross -q \
		-o "$T/r.json" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] || fail "exit $rc, expected 0 for a skipped cell; stderr: $(head -c 300 "$T/err")"
	json_check '.results[0].status == "skipped" and (.results[0].reason | test("RLIMIT_SIGPENDING"))' "$T/r.json"
}

run_tests
