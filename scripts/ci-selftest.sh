#!/bin/sh
# scripts/ci-selftest.sh - checks the CI gate itself on this machine
# (docs/ci.md, "Does the gate work here?").  Test-only; the tree is never
# edited.
#
#  1. Identical: PAIRS times, one build against itself through
#     scripts/ci-regression.sh.  Expected: no regression, every time.
#  2. Slowdown: a candidate built from a temporary copy of the source whose
#     pipe transport busy-waits DELAY_NS before every send (each round trip
#     sends twice), against a clean build of the same copy.  Expected: pipe
#     reported regressed, no other transport.
#  3. Failing: the same candidate with IPCB_SELFTEST_FAIL=1 in its
#     environment, where its pipe send fails (EIO) in 1 of 3 processes, so
#     pipe cells fail in about 5 of 9 rounds.  Expected: exit 1, pipe cells
#     "failed", no other transport failed.
#
# usage: scripts/ci-selftest.sh [options] [-- RUN-OPTIONS...]
#   -n, --pairs N        identical tries (default 5)
#   -k, --rounds K       interleaved rounds per try (default 15)
#       --delay-ns NS    the slowdown per message sent (default 2000)
#       --src DIR        the source to build (default: this checkout, as it is)
#   -o, --out DIR        keep every result and report in DIR
#   RUN-OPTIONS          the cells (default: ci-regression.sh's)
# Exit status: 0 both expectations met, 1 not, 2 a build or run failed.
set -u

die() { echo "ci-selftest: $*" >&2; exit 2; }
say() { echo "ci-selftest: $*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
. "$here/ci-lib.sh"
pairs=5 rounds=15 delay=2000 src='' out=''
while [ $# -gt 0 ]; do
	case $1 in
	-n|--pairs) pairs=${2:?$1 needs a count}; shift ;;
	-k|--rounds) rounds=${2:?$1 needs a count}; shift ;;
	--delay-ns) delay=${2:?$1 needs nanoseconds}; shift ;;
	--src) src=${2:?$1 needs a directory}; shift ;;
	-o|--out) out=${2:?$1 needs a directory}; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
for v in "$pairs" "$rounds" "$delay"; do
	case $v in ''|*[!0-9]*) die "'$v' is not a count" ;; esac
done
command -v jq >/dev/null || die "jq is required"
[ -n "$src" ] || src=$(cd "$here/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ipcbench-selftest.XXXXXX") || die "mktemp failed"
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ -n "$out" ] || out=$work/out
mkdir -p "$out" || die "cannot create $out"

# copy_src DEST: the source's tracked and new files (a git checkout), or all of it
copy_src() {
	mkdir -p "$1"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$src" ls-files -z -co --exclude-standard |
			tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null |
			tar -C "$1" -xf - || die "copying $src failed"
	else
		cp -R "$src/." "$1/" || die "copying $src failed"
	fi
}

# slow_down DIR: pipe's send busy-waits $delay ns first (the only change)
slow_down() {
	f=$1/transports/pipe.c
	grep -q "^$(printf '\t')\.send = fdchan_stream_send,\$" "$f" || die "$f: no '.send = fdchan_stream_send,' to patch"
	awk -v ns="$delay" '
	!inc && /^#include / { print "#include <errno.h>\n#include <stdlib.h>\n#include <time.h>\n#include <unistd.h>"; inc = 1 }
	/^const struct transport_ops pipe_ops = {$/ {
		print "/* ci-selftest: a deliberate slowdown of " ns " ns before every send */"
		print "static int pipe_slow_send(struct chan *ch, const void *buf, size_t len)"
		print "{"
		print "\tstruct timespec t0, t;"
		print ""
		print "\tclock_gettime(CLOCK_MONOTONIC, &t0);"
		print "\tdo"
		print "\t\tclock_gettime(CLOCK_MONOTONIC, &t);"
		print "\twhile ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < " ns "L);"
		print "\tif (getenv(\"IPCB_SELFTEST_FAIL\") && getpid() % 3 == 0)"
		print "\t\treturn -EIO; /* ci-selftest scenario 3: a candidate whose pipe fails */"
		print "\treturn fdchan_stream_send(ch, buf, len);"
		print "}"
		print ""
		print; inops = 1; next
	}
	inops && /^\t\.send = fdchan_stream_send,$/ { print "\t.send = pipe_slow_send,"; inops = 0; next }
	{ print }' "$f" >"$f.new" && mv "$f.new" "$f"
	grep -q 'pipe_slow_send,' "$f" || die "patching $f failed"
}

build() {
	say "building $2"
	ci_build "$1" "$2"
}

copy_src "$work/src-clean"
copy_src "$work/src-slow"
slow_down "$work/src-slow"
build "$work/src-clean" clean
build "$work/src-slow" slow
clean=$work/build-clean/ipcbench slow=$work/build-slow/ipcbench

# gate NAME BASE-BIN NEW-BIN [RUN-OPTIONS...]: prints compare's exit code
gate() {
	name=$1 b=$2 n=$3
	shift 3
	if [ $# -gt 0 ]; then set -- -- "$@"; fi
	"$here/ci-regression.sh" --base-bin "$b" --new-bin "$n" --compare-bin "$clean" -k "$rounds" \
		-o "$out/$name" "$@" >"$out/$name.log" 2>&1
	echo $?
}

# regressed JSON [jq filter on transport]: the regressed comparisons, "key metric change" a line
regressed() {
	jq -r --arg t "${2:-}" '.cells[] | select($t == "" or .transport == $t) | .key as $k |
		.metrics[] | select(.verdict == "regressed") | "\($k) \(.metric) \(.change * 1000 | round / 10)%"' "$1"
}

ok=yes
i=1
while [ "$i" -le "$pairs" ]; do
	rc=$(gate "identical-$i" "$clean" "$clean" "$@")
	line=$(jq -r '.summary.line' "$out/identical-$i/compare.json" 2>/dev/null)
	say "identical $i/$pairs: exit $rc: ${line:-no comparison (see $out/identical-$i.log)}"
	[ "$rc" -eq 0 ] || { ok=no; regressed "$out/identical-$i/compare.json" | sed 's/^/    false alarm: /' >&2; }
	i=$((i + 1))
done

rc=$(gate slowdown "$clean" "$slow" "$@")
j=$out/slowdown/compare.json
[ -s "$j" ] || die "the slowdown comparison failed (see $out/slowdown.log)"
say "slowdown (pipe +$delay ns per send): exit $rc: $(jq -r '.summary.line' "$j")"
jq -r '.cells[] | .key as $k | .verdict as $v | .metrics[] | select(.metric == "p50") |
	"    \($k): p50 \(.base.median) -> \(.new.median) ns (\(.change * 1000 | round / 10)%, p \(.p_value)): \(.verdict); cell \($v)"' \
	"$j" >&2
pipe_reg=$(regressed "$j" pipe | wc -l)
other_reg=$(jq -r '.cells[] | select(.transport != "pipe") | .metrics[] | select(.verdict == "regressed") | .metric' "$j" | wc -l)
say "pipe: $pipe_reg regressed comparisons; other transports: $other_reg"
if [ "$rc" -ne 1 ] || [ "$pipe_reg" -eq 0 ] || [ "$other_reg" -ne 0 ]; then
	ok=no
	regressed "$j" | sed 's/^/    regressed: /' >&2
fi
rc=$(export IPCB_SELFTEST_FAIL=1; gate failing "$clean" "$slow" "$@")
j=$out/failing/compare.json
[ -s "$j" ] || die "the failing comparison failed (see $out/failing.log)"
say "failing (pipe send fails in 1 of 3 processes): exit $rc: $(jq -r '.summary.line' "$j")"
jq -r '.cells[] | select(.verdict == "failed") | "    \(.key): \(.reason)"' "$j" >&2
pipe_failed=$(jq '[.cells[] | select(.transport == "pipe" and .verdict == "failed")] | length' "$j")
other_failed=$(jq '[.cells[] | select(.transport != "pipe" and .verdict == "failed")] | length' "$j")
say "pipe: $pipe_failed failed cells; other transports: $other_failed"
if [ "$rc" -ne 1 ] || [ "$pipe_failed" -eq 0 ] || [ "$other_failed" -ne 0 ]; then
	ok=no
fi
[ "$out" = "$work/out" ] || say "results in $out"
[ $ok = yes ] && { say "the gate works here"; exit 0; }
say "the gate did NOT behave as expected"
exit 1
