#!/usr/bin/env bash
# Builds the Debian package of zchat: a Release build with PREFIX /usr in
# its own folder (default build-pkg; only what is installed, no tests),
# then cpack -G DEB.  Installs what is missing through tools/setup.sh
# (with dpkg-dev and file, for the package's Depends).  The .deb's
# absolute path is the last line printed.
#   tools/package.sh [BUILD_DIR]
# Install it with: apt-get install ./zchat_VERSION_ARCH.deb
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-pkg}
mkdir -p "$build"
build=$(cd "$build" && pwd)

ZCHAT_SETUP_PACKAGE=1 "$root/tools/setup.sh" "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr -DZC_TESTS=OFF -DZC_BUGGY_NODE=OFF -DZC_SANITIZE=OFF \
  || { echo "package.sh: FAILED: the build in $build failed (above)" >&2; exit 1; }

# The .deb of this run only: an older one in the folder is not it
rm -f "$build"/zchat_*.deb
log="$build/cpack.log"
if ! (cd "$build" && cpack -G DEB) >"$log" 2>&1; then
  cat "$log" >&2
  echo "package.sh: FAILED: cpack -G DEB in $build failed (above)" >&2
  exit 1
fi
debs=("$build"/zchat_*.deb)
[ -f "${debs[0]}" ] && [ ${#debs[@]} = 1 ] \
  || { cat "$log" >&2; echo "package.sh: FAILED: cpack made no single zchat_*.deb in $build" >&2; exit 1; }
echo "package.sh: $(dpkg-deb --field "${debs[0]}" Package Version Architecture Depends | paste -sd' ' -)"
echo "${debs[0]}"
