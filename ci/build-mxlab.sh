#!/bin/sh
# ci/build-mxlab.sh: build mxlab from source, for a CI job that runs a suite
# of scenarios of its own (docs/ci.md).
#
#   sudo ci/build-mxlab.sh [BUILDDIR]
#
# 1. As root, installs the packages from the distribution's archive with
#    ci/install-deps.sh (Debian 12 or Ubuntu 24.04; see docs/ci.md). Not as
#    root, that step is left out with a note, and the build uses what is
#    installed.
# 2. `meson setup BUILDDIR` (default: build/ in this source tree; a relative
#    BUILDDIR is taken from the current directory; an existing build
#    directory is reused with its options), then `ninja -C BUILDDIR
#    harness/mxlab` (the program only, not the tests).
# 3. Prints the absolute path of the mxlab binary: the only line it writes
#    on stdout (everything else goes to stderr), so that
#        MXLAB=$(sudo ci/build-mxlab.sh)
#    works. The binary needs no file of the source tree when it runs.
#
# Exit status: 0 built; 1 the build failed; 2 the packages could not be
# installed.
set -eu

case ${1:-} in
"") builddir= ;;
/*) builddir=$1 ;;
*) builddir=$PWD/$1 ;;
esac
cd "$(dirname "$0")/.."
builddir=${builddir:-$PWD/build}

if [ "$(id -u)" -eq 0 ]; then
	sh ci/install-deps.sh >&2 || {
		echo "ci/build-mxlab.sh: ci/install-deps.sh failed" >&2
		exit 2
	}
else
	echo "ci/build-mxlab.sh: not root: packages not installed" \
		"(run as root, e.g. sudo, to install them with ci/install-deps.sh)" >&2
fi

if [ ! -f "$builddir/meson-private/coredata.dat" ]; then
	meson setup "$builddir" >&2 || {
		echo "ci/build-mxlab.sh: meson setup $builddir failed" >&2
		exit 1
	}
fi
ninja -C "$builddir" harness/mxlab >&2 || {
	echo "ci/build-mxlab.sh: build failed (ninja -C $builddir harness/mxlab)" >&2
	exit 1
}
bin=$(cd "$builddir" && pwd)/harness/mxlab
[ -x "$bin" ] || {
	echo "ci/build-mxlab.sh: $bin: not built" >&2
	exit 1
}
echo "$bin"
