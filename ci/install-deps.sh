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
jq netbase sasl2-bin libsasl2-modules msmtp"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string mxlab.invalid" | debconf-set-selections
# msmtp (the exec driver's proof) asks about AppArmor; msmtp-mta is never
# installed (it would be a sendmail next to Postfix's).
echo "msmtp msmtp/apparmor boolean false" | debconf-set-selections

apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
fi

# Exim 4.96 for the exim driver: unpacked beside Postfix, never installed.
sh "$(dirname "$0")/fetch-exim.sh" >/dev/null
