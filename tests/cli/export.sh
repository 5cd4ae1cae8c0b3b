#!/bin/sh
# `ipcbench export`: every format read back by its own ecosystem's tool
# where Debian packages one (Google Benchmark's compare.py from
# libbenchmark-tools with python3-scipy; the OpenMetrics and Prometheus
# text parsers of python3-prometheus-client; python's csv module), and
# checked against the documented shape where none is packaged
# (github-action-benchmark, Bencher).  The figures must be the result
# file's own.  Debian's python3 is used by path: a python of another
# installation (pyenv) does not see Debian's modules.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
S=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-exporttest.XXXXXX")
trap 'rm -rf "$S"' EXIT
for run in a b; do
	"$IPCBENCH" run -t pipe,socketpair -s 64,4k -p pingpong,stream -n 2000 -w 100 -r 3 --cpus 0,0 \
		--no-calibrate -q -o "$S/$run.json" >"$S/$run.log" 2>&1 || echo "run $run failed: $(tail -n 3 "$S/$run.log")" >&2
done

need_runs() {
	[ -s "$S/a.json" ] && [ -s "$S/b.json" ] || fail "the runs did not write their results"
}
need_py() {
	[ -x "$PY" ] || skip "Debian's python3 is not installed"
	$PY -c "import $1" 2>/dev/null || skip "python module $1 is missing (apt-get install $2)"
}

# the number of ok cells of the run
ncells() { jq '[.results[] | select(.status == "ok")] | length' "$1"; }

t_gbench_compare_py() {
	need_runs
	need_py scipy python3-scipy
	CMP=/usr/share/benchmark/compare.py
	[ -f $CMP ] || skip "compare.py is missing (apt-get install libbenchmark-tools)"
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f gbench -o "$T/a.gb"
	expect_exit 0 "$IPCBENCH" export "$S/b.json" --format gbench -o "$T/b.gb"
	# compare.py's own JSON output: every cell matched, the U test run over the 3+3 repetitions
	$PY $CMP -d "$T/cmp.json" benchmarks "$T/a.gb" "$T/b.gb" >"$T/cmp.txt" 2>&1 || fail "compare.py failed: $(tail -n 5 "$T/cmp.txt")"
	n=$(ncells "$S/a.json")
	got=$(jq '[.[] | select(.run_type == "iteration")] | length' "$T/cmp.json")
	[ "$got" -eq "$n" ] || fail "compare.py matched $got benchmarks, the run has $n cells"
	jq -e '[.[] | select(.run_type == "iteration") | .utest | has("time_pvalue")] | all' "$T/cmp.json" >/dev/null ||
		fail "compare.py ran no U test: $(head -c 300 "$T/cmp.txt")"
	grep -q 'pipe/pingpong/64/same:0,0/block_pvalue' "$T/cmp.txt" || fail "no U test line in compare.py's table"
	# real_time is the wall time per iteration of the repetition
	jq -e --slurpfile r "$S/a.json" '
		($r[0].results[] | select(.key == "pipe/pingpong/64/same:0,0/block") | .repetitions[0]) as $rep |
		[.benchmarks[] | select(.name == "pipe/pingpong/64/same:0,0/block" and .run_type == "iteration")][0] |
		(.real_time - $rep.elapsed_ns / $rep.iterations | fabs) < 0.01 and .repetitions == 3 and .time_unit == "ns"' \
		"$T/a.gb" >/dev/null || fail "real_time is not the repetition's elapsed time per iteration"
	json_check '[.benchmarks[] | select(.run_type == "aggregate") | .aggregate_name] | unique == ["mean", "median", "stddev"]' "$T/a.gb"
}

# om_check FILE openmetrics|prometheus: parsed by the client's strict parser, families and series counted
om_check() {
	$PY - "$1" "$2" "$3" <<'PYEOF' || fail "the $2 parser refused or miscounted $1"
import sys
from prometheus_client import parser as prom
from prometheus_client.openmetrics import parser as om
path, kind, ncells = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path).read()
fams = list((om if kind == "openmetrics" else prom).text_string_to_metric_families(text))
types = {f.name: f.type for f in fams}
want = {"ipcbench_latency_seconds": "histogram", "ipcbench_messages": "counter", "ipcbench_bytes": "counter",
        "ipcbench_messages_per_second": "gauge", "ipcbench_bytes_per_second": "gauge"}
for name, typ in want.items():
    assert types.get(name) == typ, (name, types.get(name))
assert "unknown" not in types.values() and "untyped" not in types.values(), types
lat = [f for f in fams if f.name == "ipcbench_latency_seconds"][0]
infs = [s for s in lat.samples if s.name.endswith("_bucket") and s.labels["le"] in ("+Inf", "inf")]
assert len(infs) == ncells, (len(infs), ncells)
cnt = {tuple(sorted(s.labels.items())): s.value for s in lat.samples if s.name.endswith("_count")}
for s in infs:
    k = dict(s.labels); del k["le"]
    assert cnt[tuple(sorted(k.items()))] == s.value
if kind == "openmetrics":
    assert text.endswith("# EOF\n")
else:
    assert "# EOF" not in text
PYEOF
}

t_openmetrics_parser() {
	need_runs
	need_py prometheus_client python3-prometheus-client
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f openmetrics -o "$T/m.txt"
	om_check "$T/m.txt" openmetrics "$(ncells "$S/a.json")"
	grep -q '^# UNIT ipcbench_latency_seconds seconds$' "$T/m.txt" || fail "no UNIT line"
	# the +Inf bucket of a cell is its count in the result file
	want=$(jq '.results[] | select(.key == "pipe/pingpong/64/same:0,0/block") | .latency_ns.count' "$S/a.json")
	grep -q "^ipcbench_latency_seconds_bucket{transport=\"pipe\",variant=\"pipe\",pattern=\"pingpong\",size_bytes=\"64\",placement=\"same\",client_cpu=\"0\",server_cpu=\"0\",wait=\"block\",le=\"+Inf\"} $want\$" "$T/m.txt" ||
		fail "the +Inf bucket of pipe/pingpong/64 is not its count $want"
}

t_prometheus_textfile() {
	need_runs
	need_py prometheus_client python3-prometheus-client
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f prometheus -o "$T/ipcbench.prom"
	om_check "$T/ipcbench.prom" prometheus "$(ncells "$S/a.json")"
	grep -q '^# TYPE ipcbench_messages_total counter$' "$T/ipcbench.prom" || fail "no counter TYPE for _total"
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <"$T/ipcbench.prom" >"$T/pt" 2>&1 || fail "promtool: $(head -n 5 "$T/pt")"
	fi
	return 0
}

t_csv_module() {
	need_runs
	expect_exit 0 "$IPCBENCH" export "$S/a.json" "$S/b.json" -f csv -o "$T/c.csv"
	$PY - "$T/c.csv" "$S/a.json" <<'PYEOF' || fail "python's csv module read it wrong"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
res = json.load(open(sys.argv[2]))["results"]
assert len(rows) == 2 * len(res), (len(rows), len(res))
byk = {r["key"]: r for r in rows if r["file"] == sys.argv[2]}
for c in res:
    r = byk[c["key"]]
    assert r["status"] == c["status"] and int(r["msg_bytes"]) == c["msg_bytes"], c["key"]
    if c["status"] == "ok":
        assert float(r["p50_ns"]) == c["latency_ns"]["p50"], c["key"]
        assert abs(float(r["bytes_per_sec"]) - c["bytes_per_sec"]) <= 1e-6 * c["bytes_per_sec"]
        assert int(r["repetitions"]) == 3
for col in ("transport", "pattern", "relation", "wait", "p99_ns", "p99.9_ns", "max_ns", "round_trips_per_sec", "vs_floor"):
    assert col in rows[0], col
PYEOF
}

t_github_action_benchmark() {
	need_runs
	n=$(ncells "$S/a.json")
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f github-action-benchmark -o "$T/l.json"
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f github-action-benchmark --metric throughput -o "$T/t.json"
	# the action's custom format: an array of {name, unit, value: number, range?: string, extra?: string}
	shape='type == "array" and all(.[]; (.name | type) == "string" and (.unit | type) == "string" and
		(.value | type) == "number" and ((.range // "") | type) == "string" and ((.extra // "") | type) == "string")'
	json_check "$shape and length == $n and all(.[]; .unit == \"ns\")" "$T/l.json"
	json_check "$shape and length == 2 * $n and ([.[].name] | unique | length) == length" "$T/t.json"
	jq -e --slurpfile r "$S/a.json" '($r[0].results[] | select(.key == "pipe/pingpong/64/same:0,0/block") | .latency_ns.p50) as $p |
		.[] | select(.name == "pipe/pingpong/64/same:0,0/block") | .value == $p' "$T/l.json" >/dev/null ||
		fail "the latency value is not the cell's p50"
}

t_bencher_metric_format() {
	need_runs
	expect_exit 0 "$IPCBENCH" export "$S/a.json" -f bencher -o "$T/b.json"
	# BMF: {benchmark: {measure: {value, lower_value?, upper_value?}}}, lower <= value <= upper
	json_check "length == $(ncells "$S/a.json") and all(.[]; .latency.value | type == \"number\") and
		all(.[]; .latency.lower_value <= .latency.value and .latency.value <= .latency.upper_value) and
		all(.[]; .throughput.lower_value <= .throughput.value and .throughput.value <= .throughput.upper_value)" "$T/b.json"
}

t_bad_input() {
	need_runs
	for args in "-f gbench" "$S/a.json" "$S/a.json -f yaml" "$S/a.json -f csv --metric latency" \
		"$S/a.json -f github-action-benchmark --metric speed" "$S/a.json -f csv --bogus" \
		"$S/missing.json -f csv" "$S/a.json $S/a.json -f bencher" "$S/a.json -f csv -o $T/nodir/x.csv"; do
		# shellcheck disable=SC2086
		expect_exit 2 "$IPCBENCH" export $args
		one_line_error
	done
	printf '{"schema": "nope"' >"$T/bad.json"
	expect_exit 2 "$IPCBENCH" export "$T/bad.json" -f csv -o "$T/out.csv"
	one_line_error "$T/bad.json"
	[ ! -e "$T/out.csv" ] || fail "a refused export left $T/out.csv"
	[ -z "$(ls -A "$T" | grep ipcbench-tmp)" ] || fail "a temporary file was left behind"
}

run_tests
