#!/bin/sh
# fetch-mta-sts.sh [CACHE]: Debian 12's postfix-mta-sts-resolver (the
# mta-sts-daemon socketmap server, Python) for mxlab's MTA-STS scenarios,
# unpacked from its package and never installed: installing it would add a
# system service (mta-sts-daemon.service, started by its postinst) and a
# system user. Its Python dependencies (python3-aiodns, -aiohttp, -yaml,
# -aiosqlite) are ordinary libraries that ci/install-deps.sh installs.
#
# CACHE: the first argument, else $MXLAB_MTA_STS_CACHE, else
# /var/cache/mxlab/mta-sts-resolver. `apt-get download` fetches the .deb
# into CACHE/debs, `dpkg -x` unpacks it into CACHE/root. The runner finds
# CACHE/root by itself at the default place, or through MXLAB_MTA_STS_ROOT.
# Prints the path of the mta-sts-daemon script; does nothing more when it is
# already there. Needs root (apt).
set -eu
CACHE=${1:-${MXLAB_MTA_STS_CACHE:-/var/cache/mxlab/mta-sts-resolver}}
DAEMON=$CACHE/root/usr/bin/mta-sts-daemon
PKGS="postfix-mta-sts-resolver"

if [ -x "$DAEMON" ]; then
	echo "$DAEMON"
	exit 0
fi
sh "$(dirname "$0")/unpack-debs.sh" fetch-mta-sts "$CACHE" $PKGS
[ -x "$DAEMON" ] || { echo "fetch-mta-sts: $DAEMON missing after unpacking" >&2; exit 1; }
echo "$DAEMON"
