#!/bin/sh
# ci/install-deps.sh: install, from Debian's archive, every package mxlab
# needs to build, test and run its scenarios. Safe to run again. Needs root.
#
# Postfix is preseeded to "No configuration" so that installing it creates no
# /etc/postfix/main.cf and starts no system mail service: mxlab only ever
# runs private instances of its own.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "ci/install-deps.sh: must run as root (apt-get install)" >&2
	exit 2
fi

export DEBIAN_FRONTEND=noninteractive

pkgs="build-essential pkg-config meson ninja-build cmake
libmbedtls-dev libcmocka-dev libfaketime faketime
openssl gnutls-bin swaks libnet-ssleay-perl postfix iproute2 clang libclang-rt-14-dev
jq netbase sasl2-bin libsasl2-modules msmtp
curl python3-aiodns python3-aiohttp python3-yaml python3-jsonschema python3-aiosqlite"
# Installed where the archive has it, left out (with a note) where not:
# chromium-headless-shell renders the HTML report in
# tests/integration/run-html.sh (a screenshot, the console, the DOM it
# built), which skips that part without it. Debian 12 has it: on a minimal
# Debian 12 plus the list above it adds 97 packages, 144 MB to download (no
# GTK, no systemd); Debian's full chromium would add 155, 185 MB. Ubuntu
# 24.04 has no Chromium .deb (only a snap).
optional="chromium-headless-shell"

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
in_archive() { apt-cache show "$1" >/dev/null 2>&1; }

missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
# An optional package alone is worth an update only if the archive has it.
optmissing=""
optknown=""
for p in $optional; do
	installed "$p" && continue
	optmissing="$optmissing $p"
	in_archive "$p" && optknown="$optknown $p"
done
if [ -n "$missing$optknown" ]; then

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string mxlab.invalid" | debconf-set-selections
# msmtp (the exec driver's proof) asks about AppArmor; msmtp-mta is never
# installed (it would be a sendmail next to Postfix's).
echo "msmtp msmtp/apparmor boolean false" | debconf-set-selections

apt-get update -q
for p in $optmissing; do
	if in_archive "$p"; then
		missing="$missing $p"
	else
		echo "ci/install-deps.sh: $p: not in this archive, left out" >&2
	fi
done
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
elif [ -n "$optmissing" ]; then
	echo "ci/install-deps.sh:$optmissing: not in this archive, left out" >&2
fi

# Exim 4.96 for the exim driver: unpacked beside Postfix, never installed.
sh "$(dirname "$0")/fetch-exim.sh" >/dev/null
# postfix-mta-sts-resolver for scenarios/mta-sts: unpacked, never installed
# (its package enables and starts a system mta-sts-daemon); the Python
# modules above are what it needs with its internal cache.
sh "$(dirname "$0")/fetch-mta-sts.sh" >/dev/null
