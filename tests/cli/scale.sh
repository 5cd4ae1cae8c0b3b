#!/bin/sh
# CLI tests of --pairs and --clients (harness/scale.h) through the real
# binary: the JSON of each member, the aggregate and fairness, the skip of
# a transport that serves one client, bad values, nothing left behind.
. "$(dirname "$0")/lib.sh"

t_clients_cells_carry_every_client() {
	ipc_snapshot "$T/before"
	expect_exit 0 "$IPCBENCH" run -t unix,udp -s 64 -n 300 --clients 1,3 --cpus 0,1 --no-calibrate -q \
		-o "$T/r.json"
	f="$T/r.json"
	json_check '.config.clients == [1,3] and .config.pairs == null' "$f"
	json_check '.results | length == 4 and all(.status == "ok")' "$f"
	json_check 'all(.results[]; .scale.mode == "clients" and .scale.members == .clients)' "$f"
	json_check 'all(.results[]; .iterations == 300 * .clients)' "$f"
	json_check 'all(.results[]; [.scale.per_member[].iterations] | all(. == 300))' "$f"
	json_check 'all(.results[]; .latency_ns.count == ([.scale.per_member[].latency_ns.count] | add))' "$f"
	json_check 'all(.results[]; .scale.per_member | all(.latency_ns.hdr != null and .round_trips_per_sec > 0))' "$f"
	json_check 'all(.results[]; .scale.fairness.jain_index > 0 and .scale.fairness.jain_index <= 1)' "$f"
	json_check 'all(.results[]; .cost.server.max_rss_kb > 0 and .cost.client.max_rss_kb > 0)' "$f"
	json_check '[.results[].key] | unique | length == 4' "$f"
	json_check 'all(.results[]; .key | test("/clients=[13]$"))' "$f"
	ipc_snapshot "$T/after"
	# only what appeared counts: other programs' objects may come and go meanwhile
	new=$(comm -13 "$T/before" "$T/after")
	[ -z "$new" ] || fail "left behind: $new"
}

t_pairs_cells_carry_every_pair() {
	expect_exit 0 "$IPCBENCH" run -t pipe,shm_ring -s 64 -n 300 --pairs 1,2 --cpus 0,1 --no-calibrate -q \
		-o "$T/r.json"
	f="$T/r.json"
	json_check '.config.pairs == [1,2] and .config.clients == null' "$f"
	json_check '.results | length == 4 and all(.status == "ok" and .iterations == 300 * .pairs)' "$f"
	json_check 'all(.results[]; .scale.mode == "pairs" and (.scale.per_member | length) == .pairs)' "$f"
	# placements spread: pair 1 moves both CPUs along the online CPUs
	json_check '[.results[] | select(.pairs == 2) | .scale.per_member[1] | [.client_cpu, .server_cpu]] | all(. == [1,0])' "$f"
	expect_exit 0 "$IPCBENCH" run -t pipe -p stream -s 4k -n 2000 --pairs 2 --cpus 0,0 --no-calibrate -q \
		-o "$T/s.json"
	json_check '.results[0] | .status == "ok" and .bytes_per_sec > 0 and .scale.members == 2' "$T/s.json"
}

t_one_client_transport_is_skipped_with_the_reason() {
	expect_exit 0 "$IPCBENCH" run -t pipe,unix -s 64 -n 200 --clients 2 --cpus 0,1 --no-calibrate -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results[] | select(.transport == "pipe") | .status == "skipped" and (.reason | test("serves one client only"))' "$f"
	json_check '.results[] | select(.transport == "unix") | .status == "ok"' "$f"
	expect_exit 0 "$IPCBENCH" run -t unix -p stream -s 64 -n 200 --clients 2 --cpus 0,1 --no-calibrate -q \
		-o "$T/s.json"
	json_check '.results[0] | .status == "skipped" and (.reason | test("pingpong pattern only"))' "$T/s.json"
}

t_bad_values_are_exit_2() {
	for v in 0 -1 x 1..0 2..x 257 1,,2 ''; do
		expect_exit 2 "$IPCBENCH" run -t unix -s 64 -n 10 --clients "$v" -q -o "$T/bad.json"
		one_line_error "--clients"
	done
	for v in 0 65 abc; do
		expect_exit 2 "$IPCBENCH" run -t unix -s 64 -n 10 --pairs "$v" -q -o "$T/bad.json"
		one_line_error "--pairs"
	done
	expect_exit 2 "$IPCBENCH" run -t unix -s 64 -n 10 --pairs 2 --clients 2 -q -o "$T/bad.json"
	one_line_error "cannot be combined"
	[ ! -e "$T/bad.json" ] || fail "a refused run wrote its output"
}

t_ranges_double_like_sizes() {
	expect_exit 0 "$IPCBENCH" run -t unix -s 64 -n 50 --clients 1,2..8 --cpus 0,1 --no-calibrate -q -o "$T/r.json"
	json_check '.config.clients == [1,2,4,8] and ([.results[].clients] | sort) == [1,2,4,8]' "$T/r.json"
}

t_each_group_size_gets_its_own_hgrm_file() {
	expect_exit 0 "$IPCBENCH" run -t unix -s 64 -n 200 --clients 1,2 --cpus 0,1 --no-calibrate -q \
		-o "$T/r.json" --hgrm "$T/h"
	n=$(ls "$T/h" | grep -c '_clients[12]\.hgrm$')
	[ "$n" -eq 2 ] || fail "expected one .hgrm per clients count, got: $(ls "$T/h")"
}

run_tests
