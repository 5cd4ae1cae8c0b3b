#!/bin/sh
# CLI tests of `ipcbench run` and `ipcbench list`: the real binary, end to end.
. "$(dirname "$0")/lib.sh"

t_help_and_version() {
	expect_exit 0 "$IPCBENCH" --help
	grep -q '^usage: ipcbench' "$T/out" || fail "no usage text"
	expect_exit 0 "$IPCBENCH" --version
	grep -qE '^ipcbench [0-9]' "$T/out" || fail "no version"
	for c in run list; do
		expect_exit 0 "$IPCBENCH" $c --help
		grep -q "usage: ipcbench $c" "$T/out" || fail "$c --help"
	done
}

t_unknown_command() {
	expect_exit 2 "$IPCBENCH" frobnicate
	one_line_error "frobnicate"
	expect_exit 2 "$IPCBENCH"
}

t_list_shows_every_transport() {
	expect_exit 0 "$IPCBENCH" list
	for t in pipe fifo socketpair socketpair_seqpacket unix unix_dgram tcp udp; do
		grep -qE "^$t +(stream|message) " "$T/out" || fail "list lacks $t"
	done
	grep -qE '^udp +message +65507 B +yes' "$T/out" || fail "udp's limit is not shown: $(grep ^udp "$T/out")"
	expect_exit 0 "$IPCBENCH" list --names
	grep -qx pipe "$T/out" || fail "--names"
}

# every bad value: exit 2, one line naming it, no file written, nothing left behind
t_bad_input() {
	ipc_snapshot "$T/before"
	while IFS='|' read -r args mention; do
		# shellcheck disable=SC2086
		expect_exit 2 "$IPCBENCH" run -o "$T/never.json" $args
		one_line_error "$mention"
		[ ! -e "$T/never.json" ] || fail "$args wrote a result"
	done <<'EOF2'
-t nosuch|nosuch
-t pipe,,tcp|empty
-t pipe,pipe|twice
-t pipe -s 0|size 0
-s 4kk|4kk
-s 1e99|1e99
-s -1|-1
-s 64,|empty
-s 1G|1G
-s 64..1M..2|1M..2
--iterations 0|0
--iterations -5|-5
--iterations 12abc|12abc
--duration 5parsecs|5parsecs
--duration 0s|0s
--duration -1s|-1s
--warmup x|x
--cpus 0,999|999
--cpus 7|7
--placement numa|numa
--placement sideways|sideways
--wait sometimes|sometimes
--pattern zigzag|zigzag
--pattern rate|--rate
--repeat 0|0
--timeout 5 lightyears|lightyears
EOF2
	expect_exit 2 "$IPCBENCH" run -t pipe -o /nonexistent-dir/r.json
	one_line_error "/nonexistent-dir"
	expect_exit 2 "$IPCBENCH" run -t pipe --bogus-flag
	one_line_error "--bogus-flag"
	ipc_snapshot "$T/after"
	cmp -s "$T/before" "$T/after" || fail "bad input left objects: $(diff "$T/before" "$T/after")"
}

t_run_writes_valid_json() {
	expect_exit 0 "$IPCBENCH" run -t pipe,udp -s 64,100000 -n 300 --warmup 20 -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.schema == "ipcbench-result" and .schema_version == 1' "$f"
	json_check '.tool.name == "ipcbench" and (.tool.git_revision|type) == "string"' "$f"
	json_check '.context.cpu_count >= 1 and (.context.kernel|length) > 0 and (.context.ipc_limits["kernel.msgmax"]|type) == "string"' "$f"
	json_check '(.context.clock.source == "tsc" or .context.clock.source == "monotonic") and .context.clock.read_ns > 0' "$f"
	json_check '.config.iterations == 300 and .config.warmup == 20 and .config.sizes_bytes == [64,100000]' "$f"
	np=$(jq '.config.placements|length' "$f")
	json_check "(.results|length) == (2 * 2 * $np)" "$f"
	# udp refuses 100000 bytes before the fork, with the reason
	json_check '[.results[]|select(.transport=="udp" and .msg_bytes==100000)] | all(.status=="skipped" and (.reason|test("65507")))' "$f"
	# every ok cell carries the contract fields, consistent with each other
	json_check '[.results[]|select(.status=="ok")] | length == (3 * '"$np"')' "$f"
	json_check '[.results[]|select(.status=="ok")] | all(
		.iterations == 300 and .warmup == 20 and .pattern == "pingpong" and
		(.placement.client_cpu|type) == "number" and (.placement.relation|type) == "string" and
		.latency_ns.count == 300 and .latency_ns.min <= .latency_ns.p50 and
		.latency_ns.p50 <= .latency_ns.p90 and .latency_ns.p90 <= .latency_ns.p99 and
		.latency_ns.p99 <= .latency_ns["p99.9"] and .latency_ns["p99.9"] <= .latency_ns["p99.99"] and
		.latency_ns["p99.99"] <= .latency_ns.max and .latency_ns.mean > 0 and .latency_ns.stddev >= 0 and
		(.latency_ns.hdr|startswith("HISTF")) and .elapsed_ns > 0 and .round_trips_per_sec > 0 and
		(.round_trips_per_sec - 300 / (.elapsed_ns/1e9) | fabs) < 1 and
		.kind != null and .wait == "block" and .error == null and .reason == null)' "$f"
}

# Floors are measured in the run unless --cached-floors asks for the last ones.
t_floors_measured_in_the_run() {
	export XDG_CACHE_HOME="$T/cache"
	expect_exit 0 "$IPCBENCH" run -t shm_spin -s 8 -n 2000 --cpus 0,1 -q -o "$T/a.json"
	json_check '.context.calibration.from_cache == false and .context.calibration.cpus == "0,1"' "$T/a.json"
	json_check '.results[0].floor_ns > 0 and .results[0].vs_floor > 0' "$T/a.json"
	expect_exit 0 "$IPCBENCH" run -t shm_spin -s 8 -n 2000 --cpus 0,1 --cached-floors -q -o "$T/b.json"
	json_check '.context.calibration.from_cache == true' "$T/b.json"
	# the cache keeps the newest floors: those measured at the end of run a
	a=$(jq -r .context.calibration_end.measured_at "$T/a.json")
	b=$(jq -r .context.calibration.measured_at "$T/b.json")
	[ "$a" = "$b" ] || fail "--cached-floors used floors measured at $b, not the cached $a"
	expect_exit 0 "$IPCBENCH" run -t shm_spin -s 8 -n 2000 --cpus 0,1 --no-calibrate -q -o "$T/c.json"
	json_check '.context.calibration == null and .results[0].floor_ns == null' "$T/c.json"
	# measured again at the end, when they were measured at the start
	json_check '.context.calibration_end.from_cache == false and .context.calibration_end.cacheline_rtt_ns > 0' "$T/a.json"
	json_check '.context.calibration_end == null' "$T/b.json"
	json_check '.context.calibration_end == null' "$T/c.json"
}

# A machine that changed during the run is reported, not hidden.
t_floors_that_move_are_reported() {
	export XDG_CACHE_HOME="$T/cache"
	expect_exit 0 "$IPCBENCH" run -t shm_spin -s 8 -n 2000 --cpus 0,1 -q -o "$T/a.json"
	# a real move of the cache-line floor (this VM's is bimodal) would hide or fake the injected one
	steady='(.context.calibration_end.cacheline_rtt_ns / .context.calibration.cacheline_rtt_ns / $k) as $r | $r < 1.5 and $r > 1 / 1.5'
	judge_only_if "1 as \$k | $steady" "$T/a.json" "the cache-line floor moved during a run without the fault"
	expect_exit 0 "$IPCBENCH" run -t shm_spin -s 8 -n 2000 --cpus 0,1 -q --fault-floors-move -o "$T/b.json"
	judge_only_if "2 as \$k | $steady" "$T/b.json" "the cache-line floor itself moved during the faulted run"
	grep -q 'the floors moved during the run (cache-line ping-pong [^,)]* ns' "$T/err" ||
		fail "no warning about the floors: $(cat "$T/err")"
	json_check '.context.calibration_end.cacheline_rtt_ns > 1.5 * .context.calibration.cacheline_rtt_ns' "$T/b.json"
}

t_json_stdout_is_only_json() {
	expect_exit 0 "$IPCBENCH" run -t socketpair -s 64 -n 100 --json
	jq -e '.results[0].transport == "socketpair"' "$T/out" >/dev/null || fail "stdout is not the JSON"
	grep -q TRANSPORT "$T/err" || fail "the table should go to stderr with --json"
}


t_sigint_writes_partial_and_cleans() {
	ipc_snapshot "$T/before"
	# a background job of a script starts with SIGINT ignored, and ipcbench keeps an ignored signal ignored
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
		"$IPCBENCH" run -t pipe,fifo,unix -s 64 --duration 3s --cpus 0,0 -q -o "$T/r.json" 2>"$T/err" &
	pid=$!
	sleep 1.5
	kill -INT $pid
	wait $pid
	rc=$?
	[ $rc -eq 130 ] || fail "exit $rc after SIGINT, expected 130"
	json_check '.interrupted_by_signal == 2' "$T/r.json"
	json_check '[.results[]|.status] | index("interrupted") != null' "$T/r.json"
	ipc_snapshot "$T/after"
	cmp -s "$T/before" "$T/after" || fail "SIGINT left objects: $(diff "$T/before" "$T/after")"
}

run_tests
