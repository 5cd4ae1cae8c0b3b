#!/bin/sh
# CLI tests of `ipcbench plot` and `ipcbench report`: charts from one small
# real run (valid, non-trivial PNG and SVG files, the expected set of
# names), data files that hold the JSON's numbers, scripts that re-run
# without ipcbench, one self-contained HTML report, and bad input.
. "$(dirname "$0")/lib.sh"

chart_suite plottest
R="$S/r.json"
if ! "$IPCBENCH" run -t pipe,unix -p pingpong,stream -s 64,4k -n 300 --warmup 20 -q -o "$R" 2>"$S/err"; then
	setup_failed "the run failed: $(head -c 300 "$S/err")"
fi

# dat_value FILE SERIES X COL: column COL of the row whose first column is X in SERIES's block
dat_value() {
	awk -v s="$2" -v x="$3" -v c="$4" '/^# index/ {on = ($4 == s)} on && $1 == x {print $c; exit}' "$1"
}

t_plot_writes_every_chart() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/charts" --format png,svg
	grep -qE '^[0-9]+ charts in ' "$T/out" || fail "no summary line: $(cat "$T/out")"
	expected_charts "$R" | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -ge 7 ] || fail "too few charts expected: $(cat "$T/want")"
	(cd "$T/charts" && ls -1 *.gp | sed 's/\.gp$//' | sort) >"$T/got"
	cmp -s "$T/want" "$T/got" || fail "chart set differs: $(diff "$T/want" "$T/got" | tr '\n' ' ')"
	grep -q "^$(wc -l <"$T/want") charts in" "$T/out" || fail "the count printed differs from the charts written"
	while read -r name; do
		for ext in dat gp png svg; do
			[ -s "$T/charts/$name.$ext" ] || fail "$name.$ext missing or empty"
		done
		magic=$(head -c 8 "$T/charts/$name.png" | od -An -tx1 | tr -d ' \n')
		[ "$magic" = 89504e470d0a1a0a ] || fail "$name.png is not a PNG ($magic)"
		[ "$(wc -c <"$T/charts/$name.png")" -gt 8000 ] || fail "$name.png is suspiciously small"
		[ "$(wc -c <"$T/charts/$name.svg")" -gt 4000 ] || fail "$name.svg is suspiciously small"
		if command -v xmllint >/dev/null 2>&1; then
			xmllint --noout "$T/charts/$name.svg" 2>"$T/xml" || fail "$name.svg is not XML: $(head -c 200 "$T/xml")"
		else
			grep -q '<svg' "$T/charts/$name.svg" && grep -q '</svg>' "$T/charts/$name.svg" || fail "$name.svg is not SVG"
		fi
	done <"$T/want"
	grep -q "host $(jq -r .context.hostname "$R")" "$T/charts/summary-pingpong-64B-$(jq -r '.results[0].placement.relation' "$R").gp" ||
		fail "the title does not name the host"
}

t_png_only_and_svg_only() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/png" --format png
	[ -n "$(ls "$T/png" | grep '\.png$')" ] && [ -z "$(ls "$T/png" | grep '\.svg$')" ] || fail "--format png"
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/svg" --format svg
	[ -n "$(ls "$T/svg" | grep '\.svg$')" ] && [ -z "$(ls "$T/svg" | grep '\.png$')" ] || fail "--format svg"
}

# the numbers in the data files are the JSON's, not re-derived ones
t_data_files_hold_the_json_numbers() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/charts" --format svg
	rel=$(jq -r '[.results[]|select(.status=="ok")][0].placement.relation' "$R")
	for t in pipe unix; do
		cell=".results[]|select(.transport==\"$t\" and .pattern==\"pingpong\" and .msg_bytes==64 and .placement.relation==\"$rel\")"
		want=$(jq -r "$cell|.latency_ns.p50" "$R")
		got=$(dat_value "$T/charts/latency-vs-size-pingpong-$rel.dat" "$t" 64 2)
		[ "$got" = "$want" ] || fail "$t p50 at 64 B: .dat has '$got', the JSON $want"
		want=$(jq -r "$cell|.latency_ns.p99" "$R")
		got=$(dat_value "$T/charts/latency-vs-size-pingpong-$rel.dat" "$t" 64 4)
		[ "$got" = "$want" ] || fail "$t p99 at 64 B: .dat has '$got', the JSON $want"
		got=$(awk -v s="\"$t\"" '$2 == s {print $3}' "$T/charts/summary-pingpong-64B-$rel.dat")
		want=$(jq -r "$cell|.latency_ns.p50" "$R")
		[ "$got" = "$want" ] || fail "$t p50 in the summary .dat: '$got', the JSON $want"
		# the percentile curve: its 50% row is the p50, its last row the max and the sample count
		f="$T/charts/latency-by-percentile-pingpong-64B-$rel.dat"
		got=$(dat_value "$f" "$t" 50 3)
		[ "$got" = "$want" ] || fail "$t 50% row of the percentile curve: '$got', the JSON p50 $want"
		got=$(dat_value "$f" "$t" 100 3)
		want=$(jq -r "$cell|.latency_ns.max" "$R")
		[ "$got" = "$want" ] || fail "$t 100% row: '$got', the JSON max $want"
		got=$(dat_value "$f" "$t" 100 2)
		want=$(jq -r "$cell|.latency_ns.count" "$R")
		[ "$got" = "$want" ] || fail "$t 1/(1-p) of the 100% row should be capped at the count $want, is '$got'"
		cell=".results[]|select(.transport==\"$t\" and .pattern==\"stream\" and .msg_bytes==4096 and .placement.relation==\"$rel\")"
		want=$(jq -r "$cell|.bytes_per_sec" "$R")
		got=$(dat_value "$T/charts/throughput-bytes-vs-size-$rel.dat" "$t" 4096 3)
		awk -v a="$got" -v b="$want" 'BEGIN {exit !(a > 0 && (a - b) / b < 1e-9 && (b - a) / b < 1e-9)}' ||
			fail "$t bytes/s at 4 KiB: .dat has '$got', the JSON $want"
	done
	head -n 5 "$T/charts/latency-vs-size-pingpong-$rel.dat" | grep -q '^# columns: msg_bytes (bytes), p50_ns (ns)' ||
		fail "the data file does not name its columns and units"
}

# a chart's .gp and .dat are enough to redraw it, without ipcbench
t_scripts_rerun_with_gnuplot_alone() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/charts" --format png
	mkdir "$T/copy"
	name=$(cd "$T/charts" && ls *.gp | grep '^latency-by-percentile' | head -n 1 | sed 's/\.gp$//')
	cp "$T/charts/$name.gp" "$T/charts/$name.dat" "$T/copy/"
	(cd "$T/copy" && gnuplot "$name.gp" && gnuplot -e "fmt='svg'" "$name.gp") 2>"$T/gp" || fail "gnuplot: $(head -c 300 "$T/gp")"
	[ -s "$T/copy/$name.png" ] && [ -s "$T/copy/$name.svg" ] || fail "the copied script drew nothing"
}

t_several_files_label_series_by_file() {
	need_gnuplot
	cp "$R" "$T/again.json"
	expect_exit 0 "$IPCBENCH" plot "$R" "$T/again.json" -o "$T/charts" --format svg
	f=$(ls "$T"/charts/latency-vs-size-pingpong-*.gp | head -n 1)
	grep -q "title 'pipe (r)'" "$f" && grep -q "title 'pipe (again)'" "$f" || fail "series not labelled by file: $(grep -o "title '[^']*'" "$f" | tr '\n' ' ')"
}

t_report_is_one_self_contained_file() {
	need_gnuplot
	mkdir "$T/rep"
	expect_exit 0 "$IPCBENCH" report "$R" -o "$T/rep/report.html"
	[ "$(ls -A "$T/rep")" = report.html ] || fail "the report left other files: $(ls -A "$T/rep")"
	h="$T/rep/report.html"
	head -n 1 "$h" | grep -qi '^<!DOCTYPE html>' || fail "not HTML"
	for bad in http src= '<link' '<script' '<img' '@import' 'url(http'; do
		grep -qi -- "$bad" "$h" && fail "the report refers outside itself: $(grep -io -- ".\{30\}$bad.\{30\}" "$h" | head -n 1)"
	done
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/charts" --format svg
	n=$(ls "$T"/charts/*.gp | wc -l)
	[ "$(grep -c '<svg' "$h")" -eq "$n" ] || fail "$(grep -c '<svg' "$h") charts inlined, $n expected"
	[ "$(grep -c '</svg>' "$h")" -eq "$n" ] || fail "an inlined SVG is not closed"
	grep -q '@media print' "$h" || fail "no print style"
	for s in 'Machine' 'Configuration' 'Summary table' "$(jq -r .context.kernel "$R")" '<th>p99.9</th>' 'CPU per msg'; do
		grep -qF -- "$s" "$h" || fail "the report lacks '$s'"
	done
	[ -z "$(ls -d "${TMPDIR:-/tmp}"/ipcb-report.* 2>/dev/null)" ] || fail "temporary directory left behind"
}

# strings from the JSON are escaped in HTML and quoted in gnuplot scripts
t_hostile_strings_are_escaped() {
	need_gnuplot
	jq '.context.hostname = "<script>alert(\"x\")</script> it'"'"'s & \\\\ @STYLE@"
	    | .results[0].status = "skipped" | .results[0].reason = "<b>no</b>"' "$R" >"$T/evil.json"
	expect_exit 0 "$IPCBENCH" report "$T/evil.json" -o "$T/r.html"
	grep -q '<script' "$T/r.html" && fail "a hostname's markup reached the HTML"
	grep -q '<b>no' "$T/r.html" && fail "a reason's markup reached the HTML"
	grep -q '&lt;script&gt;' "$T/r.html" || fail "the hostname is not shown escaped"
	expect_exit 0 "$IPCBENCH" plot "$T/evil.json" -o "$T/charts" --format png
}

t_bad_input_exits_2_with_one_line() {
	printf 'not json at all\n' >"$T/notjson.json"
	head -c 2000 "$R" >"$T/trunc.json"
	printf '{"schema": "something-else", "results": []}\n' >"$T/other.json"
	jq '.results = []' "$R" >"$T/zero.json"
	jq '.results |= map(.status = "skipped" | .reason = "x")' "$R" >"$T/none.json"
	mkdir "$T/charts"
	for cmd in plot report; do
		o="$T/charts"
		[ $cmd = report ] && o="$T/charts/r.html"
		while IFS='|' read -r file mention; do
			expect_exit 2 "$IPCBENCH" $cmd "$file" -o "$o"
			one_line_error "$mention"
		done <<EOF2
$T/missing.json|No such file
$T/notjson.json|not valid JSON
$T/trunc.json|not valid JSON
$T/other.json|not an ipcbench result
$T/zero.json|no cells
$T/none.json|no cell was measured
$T|directory
EOF2
		expect_exit 2 "$IPCBENCH" $cmd "$R" -o "$o" --bogus
		one_line_error "--bogus"
		expect_exit 2 "$IPCBENCH" $cmd "$R"
		one_line_error "-o"
		expect_exit 2 "$IPCBENCH" $cmd -o "$o"
		one_line_error "no result file"
		expect_exit 2 "$IPCBENCH" $cmd "$R" -o "$o" --size 12x
		one_line_error "12x"
	done
	[ ! -e "$T/charts/r.html" ] || fail "a bad input wrote a report"
	expect_exit 2 "$IPCBENCH" plot "$R" -o "$T/charts" --format gif
	one_line_error "gif"
	need_gnuplot
	expect_exit 2 "$IPCBENCH" plot "$R" -o "$T/charts" --size 100
	one_line_error "100 B"
}

t_gnuplot_missing_names_the_package() {
	mkdir "$T/empty"
	for cmd in plot report; do
		expect_exit 2 env PATH="$T/empty" "$IPCBENCH" $cmd "$R" -o "$T/x"
		one_line_error "apt-get install gnuplot-nox"
	done
}

t_gnuplot_failure_exits_1_with_its_reason() {
	need_gnuplot
	cp -r "$IPCBENCH_DATADIR" "$T/tpl"
	echo 'set frobnicate 42' >>"$T/tpl/placement.gp"
	echo 'set frobnicate 42' >>"$T/tpl/summary.gp"
	IPCBENCH_DATADIR="$T/tpl"
	expect_exit 1 "$IPCBENCH" plot "$R" -o "$T/charts"
	one_line_error "gnuplot"
	grep -q 'line [0-9]*:' "$T/err" || fail "gnuplot's reason is not shown: $(cat "$T/err")"
}

run_tests
