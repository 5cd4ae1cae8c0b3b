#!/bin/sh
# The report's "Which should I use?": derived from the result data, at most
# three mechanisms a need, ranked as the JSON's figures say at one size and
# one placement, no spinning mechanism where a CPU must not burn, a need
# without data saying so; the counters and underload table; the command
# row that names the subcommand.
. "$(dirname "$0")/lib.sh"

chart_suite advice

# One real run shared by the suite: ping-pong and stream, two sizes, two placements.
"$IPCBENCH" run -t pipe,unix,tcp,shm_ring,shm_spin,posix_mq -s 64,4k -p pingpong,stream --placement same,cross \
	-n 300 -w 10 --no-calibrate -q -o "$S/r.json" >"$S/log" 2>&1 ||
	setup_failed "the run failed: $(tail -n 3 "$S/log")"

# report JSON HTML: the report of JSON into HTML
report() {
	need_gnuplot
	"$IPCBENCH" report "$1" -o "$2" >"$T/out" 2>"$T/err" || fail "report failed: $(head -c 300 "$T/err")"
}

# need_rows HTML NEED: the lines of that need's tbody (of the first file)
need_rows() {
	sed -n "/<tbody class=\"need\" id=\"$2-0\"/,/<\/tbody>/p" "$1"
}

# picks HTML NEED ATTR: the attribute of each listed mechanism, best first
picks() {
	need_rows "$1" "$2" | grep '<tr class="pick"' | grep -o "data-$3=\"[^\"]*\"" | sed 's/^[^"]*"//; s/"$//'
}

# placement HTML NEED: the placement the need was ranked at
placement() {
	need_rows "$1" "$2" | grep -o 'data-placement="[^"]*"' | head -n 1 | sed 's/^[^"]*"//; s/"$//'
}

# expected JSON FILTER METRIC ORDER REL SIZE: jq's own ranking of the cells FILTER
# keeps at REL and SIZE (min or max): each transport's best METRIC, best first, three
expected() {
	jq -r --arg rel "$4" "[.results[] | select(.status == \"ok\" and .msg_bytes > 0 and $1)] as \$c |
		(\$c | map(.msg_bytes) | $5) as \$b |
		[\$c[] | select(.msg_bytes == \$b and .placement.relation == \$rel)] | group_by(.transport) |
		map(sort_by($2) | if \"$3\" == \"desc\" then last else first end) |
		sort_by($2) | if \"$3\" == \"desc\" then reverse else . end | .[:3][] | $2" "$6"
}

# metric_of JSON METRIC KEY...: each cell's METRIC, by key
metric_of() {
	f=$1 m=$2
	shift 2
	for k in "$@"; do
		jq -r --arg k "$k" ".results[] | select(.key == \$k) | $m" "$f"
	done
}

t_the_section_comes_first_with_every_need() {
	report "$S/r.json" "$T/r.html"
	a=$(grep -n 'id="advice"' "$T/r.html" | cut -d: -f1)
	m=$(grep -n '<h2 id="machine"' "$T/r.html" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$m" ] && [ "$a" -lt "$m" ] || fail "the advice section is not before the machine facts"
	grep -q 'Which should I use?' "$T/r.html" || fail "no heading"
	for n in need-lat-any need-lat-nospin need-bulk need-by-name need-network need-clients; do
		grep -q "<tbody class=\"need\" id=\"$n-0\"" "$T/r.html" || fail "need $n is missing"
		c=$(need_rows "$T/r.html" $n | grep -c '<tr class="pick"')
		[ "$c" -le 3 ] || fail "need $n lists $c mechanisms"
	done
	[ "$(picks "$T/r.html" need-lat-any transport | wc -l)" -eq 3 ] || fail "six transports but not three picks"
}

t_latency_ranks_follow_the_json() {
	report "$S/r.json" "$T/r.html"
	for n in need-lat-any need-lat-nospin; do
		rel=$(placement "$T/r.html" $n)
		[ -n "$rel" ] || fail "$n names no placement"
		filter='.pattern == "pingpong"'
		[ $n = need-lat-nospin ] && filter="$filter and .properties.spin == false and .wait != \"spin\""
		want=$(expected "$filter" .latency_ns.p50 asc "$rel" min "$S/r.json")
		# shellcheck disable=SC2046 # one key a word
		got=$(metric_of "$S/r.json" .latency_ns.p50 $(picks "$T/r.html" $n key))
		[ "$got" = "$want" ] || fail "$n at $rel: p50s $(echo "$got" | tr "\n" " ") but the JSON ranks $(echo "$want" | tr "\n" " ")"
		for k in $(picks "$T/r.html" $n key); do
			case "$k" in */64/"$rel":*) ;; *) fail "$n mixes $k into a $rel ranking at 64 B" ;; esac
		done
	done
}

t_bulk_ranks_bytes_per_sec_at_the_largest_size() {
	report "$S/r.json" "$T/r.html"
	rel=$(placement "$T/r.html" need-bulk)
	want=$(expected '.pattern == "stream"' .bytes_per_sec desc "$rel" max "$S/r.json")
	# shellcheck disable=SC2046
	got=$(metric_of "$S/r.json" .bytes_per_sec $(picks "$T/r.html" need-bulk key))
	[ -n "$got" ] && [ "$got" = "$want" ] || fail "bulk: $(echo "$got" | tr "\n" " ") but the JSON ranks $(echo "$want" | tr "\n" " ")"
	for k in $(picks "$T/r.html" need-bulk key); do
		case "$k" in */stream/4096/"$rel":*) ;; *) fail "bulk lists $k" ;; esac
	done
}

# A cell made the fastest by far, once as a spin transport and once with
# --wait spin: first at any CPU cost, absent without burning a CPU.
t_a_spinning_mechanism_never_ranks_without_burning_a_cpu() {
	jq '(.results[] | select(.transport == "shm_spin")) |= (.latency_ns.p50 = 1) |
		(.results[] | select(.transport == "pipe" and .pattern == "pingpong")) |=
		(.wait = "spin" | .key = (.key | sub("/block"; "/spin")) | .latency_ns.p50 = 2)' \
		"$S/r.json" >"$T/s.json"
	report "$T/s.json" "$T/s.html"
	[ "$(picks "$T/s.html" need-lat-any transport | head -n 2 | tr '\n' ' ')" = "shm_spin pipe " ] ||
		fail "at any cost: $(picks "$T/s.html" need-lat-any transport | tr '\n' ' ')"
	spinning=$(jq -r '.results[] | select(.properties.spin) | .transport' "$T/s.json" | sort -u)
	[ -n "$spinning" ] || fail "the run has no spin transport"
	for t in $(picks "$T/s.html" need-lat-nospin transport); do
		echo "$spinning" | grep -qx "$t" && fail "spin transport $t listed without burning a CPU"
		[ "$t" = pipe ] && fail "a --wait spin cell listed without burning a CPU"
	done
	[ "$(picks "$T/s.html" need-lat-nospin transport | wc -l)" -ge 1 ] || fail "nothing without spinning"
}

t_a_need_without_data_says_so() {
	jq 'del(.results[] | select(.pattern == "stream"))' "$S/r.json" >"$T/p.json"
	report "$T/p.json" "$T/p.html"
	need_rows "$T/p.html" need-bulk | grep -q '<tr class="none"><td colspan="11">no stream cells in this run' ||
		fail "bulk does not say it has no data"
	need_rows "$T/p.html" need-clients | grep -q 'no cells with several clients in this run' ||
		fail "many clients does not say it has no data"
	jq '(.results[].properties.by_name) = false' "$S/r.json" >"$T/n.json"
	report "$T/n.json" "$T/n.html"
	need_rows "$T/n.html" need-by-name | grep -q 'no transport of this run rendezvous by a name' ||
		fail "unrelated processes does not say none can"
	jq 'del(.results[].properties)' "$S/r.json" >"$T/o.json"
	report "$T/o.json" "$T/o.html"
	need_rows "$T/o.html" need-network | grep -q 'this result file predates the transports' ||
		fail "an older file does not say it has no properties"
	[ "$(picks "$T/o.html" need-lat-nospin transport | wc -l)" -eq 0 ] || fail "unknown spin ranked as not spinning"
}

t_properties_come_from_the_cells() {
	report "$S/r.json" "$T/r.html"
	row=$(need_rows "$T/r.html" need-network | grep -A1 '<tr class="pick"' | head -n 2)
	t=$(echo "$row" | grep -o 'data-transport="[^"]*"' | head -n 1 | sed 's/^[^"]*"//; s/"$//')
	json_check "[.results[] | select(.transport == \"$t\") | .properties.network] | all" "$S/r.json"
	echo "$row" | grep -q 'network: other hosts too' || fail "the reach column: $row"
	note=$(jq -r --arg t "$t" '[.results[] | select(.transport == $t)][0].limits.note' "$S/r.json")
	echo "$row" | grep -qF "Limits on this host: $note" || fail "the limits line lacks '$note'"
}

t_many_clients_rank_at_the_largest_count() {
	"$IPCBENCH" run -t unix,tcp,pipe -s 64 -n 200 -w 10 --cpus 0,1 --no-calibrate -q --clients 1,2 \
		-o "$T/c.json" >"$T/log" 2>&1 || fail "the run failed: $(tail -n 3 "$T/log")"
	report "$T/c.json" "$T/c.html"
	for k in $(picks "$T/c.html" need-clients key); do
		case "$k" in */clients=2) ;; *) fail "many clients lists $k" ;; esac
	done
	[ "$(picks "$T/c.html" need-clients key | wc -l)" -eq 2 ] || fail "unix and tcp serve two clients"
	want=$(jq -r '[.results[] | select(.status == "ok" and .clients == 2)] | sort_by(.round_trips_per_sec) |
		reverse | .[].key' "$T/c.json")
	[ "$(picks "$T/c.html" need-clients key)" = "$want" ] || fail "not ranked by round trips/s"
	# one client is the plain exchange: the latency needs rank it
	[ "$(picks "$T/c.html" need-lat-any key | grep -c 'clients=1$')" -ge 1 ] || fail "clients=1 not ranked"
}

t_counters_and_underload_are_shown() {
	"$IPCBENCH" run -t file,posix_mq:prio=1 -p pingpong,underload -s 64 -n 300 -w 10 --cpus 0,1 --no-calibrate \
		-q -o "$T/u.json" >"$T/log" 2>&1 || fail "the run failed: $(tail -n 3 "$T/log")"
	json_check '[.results[] | select(.status == "ok" and .underload != null)] | length == 1' "$T/u.json"
	report "$T/u.json" "$T/u.html"
	grep -q '<h3 id="load">' "$T/u.html" || fail "no counters and underload table"
	tr=$(jq -r '.results[] | select(.transport == "file" and .pattern == "pingpong") | .counters.torn_reads' "$T/u.json")
	grep -q "<td class=\"counters\">torn_reads $tr</td>" "$T/u.html" || fail "torn_reads $tr not shown"
	key=$(jq -r '.results[] | select(.underload != null) | .key' "$T/u.json")
	row=$(grep -F "<tr data-key=\"$key\">" "$T/u.html") || fail "no row for $key"
	probes=$(jq -r '.results[] | select(.underload != null) | .underload.probes' "$T/u.json")
	over=$(jq -r '.results[] | select(.underload != null) | .underload.overtaken_per_probe' "$T/u.json")
	echo "$row" | grep -q "<td class=\"n\">$probes</td>" || fail "probes $probes not in: $row"
	echo "$row" | grep -q "<td class=\"n\">$(printf '%.3g' "$over")</td>" || fail "overtaken $over not in: $row"
	echo "$row" | grep -q 'msg/s' || fail "no background rate in: $row"
}

t_the_command_row_names_the_subcommand() {
	json_check '.config.command_line | startswith("ipcbench run -t pipe,unix")' "$S/r.json"
	report "$S/r.json" "$T/r.html"
	grep -q '<tr><th>command</th><td>ipcbench run -t pipe,unix' "$T/r.html" || fail "the command row lacks 'run'"
}

run_tests
