#!/bin/sh
# `ipcbench hist FILE...`: merges the histograms of result files and .hlog
# logs.  The merged histogram must be the one a single recording of every
# value gives: checked against what `run` itself wrote (its JSON, its
# .hgrm of the cell merged over repetitions, its interval logs), against
# the Java reference's interval log, and on every hostile input.
. "$(dirname "$0")/lib.sh"

FIX="${IPCB_SRCDIR:-.}/tests/fixtures/hist"

# Two real runs shared by the tests: A repeats its cell 3 times and logs
# intervals; B is a separate run of the same cell, on other CPUs when the
# machine has them (the same placement relation).
S=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-histtest.XXXXXX")
trap 'rm -rf "$S"' EXIT
mkdir "$S/h" "$S/l" "$S/hb"
CPU_B=0
[ "$(nproc)" -ge 2 ] && CPU_B=1
"$IPCBENCH" run -t pipe -s 64 -d 400ms -r 3 --cpus 0,0 --hgrm "$S/h" --hlog "$S/l" --interval 100ms \
	--no-calibrate -q -o "$S/a.json" >"$S/a.log" 2>&1 || echo "run A failed: $(tail -n 3 "$S/a.log")" >&2
"$IPCBENCH" run -t pipe -s 64 -n 300 --cpus $CPU_B,$CPU_B --hgrm "$S/hb" \
	--no-calibrate -q -o "$S/b.json" >"$S/b.log" 2>&1 || echo "run B failed: $(tail -n 3 "$S/b.log")" >&2
CELL=pipe_pingpong_64B_same_block
HGRM_A="$S/h/pipe_pingpong_64B_same-0-0_block.hgrm"
HLOG_A="$S/l/pipe_pingpong_64B_same-0-0_block.hlog"

need_runs() {
	[ -s "$S/a.json" ] && [ -s "$S/b.json" ] && [ -f "$HLOG_A" ] || fail "the runs did not write their files"
}

# sumf KEY FILE: KEY=value from the first "# summary" line
sumf() {
	awk -v k="$1=" '/^# summary/ { for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' "$2"
}

# jlat FILE KEY: the pipe cell's latency_ns[KEY]
jlat() {
	jq -r ".results[] | select(.transport == \"pipe\") | .latency_ns[\"$2\"]" "$1"
}

# fixture_count NAME: the total count Java stated for a fixture set
fixture_count() {
	sed -n 's/^count //p' "$FIX/$1.txt"
}

hgrm_total() {
	sed -nE 's/^#\[Max .*Total count += +([0-9]+)\]$/\1/p' "$1"
}

hist_ok() {
	expect_exit 0 timeout 60 "$IPCBENCH" hist "$@"
	[ -s "$T/err" ] && fail "stderr not empty: $(head -c 300 "$T/err")"
	return 0
}

t_json_summary_is_the_cells() {
	need_runs
	hist_ok "$S/a.json"
	head -n 1 "$T/out" | grep -q "^# $CELL: 1 cell merged from 1 file; grouped by placement relation 'same' (CPUs 0-0)$" ||
		fail "header: $(head -n 1 "$T/out")"
	for k in count min max p50 p90 p99 p99.9 p99.99; do
		got=$(sumf "$k" "$T/out")
		want=$(jlat "$S/a.json" "$k")
		[ "$got" = "$want" ] || fail "$k: hist says $got, the JSON $want"
	done
	[ "$(sumf p100 "$T/out")" = "$(jlat "$S/a.json" max)" ] || fail "p100 is not the max"
	[ "$(jlat "$S/a.json" count)" -eq "$(jq '[.results[0].repetitions[].latency_ns.count] | add' "$S/a.json")" ] ||
		fail "the cell's count is not the sum of its repetitions"
	sed -n 3p "$T/out" | grep -qx '       Value     Percentile TotalCount 1/(1-Percentile)' || fail "no distribution"
}

t_hgrm_is_byte_identical_to_runs() {
	need_runs
	mkdir "$T/o"
	hist_ok "$S/a.json" --hgrm "$T/o"
	cmp "$T/o/$CELL.hgrm" "$HGRM_A" || fail "hist's .hgrm differs from the one run wrote"
	[ "$(hgrm_total "$T/o/$CELL.hgrm")" = "$(jlat "$S/a.json" count)" ] || fail "footer total count"
	grep -q "^# wrote $T/o/$CELL.hgrm$" "$T/out" || fail "no 'wrote' line: $(cat "$T/out")"
	grep -q 'Value' "$T/out" && fail "--hgrm must not print the distribution"
	# printed without --hgrm: the same text after the two '# ' lines
	hist_ok "$S/a.json"
	tail -n +3 "$T/out" | cmp - "$HGRM_A" || fail "printed distribution differs from run's .hgrm"
}

# The intervals of all three repetitions add up to exactly the histogram
# run recorded for the cell: merging per-interval histograms equals
# recording everything in one.
t_hlog_intervals_add_up_to_the_cell() {
	need_runs
	n=$(grep -c ',HISTF' "$HLOG_A")
	[ "$n" -ge 3 ] || fail "only $n intervals in $HLOG_A"
	hist_ok "$HLOG_A"
	head -n 1 "$T/out" | grep -qE "^# pipe_pingpong_64B_same-0-0_block: $n intervals merged from 1 file, over [0-9]+\.[0-9]{3} s from 20[0-9]{2}-" ||
		fail "header: $(head -n 1 "$T/out")"
	[ "$(sumf count "$T/out")" = "$(jlat "$S/a.json" count)" ] || fail "count $(sumf count "$T/out") != JSON $(jlat "$S/a.json" count)"
	[ "$(sumf p99 "$T/out")" = "$(jlat "$S/a.json" p99)" ] || fail "p99"
	mkdir "$T/o"
	hist_ok "$HLOG_A" --hgrm "$T/o"
	cmp "$T/o/pipe_pingpong_64B_same-0-0_block.hgrm" "$HGRM_A" || fail "merged intervals differ from run's cell histogram"
}

t_two_runs_merge() {
	need_runs
	hist_ok "$S/a.json" "$S/b.json"
	ca=$(jlat "$S/a.json" count) cb=$(jlat "$S/b.json" count)
	ma=$(jlat "$S/a.json" max) mb=$(jlat "$S/b.json" max)
	na=$(jlat "$S/a.json" min) nb=$(jlat "$S/b.json" min)
	[ "$(sumf count "$T/out")" -eq $((ca + cb)) ] || fail "count $(sumf count "$T/out") != $ca + $cb"
	[ "$(sumf max "$T/out")" -eq "$([ "$ma" -gt "$mb" ] && echo "$ma" || echo "$mb")" ] || fail "max is not the larger max"
	[ "$(sumf min "$T/out")" -eq "$([ "$na" -lt "$nb" ] && echo "$na" || echo "$nb")" ] || fail "min is not the smaller min"
	head -n 1 "$T/out" | grep -q "^# $CELL: 2 cells merged from 2 files; grouped by placement relation 'same' (CPUs 0-0" ||
		fail "header: $(head -n 1 "$T/out")"
	[ $CPU_B = 1 ] && { head -n 1 "$T/out" | grep -q "(CPUs 0-0, 1-1)" || fail "CPUs: $(head -n 1 "$T/out")"; }
	# the order of the inputs does not matter
	mkdir "$T/ab" "$T/ba"
	hist_ok "$S/a.json" "$S/b.json" --hgrm "$T/ab"
	hist_ok "$S/b.json" "$S/a.json" --hgrm "$T/ba"
	cmp "$T/ab/$CELL.hgrm" "$T/ba/$CELL.hgrm" || fail "merging depends on the order"
	[ "$(hgrm_total "$T/ab/$CELL.hgrm")" -eq $((ca + cb)) ] || fail "footer total count"
}

t_mixed_json_and_hlog() {
	need_runs
	hist_ok "$S/b.json" "$HLOG_A"
	[ "$(grep -c '^# summary' "$T/out")" -eq 2 ] || fail "expected two groups: $(grep '^# ' "$T/out")"
	grep -q "^# $CELL: 1 cell merged" "$T/out" || fail "no JSON group"
	grep -q "^# pipe_pingpong_64B_same-0-0_block: [0-9]* intervals merged" "$T/out" || fail "no hlog group"
	# filters select logs by the name run gave them
	hist_ok "$S/b.json" "$HLOG_A" -t pipe -s 64 --placement same --wait block -p pingpong
	[ "$(grep -c '^# summary' "$T/out")" -eq 2 ] || fail "filters dropped a group"
	expect_exit 2 "$IPCBENCH" hist "$HLOG_A" -s 4k
	one_line_error "--size 4k"
}

# java.hlog was written by HdrHistogram's HistogramLogWriter from known sets:
# untagged worked, lcg, wide; Tag=io one_to_six, l1000_zeros; Tag=idle empty
# (GenFixtures.java).  Their counts, mins and maxes are in the sets' .txt.
t_java_hlog_fixture() {
	hist_ok "$FIX/java.hlog"
	n_plain=$(grep -c '^[0-9].*,HISTF' "$FIX/java.hlog")
	n_io=$(grep -c '^Tag=io,' "$FIX/java.hlog")
	[ "$n_plain" -eq 3 ] && [ "$n_io" -eq 2 ] || fail "fixture changed: $n_plain untagged, $n_io io lines"
	grep -q "^# java: 3 intervals merged from 1 file, over 6.750 s from 2026-11-21T06:37:00.000Z$" "$T/out" ||
		fail "header: $(grep '^# java:' "$T/out")"
	plain=$(( $(fixture_count worked) + $(fixture_count lcg) + $(fixture_count wide) ))
	io=$(( $(fixture_count one_to_six) + $(fixture_count l1000_zeros) ))
	grep -A1 '^# java:' "$T/out" | grep -q " count=$plain " || fail "untagged count, want $plain"
	grep -A1 '^# java_tag-io:' "$T/out" | grep -q " count=$io " || fail "io count, want $io"
	grep -A1 '^# java_tag-idle:' "$T/out" | grep -q " count=0 " || fail "idle count"
	maxw=$(sed -n 's/^max //p' "$FIX/wide.txt")
	grep -A1 '^# java:' "$T/out" | grep -q " min=1 max=$maxw " || fail "untagged min/max, want 1 and $maxw"
	all=$(awk '/^# summary/ { for (i = 1; i <= NF; i++) if ($i ~ /^count=/) s += substr($i, 7) } END { print s }' "$T/out")
	[ "$all" -eq $((plain + io)) ] || fail "sum over groups $all"
	hist_ok "$FIX/java.hlog" --tag io
	[ "$(grep -c '^# summary' "$T/out")" -eq 1 ] || fail "--tag io printed other groups"
	[ "$(sumf count "$T/out")" -eq "$io" ] || fail "--tag io count"
}

t_hgrm_and_csv_files() {
	mkdir "$T/o"
	hist_ok "$FIX/java.hlog" --hgrm "$T/o"
	[ "$(ls "$T/o" | wc -l)" -eq 3 ] || fail "files: $(ls "$T/o")"
	[ "$(hgrm_total "$T/o/java_tag-io.hgrm")" -eq $(( $(fixture_count one_to_six) + $(fixture_count l1000_zeros) )) ] ||
		fail "io footer"
	cmp "$T/o/java_tag-idle.hgrm" "$FIX/empty.hgrm" || fail "an empty group differs from Java's empty .hgrm"
	hist_ok "$FIX/java.hlog" --tag idle --csv --hgrm "$T/o"
	cmp "$T/o/java_tag-idle.csv" "$FIX/empty.csv" || fail "CSV differs from Java's"
}

t_percentiles_table() {
	need_runs
	hist_ok "$S/a.json" --percentiles 50,99,99.9
	[ "$(wc -l <"$T/out")" -eq 6 ] || fail "expected header, summary and a 4-line table: $(cat "$T/out")"
	for p in 50 99 99.9; do
		got=$(awk -v p="$p" '$1 == p { print $2 }' "$T/out")
		[ "$got" = "$(jlat "$S/a.json" "p$p")" ] || fail "p$p: $got"
	done
	hist_ok "$S/a.json" --percentiles 99 --csv
	grep -qx "99,$(jlat "$S/a.json" p99)" "$T/out" || fail "CSV table: $(cat "$T/out")"
}

t_not_ok_cells_are_skipped_and_counted() {
	need_runs
	jq '.results[0].status = "skipped" | .results[0].reason = "test" | .results[0].latency_ns.hdr = null' \
		"$S/b.json" >"$T/skipped.json"
	hist_ok "$S/a.json" "$T/skipped.json"
	head -n 1 "$T/out" | grep -q "^# $CELL: 1 cell merged from 1 file; .*; 1 cell not ok, skipped$" ||
		fail "header: $(head -n 1 "$T/out")"
	[ "$(sumf count "$T/out")" = "$(jlat "$S/a.json" count)" ] || fail "count"
	hist_ok "$T/skipped.json"
	grep -qx "# $CELL: no histogram: 1 cell not ok, skipped" "$T/out" || fail "$(cat "$T/out")"
}

t_filters_and_usage() {
	need_runs
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" -t nosuch
	one_line_error "--transport nosuch"
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" --tag io
	one_line_error "--tag io"
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" --wait sometimes
	one_line_error "sometimes"
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" --percentiles 50,101
	one_line_error "101"
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" --hgrm "$T/nonexistent/sub"
	one_line_error "nonexistent"
	expect_exit 2 "$IPCBENCH" hist
	one_line_error "no input"
	expect_exit 2 "$IPCBENCH" hist "$S/a.json" "$S/a.json"
	one_line_error "twice"
	expect_exit 0 "$IPCBENCH" hist --help
	grep -q '^usage: ipcbench hist FILE' "$T/out" || fail "usage"
	expect_exit 0 "$IPCBENCH" --help
	grep -q '^  hist ' "$T/out" || fail "hist is not in the command list"
}

# bad_json NAME JQ-FILTER [--arg ...]: a copy of run B's JSON changed by jq
bad_json() {
	name=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$S/b.json" >"$T/bad/$name.json" || fail "jq $filter"
}

# hdr_b64 BYTES-COMMAND: base64 of what the command writes
HDR_B=""
hdr_bytes() {
	[ -n "$HDR_B" ] || HDR_B=$(jq -r '.results[0].latency_ns.hdr' "$S/b.json")
	printf '%s' "$HDR_B" | base64 -d
}

make_hostile() {
	mkdir "$T/bad"
	: >"$T/bad/empty.json"
	printf ' \n\t\n' >"$T/bad/blank.json"
	head -c 700 "$S/b.json" >"$T/bad/truncated.json"
	printf '\000\001\002\003{"schema"' >"$T/bad/binary.json"
	printf '\177ELF\002\001\001' >"$T/bad/elf"
	printf 'hello world\n' >"$T/bad/text.txt"
	printf '[1,2,3]\n' >"$T/bad/array.json"
	printf '{"not": "a result"}\n' >"$T/bad/foreign.json"
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"a\":"; print "1" }' >"$T/bad/deep.json"
	bad_json version '.schema_version = 99'
	bad_json hdr_number '.results[0].latency_ns.hdr = 5'
	bad_json size_string '.results[0].msg_bytes = "64"'
	bad_json count_negative '.results[0].latency_ns.count = -1'
	bad_json results_object '.results = {}'
	bad_json no_cells '.results = []'
	sed 's/"msg_bytes": 64,/"msg_bytes": 1e999,/' "$S/b.json" >"$T/bad/huge_real.json"
	sed 's/"msg_bytes": 64,/"msg_bytes": 123456789012345678901234567890,/' "$S/b.json" >"$T/bad/huge_int.json"
	bad_json count_mismatch '.results[0].latency_ns.count += 1'
	bad_json ok_without_hdr '.results[0].latency_ns.hdr = null'
	bad_json bad_base64 '.results[0].latency_ns.hdr = "HISTF!!notbase64"'
	bad_json bad_padding '.results[0].latency_ns.hdr = "HISTFAAAACR42pNp="'
	bad_json bad_cookie '.results[0].latency_ns.hdr = $h' --arg h "$(printf '\034\204\223\025\000\000\000\020abcdefghijklmnop' | base64 -w0)"
	bad_json v1_cookie '.results[0].latency_ns.hdr = $h' --arg h "$(printf '\034\204\223\001\000\000\000\000' | base64 -w0)"
	len=$(hdr_bytes | wc -c)
	bad_json corrupt_zlib '.results[0].latency_ns.hdr = $h' --arg h "$({ hdr_bytes | head -c 10; head -c $((len - 10)) /dev/zero | tr '\000' '\377'; } | base64 -w0)"
	bad_json truncated_hdr '.results[0].latency_ns.hdr = $h' --arg h "$(hdr_bytes | head -c 30 | base64 -w0)"
	bad_json tiny_hdr '.results[0].latency_ns.hdr = "HISTFA=="'
	{ head -n 4 "$FIX/java.hlog"; echo 'this is not an interval'; } >"$T/bad/bad_line.hlog"
	{ head -n 5 "$FIX/java.hlog"; echo '1.000,1.000,0.0,HISTFAAAACR42pNpmSzMw'; } >"$T/bad/bad_hist.hlog"
	{ head -n 5 "$FIX/java.hlog"; echo '1.000,1.000,0.0,HISTFAAAACR42pNpmSzMwMDAwgABzFCaEURcm7yEwf4DROCwMgsLAGcLBYk='; } >"$T/bad/bad_adler.hlog"
	{ head -n 5 "$FIX/java.hlog"; echo; sed -n 6p "$FIX/java.hlog"; } >"$T/bad/blank_inside.hlog"
	{ head -n 5 "$FIX/java.hlog"; echo 'x1.000,1.000,0.0,HISTFAAAACR42pNpmSzMwMDAwgABzFCaEURcm7yEwf4DROCwMgsLAGcLBXk='; } >"$T/bad/bad_time.hlog"
	head -n 4 "$FIX/java.hlog" >"$T/bad/no_intervals.hlog"
	head -c 250 "$FIX/java.hlog" >"$T/bad/truncated.hlog"
	# two intervals of 2^62 values each (an uncompressed V2 histogram): the merged count overflows
	ovf=$(printf '\034\204\223\023\000\000\000\012\000\000\000\000\000\000\000\003\000\000\000\000\000\000\000\001\000\000\003\106\060\270\240\000\077\360\000\000\000\000\000\000\000\200\200\200\200\200\200\200\200\200' | base64 -w0)
	printf '#[Histogram log format version 1.3]\n0.000,1.000,0.0,%s\n1.000,1.000,0.0,%s\n' "$ovf" "$ovf" >"$T/bad/count_overflow.hlog"
	mkdir "$T/bad/directory.json"
}

t_hostile_inputs_exit_2_with_one_line() {
	need_runs
	make_hostile
	for f in "$T"/bad/*; do
		expect_exit 2 timeout 20 "$IPCBENCH" hist "$f"
		one_line_error "ipcbench: hist: $f: "
		[ -s "$T/out" ] && fail "$f: something on stdout: $(head -c 200 "$T/out")"
		# also when it comes after a good file
		expect_exit 2 timeout 20 "$IPCBENCH" hist "$S/a.json" "$f"
		one_line_error "ipcbench: hist: $f: "
	done
	return 0
}

t_hostile_reasons() {
	need_runs
	make_hostile
	for pair in "empty.json:empty file" "binary.json:binary data" "version.json:schema_version" \
		"hdr_number.json:expected a string" "deep.json:depth" "huge_real.json:overflow" \
		"huge_int.json:too big integer" "count_mismatch.json:count says" "bad_base64.json:base64" \
		"bad_cookie.json:cookie" "v1_cookie.json:V1" "corrupt_zlib.json:zlib" \
		"truncated_hdr.json:truncated" "ok_without_hdr.json:null in an ok cell" \
		"bad_line.hlog:line 5" "bad_hist.hlog:line 6" "no_intervals.hlog:no intervals" \
		"count_overflow.hlog:overflows" "directory.json:directory" "no_cells.json:no cells"; do
		f=${pair%%:*} why=${pair#*:}
		expect_exit 2 timeout 20 "$IPCBENCH" hist "$T/bad/$f"
		one_line_error "$why"
	done
	return 0
}

run_tests
