#!/bin/sh
# `run --json-stream[=FILE]`: newline-delimited JSON events in order, every
# line a JSON object, and the last record of each cell equal to the cell in
# the result file; `--precision` records what each cell reached.
. "$(dirname "$0")/lib.sh"

# the event names of FILE, one a line
events() { jq -r .event "$1"; }

t_every_line_parses_and_events_are_in_order() {
	expect_exit 0 "$IPCBENCH" run -t pipe,socketpair -s 64 -p pingpong,stream --cpus 0,0 --no-calibrate \
		--precision 3% --min-duration 20ms -d 250ms -q -o "$T/r.json" --json-stream="$T/s.jsonl"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" | jq -e 'type == "object" and (.event | type == "string") and (.t | type == "number")' \
			>/dev/null || fail "line $n is not an event object: $(printf '%s' "$line" | head -c 200)"
	done <"$T/s.jsonl"
	[ "$n" -ge 10 ] || fail "only $n lines"
	# run_started first, run_finished last; each cell_started is followed, before the next, by its cell_finished
	order=$(events "$T/s.jsonl" | awk '
		NR == 1 && $0 != "run_started" { print "first is " $0; exit }
		$0 == "cell_started" { if (open) { print "cell_started inside a cell at line " NR; exit } open = 1; cells++ }
		$0 == "interval" && !open { print "interval outside a cell at line " NR; exit }
		$0 == "cell_finished" { if (!open) { print "cell_finished without start at line " NR; exit } open = 0 }
		{ last = $0 }
		END { if (last != "run_finished") print "last is " last; else print "ok " cells }')
	[ "$order" = "ok 4" ] || fail "event order: $order"
	jq -se '[.[] | select(.event == "cell_started") | .key] == [.[] | select(.event == "cell_finished") | .key]' \
		"$T/s.jsonl" >/dev/null || fail "cell_started and cell_finished keys differ"
	jq -se '.[-1].exit_status == 0 and .[-1].cells == 4 and .[0].cells == 4' "$T/s.jsonl" >/dev/null ||
		fail "run_started/run_finished: $(head -n 1 "$T/s.jsonl" | head -c 300)"
}

t_last_record_equals_the_result_file() {
	expect_exit 0 "$IPCBENCH" run -t pipe,unix -s 64,64k --cpus 0,0 --no-calibrate -r 2 --precision 5% -d 200ms \
		-q -o "$T/r.json" --json-stream="$T/s.jsonl"
	# with two repetitions each cell finishes twice: the last (final) record is the file's
	jq -se '[.[] | select(.event == "cell_finished" and .final)] | length == 4' "$T/s.jsonl" >/dev/null ||
		fail "expected 4 final cell records"
	jq -n --slurpfile s "$T/s.jsonl" --slurpfile r "$T/r.json" -e '
		($s | map(select(.event == "cell_finished" and .final) | {(.key): .cell}) | add) as $last |
		$r[0].results | length == 4 and all(.[]; . == $last[.key])' >/dev/null ||
		fail "a last cell record differs from the result file"
}

t_stdout_stream_moves_the_table_to_stderr() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 --cpus 0,0 --no-calibrate -d 150ms --json-stream
	jq -e . "$T/out" >/dev/null || fail "stdout is not JSON lines: $(head -c 300 "$T/out")"
	grep -q '^TRANSPORT' "$T/err" || fail "the table is not on stderr"
	grep -q '^TRANSPORT' "$T/out" && fail "the table is on stdout"
	# fixed length (-d alone): no precision in the record, but interval events all the same
	jq -se '[.[] | select(.event == "cell_finished")][0].cell.precision == null' "$T/out" >/dev/null ||
		fail "a fixed-length cell has a precision"
	jq -se 'any(.[]; .event == "interval" and .samples > 0)' "$T/out" >/dev/null || fail "no interval event"
}

t_bad_combinations_are_usage_errors() {
	expect_exit 2 "$IPCBENCH" run -t pipe --json --json-stream
	one_line_error "--json-stream"
	expect_exit 2 "$IPCBENCH" run -t pipe --precision 3% -n 100
	one_line_error "--iterations"
	expect_exit 2 "$IPCBENCH" run -t pipe --precision 0%
	one_line_error "--precision"
	expect_exit 2 "$IPCBENCH" run -t pipe --precision 3x
	one_line_error "--precision"
	expect_exit 2 "$IPCBENCH" run -t pipe -d 100ms --min-duration 50ms
	one_line_error "--min-duration"
	expect_exit 2 "$IPCBENCH" run -t pipe --precision 2% -d 100ms --min-duration 200ms
	one_line_error "--min-duration"
	ln -s "$T/elsewhere" "$T/link"
	expect_exit 2 "$IPCBENCH" run -t pipe -d 50ms -q --json-stream="$T/link"
	one_line_error "--json-stream"
	[ -e "$T/elsewhere" ] && fail "wrote through a symlink"
	expect_exit 2 "$IPCBENCH" run -t nosuch --json-stream="$T/none.jsonl"
	[ -e "$T/none.jsonl" ] && fail "a usage error left the stream file behind"
	return 0
}

t_precision_is_recorded_per_cell() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -p pingpong,stream --cpus 0,0 --no-calibrate --precision 50% \
		--min-duration 20ms -d 2s -q -o "$T/r.json"
	# +-50 % is reached at once: the cells stop at the minimum, long before the bound
	jq -e '.results | length == 2 and all(.[]; .precision.target == 0.5 and .precision.reached and
		(.precision.hit_bound | not) and .precision.batches >= 6 and .elapsed_ns < 1500000000)' "$T/r.json" \
		>/dev/null || fail "precision: $(jq -c '[.results[].precision | del(.p50, .p99, ."p99.9", .throughput)]' "$T/r.json")"
	jq -e '.results[] | select(.pattern == "pingpong") | .precision | .metric == "p50" and .p50.precision <= 0.5
		and (.p99.under_sampled or .p99.precision > 0)' "$T/r.json" >/dev/null || fail "ping-pong estimates"
	jq -e '.results[] | select(.pattern == "stream") | .precision | .metric == "throughput" and .p50 == null
		and .throughput.precision <= 0.5' "$T/r.json" >/dev/null || fail "stream estimates"
}

t_unreachable_precision_hits_the_bound() {
	# +-0.01 % in 150 ms: no cell gets there, and each says so
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 --cpus 0,0 --no-calibrate --precision 0.01% -d 150ms -q -o "$T/r.json"
	jq -e '.results[0].precision | (.reached | not) and .hit_bound and .p50.precision > 0.0001' "$T/r.json" \
		>/dev/null || fail "$(jq -c '.results[0].precision | del(.p99, ."p99.9")' "$T/r.json")"
}

run_tests
