#!/bin/sh
# ipcbench serve / run --connect on loopback: verified round trips through
# a separately started server, both ends in the JSON, the token, hostile
# clients (tests/cli/serve_client.py), signals, and nothing left behind.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's: a pyenv python may come first in PATH
HOSTILE="$(cd "$(dirname "$0")" && pwd)/serve_client.py"

# a test that fails before stop_serve must not leave its server running
reap_on_exit() {
	trap 'kill -TERM "$SP" 2>/dev/null; wait "$SP" 2>/dev/null' EXIT
}

# start_serve [ARGS...]: a server on 127.0.0.1, any port; sets SP, ADDR, RD (its run directory)
start_serve() {
	"$IPCBENCH" serve --listen 127.0.0.1:0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
	SP=$!
	reap_on_exit
	for _ in $(seq 500); do
		ADDR=$(sed -n 's/^listening on //p' "$T/serve.out")
		[ -n "$ADDR" ] && break
		kill -0 "$SP" 2>/dev/null || fail "serve exited: $(cat "$T/serve.err")"
		sleep 0.01
	done
	[ -n "$ADDR" ] || fail "serve printed no address"
	RD=$(ls -d "$TMPDIR"/ipcbench-"$SP"-* 2>/dev/null)
	[ -d "$RD" ] || fail "no run directory of serve"
	FD0=$(ls /proc/"$SP"/fd | wc -l)
}

# its idle state: no child, its own fds only, nothing in its run directory but the marker and the lock
check_idle() {
	for _ in $(seq 300); do
		[ -z "$(pgrep -P "$SP")" ] && [ "$(ls /proc/"$SP"/fd | wc -l)" -eq "$FD0" ] && break
		sleep 0.02
	done
	[ -z "$(pgrep -P "$SP")" ] || fail "serve still has children: $(pgrep -P "$SP" | tr '\n' ' ')"
	[ "$(ls /proc/"$SP"/fd | wc -l)" -eq "$FD0" ] || fail "serve's fds: $FD0 then $(ls /proc/"$SP"/fd | wc -l)"
	left=$(ls -A "$RD" | grep -v -e '^ipcbench-run$' -e '^cells\.lock$')
	[ -z "$left" ] || fail "left in serve's run directory: $left"
	kill -0 "$SP" || fail "serve died"
}

stop_serve() {
	kill -"${1:-TERM}" "$SP"
	wait "$SP"
	rc=$?
	[ "$rc" -eq 0 ] || fail "serve exited $rc on SIG${1:-TERM}: $(cat "$T/serve.err")"
	[ ! -e "$RD" ] || fail "serve left its run directory $RD"
}

# the kernel's IPC objects (a killed client's own run directory is `clean`'s)
ipc_objects() {
	ipc_snapshot "$1.all"
	grep '^[qms] ' "$1.all" >"$1"
}

hostile() {
	"$PY" "$HOSTILE" "$ADDR" "$@" >"$T/h.out" 2>&1 || fail "client $1: $(cat "$T/h.out")"
}

t_loopback_cells_record_both_ends() {
	start_serve
	ipc_objects "$T/before"
	expect_exit 0 "$IPCBENCH" run --connect "$ADDR" -t tcp,unix,fifo,sysv_mq,pipe -p pingpong,stream -s 64,4k \
		-n 400 --placement cross --no-calibrate -q -o "$T/r.json"
	json_check '[.results[] | select(.transport != "pipe") | .status] | all(. == "ok")' "$T/r.json"
	json_check '[.results[] | select(.transport != "pipe")] | length == 16' "$T/r.json"
	json_check '[.results[] | select(.pattern == "pingpong" and .transport != "pipe") | .latency_ns.count] |
		all(. == 400)' "$T/r.json"
	json_check '[.results[] | select(.pattern == "stream" and .status == "ok") | .iterations] | all(. == 400)' \
		"$T/r.json"
	json_check '[.results[] | select(.status == "ok") | .cost.server.voluntary_cs != null] | all' "$T/r.json"
	json_check '.results[] | select(.transport == "pipe") | .reason | test("needs related processes")' "$T/r.json"
	json_check '.server.other_host == false and (.server.boot_id | length) == 36 and .server.address == "'"$ADDR"'"' \
		"$T/r.json"
	json_check '[.results[].placement.relation] | all(. == "cross")' "$T/r.json"
	check_idle
	ipc_objects "$T/after"
	stop_serve INT
	cmp -s "$T/before" "$T/after" || fail "IPC objects changed: $(diff "$T/before" "$T/after")"
}

t_connect_over_a_unix_socket() {
	"$IPCBENCH" serve --listen "$T/ctl.sock" >"$T/serve.out" 2>"$T/serve.err" &
	SP=$!
	reap_on_exit
	for _ in $(seq 500); do [ -S "$T/ctl.sock" ] && break; sleep 0.01; done
	expect_exit 0 "$IPCBENCH" run --connect "$T/ctl.sock" -t tcp,fifo -s 64 -n 200 --placement cross \
		--no-calibrate -q -o "$T/r.json"
	json_check '[.results[].status] == ["ok", "ok"]' "$T/r.json"
	kill -TERM "$SP"
	wait "$SP" || fail "serve exited $?"
	[ ! -e "$T/ctl.sock" ] || fail "the socket was left"
}

t_token_is_proved_not_sent() {
	printf 'sesame-%s\n' "$$" >"$T/tok"
	chmod 600 "$T/tok"
	printf 'other\n' >"$T/bad"
	chmod 600 "$T/bad"
	start_serve --token "$T/tok"
	expect_exit 2 "$IPCBENCH" run --connect "$ADDR" -t tcp -s 64 -n 100 --no-calibrate -q
	one_line_error "asks for a token"
	expect_exit 2 "$IPCBENCH" run --connect "$ADDR" --token "$T/bad" -t tcp -s 64 -n 100 --no-calibrate -q
	one_line_error "wrong token"
	hostile badauth
	grep -q "^error wrong token" "$T/h.out" || fail "forged proof: $(cat "$T/h.out")"
	expect_exit 0 "$IPCBENCH" run --connect "$ADDR" --token "$T/tok" -t tcp -s 64 -n 100 --placement cross \
		--no-calibrate -q -o "$T/r.json"
	json_check '.results[0].status == "ok"' "$T/r.json"
	grep -q "sesame" "$T/serve.err" "$T/serve.out" "$T/r.json" && fail "the token was echoed"
	check_idle
	stop_serve
	chmod 644 "$T/tok"
	expect_exit 2 "$IPCBENCH" serve --listen 127.0.0.1:0 --token "$T/tok"
	one_line_error "only its owner"
}

t_hostile_clients_get_an_error_and_cost_nothing() {
	start_serve
	hostile version
	grep -q "^error protocol version 9 not supported" "$T/h.out" || fail "version: $(cat "$T/h.out")"
	hostile garbage
	grep -q "^error" "$T/h.out" || fail "garbage: $(cat "$T/h.out")"
	hostile oversized
	grep -q "^error a frame over 65536 bytes" "$T/h.out" || fail "oversized: $(cat "$T/h.out")"
	hostile truncated
	hostile unknown
	grep -q "^error unknown request" "$T/h.out" || fail "unknown: $(cat "$T/h.out")"
	hostile cell msg_bytes=1099511627776
	grep -q "^error bad cell: parameter msg_bytes" "$T/h.out" || fail "1 TiB: $(cat "$T/h.out")"
	hostile cell msg_bytes=268435457
	grep -q "^error a 268435457-byte message is over" "$T/h.out" || fail "256 MiB + 1: $(cat "$T/h.out")"
	hostile cell iterations=0 duration_ns=1000000000
	grep -q "^error a cell needs a fixed count" "$T/h.out" || fail "duration: $(cat "$T/h.out")"
	hostile cell transport=../../etc/passwd
	grep -q '^error bad cell: unknown transport' "$T/h.out" || fail "path as transport: $(cat "$T/h.out")"
	hostile cell transport=pipe
	grep -q '^error pipe needs related processes' "$T/h.out" || fail "pipe: $(cat "$T/h.out")"
	hostile cell server_cpu=1000
	grep -q '^error CPU 1000 is not online' "$T/h.out" || fail "cpu: $(cat "$T/h.out")"
	hostile cell version=7
	grep -q '^error bad cell: protocol version' "$T/h.out" || fail "cell version: $(cat "$T/h.out")"
	# names are the server's: a run directory, tag and page of the client's are never used
	mkdir "$T/evil"
	hostile midcell transport=fifo run_dir="$T/evil" tag=../../x ctl="$T/evil/page"
	grep -q '^tag ipcbench-[0-9]*-[0-9a-f]*$' "$T/h.out" || fail "midcell: $(cat "$T/h.out")"
	check_idle
	[ -z "$(ls -A "$T/evil")" ] || fail "the server made $(ls -A "$T/evil") in the client's directory"
	[ ! -e "$TMPDIR/x" ] || fail "the server followed the client's tag"
	grep -q "refused" "$T/serve.err" || fail "serve logged no refusal"
	stop_serve
}

t_client_killed_mid_cell() {
	start_serve
	ipc_objects "$T/before"
	for tr in tcp sysv_mq; do
		"$IPCBENCH" run --connect "$ADDR" -t $tr -s 64 -n 100M --placement cross --no-calibrate -q \
			>/dev/null 2>&1 &
		RP=$!
		for _ in $(seq 500); do [ "$(pgrep -P "$SP" | wc -l)" -ge 1 ] && [ -n "$(pgrep -P "$(pgrep -P "$SP" | head -n 1)")" ] && break; sleep 0.01; done
		sleep 0.3
		kill -KILL "$RP"
		wait "$RP" 2>/dev/null
		check_idle
	done
	ipc_objects "$T/after"
	cmp -s "$T/before" "$T/after" || fail "IPC objects changed: $(diff "$T/before" "$T/after")"
	expect_exit 0 "$IPCBENCH" run --connect "$ADDR" -t tcp -s 64 -n 200 --placement cross --no-calibrate -q
	stop_serve
}

t_several_clients_at_once() {
	start_serve
	idlers=
	for i in 1 2 3 4; do
		"$PY" "$HOSTILE" "$ADDR" idle secs=3 >"$T/idle$i" 2>&1 &
		idlers="$idlers $!"
	done
	for _ in $(seq 300); do [ "$(pgrep -P "$SP" | wc -l)" -eq 4 ] && break; sleep 0.01; done
	hostile idle secs=0
	grep -q "^error the server is busy" "$T/h.out" || fail "a fifth client: $(cat "$T/h.out")"
	for p in $idlers; do wait "$p"; done
	check_idle
	for i in 1 2 3 4; do grep -q '^welcome' "$T/idle$i" || fail "idle client $i: $(cat "$T/idle$i")"; done
	"$IPCBENCH" run --connect "$ADDR" -t tcp -s 64 -n 300 --placement cross --no-calibrate -q -o "$T/a.json" &
	A=$!
	"$IPCBENCH" run --connect "$ADDR" -t unix -s 64 -n 300 --placement cross --no-calibrate -q -o "$T/b.json" ||
		fail "second concurrent client failed"
	wait $A || fail "first concurrent client failed"
	json_check '.results[0].status == "ok"' "$T/a.json"
	json_check '.results[0].status == "ok"' "$T/b.json"
	check_idle
	stop_serve INT
}

t_serve_once_exits_after_one_client() {
	"$IPCBENCH" serve --listen 127.0.0.1:0 --once >"$T/serve.out" 2>"$T/serve.err" &
	SP=$!
	reap_on_exit
	for _ in $(seq 500); do ADDR=$(sed -n 's/^listening on //p' "$T/serve.out"); [ -n "$ADDR" ] && break; sleep 0.01; done
	expect_exit 0 "$IPCBENCH" run --connect "$ADDR" -t tcp -s 64 -n 100 --placement cross --no-calibrate -q
	wait "$SP" || fail "serve --once exited $?"
	[ -z "$(ls -A "$TMPDIR")" ] || fail "left: $(ls -A "$TMPDIR")"
}

t_connect_refusals_are_usage_errors() {
	expect_exit 2 "$IPCBENCH" run --connect 127.0.0.1:1 -t tcp -p rate --rate 1000 -n 10
	one_line_error "one-way latency"
	expect_exit 2 "$IPCBENCH" run --connect 127.0.0.1:1 -t tcp -d 1s
	one_line_error "fixed count"
	expect_exit 2 "$IPCBENCH" run --connect localhost:7878 -t tcp -n 10
	one_line_error "not an IPv4 address"
	expect_exit 2 "$IPCBENCH" run --token /nonexistent -t tcp -n 10
	one_line_error "--token applies only with --connect"
	expect_exit 2 "$IPCBENCH" serve --listen 127.0.0.1:99999
	one_line_error "0..65535"
	expect_exit 2 "$IPCBENCH" run --connect 127.0.0.1:1 -t tcp -n 10 --placement cross --no-calibrate -q
	one_line_error "is \`ipcbench serve\` running there"
}

# every available transport that rendezvous by name, through serve (0 B for the wake-ups, 64 B and
# 64 KiB for the rest): each has a verified cell, none fails
t_every_byname_transport_through_serve() {
	list=$("$IPCBENCH" list --guide | awk 'NR > 1 && NF >= 6 && $3 == "yes" {print $1}')
	avail=$("$IPCBENCH" list --names)
	ts=
	for t in $list; do
		echo "$avail" | grep -qx "$t" && ts="${ts:+$ts,}$t"
	done
	[ -n "$ts" ] || fail "no transport rendezvous by name"
	start_serve
	ipc_objects "$T/before"
	"$IPCBENCH" run --connect "$ADDR" -t "$ts" -p pingpong,stream -s 0,64,64k -n 200 -w 20 --placement cross \
		--no-calibrate -q -o "$T/r.json" 2>"$T/err"
	[ -s "$T/r.json" ] || fail "run --connect wrote no result: $(head -c 400 "$T/err")"
	bad=$(jq -r '.results[] | select(.status == "error") | "\(.transport) \(.pattern) \(.msg_bytes): \(.reason // .error)"' \
		"$T/r.json" | head -5)
	[ -z "$bad" ] || fail "cells failed through serve: $bad"
	for t in $(echo "$ts" | tr , ' '); do
		json_check '[.results[] | select(.transport == "'"$t"'" and .status == "ok")] | length > 0' "$T/r.json"
	done
	json_check '[.results[] | select(.status == "ok" and .pattern == "pingpong") | .latency_ns.count] | all(. == 200)' \
		"$T/r.json"
	echo "    through serve: $(echo "$ts" | tr , ' ')" >&2
	check_idle
	ipc_objects "$T/after"
	stop_serve TERM
	cmp -s "$T/before" "$T/after" || fail "IPC objects changed: $(diff "$T/before" "$T/after")"
}

run_tests
