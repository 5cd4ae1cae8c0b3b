#!/bin/sh
# CLI tests of --wait epoll and --wait poll (fd transports waiting as an
# event-loop server does) and of size 0 (the wake-up primitives), through
# the real binary.
. "$(dirname "$0")/lib.sh"

t_epoll_and_poll_cells_run_and_verify() {
	expect_exit 0 "$IPCBENCH" run -t pipe,unix,tcp,udp,socketpair_seqpacket -s 64,4097 -n 300 \
		--wait block,epoll,poll --cpus 0,1 --no-calibrate -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results | length == 30 and all(.status == "ok" and .iterations == 300)' "$f"
	json_check '.config.waits == ["block","epoll","poll"]' "$f"
	json_check '[.results[] | select(.wait == "epoll")] | length == 10' "$f"
	json_check '[.results[] | select(.wait == "poll")] | length == 10' "$f"
	# the wait is part of every key
	json_check '[.results[].key] | unique | length == 30' "$f"
	json_check 'all(.results[]; .wait as $w | .key | endswith("/" + $w))' "$f"
}

t_epoll_streams_too() {
	expect_exit 0 "$IPCBENCH" run -t pipe,unix -p stream -s 64,64k -n 2000 --wait epoll,poll --cpus 0,0 \
		--no-calibrate -q -o "$T/r.json"
	json_check '.results | length == 8 and all(.status == "ok" and .iterations == 2000)' "$T/r.json"
}

t_hgrm_and_hlog_names_carry_the_wait() {
	mkdir "$T/h" "$T/l"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 --wait block,epoll,poll --cpus 0,1 --no-calibrate -q \
		--hgrm "$T/h" --hlog "$T/l" -o "$T/r.json"
	for w in block epoll poll; do
		ls "$T/h" | grep -q "_$w\.hgrm$" || fail "no .hgrm for $w: $(ls "$T/h")"
		ls "$T/l" | grep -q "_$w\.hlog$" || fail "no .hlog for $w: $(ls "$T/l")"
	done
}

t_compare_keeps_waits_apart() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 300 --wait block --cpus 0,1 --no-calibrate -q -o "$T/a.json"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 300 --wait epoll --cpus 0,1 --no-calibrate -q -o "$T/b.json"
	# an epoll cell is not the block cell of the same transport: nothing in common, nothing compared
	expect_exit 2 "$IPCBENCH" compare "$T/a.json" "$T/b.json" --json "$T/c.json"
	json_check '[.cells[].reason] | sort == ["only in base","only in new"]' "$T/c.json"
	json_check '[.cells[].key] | sort == ["pipe/pingpong/64/cross:0,1/block","pipe/pingpong/64/cross:0,1/epoll"]' \
		"$T/c.json"
	# the same wait on both sides is compared
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 300 --wait epoll --cpus 0,1 --no-calibrate -q -o "$T/b2.json"
	"$IPCBENCH" compare "$T/b.json" "$T/b2.json" --json "$T/c2.json" >/dev/null 2>&1
	json_check '.cells | length == 1 and .[0].key == "pipe/pingpong/64/cross:0,1/epoll" and .[0].reason != "only in new"' \
		"$T/c2.json"
}

t_transport_without_fds_is_skipped_with_the_reason() {
	expect_exit 0 "$IPCBENCH" run -t pipe,futex_ring -s 64 -n 200 --wait epoll --cpus 0,1 --no-calibrate -q \
		-o "$T/r.json"
	f="$T/r.json"
	json_check '[.results[] | select(.transport == "pipe")][0].status == "ok"' "$f"
	json_check '[.results[] | select(.transport == "futex_ring")][0] | .status == "skipped" and (.reason | test("no file descriptor"))' "$f"
}

t_bad_wait_is_exit_2() {
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 --wait select
	one_line_error "select"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 --wait epoll,epoll
	one_line_error "twice"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 --wait block,spin,epoll,poll,block
	one_line_error "--wait"
	expect_exit 2 "$IPCBENCH" hist --wait kqueue "$T/none.json"
}

t_size_zero_is_for_wake_ups_only() {
	expect_exit 2 "$IPCBENCH" run -t pipe -s 0
	one_line_error "size 0"
	expect_exit 2 "$IPCBENCH" run -t futex -s 64
	one_line_error "futex"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 0..64
	# a mix runs what it can and says why not the rest
	expect_exit 0 "$IPCBENCH" run -t futex,pipe -s 0,64 -n 200 --cpus 0,1 --no-calibrate -q -o "$T/r.json"
	f="$T/r.json"
	json_check '[.results[] | select(.status == "ok") | [.transport, .msg_bytes]] | sort == [["futex",0],["pipe",64]]' "$f"
	json_check '[.results[] | select(.status == "skipped")] | length == 2 and all(.reason | test("size 0|--sizes 0"))' "$f"
}

t_wake_ups_at_size_0_record_sanely() {
	expect_exit 0 "$IPCBENCH" run -t sem_posix,sem_sysv,futex,condvar,sigqueue -s 0 -p pingpong,stream -n 300 \
		--cpus 0,1 --no-calibrate -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results | length == 10 and all(.status == "ok" and .msg_bytes == 0 and .iterations == 300)' "$f"
	json_check 'all(.results[]; .bytes_per_sec == 0 and .msgs_per_sec > 0)' "$f"
	json_check 'all(.results[] | select(.pattern == "pingpong"); .latency_ns.count == 300)' "$f"
	# the readers take size 0 back
	expect_exit 0 "$IPCBENCH" hist "$f"
	expect_exit 0 "$IPCBENCH" compare "$f" "$f"
}
run_tests
