#!/bin/sh
# scripts/ci-regression.sh - the CI performance gate (docs/ci.md).
#
# Builds the base revision and the candidate side by side (the base in a
# temporary git worktree), runs both on this machine in interleaved rounds
# (base new, new base, base new, ...: drift of the machine hits both sides
# alike), each round one `ipcbench run --repeat 1` of the chosen cells,
# then `ipcbench compare` over all rounds.  Writes the Markdown summary
# (appended to $GITHUB_STEP_SUMMARY when set) and exits with compare's
# status: 0 passed, 1 a regression or a cell the candidate fails (also a
# candidate whose run writes no result), 2 bad input or a failed build.
#
# usage: scripts/ci-regression.sh [options] [-- RUN-OPTIONS...]
#   -b, --base REV          base revision (default $BASE_REV, else origin/main, else HEAD~1)
#   -c, --candidate REV     candidate revision (default: the working tree as it is)
#       --candidate-dir DIR build the candidate from this source tree
#       --base-bin FILE     use this ipcbench as the base (no build)
#       --new-bin FILE      use this ipcbench as the candidate (no build)
#       --compare-bin FILE  the ipcbench that judges (default: the base's when it
#                           has 'compare', so a change cannot rig its own gate)
#   -k, --rounds K          interleaved rounds, each one repetition (default 15)
#   -o, --out DIR           keep the result files and reports in DIR
#       --compare-args ARGS extra arguments to compare, e.g. "--threshold 15"
#   RUN-OPTIONS             the cells (default: $RUN_ARGS, else
#                           -t pipe,unix,tcp -s 64,4k --placement cross,same -d 200ms)
set -u

die() { echo "ci-regression: $*" >&2; exit 2; }
say() { echo "ci-regression: $*" >&2; }
. "$(dirname "$0")/ci-lib.sh"

base_rev=${BASE_REV:-}
cand_rev=${CANDIDATE_REV:-}
cand_dir=
base_bin=${BASE_BIN:-}
new_bin=${NEW_BIN:-}
cmp_bin=${COMPARE_BIN:-}
rounds=${ROUNDS:-15}
out=${OUT_DIR:-}
cmp_args=${COMPARE_ARGS:-}
run_args=${RUN_ARGS:--t pipe,unix,tcp -s 64,4k --placement cross,same -d 200ms}

while [ $# -gt 0 ]; do
	case $1 in
	-b|--base) base_rev=${2:?$1 needs a revision}; shift ;;
	-c|--candidate) cand_rev=${2:?$1 needs a revision}; shift ;;
	--candidate-dir) cand_dir=${2:?$1 needs a directory}; shift ;;
	--base-bin) base_bin=${2:?$1 needs a file}; shift ;;
	--new-bin) new_bin=${2:?$1 needs a file}; shift ;;
	--compare-bin) cmp_bin=${2:?$1 needs a file}; shift ;;
	-k|--rounds) rounds=${2:?$1 needs a count}; shift ;;
	-o|--out) out=${2:?$1 needs a directory}; shift ;;
	--compare-args) cmp_args=${2?$1 needs arguments}; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; run_args="$*"; break ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done
case $rounds in ''|*[!0-9]*) die "--rounds: '$rounds' is not a count" ;; esac
[ "$rounds" -ge 1 ] || die "--rounds must be at least 1"

top=$(git rev-parse --show-toplevel 2>/dev/null) || top=''
work=$(mktemp -d "${TMPDIR:-/tmp}/ipcbench-ci.XXXXXX") || die "mktemp failed"
worktrees=

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -z "$worktrees" ] || for wt in $worktrees; do
		git -C "$top" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
	done
	[ -z "$worktrees" ] || git -C "$top" worktree prune >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

keep=yes
[ -n "$out" ] || { out=$work/results; keep=no; }
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)

# worktree NAME REV: a detached checkout of REV under $work
worktree() {
	[ -n "$top" ] || die "not inside a git checkout: give --base-bin/--new-bin or run from one"
	git -C "$top" rev-parse --verify --quiet "$2^{commit}" >/dev/null || die "unknown revision '$2'"
	git -C "$top" worktree add --detach --quiet "$work/$1" "$2" >/dev/null 2>&1 ||
		die "git worktree add $2 failed"
	worktrees="$worktrees $work/$1"
}

# build SRC-DIR NAME: make into $work/build-NAME; prints the binary
build() {
	say "building $2 from $1"
	ci_build "$1" "$2"
	echo "$work/build-$2/ipcbench"
}

default_base() {
	for r in origin/main origin/master HEAD~1; do
		if git -C "$top" rev-parse --verify --quiet "$r^{commit}" >/dev/null; then
			git -C "$top" merge-base HEAD "$r" 2>/dev/null || echo "$r"
			return
		fi
	done
	die "no base revision: give --base REV"
}

if [ -z "$base_bin" ]; then
	[ -n "$base_rev" ] || base_rev=$(default_base)
	worktree src-base "$base_rev"
	base_bin=$(build "$work/src-base" base) || exit 2
fi
if [ -z "$new_bin" ]; then
	if [ -n "$cand_rev" ]; then
		worktree src-new "$cand_rev"
		cand_dir=$work/src-new
	fi
	[ -n "${cand_dir:-$top}" ] || die "not inside a git checkout: give --candidate-dir or --new-bin"
	new_bin=$(build "${cand_dir:-$top}" new) || exit 2
fi
[ -x "$base_bin" ] || die "$base_bin is not an executable"
[ -x "$new_bin" ] || die "$new_bin is not an executable"
if [ -z "$cmp_bin" ]; then
	cmp_bin=$new_bin
	"$base_bin" compare --help >/dev/null 2>&1 && cmp_bin=$base_bin
fi
say "base $base_bin, new $new_bin, judged by $cmp_bin"
say "cells: $run_args; $rounds rounds"

# summarize: appends summary.md to the job summary when there is one
summarize() {
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$out/summary.md" ]; then
		cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
	fi
}

# cannot_run ROUND RC: the candidate's run wrote no result: the gate fails, saying why
cannot_run() {
	{
		printf '### ipcbench compare: the candidate could not run\n\n'
		printf "**Gate: FAILED** (the candidate's \`ipcbench run\` exited %s in round %s without a result file).\n\n" "$2" "$1"
		printf '\140\140\140\n%s\n\140\140\140\n' "$(head -n 20 "$work/run.err")"
	} >"$out/summary.md"
	summarize
	say "gate FAILED: the candidate's run (round $1) exited $2 without a result: $(head -n 1 "$work/run.err")"
	exit 1
}

# one SIDE ROUND: one repetition of every cell into $out/SIDE-ROUND.json
one() {
	if [ "$1" = base ]; then bin=$base_bin; else bin=$new_bin; fi
	# shellcheck disable=SC2086
	"$bin" run $run_args --repeat 1 -q -o "$out/$1-$2.json" 2>"$work/run.err"
	rc=$?
	if [ $rc -gt 1 ] || [ ! -s "$out/$1-$2.json" ]; then
		cat "$work/run.err" >&2
		[ "$1" = base ] || cannot_run "$2" "$rc"
		die "ipcbench run ($1, round $2) exited $rc"
	fi
	# exit 1: a cell failed; the round still goes into the comparison, which judges it
	[ $rc -eq 0 ] && return
	say "$1 round $2: a cell failed: $(head -n 1 "$work/run.err")"
	if [ "$1" = base ]; then base_failed=$((base_failed + 1)); else new_failed=$((new_failed + 1)); fi
}

base_files='' new_files='' base_failed=0 new_failed=0
i=1
while [ "$i" -le "$rounds" ]; do
	if [ $((i % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
	say "round $i/$rounds: $order"
	for side in $order; do
		one "$side" "$i"
	done
	base_files=${base_files:+$base_files,}$out/base-$i.json
	new_files=${new_files:+$new_files,}$out/new-$i.json
	i=$((i + 1))
done

# shellcheck disable=SC2086
"$cmp_bin" compare "$base_files" "$new_files" --markdown "$out/summary.md" --json "$out/compare.json" $cmp_args
rc=$?
if [ -s "$out/summary.md" ] && [ $((base_failed + new_failed)) -gt 0 ]; then
	printf '\n> warning: a cell failed in %s of the %s base runs and %s of the %s new runs\n' \
		"$base_failed" "$rounds" "$new_failed" "$rounds" >>"$out/summary.md"
fi
# a judge older than the "failed" verdict passes a candidate whose cells fail
if [ $rc -eq 0 ] && [ "$new_failed" -gt 0 ] && [ "$base_failed" -eq 0 ]; then
	say "gate FAILED: a cell failed in $new_failed of the $rounds new runs and in none of the base runs"
	printf '\n**Gate: FAILED**: a cell failed in %s of the %s new runs and in none of the base runs.\n' \
		"$new_failed" "$rounds" >>"$out/summary.md"
	rc=1
fi
summarize
if [ $keep = yes ]; then say "compare exited $rc; results in $out"; else say "compare exited $rc"; fi
exit $rc
