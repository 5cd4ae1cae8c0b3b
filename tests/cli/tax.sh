#!/bin/sh
# CLI tests of the framework tax: a run of the D-Bus and RPC transports
# with the raw transports they sit on carries each cell's raw_transport,
# and the report's "cost of the layer" table has a row for each library
# transport, paired with its raw transport at the same size and placement.
. "$(dirname "$0")/lib.sh"

chart_suite taxtest
R="$S/r.json"
if ! "$IPCBENCH" run -t unix,tcp,dbus,dbus_p2p,oncrpc,oncrpc:net=tcp,grpc,grpc:net=tcp -s 64,4k -n 30 -w 5 --placement cross \
	--no-calibrate -q -o "$R" 2>"$S/err"; then
	setup_failed "the run failed: $(head -c 300 "$S/err")"
fi

t_raw_transport_in_json() {
	json_check '[.results[] | select(.transport == "dbus" or .transport == "dbus_p2p") | .raw_transport] |
		all(. == "unix") and length > 0' "$R"
	json_check '[.results[] | select(.variant == "oncrpc:net=tcp") | .raw_transport] == ["tcp", "tcp"]' "$R"
	json_check '[.results[] | select(.variant == "grpc") | .raw_transport] == ["unix", "unix"]' "$R"
	json_check '[.results[] | select(.variant == "grpc:net=tcp") | .raw_transport] == ["tcp", "tcp"]' "$R"
	json_check '[.results[] | select(.transport == "unix" or .transport == "tcp") | .raw_transport] |
		all(. == null)' "$R"
	json_check '[.results[] | select(.status == "ok") | .cost.client.threads, .cost.server.threads] |
		all(. >= 1)' "$R"
}

t_report_has_a_tax_row_per_library_transport() {
	expect_exit 0 "$IPCBENCH" report "$R" -o "$T/r.html"
	grep -q '<h2 id="tax">Cost of the layer</h2>' "$T/r.html" || fail "no cost-of-the-layer section"
	awk '/<h2 id="tax">/ {on = 1} on && /<\/table>/ {exit} on' "$T/r.html" >"$T/tax"
	for v in dbus dbus_p2p oncrpc oncrpc:net=tcp grpc grpc:net=tcp; do
		raw=unix
		case $v in *:net=tcp) raw=tcp ;; esac
		for sz in "64 B" "4 KiB"; do
			grep -q "<tr><td>$v</td><td>$raw</td><td>pingpong</td><td class=\"n\">$sz</td>" "$T/tax" ||
				fail "no tax row for $v over $raw at $sz: $(head -c 600 "$T/tax")"
		done
	done
	n=$(grep -c '^<tr><td>' "$T/tax")
	[ "$n" -eq 12 ] || fail "expected 12 tax rows, got $n"
}

t_no_tax_section_without_library_transports() {
	jq '.results |= map(select(.raw_transport == null))' "$R" >"$T/raw.json" || fail "jq failed"
	expect_exit 0 "$IPCBENCH" report "$T/raw.json" -o "$T/r.html"
	grep -q '<h2 id="tax">' "$T/r.html" && fail "a tax section with no library transport"
	return 0
}

run_tests t_raw_transport_in_json t_report_has_a_tax_row_per_library_transport \
	t_no_tax_section_without_library_transports
