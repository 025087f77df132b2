#!/bin/sh
# ci/build-mbedtls.sh [PREFIX]: build and install Mbed TLS 3.6 from the
# vendored source (../shared/vendor/mbedtls-3.6.6-src.tar.gz beside the
# repository, or $MXLAB_VENDOR_DIR) into PREFIX (default /opt/mbedtls-3.6),
# as the vendor README measures it, so that mxlab finds it through
# pkg-config like a distribution's package. Prints the PKG_CONFIG_PATH to
# use on its last line:
#
#   PKG_CONFIG_PATH=/opt/mbedtls-3.6/lib/pkgconfig meson setup build-36
#
# Does nothing when PREFIX/lib/pkgconfig/mbedtls.pc already says 3.6.6.
#
# Differences from a plain cmake build, both needed by mxlab:
# - MBEDTLS_THREADING_C and MBEDTLS_THREADING_PTHREAD are turned on in the
#   installed mbedtls_config.h (the server shares one ssl_config across
#   threads; the option changes public structs, so mxlab's compiler must
#   see it too: a config seen only by the library's build would not do).
# - shared libraries only (USE_SHARED_MBEDTLS_LIBRARY=ON, static off), as a
#   distribution ships them: the static archives are not built with -fPIC
#   (libmxlab.so could not take them) and would be exported from
#   libmxlab.so (tests/lib/exports.sh). meson gives the build tree's
#   programs an rpath to PREFIX/lib, and the installed mxlab and
#   libmxlab.so one too (meson.build, mbedtls_install_rpath;
#   ci/check-install.sh checks it).
# Needs cmake and a C compiler (ci/install-deps.sh).
set -eu

version=3.6.6
prefix=${1:-/opt/mbedtls-3.6}
vendor=${MXLAB_VENDOR_DIR:-$(dirname "$0")/../../shared/vendor}
tarball=$vendor/mbedtls-$version-src.tar.gz
pcdir=$prefix/lib/pkgconfig

if [ -f "$pcdir/mbedtls.pc" ] &&
   [ "$(sed -n 's/^Version: *//p' "$pcdir/mbedtls.pc")" = "$version" ]; then
	echo "ci/build-mbedtls.sh: mbedTLS $version already in $prefix" >&2
	echo "PKG_CONFIG_PATH=$pcdir"
	exit 0
fi
if [ ! -f "$tarball" ]; then
	echo "ci/build-mbedtls.sh: $tarball not found (set MXLAB_VENDOR_DIR)" >&2
	exit 2
fi
command -v cmake >/dev/null || {
	echo "ci/build-mbedtls.sh: cmake not found (ci/install-deps.sh installs it)" >&2
	exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-mbedtls.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp"
src=$tmp/mbedtls-$version
cfg=$src/include/mbedtls/mbedtls_config.h
sed -i 's|^//#define MBEDTLS_THREADING_C$|#define MBEDTLS_THREADING_C|;
        s|^//#define MBEDTLS_THREADING_PTHREAD$|#define MBEDTLS_THREADING_PTHREAD|' "$cfg"
for d in MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD; do
	grep -q "^#define $d\$" "$cfg" || {
		echo "ci/build-mbedtls.sh: could not enable $d in $cfg" >&2
		exit 1
	}
done
cmake -S "$src" -B "$tmp/build" \
	-DGEN_FILES=OFF -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
	-DUSE_SHARED_MBEDTLS_LIBRARY=ON -DUSE_STATIC_MBEDTLS_LIBRARY=OFF \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
	-DCMAKE_INSTALL_LIBDIR=lib >&2
cmake --build "$tmp/build" -j2 >&2
cmake --install "$tmp/build" >&2
v=$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion mbedtls)
if [ "$v" != "$version" ]; then
	echo "ci/build-mbedtls.sh: pkg-config finds mbedtls '$v' in $pcdir, not $version" >&2
	exit 1
fi
echo "ci/build-mbedtls.sh: mbedTLS $version installed in $prefix" >&2
echo "PKG_CONFIG_PATH=$pcdir"
