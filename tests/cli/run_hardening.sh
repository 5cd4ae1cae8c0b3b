#!/bin/sh
# Hardening of `ipcbench run` (issue 20): interval logs that never follow a
# planted symlink or append to an earlier run's, signals that are never
# lost (nor caught when they were ignored), rates that can be measured,
# floors that a transport beats, and usage messages that name the real
# problem.  Each test failed on the code before its fix.
. "$(dirname "$0")/lib.sh"

# wait_for CMD: polls CMD (a shell string) every 20 ms for up to 15 s
wait_for() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -lt 750 ] || return 1
		sleep 0.02
	done
}

HLOG=pipe_pingpong_64B_same-0-0_block.hlog

t_hlog_never_follows_a_planted_symlink() {
	mkdir "$T/l"
	echo precious >"$T/victim"
	ln -s "$T/victim" "$T/l/$HLOG"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,0 --no-calibrate -q --hlog "$T/l" -o "$T/r.json"
	one_line_error "$T/l/$HLOG"
	[ "$(cat "$T/victim")" = precious ] || fail "wrote through the symlink: $(head -c 200 "$T/victim")"
	[ -L "$T/l/$HLOG" ] || fail "the symlink was replaced"
	[ ! -e "$T/r.json" ] || fail "cells ran although the log was refused"
}

t_hlog_never_appends_to_an_earlier_run() {
	mkdir "$T/l"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,0 --no-calibrate -q --hlog "$T/l" -o "$T/a.json"
	sum=$(cksum <"$T/l/$HLOG")
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,0 --no-calibrate -q --hlog "$T/l" -o "$T/b.json"
	one_line_error "$HLOG"
	grep -q 'exists already' "$T/err" || fail "the message does not say why: $(cat "$T/err")"
	[ "$(cksum <"$T/l/$HLOG")" = "$sum" ] || fail "the earlier run's log changed"
	[ ! -e "$T/b.json" ] || fail "cells ran although the log was refused"
}

# within one run, the repetitions of a cell still go to one log, with one header
t_hlog_repetitions_share_one_log() {
	mkdir "$T/l"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -d 300ms -r 2 --cpus 0,0 --no-calibrate -q --hlog "$T/l" \
		--interval 100ms -o "$T/r.json"
	f="$T/l/$HLOG"
	[ "$(grep -c '^#\[StartTime' "$f")" -eq 1 ] || fail "more than one header"
	n=$(grep -cE '^[0-9]+\.[0-9]{3},' "$f")
	[ "$n" -ge 4 ] || fail "$n intervals for two repetitions of 300 ms at 100 ms"
	# the second repetition starts after the first (times relative to the one StartTime)
	awk -F, '/^[0-9]/ { if ($1 + 0.0015 < last) bad = 1; last = $1 } END { exit bad }' "$f" ||
		fail "interval start times go backwards"
}

t_signal_during_the_final_calibration_is_not_lost() {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	export XDG_CACHE_HOME="$T/cache"
	"$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,1 -q -o "$T/r.json" 2>"$T/err" &
	pid=$!
	# the run directory goes when the cells are done, just before the floors are measured again
	wait_for 'ls -d "$TMPDIR"/ipcbench-* >/dev/null 2>&1' || { kill $pid; fail "no run directory"; }
	wait_for '! ls -d "$TMPDIR"/ipcbench-* >/dev/null 2>&1' || { kill $pid; fail "the run directory stays"; }
	kill -TERM $pid
	wait $pid
	rc=$?
	[ $rc -eq 143 ] || fail "exit $rc after SIGTERM during the final calibration, expected 143"
	json_check '.interrupted_by_signal == 15 and .finished_at == null' "$T/r.json"
	json_check '.results[0].status == "ok"' "$T/r.json"
}

t_signal_during_the_json_write_is_not_lost() {
	mkfifo "$T/p"
	exec 3<>"$T/p" # holds the FIFO open, so the JSON (over 64 KiB) fills it and the write blocks
	"$IPCBENCH" run -t pipe -s 1..1M -n 200 -r 3 --cpus 0,0 --no-calibrate --json >"$T/p" 2>"$T/err" 3<&- &
	pid=$!
	# the table goes to stderr just before the JSON
	wait_for 'grep -q "^pipe .* 1 MiB" "$T/err"' || { kill $pid; exec 3<&-; fail "no table"; }
	sleep 0.3
	kill -TERM $pid
	sleep 0.2
	exec 4<"$T/p" # at once: fd 3 is a writer; then ipcbench is the only one, and its exit ends the reading
	exec 3<&-
	cat <&4 >"$T/r.json"
	exec 4<&-
	wait $pid
	rc=$?
	[ $rc -eq 143 ] || fail "exit $rc after SIGTERM during the JSON write, expected 143"
	json_check '.schema_version == 1 and (.results | length) == 21' "$T/r.json"
}

t_ignored_sighup_stays_ignored() {
	(
		trap '' HUP
		exec "$IPCBENCH" run -t pipe -s 64 -d 1500ms --cpus 0,0 --no-calibrate -q -o "$T/r.json"
	) 2>"$T/err" &
	pid=$!
	sleep 0.5
	kill -HUP $pid
	wait $pid
	rc=$?
	[ $rc -eq 0 ] || fail "exit $rc after an ignored SIGHUP (nohup), expected 0: $(cat "$T/err")"
	json_check '.interrupted_by_signal == null and .results[0].status == "ok"' "$T/r.json"
	# a SIGHUP that is not ignored still stops the run
	"$IPCBENCH" run -t pipe -s 64 -d 1500ms --cpus 0,0 --no-calibrate -q -o "$T/s.json" 2>"$T/err" &
	pid=$!
	sleep 0.5
	kill -HUP $pid
	wait $pid
	rc=$?
	[ $rc -eq 129 ] || fail "exit $rc after SIGHUP, expected 129"
}

t_rate_that_cannot_be_measured_is_refused() {
	# one message every 3.3 s cannot make progress within a 1 s timeout
	expect_exit 2 "$IPCBENCH" run -t pipe -p rate --rate 0.3 --timeout 1s -n 2 --cpus 0,0 --no-calibrate -q
	one_line_error "'0.3'"
	expect_exit 2 "$IPCBENCH" run -t pipe -p rate --rate 1e-300 -n 1 --cpus 0,0 --no-calibrate -q
	one_line_error "'1e-300'"
	# the order of the options does not matter
	expect_exit 2 "$IPCBENCH" run -t pipe --timeout 1s -p rate --rate 1 -n 2 --cpus 0,0 --no-calibrate -q
	one_line_error "'1'"
	expect_exit 0 "$IPCBENCH" run -t pipe -p rate --rate 2000 -n 100 --cpus 0,0 --no-calibrate -q -o "$T/r.json"
	json_check '.results[0].status == "ok"' "$T/r.json"
}

t_a_beaten_floor_is_reported() {
	export XDG_CACHE_HOME="$T/cache"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,0 --fault-floors-high -q -o "$T/r.json"
	grep -q '^ipcbench: pipe pingpong 64 B same 0,0 block: p50 .* its floor (futex ping-pong, one CPU, .*bug in the floor' \
		"$T/err" || fail "no warning naming the cell: $(cat "$T/err")"
	json_check '.results[0].vs_floor < 0.95' "$T/r.json"
}

t_usage_messages_name_the_real_problem() {
	expect_exit 2 "$IPCBENCH" run -t pipe -n
	one_line_error "option '-n' needs a value"
	expect_exit 2 "$IPCBENCH" run -t pipe --iterations
	one_line_error "option '--iterations' needs a value"
	expect_exit 2 "$IPCBENCH" run -qx
	one_line_error "unknown option '-x' in '-qx'"
	expect_exit 2 "$IPCBENCH" run --bogus=1
	one_line_error "unknown option '--bogus'"
	expect_exit 2 "$IPCBENCH" hist -dash.json
	one_line_error "unknown option '-d' in '-dash.json'"
	expect_exit 2 "$IPCBENCH" list -z
	one_line_error "unknown option '-z'"
	expect_exit 2 "$IPCBENCH"
	one_line_error "ipcbench help"
	grep -qF -- "--help" "$T/err" || fail "no --help hint: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "stdout is not empty"
}

run_tests
