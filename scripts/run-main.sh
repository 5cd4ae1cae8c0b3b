#!/bin/sh
# scripts/run-main.sh - the README's main job: installs what is missing,
# builds, compares every available transport (ping-pong over four sizes on
# both placements, plus one-way streaming throughput), and writes the JSON,
# the charts and an HTML report into OUTDIR (default results/latest).
set -eu
cd "$(dirname "$0")/.."
out=${1:-results/latest}
sh scripts/install-deps.sh
make -j"$(nproc)" >/dev/null
mkdir -p "$out"
./build/ipcbench run -p pingpong,stream -o "$out/result.json"
if ./build/ipcbench --help | grep -q '^  plot '; then
	./build/ipcbench plot "$out/result.json" -o "$out/charts" --format png,svg
fi
if ./build/ipcbench --help | grep -q '^  report '; then
	./build/ipcbench report "$out/result.json" -o "$out/report.html"
fi
echo "results in $out"
