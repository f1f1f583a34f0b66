#!/usr/bin/env bash
# Installs what zchat needs (Debian/Ubuntu packages) when it is missing, then
# builds with CMake.  Used by tools/cluster.sh and tools/test.sh; safe to run
# again: it installs nothing that is already there.
#   tools/setup.sh [BUILD_DIR] [extra cmake args...]
# ZCHAT_SETUP_FUZZ=1 (set by tools/test.sh when it runs the fuzz targets)
# also installs clang and its libFuzzer runtime; nothing else needs them.
# ZCHAT_SETUP_BENCH=1 (set by the benchmark scripts for their Release
# build) also tries libnats-dev and libhiredis-dev, the vendors' clients
# that zchat-baseline's cnats/jetstream and hiredis/redis-aof modes need;
# if they cannot be installed the build goes on without those modes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true

# iproute2 (ip) and nftables (nft): the chaos harness's network faults, as root;
# libncurses-dev (ncursesw): chat-client's terminal UI; tmux: its test;
# libmicrohttpd-dev: chat-node --metrics; curl: the metrics test scrapes with it
packages=(build-essential cmake pkg-config libczmq-dev libzmq3-dev libmsgpack-dev iproute2 nftables
          libncurses-dev tmux libmicrohttpd-dev curl)
# ZCHAT_SETUP_PACKAGE=1 (set by tools/package.sh): dpkg-shlibdeps (dpkg-dev)
# and file, which CPack's DEB generator runs to find the package's Depends
[ -z "${ZCHAT_SETUP_PACKAGE:-}" ] || packages+=(dpkg-dev file)
if [ -n "${ZCHAT_SETUP_FUZZ:-}" ]; then
  # libclang_rt.fuzzer-x86_64.a is in libclang-rt-N-dev (N = clang's major
  # version: 14 on Debian bookworm), which clang does not pull in by itself.
  #  (no clang yet on a new machine: with pipefail the failed pipeline
  #  would end this script, silently, under set -e)
  major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n1 || true)
  packages+=(clang "libclang-rt-${major:-14}-dev")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Optional: the benchmark baselines' client libraries (CMake finds them
# with pkg-config, or builds zchat-baseline without them)
if [ -n "${ZCHAT_SETUP_BENCH:-}" ]; then
  bench_missing=()
  for p in libnats-dev libhiredis-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || bench_missing+=("$p")
  done
  if [ ${#bench_missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    echo "setup: installing ${bench_missing[*]} (optional: the benchmark baselines)"
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           "${bench_missing[@]}" >/dev/null 2>&1; then
      $sudo apt-get update -qq >/dev/null 2>&1 || true
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${bench_missing[@]}" >/dev/null 2>&1 \
        || echo "setup: could not install ${bench_missing[*]}; zchat-baseline is built without them"
    fi
  fi
fi

# The build's own exit status decides, never a filter's: a failed build
# must not go on to run the binaries an earlier build left in $build.
# A good build shows only its warnings; a failed one shows its whole output
# (less the progress lines), then one line saying so.
cmake -S "$root" -B "$build" "$@" >/dev/null \
  || { echo "setup: FAILED: cmake could not configure $build (errors above)" >&2; exit 1; }
log=$(mktemp /tmp/zchat-setup.XXXXXX)
if cmake --build "$build" -j"$(nproc)" >"$log" 2>&1; then
  grep -E 'warning|error|Error' "$log" || true
  rm -f "$log"
else
  grep -v -E '^\[ *[0-9]+%\] ' "$log" >&2 || true
  rm -f "$log"
  echo "setup: FAILED: the build in $build failed (errors above); its binaries are not used" >&2
  exit 1
fi
test -x "$build/chat-node" && test -x "$build/chat-client" \
  || { echo "setup: FAILED: no chat-node or chat-client in $build after the build" >&2; exit 1; }
