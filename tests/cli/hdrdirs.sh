#!/bin/sh
# --hgrm DIR and --hlog DIR create a missing DIR as plot -o does (one
# level); a DIR that cannot be made is a one-line usage error, and a run
# refused for another reason leaves no directory behind.  Failed before
# the fix: a missing DIR was refused.
. "$(dirname "$0")/lib.sh"

t_missing_dirs_are_created() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 200 -w 10 --cpus 0,0 --no-calibrate -q \
		--hgrm "$T/h/" --hlog "$T/l" -o "$T/r.json"
	[ -f "$T/h/pipe_pingpong_64B_same-0-0_block.hgrm" ] || fail "no .hgrm in the new directory: $(ls -R "$T")"
	[ -f "$T/l/pipe_pingpong_64B_same-0-0_block.hlog" ] || fail "no .hlog in the new directory"
}

t_uncreatable_dir_is_refused() {
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --no-calibrate -q --hgrm "$T/no/such"
	one_line_error "--hgrm"
	touch "$T/file"
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --no-calibrate -q --hlog "$T/file"
	one_line_error "not a directory"
	[ ! -e "$T/no" ] || fail "a refused run created $T/no"
}

t_refused_run_leaves_no_dir() {
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --no-calibrate -q --hgrm "$T/h" --interval 10ms
	expect_exit 2 "$IPCBENCH" run -t pipe -s 64 -n 200 --no-calibrate -q --hgrm "$T/h" --rate 5
	[ ! -e "$T/h" ] || fail "a refused run left $T/h"
}

run_tests
