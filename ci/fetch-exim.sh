#!/bin/sh
# fetch-exim.sh [CACHE]: Debian 12's Exim 4.96 for mxlab's exim driver,
# unpacked from its packages and never installed (installing exim4 removes
# postfix: both provide mail-transport-agent).
#
# CACHE: the first argument, else $MXLAB_EXIM_CACHE, else
# /var/cache/mxlab/exim-4.96. `apt-get download` fetches exim4-daemon-light,
# exim4-base, exim4-config and libidn12 into CACHE/debs; `dpkg -x` unpacks
# each into CACHE/root. The driver finds CACHE/root by itself at the default
# place, or through MXLAB_EXIM_ROOT. Prints the path of the exim4 binary;
# does nothing more when it is already there. Needs root (apt).
set -eu
CACHE=${1:-${MXLAB_EXIM_CACHE:-/var/cache/mxlab/exim-4.96}}
EXIM=$CACHE/root/usr/sbin/exim4
PKGS="exim4-daemon-light exim4-base exim4-config libidn12"

have_libidn() {
	for f in "$CACHE"/root/usr/lib/*/libidn.so.12; do
		[ -e "$f" ] && return 0
	done
	return 1
}

if [ -x "$EXIM" ] && have_libidn; then
	echo "$EXIM"
	exit 0
fi
sh "$(dirname "$0")/unpack-debs.sh" fetch-exim "$CACHE" $PKGS
[ -x "$EXIM" ] || { echo "fetch-exim: $EXIM missing after unpacking" >&2; exit 1; }
have_libidn || { echo "fetch-exim: libidn.so.12 missing after unpacking" >&2; exit 1; }
echo "$EXIM"
