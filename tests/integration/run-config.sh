#!/usr/bin/env bash
# run-config.sh: a user's own Postfix configuration (postfix-config) runs as
# it is, except what the sandbox must change, and every such change is
# written down; what it names is provided or refused with file, line and
# parameter (exit 2); a hostile configuration reaches nothing of the host.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 51
chmod 755 "$T"

# A production-style configuration: Debian's chroot column, certbot paths,
# a hash: policy map, /etc/mailname, hash:/etc/aliases, no postlog service.
C=$T/conf
mkdir -p "$C/postfix"
cat >"$C/postfix/main.cf" <<'EOF'
compatibility_level = 3.6
myhostname = mail.example.com
myorigin = /etc/mailname
mydestination =
relayhost =
mynetworks = 127.0.0.0/8
inet_interfaces = all
inet_protocols = ipv4
queue_directory = /var/spool/postfix
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
smtpd_tls_chain_files = /etc/letsencrypt/live/mail.example.com/privkey.pem,
    /etc/letsencrypt/live/mail.example.com/fullchain.pem
smtpd_tls_security_level = may
smtp_tls_security_level = may
smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt
smtp_tls_policy_maps = hash:/etc/postfix/tls_policy
smtp_tls_loglevel = 1
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
EOF
cat >"$C/postfix/master.cf" <<'EOF'
smtp      inet  n       -       y       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
EOF
printf 'partner.example secure match=mx.partner.example\n' >"$C/postfix/tls_policy"

cat >"$C/good.scn" <<'EOF'
[scenario]
summary = a user's configuration: secure to a good peer, STARTTLS on 25 with the certbot chain
postfix-config = postfix

[files]
/etc/mailname = mail.example.com
/etc/aliases = postmaster: root

[dns]
partner.example     MX 10 mx.partner.example
mx.partner.example  A  127.0.0.10

[server mx]
listen = 127.0.0.10:25
cert   = mx.partner.example

[client in]
connect = 127.0.0.1:25
sni     = mail.example.com
tls     = starttls
stop-after = tls

[send]
to = bob@partner.example

[expect]
status bob@partner.example = sent
log smtp = Verified TLS connection established to mx\.partner\.example
client in chain-length = 2
client in verify = ok
client in subject = CN=mail\.example\.com
EOF

run() { # NAME SCN -> $OUT, $RC, $RES (result.txt)
	OUT=$("$MXLAB" run -v --keep --workdir "$T/w-$1" "$2" 2>&1)
	RC=$?
	RES=$(cat "$T"/w-"$1"/*/result.txt 2>/dev/null)
}

# Hash the system's Postfix: nothing here may touch it.
sys_hash() {
	local d
	for d in /etc/postfix /var/spool/postfix /var/lib/postfix; do
		[ -e "$d" ] && find "$d" -xdev -printf '%p %s %m %U %G\n' 2>/dev/null | sort
		[ -e "$d" ] && find "$d" -xdev -type f -readable -exec sha256sum {} + 2>/dev/null | sort
	done | sha256sum
}
BEFORE=$(sys_hash)

run good "$C/good.scn"
expect_eq "good: exit 0" 0 "$RC"
expect_match "good: passes" '^PASS +good' "$OUT"
expect_match "changes: queue_directory, from the user's value" \
	'main\.cf queue_directory: /var/spool/postfix -> /.*/postfix/spool' "$RES"
expect_match "changes: inet_interfaces" 'main\.cf inet_interfaces: all -> loopback-only' "$RES"
expect_match "changes: chroot column" 'master\.cf smtp inet: chroot y -> n' "$RES"
expect_match "changes: postlog added" 'master\.cf postlog unix-dgram: added' "$RES"
expect_match "provided: certbot fullchain from the PKI" \
	'provided /etc/letsencrypt/live/mail\.example\.com/fullchain\.pem: PKI mail\.example\.com/good/fullchain\.pem' "$RES"
expect_match "provided: the CA bundle is the test root" \
	'provided /etc/ssl/certs/ca-certificates\.crt: the test root' "$RES"
expect_match "provided: [files] text" 'provided /etc/mailname: \[files\]' "$RES"
expect_match "built: the policy map" 'built hash:/etc/postfix/tls_policy with postmap' "$RES"
expect_match "built: aliases with postalias" 'built hash:/etc/aliases with postalias' "$RES"
expect_match "-v prints the changes" 'good \| configuration: master\.cf smtp inet: chroot y -> n' "$OUT"
MAIN=$(echo "$T"/w-good/*/postfix/etc/main.cf)
expect_match "main.cf: the user's lines kept" '^smtp_tls_policy_maps = hash:/etc/postfix/tls_policy$' "$(cat "$MAIN")"
expect_match "main.cf: the user's owned value a comment" \
	'^# owned by the mxlab sandbox: queue_directory = /var/spool/postfix$' "$(cat "$MAIN")"
check "the user's directory is unchanged (no .db beside the source)" test ! -e "$C/postfix/tls_policy.db"

# The same as a suite: suite.scn two levels up holds the configuration,
# [files], DNS and the peer; its [main.cf] is a layer the scenario's own
# [main.cf] writes over.
mkdir -p "$C/suite/outbound"
cat >"$C/suite/suite.scn" <<'EOF2'
[scenario]
postfix-config = ../postfix
tags = mine

[main.cf]
smtp_tls_loglevel = 2
smtpd_banner = $myhostname ESMTP suite

[files]
/etc/mailname = mail.example.com
/etc/aliases = postmaster: root

[dns]
partner.example     MX 10 mx.partner.example
mx.partner.example  A  127.0.0.10

[server mx]
listen = 127.0.0.10:25
cert   = mx.partner.example
EOF2
cat >"$C/suite/outbound/secure.scn" <<'EOF2'
[scenario]
summary = the suite's configuration, peer and DNS

[main.cf]
smtp_tls_loglevel = 1

[send]
to = bob@partner.example

[expect]
status bob@partner.example = sent
log smtp = Verified TLS connection established to mx\.partner\.example
server mx tls = yes
EOF2
OUT=$("$MXLAB" run --keep --workdir "$T/w-suite" "$C/suite" 2>&1)
RC=$?
expect_eq "suite: exit 0" 0 "$RC"
expect_match "suite: the scenario below it ran (suite.scn did not)" '^PASS +outbound/secure' "$OUT"
MAIN=$(cat "$T"/w-suite/*/postfix/etc/main.cf)
expect_match "suite: its [main.cf] is a layer, named" '^# --- from .*/suite/suite\.scn:6 ---$' "$MAIN"
expect_match "suite: the scenario's layer replaced its smtp_tls_loglevel" \
	'^# \(replaced below\) smtp_tls_loglevel = 2$' "$MAIN"
expect_match "suite: its other parameters stay" '^smtpd_banner = \$myhostname ESMTP suite$' "$MAIN"

# The policy line removed: the same mail is no longer Verified (may).
sed -i 's/secure/may/' "$C/postfix/tls_policy"
run may "$C/good.scn"
expect_eq "policy weakened: exit 1" 1 "$RC"
expect_match "policy weakened: the Verified line is missing" 'not seen|Trusted TLS' "$OUT$RES"
printf 'partner.example secure match=mx.partner.example\n' >"$C/postfix/tls_policy"

# Errors of the configuration: exit 2, naming file, line and parameter.
mv "$C/postfix/tls_policy" "$C/tls_policy.away"
run nomap "$C/good.scn"
expect_eq "missing map: exit 2" 2 "$RC"
expect_match "missing map: file, line, parameter" \
	'postfix/main\.cf:17: smtp_tls_policy_maps names /etc/postfix/tls_policy, which is not in' "$OUT"
mv "$C/tls_policy.away" "$C/postfix/tls_policy"

cp -a "$C/postfix" "$C/nocert"
sed -i 's|^smtpd_tls_chain_files.*|smtpd_tls_cert_file = /etc/postfix/tls/mail.pem|; /^    \/etc\/letsencrypt/d' "$C/nocert/main.cf"
sed 's|^postfix-config = postfix|postfix-config = nocert|' "$C/good.scn" >"$C/nocert.scn"
run nocert "$C/nocert.scn"
expect_eq "missing certificate: exit 2" 2 "$RC"
expect_match "missing certificate: file, line, parameter" \
	'nocert/main\.cf:12: smtpd_tls_cert_file names /etc/postfix/tls/mail\.pem, which is not in' "$OUT"

cp -a "$C/postfix" "$C/badmaster"
echo "submission inet n - y" >>"$C/badmaster/master.cf"
sed 's|^postfix-config = postfix|postfix-config = badmaster|' "$C/good.scn" >"$C/badmaster.scn"
run badmaster "$C/badmaster.scn"
expect_eq "master.cf syntax error: exit 2" 2 "$RC"
expect_match "master.cf syntax error: Postfix's words, file and line" \
	'master\.cf: line 23: bad field count' "$OUT"
expect_match "master.cf syntax error: a configuration error in result.txt" '^configuration error: ' "$RES"

# An SNI entry postmap -F would skip with only a warning (its "chain" is a
# directory): the name would quietly get the default certificate.
cp -a "$C/postfix" "$C/badsni"
echo "tls_server_sni_maps = hash:/etc/postfix/sni" >>"$C/badsni/main.cf"
echo "other.example.com /etc/postfix" >"$C/badsni/sni"
sed 's|^postfix-config = postfix|postfix-config = badsni|' "$C/good.scn" >"$C/badsni.scn"
run badsni "$C/badsni.scn"
expect_eq "SNI entry postmap -F skips: exit 2" 2 "$RC"
expect_match "SNI entry postmap -F skips: postmap's warning shown" \
	'tls_server_sni_maps: postmap -F hash:/etc/postfix/sni failed: .*Is a directory: skipping this entry' "$OUT"

# Hostile configurations. The system's configuration cannot be named.
sed 's|^postfix-config = postfix|postfix-config = /etc/postfix|' "$C/good.scn" >"$C/system.scn"
run system "$C/system.scn"
expect_eq "postfix-config /etc/postfix: exit 2" 2 "$RC"
expect_match "postfix-config /etc/postfix: refused, with the reason" \
	'postfix-config /etc/postfix: refused' "$OUT"

ln -s /etc/postfix "$C/syslink"
sed 's|^postfix-config = postfix|postfix-config = syslink|' "$C/good.scn" >"$C/syslink.scn"
run syslink "$C/syslink.scn"
expect_eq "postfix-config a link to /etc/postfix: exit 2" 2 "$RC"
expect_match "postfix-config a link to /etc/postfix: refused" \
	'postfix-config .*/syslink: refused: it is \(through a link\) part of the host' "$OUT"

# Links are copied as links and resolve inside the sandbox only: a map
# source that points at the host's /etc/shadow finds nothing there.
cp -a "$C/postfix" "$C/links"
rm "$C/links/tls_policy"
ln -s /etc/shadow "$C/links/tls_policy"
sed 's|^postfix-config = postfix|postfix-config = links|' "$C/good.scn" >"$C/links.scn"
run links "$C/links.scn"
expect_eq "map linked to /etc/shadow: exit 2" 2 "$RC"
expect_match "map linked to /etc/shadow: missing inside the sandbox" \
	'smtp_tls_policy_maps names /etc/postfix/tls_policy, which is missing' "$OUT"
check "map linked to /etc/shadow: no copy of it anywhere" \
	bash -c "! grep -rqs '^root:' '$T/w-links'"
# A main.cf that is a link is not read at all.
cp -a "$C/postfix" "$C/linkmain"
mv "$C/linkmain/main.cf" "$C/linkmain/real.cf"
ln -s real.cf "$C/linkmain/main.cf"
sed 's|^postfix-config = postfix|postfix-config = linkmain|' "$C/good.scn" >"$C/linkmain.scn"
run linkmain "$C/linkmain.scn"
expect_eq "main.cf a link: exit 2" 2 "$RC"
expect_match "main.cf a link: refused" 'linkmain/main\.cf: cannot be read' "$OUT"

# [files] cannot write into the host's trees, nor over the host files
# shown in /etc.
sed 's|^/etc/aliases = postmaster: root|&\n/usr/lib/evil = x|' "$C/good.scn" >"$C/usr.scn"
run usr "$C/usr.scn"
expect_eq "[files] under /usr: exit 2" 2 "$RC"
expect_match "[files] under /usr: refused" "cannot provide /usr/lib/evil .*the host's, read-only" "$OUT"
sed 's|^/etc/aliases = postmaster: root|&\n/etc/passwd = evil::0:0::/:/bin/sh|' "$C/good.scn" >"$C/passwd.scn"
run passwd "$C/passwd.scn"
expect_eq "[files] over /etc/passwd: exit 2" 2 "$RC"
expect_match "[files] over /etc/passwd: refused" 'cannot provide /etc/passwd' "$OUT"
check "[files] over /etc/passwd: the host's is intact" bash -c "! grep -q '^evil:' /etc/passwd"
# A file outside the usual trees gets a private directory, not the host's.
sed 's|^/etc/aliases = postmaster: root|&\n/srv/mxlab-probe/x = y|' "$C/good.scn" >"$C/srv.scn"
run srv "$C/srv.scn"
expect_eq "[files] in /srv: the scenario runs" 0 "$RC"
check "[files] in /srv: nothing on the host" test ! -e /srv/mxlab-probe

# [files] without postfix-config: a table for the base configuration.
cat >"$C/base-files.scn" <<'EOF2'
[scenario]
summary = [files] without postfix-config

[main.cf]
header_checks = regexp:/etc/mxlab/header_checks

[files]
/etc/mxlab/header_checks = /^Subject:/ WARN subject seen

[dns]
partner.example     MX 10 mx.partner.example
mx.partner.example  A  127.0.0.10

[server mx]
listen = 127.0.0.10:25
cert   = mx.partner.example

[send]
to = bob@partner.example

[expect]
status bob@partner.example = sent
log cleanup = warning: header Subject: .*: subject seen
EOF2
run basefiles "$C/base-files.scn"
expect_eq "[files] without postfix-config: Postfix reads them" 0 "$RC"
sed 's|^/etc/mxlab/header_checks|/etc/postfix/header_checks|; s|regexp:/etc/mxlab/|regexp:/etc/postfix/|' \
	"$C/base-files.scn" >"$C/base-etc-postfix.scn"
run baseetc "$C/base-etc-postfix.scn"
expect_eq "[files] in /etc/postfix without postfix-config: exit 2" 2 "$RC"
expect_match "[files] in /etc/postfix without postfix-config: why" \
	'cannot provide /etc/postfix/header_checks .*without postfix-config' "$OUT"

AFTER=$(sys_hash)
expect_eq "/etc/postfix, /var/spool/postfix, /var/lib/postfix unchanged" "$BEFORE" "$AFTER"
done_testing
