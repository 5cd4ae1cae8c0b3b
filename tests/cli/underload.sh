#!/bin/sh
# CLI tests of --pattern underload: a third process floods the server
# direction while the client measures probe round trips.
. "$(dirname "$0")/lib.sh"

# Nothing of a cell is left: no queue, no process, no run directory.
nothing_left() {
	[ -z "$(ls /dev/mqueue 2>/dev/null | grep ipcbench)" ] || fail "POSIX queues left: $(ls /dev/mqueue)"
	ipcs -q | awk 'NR > 3 && $2 ~ /^[0-9]+$/ {print $2}' | while read -r id; do
		ipcs -q -i "$id" 2>/dev/null | grep -q "cpid=$1\b" && fail "SysV queue $id left"
	done
	pgrep -P "$1" >/dev/null 2>&1 && fail "children of $1 still running"
	[ -z "$(ls -d "${TMPDIR:-/tmp}"/ipcbench-"$1"-* 2>/dev/null)" ] || fail "run directory of $1 left"
	return 0
}

# On one CPU the flood fills the queue ahead of every probe; with prio=5 the
# probe goes to the front of it: its p50 is lower, in the same run.
t_posix_mq_prio_overtakes() {
	"$IPCBENCH" run -t posix_mq,posix_mq:prio=5 -p underload -s 64 -n 3000 --placement same -q --no-calibrate \
		-o "$T/r.json" >"$T/out" 2>"$T/err" &
	pid=$!
	wait $pid || fail "run exited $?: $(cat "$T/err")"
	f="$T/r.json"
	json_check '.results | length == 2 and all(.status == "ok" and .pattern == "underload")' "$f"
	json_check 'all(.results[]; .latency_ns.count == 3000 and .underload.probes == 3000)' "$f"
	json_check 'all(.results[]; .underload.background_received > 3000 and .underload.background_msgs_per_sec > 0)' "$f"
	json_check 'all(.results[]; .round_trips_per_sec > 0 and (.latency_ns.meaning | test("probe")))' "$f"
	# without prio the probes overtake nothing; with it they overtake the queue
	json_check '[.results[]|select(.variant == "posix_mq")][0].underload.overtaken_per_probe < 0.5' "$f"
	json_check '[.results[]|select(.variant == "posix_mq:prio=5")][0].underload.overtaken_per_probe > 0.2' "$f"
	json_check '([.results[]|select(.variant == "posix_mq")][0].underload.queued_behind_per_probe) >
		([.results[]|select(.variant == "posix_mq:prio=5")][0].underload.queued_behind_per_probe)' "$f"
	json_check '([.results[]|select(.variant == "posix_mq:prio=5")][0].latency_ns.p50) <
		([.results[]|select(.variant == "posix_mq")][0].latency_ns.p50)' "$f"
	nothing_left $pid
}

# Every transport that takes a second sender runs; a byte stream is skipped, saying why.
t_second_senders_and_skips() {
	"$IPCBENCH" run -t sysv_mq,unix_dgram,udp,socketpair_seqpacket,pipe,tcp -p underload -s 64 -n 300 \
		--cpus 0,1 -q --no-calibrate -o "$T/r.json" >"$T/out" 2>"$T/err" &
	pid=$!
	wait $pid || fail "run exited $?: $(cat "$T/err")"
	f="$T/r.json"
	json_check '[.results[]|select(.transport | IN("sysv_mq", "unix_dgram", "udp", "socketpair_seqpacket"))] |
		length == 4 and all(.status == "ok" and .underload.probes == 300)' "$f"
	json_check '[.results[]|select(.transport | IN("pipe", "tcp"))] | length == 2 and
		all(.status == "skipped" and (.reason | test("cannot take a second sender")))' "$f"
	json_check '[.results[]|select(.transport == "udp")][0].underload.background_lost >= 0' "$f"
	nothing_left $pid
}

# A message a queue fragments cannot be loaded (the fragments would interleave); nor one below 8 bytes.
t_fragments_and_tiny_skipped() {
	expect_exit 0 "$IPCBENCH" run -t posix_mq -p underload -s 4,64,65536 -n 100 --cpus 0,1 -q --no-calibrate -o "$T/r.json"
	json_check '[.results[]|select(.msg_bytes == 65536)][0] | .status == "skipped" and (.reason | test("fragments"))' "$T/r.json"
	json_check '[.results[]|select(.msg_bytes == 4)][0] | .status == "skipped" and (.reason | test("8-byte"))' "$T/r.json"
}

# --rate paces the flood, and names the cell.
t_rate_paces_the_flood() {
	expect_exit 0 "$IPCBENCH" run -t unix_dgram -p underload --rate 2000 -s 64 -d 1s --cpus 0,1 -q --no-calibrate -o "$T/r.json"
	json_check '.results[0].status == "ok" and (.results[0].key | test("/rate=2000$"))' "$T/r.json"
	json_check '.results[0].underload.background_msgs_per_sec > 1500 and .results[0].underload.background_msgs_per_sec < 2100' "$T/r.json"
	json_check '.results[0].underload.background_rate_target_per_sec == 2000' "$T/r.json"
}

# Other patterns still refuse --rate.
t_rate_needs_its_pattern() {
	expect_exit 2 "$IPCBENCH" run -t pipe -p stream --rate 100
	grep -q "rate and underload" "$T/err" || fail "message: $(cat "$T/err")"
}

run_tests
