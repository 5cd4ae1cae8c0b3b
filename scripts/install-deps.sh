#!/bin/sh
# scripts/install-deps.sh - installs the Debian packages ipcbench's build,
# tests and charts need, when they are missing.  Safe to run again: it only
# calls apt-get when something is absent.  Needs root (or sudo) for that.
#   build:  gcc make pkg-config libjansson-dev zlib1g-dev
#   optional (the transports built on them; without one, those are listed
#   as unavailable, naming the package):
#           liburing-dev (uring), libsystemd-dev (dbus, sd-bus),
#           libdbus-1-dev and dbus-daemon (dbus:lib=libdbus, the bus daemon),
#           libtirpc-dev (oncrpc), libgrpc-dev (grpc), libmicrohttpd-dev and
#           libcurl4-openssl-dev (http), libnghttp2-dev (http2),
#           libwslay-dev (websocket), libzmq3-dev (zmq), libnng-dev (nng)
#   charts: gnuplot-nox
#   tests:  jq (CLI tests read the JSON), procps, util-linux (ipcs)
#   checks: cppcheck (make lint), clang-format (make format-check)
#   tests (the export checkers; about 30s of apt-get on a fresh Debian 12):
#           python3-prometheus-client (OpenMetrics and Prometheus text
#           parsers), libbenchmark-tools and python3-scipy (Google
#           Benchmark's compare.py); debhelper and lintian (the .deb test,
#           about 25s more); chromium (the report in a browser, about 20s)
set -eu
pkgs="gcc make pkg-config libjansson-dev zlib1g-dev liburing-dev
libsystemd-dev libdbus-1-dev dbus-daemon libtirpc-dev libgrpc-dev
libmicrohttpd-dev libcurl4-openssl-dev libnghttp2-dev libwslay-dev libzmq3-dev libnng-dev
gnuplot-nox jq procps util-linux cppcheck clang-format
python3-prometheus-client libbenchmark-tools python3-scipy debhelper lintian
chromium"
[ -n "${IPCB_EXTRA_PKGS:-}" ] && pkgs="$pkgs $IPCB_EXTRA_PKGS"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
