#!/bin/sh
# CLI tests of the hardening of plot, report, compare and hist (issue 20):
# outputs that never replace a symlink or a FIFO, inputs that must be
# regular files, chart names that a hostile pattern cannot steer, a
# histogram whose count disagrees, compare's 1000 files per side, and an
# interrupted plot or report that leaves no gnuplot and no temp directory.
. "$(dirname "$0")/lib.sh"

chart_suite hardtest
# a small real result: the example run's 64-byte cells
R="$S/r.json"
jq '.results |= map(select(.msg_bytes == 64))' "$SRC/results/example/result.json" >"$R" ||
	setup_failed "cannot read results/example/result.json"

# still_link PATH: PATH is still a symlink, and $T/target still holds what it held
still_link() {
	[ -L "$1" ] || fail "$1 is no longer a symlink: $(ls -l "$1")"
	[ "$(cat "$T/target")" = "keep me" ] || fail "the symlink's target was overwritten"
}

t_outputs_never_replace_a_symlink() {
	need_gnuplot
	echo "keep me" >"$T/target"
	ln -s "$T/target" "$T/link"
	expect_exit 2 "$IPCBENCH" report "$R" -o "$T/link"
	one_line_error "symlink"
	still_link "$T/link"
	for opt in --json --markdown; do
		expect_exit 2 "$IPCBENCH" compare "$R" "$R" $opt "$T/link"
		one_line_error "symlink"
		still_link "$T/link"
	done
	mkdir "$T/charts" "$T/hgrm"
	ln -s "$T/target" "$T/charts/summary-pingpong-64B-same.dat"
	expect_exit 2 "$IPCBENCH" plot "$R" -o "$T/charts" --format svg
	one_line_error "symlink"
	still_link "$T/charts/summary-pingpong-64B-same.dat"
	ln -s "$T/target" "$T/hgrm/pipe_pingpong_64B_same_block.hgrm"
	expect_exit 1 "$IPCBENCH" hist "$R" -t pipe -p pingpong --placement same --hgrm "$T/hgrm"
	grep -q symlink "$T/err" || fail "hist does not say why: $(cat "$T/err")"
	still_link "$T/hgrm/pipe_pingpong_64B_same_block.hgrm"
}

# through_fifo CMD...: runs CMD writing to the FIFO $T/fifo while a reader copies it to $T/got
through_fifo() {
	rm -f "$T/fifo" "$T/got"
	mkfifo "$T/fifo"
	timeout 20 cat "$T/fifo" >"$T/got" &
	reader=$!
	timeout 60 "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ ! -p "$T/fifo" ]; then
		kill "$reader" 2>/dev/null
		wait "$reader"
		fail "'$*' replaced the FIFO by a regular file (exit $rc)"
	fi
	wait "$reader"
	[ $rc -eq 0 ] || fail "'$*' exited $rc: $(head -c 300 "$T/err")"
}

t_outputs_write_through_a_fifo() {
	need_gnuplot
	through_fifo "$IPCBENCH" report "$R" -o "$T/fifo"
	grep -q '</html>' "$T/got" || fail "the report did not come through the FIFO"
	through_fifo "$IPCBENCH" compare "$R" "$R" -q --json "$T/fifo"
	jq -e '.schema == "ipcbench-compare"' "$T/got" >/dev/null || fail "the JSON did not come through the FIFO"
	through_fifo "$IPCBENCH" compare "$R" "$R" -q --markdown "$T/fifo"
	grep -q 'ipcbench compare' "$T/got" || fail "the Markdown did not come through the FIFO"
}

t_fifo_and_pipe_inputs_are_refused() {
	mkfifo "$T/in.json"
	mkdir "$T/charts"
	for cmd in compare plot report; do
		case $cmd in
		compare) set -- "$T/in.json" "$R" ;;
		plot) set -- "$T/in.json" -o "$T/charts" ;;
		report) set -- "$T/in.json" -o "$T/r.html" ;;
		esac
		# a FIFO nobody writes: the old reader waited forever
		expect_exit 2 timeout 10 "$IPCBENCH" $cmd "$@"
		one_line_error "not a regular file"
	done
	# a pipe is not read either, however good its content (nor past any size)
	cat "$R" | "$IPCBENCH" compare /dev/stdin "$R" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] || fail "compare read a pipe (exit $rc)"
	one_line_error "not a regular file"
	[ ! -e "$T/r.html" ] || fail "a refused input wrote a report"
}

t_hostile_pattern_stays_in_the_directory() {
	need_gnuplot
	# a '/' steered the chart names into subdirectories; a quote ended the
	# gnuplot string the name is written in (the script failed)
	jq '.results |= map(if .pattern == "pingpong" then .pattern = "../x/..'"'"'; system('"'"'touch PWNED'"'"'); '"'"'" else . end)' \
		"$R" >"$T/evil.json"
	mkdir "$T/charts"
	expect_exit 0 "$IPCBENCH" plot "$T/evil.json" -o "$T/charts" --format svg
	find "$T" -name PWNED | grep -q . && fail "a pattern ran a gnuplot command"
	n=$(find "$T/charts" -mindepth 1 -type d | wc -l)
	[ "$n" -eq 0 ] || fail "plot wrote into $n subdirectories"
	ls "$T/charts" | grep -q '^summary-\.\._x_\.\._' || fail "no sanitised summary chart: $(ls "$T/charts" | head)"
	expect_exit 0 "$IPCBENCH" report "$T/evil.json" -o "$T/r.html"
	find "$T" -name PWNED | grep -q . && fail "report ran a gnuplot command"
	return 0
}

t_hdr_count_must_match() {
	jq '(.results[] | select(.key == "'"$(jq -r '[.results[]|select(.status=="ok")][0].key' "$R")"'") | .latency_ns.count) += 1' \
		"$R" >"$T/bad.json"
	expect_exit 2 "$IPCBENCH" hist "$T/bad.json"
	one_line_error "count says"
	mkdir "$T/charts"
	expect_exit 2 "$IPCBENCH" plot "$T/bad.json" -o "$T/charts"
	one_line_error "count says"
	expect_exit 2 "$IPCBENCH" report "$T/bad.json" -o "$T/r.html"
	one_line_error "count says"
	[ ! -e "$T/r.html" ] || fail "report wrote a report from a bad histogram"
	[ -z "$(ls "$T/charts")" ] || fail "plot drew a bad histogram"
}

t_compare_takes_1000_files_per_side() {
	jq '.results |= .[0:2]' "$R" >"$T/small.json"
	list=""
	i=0
	while [ $i -lt 1000 ]; do
		ln -s "$T/small.json" "$T/f$i.json"
		list="$list${list:+,}$T/f$i.json"
		i=$((i + 1))
	done
	# (not through expect_exit: a failure would print the whole list)
	"$IPCBENCH" compare "$list" "$T/small.json" -q >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] || fail "compare of 1000 files a side exited $rc: $(head -c 300 "$T/err")"
	ln -s "$T/small.json" "$T/f1000.json"
	"$IPCBENCH" compare "$list,$T/f1000.json" "$T/small.json" -q >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] || fail "compare of 1001 files a side exited $rc, expected 2"
	one_line_error "at most 1000"
}

# interrupt CMD SIG ARGS...: runs ipcbench CMD with a gnuplot that only
# waits, sends SIG once it runs, and checks that nothing is left
interrupt() {
	cmd=$1 sig=$2
	shift 2
	rm -f "$T/gp.pids"
	GPPIDS="$T/gp.pids" PATH="$T/bin:$PATH" env --default-signal=INT "$IPCBENCH" $cmd "$R" "$@" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	n=0
	while [ ! -s "$T/gp.pids" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -s "$T/gp.pids" ] || { kill "$pid"; fail "$cmd never ran gnuplot: $(cat "$T/err")"; }
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	sleep 0.2
	for gp in $(cat "$T/gp.pids"); do
		if kill -0 "$gp" 2>/dev/null; then
			kill "$gp"
			fail "$cmd left gnuplot (pid $gp) running after SIG$sig"
		fi
	done
	[ $rc -gt 128 ] || fail "$cmd ended with $rc after SIG$sig, not by the signal"
	left=$(ls -A "$TMPDIR")
	[ -z "$left" ] || fail "$cmd left in \$TMPDIR after SIG$sig: $left"
	[ ! -e "$T/r.html" ] || fail "an interrupted report wrote its file"
	ls -A "$T" | grep -q 'ipcbench-tmp' && fail "$cmd left a temporary file"
	return 0
}

t_interrupted_plot_and_report_leave_nothing() {
	env --default-signal=INT true 2>/dev/null || skip "env has no --default-signal"
	mkdir "$T/bin" "$T/charts"
	# a gnuplot that never finishes: what a slow chart looks like
	printf '#!/bin/sh\necho $$ >>"$GPPIDS"\nexec sleep 60\n' >"$T/bin/gnuplot"
	chmod +x "$T/bin/gnuplot"
	interrupt report INT -o "$T/r.html"
	interrupt report TERM -o "$T/r.html"
	interrupt plot INT -o "$T/charts"
	interrupt plot TERM -o "$T/charts"
}

run_tests
