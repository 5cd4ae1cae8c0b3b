#!/bin/sh
# The machine's floors are floors: a real transport does not beat the bare
# futex ping-pong of the same run, and a stuck floor measurement cannot
# hang `ipcbench run`.
. "$(dirname "$0")/lib.sh"

# The futex floor is the fastest a sleeping wake-up round trip can be: the
# same-CPU medians of pipe, eventfd and shm_ring may not fall below it by
# more than noise (vs_floor >= 0.95).  When the floors moved by more than
# half between the run's start and end (calibration_end, see README) the
# machine changed mid-run and the ratios cannot be judged: skip, never pass.
t_real_transports_do_not_beat_the_futex_floor() {
	XDG_CACHE_HOME="$T/cache"; export XDG_CACHE_HOME
	expect_exit 0 "$IPCBENCH" run -t pipe,eventfd,shm_ring -s 64 --placement same -q -o "$T/r.json"
	json_check '.context.calibration != null' "$T/r.json"
	jq -e '.context.calibration_end != null' "$T/r.json" >/dev/null ||
		skip "no end-of-run floors to judge against"
	moved=$(jq -r '.context.calibration as $s | .context.calibration_end as $e
		| [$s.futex_rtt_same_cpu_ns / $e.futex_rtt_same_cpu_ns,
		   $s.cacheline_rtt_same_cpu_ns / $e.cacheline_rtt_same_cpu_ns]
		| map(select(. > 1.5 or . < (1 / 1.5))) | length' "$T/r.json")
	[ "$moved" -eq 0 ] || skip "the floors moved by more than half during the run: $(jq -c \
		'[.context.calibration.futex_rtt_same_cpu_ns, .context.calibration_end.futex_rtt_same_cpu_ns]' "$T/r.json")"
	json_check '.results | length == 3 and all(.status == "ok" and .vs_floor != null)' "$T/r.json"
	low=$(jq -r '[.results[] | select(.vs_floor < 0.95)
		| "\(.transport) p50 \(.latency_ns.p50) ns is \(.vs_floor) x the floor \(.floor_ns) ns"] | join("; ")' \
		"$T/r.json")
	[ -z "$low" ] || fail "a real transport beat the futex floor: $low"
}

# SIGSTOP every process `run` forks while it measures the floors: a stopped
# child never acts on its alarm, so only the parent's deadline ends it.
t_a_stopped_floor_cannot_hang_run() {
	XDG_CACHE_HOME="$T/cache"; export XDG_CACHE_HOME
	"$IPCBENCH" run -t pipe -s 64 -n 200 --placement same -q -o "$T/r.json" >"$T/out" 2>"$T/err" &
	pid=$!
	stopped=""
	i=0
	while [ -z "$stopped" ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
		for k in $(pgrep -P $pid); do
			kill -STOP "$k" 2>/dev/null && stopped="$stopped $k"
		done
		i=$((i + 1))
		sleep 0.01
	done
	[ -n "$stopped" ] || { wait $pid; skip "found no child to stop"; }
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 $pid 2>/dev/null; then
		for k in $stopped; do kill -KILL "$k" 2>/dev/null; done
		kill -KILL $pid
		wait $pid
		fail "run still hung 30 s after its floor children were stopped"
	fi
	wait $pid
	rc=$?
	grep -q "calibrate" "$T/err" || skip "stopped a cell's children, not the floors' (rc $rc): $(cat "$T/err")"
	[ $rc -eq 0 ] || fail "exit $rc: $(cat "$T/err")"
	grep -q "no progress" "$T/err" || fail "the warning does not say why: $(cat "$T/err")"
	json_check '.results[0].status == "ok"' "$T/r.json"
	for k in $stopped; do
		st=$(ps -o stat= -p "$k" 2>/dev/null | cut -c1)
		[ -z "$st" ] || [ "$st" = Z ] || fail "stopped child $k still exists (state $st)"
	done
}

run_tests
