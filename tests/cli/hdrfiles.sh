#!/bin/sh
# `run --hgrm DIR` and `--hlog DIR --interval T`: one file per cell, named
# by transport, pattern, size, placement and wait, holding what the JSON says.
. "$(dirname "$0")/lib.sh"

t_hgrm_per_cell_agrees_with_json() {
	mkdir "$T/h"
	expect_exit 0 "$IPCBENCH" run -t pipe,socketpair -s 64,4k -n 400 --cpus 0,0 --hgrm "$T/h" -q -o "$T/r.json"
	[ "$(ls "$T/h" | wc -l)" -eq 4 ] || fail "expected 4 files: $(ls "$T/h")"
	f="$T/h/pipe_pingpong_4096B_same-0-0_block.hgrm"
	[ -f "$f" ] || fail "no $f"
	head -n 1 "$f" | grep -q '^       Value     Percentile TotalCount 1/(1-Percentile)$' || fail "header"
	grep -q '^#\[Buckets =           32, SubBuckets     =         2048\]$' "$f" || fail "footer"
	total=$(sed -nE 's/^#\[Max .*Total count += +([0-9]+)\]$/\1/p' "$f")
	[ "$total" = 400 ] || fail "total count $total"
	max=$(sed -nE 's/^#\[Max += +([0-9]+)\.000,.*/\1/p' "$f")
	want=$(jq '.results[]|select(.transport=="pipe" and .msg_bytes==4096)|.latency_ns.max' "$T/r.json")
	[ "$max" = "$want" ] || fail "hgrm max $max, JSON max $want"
	# the final row is the 100% row without a fourth column
	tail -n 4 "$f" | head -n 1 | grep -qE '^ +[0-9]+\.000 1\.000000000000 +400$' || fail "final row: $(tail -n 4 "$f" | head -n 1)"
}

t_hlog_has_one_histogram_per_interval() {
	mkdir "$T/l"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -d 1200ms --cpus 0,0 --hlog "$T/l" --interval 250ms -q -o "$T/r.json"
	f="$T/l/pipe_pingpong_64B_same-0-0_block.hlog"
	[ -f "$f" ] || fail "no $f: $(ls "$T/l")"
	sed -n 2p "$f" | grep -qx '#\[Histogram log format version 1.3\]' || fail "version line"
	sed -n 3p "$f" | grep -qE '^#\[StartTime: [0-9]+\.[0-9]{3} \(seconds since epoch\), [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] ' || fail "StartTime: $(sed -n 3p "$f")"
	sed -n 4p "$f" | grep -qx '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"' || fail "legend"
	n=$(grep -cE '^[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},HISTF' "$f")
	[ "$n" -ge 4 ] && [ "$n" -le 7 ] || fail "$n intervals for 1.2 s at 250 ms"
	grep -qE '^[0-9T].*, ' "$f" && fail "a space after a comma breaks Java's reader"
	# consecutive intervals: each starts where the previous one ended (to the ms)
	awk -F, '/^[0-9]/ { if (NR > 5 && ($1 - end > 0.0015 || end - $1 > 0.0015)) bad = 1; end = $1 + $2 } END { exit bad }' "$f" ||
		fail "intervals are not contiguous"
}

t_hdr_options_are_checked() {
	expect_exit 2 "$IPCBENCH" run -t pipe --hgrm /nonexistent/sub
	one_line_error "/nonexistent"
	expect_exit 2 "$IPCBENCH" run -t pipe --interval 1s
	one_line_error "--hlog"
	mkdir "$T/l"
	expect_exit 2 "$IPCBENCH" run -t pipe --hlog "$T/l" --interval 10us
	one_line_error "10us"
}

run_tests
