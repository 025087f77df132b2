#!/bin/bash
# serve-starttls.sh: how `mxlab serve` offers TLS: the EHLO keywords,
# --starttls offer|hide|refuse, the default without a certificate, implicit
# TLS (SMTPS), and --tls-min/--tls-max as openssl s_client sees them.
. "$(dirname "$0")/lib.sh"

plan 33
make_pki || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt
CERT=(--pki "$PKI" --cert mx.example.test)

# ehlo PORT: connect, read the greeting, send EHLO; EHLO holds the reply.
ehlo() {
	EHLO=
	smtp_open "$1" || return 1
	smtp_reply || return 1
	smtp_cmd "EHLO client.example.test" || return 1
	EHLO=$SMTP_TEXT
}

# expect_no_starttls DESC: EHLO got a 250 reply, and it does not offer
# STARTTLS (no reply at all offers nothing, and is a failure).
expect_no_starttls() {
	if printf '%s\n' "$EHLO" | grep -Eq '^250 ' &&
		! printf '%s\n' "$EHLO" | grep -q STARTTLS; then
		ok "$1"
	else
		not_ok "$1"; diag "want a 250 EHLO reply without STARTTLS, got:"; diag "$EHLO"
	fi
}

# ---- offer (the default with a certificate)
start_serve offer "${CERT[@]}" --size 1000000
ehlo "$PORT"
expect_match "EHLO 250 with STARTTLS" '^250[- ]STARTTLS$' "$EHLO"
expect_match "EHLO advertises PIPELINING" '^250[- ]PIPELINING$' "$EHLO"
expect_match "EHLO advertises SIZE 1000000" '^250[- ]SIZE 1000000$' "$EHLO"
expect_match "EHLO advertises 8BITMIME" '^250[- ]8BITMIME$' "$EHLO"
expect_match "EHLO advertises ENHANCEDSTATUSCODES" '^250[- ]ENHANCEDSTATUSCODES$' "$EHLO"
smtp_cmd "STARTTLS"
expect_match "STARTTLS answered 220" '^220 ' "$SMTP_TEXT"
smtp_close
stop_serve offer

# ---- hide
start_serve hide "${CERT[@]}" --starttls hide
ehlo "$PORT"
expect_no_starttls "hide: STARTTLS not in EHLO"
smtp_cmd "STARTTLS"
expect_match "hide: STARTTLS answered 502 5.5.1" '^502 5\.5\.1' "$SMTP_TEXT"
smtp_cmd "QUIT"
expect_eq "hide: the session goes on (QUIT -> 221)" 221 "$SMTP_CODE"
smtp_close
stop_serve hide

# ---- no certificate at all: hide is the default
start_serve nocert
ehlo "$PORT"
expect_no_starttls "no certificate: STARTTLS not advertised"
smtp_close

# ---- refuse
start_serve refuse "${CERT[@]}" --starttls refuse
ehlo "$PORT"
expect_match "refuse: STARTTLS advertised" '^250[- ]STARTTLS$' "$EHLO"
smtp_cmd "STARTTLS"
expect_match "refuse: STARTTLS answered 454 4.7.0 TLS not available" \
	'^454 4\.7\.0 TLS not available' "$SMTP_TEXT"
smtp_close
stop_serve refuse
stop_serve nocert

# ---- implicit TLS
start_serve smtps "${CERT[@]}" --implicit-tls yes
s_client "$T/smtps.txt" -connect "127.0.0.1:$PORT" -CAfile "$ROOT" -noservername
expect_file_match "implicit TLS: handshake verifies" 'Verify return code: 0 \(ok\)' "$T/smtps.txt"
expect_file_match "implicit TLS: greeting over TLS, then QUIT -> 221" \
	'^221 ' "$T/smtps.txt"
stop_serve smtps

# ---- protocol versions
if mbedtls_tls11; then
	start_serve max11 "${CERT[@]}" --tls-max 1.1 --transcript "$T/max11.jsonl"
	s_client "$T/max11-12.txt" -starttls smtp -connect "127.0.0.1:$PORT" -tls1_2
	rc=$?
	# refused on the version: the client rejects the server's 1.1 (or the
	# server alerts), not any failure at all
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! tls_established "$T/max11-12.txt" &&
		grep -Eq 'unsupported protocol|alert protocol version' "$T/max11-12.txt"; then
		ok "tls-max 1.1: a TLS 1.2-only client is refused"
	else
		not_ok "tls-max 1.1: a TLS 1.2-only client is refused (status $rc)"
		diag_file "$T/max11-12.txt"
	fi
	if openssl s_client -help 2>&1 | grep -q -- '-tls1_1'; then
		s_client "$T/max11-11.txt" -starttls smtp -connect "127.0.0.1:$PORT" \
			-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
		if tls_established "$T/max11-11.txt" &&
			grep -Eq 'Protocol *: *TLSv1\.1$' "$T/max11-11.txt"; then
			ok "tls-max 1.1: a TLS 1.1 client is accepted"
		elif grep -q 'no protocols available' "$T/max11-11.txt"; then
			skip "tls-max 1.1: a TLS 1.1 client is accepted" "this openssl cannot do TLS 1.1"
		else
			not_ok "tls-max 1.1: a TLS 1.1 client is accepted"
			diag_file "$T/max11-11.txt"
		fi
	else
		skip "tls-max 1.1: a TLS 1.1 client is accepted" "openssl without -tls1_1"
	fi
	stop_serve max11
	expect_event "transcript: the refused TLS 1.2 handshake is recorded as failed" \
		'.event == "tls" and .result == "failed"' "$T/max11.jsonl"
else
	for t in 'serve max11 ready' 'tls-max 1.1: a TLS 1.2-only client is refused' \
		'tls-max 1.1: a TLS 1.1 client is accepted' 'serve max11 exits 0 on SIGTERM' \
		'transcript: the refused TLS 1.2 handshake is recorded as failed'; do
		skip "$t" "mbedTLS 3.x has no TLS 1.1"
	done
fi

start_serve min12 "${CERT[@]}" --tls-min 1.2
s_client "$T/min12.txt" -starttls smtp -connect "127.0.0.1:$PORT" \
	-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
rc=$?
# the server's protocol_version alert, not a client that cannot do 1.1
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! tls_established "$T/min12.txt" &&
	grep -q 'alert protocol version' "$T/min12.txt"; then
	ok "tls-min 1.2: a TLS 1.1 client is refused"
elif grep -q 'no protocols available' "$T/min12.txt"; then
	skip "tls-min 1.2: a TLS 1.1 client is refused" "this openssl cannot do TLS 1.1"
else
	not_ok "tls-min 1.2: a TLS 1.1 client is refused (status $rc)"
	diag_file "$T/min12.txt"
fi
check "tls-min 1.2: the server still serves" smtp_session "$PORT"
stop_serve min12

done_testing
