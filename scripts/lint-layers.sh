#!/bin/sh
# scripts/lint-layers.sh - the house rules a compiler does not check
# (`make lint` runs it after cppcheck).  Prints "file:line: rule" for each
# breach and exits 1 when there is one, 0 when there is none.
#
# Layers (docs: the README's layout; quoted includes, full paths from the
# repository root):
#   harness/hdr/, harness/analysis/  never include the engine (harness/*.h)
#                                    or transports/
#   harness/hdr/                     never includes harness/analysis/
#   transports/                      never include harness/ or bench/
#   common/                          includes nothing outside common/
#   bench/ headers                   are included by bench/ only
# tests/ may include whatever layer it tests; the banned calls apply to it
# as to every source: strcpy, strcat, sprintf, atoi, atol, gets, signal(
# (use snprintf, checked strtol/strtoull, fgets, sigaction).  Comments and
# string literals are not code: they are ignored.
#
# Usage: sh scripts/lint-layers.sh [FILE...]   (default: every .c and .h
# under common/ bench/ harness/ transports/ tests/)
set -u
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
	set -- $(find common bench harness transports tests -name '*.[ch]' 2>/dev/null | LC_ALL=C sort)
fi
[ $# -eq 0 ] && exit 0

awk '
FNR == 1 { in_comment = 0 }

# The line without comments, string and character literals (kept as "" and
# '' so that what follows stays where it was); in_comment carries a /* */
# over lines.
function code_of(s,    out, i, c, n, q) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (in_comment) {
			if (c == "*" && substr(s, i + 1, 1) == "/") {
				in_comment = 0
				i++
			}
			continue
		}
		if (c == "/" && substr(s, i + 1, 1) == "*") {
			in_comment = 1
			i++
			out = out " "
			continue
		}
		if (c == "/" && substr(s, i + 1, 1) == "/")
			break
		if (c == "\"" || c == "\047") {
			q = c
			for (i++; i <= n; i++) {
				c = substr(s, i, 1)
				if (c == "\\") {
					i++
					continue
				}
				if (c == q)
					break
			}
			out = out q q
			continue
		}
		out = out c
	}
	return out
}

function report(rule) {
	printf "%s:%d: %s\n", FILENAME, FNR, rule
	bad = 1
}

function check_include(f, p) {
	if (f !~ /^tests\// && f !~ /^bench\// && p ~ /^bench\//)
		report("only bench/ includes bench/ headers: \"" p "\"")
	if (f ~ /^harness\/(hdr|analysis)\//) {
		if (p ~ /^harness\/[^\/]+$/)
			report("harness/hdr and harness/analysis never include the engine: \"" p "\"")
		if (p ~ /^transports\//)
			report("harness/hdr and harness/analysis never include transports/: \"" p "\"")
	}
	if (f ~ /^harness\/hdr\// && p ~ /^harness\/analysis\//)
		report("harness/hdr never includes harness/analysis: \"" p "\"")
	if (f ~ /^transports\// && p ~ /^(harness|bench)\//)
		report("transports never include harness/ or bench/: \"" p "\"")
	if (f ~ /^common\// && p !~ /^common\//)
		report("common/ includes nothing outside common/: \"" p "\"")
}

{
	raw = $0
	was_comment = in_comment
	code = code_of(raw)
	if (!was_comment && match(raw, /^[ \t]*#[ \t]*include[ \t]*"[^"]*"/)) {
		p = substr(raw, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", p)
		sub(/"$/, "", p)
		check_include(FILENAME, p)
	}
	banned_calls(code)
}

# Reports the first call of a banned function in the code of a line; a
# member called through . or -> (ops->signal()) is not the libc function.
function banned_calls(code,    rest, name, pre, at) {
	rest = code
	while (match(rest, /(strcpy|strcat|sprintf|atoi|atol|gets|signal)[ \t]*\(/)) {
		at = RSTART
		name = substr(rest, RSTART, RLENGTH)
		sub(/[ \t]*\($/, "", name)
		pre = at > 1 ? substr(rest, at - 1, 1) : ""
		if (pre !~ /[A-Za-z0-9_.]/ && !(pre == ">" && at > 2 && substr(rest, at - 2, 1) == "-")) {
			if (name == "signal")
				report("banned call signal(): use sigaction")
			else
				report("banned call " name "(): use the bounded or checked form")
			return
		}
		rest = substr(rest, at + RLENGTH)
	}
}

END { exit bad }
' "$@"
