#!/bin/sh
# CLI tests of `ipcbench compare`: the real binary on synthetic result files
# (written with jq, their numbers chosen) and on a real small run.
. "$(dirname "$0")/lib.sh"

# synth FILE CPU-MODEL CELL...: a result file; CELL is
# TRANSPORT:P50_NS:REPETITIONS[:SAMPLES_PER_REPETITION[:WARMUP]].  The
# repetitions' p50 scatter by +-1% around P50_NS; p99 = 3 x p50, p99.9 = 4 x.
synth() {
	out=$1 cpu=$2
	shift 2
	printf '%s\n' "$@" | jq -R -s --arg cpu "$cpu" '
	def lat($v; $n): {unit: "ns", count: $n, min: $v, max: ($v * 10), mean: ($v * 1.1), stddev: 1,
		p50: $v, p90: ($v * 2), p99: ($v * 3), "p99.9": ($v * 4), "p99.99": ($v * 5), "p99.999": ($v * 6)};
	def rep($v; $n): {status: "ok", reason: null, iterations: $n, elapsed_ns: 1000000,
		round_trips_per_sec: (1e9 / $v), msgs_per_sec: (1e9 / $v), bytes_per_sec: (64e9 / $v),
		rate_achieved_per_sec: null, latency_ns: lat($v; $n), cost: null};
	[split("\n")[] | select(length > 0) | split(":") |
	 {t: .[0], v: (.[1] | tonumber), n: (.[2] | tonumber), s: ((.[3] // "100000") | tonumber),
	  w: ((.[4] // "1000") | tonumber)}] as $cells |
	{schema: "ipcbench-result", schema_version: 1,
	 tool: {name: "ipcbench", version: "0.1.0", git_revision: "synthetic", build_flags: "-O2", compiler: "cc"},
	 started_at: "2025-01-01T00:00:00Z",
	 context: {hostname: "h", kernel: "6.1.0", cpu_model: $cpu, cpu_count: 2, virtualization: "kvm",
		   clocksource: "tsc", clock: {source: "tsc"}},
	 config: {command_line: "synthetic"},
	 results: [$cells[] | . as $c |
		{key: "\($c.t)/pingpong/64/same:0,0/block", transport: $c.t, kind: "stream", pattern: "pingpong",
		 msg_bytes: 64, status: "ok", reason: null, error: null,
		 placement: {client_cpu: 0, server_cpu: 0, relation: "same"}, wait: "block", clock: "tsc",
		 warmup: $c.w, iterations: ($c.s * $c.n), iterations_requested: null,
		 duration_ns_requested: 200000000, elapsed_ns: 1, round_trips_per_sec: (1e9 / $c.v),
		 msgs_per_sec: (1e9 / $c.v), bytes_per_sec: (64e9 / $c.v), latency_ns: lat($c.v; $c.s * $c.n),
		 repetitions: [range(0; $c.n) as $i | rep($c.v * (1 + (($i % 5) - 2) * 0.005); $c.s)]}],
	 errors: []}' >"$out" || fail "jq could not write $out"
}

no_escapes() {
	! grep -q "$(printf '\033')" "$1" || fail "colour codes in $1"
}

t_help() {
	expect_exit 0 "$IPCBENCH" compare --help
	grep -q '^usage: ipcbench compare' "$T/out" || fail "no usage"
	expect_exit 0 "$IPCBENCH" --help
	grep -q '^  compare ' "$T/out" || fail "compare is not listed"
}

t_identical_is_exit_0_and_unchanged() {
	synth "$T/a.json" cpu pipe:5000:9 tcp:14000:9
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/a.json" --markdown "$T/s.md" --json "$T/c.json"
	grep -q '^0 regressed, 0 improved, 2 unchanged' "$T/out" || fail "summary: $(tail -n 3 "$T/out")"
	no_escapes "$T/out"
	head -n 1 "$T/s.md" | grep -q '^### ipcbench compare: 0 regressed, 0 improved, 2 unchanged' ||
		fail "markdown summary line: $(head -n 1 "$T/s.md")"
	grep -q 'Gate: passed' "$T/s.md" || fail "markdown gate"
	json_check '.schema == "ipcbench-compare" and .schema_version == 1' "$T/c.json"
	json_check '.summary.exit_code == 0 and .summary.gate == "passed" and .summary.gated_regressions == 0' "$T/c.json"
	json_check '[.cells[].metrics[].verdict] | length == 10 and all(. == "unchanged")' "$T/c.json"
	json_check '[.cells[].metrics[] | .change] | all(. == 0)' "$T/c.json"
	json_check '.environment.same_machine and .environment.gated' "$T/c.json"
}

t_slowdown_is_exit_1_regressed() {
	synth "$T/a.json" cpu pipe:5000:9 tcp:14000:9
	synth "$T/b.json" cpu pipe:7000:9 tcp:14000:9
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --markdown "$T/s.md" --json "$T/c.json"
	grep -q '^1 regressed' "$T/out" || fail "summary: $(tail -n 3 "$T/out")"
	grep -q '^gate: FAILED' "$T/out" || fail "no FAILED gate line"
	json_check '.summary.exit_code == 1 and .summary.gate == "failed" and .summary.cells.regressed == 1' "$T/c.json"
	json_check '.cells[] | select(.transport == "pipe") | .verdict == "regressed" and
		(.metrics[] | select(.metric == "p50") | .verdict == "regressed" and .gated and
		 (.change - 0.4 | fabs) < 1e-6 and .p_value < 0.001 and .p_exact and .base.n == 9)' "$T/c.json"
	json_check '.cells[] | select(.transport == "pipe") | .metrics[] | select(.metric == "round_trips_per_sec") |
		.verdict == "regressed" and .change < 0 and .better == "higher"' "$T/c.json"
	json_check '.cells[] | select(.transport == "tcp") | .verdict == "unchanged"' "$T/c.json"
	grep -q 'Gate: FAILED' "$T/s.md" || fail "markdown gate"
	grep -q '^| `pipe/pingpong/64/same:0,0/block` | p50 | .*\*\*regressed\*\*' "$T/s.md" ||
		fail "markdown lacks the regressed row"
}

t_speedup_is_exit_0_improved() {
	synth "$T/a.json" cpu pipe:7000:9 tcp:14000:9
	synth "$T/b.json" cpu pipe:5000:9 tcp:14000:9
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --json "$T/c.json"
	json_check '.summary.cells.improved == 1 and .summary.cells.regressed == 0' "$T/c.json"
}

t_threshold_and_metrics_options() {
	synth "$T/a.json" cpu pipe:5000:9
	synth "$T/b.json" cpu pipe:5400:9
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" -q
	[ ! -s "$T/out" ] || fail "--quiet printed: $(head -c 200 "$T/out")"
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --threshold 5 -q
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --threshold 5% -q
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --threshold 5 --alpha 0.00001 -q
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --threshold 5 --metrics p50 --json "$T/c.json"
	json_check '[.cells[0].metrics[].metric] == ["p50"] and .options.metrics == ["p50"]' "$T/c.json"
	json_check '.options.threshold == 0.05' "$T/c.json"
}

# colour on a terminal only, and never with NO_COLOR set
t_colour_only_on_a_terminal() {
	command -v script >/dev/null 2>&1 || skip "no script(1) to fake a terminal"
	synth "$T/a.json" cpu pipe:5000:9
	synth "$T/b.json" cpu pipe:9000:9
	script -qc "'$IPCBENCH' compare '$T/a.json' '$T/b.json'" /dev/null >"$T/tty" 2>&1
	grep -q "$(printf '\033')\[" "$T/tty" || fail "no colour on a terminal"
	NO_COLOR='' script -qc "'$IPCBENCH' compare '$T/a.json' '$T/b.json'" /dev/null >"$T/tty" 2>&1
	no_escapes "$T/tty"
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json"
	no_escapes "$T/out"
}

t_json_to_stdout_is_only_json() {
	synth "$T/a.json" cpu pipe:5000:9
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/a.json" --json -
	jq -e '.schema == "ipcbench-compare"' "$T/out" >/dev/null || fail "stdout is not the JSON"
}

t_too_few_repetitions_are_insufficient() {
	synth "$T/a.json" cpu pipe:5000:3
	synth "$T/b.json" cpu pipe:9000:3
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --json "$T/c.json"
	json_check '.cells[0].verdict == "insufficient_samples" and
		(.cells[0].metrics | all(.verdict == "insufficient_samples"))' "$T/c.json"
	json_check '.warnings | any(test("9 or more"))' "$T/c.json"
	grep -q 'warning: .*9 or more' "$T/out" || fail "no warning in the table"
}

t_tail_needs_samples() {
	synth "$T/a.json" cpu pipe:5000:9:2000
	synth "$T/b.json" cpu pipe:9000:9:2000
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --json "$T/c.json"
	json_check '.cells[0].metrics[] | select(.metric == "p99.9") | .verdict == "insufficient_samples" and
		(.why | test("10000 samples"))' "$T/c.json"
	json_check '.cells[0].metrics[] | select(.metric == "p99") | .verdict == "regressed"' "$T/c.json"
}

t_cells_on_one_side_are_incomparable() {
	synth "$T/a.json" cpu pipe:5000:9 fifo:6000:9 unix:8000:9
	synth "$T/b.json" cpu pipe:5000:9 tcp:14000:9 unix:8000:9:100000:20
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --json "$T/c.json" --markdown "$T/s.md"
	json_check '.summary.cells.incomparable == 3 and .summary.cells.unchanged == 1' "$T/c.json"
	json_check '.cells[] | select(.transport == "fifo") | .verdict == "incomparable" and .reason == "only in base"' "$T/c.json"
	json_check '.cells[] | select(.transport == "tcp") | .verdict == "incomparable" and .reason == "only in new" and .in_base == false' "$T/c.json"
	json_check '.cells[] | select(.transport == "unix") | .verdict == "incomparable" and (.reason | test("warmup"))' "$T/c.json"
	grep -q 'fifo/pingpong/64/same:0,0/block  incomparable: only in base' "$T/out" || fail "table lacks fifo"
	grep -q 'incomparable | only in new' "$T/s.md" || fail "markdown lacks tcp"
}

t_no_cell_in_common_is_exit_2() {
	synth "$T/a.json" cpu fifo:5000:9
	synth "$T/b.json" cpu tcp:5000:9
	expect_exit 2 "$IPCBENCH" compare "$T/a.json" "$T/b.json"
	one_line_error "no cell"
}

t_different_machines_exit_2_unless_allowed() {
	synth "$T/a.json" "AMD EPYC" pipe:5000:9
	synth "$T/b.json" "Intel Xeon" pipe:5000:9
	expect_exit 2 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --markdown "$T/s.md"
	one_line_error "different machines"
	grep -q "cpu_model" "$T/err" || fail "the error does not say what differs"
	grep -q 'Gate: refused' "$T/s.md" || fail "markdown does not say the gate was refused"
	grep -q 'cpu_model.*AMD EPYC *-> Intel Xeon' "$T/out" || fail "environment diff not shown"
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --allow-different-machines
	synth "$T/c.json" "Intel Xeon" pipe:9000:9
	expect_exit 1 "$IPCBENCH" compare "$T/a.json" "$T/c.json" --allow-different-machines
}

t_several_files_per_side() {
	for i in 1 2 3; do
		synth "$T/a$i.json" cpu pipe:5000:3
		synth "$T/b$i.json" cpu pipe:8000:3
	done
	expect_exit 1 "$IPCBENCH" compare "$T/a1.json,$T/a2.json,$T/a3.json" "$T/b1.json,$T/b2.json,$T/b3.json" \
		--json "$T/c.json"
	json_check '.cells[0].base_repetitions == 9 and .cells[0].new_repetitions == 9 and (.base.files | length) == 3' "$T/c.json"
	synth "$T/x.json" other pipe:5000:3
	expect_exit 2 "$IPCBENCH" compare "$T/a1.json,$T/x.json" "$T/b1.json"
	one_line_error "x.json"
}

# every malformed input: exit 2 and one line naming the file
t_bad_input_is_exit_2_with_one_line() {
	synth "$T/good.json" cpu pipe:5000:9
	printf '{"schema": "ipcbench-result", "schema_version": 1, "results": [' >"$T/truncated.json"
	head -c 700 "$T/good.json" >"$T/truncated2.json"
	printf 'this is not json\n' >"$T/garbage.json"
	: >"$T/empty.json"
	printf '{"hello": "world"}\n' >"$T/foreign.json"
	printf '[1, 2, 3]\n' >"$T/array.json"
	jq '.schema_version = 99' "$T/good.json" >"$T/future.json"
	jq '.results = "none"' "$T/good.json" >"$T/results.json"
	jq '.results[0].repetitions[0].latency_ns.p50 = "fast"' "$T/good.json" >"$T/badnum.json"
	jq 'del(.results[0].transport)' "$T/good.json" >"$T/notransport.json"
	mkdir "$T/dir.json"
	for f in truncated truncated2 garbage empty foreign array future results badnum notransport dir missing; do
		expect_exit 2 "$IPCBENCH" compare "$T/good.json" "$T/$f.json"
		one_line_error "$f.json"
		expect_exit 2 "$IPCBENCH" compare "$T/$f.json" "$T/good.json"
		one_line_error "$f.json"
	done
	expect_exit 2 "$IPCBENCH" compare "$T/good.json" "$T/future.json"
	one_line_error "schema_version"
}

t_bad_options_are_exit_2() {
	synth "$T/a.json" cpu pipe:5000:9
	while IFS='|' read -r args mention; do
		# shellcheck disable=SC2086
		expect_exit 2 "$IPCBENCH" compare $args
		one_line_error "$mention"
	done <<EOF2
$T/a.json|BASE and NEW
$T/a.json $T/a.json $T/a.json|3 arguments
$T/a.json $T/a.json --threshold abc|abc
$T/a.json $T/a.json --threshold 0|out of range
$T/a.json $T/a.json --alpha 2|out of range
$T/a.json $T/a.json --metrics p42|p42
$T/a.json $T/a.json --bogus|--bogus
$T/a.json $T/a.json --json /nonexistent-dir/c.json|nonexistent-dir
EOF2
}

# a real run compared with itself: nothing regresses; short runs lack tail samples
t_real_run_against_itself() {
	expect_exit 0 "$IPCBENCH" run -t pipe,socketpair -s 64 -n 300 --warmup 20 --repeat 4 --cpus 0,0 -q -o "$T/r.json"
	expect_exit 0 "$IPCBENCH" compare "$T/r.json" "$T/r.json" --json "$T/c.json"
	json_check '.summary.cells.regressed == 0 and (.cells | length) == 2' "$T/c.json"
	json_check '[.cells[].metrics[] | select(.metric == "p50")] | all(.verdict == "unchanged" and .base.n == 4)' "$T/c.json"
	json_check '[.cells[].metrics[] | select(.metric == "p99" or .metric == "p99.9")] | all(.verdict == "insufficient_samples")' "$T/c.json"
}

run_tests
