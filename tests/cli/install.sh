#!/bin/sh
# `make install PREFIX= DESTDIR=` into a scratch root: the binary, the
# gnuplot templates (which the installed binary finds by itself), the man
# page and the completion; `make uninstall` removes exactly those and
# leaves what else is there.  Builds in a scratch BUILDDIR, so the tree's
# own build is not rebuilt for the other PREFIX.
. "$(dirname "$0")/lib.sh"

SRC=${IPCB_SRCDIR:-.}

t_install_uninstall() {
	command -v make >/dev/null 2>&1 || skip "make is not installed"
	D=$T/root
	make -C "$SRC" -s BUILDDIR="$T/build" PREFIX=/opt/ipcb DESTDIR="$D" install >"$T/log" 2>&1 ||
		fail "make install failed: $(tail -n 5 "$T/log")"
	for f in bin/ipcbench share/man/man1/ipcbench.1 share/bash-completion/completions/ipcbench \
		share/ipcbench/style.gp share/ipcbench/latency-by-percentile.gp; do
		[ -f "$D/opt/ipcb/$f" ] || fail "not installed: $f"
	done
	[ -x "$D/opt/ipcb/bin/ipcbench" ] || fail "the binary is not executable"
	ngp=$(ls "$SRC"/scripts/*.gp | wc -l)
	[ "$(ls "$D/opt/ipcb/share/ipcbench" | wc -l)" -eq "$ngp" ] || fail "not every template is installed"
	# the installed binary was built for PREFIX: its templates are found without IPCBENCH_DATADIR
	strings "$D/opt/ipcb/bin/ipcbench" | grep -qx /opt/ipcb/share/ipcbench || fail "the binary does not know its DATADIR"
	touch "$D/opt/ipcb/bin/other"
	make -C "$SRC" -s BUILDDIR="$T/build" PREFIX=/opt/ipcb DESTDIR="$D" uninstall >"$T/log" 2>&1 ||
		fail "make uninstall failed: $(tail -n 5 "$T/log")"
	left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
	[ "$left" = "./opt/ipcb/bin/other " ] || fail "after uninstall: $left"
	[ ! -d "$D/opt/ipcb/share/ipcbench" ] || fail "the empty DATADIR was kept"
}

run_tests
