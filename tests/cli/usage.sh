#!/bin/sh
# Every subcommand names a bad option the same way: one line on stderr,
# exit 2, the option itself (not a neighbouring argument), and "needs a
# value" for an option given without its value, long or short.
. "$(dirname "$0")/lib.sh"

# bad CMD WANT ARGS...: ipcbench CMD ARGS... exits 2 with WANT in its one line
bad() {
	b_cmd=$1 b_msg=$2; shift 2
	expect_exit 2 "$IPCBENCH" "$b_cmd" "$@"
	one_line_error "$b_msg"
}

t_unknown_long_option_is_named() {
	for c in run list calibrate clean compare plot report hist; do
		bad "$c" "$c: unknown option '--bogus'" --bogus
	done
}

t_unknown_short_option_is_named() {
	for c in run list calibrate clean compare plot report hist; do
		bad "$c" "$c: unknown option '-Z'" -Z
	done
}

t_missing_value_is_named() {
	bad run "option '-n' needs a value" -n
	bad run "option '--duration' needs a value" --duration
	bad calibrate "option '--cpus' needs a value" --cpus
	bad compare "option '--threshold' needs a value" --threshold
	bad compare "option '--markdown' needs a value" a.json b.json --markdown
	bad plot "option '-o' needs a value" -o
	bad report "option '--size' needs a value" --size
	bad hist "option '-t' needs a value" -t
}

run_tests
