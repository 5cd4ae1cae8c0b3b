#!/bin/sh
# The HTML report in headless Chromium (Debian's chromium): fails on any
# console message the report causes, on a broken <img> and on an inline
# SVG chart that renders empty; saves a screenshot and prints it to PDF
# (kept in $IPCB_BROWSER_OUT when set).  Skipped, with the reason, without
# chromium or gnuplot.
. "$(dirname "$0")/lib.sh"

chart_suite browser

browser() {
	for b in chromium chromium-browser google-chrome; do
		command -v $b >/dev/null 2>&1 && { echo $b; return 0; }
	done
	return 1
}

# chrome ARGS...: headless, no sandbox (root in CI), logging console messages to stderr
chrome() {
	timeout 90 "$B" --headless --no-sandbox --disable-gpu --no-first-run --allow-file-access-from-files \
		--enable-logging=stderr --v=0 --virtual-time-budget=5000 --window-size=1200,1600 "$@"
}

# a page that loads the report in a frame and writes what it found into the DOM
write_probe() {
	cat >"$1" <<HTML
<html><body><pre id="result">pending</pre>
<iframe id="f" src="$2" style="width:1200px;height:1600px"></iframe>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, out = [], broken = [], empty = 0;
  if (!d) { document.getElementById('result').textContent = 'PROBE noaccess'; return; }
  for (var i = 0; i < d.images.length; i++)
    if (!d.images[i].complete || d.images[i].naturalWidth === 0) broken.push(d.images[i].src.slice(0, 80));
  var svgs = d.getElementsByTagName('svg');
  for (var j = 0; j < svgs.length; j++) {
    var r = svgs[j].getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0) || svgs[j].childElementCount === 0) empty++;
  }
  document.getElementById('result').textContent = 'PROBE images=' + d.images.length + ' broken=' + broken.length +
    ' svgs=' + svgs.length + ' empty=' + empty + ' ' + broken.join(' ');
};
</script></body></html>
HTML
}

t_report_in_chromium() {
	B=$(browser) || skip "chromium is not installed (apt-get install chromium)"
	need_gnuplot
	"$IPCBENCH" run -t pipe,socketpair -s 64,4k -n 300 -w 10 --cpus 0,0 --no-calibrate -q -o "$T/r.json" >"$T/log" 2>&1 ||
		fail "the run failed: $(tail -n 3 "$T/log")"
	expect_exit 0 "$IPCBENCH" report "$T/r.json" -o "$T/report.html"
	write_probe "$T/probe.html" report.html
	chrome --dump-dom "file://$T/probe.html" >"$T/dom" 2>"$T/console"
	probe=$(grep -o 'PROBE [^<]*' "$T/dom" | grep -v "' +" | head -n 1)
	case "$probe" in
	"PROBE images="*" broken=0 svgs="*" empty=0 "*) ;;
	*) fail "the probe found: ${probe:-nothing} ($(head -c 300 "$T/console"))" ;;
	esac
	svgs=$(echo "$probe" | sed 's/.* svgs=\([0-9]*\).*/\1/')
	[ "$svgs" -gt 0 ] || fail "the report has no chart"
	if grep 'CONSOLE' "$T/console" | grep -v 'probe.html' >"$T/msgs"; then
		fail "console messages: $(head -c 400 "$T/msgs")"
	fi
	chrome --screenshot="$T/report.png" "file://$T/report.html" >/dev/null 2>"$T/shot.log" || fail "no screenshot"
	[ -s "$T/report.png" ] || fail "the screenshot is empty"
	chrome --print-to-pdf="$T/report.pdf" --no-pdf-header-footer "file://$T/report.html" >/dev/null 2>"$T/pdf.log" ||
		fail "printing to PDF failed"
	head -c 5 "$T/report.pdf" | grep -q '%PDF-' || fail "the PDF is not a PDF"
	if [ -n "${IPCB_BROWSER_OUT:-}" ]; then
		mkdir -p "$IPCB_BROWSER_OUT" && cp "$T/report.png" "$T/report.pdf" "$IPCB_BROWSER_OUT/"
	fi
	return 0
}

t_the_probe_sees_breakage() {
	B=$(browser) || skip "chromium is not installed (apt-get install chromium)"
	printf '<html><body><img src="missing.png"><svg></svg><script>console.error("boom")</script></body></html>' >"$T/bad.html"
	write_probe "$T/probe.html" bad.html
	chrome --dump-dom "file://$T/probe.html" >"$T/dom" 2>"$T/console"
	grep -q 'PROBE images=1 broken=1 svgs=1 empty=1' "$T/dom" || fail "the probe missed the broken image: $(grep -o 'PROBE [^<]*' "$T/dom")"
	grep 'CONSOLE' "$T/console" | grep -q boom || fail "the console error was not seen"
}

run_tests
