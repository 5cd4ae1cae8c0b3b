#!/bin/sh
# tests/sweep.sh - an adversarial sweep of a built ipcbench, run by hand
# (not by `make test`): it takes about two minutes and its cases are
# random (reproducible with -s SEED).
#
#   sh tests/sweep.sh [-s SEED] [-t SECONDS]
#   IPCBENCH=/path/to/ipcbench sh tests/sweep.sh     (default $BUILDDIR/ipcbench)
#
# What it tries, each case under a time limit:
#   signal/T/SIG@MS   SIGINT, SIGTERM or SIGHUP MS ms into `ipcbench run` on
#                     ten transports (calibration, cells and JSON write
#                     included): exit 128+N with a valid result naming the
#                     signal, or 0 when the run had finished first
#   nohup/HUP         SIGHUP to a run that inherited SIGHUP ignored: exit 0
#   peer/T/SIG-ROLE   SIGKILL or SIGSTOP on a cell's server (or client)
#                     child: exit 1, the cell an error that says so
#   parent/T/KILL     SIGKILL on ipcbench itself: its children die, and
#                     `ipcbench clean` then removes everything the run left
#   hostile/CMD/FILE  truncated, empty, binary, huge-number, wrong-type,
#                     deeply nested, bad-histogram and path-like-name result
#                     files, a FIFO, a directory, a 300 MiB file and symlinks,
#                     fed to compare, plot, report and hist: exit 0, 1 or 2
#                     (2 with a one-line error), never a crash or a hang
#   interrupt/CMD/SIG SIGINT or SIGTERM at a random point of plot and report
# After every case: no SysV object (ipcs), nothing in /dev/shm or the POSIX
# queue file system, nothing in TMPDIR, no ipcbench-* or temp file next to
# the outputs, no ipcbench or gnuplot process left, and an exit status that
# is one of the documented ones (0, 1, 2, 128+N for a signal sent).
#
# As root it re-runs itself in private IPC, mount and PID namespaces with a
# private /dev/shm and mqueue mount, so every object and process it sees is
# its own (others' tests on the machine cannot confuse it, and it can remove
# what a failing case left without touching theirs).  Without them it
# compares snapshots, which other programs' objects can disturb (it says so;
# IPCB_SWEEP_NS=shared forces this mode).
#
# Output: one line per case ("ok", "FAIL" with what was wrong, or "not run"
# once the time is up) and a total.  Exit status: 0 when every case held.
set -u

seed=$(( $(date +%s) % 100000 ))
budget=150
while getopts s:t: o; do
	case $o in
	s) seed=$OPTARG ;;
	t) budget=$OPTARG ;;
	*) echo "usage: sh tests/sweep.sh [-s SEED] [-t SECONDS]" >&2; exit 2 ;;
	esac
done

BUILDDIR=${BUILDDIR:-build}
IPCBENCH=${IPCBENCH:-$BUILDDIR/ipcbench}
[ -x "$IPCBENCH" ] || { echo "sweep: no ipcbench at $IPCBENCH (make first, or set IPCBENCH)" >&2; exit 2; }
IPCBENCH=$(cd "$(dirname "$IPCBENCH")" && pwd)/$(basename "$IPCBENCH")
command -v jq >/dev/null || { echo "sweep: jq is required" >&2; exit 2; }

if [ "$(id -u)" = 0 ] && [ -z "${IPCB_SWEEP_NS:-}" ] &&
	unshare --ipc --mount --pid --fork --mount-proc true 2>/dev/null; then
	IPCB_SWEEP_NS=1 IPCBENCH=$IPCBENCH exec unshare --ipc --mount --pid --fork --mount-proc \
		sh "$0" -s "$seed" -t "$budget"
fi

seed0=$seed
W=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-sweep.XXXXXX")
export TMPDIR="$W/tmp"
mkdir "$TMPDIR" "$W/mq"
MQ=""
private=0
if [ "${IPCB_SWEEP_NS:-}" = 1 ] && [ $$ -eq 1 ]; then # pid 1: really in the new namespaces
	mount -t tmpfs -o size=512m,mode=1777 tmpfs /dev/shm && mount -t mqueue none "$W/mq" && MQ="$W/mq" && private=1
fi
[ -z "$MQ" ] && [ -d /dev/mqueue ] && MQ=/dev/mqueue
started=$(date +%s)
ncase=0 nok=0 nfail=0 nskip=0
failures=""

cleanup() {
	[ $private -eq 1 ] && { umount "$W/mq" 2>/dev/null; umount /dev/shm 2>/dev/null; }
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers ----

# the CLI tests' helpers (cell_pair); the checks it makes on loading passed above
. "$(dirname "$0")/cli/lib.sh"

rand() { # rand N: R = a number in [0, N) (in this shell: the seed must advance)
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	R=$(( (seed / 65536) % $1 ))
}

sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

proc_state() { # R, S, T, Z..., or nothing once gone
	[ -r "/proc/$1/stat" ] && sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1
}

# reap PID SECONDS: waits for PID, SIGKILLs it after SECONDS; sets rc and hung
reap() {
	hung=0 i=0
	while st=$(proc_state "$1") && [ -n "$st" ] && [ "$st" != Z ]; do
		i=$((i + 1))
		if [ $i -gt $(($2 * 20)) ]; then
			hung=1
			kill -KILL "$1" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$1" 2>/dev/null
	rc=$?
}

# run_limited SECONDS CMD...: runs CMD (stdout, stderr in $C), sets rc and hung
run_limited() {
	lim=$1; shift
	"$@" >"$C/out" 2>"$C/err" &
	reap $! "$lim"
}

# The ipcbench and gnuplot processes that are ours: in the private PID
# namespace every one; otherwise this shell's descendants only (an orphan
# that init adopted escapes this, and nobody else's process is touched).
our_procs() {
	if [ $private -eq 1 ]; then
		pgrep -x ipcbench
		pgrep -x gnuplot
		return
	fi
	todo=$$
	while [ -n "$todo" ]; do
		next=""
		for q in $todo; do
			for k in $(pgrep -P "$q"); do
				next="$next $k"
				case $(cat "/proc/$k/comm" 2>/dev/null) in ipcbench | gnuplot) echo "$k" ;; esac
			done
		done
		todo=$next
	done
}

# The objects and processes that exist now (in the private namespaces: all of them).
state_now() {
	ipcs -q 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "sysv queue", $2}'
	ipcs -m 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "sysv shm", $2}'
	ipcs -s 2>/dev/null | awk '$2 ~ /^[0-9]+$/ {print "sysv sem", $2}'
	if [ $private -eq 1 ]; then
		ls -A /dev/shm | sed 's|^|/dev/shm/|'
	else
		ls -A /dev/shm | grep ipcbench | sed 's|^|/dev/shm/|'
	fi
	[ -n "$MQ" ] && ls -A "$MQ" | grep -E "$([ $private -eq 1 ] && echo . || echo ipcbench)" | sed 's|^|mqueue |'
	ls -A "$TMPDIR" | sed 's|^|TMPDIR/|'
	for p in $(our_procs); do
		[ "$(proc_state "$p")" = Z ] && continue # dead, waiting to be reaped
		echo "process $p $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)"
	done
}

# Removes what a failed case left, so the next starts clean (its own objects only).
scrub() {
	for p in $(our_procs); do kill -KILL "$p" 2>/dev/null; done
	sleep 0.1
	if [ $private -eq 1 ]; then
		ipcrm -a 2>/dev/null
		rm -rf /dev/shm/* "${MQ:?}"/* 2>/dev/null
	fi
	rm -rf "${TMPDIR:?}"/* 2>/dev/null
}

# begin NAME: a new case with its own directory $C; returns 1 once the time is up
begin() {
	name=$1
	ncase=$((ncase + 1))
	if [ $(( $(date +%s) - started )) -ge "$budget" ]; then
		printf 'not run %s (time is up)\n' "$name"
		nskip=$((nskip + 1))
		return 1
	fi
	C="$W/c$ncase"
	mkdir "$C"
	why=""
	state_now | sort >"$W/before"
	return 0
}

problem() { why="${why:+$why; }$*"; }

# finish ALLOWED-STATUSES [NOTE]: checks the status and what was left, prints the line
finish() {
	allowed=$1 note=${2:-}
	[ "${hung:-0}" -eq 1 ] && problem "hung: killed after its time limit"
	case " $allowed " in *" $rc "*) ;; *) problem "exit $rc, expected one of: $allowed" ;; esac
	if [ "${hung:-0}" -eq 0 ] && [ "$rc" -ge 128 ] && [ "$rc" -ne "${sent:-0}" ]; then
		problem "died of signal $((rc - 128)) that nobody sent"
	fi
	sleep 0.05
	state_now | sort >"$W/after"
	left=$(comm -13 "$W/before" "$W/after" | tr '\n' ',' | sed 's/,$//')
	[ -n "$left" ] && problem "left behind: $left"
	stray=$(find "$C" -maxdepth 2 \( -name 'ipcbench-*' -o -name '*.tmp*' -o -name '.*' \) ! -name . 2>/dev/null |
		sed "s|$C/||" | tr '\n' ' ')
	[ -n "$stray" ] && problem "temp files next to the outputs: $stray"
	if [ -z "$why" ]; then
		printf 'ok      %s (exit %s%s)\n' "$name" "$rc" "${note:+, $note}"
		nok=$((nok + 1))
	else
		printf 'FAIL    %s: %s\n' "$name" "$why"
		nfail=$((nfail + 1))
		failures="$failures $name"
		scrub
	fi
	sent=0 hung=0
}

signum() { kill -l "$1" 2>/dev/null || case $1 in INT) echo 2 ;; HUP) echo 1 ;; TERM) echo 15 ;; KILL) echo 9 ;; esac; }

# ---- signals at random points of a run ----

signal_case() { # signal_case TRANSPORT SIG
	t=$1 sig=$2
	rand 1500
	ms=$R
	begin "signal/$t/$sig@${ms}ms" || return 0
	"$IPCBENCH" run -t "$t" -s 64 -d 200ms --cpus 0,1 -q -o "$C/r.json" >"$C/out" 2>"$C/err" &
	pid=$!
	sleep_ms "$ms"
	sent=0 st=$(proc_state $pid)
	if [ -n "$st" ] && [ "$st" != Z ] && kill -"$sig" $pid 2>/dev/null; then
		sent=$((128 + $(signum "$sig")))
	fi
	reap $pid 30
	if [ $sent -ne 0 ]; then
		[ $rc -eq 0 ] && problem "the signal was lost: exit 0 after $sig"
		if [ $rc -eq $sent ] && [ -e "$C/r.json" ]; then
			jq -e ".interrupted_by_signal == $((sent - 128))" "$C/r.json" >/dev/null 2>&1 ||
				problem "the result does not name signal $((sent - 128)): $(jq -c .interrupted_by_signal "$C/r.json" 2>&1 | head -c 80)"
		fi
		finish "0 $sent"
	else
		finish "0" "finished before the signal"
	fi
}

nohup_case() {
	rand 700
	ms=$((200 + R))
	begin "nohup/HUP@${ms}ms" || return 0
	(trap '' HUP; exec "$IPCBENCH" run -t pipe -s 64 -d 300ms --cpus 0,1 -q -o "$C/r.json") >"$C/out" 2>"$C/err" &
	pid=$!
	sleep_ms "$ms"
	kill -HUP $pid 2>/dev/null
	sent=129
	reap $pid 30
	[ $rc -eq 0 ] || problem "a run started with SIGHUP ignored died of it (exit $rc)"
	finish "0"
}

# ---- a killed or stopped peer ----

peer_case() { # peer_case TRANSPORT SIG ROLE
	t=$1 sig=$2 role=$3
	rand 300
	ms=$R
	begin "peer/$t/$sig-$role@${ms}ms" || return 0
	"$IPCBENCH" run -t "$t" -s 64 -n 100000000 --cpus 0,1 --no-calibrate --timeout 1s -q \
		-o "$C/r.json" >"$C/out" 2>"$C/err" &
	pid=$!
	if pair=$(cell_pair 3 $pid); then
		sleep_ms "$ms"
		if [ "$role" = server ]; then victim=${pair%% *}; else victim=${pair##* }; fi
		kill -"$sig" "$victim"
	else
		problem "no children appeared"
		kill -TERM $pid
	fi
	reap $pid 20
	case $sig in
	KILL) want="$role killed by signal 9" ;;
	STOP) want="no progress for 1000 ms|(silent|waiting).* for 1000 ms" ;; # the watchdog or the transport's own timeout
	esac
	jq -e --arg w "$want" '.results[0].status == "error" and (.results[0].error | test($w))' "$C/r.json" \
		>/dev/null 2>&1 || problem "the cell does not say '$want': $(jq -c '.results[0].error' "$C/r.json" 2>&1 | head -c 120)"
	for k in $pair; do
		st=$(proc_state "$k")
		[ -z "$st" ] || problem "child $k outlived the run (state $st)"
	done
	finish "1"
}

parent_case() { # parent_case TRANSPORT: SIGKILL on ipcbench, then clean
	t=$1
	rand 1200
	ms=$((100 + R))
	begin "parent/$t/KILL@${ms}ms" || return 0
	"$IPCBENCH" run -t "$t" -s 64,4k -d 2s --cpus 0,1 -q -o "$C/r.json" >"$C/out" 2>"$C/err" &
	pid=$!
	sleep_ms "$ms"
	kids=$(pgrep -P $pid | tr '\n' ' ')
	kill -KILL $pid
	wait $pid 2>/dev/null
	sleep 0.5
	for k in $kids; do
		st=$(proc_state "$k")
		[ -z "$st" ] || [ "$st" = Z ] || problem "child $k outlived its parent (state $st)"
	done
	[ ! -e "$C/r.json" ] || problem "a SIGKILLed run wrote a result"
	"$IPCBENCH" clean >"$C/clean.out" 2>"$C/clean.err"
	rc=$?
	[ $rc -eq 0 ] || problem "clean exited $rc: $(head -c 200 "$C/clean.err")"
	finish "0" "clean: $(head -n 1 "$C/clean.out" | cut -c1-60)"
}

# ---- hostile result files ----

make_hostile() {
	H="$W/hostile"
	mkdir "$H"
	"$IPCBENCH" run -t pipe,socketpair -s 64,4k -n 300 --repeat 2 --cpus 0,1 --no-calibrate -q -o "$H/valid.json" \
		>/dev/null 2>&1 || { echo "sweep: cannot make a valid result file" >&2; return 1; }
	v="$H/valid.json"
	head -c $(( $(wc -c <"$v") / 2 )) "$v" >"$H/truncated.json"
	: >"$H/empty.json"
	head -c 4096 /dev/urandom >"$H/binary.json"
	jq '.results[].latency_ns.p50 = 1e308 | .results[].msg_bytes = 1e20 | .results[].latency_ns.count = 1e30 |
		.results[].iterations = -5 | .results[].elapsed_ns = 1e300' "$v" >"$H/huge.json"
	jq '.results[0].latency_ns = "x" | .results[1].msg_bytes = "64" | .context = [] |
		.results[0].repetitions = {} | .schema_version = "1"' "$v" >"$H/types.json"
	jq '.results = 7' "$v" >"$H/notarray.json"
	jq '.results[].latency_ns.hdr = "HISTFAAAAB94nAAAAAAA!!"' "$v" >"$H/badhdr.json"
	jq '.results[].pattern = "../../escaped" | .results[].transport = "a/b"' "$v" >"$H/pathname.json"
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }' >"$H/deep.json"
	mkfifo "$H/fifo.json"
	mkdir "$H/dir.json"
	truncate -s 300M "$H/big.json"
	ln -s "$v" "$H/link-valid.json"
	ln -s /dev/zero "$H/link-zero.json"
	# interrupt cases: several files drawn together, and how long a whole plot and report take
	many=""
	for i in 1 2 3 4 5 6; do
		cp "$v" "$H/copy$i.json"
		many="$many $H/copy$i.json"
	done
	t0=$(date +%s%N)
	"$IPCBENCH" plot $many -o "$W/timing-charts" >/dev/null 2>&1
	t1=$(date +%s%N)
	"$IPCBENCH" report $many -o "$W/timing.html" >/dev/null 2>&1
	t2=$(date +%s%N)
	plot_ms=$(( (t1 - t0) / 1000000 + 1 )) report_ms=$(( (t2 - t1) / 1000000 + 1 ))
	rm -rf "$W/timing-charts" "$W/timing.html"
}

hostile_case() { # hostile_case CMD FILE
	hcmd=$1 hfile=$2
	begin "hostile/$hcmd/$(basename "$hfile" .json)" || return 0
	case $hcmd in
	compare) run_limited 8 "$IPCBENCH" compare "$H/valid.json" "$hfile" ;;
	plot) run_limited 8 "$IPCBENCH" plot "$hfile" -o "$C/charts" --format svg ;;
	report) run_limited 8 "$IPCBENCH" report "$hfile" -o "$C/r.html" ;;
	hist) run_limited 8 "$IPCBENCH" hist "$hfile" ;;
	esac
	if [ $rc -eq 2 ]; then
		n=$(wc -l <"$C/err")
		[ "$n" -eq 1 ] || problem "exit 2 with $n lines on stderr: $(head -c 160 "$C/err" | tr '\n' '|')"
	fi
	find "$W" -name '*escaped*' 2>/dev/null | grep -v "^$C/charts/" | grep -q . &&
		problem "wrote outside the output directory: $(find "$W" -name '*escaped*' | grep -v "^$C/charts/" | head -n 2 | tr '\n' ' ')"
	finish "0 1 2"
}

interrupt_case() { # interrupt_case CMD SIG
	cmd=$1 sig=$2
	if [ "$cmd" = plot ]; then rand "$plot_ms"; else rand "$report_ms"; fi
	ms=$R
	begin "interrupt/$cmd/$sig@${ms}ms" || return 0
	case $cmd in
	plot) "$IPCBENCH" plot $many -o "$C/charts" >"$C/out" 2>"$C/err" & ;;
	report) "$IPCBENCH" report $many -o "$C/r.html" >"$C/out" 2>"$C/err" & ;;
	esac
	pid=$!
	sleep_ms "$ms"
	sent=0 st=$(proc_state $pid)
	if [ -n "$st" ] && [ "$st" != Z ] && kill -"$sig" $pid 2>/dev/null; then
		sent=$((128 + $(signum "$sig")))
	fi
	reap $pid 20
	if [ $sent -ne 0 ]; then
		[ $rc -eq 0 ] && problem "the signal was lost: exit 0 after $sig"
		finish "0 $sent"
	else
		finish "0" "finished before the signal"
	fi
}

# ---- the sweep ----

echo "sweep: $IPCBENCH, seed $seed, at most ${budget}s, $([ $private -eq 1 ] && echo "private namespaces" ||
	echo "shared namespaces: other programs' objects may show up as left behind")"

for t in pipe fifo socketpair unix unix_dgram tcp sysv_mq eventfd shm_ring sysv_shm; do
	for s in INT TERM HUP; do
		signal_case $t $s
	done
done
nohup_case
for t in pipe unix_dgram sysv_mq shm_ring sysv_shm eventfd; do
	peer_case $t KILL server
	peer_case $t STOP server
done
peer_case socketpair KILL client
peer_case sysv_shm STOP client
for t in sysv_mq sysv_shm shm_ring posix_mq; do
	parent_case $t
done
if make_hostile; then
	for hf in truncated empty binary huge types notarray badhdr pathname deep fifo dir big link-valid link-zero; do
		for hc in compare plot report hist; do
			hostile_case $hc "$H/$hf.json"
		done
	done
	for ic in plot report; do
		for is in INT TERM INT TERM; do
			interrupt_case $ic $is
		done
	done
fi

echo "$ncase cases in $(( $(date +%s) - started ))s: $nok ok, $nfail failed, $nskip not run (seed $seed0)"
[ -n "$failures" ] && echo "failed:$failures"
[ $nfail -eq 0 ]
