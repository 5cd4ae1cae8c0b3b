#!/bin/sh
# CLI tests of the measurement modes: stream, rate, sweeps, placement,
# wait strategy, repetitions and cost, through the real binary.
. "$(dirname "$0")/lib.sh"

t_stream_reports_throughput() {
	expect_exit 0 "$IPCBENCH" run -t pipe,unix_dgram -p stream -s 8,4k -n 2000 --cpus 0,0 -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results | length == 4 and all(.status == "ok" and .pattern == "stream")' "$f"
	# bytes/s is msgs/s times the size, and msgs/s is count over the receiver's time
	json_check 'all(.results[]; (.bytes_per_sec - .msgs_per_sec * .msg_bytes | fabs) < 1e-6 * .bytes_per_sec)' "$f"
	json_check 'all(.results[]; (.msgs_per_sec - .iterations / (.elapsed_ns / 1e9) | fabs) < 1e-6 * .msgs_per_sec)' "$f"
	json_check 'all(.results[]; .round_trips_per_sec == null)' "$f"
	# one-way latency: a histogram where the message can carry a timestamp (>= 16 bytes)
	json_check '[.results[]|select(.msg_bytes == 4096)] | all(.latency_ns.count == 2000 and .latency_ns.meaning == "one way")' "$f"
	json_check '[.results[]|select(.msg_bytes == 8)] | all(.latency_ns.count == 0 and .latency_ns.p50 == null)' "$f"
}

# A reader that keeps finding data just after announcing it would sleep must
# not leave a semaphore post behind each time: System V semaphores stop at
# 32767 (semop fails with ERANGE), which this stream used to hit after about
# 1.5 million messages.
t_ring_wakeups_do_not_pile_up() {
	expect_exit 0 "$IPCBENCH" run -t sysv_shm,shm_ring -p stream -s 8 -n 4000000 --cpus 0,1 -q -o "$T/r.json"
	json_check '.results | length == 2 and all(.status == "ok" and .iterations == 4000000)' "$T/r.json"
}

t_rate_keeps_an_easy_rate() {
	expect_exit 0 "$IPCBENCH" run -t socketpair -p rate --rate 2000 -s 64 -d 1s --cpus 0,1 -q -o "$T/r.json"
	f="$T/r.json"
	# missed on a machine that changed mid-run: cannot tell the machine from ipcbench
	jq -e '.results[0].rate_kept_up and .results[0].rate_achieved_per_sec > 1900' "$f" >/dev/null || skip_if_floors_moved "$T/err"
	json_check '.results[0].status == "ok" and .results[0].rate_target_per_sec == 2000' "$f"
	json_check '.results[0].rate_achieved_per_sec > 1900 and .results[0].rate_achieved_per_sec < 2100' "$f"
	json_check '.results[0].rate_kept_up == true and .results[0].latency_ns.count > 1500' "$f"
	json_check '.results[0].latency_ns.meaning | test("intended")' "$f"
}

t_rate_needs_a_rate() {
	expect_exit 2 "$IPCBENCH" run -t pipe -p rate
	one_line_error "--rate"
	expect_exit 2 "$IPCBENCH" run -t pipe -p rate --rate 0
	one_line_error "rate"
	expect_exit 2 "$IPCBENCH" run -t pipe --rate 100
	one_line_error "--rate"
}

t_lossy_transport_skips_stream() {
	expect_exit 0 "$IPCBENCH" run -t udp -p stream -s 64 -n 100 -q -o "$T/r.json"
	json_check '.results[0].status == "skipped" and (.results[0].reason | test("drops"))' "$T/r.json"
}

t_size_range_sweeps_doubling() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64..1k -n 50 --cpus 0,0 -q -o "$T/r.json"
	json_check '[.results[].msg_bytes] == [64,128,256,512,1024]' "$T/r.json"
}

t_placements_are_recorded() {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 --placement same,cross -q -o "$T/r.json"
	f="$T/r.json"
	json_check '[.results[].placement.relation] | sort == ["cross","same"]' "$f"
	json_check '[.results[]|select(.placement.relation=="same")][0] | .placement.client_cpu == .placement.server_cpu' "$f"
	json_check '[.results[]|select(.placement.relation=="cross")][0] | .placement.client_cpu != .placement.server_cpu' "$f"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 100 --cpus 1,1 -q -o "$T/r2.json"
	json_check '.results[0].placement == {"client_cpu":1,"server_cpu":1,"relation":"same"}' "$T/r2.json"
	expect_exit 2 "$IPCBENCH" run -t pipe --cpus 0,1 --placement same
	one_line_error "--cpus"
}

t_default_placement_covers_both() {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 50 -q -o "$T/r.json"
	json_check '[.config.placements[].relation] == ["cross","same"]' "$T/r.json"
}

t_wait_spin_and_block() {
	expect_exit 0 "$IPCBENCH" run -t socketpair,tcp -s 64 -n 500 --wait block,spin --cpus 0,1 -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results | length == 4 and all(.status == "ok")' "$f"
	json_check '[.results[].wait] | sort == ["block","block","spin","spin"]' "$f"
	json_check '[.results[].key] | unique | length == 4' "$f"
}

t_repetitions_are_kept_and_merged() {
	expect_exit 0 "$IPCBENCH" run -t pipe,socketpair -s 64 -n 300 --repeat 3 --seed 42 --cpus 0,0 -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.config.repeat == 3 and .config.seed == 42' "$f"
	json_check 'all(.results[]; (.repetitions | length) == 3 and all(.repetitions[]; .status == "ok" and .iterations == 300))' "$f"
	# the cell is the merge: counts add up, the merged max is the largest repetition max
	json_check 'all(.results[]; .iterations == 900 and .latency_ns.count == 900)' "$f"
	json_check 'all(.results[]; .latency_ns.max >= ([.repetitions[].latency_ns.max] | max))' "$f"
	json_check 'all(.results[]; .latency_ns.raw_max == ([.repetitions[].latency_ns.raw_max] | max))' "$f"
}

t_cost_is_measured_per_side() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 5000 --cpus 0,1 -q -o "$T/r.json"
	f="$T/r.json"
	json_check '.results[0].cost.messages == 5000' "$f"
	json_check '.results[0].cost.client.sys_sec > 0 and .results[0].cost.server.sys_sec > 0' "$f"
	# blocking across CPUs sleeps about once per message on each side
	json_check '.results[0].cost.server.voluntary_cs > 1000 and .results[0].cost.client.cs_per_msg > 0.2' "$f"
	json_check '.results[0].cost.client.cpu_ns_per_msg > 0' "$f"
}

t_duration_bounds_the_cell() {
	start=$(date +%s%N)
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -d 300ms --cpus 0,0 -q -o "$T/r.json"
	el=$(( ($(date +%s%N) - start) / 1000000 ))
	judge_only_if '.results[0].latency_ns.raw_max < 250000000' "$T/r.json" "one round trip took over 250 ms: the machine stalled"
	[ $el -lt 3000 ] || fail "a 300ms cell took ${el}ms"
	json_check '.results[0].elapsed_ns > 290000000 and .results[0].elapsed_ns < 600000000' "$T/r.json"
	json_check '.results[0].iterations_requested == null and .results[0].duration_ns_requested == 300000000' "$T/r.json"
}

run_tests
