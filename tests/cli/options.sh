#!/bin/sh
# Transport options end to end: `run -t NAME:KEY=VALUE` refused before any
# fork when wrong, recorded in the JSON (options, variant, key) and in the
# .hgrm/.hlog names, and kept apart by compare, hist and plot; `list -t`;
# lockfile's lock calls seen in /proc/locks while a cell runs.
. "$(dirname "$0")/lib.sh"

nothing_left() {
	ls /tmp | grep -q "^ipcbench-$1-" && fail "a run directory of pid $1 is left: $(ls /tmp | grep "^ipcbench-$1-")"
	return 0
}

t_bad_options_are_exit_2_naming_transport_key_value() {
	expect_exit 2 "$IPCBENCH" run -t pipe:bogus=1 -n 10 -q
	one_line_error "transport pipe: unknown option 'bogus' in 'bogus=1' (pipe options: bufsize"
	expect_exit 2 "$IPCBENCH" run -t tcp:nodelay=2 -n 10 -q
	one_line_error "transport tcp: nodelay=2: expected 0 or 1 (tcp options: nodelay, sndbuf, rcvbuf, busy_poll"
	expect_exit 2 "$IPCBENCH" run -t pipe:bufsize=1k -n 10 -q
	one_line_error "transport pipe: bufsize=1k: out of range (4k to 256M)"
	expect_exit 2 "$IPCBENCH" run -t lockfile:lock=posix -n 10 -q
	one_line_error "lock=posix: expected one of fcntl|ofd|flock|lockf"
	expect_exit 2 "$IPCBENCH" run -t pipe:bufsize=64k,pipe:bufsize=64k -n 10 -q
	one_line_error "transport 'pipe:bufsize=64k' given twice"
	expect_exit 2 "$IPCBENCH" run -t pipe,64k -n 10 -q
	one_line_error "unknown transport '64k'"
	# refused before any fork: nothing was measured, nothing is left
	[ ! -s "$T/out" ] || fail "stdout: $(cat "$T/out")"
}

t_list_shows_options() {
	expect_exit 0 "$IPCBENCH" list -t lockfile
	grep -qE '^lock +enum +fcntl +fcntl\|ofd\|flock\|lockf ' "$T/out" || fail "$(cat "$T/out")"
	expect_exit 0 "$IPCBENCH" list -t pipe
	grep -qE '^bufsize +size +host=' "$T/out" || fail "$(cat "$T/out")"
	expect_exit 0 "$IPCBENCH" list -t eventfd
	grep -qx 'eventfd takes no options' "$T/out" || fail "$(cat "$T/out")"
	expect_exit 0 "$IPCBENCH" list
	grep -A1 '^pipe ' "$T/out" | grep -q '\[options\]' || fail "pipe not marked"
	grep -A1 '^eventfd ' "$T/out" | grep -q '\[options\]' && fail "eventfd marked"
	expect_exit 2 "$IPCBENCH" list -t nope
	one_line_error "unknown transport 'nope'"
}

t_json_records_options_key_and_file_names() {
	mkdir "$T/h" "$T/l"
	expect_exit 0 "$IPCBENCH" run -t pipe:bufsize=100000,1M,pipe,tcp:nodelay=0 -s 64 -n 300 --cpus 0,1 \
		--hgrm "$T/h" --hlog "$T/l" -q -o "$T/r.json"
	json_check '[.results[].key] == ["pipe:bufsize=100000/pingpong/64/cross:0,1/block",
		"pipe:bufsize=1048576/pingpong/64/cross:0,1/block", "pipe/pingpong/64/cross:0,1/block",
		"tcp:nodelay=0/pingpong/64/cross:0,1/block"]' "$T/r.json"
	json_check '[.results[].variant] == ["pipe:bufsize=100000", "pipe:bufsize=1M", "pipe", "tcp:nodelay=0"]' "$T/r.json"
	# effective values: the kernel rounds 100000 up to 32 pages; the default is the host's F_GETPIPE_SZ
	json_check '[.results[0,1].options.bufsize] == [131072, 1048576]' "$T/r.json"
	json_check '.results[2].options.bufsize >= 4096' "$T/r.json"
	json_check '.results[3].options | .nodelay == false and .busy_poll == 0 and .sndbuf > 0 and .rcvbuf > 0' "$T/r.json"
	json_check '.schema_version == 1' "$T/r.json"
	for f in pipe+bufsize-100000 pipe+bufsize-1048576 pipe tcp+nodelay-0; do
		[ -f "$T/h/${f}_pingpong_64B_cross-0-1_block.hgrm" ] || fail "no $f .hgrm: $(ls "$T/h")"
		[ -f "$T/l/${f}_pingpong_64B_cross-0-1_block.hlog" ] || fail "no $f .hlog: $(ls "$T/l")"
	done
	grep -q 'ipcbench pipe:bufsize=1M, pingpong' "$T/l/pipe+bufsize-1048576_pingpong_64B_cross-0-1_block.hlog" ||
		fail "hlog comment: $(head -1 "$T/l/pipe+bufsize-1048576_pingpong_64B_cross-0-1_block.hlog")"
}

t_compare_hist_plot_keep_option_sets_apart() {
	expect_exit 0 "$IPCBENCH" run -t pipe:bufsize=4k -s 64 -n 300 --cpus 0,1 -q -o "$T/a.json"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 300 --cpus 0,1 -q -o "$T/b.json"
	# the same transport with other options is another cell: nothing in common
	expect_exit 2 "$IPCBENCH" compare "$T/a.json" "$T/b.json"
	grep -q 'nothing to compare' "$T/err" || fail "$(cat "$T/err")"
	expect_exit 0 "$IPCBENCH" compare "$T/a.json" "$T/a.json"
	grep -q 'pipe:bufsize=4096' "$T/out" || fail "compare does not show the key: $(head -c 600 "$T/out")"
	jq -s '.[0].results += .[1].results | .[0]' "$T/a.json" "$T/b.json" >"$T/ab.json"
	expect_exit 0 "$IPCBENCH" hist "$T/ab.json"
	grep -q '^# pipe+bufsize-4096_pingpong_64B_cross_block: 1 cell' "$T/out" || fail "$(grep '^#' "$T/out")"
	grep -q '^# pipe_pingpong_64B_cross_block: 1 cell' "$T/out" || fail "$(grep '^#' "$T/out")"
	command -v gnuplot >/dev/null 2>&1 || skip "no gnuplot"
	mkdir "$T/p"
	expect_exit 0 "$IPCBENCH" plot "$T/ab.json" -o "$T/p"
	grep -q "title 'pipe:bufsize=4k'" "$T/p"/latency-by-percentile-*.gp || fail "no variant label: $(grep -h title "$T/p"/*.gp | head -3)"
	grep -q "title 'pipe'" "$T/p"/latency-by-percentile-*.gp || fail "no plain label"
}

t_files_without_options_read_as_defaults() {
	src=$(dirname "$0")/../..
	expect_exit 0 "$IPCBENCH" hist "$src/results/example/result.json"
	expect_exit 0 "$IPCBENCH" compare "$src/results/baseline/baseline.json" "$src/results/baseline/baseline.json"
}

# The inodes of the (unlinked) lock files process $1 holds open.
lock_inodes() {
	for f in /proc/"$1"/fd/*; do
		readlink "$f" 2>/dev/null | grep -q -- '-lockfile' && stat -L -c %i "$f" 2>/dev/null
	done
}

# lock_seen CALL KIND: a lockfile cell with lock=CALL shows KIND locks on its
# file in /proc/locks while it runs (by inode: OFD locks show pid -1)
lock_seen() {
	"$IPCBENCH" run -t "lockfile:lock=$1" -s 64 -d 3s -w 0 --cpus 0,1 -q -o "$T/$1.json" 2>"$T/err" &
	pid=$!
	seen=
	for _ in $(seq 60); do
		kids=$(pgrep -P "$pid" | tr '\n' ' ')
		for k in $kids; do
			for ino in $(lock_inodes "$k"); do
				grep -E " $2 .*:$ino " /proc/locks >/dev/null 2>&1 && seen=$k
			done
		done
		[ -n "$seen" ] && break
		sleep 0.05
	done
	wait "$pid" || fail "run lock=$1 exited $?: $(cat "$T/err")"
	[ -n "$seen" ] || fail "no $2 lock of a child seen for lock=$1"
}

t_lock_calls_are_the_ones_asked() {
	[ -r /proc/locks ] || skip "no /proc/locks"
	lock_seen flock FLOCK
	lock_seen ofd OFDLCK
	lock_seen fcntl POSIX
	lock_seen lockf POSIX
	json_check '.results[0].options.lock == "lockf" and .results[0].status == "ok"' "$T/lockf.json"
}

run_tests
