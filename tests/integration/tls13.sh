#!/bin/bash
# tls13.sh: the peers under TLS 1.3 (mbedTLS 3.x; skipped with 2.28, which
# has no TLS 1.3). `mxlab serve --tls-max 1.3` as openssl s_client -tls1_3
# and gnutls-cli (1.3 only) see it: the version and cipher, SNI picking
# chains, full versus leaf-only, the TLS faults, the transcript, session
# resumption by tickets (s_client -sess_out/-sess_in says "Reused"). And
# `mxlab send --tls-max 1.3`: per certificate profile the same verdict,
# reasons and chain as under 1.2, and resumption with connections 2.
. "$(dirname "$0")/lib.sh"

# 2.28 prints "(mbedTLS 2.28.3)"; TLS 1.3 needs 3.x (and refuses
# --tls-max 1.3 without it).
if ! "$MXLAB" --version | grep -q '(mbedTLS [3-9]\.'; then
	echo "1..0 # SKIP no TLS 1.3: $("$MXLAB" --version 2>&1 | head -n 1)"
	exit 0
fi
command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }
command -v gnutls-cli >/dev/null || { echo "1..0 # SKIP gnutls-cli missing"; exit 0; }

plan 68
make_pki || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt
NAME=mx.example.test
V13=(--tls-max 1.3)
G13=NORMAL:-VERS-ALL:+VERS-TLS1.3

# gnutls13 OUT ARGS...: gnutls-cli, TLS 1.3 only, STARTTLS (QUIT on stdin).
gnutls13() {
	local out=$1
	shift
	printf 'QUIT\r\n' | timeout -k 2 20 gnutls-cli --priority "$G13" --starttls-proto=smtp \
		"$@" >"$out" 2>&1
}

# ossl_version FILE: the protocol of s_client's "New, TLSv1.3, Cipher is ..."
ossl_version() { sed -n 's/^\(New\|Reused\), \(TLSv[0-9.]*\), Cipher is .*/\2/p' "$1" | head -n 1; }
ossl_session() { sed -n 's/^\(New\|Reused\), TLSv.*/\1/p' "$1" | head -n 1; }

# ---- version, cipher, SNI, transcript (full chains)
start_serve sni "${V13[@]}" --pki "$PKI" --cert $NAME --chain full \
	--sni other.example.test=other.example.test --transcript "$T/sni.jsonl"
P=$PORT

s_client "$T/o-def.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername $NAME -CAfile "$ROOT" -verify_hostname $NAME
expect_eq "openssl -tls1_3: TLSv1.3 negotiated" TLSv1.3 "$(ossl_version "$T/o-def.txt")"
expect_file_match "openssl -tls1_3: a TLS 1.3 cipher" 'Cipher is TLS_(AES|CHACHA20)_' "$T/o-def.txt"
expect_eq "openssl -tls1_3: full chain, 2 certificates" 2 "$(cert_count "$T/o-def.txt")"
expect_file_match "openssl -tls1_3: the chain verifies against the root" \
	'Verify return code: 0 \(ok\)' "$T/o-def.txt"
expect_file_match "openssl -tls1_3: SMTP over the TLS session (QUIT -> 221)" '^221 ' "$T/o-def.txt"

s_client "$T/o-other.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername other.example.test -CAfile "$ROOT"
expect_eq "openssl -tls1_3, SNI other.example.test: its leaf" other.example.test "$(leaf_cn "$T/o-other.txt")"
expect_eq "openssl -tls1_3, SNI other.example.test: 2 certificates" 2 "$(cert_count "$T/o-other.txt")"

s_client "$T/o-unknown.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername unknown.example.test
expect_eq "openssl -tls1_3, unknown SNI: the default leaf" $NAME "$(leaf_cn "$T/o-unknown.txt")"

gnutls13 "$T/g-def.txt" --x509cafile "$ROOT" --sni-hostname $NAME --verify-hostname $NAME -p "$P" 127.0.0.1
expect_eq "gnutls-cli (1.3 only): exits 0" 0 "$?"
expect_file_match "gnutls-cli: TLS1.3 negotiated" 'Description: \(TLS1\.3-' "$T/g-def.txt"
expect_file_match "gnutls-cli: the certificate is trusted" 'The certificate is trusted' "$T/g-def.txt"

gnutls13 "$T/g-other.txt" --x509cafile "$ROOT" --sni-hostname other.example.test \
	--verify-hostname other.example.test -p "$P" 127.0.0.1
expect_match "gnutls-cli, SNI other.example.test: its leaf" 'subject `[^'"'"']*CN=other\.example\.test'"'"'' \
	"$(grep -A1 'Certificate\[0\] info' "$T/g-other.txt")"
expect_file_match "gnutls-cli, SNI other.example.test: TLS1.3" \
	'Description: \(TLS1\.3-' "$T/g-other.txt"
stop_serve sni

J=$T/sni.jsonl
expect_event "transcript: version TLSv1.3 and a cipher, SNI $NAME, its full chain" \
	".event == \"tls\" and .result == \"ok\" and .version == \"TLSv1.3\" and (.cipher | length > 0) and .sni == \"$NAME\" and .chain == \"$NAME/good full\" and .certificates == 2" "$J"
expect_event "transcript: SNI other.example.test served its chain under TLSv1.3" \
	'.event == "tls" and .version == "TLSv1.3" and .sni == "other.example.test" and (.chain | startswith("other.example.test"))' "$J"
expect_eq "transcript: all 5 handshakes TLSv1.3" 5 \
	"$(jq -c 'select(.event == "tls" and .result == "ok" and .version == "TLSv1.3")' "$J" 2>/dev/null | wc -l)"

# ---- leaf only
start_serve leaf "${V13[@]}" --pki "$PKI" --cert $NAME --chain leaf-only --transcript "$T/leaf.jsonl"
s_client "$T/o-leaf.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$PORT" -showcerts \
	-servername $NAME -CAfile "$ROOT"
expect_eq "openssl -tls1_3, leaf-only: 1 certificate" 1 "$(cert_count "$T/o-leaf.txt")"
expect_file_match "openssl -tls1_3, leaf-only: does not verify (21)" 'Verify return code: 21 ' "$T/o-leaf.txt"
gnutls13 "$T/g-leaf.txt" --x509cafile "$ROOT" --sni-hostname $NAME -p "$PORT" 127.0.0.1
expect_file_match "gnutls-cli, leaf-only: issuer unknown" 'issuer is unknown' "$T/g-leaf.txt"
stop_serve leaf
expect_event "transcript: leaf-only chain, 1 certificate, TLSv1.3" \
	".event == \"tls\" and .version == \"TLSv1.3\" and .chain == \"$NAME/good leaf-only\" and .certificates == 1" "$T/leaf.jsonl"

# ---- resumption by tickets, openssl
start_serve resume "${V13[@]}" --pki "$PKI" --cert $NAME --transcript "$T/resume.jsonl"
s_client "$T/o-r1.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$PORT" -servername $NAME \
	-CAfile "$ROOT" -sess_out "$T/sess.pem"
expect_eq "openssl -tls1_3 -sess_out: a new TLSv1.3 session" "New TLSv1.3" \
	"$(ossl_session "$T/o-r1.txt") $(ossl_version "$T/o-r1.txt")"
if [ -s "$T/sess.pem" ] && grep -q 'TLS session ticket' <(openssl sess_id -in "$T/sess.pem" -noout -text 2>&1); then
	ok "openssl -sess_out: the session holds a ticket from mxlab serve"
else
	not_ok "openssl -sess_out: the session holds a ticket from mxlab serve"
	diag "$(openssl sess_id -in "$T/sess.pem" -noout -text 2>&1 | head -n 20)"
fi
s_client "$T/o-r2.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$PORT" -servername $NAME \
	-CAfile "$ROOT" -sess_in "$T/sess.pem"
expect_eq "openssl -tls1_3 -sess_in: Reused, TLSv1.3" "Reused TLSv1.3" \
	"$(ossl_session "$T/o-r2.txt") $(ossl_version "$T/o-r2.txt")"
expect_file_match "openssl -sess_in: SMTP over the resumed session (QUIT -> 221)" '^221 ' "$T/o-r2.txt"

# ---- resumption, mxlab send (connections 2 offers the first session's ticket)
json=$(timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --pki "$PKI" --sni $NAME \
	"${V13[@]}" --connections 2 --json)
expect_eq "mxlab send --tls-max 1.3 --connections 2: 2 TLSv1.3 sessions, the 2nd resumed, verified, chain 2" \
	"done 2 TLSv1.3 true true 2" \
	"$(jq -r '[.stage, .sessions, .tls_version, .resumed, .verified, .chain_length] | join(" ")' <<<"$json")"
json=$(timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --pki "$PKI" --sni $NAME \
	"${V13[@]}" --json)
expect_eq "mxlab send --tls-max 1.3, one connection: not resumed" "TLSv1.3 false" \
	"$(jq -r '[.tls_version, .resumed] | join(" ")' <<<"$json")"
stop_serve resume
# The server's side of the same five sessions: openssl new, openssl
# resumed, mxlab send new then resumed, mxlab send new.
expect_eq "transcript: resumed as each client saw it (false true false true false)" \
	"false true false true false" \
	"$(jq -r 'select(.event == "tls" and .result == "ok") | .resumed' "$T/resume.jsonl" | tr '\n' ' ' | sed 's/ $//')"

# ---- faults under TLS 1.3
for fault in close-after-ready garbage; do
	start_serve "$fault" "${V13[@]}" --pki "$PKI" --cert $NAME --tls-fault "$fault" \
		--transcript "$T/$fault.jsonl"
	s_client "$T/o-$fault.txt" -tls1_3 -starttls smtp -connect "127.0.0.1:$PORT"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "tls-fault $fault: openssl -tls1_3 fails cleanly (status $rc)"
	else not_ok "tls-fault $fault: openssl -tls1_3 fails cleanly (status $rc)"; diag_file "$T/o-$fault.txt"; fi
	gnutls13 "$T/g-$fault.txt" --insecure -p "$PORT" 127.0.0.1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "tls-fault $fault: gnutls-cli (1.3) fails cleanly (status $rc)"
	else not_ok "tls-fault $fault: gnutls-cli (1.3) fails cleanly (status $rc)"; diag_file "$T/g-$fault.txt"; fi
	json=$(timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --pki "$PKI" --sni $NAME \
		"${V13[@]}" --json)
	expect_eq "tls-fault $fault: mxlab send --tls-max 1.3 stops at stage tls" tls \
		"$(jq -r '.stage' <<<"$json")"
	check "tls-fault $fault: a following connection is served" smtp_session "$PORT"
	stop_serve "$fault"
	expect_eq "tls-fault $fault: the transcript shows it struck the 3 TLS clients" \
		"[1,2,3]" "$(jq -cs --arg f "$fault" \
			'[.[] | select(.event == "tls-fault" and .fault == $f) | .conn]' "$T/$fault.jsonl" 2>&1)"
done

# ---- the client: the same verdict, reasons and chain under 1.3 as under 1.2
# profile chain
CASES="good full
good leaf-only
self-signed full
expired full
not-yet-valid full
wrong-name full
unknown-root full"
while read -r prof chain; do
	start_serve "$prof-$chain" "${V13[@]}" --pki "$PKI" --cert $NAME --profile "$prof" --chain "$chain" || {
		not_ok "$prof/$chain: no server"; not_ok "$prof/$chain: no server"; continue; }
	for v in 1.2 1.3; do
		timeout 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --sni $NAME --pki "$PKI" \
			--tls-max $v --stop-after ehlo-tls --json >"$T/send-$prof-$chain-$v.json"
	done
	q='[.tls_version, .verified, (.reasons | join(",")), .chain_length, ([.chain[]?.subject] | join(";"))] | join(" ")'
	a=$(jq -r "$q" "$T/send-$prof-$chain-1.2.json" 2>&1)
	b=$(jq -r "$q" "$T/send-$prof-$chain-1.3.json" 2>&1)
	if [ "${a#TLSv1.2 }" = "${b#TLSv1.3 }" ] && [ "$a" != "$b" ] && [ "${a#TLSv1.2 }" != "$a" ]; then
		ok "$prof/$chain: mxlab send under TLSv1.3 as under TLSv1.2: ${a#TLSv1.2 }"
	else
		not_ok "$prof/$chain: mxlab send under TLSv1.3 as under TLSv1.2"
		diag "1.2: $a" "1.3: $b"
	fi
	stop_serve "$prof-$chain"
done <<<"$CASES"

done_testing
