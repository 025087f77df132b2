#!/bin/bash
# dns-postfix.sh: a stock Postfix resolving MX, A and TLSA records through
# dnsd (run alone by dnsd-test) and doing DANE with them, in a throwaway
# network + mount + PID namespace where dnsd is 127.0.0.1:53.
#
# One dnsd, one `mxlab serve` on 127.0.0.10:25 presenting the good leaf of
# mx.partner.example, one private Postfix instance with
# smtp_dns_support_level = dnssec and smtp_tls_security_level = dane. Each
# destination domain has its own MX host name, so its own TLSA RRset:
#   partner.example -> mx.partner.example      TLSA 3 1 1 pki:mx.partner.example
#   ta.example      -> mx-ta.partner.example   TLSA 2 1 1 pki:ca/intermediate
#   hex.example     -> mx-hex.partner.example  TLSA 3 1 1 <openssl's hash>
#   bad.example     -> mx-bad.partner.example  TLSA 3 1 1 pki:other.example
#   plain.example   -> mx-plain.partner.example no TLSA (NXDOMAIN)
# then dnsd again without the AD bit. The TLSA data dnsd computes is also
# compared with openssl's. Waits poll the maillog; nothing sleeps to
# synchronise. Needs root (namespaces, Postfix).
#
# Env: MXLAB (the mxlab binary), DNSD (dnsd-test), both set by meson.

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
for tool in postfix swaks unshare ip openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP needs $tool"
		exit 0
	fi
done
: "${DNSD:?DNSD must name the dnsd-test binary (meson test sets it)}"
case $DNSD in /*) ;; *) DNSD=$PWD/$DNSD ;; esac
case ${MXLAB:-} in /* | '') ;; *) MXLAB=$PWD/$MXLAB ;; esac

# Start again inside the namespaces: PID 1 of a fresh PID namespace, so
# every daemon left over dies with this script.
if [ -z "${DNS_POSTFIX_INNER:-}" ]; then
	exec unshare --net --mount --pid --fork --mount-proc --kill-child \
		env DNS_POSTFIX_INNER=1 DNSD="$DNSD" MXLAB="$MXLAB" "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

plan 29
START=$EPOCHREALTIME

# ---------------------------------------------------------------- sandbox

mount --make-rprivate / &&
	ip link set lo up &&
	printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' >"$T/resolv.conf" &&
	printf '127.0.0.1 localhost\n' >"$T/hosts" &&
	mount --bind "$T/resolv.conf" /etc/resolv.conf &&
	mount --bind "$T/hosts" /etc/hosts
SANDBOX_RC=$?
# every step done, and the files seen are ours (a host whose resolv.conf
# also says 127.0.0.1 passed the content check alone)
check "sandbox: loopback up, private resolv.conf and hosts" sh -c \
	'test "$1" = 0 && cmp -s /etc/resolv.conf "$2" && cmp -s /etc/hosts "$3" &&
		ip -o link show lo | grep -q "[<,]UP[,>]"' - "$SANDBOX_RC" "$T/resolv.conf" "$T/hosts"

make_pki mx.partner.example,mx-ta.partner.example,127.0.0.10 other.example ||
	diag "no PKI: the tests below will fail"

# ---------------------------------------------------------------- TLSA data

# The 3 1 1 of a leaf as openssl computes it.
spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -r | cut -d' ' -f1
}
LEAF_HASH=$(spki_sha256 "$PKI/mx.partner.example/good/leaf.crt")
INTER_HASH=$(spki_sha256 "$PKI/ca/intermediate.crt")

cat >"$T/records" <<EOF
# MX, A, TLSA per destination; the TLSA owner is _25._tcp.<MX host>
partner.example MX 10 mx.partner.example
mx.partner.example A 127.0.0.10
_25._tcp.mx.partner.example TLSA 3 1 1 pki:mx.partner.example
ta.example MX 10 mx-ta.partner.example
mx-ta.partner.example A 127.0.0.10
_25._tcp.mx-ta.partner.example TLSA 2 1 1 pki:ca/intermediate
hex.example MX 10 mx-hex.partner.example
mx-hex.partner.example A 127.0.0.10
_25._tcp.mx-hex.partner.example TLSA 3 1 1 $LEAF_HASH
bad.example MX 10 mx-bad.partner.example
mx-bad.partner.example A 127.0.0.10
_25._tcp.mx-bad.partner.example TLSA 3 1 1 pki:other.example
plain.example MX 10 mx-plain.partner.example
mx-plain.partner.example A 127.0.0.10
EOF

# ---------------------------------------------------------------- dnsd

DNSD_PID=
DNSD_N=0
# start_dnsd [--ad]: dnsd-test on 127.0.0.1:53, output in $T/dnsd.N.out.
start_dnsd() {
	DNSD_N=$((DNSD_N + 1))
	DNSD_OUT=$T/dnsd.$DNSD_N.out
	"$DNSD" "$@" --pki "$PKI" 127.0.0.1:53 "$T/records" \
		>"$DNSD_OUT" 2>"$T/dnsd.$DNSD_N.err" </dev/null &
	DNSD_PID=$!
	wait_for 5 grep -qx 'dnsd-test: ready' "$DNSD_OUT"
}
stop_dnsd() {
	[ -n "$DNSD_PID" ] || return 1
	kill -TERM "$DNSD_PID" 2>/dev/null
	wait "$DNSD_PID"
	local rc=$?
	DNSD_PID=
	return $rc
}

if start_dnsd --ad; then ok "dnsd ready on 127.0.0.1:53 (AD on)"; else
	not_ok "dnsd ready on 127.0.0.1:53 (AD on)"
	diag_file "$T/dnsd.$DNSD_N.err"
fi

# dnsd's own view of the resolved records, against openssl's hashes.
"$DNSD" --print --pki "$PKI" "$T/records" >"$T/print.out" 2>&1
expect_file_match "dnsd's 3 1 1 of the leaf is openssl's SPKI SHA-256" \
	"^_25\._tcp\.mx\.partner\.example TLSA 3 1 1 $LEAF_HASH\$" "$T/print.out"
expect_file_match "dnsd's 2 1 1 of the intermediate is openssl's" \
	"^_25\._tcp\.mx-ta\.partner\.example TLSA 2 1 1 $INTER_HASH\$" "$T/print.out"

# ---------------------------------------------------------------- MX

start_serve mx --listen 127.0.0.10:25 --pki "$PKI" --cert mx.partner.example

# ---------------------------------------------------------------- Postfix

PF=$T/pf
mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
chown postfix "$PF/data"
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = pf.mxlab.test
mydestination =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
local_transport = error:local delivery disabled
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
smtp_connection_cache_on_demand = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
cat >"$PF/etc/master.cf" <<EOF
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
MASTER_PID=
if postfix -c "$PF/etc" check >"$T/pf-check.out" 2>&1; then
	/usr/lib/postfix/sbin/master -c "$PF/etc" -s </dev/null >/dev/null 2>&1 &
	MASTER_PID=$!
fi
smtpd_up() { (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; }
if [ -n "$MASTER_PID" ] && wait_for 10 smtpd_up; then
	ok "private Postfix accepts on 127.0.0.1:25"
else
	not_ok "private Postfix accepts on 127.0.0.1:25"
	diag_file "$T/pf-check.out"
	diag_file "$PF/maillog"
fi

# send RCPT: inject one message over SMTP.
send() {
	timeout -k 2 15 swaks --server 127.0.0.1:25 --from sender@example.test \
		--to "$1" --h-Subject "dns-postfix $1" >"$T/swaks.$1.out" 2>&1
}
# status_of RCPT: its latest status= line in the maillog.
status_of() { grep -F "to=<$1>" "$PF/maillog" 2>/dev/null | grep 'status=' | tail -n 1; }
has_status() { [ -n "$(status_of "$1")" ]; }
# tls_line_of RCPT: the last TLS line of the smtp process that logged its
# status, before that status line (the process goes on with other
# deliveries, and retries of deferred ones, after it).
tls_line_of() {
	local st pid
	st=$(status_of "$1")
	pid=$(printf '%s\n' "$st" | sed -n 's/.* postfix\/smtp\[\([0-9]*\)\]: .*/\1/p')
	[ -n "$pid" ] || return 0
	awk -v st="$st" -v p="postfix/smtp[$pid]:" '
		$0 == st { print last; exit }
		index($0, p) && /TLS connection established/ { last = $0 }' "$PF/maillog"
}
# expect_clean_maillog DESC ERE: the maillog has deliveries in it, and no
# line matching ERE (an empty or missing maillog has no warnings either).
expect_clean_maillog() {
	if ! grep -q 'status=' "$PF/maillog" 2>/dev/null; then
		not_ok "$1"; diag "no status= line in $PF/maillog: nothing to look at"
	else
		expect_no_match "$1" "$2" "$(cat "$PF/maillog")"
	fi
}
# deliver RCPT: send and wait (bounded) for a status= line.
deliver() {
	if ! send "$1"; then
		diag "swaks to $1 failed"
		diag_file "$T/swaks.$1.out" 5
	fi
	wait_for 10 has_status "$1" || diag "no status= line for $1 within 10 s"
}

# ---- AD on, TLSA 3 1 1 of the served leaf: verified, sent via the MX
deliver bob@partner.example
S=$(status_of bob@partner.example)
expect_match "3 1 1 pki:leaf: status=sent" 'status=sent' "$S"
expect_match "3 1 1 pki:leaf: relay found through the MX record" \
	'relay=mx\.partner\.example\[127\.0\.0\.10\]:25' "$S"
expect_match "3 1 1 pki:leaf: Verified TLS connection" \
	'Verified TLS connection established to mx\.partner\.example\[127\.0\.0\.10\]:25' \
	"$(tls_line_of bob@partner.example)"

# ---- AD on, TLSA 2 1 1 of the intermediate (the server sends it)
deliver bob@ta.example
S=$(status_of bob@ta.example)
expect_match "2 1 1 pki:ca/intermediate: status=sent" 'status=sent' "$S"
expect_match "2 1 1 pki:ca/intermediate: Verified TLS connection" \
	'Verified TLS connection established to mx-ta\.partner\.example\[127\.0\.0\.10\]:25' \
	"$(tls_line_of bob@ta.example)"

# ---- AD on, TLSA 3 1 1 as hex computed by openssl
deliver bob@hex.example
S=$(status_of bob@hex.example)
expect_match "3 1 1 openssl hex: status=sent" 'status=sent' "$S"
expect_match "3 1 1 openssl hex: Verified TLS connection" \
	'Verified TLS connection established to mx-hex\.partner\.example' \
	"$(tls_line_of bob@hex.example)"

# ---- AD on, TLSA 3 1 1 of another host's key: no match, deferred
deliver bob@bad.example
S=$(status_of bob@bad.example)
expect_match "3 1 1 of another key: status=deferred, not verified" \
	'dsn=4\.7\.5, status=deferred \(Server certificate not verified\)' "$S"
expect_file_match "3 1 1 of another key: 'no matching DANE TLSA records'" \
	'server certificate verification failed for mx-bad\.partner\.example\[127\.0\.0\.10\]:25: num=65:no matching DANE TLSA records' \
	"$PF/maillog"
# ---- AD on, no TLSA RRset (its name does not exist): DANE does not apply
deliver bob@plain.example
S=$(status_of bob@plain.example)
expect_match "no TLSA: status=sent" 'status=sent' "$S"
expect_match "no TLSA: TLS without verification" \
	'(Untrusted|Anonymous) TLS connection established to mx-plain\.partner\.example' \
	"$(tls_line_of bob@plain.example)"
expect_file_match "dnsd answered the TLSA query of mx-plain with NXDOMAIN" \
	'^dnsd: udp _25\._tcp\.mx-plain\.partner\.example TLSA edns do ad -> NXDOMAIN, 0 answers$' \
	"$DNSD_OUT"
expect_clean_maillog "with AD: no warning at all in the maillog" 'warning:'
expect_clean_maillog "with AD: no 'DNSSEC validation may be unavailable'" \
	'DNSSEC validation may be unavailable'

# ---- dnsd again, without AD: Postfix warns, falls back to unauthenticated TLS
stop_dnsd
check "dnsd (AD on) exits 0 on SIGTERM" test $? -eq 0
expect_file_match "Postfix's queries carry DO and AD (glibc trust-ad)" \
	'^dnsd: udp _25\._tcp\.mx\.partner\.example TLSA edns do ad -> NOERROR, 1 answer$' \
	"$DNSD_OUT"
if start_dnsd; then ok "dnsd restarted without AD"; else
	not_ok "dnsd restarted without AD"
	diag_file "$T/dnsd.$DNSD_N.err"
fi
# A new smtp process probes DNSSEC again: end the ones that probed with AD.
postfix -c "$PF/etc" reload >/dev/null 2>&1
deliver carol@partner.example
S=$(status_of carol@partner.example)
expect_match "without AD: status=sent" 'status=sent' "$S"
expect_file_match "without AD: 'DNSSEC validation may be unavailable'" \
	'warning: DNSSEC validation may be unavailable' "$PF/maillog"
expect_file_match "without AD: the probe's reason" \
	"warning: reason: dnssec_probe 'ns:\.' received a response that is not DNSSEC validated" \
	"$PF/maillog"
expect_file_match "without AD: dnsd answered the probe (. NS)" \
	'^dnsd: udp \. NS edns do ad -> NOERROR, 1 answer$' "$DNSD_OUT"
# said positively: no TLS line at all is not "not Verified"
expect_match "without AD: TLS not Verified (Untrusted)" \
	'Untrusted TLS connection established to mx\.partner\.example\[127\.0\.0\.10\]:25' \
	"$(tls_line_of carol@partner.example)"

stop_dnsd
if [ -n "$MASTER_PID" ]; then
	kill -TERM "$MASTER_PID" 2>/dev/null
	wait "$MASTER_PID" 2>/dev/null
fi
stop_serve mx
diag "dns-postfix: $(elapsed_ms "$START") ms"
if [ "$_tap_fail" -gt 0 ]; then
	diag_file "$PF/maillog" 60
	diag_file "$T/dnsd.1.out" 40
	diag_file "$T/dnsd.$DNSD_N.out" 40
fi
done_testing
