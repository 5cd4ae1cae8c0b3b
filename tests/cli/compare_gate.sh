#!/bin/sh
# The gate and failing cells (issue 20, defect 17): a candidate that fails
# a cell the base passes fails `compare` (exit 1, verdict "failed", the
# reason in the table, the Markdown, the JSON and the -q line), whether it
# fails in most rounds or in all; a cell both sides fail now and then is
# compared over its ok repetitions as before.  Then scripts/ci-regression.sh
# with candidates whose run fails a cell in most rounds, or writes nothing.
# Result files are real small runs, with failures marked by jq.
. "$(dirname "$0")/lib.sh"

SRC=${IPCB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PIPE='pipe/pingpong/64/same:0,0/block'
ERR='repetition 1: pipe: send: Input/output error'

# rounds SIDE K: K result files SIDE-1.json.. of one repetition each (like ci-regression.sh)
rounds() {
	i=1
	while [ "$i" -le "$2" ]; do
		"$IPCBENCH" run -t pipe,socketpair -s 64 -n 300 --warmup 20 --repeat 1 --cpus 0,0 --no-calibrate -q \
			-o "$T/$1-$i.json" 2>>"$T/run.err" || fail "run $1 $i failed: $(tail -n 2 "$T/run.err")"
		i=$((i + 1))
	done
}

# list SIDE K: "T/SIDE-1.json,...,T/SIDE-K.json"
list() {
	l='' i=1
	while [ "$i" -le "$2" ]; do
		l=${l:+$l,}$T/$1-$i.json
		i=$((i + 1))
	done
	echo "$l"
}

# break_pipe FILE: pipe's cell and repetitions failed, as a send error leaves them
break_pipe() {
	jq --arg e "$ERR" '(.results[] | select(.transport == "pipe")) |=
		(.status = "error" | .error = $e | .round_trips_per_sec = null |
		 .repetitions |= map(.status = "error" | .reason = ($e | sub("^repetition 1: "; ""))))' \
		"$1" >"$1.new" || fail "jq on $1 failed"
	mv "$1.new" "$1"
}

# check_failed K-FAILED K: the outputs of compare say pipe failed, and why
check_failed() {
	grep -qF "$PIPE  failed: $1 of $2 new repetitions failed, all $2 of base passed (error: $ERR)" "$T/out" ||
		fail "table: $(grep -F "$PIPE" "$T/out")"
	grep -q '^1 failed, ' "$T/out" || fail "summary: $(tail -n 2 "$T/out")"
	grep -q '^gate: FAILED (1 failed cell, ' "$T/out" || fail "gate line: $(tail -n 1 "$T/out")"
	grep -q '^### ipcbench compare: 1 failed, ' "$T/s.md" || fail "markdown heading: $(head -n 1 "$T/s.md")"
	grep -q '^\*\*Gate: FAILED\*\* (1 failed cell, ' "$T/s.md" || fail "markdown gate: $(grep Gate "$T/s.md")"
	grep -qF "| \`$PIPE\` | **failed**: $1 of $2 new repetitions failed" "$T/s.md" ||
		fail "markdown lacks the failed row"
	grep -qF "| \`$PIPE\` | | | | | | | **failed** | $1 of $2" "$T/s.md" || fail "markdown's table lacks the cell"
	grep -qF 'Input/output error' "$T/s.md" || fail "markdown does not say why"
	json_check '.cells[] | select(.key == "'"$PIPE"'") |
		.verdict == "failed" and .gated == true and .new_failed_repetitions == '"$1"' and
		(.reason | test("Input/output error"))' "$T/c.json"
	json_check '.summary.gate == "failed" and .summary.exit_code == 1 and .summary.failed_cells == 1 and
		.summary.cells.failed == 1' "$T/c.json"
}

# check_quiet K-FAILED K: -q prints nothing on stdout and one line on stderr that says why
check_quiet() {
	expect_exit 1 "$IPCBENCH" compare "$(list base "$2")" "$(list new "$2")" -q
	[ ! -s "$T/out" ] || fail "-q printed on stdout: $(head -c 200 "$T/out")"
	one_line_error "gate failed: $PIPE failed: $1 of $2 new repetitions failed"
	grep -qF 'Input/output error' "$T/err" || fail "-q line does not say why: $(cat "$T/err")"
}

# gate_fails K I...: K rounds a side, pipe broken in new's rounds I...:
# compare fails the gate, and its outputs and its -q line say why
gate_fails() {
	k=$1
	shift
	rounds base "$k"
	rounds new "$k"
	for i in "$@"; do break_pipe "$T/new-$i.json"; done
	expect_exit 1 "$IPCBENCH" compare "$(list base "$k")" "$(list new "$k")" --markdown "$T/s.md" --json "$T/c.json"
	check_failed $# "$k"
	check_quiet $# "$k"
}

t_candidate_failing_most_rounds_fails_the_gate() {
	gate_fails 5 1 2 4 5
}

t_candidate_failing_every_round_fails_the_gate() {
	gate_fails 4 1 2 3 4
	# --json - (no table) says why on stderr as well
	expect_exit 1 "$IPCBENCH" compare "$(list base 4)" "$(list new 4)" --json -
	jq -e '.summary.gate == "failed"' "$T/out" >/dev/null || fail "--json - is not the comparison"
	one_line_error "gate failed: $PIPE failed"
}

# both sides fail now and then: left out and noted, not gated (as before)
t_both_sides_flaky_stay_left_out() {
	rounds base 6
	rounds new 6
	for f in base-1 base-4 new-2 new-6; do break_pipe "$T/$f.json"; done
	# pipe only: 4 against 4 ok repetitions cannot reach a significant p, so no verdict but "failed" could gate
	for f in "$T"/base-*.json "$T"/new-*.json; do
		jq '.results |= map(select(.transport == "pipe"))' "$f" >"$f.new" && mv "$f.new" "$f"
	done
	expect_exit 0 "$IPCBENCH" compare "$(list base 6)" "$(list new 6)" --markdown "$T/s.md" --json "$T/c.json"
	grep -qF "[4 vs 4 repetitions; left out failed repetitions: 2 of base, 2 of new]" "$T/out" ||
		fail "table: $(grep -F "$PIPE" "$T/out")"
	grep -q '^gate: passed (0 regressed' "$T/out" || fail "gate line: $(tail -n 1 "$T/out")"
	grep -q '^\*\*Gate: passed\*\* (0 regressed' "$T/s.md" || fail "markdown gate"
	json_check '.cells[0].verdict != "failed" and .cells[0].gated == false and .summary.failed_cells == 0 and
		.cells[0].base_failed_repetitions == 2 and .cells[0].new_failed_repetitions == 2' "$T/c.json"
}

# new_bin MODE: a candidate "binary": the real ipcbench, whose run then fails
# pipe in rounds 1, 2, 4 and 5 (MODE flaky), or writes nothing and exits 139
# (MODE crash).  It counts its runs in $T/count.
new_bin() {
	cat >"$T/new-ipcbench" <<EOF
#!/bin/sh
[ "\$1" = run ] || exec "$IPCBENCH" "\$@"
n=\$((\$(cat "$T/count" 2>/dev/null || echo 0) + 1)); echo \$n >"$T/count"
[ $1 = crash ] && { echo "Segmentation fault" >&2; exit 139; }
"$IPCBENCH" "\$@" || exit \$?
case \$n in 3) exit 0 ;; esac
for a; do [ "\$prev" = -o ] && o=\$a; prev=\$a; done
jq --arg e "$ERR" '(.results[] | select(.transport == "pipe")) |= (.status = "error" | .error = \$e |
	.repetitions |= map(.status = "error"))' "\$o" >"\$o.new" && mv "\$o.new" "\$o"
echo "ipcbench: $ERR" >&2
exit 1
EOF
	chmod +x "$T/new-ipcbench"
}

ci() {
	"$SRC/scripts/ci-regression.sh" --base-bin "$IPCBENCH" --new-bin "$T/new-ipcbench" --compare-bin "$IPCBENCH" \
		-k 5 -o "$T/ci" -- -t pipe,socketpair -s 64 -n 300 --warmup 20 --cpus 0,0 --no-calibrate
}

t_ci_regression_gates_a_candidate_failing_most_rounds() {
	new_bin flaky
	export GITHUB_STEP_SUMMARY="$T/step.md"
	expect_exit 1 ci
	grep -qF "$PIPE  failed: 4 of 5 new repetitions failed" "$T/out" || fail "table: $(grep -F "$PIPE" "$T/out")"
	grep -q '^\*\*Gate: FAILED\*\* (1 failed cell' "$T/ci/summary.md" || fail "summary.md gate"
	grep -qF 'a cell failed in 0 of the 5 base runs and 4 of the 5 new runs' "$T/ci/summary.md" ||
		fail "summary.md lacks the failed runs"
	cmp -s "$T/ci/summary.md" "$T/step.md" || fail "the job summary is not summary.md"
	json_check '.summary.gate == "failed" and ([.base.files, .new.files] | map(length)) == [5, 5]' "$T/ci/compare.json"
}

t_ci_regression_gates_a_candidate_that_cannot_run() {
	new_bin crash
	export GITHUB_STEP_SUMMARY="$T/step.md"
	expect_exit 1 ci
	grep -q 'gate FAILED: the candidate.s run (round 1) exited 139 without a result: Segmentation fault' "$T/err" ||
		fail "stderr: $(tail -n 3 "$T/err")"
	grep -q '^\*\*Gate: FAILED\*\* (the candidate.s .ipcbench run. exited 139 in round 1' "$T/ci/summary.md" ||
		fail "summary.md: $(cat "$T/ci/summary.md")"
	grep -q 'Segmentation fault' "$T/step.md" || fail "the job summary does not say why"
}

run_tests
