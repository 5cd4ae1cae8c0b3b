#!/bin/sh
# The captions of `ipcbench report`: a chart's caption is its title, its
# section's caption and the note of that chart alone, nothing more.  Only
# the zero-copy chart has a note; every other caption ends with its
# section's sentence (a chart's note was left uninitialised, and the
# report printed whatever bytes the memory held).
. "$(dirname "$0")/lib.sh"

chart_suite captiontest

# captions FILE: "ID<TAB>CAPTION" for every figure of the report
captions() {
	awk '/^<figure id="/ { id = $0; sub(/^<figure id="/, "", id); sub(/".*/, "", id) }
		/<figcaption>/ { c = $0; sub(/.*<figcaption>/, "", c); sub(/<\/figcaption>.*/, "", c); print id "\t" c }' "$1"
}

t_captions_hold_no_stray_bytes() {
	need_gnuplot
	# a second file makes more charts, so the list of charts grows in memory more than once
	jq '.results |= map(select(.msg_bytes == 64))' "$SRC/results/example/result.json" >"$T/r64.json" ||
		fail "cannot read results/example/result.json"
	for run in 1 2 3; do
		expect_exit 0 "$IPCBENCH" report "$SRC/results/example/result.json" "$T/r64.json" -o "$T/report.html"
		captions "$T/report.html" >"$T/captions"
		[ "$(wc -l <"$T/captions")" -ge 10 ] || fail "only $(wc -l <"$T/captions") captions in the report"
		bad=$(LC_ALL=C grep -n '[^[:print:]	]' "$T/captions" | head -n 3)
		[ -z "$bad" ] || fail "run $run: bytes that are not text in a caption: $bad"
		bad=$(grep -v '^zerocopy-' "$T/captions" | grep -v '\.$' | head -n 3)
		[ -z "$bad" ] || fail "run $run: a caption runs on after its sentence: $bad"
	done
}

run_tests
