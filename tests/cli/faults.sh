#!/bin/sh
# Faults: signals, a killed parent, hung and dying peers, a full disk, and
# `ipcbench clean` removing only what dead runs left.  Each test runs with
# its own TMPDIR so its run directories are its own.
. "$(dirname "$0")/lib.sh"

t_sigterm_exits_143_and_writes() {
	export TMPDIR="$T"
	"$IPCBENCH" run -t pipe,socketpair -s 64 -d 3s --cpus 0,0 -q -o "$T/r.json" 2>"$T/err" &
	pid=$!
	sleep 1
	kill -TERM $pid
	wait $pid
	rc=$?
	[ $rc -eq 143 ] || fail "exit $rc, expected 143"
	json_check '.interrupted_by_signal == 15 and (.results|length) >= 1' "$T/r.json"
	json_check '.results[-1].status == "interrupted" and (.results[-1].error|test("signal 15"))' "$T/r.json"
	[ -z "$(ls -d "$T"/ipcbench-* 2>/dev/null)" ] || fail "run directory left behind"
	[ -z "$(ls "$T" | grep '\.tmp$')" ] || fail "temporary result file left behind"
}

t_killed_parent_children_exit_and_clean_removes_the_rest() {
	export TMPDIR="$T"
	"$IPCBENCH" run -t fifo,unix -s 64 -d 5s --cpus 0,0 -q -o "$T/r.json" &
	pid=$!
	sleep 1
	kids=$(pgrep -P $pid | tr '\n' ' ')
	[ -n "$kids" ] || fail "no children found"
	kill -KILL $pid
	wait $pid 2>/dev/null
	sleep 0.5
	for k in $kids; do
		# a zombie waiting for init to reap it has exited: only a live process fails
		st=$(ps -o stat= -p "$k" 2>/dev/null | cut -c1)
		[ -z "$st" ] || [ "$st" = Z ] || fail "child $k outlived its parent (state $st)"
	done
	[ -n "$(ls -d "$T"/ipcbench-$pid-* 2>/dev/null)" ] || fail "expected the dead run's directory"
	[ ! -e "$T/r.json" ] || fail "a killed run cannot have written a result"
	expect_exit 0 "$IPCBENCH" clean
	grep -q "cleaned 1 dead run" "$T/out" || fail "clean said: $(cat "$T/out")"
	[ -z "$(ls -d "$T"/ipcbench-* 2>/dev/null)" ] || fail "clean left the directory"
}

t_clean_leaves_live_runs_and_other_programs_alone() {
	export TMPDIR="$T"
	# another program's SysV queue and a look-alike directory that is not private
	qid=$(ipcmk -Q 2>/dev/null | grep -oE '[0-9]+$') || skip "ipcmk not available"
	mkdir -m 0755 "$T/ipcbench-999999-public"
	# a live run
	"$IPCBENCH" run -t fifo -s 64 -d 3s --cpus 0,0 -q -o "$T/r.json" &
	pid=$!
	sleep 0.7
	expect_exit 0 "$IPCBENCH" clean
	ls -d "$T"/ipcbench-$pid-* >/dev/null 2>&1 || { kill $pid; fail "clean removed a live run's directory"; }
	[ -d "$T/ipcbench-999999-public" ] || fail "clean removed a directory that was not ipcbench's private one"
	ipcs -q | grep -qw "$qid" || fail "clean removed another program's queue"
	ipcrm -q "$qid"
	wait $pid
	[ $? -eq 0 ] || fail "the live run failed"
	rmdir "$T/ipcbench-999999-public"
}

# Real signals from outside, no hooks in the production code: a stopped
# server is a hung peer, a killed one an error naming the signal; the next
# cell still runs.  (Servers that exit or hang by themselves, mid-message,
# are tests/conformance/test_faults.c's, through the corrupting wrapper.)
signalled_server() {
	sig=$1 want=$2
	export TMPDIR="$T"
	"$IPCBENCH" run -t pipe,tcp -s 64 -n 100000000 --cpus 0,1 --no-calibrate --timeout 1s -q \
		-o "$T/r.json" 2>"$T/err" &
	pid=$!
	old=""
	for cell in 1 2; do
		pair=$(cell_pair 5 $pid $old) || { kill $pid; fail "cell $cell: no server child found"; }
		kill -"$sig" ${pair%% *}
		old="$old $pair"
	done
	wait $pid
	rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, expected 1: $(cat "$T/err")"
	json_check ".results | length == 2 and all(.status == \"error\" and (.error | test(\"$want\")))" "$T/r.json"
	for k in $old; do
		! kill -0 "$k" 2>/dev/null || fail "child $k outlived the run"
	done
	# pipe and tcp make no SysV or POSIX objects: only the run directory can stay
	[ -z "$(ls -d "$T"/ipcbench-* 2>/dev/null)" ] || fail "run directory left behind"
}

t_stopped_server_is_a_hung_peer() {
	signalled_server STOP "no progress for 1000 ms.*peer hung"
}

t_killed_server_is_an_error() {
	signalled_server KILL "server killed by signal 9"
}

t_full_disk_loses_nothing_measured() {
	mkdir "$T/small"
	mount -t tmpfs -o size=8k tmpfs "$T/small" 2>/dev/null || skip "cannot mount a small tmpfs here"
	dd if=/dev/zero of="$T/small/fill" bs=1k count=8 2>/dev/null
	"$IPCBENCH" run -t pipe -s 64 -n 200 --cpus 0,0 -q -o "$T/small/r.json" >"$T/out" 2>"$T/err"
	rc=$?
	umount "$T/small"
	[ $rc -eq 1 ] || fail "exit $rc, expected 1"
	grep -q "No space left on device" "$T/err" || fail "the error does not name the limit: $(cat "$T/err")"
	jq -e '.results[0].status == "ok" and .results[0].latency_ns.count == 200' "$T/out" >/dev/null ||
		fail "the measured result was not kept on stdout"
}

t_output_symlink_is_refused_not_followed() {
	echo precious >"$T/target"
	ln -s "$T/target" "$T/r.json"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 50 --cpus 0,0 -q -o "$T/r.json"
	[ "$(cat "$T/target")" = precious ] || fail "wrote through the symlink"
	[ -L "$T/r.json" ] || fail "the symlink was replaced"
}

t_run_dir_and_names_are_private() {
	export TMPDIR="$T"
	"$IPCBENCH" run -t fifo,unix_dgram -s 64 -d 2s --cpus 0,0 -q -o "$T/r.json" &
	pid=$!
	sleep 0.6
	d=$(ls -d "$T"/ipcbench-$pid-* 2>/dev/null | head -n 1)
	[ -n "$d" ] || { kill $pid; fail "no run directory"; }
	[ "$(stat -c %a "$d")" = 700 ] || { kill $pid; fail "run directory mode $(stat -c %a "$d")"; }
	for f in "$d"/*; do
		[ -e "$f" ] || continue
		m=$(stat -c %a "$f")
		[ "$m" = 600 ] || [ "$m" = 700 ] || { kill $pid; fail "$f has mode $m"; }
	done
	wait $pid
}

run_tests
