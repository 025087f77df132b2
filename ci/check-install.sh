#!/bin/bash
# ci/check-install.sh BUILD-DIR: does the installed mxlab run without help?
#
# Installs BUILD-DIR (already built) into a temporary DESTDIR and checks,
# with LD_LIBRARY_PATH unset, that the installed `mxlab` and libmxlab.so
# find every library they need (ldd says nothing "not found") and that
# `mxlab --version` runs. An mbedTLS outside the system's directories
# (ci/build-mbedtls.sh's /opt/mbedtls-3.6/lib) is found through the rpath
# meson gives both files (meson.build, mbedtls_install_rpath); the
# RUNPATH is printed. Prints one line per check and a last line "ok" or
# "FAILED: ..."; exits 0 or 1 (2: usage, or the install itself failed).
set -u -o pipefail

dir=${1:?usage: ci/check-install.sh BUILD-DIR}
[ -f "$dir/meson-private/coredata.dat" ] || { echo "check-install: $dir: not a meson build directory" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-install.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
if ! DESTDIR=$tmp/root meson install -C "$dir" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	echo "check-install: meson install -C $dir failed" >&2
	exit 2
fi

failed=()
exe=$(find "$tmp/root" -path '*/bin/mxlab' -type f | head -n 1)
lib=$(find "$tmp/root" -name 'libmxlab.so.*' -type f | head -n 1)
[ -n "$exe" ] || failed+=("no bin/mxlab installed")
[ -n "$lib" ] || failed+=("no libmxlab.so installed")

for f in $exe $lib; do
	short=${f#"$tmp/root"}
	rp=$(readelf -d "$f" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\1 \2/p')
	echo "$short: ${rp:-no RUNPATH}"
	env -u LD_LIBRARY_PATH ldd "$f" >"$tmp/ldd" 2>&1
	grep -E 'libmbed(tls|x509|crypto)' "$tmp/ldd" | sed 's/^[[:space:]]*/  /'
	if grep -q 'not found' "$tmp/ldd"; then
		failed+=("$short: $(grep 'not found' "$tmp/ldd" | awk '{print $1}' | tr '\n' ' ')not found")
	fi
done
if [ -n "$exe" ]; then
	if v=$(env -u LD_LIBRARY_PATH "$exe" --version 2>&1); then
		echo "${exe#"$tmp/root"} --version: $v"
	else
		failed+=("${exe#"$tmp/root"} --version: $(printf '%s' "$v" | head -n 1)")
	fi
fi

if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo ok
