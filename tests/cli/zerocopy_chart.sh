#!/bin/sh
# CLI tests of the zero-copy chart of `ipcbench plot` and `ipcbench report`:
# stream throughput by size of pipe, vmsplice, cma, memfd, shm_ring and
# shm_spin against the copy floors of the same run.  One small real run
# (pipe, shm_ring, shm_spin) and a jq-edited copy whose renamed cells stand
# for vmsplice, cma and memfd: the chart knows transports by name only.
# Checked: the data file's columns and rows, floors taken from the file's
# own calibration, the crossovers, the report's figure and caption, the
# chart's absence when fewer than two transports have two sizes, and that
# nothing else in plot's output changes.
. "$(dirname "$0")/lib.sh"

chart_suite zctest
R="$S/r.json"
if ! "$IPCBENCH" run -t pipe,shm_ring,shm_spin -p stream -s 4k,64k,1M -d 100ms -q -o "$R" 2>"$S/err"; then
	setup_failed "the run failed: $(head -c 300 "$S/err")"
fi
# the six: the run's cells and a renamed copy of each
Z="$S/six.json"
jq '.results += [.results[] | ({"pipe": "vmsplice", "shm_ring": "cma", "shm_spin": "memfd"}[.transport]) as $n |
	.transport = $n | .key |= ($n + sub("^[^/]+"; ""))]' "$R" >"$Z" || setup_failed "jq failed"
SIX="pipe vmsplice cma memfd shm_ring shm_spin"
SIZES="4096 65536 1048576"

chart() { echo "$1/zerocopy-throughput-vs-size-$2.dat"; }

# block_rows DAT TITLE: the rows of the block whose "# index N: " line ends in TITLE
block_rows() {
	awk -v t="$2" '/^# index [0-9]+: / {l = $0; sub(/^# index [0-9]+: /, "", l); on = (l == t); next}
		/^#/ {on = 0} on && NF' "$1"
}

# same_num A B: equal to 9 significant digits (the data file keeps 10)
same_num() {
	awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); exit !(d <= m * 1e-9 + 1e-300)}'
}

# shm_gbps FILE REL: the calibration's shm copy rate for the placement
shm_gbps() {
	if [ "$2" = same ]; then
		jq -r .context.calibration.shm_copy_same_cpu_gbytes_per_sec "$1"
	else
		jq -r .context.calibration.shm_copy_gbytes_per_sec "$1"
	fi
}

t_data_file_has_the_columns_and_a_row_per_size() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$Z" -o "$T/c" --format svg
	for rel in same cross; do
		f=$(chart "$T/c" $rel)
		[ -s "$f" ] || fail "$f missing"
		grep -qx '# columns: msg_bytes (bytes), bytes_per_sec (bytes/s), msgs_per_sec (messages/s, NaN for a floor), of_floor (bytes_per_sec over the shm copy floor of the same run, fraction)' "$f" ||
			fail "$f: columns header: $(grep columns "$f")"
		shm=$(shm_gbps "$Z" $rel)
		for t in $SIX; do
			block_rows "$f" "$t" >"$T/rows"
			[ "$(awk '{print $1}' "$T/rows" | tr '\n' ' ')" = "$SIZES " ] ||
				fail "$rel $t: sizes $(awk '{print $1}' "$T/rows" | tr '\n' ' '), want $SIZES"
			awk 'NF != 4 {exit 1}' "$T/rows" || fail "$rel $t: a row without four columns: $(cat "$T/rows")"
			while read -r b bps mps of; do
				want=$(jq -r --arg t "$t" --arg r $rel --argjson b "$b" '.results[] | select(.transport == $t and
					.pattern == "stream" and .msg_bytes == $b and .placement.relation == $r) |
					"\(.bytes_per_sec) \(.msgs_per_sec)"' "$Z")
				same_num "$bps" "${want% *}" || fail "$rel $t $b: bytes/s $bps, JSON ${want% *}"
				same_num "$mps" "${want#* }" || fail "$rel $t $b: messages/s $mps, JSON ${want#* }"
				same_num "$of" "$(awk -v a="${want% *}" -v s="$shm" 'BEGIN {printf "%.12g", a / (s * 1e9)}')" ||
					fail "$rel $t $b: of_floor $of is not bytes/s over the $rel shm copy floor ($shm GB/s)"
			done <"$T/rows"
			grep -q "index [0-9]* using 1:(\$2/[0-9e+.]*) with linespoints lt [0-9]* title '$t'" "${f%.dat}.gp" ||
				fail "$rel: $t is not drawn"
		done
		[ "$(wc -c <"${f%.dat}.svg")" -gt 4000 ] || fail "$rel: the SVG is suspiciously small"
	done
	# the pair re-runs without ipcbench
	mkdir "$T/copy" && cp "$T/c/zerocopy-throughput-vs-size-cross.dat" "$T/c/zerocopy-throughput-vs-size-cross.gp" "$T/copy/"
	(cd "$T/copy" && gnuplot zerocopy-throughput-vs-size-cross.gp) 2>"$T/gp" || fail "gnuplot: $(head -c 300 "$T/gp")"
	[ "$(wc -c <"$T/copy/zerocopy-throughput-vs-size-cross.png")" -gt 8000 ] || fail "the re-run wrote no real PNG"
}

# floor_value DAT WHAT: bytes/s of the floor block whose title begins "floor: WHAT"
floor_value() {
	awk -v w="floor: $2" '/^# index [0-9]+: / {l = $0; sub(/^# index [0-9]+: /, "", l); on = (index(l, w) == 1); next}
		/^#/ {on = 0} on && NF {print $2; exit}' "$1"
}

check_floors() { # FILE DIR: every floor of FILE's calibration, and nothing else, in both charts
	for rel in same cross; do
		f=$(chart "$2" $rel)
		shm=$(shm_gbps "$1" $rel)
		got=$(floor_value "$f" "shm copy 1 MiB, ")
		same_num "$got" "$(awk -v s="$shm" 'BEGIN {printf "%.12g", s * 1e9}')" ||
			fail "$rel: the shm copy floor is $got, the calibration says $shm GB/s"
		n=$(grep -c '^# index [0-9]*: floor: ' "$f")
		[ "$n" -eq $((1 + $(jq '.context.calibration.memcpy | length' "$1"))) ] || fail "$rel: $n floors"
		jq -r '.context.calibration.memcpy[] | "\(.bytes) \(.gbytes_per_sec)"' "$1" | while read -r b g; do
			case $b in 4096) sz="4 KiB" ;; 65536) sz="64 KiB" ;; 1048576) sz="1 MiB" ;; 16777216) sz="16 MiB" ;; *) sz="$b B" ;; esac
			got=$(floor_value "$f" "memcpy $sz, one CPU")
			same_num "$got" "$(awk -v s="$g" 'BEGIN {printf "%.12g", s * 1e9}')" ||
				fail "$rel: the memcpy $sz floor is '$got', the calibration says $g GB/s"
		done || exit 1
		# a horizontal line across the whole axis, drawn and labelled as a floor
		block_rows "$f" "$(grep -m1 '^# index [0-9]*: floor: shm copy' "$f" | sed 's/^# index [0-9]*: //')" >"$T/fl"
		[ "$(wc -l <"$T/fl")" -eq 2 ] && [ "$(awk '{print $2}' "$T/fl" | sort -u | wc -l)" -eq 1 ] ||
			fail "$rel: the shm copy floor is not two rows at one height: $(cat "$T/fl")"
		xmin=$(sed -n 's/^set xrange \[\(.*\):\(.*\)\]$/\1/p' "${f%.dat}.gp")
		same_num "$(awk 'NR == 1 {print $1}' "$T/fl")" "$xmin" || fail "$rel: the floor does not start at the axis ($xmin)"
		[ "$(grep -c "with lines ls 20[0-8] title 'floor: " "${f%.dat}.gp")" -eq "$n" ] || fail "$rel: not every floor is drawn"
	done
}

t_floors_come_from_the_files_calibration() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" plot "$Z" -o "$T/c" --format svg
	check_floors "$Z" "$T/c"
	grep -q "floor: shm copy 1 MiB, cross-CPU" "$T/c/zerocopy-throughput-vs-size-cross.svg" || fail "no floor in the SVG's legend"
	# other floors in the file: other lines (so they are read from it, not measured now)
	jq '.context.calibration.shm_copy_gbytes_per_sec = 123.25 | .context.calibration.shm_copy_same_cpu_gbytes_per_sec = 7.5 |
		.context.calibration.memcpy = [{"bytes": 65536, "gbytes_per_sec": 31.5}]' "$Z" >"$T/other.json"
	expect_exit 0 "$IPCBENCH" plot "$T/other.json" -o "$T/o" --format svg
	check_floors "$T/other.json" "$T/o"
	grep -q "^# index [0-9]*: floor: shm copy 1 MiB, cross-CPU: 123 GB/s$" "$(chart "$T/o" cross)" || fail "the floor's label does not give its rate"
	# a run without calibration: the chart, without floors
	jq '.context.calibration = null' "$Z" >"$T/nocal.json"
	expect_exit 0 "$IPCBENCH" plot "$T/nocal.json" -o "$T/n" --format svg
	f=$(chart "$T/n" cross)
	[ -s "$f" ] || fail "no chart for an uncalibrated run"
	! grep -q "title 'floor: " "${f%.dat}.gp" || fail "floors drawn for a run without calibration"
	[ "$(block_rows "$f" memfd | awk '{print $4}' | sort -u)" = NaN ] || fail "of_floor is not NaN without floors"
	# a calibration of the wrong shape is bad input, named
	for bad in '.memcpy = 5' '.memcpy = [{"bytes": "4k", "gbytes_per_sec": 1}]' '.shm_copy_gbytes_per_sec = "fast"' \
		'.from_cache = "yes"' '.memcpy = [range(9) | {"bytes": 4096, "gbytes_per_sec": 1}]'; do
		jq ".context.calibration |= ($bad)" "$Z" >"$T/bad.json"
		expect_exit 2 "$IPCBENCH" plot "$T/bad.json" -o "$T/b" --format svg
		one_line_error "context.calibration."
	done
	[ ! -e "$T/b" ] || fail "a bad file left $T/b behind"
}

t_crossovers_are_marked() {
	need_gnuplot
	# pipe flat at 1 GB/s; vmsplice at half of it up to 64 KiB and four times it at 1 MiB:
	# on log-log axes they cross a third of the way from 64 KiB to 1 MiB, at 1 GB/s
	jq '.results |= map(if .transport == "pipe" then .bytes_per_sec = 1e9
		elif .transport == "vmsplice" then .bytes_per_sec = (if .msg_bytes == 1048576 then 4e9 else 5e8 end)
		else . end)' "$Z" >"$T/x.json"
	expect_exit 0 "$IPCBENCH" plot "$T/x.json" -o "$T/c" --format svg
	f=$(chart "$T/c" cross)
	grep -q '^# index [0-9]*: crossovers' "$f" || fail "no crossover block"
	row=$(grep '"vmsplice passes pipe"' "$f") || fail "no crossover of vmsplice over pipe: $(grep -A20 crossovers "$f")"
	[ "$(grep -c '"vmsplice passes pipe"\|"pipe passes vmsplice"' "$f")" -eq 1 ] || fail "vmsplice and pipe cross more than once"
	x=$(echo "$row" | awk '{print $1}')
	y=$(echo "$row" | awk '{print $2}')
	awk -v x="$x" -v y="$y" 'BEGIN {w = 65536 * exp(log(16) / 3); exit !((x - w) ^ 2 < (w * 1e-6) ^ 2 && (y - 1e9) ^ 2 < 1)}' ||
		fail "the crossover is at $x B, $y B/s; want 165141 B, 1e9 B/s"
	grep -q "with points ls 209 title 'crossover'" "${f%.dat}.gp" || fail "crossovers are not drawn"
	grep -q "with labels" "${f%.dat}.gp" || fail "crossovers are not labelled"
}

t_report_has_the_figure_and_its_caption() {
	need_gnuplot
	expect_exit 0 "$IPCBENCH" report "$Z" -o "$T/r.html"
	h="$T/r.html"
	grep -q '<h2 id="k[0-9]*">Zero-copy against the copy floor</h2>' "$h" || fail "no zero-copy section"
	grep -q '<li><a href="#k[0-9]*">Zero-copy against the copy floor</a></li>' "$h" || fail "not in the contents"
	for rel in same cross; do
		grep -q "<figure id=\"zerocopy-throughput-vs-size-$rel\">" "$h" || fail "no $rel figure"
	done
	cap=$(grep -A1000 '<figure id="zerocopy-throughput-vs-size-cross">' "$h" | grep -m1 '<figcaption>')
	for want in "Zero-copy and rings against the copy floor" "The horizontal lines are copy floors from the same run&#39;s calibration" \
		"shm copy, black" "memcpy on one CPU" "Circles mark crossovers" \
		"The floors were measured by the same run, at its start ($(jq -r .context.calibration.measured_at "$Z"), CPUs $(jq -r .context.calibration.cpus "$Z"))."; do
		case $cap in *"$want"*) ;; *) fail "the caption lacks '$want': $cap" ;; esac
	done
	grep -q '<figure id="zerocopy-throughput-vs-size-cross">' "$h" &&
		grep -A2 '<figure id="zerocopy-throughput-vs-size-cross">' "$h" | grep -q '<svg' || fail "the figure has no inline SVG"
	# floors that were not this run's say so
	jq '.context.calibration.from_cache = true' "$Z" >"$T/cached.json"
	expect_exit 0 "$IPCBENCH" report "$T/cached.json" -o "$T/c.html"
	grep -q 'The floors were cached from an earlier calibration (measured [^)]*), not measured by this run.' "$T/c.html" ||
		fail "a cached calibration passes for this run's"
	jq '.context.calibration = null' "$Z" >"$T/nocal.json"
	expect_exit 0 "$IPCBENCH" report "$T/nocal.json" -o "$T/n.html"
	grep -q 'No floor lines: the run was not calibrated.' "$T/n.html" || fail "an uncalibrated run's caption does not say so"
}

# zc_files DIR: the zero-copy charts' files written there
zc_files() { (cd "$1" && ls -1 | grep '^zerocopy-' | tr '\n' ' '); }

# absent FILTER WHY: no zero-copy chart for the cells jq FILTER keeps of $Z
absent() {
	jq ".results |= map(select($1))" "$Z" >"$T/f.json"
	rm -rf "$T/a"
	expect_exit 0 "$IPCBENCH" plot "$T/f.json" -o "$T/a" --format svg
	[ -z "$(zc_files "$T/a")" ] || fail "$2: drawn anyway: $(zc_files "$T/a")"
}

t_absent_unless_two_transports_have_two_sizes() {
	need_gnuplot
	absent '.transport == "pipe"' "one transport"
	absent '.msg_bytes == 4096' "two sizes for nobody"
	absent '.transport == "cma" or (.transport == "memfd" and .msg_bytes == 65536)' "only cma has two sizes"
	jq '.results |= map(if .transport != "shm_ring" then . else .transport = "unix" end)' "$Z" >"$T/u.json"
	jq '.results |= map(select(.transport == "pipe" or .transport == "unix"))' "$T/u.json" >"$T/pu.json"
	expect_exit 0 "$IPCBENCH" plot "$T/pu.json" -o "$T/u" --format svg
	[ -z "$(zc_files "$T/u")" ] || fail "a transport outside the six counted: $(zc_files "$T/u")"
	jq '.results |= map(select(.transport == "pipe" or .transport == "memfd") |
		if .transport == "memfd" then .status = "error" else . end)' "$Z" >"$T/err.json"
	expect_exit 0 "$IPCBENCH" plot "$T/err.json" -o "$T/e" --format svg
	[ -z "$(zc_files "$T/e")" ] || fail "failed cells counted: $(zc_files "$T/e")"
	# the boundary: two transports with two sizes each, in the cross placement alone
	jq '.results |= map(select((.transport == "cma" or .transport == "shm_spin") and .msg_bytes != 4096 and
		.placement.relation == "cross"))' "$Z" >"$T/two.json"
	expect_exit 0 "$IPCBENCH" plot "$T/two.json" -o "$T/two" --format svg
	[ "$(zc_files "$T/two")" = "zerocopy-throughput-vs-size-cross.dat zerocopy-throughput-vs-size-cross.gp zerocopy-throughput-vs-size-cross.svg " ] ||
		fail "two transports at two sizes, cross only: $(zc_files "$T/two")"
}

t_nothing_else_in_plot_changes() {
	need_gnuplot
	E="$SRC/results/example/result.json"
	expect_exit 0 "$IPCBENCH" plot "$E" -o "$T/c" --format svg
	expected_charts "$E" >"$T/names"
	# the example run has pipe, shm_ring and shm_spin at four sizes in both placements
	[ "$(grep -c '^zerocopy-' "$T/names")" -eq 2 ] || fail "the rule expects no zero-copy chart for the example"
	while read -r n; do printf '%s.dat\n%s.gp\n%s.svg\n' "$n" "$n" "$n"; done <"$T/names" | sort >"$T/want"
	(cd "$T/c" && ls -1 | sort) >"$T/got"
	cmp -s "$T/want" "$T/got" || fail "the file list differs: $(diff "$T/want" "$T/got" | tr '\n' ' ')"
	n=$(($(wc -l <"$T/want") / 3))
	grep -q "^$n charts in" "$T/out" || fail "plot says $(cat "$T/out"), $n charts expected"
	check_floors "$E" "$T/c"
}

run_tests
