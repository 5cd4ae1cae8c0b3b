#!/bin/sh
# CLI tests of the readers of --clients and --pairs cells: compare, hist and
# plot keep a cell of N clients (or N pairs) apart from the one-pair cell of
# the same transport, size and placement, and a malformed `scale` is bad
# input; the clients chart (aggregate round trips/s and p99 against the
# number of clients, one line per transport) and the report's table of the
# members' figures, checked against the JSON.
. "$(dirname "$0")/lib.sh"

chart_suite clientstest
R="$S/r.json"
ONE="$S/one.json"
MIX="$S/mix.json"
if ! "$IPCBENCH" run -t unix,udp -s 64 -n 200 -w 10 --clients 1,2,4 --cpus 0,1 --no-calibrate -q -o "$R" \
	2>"$S/err" ||
	! "$IPCBENCH" run -t unix -s 64 -n 200 -w 10 --cpus 0,1 --no-calibrate -q -o "$ONE" 2>>"$S/err"; then
	setup_failed "the runs failed: $(head -c 300 "$S/err")"
fi
# one file holding the one-pair cell and the clients cells of the same transport, size and placement
jq -s '.[0].results += .[1].results | .[0]' "$R" "$ONE" >"$MIX" || setup_failed "jq failed"

t_compare_keeps_clients_cells_apart() {
	expect_exit 0 "$IPCBENCH" compare "$MIX" "$MIX" --json "$T/c.json" -q
	json_check '[.cells[].key] | length == 7 and (unique | length) == 7' "$T/c.json"
	json_check '[.cells[].key] | any(. == "unix/pingpong/64/cross:0,1/block") and
		any(. == "unix/pingpong/64/cross:0,1/block/clients=4")' "$T/c.json"
	# the base's clients=4 cell is matched with the new's clients=4 cell, nothing else
	jq '.results |= map(select(.clients != 4))' "$MIX" >"$T/no4.json" || fail "jq failed"
	expect_exit 0 "$IPCBENCH" compare "$MIX" "$T/no4.json" --json "$T/d.json" -q
	json_check '[.cells[] | select(.key | endswith("/clients=4"))] | length == 2 and
		all(.verdict != "unchanged" and .verdict != "improved")' "$T/d.json"
}

t_hist_groups_clients_cells_apart() {
	expect_exit 0 "$IPCBENCH" hist "$MIX" --hgrm "$T/h"
	for n in unix_pingpong_64B_cross_block unix_pingpong_64B_cross_block_clients1 \
		unix_pingpong_64B_cross_block_clients2 unix_pingpong_64B_cross_block_clients4 \
		udp_pingpong_64B_cross_block_clients4; do
		[ -s "$T/h/$n.hgrm" ] || fail "no $n.hgrm: $(ls "$T/h")"
	done
	want=$(jq '[.results[] | select(.transport == "unix" and .clients == 4)][0].latency_ns.count' "$MIX")
	grep -q "count=$want " "$T/out" "$T/h/unix_pingpong_64B_cross_block_clients4.hgrm" 2>/dev/null ||
		grep -q "Total count *= *$want\b" "$T/h/unix_pingpong_64B_cross_block_clients4.hgrm" ||
		fail "the clients=4 group does not hold the cell's $want values"
}

t_plot_series_per_clients_count() {
	expect_exit 0 "$IPCBENCH" plot "$MIX" -o "$T/p" --format svg
	d="$T/p/latency-by-percentile-pingpong-64B-cross.dat"
	[ -s "$d" ] || fail "no percentile chart: $(ls "$T/p")"
	for l in "unix" "unix 1 clients" "unix 2 clients" "unix 4 clients" "udp 4 clients"; do
		grep -q "^# index [0-9]*: $l (cell" "$d" || fail "no line '$l' in $(grep '^# index' "$d")"
	done
}

t_reader_refuses_a_malformed_scale() {
	for e in '.results[0].scale.mode = "many"' '.results[0].scale.members = 9' \
		'.results[0].scale.per_member = [1]' '.results[0].scale.fairness.jain_index = "x"' \
		'.results[0].pairs = 2'; do
		jq "$e" "$R" >"$T/bad.json" || fail "jq failed"
		expect_exit 2 "$IPCBENCH" compare "$T/bad.json" "$R" -q
		one_line_error "results[0]"
	done
}

t_clients_chart_from_the_json() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$R" -o "$T/p" --format svg
	d="$T/p/clients-pingpong-64B-cross.dat"
	[ -s "$d" ] && [ -s "$T/p/clients-pingpong-64B-cross.svg" ] || fail "no clients chart: $(ls "$T/p")"
	for t in unix udp; do
		# the line's rows: members and aggregate round trips/s as the JSON has them, by members
		awk -v t="\"$t\"" '/^# index/ {on = ($4 == t)} on && /^[0-9]/ {printf "%d %.0f\n", $1, $2}' "$d" >"$T/got"
		jq -r --arg t "$t" '[.results[] | select(.transport == $t)] | sort_by(.clients)[] |
			"\(.clients) \(.round_trips_per_sec)"' "$R" | while read -r n v; do printf '%d %.0f\n' "$n" "$v"; done >"$T/want"
		cmp -s "$T/got" "$T/want" || fail "$t: chart rows $(cat "$T/got") differ from the JSON's $(cat "$T/want")"
	done
	# a run without such cells draws no such chart
	expect_exit 0 "$IPCBENCH" plot "$ONE" -o "$T/q" --format svg
	ls "$T/q" | grep -q -e '^clients-' -e '^pairs-' && fail "a clients chart without clients cells"
	return 0
}

t_pairs_chart() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 -w 10 --pairs 1,2 --cpus 0,1 --no-calibrate -q -o "$T/p.json"
	expect_exit 0 "$IPCBENCH" plot "$T/p.json" -o "$T/p" --format svg
	[ -s "$T/p/pairs-pingpong-64B-cross.dat" ] || fail "no pairs chart: $(ls "$T/p")"
	n=$(grep -c '^[12] ' "$T/p/pairs-pingpong-64B-cross.dat")
	[ "$n" -eq 2 ] || fail "expected rows for 1 and 2 pairs, got $n"
}

t_report_table_rows_match_the_json() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" report "$MIX" -o "$T/r.html"
	grep -q '<h2 id="clients">Many clients, many pairs</h2>' "$T/r.html" || fail "no clients section"
	grep -q 'id="clients-pingpong-64B-cross"' "$T/r.html" || fail "no clients chart in the report"
	awk '/<h2 id="clients">/ {on = 1} on && /<\/table>/ {exit} on' "$T/r.html" >"$T/tab"
	n=$(grep -c '^<tr><td>' "$T/tab")
	[ "$n" -eq 6 ] || fail "expected 6 rows (the one-pair cell has none), got $n"
	jq -r '.results[] | select(.clients != null) |
		"\(.transport) \(.clients) \(.round_trips_per_sec) \(.scale.fairness.jain_index) \(.scale.fairness.min_msgs_per_sec) \(.scale.fairness.max_msgs_per_sec)"' \
		"$MIX" | while read -r t c v j lo hi; do
		row=$(printf '<tr><td>%s</td><td>clients</td><td class="n">%d</td><td>pingpong</td><td class="n">64 B</td><td>cross 0,1</td><td>block</td><td class="n">%.0f</td>' \
			"$t" "$c" "$v")
		grep -qF "$row" "$T/tab" || { echo "no row $row" >"$T/bad"; break; }
		tail=$(printf '<td class="n">%.3f</td><td class="n">%.0f</td><td class="n">%.0f</td></tr>' "$j" "$lo" "$hi")
		grep -F "$row" "$T/tab" | grep -qF "$tail" || { echo "row $row lacks $tail" >"$T/bad"; break; }
	done
	[ ! -s "$T/bad" ] || fail "$(cat "$T/bad"): $(head -c 800 "$T/tab")"
	expect_exit 0 "$IPCBENCH" report "$ONE" -o "$T/one.html"
	grep -q '<h2 id="clients">' "$T/one.html" && fail "a clients section without clients cells"
	return 0
}

run_tests
