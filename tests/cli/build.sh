#!/bin/sh
# The build is honest: a change of compiler flags rebuilds every object
# (the flag files $(BUILDDIR)/BUILD-CFLAGS and BUILD-LDFLAGS), an unchanged
# build rebuilds nothing, the build_flags a result records are the flags
# the objects were built with, and make install/uninstall say when they
# fail and remove exactly what they installed.
#
# Fast: the build under test ($IPCBENCH's directory) is copied, timestamps
# and all, to a scratch BUILDDIR, and only the binary is rebuilt there once
# with CFLAGS=-O1 (the copy's objects were built with other flags, so every
# one of them must be compiled again).
. "$(dirname "$0")/lib.sh"

SRC=${IPCB_SRCDIR:-.}
BUILT=$(dirname "$IPCBENCH")
# the outer make's command line (BUILDDIR, SANITIZE...) must not reach ours
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS LDFLAGS SANITIZE WERROR V
S=$(mktemp -d "${TMPDIR:-/tmp}/ipcb-buildtest.XXXXXX")
trap 'rm -rf "$S"' EXIT
B="$S/b"
SETUP=""
if ! command -v make >/dev/null 2>&1 || [ ! -f "$SRC/Makefile" ] || [ ! -d "$BUILT/obj" ]; then
	SETUP="no make, no Makefile in $SRC or no built objects in $BUILT"
else
	mkdir "$B"
	cp -a "$BUILT/obj" "$BUILT/gen" "$B/" && cp -a "$BUILT"/BUILD-* "$B/" 2>/dev/null
	touch "$S/before"
	make -C "$SRC" -j2 BUILDDIR="$B" CFLAGS=-O1 "$B/ipcbench" >"$S/make1.log" 2>&1 ||
		SETUP="make CFLAGS=-O1 failed: $(tail -n 3 "$S/make1.log")"
fi

need_setup() {
	[ -z "$SETUP" ] || { case "$SETUP" in no\ *) skip "$SETUP" ;; *) fail "$SETUP" ;; esac; }
}

# lib_objects: the objects of the binary (not the tests') under $B/obj whose
# source still exists (a build directory may keep objects of removed files)
lib_objects() {
	find "$B/obj" -name '*.o' ! -path "$B/obj/tests/*" | while read -r o; do
		src=${o#"$B/obj/"}
		[ -f "$SRC/${src%.o}.c" ] && echo "$o"
	done
}

t_new_cflags_rebuild_every_object() {
	need_setup
	n=$(lib_objects | wc -l)
	srcs=$(cd "$SRC" && ls common/*.c harness/*.c harness/*/*.c transports/*.c bench/*.c | wc -l)
	[ "$n" -eq "$srcs" ] || fail "$n objects for $srcs sources"
	stale=$(lib_objects | while read -r o; do [ "$o" -nt "$S/before" ] || echo "$o"; done)
	[ -z "$stale" ] || fail "not rebuilt with CFLAGS=-O1: $(echo "$stale" | head -n 3)"
	[ "$B/ipcbench" -nt "$S/before" ] || fail "the binary was not relinked"
	grep -q -- ' -O1' "$B/BUILD-CFLAGS" || fail "BUILD-CFLAGS does not hold -O1: $(cat "$B/BUILD-CFLAGS")"
	! grep -q -- '-O2' "$B/BUILD-CFLAGS" || fail "BUILD-CFLAGS still holds -O2"
}

t_result_records_the_real_flags() {
	need_setup
	expect_exit 0 "$B/ipcbench" run -t pipe -s 64 -n 200 --cpus 0,0 --no-calibrate -q -o "$T/r.json"
	flags=$(jq -r .tool.build_flags "$T/r.json")
	[ "$flags" = "-g -O1" ] || fail "build_flags is '$flags', the objects were built with -g -O1"
}

t_unchanged_flags_rebuild_nothing() {
	need_setup
	touch "$T/mark"
	make -C "$SRC" -j2 BUILDDIR="$B" CFLAGS=-O1 "$B/ipcbench" >"$T/make.log" 2>&1 || fail "make failed"
	! grep -q '  CC  \|  LD  \|FLAGS' "$T/make.log" || fail "an unchanged build did work: $(head -n 3 "$T/make.log")"
	newer=$(find "$B" -newer "$T/mark" -type f | head -n 3)
	[ -z "$newer" ] || fail "an unchanged build rewrote: $newer"
}

t_new_ldflags_relink_only() {
	need_setup
	touch "$T/mark"
	make -C "$SRC" -j2 BUILDDIR="$B" CFLAGS=-O1 LDFLAGS=-Wl,-O1 "$B/ipcbench" >"$T/make.log" 2>&1 ||
		fail "make failed: $(tail -n 3 "$T/make.log")"
	[ "$B/ipcbench" -nt "$T/mark" ] || fail "a change of LDFLAGS did not relink"
	rebuilt=$(lib_objects | while read -r o; do [ "$o" -nt "$T/mark" ] && echo "$o"; done)
	[ -z "$rebuilt" ] || fail "a change of LDFLAGS recompiled: $(echo "$rebuilt" | head -n 3)"
}

# What the compiler and the result would get, without building: every
# compile has the user's -O3 last and no -O2; build_flags says so too.
t_dry_run_flags_agree() {
	need_setup
	make -C "$SRC" -n BUILDDIR="$B" CFLAGS=-O3 SANITIZE=address "$B/ipcbench" >"$T/n.log" 2>&1 || fail "make -n failed"
	grep ' -c -o ' "$T/n.log" >"$T/cc.log" || fail "make -n shows no compile"
	n=$(wc -l <"$T/cc.log")
	[ "$n" -eq "$(lib_objects | wc -l)" ] || fail "$n compiles for $(lib_objects | wc -l) objects"
	! grep -q -- '-O2' "$T/cc.log" || fail "a compile with -O2 under CFLAGS=-O3"
	want="-DIPCB_BUILD_FLAGS='\"-g -fsanitize=address -fno-omit-frame-pointer -fno-sanitize-recover=all -O3\"'"
	bad=$(grep -v -F -- "$want" "$T/cc.log" | head -n 1)
	[ -z "$bad" ] || fail "a compile that does not record its flags: $bad"
}

# make install puts the binary and the chart templates under DESTDIR;
# make uninstall removes exactly those, and leaves what others put there.
t_install_uninstall_exactly() {
	need_setup
	d="$T/dest"
	make -C "$SRC" BUILDDIR="$B" CFLAGS=-O1 DESTDIR="$d" install >"$T/i.log" 2>&1 ||
		fail "make install failed: $(tail -n 3 "$T/i.log")"
	grep -q '  CC  ' "$T/i.log" && fail "install rebuilt objects"
	ngp=$(ls "$SRC"/scripts/*.gp | wc -l)
	[ -x "$d/usr/local/bin/ipcbench" ] || fail "no ipcbench in $d/usr/local/bin"
	[ "$(ls "$d/usr/local/share/ipcbench" | wc -l)" -eq "$ngp" ] || fail "not the $ngp templates in share/ipcbench"
	"$d/usr/local/bin/ipcbench" --help >/dev/null 2>&1 || fail "the installed binary does not run"
	make -C "$SRC" BUILDDIR="$B" CFLAGS=-O1 DESTDIR="$d" uninstall >"$T/u.log" 2>&1 || fail "make uninstall failed"
	left=$(find "$d" -type f)
	[ -z "$left" ] || fail "uninstall left: $left"
	[ ! -e "$d/usr/local/share/ipcbench" ] || fail "uninstall left an empty share/ipcbench"
	# someone else's file in DATADIR survives, and so does DATADIR
	make -C "$SRC" BUILDDIR="$B" CFLAGS=-O1 DESTDIR="$d" install >"$T/i.log" 2>&1 || fail "make install failed"
	echo mine >"$d/usr/local/share/ipcbench/local.gp"
	make -C "$SRC" BUILDDIR="$B" CFLAGS=-O1 DESTDIR="$d" uninstall >"$T/u.log" 2>&1 || fail "make uninstall failed"
	[ "$(find "$d" -type f)" = "$d/usr/local/share/ipcbench/local.gp" ] || fail "uninstall removed too much or too little"
}

# A template that cannot be installed (its place is taken by a directory)
# fails the install, with the reason on stderr.
t_install_fails_loudly() {
	need_setup
	d="$T/dest"
	gp=$(basename "$(ls "$SRC"/scripts/*.gp | head -n 1)")
	mkdir -p "$d/usr/local/share/ipcbench/$gp/x"
	if make -C "$SRC" BUILDDIR="$B" CFLAGS=-O1 DESTDIR="$d" install >"$T/i.log" 2>&1; then
		fail "make install succeeded although $gp could not be installed"
	fi
	grep -q "$gp" "$T/i.log" || fail "the failure does not name $gp: $(tail -n 2 "$T/i.log")"
}

run_tests
