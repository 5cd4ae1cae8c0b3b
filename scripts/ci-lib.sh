# scripts/ci-lib.sh - sourced by ci-regression.sh and ci-selftest.sh, which
# define die and the scratch directory $work.

# ci_build SRC-DIR NAME: builds SRC-DIR into $work/build-NAME, the log in
# $work/build-NAME.log; when make fails, the log's tail and die
ci_build() {
	make -C "$1" -j"$(nproc 2>/dev/null || echo 2)" BUILDDIR="$work/build-$2" >"$work/build-$2.log" 2>&1 || {
		tail -n 20 "$work/build-$2.log" >&2
		die "building $2 failed (log above)"
	}
}
