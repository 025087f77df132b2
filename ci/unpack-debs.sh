#!/bin/sh
# unpack-debs.sh NAME CACHE PACKAGE...: Debian packages unpacked, never
# installed, for what mxlab runs beside the system without it knowing
# (fetch-exim.sh, fetch-mta-sts.sh). `apt-get download` fetches the
# packages into CACHE/debs (after an `apt-get update` if the first try
# fails), `dpkg -x` unpacks each into CACHE/root. NAME prefixes the
# messages. Needs root (apt).
set -eu
NAME=$1 CACHE=$2
shift 2
mkdir -p "$CACHE/debs" "$CACHE/root"
chmod 0755 "$CACHE" "$CACHE/debs"
cd "$CACHE/debs"
# apt prints "Download is performed unsandboxed as root" when _apt cannot
# reach the directory: harmless, kept in the log.
if ! apt-get download "$@" >"$CACHE/apt-download.log" 2>&1; then
	echo "$NAME: apt-get download failed; apt-get update, then again" >&2
	apt-get update -q >"$CACHE/apt-update.log" 2>&1 || { cat "$CACHE/apt-update.log" >&2; exit 1; }
	apt-get download "$@" >"$CACHE/apt-download.log" 2>&1 ||
		{ cat "$CACHE/apt-download.log" >&2; exit 1; }
fi
for p in "$@"; do
	found=0
	for d in "$p"_*.deb; do
		[ -e "$d" ] || continue
		dpkg -x "$d" "$CACHE/root"
		found=1
	done
	[ "$found" -eq 1 ] || { echo "$NAME: no .deb for $p in $CACHE/debs" >&2; exit 1; }
done
