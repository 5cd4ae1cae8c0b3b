#!/bin/sh
# completion/ipcbench in bash: `complete -p` names its function, and
# simulated COMP_WORDS get the subcommands, each subcommand's options, the
# registry's transports (from `ipcbench list --names`, the binary being
# completed) and the values of the options that have a fixed set.
. "$(dirname "$0")/lib.sh"

COMP=${IPCB_SRCDIR:-.}/completion/ipcbench

# complete WORD...: what bash completion offers for the last word of "ipcbench WORD...", one a line
complete_words() {
	bash -c '
		. "$1" || exit 1
		shift
		f=$(complete -p ipcbench | sed -n "s/.*-F \([^ ]*\) ipcbench$/\1/p")
		[ -n "$f" ] || { echo "complete -p ipcbench: no function" >&2; exit 1; }
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$f" ipcbench "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$COMP" "$IPCBENCH" "$@"
}

need_bash() { command -v bash >/dev/null 2>&1 || skip "bash is not installed"; }

t_subcommands() {
	need_bash
	complete_words "" >"$T/c" || fail "completion failed"
	for c in run list compare calibrate clean plot report hist export; do
		grep -qx "$c" "$T/c" || fail "'$c' is not offered: $(tr '\n' ' ' <"$T/c")"
	done
	[ "$(complete_words ex)" = export ] || fail "'ex' does not complete to export"
}

t_transports_from_the_registry() {
	need_bash
	"$IPCBENCH" list --names | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -gt 5 ] || fail "list --names gave too few transports"
	complete_words run -t "" | sort >"$T/got"
	cmp -s "$T/want" "$T/got" || fail "run -t offers: $(tr '\n' ' ' <"$T/got")"
	complete_words run --transport pipe,so | grep -qx 'pipe,socketpair' || fail "no completion after a comma"
	complete_words list -t pi | grep -qx pipe || fail "list -t pi does not offer pipe"
}

t_options_of_each_subcommand() {
	need_bash
	for c in run list compare calibrate clean plot report hist export; do
		"$IPCBENCH" "$c" --help | grep -E '^ {2,8}-' | sed -E 's/^ +//; s/  .*//' |
			grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | tr -d ' ,' | sort -u >"$T/want"
		complete_words "$c" - | sort >"$T/got"
		cmp -s "$T/want" "$T/got" || fail "$c: offered $(tr '\n' ' ' <"$T/got") for $(tr '\n' ' ' <"$T/want")"
	done
	[ "$(complete_words run --hg)" = --hgrm ] || fail "run --hg does not complete to --hgrm"
}

t_option_values() {
	need_bash
	[ "$(complete_words run -p st)" = stream ] || fail "run -p st"
	[ "$(complete_words run -p pingpong,r)" = pingpong,rate ] || fail "run -p pingpong,r"
	[ "$(complete_words run --wait b)" = block ] || fail "run --wait b"
	[ "$(complete_words export -f open)" = openmetrics ] || fail "export -f open"
	[ "$(complete_words export r.json --metric t)" = throughput ] || fail "export --metric t"
	[ "$(complete_words compare a b --correction h)" = holm ] || fail "compare --correction h"
	[ "$(complete_words plot r.json --format s)" = svg ] || fail "plot --format s"
	mkdir "$T/resdir" && touch "$T/result.json"
	complete_words report "$T/res" | grep -qx "$T/result.json" || fail "report does not complete files"
	[ "$(complete_words run --hgrm "$T/resd")" = "$T/resdir" ] || fail "--hgrm does not complete directories"
	[ -z "$(complete_words run -n 1)" ] || fail "run -n offers words for a number"
}

run_tests
