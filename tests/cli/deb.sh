#!/bin/sh
# debian/: `dpkg-buildpackage -us -uc -b` in a copy of the tree builds a
# .deb holding the binary, the templates, the man page and the completion,
# with the shared libraries it links as Depends and gnuplot as Recommends;
# lintian finds no error; unpacked into a scratch root, the binary runs and
# finds its templates.  Skipped, with the reason, without the tools.
. "$(dirname "$0")/lib.sh"

SRC=${IPCB_SRCDIR:-.}

t_deb_builds_and_holds_the_tool() {
	for tool in dpkg-buildpackage dh dpkg-deb; do
		command -v $tool >/dev/null 2>&1 || skip "$tool is missing (apt-get install dpkg-dev debhelper)"
	done
	mkdir "$T/b" "$T/b/ipcbench"
	# the tracked and new files, not the build directories
	(cd "$SRC" && git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build -prune -o -type f -print) |
		grep -v '^build' | (cd "$SRC" && tar -cf - -T -) | tar -C "$T/b/ipcbench" -xf - || fail "copying the tree failed"
	(cd "$T/b/ipcbench" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
		dpkg-buildpackage -us -uc -b >"$T/log" 2>&1) || fail "dpkg-buildpackage failed: $(tail -n 8 "$T/log")"
	deb=$(ls "$T"/b/ipcbench_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || fail "no .deb was built"
	dpkg-deb -c "$deb" | awk '{print $6}' >"$T/files"
	for f in ./usr/bin/ipcbench ./usr/share/man/man1/ipcbench.1.gz ./usr/share/bash-completion/completions/ipcbench \
		./usr/share/ipcbench/style.gp ./usr/share/ipcbench/summary.gp ./usr/share/doc/ipcbench/copyright; do
		grep -qx "$f" "$T/files" || fail "the .deb lacks $f"
	done
	dpkg-deb -f "$deb" Depends | grep -q 'libjansson4' || fail "Depends lacks libjansson4: $(dpkg-deb -f "$deb" Depends)"
	dpkg-deb -f "$deb" Depends | grep -q 'zlib1g' || fail "Depends lacks zlib1g"
	dpkg-deb -f "$deb" Recommends | grep -q 'gnuplot' || fail "gnuplot is not recommended"
	if command -v lintian >/dev/null 2>&1; then
		lintian "$deb" >"$T/lint" 2>&1
		! grep -q '^E:' "$T/lint" || fail "lintian: $(grep '^E:' "$T/lint" | head -n 3)"
	fi
	dpkg-deb -x "$deb" "$T/root" || fail "the .deb does not unpack"
	"$T/root/usr/bin/ipcbench" --version | grep -q '^ipcbench 0.1.0' || fail "the packaged binary does not run"
	strings "$T/root/usr/bin/ipcbench" | grep -qx /usr/share/ipcbench || fail "the binary does not look in /usr/share/ipcbench"
}

run_tests
