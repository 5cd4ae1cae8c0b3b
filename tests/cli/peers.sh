#!/bin/sh
# --peers fork,exec end to end, the guides' table in `list`, the hidden
# peer subcommand, popen from the command line.
. "$(dirname "$0")/lib.sh"

t_exec_and_fork_cells_both_recorded() {
	expect_exit 0 "$IPCBENCH" run -t fifo,pipe -s 64 -n 300 --placement cross --peers fork,exec \
		--no-calibrate -q -o "$T/r.json"
	json_check '[.results[] | select(.transport == "fifo") | .peers] | sort == ["exec", "fork"]' "$T/r.json"
	json_check '[.results[] | select(.transport == "fifo") | .status] == ["ok", "ok"]' "$T/r.json"
	json_check '.results[] | select(.transport == "pipe" and .peers == "exec") |
		.status == "skipped" and (.reason | test("needs related processes"))' "$T/r.json"
	json_check '[.results[].key] | unique | length == 4' "$T/r.json"
	json_check '[.results[] | select(.peers == "exec") | .key | test("/peers=exec$")] | all' "$T/r.json"
	json_check '.config.peers == ["fork", "exec"]' "$T/r.json"
}

t_compare_keys_on_peers() {
	expect_exit 0 "$IPCBENCH" run -t fifo -s 64 -n 300 --placement cross --peers exec --no-calibrate -q \
		-o "$T/exec.json"
	expect_exit 0 "$IPCBENCH" run -t fifo -s 64 -n 300 --placement cross --no-calibrate -q -o "$T/fork.json"
	"$IPCBENCH" compare "$T/fork.json" "$T/exec.json" >"$T/out" 2>"$T/err"
	grep -q "peers=exec  incomparable: only in new" "$T/out" || fail "compare matched fork against exec: $(cat "$T/out")"
}

t_bad_peers_is_usage() {
	expect_exit 2 "$IPCBENCH" run -t fifo --peers spawn
	one_line_error "unknown peers 'spawn'"
	expect_exit 2 "$IPCBENCH" run -t fifo --peers exec,exec
	one_line_error "given twice"
}

t_peer_by_hand_refused() {
	expect_exit 2 "$IPCBENCH" peer </dev/null
	one_line_error "peer is internal"
	"$IPCBENCH" --help | grep -q '^ *peer ' && fail "peer shows in the usage"
	return 0
}

t_list_shows_the_guides_table() {
	expect_exit 0 "$IPCBENCH" list --guide
	grep -Eq '^pipe +yes +- +- +stream +both ways$' "$T/out" || fail "pipe row: $(grep '^pipe ' "$T/out")"
	grep -Eq '^tcp +yes +yes +yes +stream +both ways$' "$T/out" || fail "tcp row: $(grep '^tcp ' "$T/out")"
	grep -Eq '^popen +yes +- +- +stream +one-way$' "$T/out" || fail "popen row: $(grep '^popen ' "$T/out")"
	expect_exit 0 "$IPCBENCH" list
	grep -q 'UNRELATED' "$T/out" || fail "list has no guides' table"
}

t_popen_stream_and_skip() {
	expect_exit 0 "$IPCBENCH" run -t popen -p pingpong,stream -s 64,64k -n 500 --placement cross --no-calibrate \
		-q -o "$T/p.json"
	json_check '[.results[] | select(.pattern == "stream") | .status] == ["ok", "ok"]' "$T/p.json"
	json_check '[.results[] | select(.pattern == "stream") | .latency_ns.count] == [500, 500]' "$T/p.json"
	json_check '.results[] | select(.pattern == "pingpong") | .reason | test("one-way")' "$T/p.json"
	ls "${TMPDIR:-/tmp}" | grep -q "ipcbench-$$-" && fail "a run directory was left"
	return 0
}

run_tests
