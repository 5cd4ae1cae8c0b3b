#!/bin/sh
# serve and run --connect between two hosts, on one machine: two network
# namespaces joined by a veth pair, 192.0.2.1/24 (serve) and 192.0.2.2/24
# (run --connect), then the same with netem's 1 ms on the server's end.
# Traffic never leaves the two namespaces; everything is removed on exit.
. "$(dirname "$0")/lib.sh"

NS_S=ipcb-srv-$$
NS_C=ipcb-cli-$$
VETH_S=ipcbs$$
VETH_C=ipcbc$$

teardown() {
	[ -n "${SP:-}" ] && kill -TERM "$SP" 2>/dev/null && wait "$SP" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip link del "$VETH_S" 2>/dev/null
	return 0
}

setup_netns() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
	command -v ip >/dev/null 2>&1 || skip "no ip(8)"
	trap teardown EXIT INT TERM
	ip netns add "$NS_S" 2>/dev/null || skip "ip netns add is not permitted here"
	ip netns add "$NS_C" || fail "ip netns add $NS_C"
	ip link add "$VETH_S" type veth peer name "$VETH_C" 2>/dev/null || skip "no veth support"
	ip link set "$VETH_S" netns "$NS_S" && ip link set "$VETH_C" netns "$NS_C" || fail "moving the veth ends"
	ip -n "$NS_S" addr add 192.0.2.1/24 dev "$VETH_S" && ip -n "$NS_C" addr add 192.0.2.2/24 dev "$VETH_C" ||
		fail "addresses"
	for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_S" link set "$VETH_S" up && ip -n "$NS_C" link set "$VETH_C" up || fail "links up"
}

start_serve_ns() {
	ip netns exec "$NS_S" "$IPCBENCH" serve --listen 192.0.2.1:0 >"$T/serve.out" 2>"$T/serve.err" &
	SP=$!
	for _ in $(seq 500); do
		ADDR=$(sed -n 's/^listening on //p' "$T/serve.out")
		[ -n "$ADDR" ] && break
		sleep 0.01
	done
	[ -n "$ADDR" ] || fail "serve printed no address: $(cat "$T/serve.err")"
}

# connect N OUT: a tcp pingpong through the server, its median in ns on stdout
connect_run() {
	ip netns exec "$NS_C" "$IPCBENCH" run --connect "$ADDR" -t tcp,fifo -s 64 -n "$1" -w 50 --placement cross \
		--no-calibrate -q -o "$2" 2>"$T/run.err" || fail "run --connect: $(cat "$T/run.err")"
	jq '.results[] | select(.transport == "tcp") | .latency_ns.p50' "$2"
}

t_two_namespaces_are_two_hosts() {
	setup_netns
	start_serve_ns
	base=$(connect_run 2000 "$T/base.json")
	json_check '.server.other_host == true and .server.address == "'"$ADDR"'"' "$T/base.json"
	json_check '.results[] | select(.transport == "tcp") | .status == "ok" and .placement.relation == "remote"' \
		"$T/base.json"
	json_check '.results[] | select(.transport == "fifo") | .status == "skipped" and (.reason | test("another host"))' \
		"$T/base.json"
	json_check '.results[] | select(.transport == "tcp") | .cost.server != null' "$T/base.json"
	json_check '.results[] | select(.transport == "tcp") | .latency_ns.count == 2000' "$T/base.json"
	echo "    tcp p50 between the namespaces ${base} ns" >&2
	teardown
	SP=
	ip netns list | grep -q "ipcb-.*-$$" && fail "a namespace was left"
	return 0
}

t_netem_adds_a_millisecond() {
	setup_netns
	start_serve_ns
	base=$(connect_run 2000 "$T/base.json")
	if ! ip netns exec "$NS_S" tc qdisc add dev "$VETH_S" root netem delay 1ms 2>"$T/tc.err"; then
		echo "    netem delay not available ($(head -c 200 "$T/tc.err")): base p50 ${base} ns" >&2
		skip "no netem (sch_netem) here"
	fi
	slow=$(connect_run 500 "$T/slow.json")
	added=$((slow - base))
	echo "    tcp p50 ${base} ns, with netem 1ms ${slow} ns: +${added} ns" >&2
	[ "$added" -ge 800000 ] || fail "the round trip rose by ${added} ns, not 1 ms"
	spread=$(jq '.results[] | select(.transport == "tcp") | .latency_ns."p90" - .latency_ns.p50' "$T/base.json")
	if [ "$spread" -gt 100000 ]; then
		echo "    too noisy to judge within 10 %: the base p90 is ${spread} ns above its p50" >&2
	else
		[ "$added" -le 1100000 ] && [ "$added" -ge 900000 ] || fail "the round trip rose by ${added} ns, not 1 ms +-10 %"
	fi
	teardown
	SP=
	ip netns list | grep -q "ipcb-.*-$$" && fail "a namespace was left"
	return 0
}

# every available transport that can join two hosts, across the namespaces, at each value of its
# `net` option: the network ones verified, the one-host ones (unix, ipc://) skipped saying why
t_every_network_transport_between_namespaces() {
	ts=
	avail=$("$IPCBENCH" list --names)
	for t in $("$IPCBENCH" list --guide | awk 'NR > 1 && NF >= 7 && $4 == "yes" {print $1}'); do
		echo "$avail" | grep -qx "$t" || continue
		nets=$("$IPCBENCH" list -t "$t" 2>/dev/null | awk '$1 == "net" {print $4}' | tr '|' ,)
		ts="${ts:+$ts,}$t${nets:+:net=$nets}"
		names="${names:-} $t"
	done
	[ -n "$ts" ] || fail "no transport joins two hosts"
	setup_netns
	start_serve_ns
	ip netns exec "$NS_C" "$IPCBENCH" run --connect "$ADDR" -t "$ts" -p pingpong,stream -s 64,64k -n 200 -w 20 \
		--placement cross --no-calibrate -q -o "$T/all.json" 2>"$T/run.err"
	[ -s "$T/all.json" ] || fail "run --connect wrote no result: $(head -c 400 "$T/run.err")"
	bad=$(jq -r '.results[] | select(.status == "error") | "\(.variant // .transport) \(.pattern) \(.msg_bytes): \(.reason // .error)"' \
		"$T/all.json" | head -5)
	[ -z "$bad" ] || fail "cells failed between the namespaces: $bad"
	json_check '[.results[] | select(.status == "ok") | .placement.relation] | all(. == "remote")' "$T/all.json"
	json_check '[.results[] | select(.pattern == "pingpong" and (.options.net == "unix" or .options.net == "ipc")) |
		.status == "skipped" and (.reason | test("one host"))] | all' "$T/all.json"
	for t in $names; do
		json_check '[.results[] | select(.transport == "'"$t"'" and .status == "ok")] | length > 0' "$T/all.json"
	done
	echo "    between hosts: $(jq -r '[.results[] | select(.status == "ok") | .variant // .transport] | unique | join(" ")' \
		"$T/all.json")" >&2
	teardown
	SP=
	ip netns list | grep -q "ipcb-.*-$$" && fail "a namespace was left"
	return 0
}

run_tests
