#!/bin/sh
# Each cell carries its transport's properties (the flags the guides'
# table and the report's advice read), and the reader refuses a malformed one.
. "$(dirname "$0")/lib.sh"

t_cells_carry_properties() {
	expect_exit 0 "$IPCBENCH" run -t pipe -s 64 -n 100 -w 10 --cpus 0,0 --no-calibrate -q -o "$T/r.json"
	json_check 'all(.results[]; (.properties | keys) == ["by_name", "network", "one_way", "spin"] and
		all(.properties[]; type == "boolean"))' "$T/r.json"
	json_check '.results[0].properties.spin == false and .results[0].properties.one_way == false' "$T/r.json"
	jq '.results[0].properties.network = "yes"' "$T/r.json" >"$T/bad.json"
	expect_exit 2 "$IPCBENCH" export "$T/bad.json" -f csv
	one_line_error "properties.network"
	jq 'del(.results[].properties)' "$T/r.json" >"$T/old.json"
	expect_exit 0 "$IPCBENCH" export "$T/old.json" -f csv
}

run_tests
