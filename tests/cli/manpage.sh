#!/bin/sh
# man/ipcbench.1 against the binary: every subcommand of `ipcbench --help`
# has its section, every option each subcommand's --help lists is in that
# section and every option the section lists is in --help; man renders it
# without a warning.
. "$(dirname "$0")/lib.sh"

MAN=${IPCB_SRCDIR:-.}/man/ipcbench.1

commands() { "$IPCBENCH" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'; }
# the option words (-x, --long) of a help or man text's option lines, one a line
opt_words() { grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | tr -d ' ,' | sort -u; }
help_opts() { "$IPCBENCH" "$1" --help | grep -E '^ {2,8}-' | sed -E 's/^ +//; s/  .*//' | opt_words; }
man_section() { awk -v s=".SS \"ipcbench $1\"" '$0 == s { on = 1; next } on && /^\.S[SH] / { exit } on' "$MAN"; }
man_opts() { man_section "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' | sed 's/\\-/-/g; s/\\f[BIRP]//g' | grep '^-' | opt_words; }

t_every_command_has_a_section() {
	[ -f "$MAN" ] || fail "$MAN is missing"
	for c in $(commands); do
		[ -n "$(man_section "$c")" ] || fail "the man page has no section for 'ipcbench $c'"
	done
	for c in $(sed -n 's/^\.SS "ipcbench \(.*\)"$/\1/p' "$MAN"); do
		commands | grep -qx "$c" || fail "the man page describes 'ipcbench $c', which --help does not list"
	done
}

t_options_match_help() {
	n=0
	for c in $(commands); do
		help_opts "$c" >"$T/h"
		man_opts "$c" >"$T/m"
		[ -s "$T/h" ] || fail "no options found in 'ipcbench $c --help'"
		only_help=$(comm -23 "$T/h" "$T/m" | tr '\n' ' ')
		only_man=$(comm -13 "$T/h" "$T/m" | tr '\n' ' ')
		[ -z "$only_help" ] || fail "ipcbench $c: --help lists $only_help which the man page does not"
		[ -z "$only_man" ] || fail "ipcbench $c: the man page lists $only_man which --help does not"
		n=$((n + $(wc -l <"$T/h")))
	done
	[ "$n" -gt 40 ] || fail "only $n options found: the extraction is broken"
}

t_the_check_can_fail() {
	# a man page that lost an option must be caught: the same extraction on a copy without --seed
	grep -v 'seed' "$MAN" >"$T/cut.1"
	MAN=$T/cut.1
	help_opts run >"$T/h"
	man_opts run >"$T/m"
	[ "$(comm -23 "$T/h" "$T/m")" = "--seed" ] || fail "removing --seed from the man page went unnoticed"
}

t_man_renders_cleanly() {
	command -v man >/dev/null 2>&1 || skip "man is not installed"
	MANWIDTH=80 man --warnings=w -l "$MAN" >"$T/out" 2>"$T/err" || fail "man failed: $(head -n 3 "$T/err")"
	grep -v 'cannot adjust line' "$T/err" >"$T/warn" || true
	[ ! -s "$T/warn" ] || fail "man warns: $(head -n 3 "$T/warn")"
	grep -q 'ipcbench export' "$T/out" || fail "the rendered page lacks the export section"
}

run_tests
