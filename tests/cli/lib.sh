# tests/cli/lib.sh - sourced by every tests/cli/*.sh.
#
# Runs the real binary ($IPCBENCH) end to end.  Each test is a shell
# function named t_*; run_tests runs them in order, each in a subshell with
# a fresh scratch directory $T (removed afterwards), and prints
# "ok/not ok NAME" lines and "N passed, N failed, N skipped" at the end.
# Helpers: fail MSG (ends the test), skip MSG, expect_exit CODE CMD...
# (stdout in $T/out, stderr in $T/err), json_check JQ-EXPR FILE.  Suite
# setup: chart_suite NAME (the chart templates and a suite scratch $S),
# setup_failed MSG (the suite cannot run), need_gnuplot.
set -u
: "${IPCBENCH:?IPCBENCH must name the ipcbench binary}"
command -v jq >/dev/null 2>&1 || { echo "jq is required (scripts/install-deps.sh installs it)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

fail() { echo "    $*" >&2; exit 1; }
skip() { echo "    skipped: $*" >&2; exit 77; }

# expect_exit CODE CMD...: runs CMD, fails the test unless it exits CODE
expect_exit() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 400 "$T/err")"
}

# one_line_error: stderr is exactly one line starting with "ipcbench"
one_line_error() {
	n=$(wc -l <"$T/err")
	[ "$n" -eq 1 ] || fail "expected one line on stderr, got $n: $(head -c 400 "$T/err")"
	grep -q '^ipcbench' "$T/err" || fail "stderr does not start with 'ipcbench': $(cat "$T/err")"
	[ -n "${1:-}" ] && { grep -qF -- "$1" "$T/err" || fail "stderr does not mention '$1': $(cat "$T/err")"; }
	return 0
}

# A check of a timing-derived figure can judge only a machine that held
# still: when its precondition fails the test skips with the reason, it
# never passes.  judge_only_if JQ-EXPR FILE REASON skips unless EXPR holds
# in FILE; skip_if_floors_moved ERRFILE skips when the run warned that its
# floors moved (the machine changed mid-run).
judge_only_if() {
	jq -e "$1" "$2" >/dev/null 2>&1 || skip "cannot judge: $3"
}
skip_if_floors_moved() {
	m=$(grep -o 'the floors moved during the run ([^)]*)' "$1" 2>/dev/null | head -n 1)
	[ -z "$m" ] || skip "cannot judge: the machine changed mid-run ($m)"
}

# chart_suite NAME: for the suites that draw charts: SRC is the source
# tree, IPCBENCH_DATADIR its scripts/ (the gnuplot templates), and $S a
# scratch directory of the whole suite, removed when it exits.
chart_suite() {
	SRC=${IPCB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
	IPCBENCH_DATADIR="$SRC/scripts"
	export IPCBENCH_DATADIR
	S=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-$1.XXXXXX")
	trap 'rm -rf "$S"' EXIT
}

# setup_failed MSG: the suite cannot run: says why, counts as one failure, exits
setup_failed() {
	echo "setup: $*"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

need_gnuplot() {
	command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
}

# json_check EXPR FILE: jq -e EXPR must be true
json_check() {
	jq -e "$1" "$2" >/dev/null 2>&1 || fail "JSON check failed: $1 on $2"
}

# ipc_snapshot FILE: the IPC objects and temp names that exist now
ipc_snapshot() {
	{
		ipcs -q 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "q", $2}'
		ipcs -m 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "m", $2}'
		ipcs -s 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "s", $2}'
		ls -1 /dev/shm 2>/dev/null | grep ipcbench
		[ -d /dev/mqueue ] && ls -1 /dev/mqueue | grep ipcbench
		ls -1d "${TMPDIR:-/tmp}"/ipcbench-* 2>/dev/null
	} | sort >"$1"
	return 0
}

run_tests() {
	passed=0 failed=0 skipped=0
	for t in $(grep -oE '^t_[A-Za-z0-9_]+\(\)' "$0" | tr -d '()'); do
		T=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-clitest.XXXXXX")
		mkdir "$T/tmp"
		# each test's run directories live in its own TMPDIR, apart from anyone else's
		( set +e; TMPDIR="$T/tmp"; export TMPDIR; $t ) 2>"$T/.log"
		rc=$?
		if [ $rc -eq 0 ]; then
			echo "ok      $t"; passed=$((passed + 1))
		elif [ $rc -eq 77 ]; then
			echo "skip    $t"; sed 's/^/    /' "$T/.log" | tail -n 3; skipped=$((skipped + 1))
		else
			echo "not ok  $t"; tail -n 5 "$T/.log"; failed=$((failed + 1))
		fi
		rm -rf "$T"
	done
	echo "$passed passed, $failed failed, $skipped skipped"
	[ $failed -eq 0 ]
}

# cell_pair SECONDS PID OLD...: waits (SECONDS at most) until the run PID
# has a cell's two children, none of them in OLD, and prints them, the
# server (forked first) first; returns 1 when they do not come
cell_pair() {
	tries=$(($1 * 100)) run=$2
	shift 2
	old=" $* "
	for _ in $(seq "$tries"); do
		kids=$(pgrep -P "$run" | sort -n | tr '\n' ' ')
		n=0 fresh=1
		for k in $kids; do
			n=$((n + 1))
			case "$old" in *" $k "*) fresh=0 ;; esac
		done
		[ $n -eq 2 ] && [ $fresh -eq 1 ] && { echo $kids; return 0; }
		sleep 0.01
	done
	return 1
}

# size_tag BYTES: the size as chart names spell it (64B, 4KiB, 1MiB)
size_tag() {
	if [ $(($1 % 1048576)) -eq 0 ]; then
		echo "$(($1 / 1048576))MiB"
	elif [ $(($1 % 1024)) -eq 0 ]; then
		echo "$(($1 / 1024))KiB"
	else
		echo "${1}B"
	fi
}

# expected_charts FILE: the chart names `plot` draws for FILE's ok cells (default --size), one a line
expected_charts() {
	jq -r '.results[]|select(.status=="ok")|"\(.pattern) \(.msg_bytes) \(.placement.relation)"' "$1" | sort -u |
	while read -r pat bytes rel; do
		echo "latency-by-percentile-$pat-$(size_tag "$bytes")-$rel"
		if [ "$pat" = stream ]; then
			echo "throughput-bytes-vs-size-$rel"
			echo "throughput-msgs-vs-size-$rel"
		else
			echo "latency-vs-size-$pat-$rel"
			[ "$bytes" = 64 ] && echo "summary-$pat-64B-$rel"
		fi
	done | sort -u
	nrel=$(jq -r '[.results[]|select(.status=="ok" and .pattern=="pingpong" and .msg_bytes==64)|.placement.relation]|unique|length' "$1")
	[ "$nrel" -gt 1 ] && echo "placement-pingpong-64B"
	# the zero-copy chart: per placement, when two of its six transports have stream cells at two sizes
	jq -r '[.results[] | select(.status == "ok" and .pattern == "stream" and .latency_ns.count > 0 and
		.bytes_per_sec != null and .msgs_per_sec != null and
		(.transport | IN("pipe", "vmsplice", "cma", "memfd", "shm_ring", "shm_spin")) and
		(.placement.relation | IN("same", "cross")))] | group_by(.placement.relation)[] |
		select([group_by(.transport)[] | select([.[].msg_bytes] | unique | length >= 2)] | length >= 2) |
		"zerocopy-throughput-vs-size-\(.[0].placement.relation)"' "$1"
	# the framework tax: per pattern and placement, when a library cell has its raw cell in the run
	jq -r '[.results[] | select(.status == "ok")] as $c | [$c[] | select(.raw_transport != null) | . as $x |
		select(any($c[]; .variant == $x.raw_transport and .pattern == $x.pattern and
			.msg_bytes == $x.msg_bytes and .placement.relation == $x.placement.relation and .wait == $x.wait)) |
		"tax-\(.pattern)-\(.placement.relation)"] | unique[]' "$1"
	return 0
}
