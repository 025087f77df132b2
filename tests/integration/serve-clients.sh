#!/bin/bash
# serve-clients.sh: real third-party clients against `mxlab serve`:
# gnutls-cli (implicit TLS and STARTTLS, verified against the PKI's root),
# swaks (STARTTLS and SMTPS deliveries stored byte-exact in the mailbox,
# dot-stuffing included) and Postfix's posttls-finger (verified full chain,
# untrusted leaf-only chain), run from a private MAIL_CONFIG.
. "$(dirname "$0")/lib.sh"

plan 33
make_pki || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt
CERT=(--pki "$PKI" --cert mx.example.test)

# The message as the mailbox must store it: CRLF lines, one starting with
# a dot, one that is a lone dot, 8-bit bytes. And its dot-stuffed form as
# it goes on the wire, ending with the "." that swaks --no-data-fixup
# sends as is (swaks itself adds the CRLF after it).
printf '%s\r\n' \
	'From: alice@example.test' \
	'To: bob@example.test' \
	'Subject: byte-exact' \
	'' \
	'first line' \
	'.a line that starts with a dot' \
	'.' \
	'..two dots' \
	$'8-bit: caf\xc3\xa9' \
	'last line' >"$T/msg.eml"
{ sed 's/^\./../' "$T/msg.eml"; printf '.'; } >"$T/msg.wire"

# swaks_send OUT ARGS...: deliver msg.wire with swaks (bounded).
swaks_send() {
	local out=$1
	shift
	timeout -k 2 30 swaks --server 127.0.0.1 --from alice@example.test \
		--to bob@example.test --helo client.example.test \
		--data "@$T/msg.wire" --no-data-fixup "$@" >"$out" 2>&1
}

# ---- gnutls-cli
start_serve smtps "${CERT[@]}" --implicit-tls yes --transcript "$T/smtps.jsonl"
printf 'QUIT\r\n' | timeout -k 2 20 gnutls-cli --x509cafile="$ROOT" \
	-p "$PORT" 127.0.0.1 --sni-hostname=mx.example.test \
	--verify-hostname=mx.example.test >"$T/gnutls-smtps.txt" 2>&1
expect_file_match "gnutls-cli, implicit TLS: the certificate is trusted" \
	'The certificate is trusted' "$T/gnutls-smtps.txt"
# Without tls-max the server offers its mbedTLS's highest version: 1.2 on
# 2.x, 1.3 on 3.x (which has no 1.0 or 1.1: mbedtls_tls11 says which).
if mbedtls_tls11; then top=2; else top=3; fi
expect_file_match "gnutls-cli, implicit TLS: a TLS 1.$top session (this mbedTLS's highest)" \
	"\\(TLS1\\.$top" "$T/gnutls-smtps.txt"
stop_serve smtps
expect_event "transcript: gnutls-cli's SNI mx.example.test recorded" \
	'.event == "tls" and .result == "ok" and .sni == "mx.example.test"' "$T/smtps.jsonl"

start_serve starttls "${CERT[@]}"
printf 'QUIT\r\n' | timeout -k 2 20 gnutls-cli --starttls-proto=smtp \
	--x509cafile="$ROOT" -p "$PORT" 127.0.0.1 \
	--verify-hostname=mx.example.test >"$T/gnutls-starttls.txt" 2>&1
expect_file_match "gnutls-cli --starttls-proto=smtp: the certificate is trusted" \
	'The certificate is trusted' "$T/gnutls-starttls.txt"
printf 'QUIT\r\n' | timeout -k 2 20 gnutls-cli --starttls-proto=smtp \
	--x509cafile="$PKI/ca/other-root.crt" -p "$PORT" 127.0.0.1 \
	--verify-hostname=mx.example.test >"$T/gnutls-other.txt" 2>&1
expect_file_match "gnutls-cli with another root: the certificate is NOT trusted" \
	'NOT trusted|not trusted|issuer is unknown' "$T/gnutls-other.txt"
stop_serve starttls

# ---- swaks, STARTTLS, byte-exact mailbox
mkdir -p "$T/mbox"
start_serve deliver "${CERT[@]}" --mailbox "$T/mbox" --transcript "$T/deliver.jsonl"
swaks_send "$T/swaks-tls.txt" --port "$PORT" --tls --tls-verify \
	--tls-ca-path "$ROOT" --tls-sni mx.example.test
expect_eq "swaks --tls delivers (exit 0)" 0 "$?"
expect_file_match "swaks: the TLS session started" 'TLS started' "$T/swaks-tls.txt"
# the reply right after the "." (any 250 over TLS, EHLO's too, matched before)
expect_match "swaks: end of data accepted with 250" '^<~ +250 ' \
	"$(sed -n '/^ ~> \.$/{n;p;}' "$T/swaks-tls.txt")"
stop_serve deliver
eml=$(ls "$T/mbox"/*.eml 2>/dev/null | head -n 1)
expect_eq "one message stored" 1 "$(ls "$T/mbox"/*.eml 2>/dev/null | wc -l)"
check "stored .eml equals the bytes sent, dot-stuffing undone" cmp "$T/msg.eml" "${eml:-/dev/null}"
envj=${eml%.eml}.json
expect_eq "envelope: from" alice@example.test "$(jq -r .from "$envj" 2>&1)"
expect_eq "envelope: rcpt" '["bob@example.test"]' "$(jq -c .rcpt "$envj" 2>&1)"
expect_eq "envelope: helo" client.example.test "$(jq -r .helo "$envj" 2>&1)"
expect_eq "envelope: tls true" true "$(jq -r .tls "$envj" 2>&1)"
expect_event "transcript: message event with its size" \
	".event == \"message\" and .from == \"alice@example.test\" and .size == $(wc -c <"$T/msg.eml")" \
	"$T/deliver.jsonl"

# ---- swaks, SMTPS
mkdir -p "$T/mbox2"
start_serve smtps2 "${CERT[@]}" --implicit-tls yes --mailbox "$T/mbox2"
swaks_send "$T/swaks-tlsc.txt" --port "$PORT" --tls-on-connect --tls-verify \
	--tls-ca-path "$ROOT"
expect_eq "swaks --tls-on-connect delivers (exit 0)" 0 "$?"
stop_serve smtps2
eml=$(ls "$T/mbox2"/*.eml 2>/dev/null | head -n 1)
check "SMTPS: stored .eml equals the bytes sent" cmp "$T/msg.eml" "${eml:-/dev/null}"

# ---- posttls-finger, from a private, empty Postfix configuration
mkdir -p "$T/pf"
: >"$T/pf/main.cf"
finger() {
	MAIL_CONFIG=$T/pf timeout -k 2 30 posttls-finger -c -l secure -P "$CADIR/" \
		"[127.0.0.1]:$1" mx.example.test >"$2" 2>&1
}
start_serve pf-full "${CERT[@]}" --chain full
finger "$PORT" "$T/pf-full.txt"
expect_file_match "posttls-finger, full chain: Verified TLS connection established" \
	'Verified TLS connection established' "$T/pf-full.txt"
expect_file_match "posttls-finger: peer name matched" \
	'matched peername: mx\.example\.test|Matched (subjectAltName|CommonName): mx\.example\.test' \
	"$T/pf-full.txt"
stop_serve pf-full

start_serve pf-leaf "${CERT[@]}" --chain leaf-only
finger "$PORT" "$T/pf-leaf.txt"
expect_file_match "posttls-finger, leaf-only: untrusted issuer" \
	'untrusted issuer' "$T/pf-leaf.txt"
expect_file_match "posttls-finger, leaf-only: Untrusted TLS connection" \
	'Untrusted TLS connection established' "$T/pf-leaf.txt"
stop_serve pf-leaf

done_testing
