#!/bin/sh
# tests/repeat.sh - repeatability of the main job, run by hand (not by
# `make test`): two consecutive main jobs on one machine, then, cell by
# cell, the ratio of their ping-pong medians (and of their stream
# throughputs): how many agree within 3 %, 5 % and 10 %.
#
#   sh tests/repeat.sh [-o DIR] [-- RUN-OPTIONS...]   runs the main job twice
#   sh tests/repeat.sh A.json B.json                   compares two results
#   IPCBENCH=/path/to/ipcbench sh tests/repeat.sh      (default $BUILDDIR/ipcbench)
#
# The main job is `ipcbench run -p pingpong,stream` (scripts/run-main.sh);
# RUN-OPTIONS are added to it.  Prints each run's wall time and the load
# average before it, the table, and the worst cells.  Needs jq.
set -eu

out=${TMPDIR:-/tmp}/repeat.$$
while getopts o: o; do
	case $o in
	o) out=$OPTARG ;;
	*) echo "usage: sh tests/repeat.sh [-o DIR] [-- RUN-OPTIONS] | A.json B.json" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
command -v jq >/dev/null || { echo "repeat: jq is required" >&2; exit 2; }

if [ $# -eq 2 ] && [ -f "$1" ] && [ -f "$2" ]; then
	a=$1 b=$2
else
	BUILDDIR=${BUILDDIR:-build}
	IPCBENCH=${IPCBENCH:-$BUILDDIR/ipcbench}
	[ -x "$IPCBENCH" ] || { echo "repeat: no ipcbench at $IPCBENCH (make first)" >&2; exit 2; }
	mkdir -p "$out"
	for i in 1 2; do
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		s=$(date +%s.%N)
		"$IPCBENCH" run -p pingpong,stream -q -o "$out/run$i.json" "$@" || true
		e=$(date +%s.%N)
		echo "run $i: $(echo "$e - $s" | bc | cut -c1-6) s wall, load average before: $load"
	done
	a=$out/run1.json b=$out/run2.json
fi

# key, value (ping-pong: p50 ns; stream: bytes per second) of every ok cell
cells() {
	jq -r '.results[] | select(.status == "ok") |
		[.key, (if .pattern == "pingpong" then .latency_ns.p50 else .bytes_per_sec end),
		 (.precision.reached // "-"), (.precision.hit_bound // "-")] | @tsv' "$1" | sort
}
cells "$a" >"$a.cells"
cells "$b" >"$b.cells"
join -t "$(printf '\t')" "$a.cells" "$b.cells" | awk -F'\t' '
	function abs(x) { return x < 0 ? -x : x }
	$2 > 0 && $5 > 0 {
		p = (($1 ~ /\/pingpong\//) ? "pingpong" : "stream") (($1 ~ /\/same:/) ? "/same" : "/cross")
		d = abs($5 / $2 - 1)
		n[p]++
		if (d <= 0.03) w3[p]++
		if (d <= 0.05) w5[p]++
		if (d <= 0.10) w10[p]++
		if (p ~ /^pingpong/ && $4 == "true") bound++
		printf "%.4f\t%s\t%s\t%s\n", d, $1, $2, $5 > "/dev/stderr"
	}
	END {
		printf "%-15s %6s %9s %9s %9s\n", "PATTERN", "CELLS", "<=3%", "<=5%", "<=10%"
		for (p in n)
			printf "%-15s %6d %9s %9s %9s\n", p, n[p],
				sprintf("%d (%d%%)", w3[p], 100 * w3[p] / n[p]),
				sprintf("%d (%d%%)", w5[p], 100 * w5[p] / n[p]),
				sprintf("%d (%d%%)", w10[p], 100 * w10[p] / n[p])
		if (bound) printf "ping-pong cells of run 1 that hit --duration before their precision: %d\n", bound
	}' 2>"$a.ratios"
echo "worst ping-pong cells (|ratio - 1|, key, run 1, run 2):"
grep /pingpong/ "$a.ratios" | sort -rn | head -8
rm -f "$a.cells" "$b.cells"
