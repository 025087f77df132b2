#!/bin/bash
# serve-tls.sh: the chain `mxlab serve` presents over STARTTLS, as
# openssl s_client sees it, and what the transcript records: full chain
# versus leaf-only, the SNI table (a PKI host, a file: entry, an unknown
# name, no SNI at all), verification against the PKI's root.
. "$(dirname "$0")/lib.sh"

plan 29
make_pki || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt

# A key + leaf bundle with no intermediate, for an SNI file: entry.
cat "$PKI/other.example.test/good/leaf.key" \
	"$PKI/other.example.test/good/leaf.crt" >"$T/solo.pem" 2>/dev/null

# ---- full chain, SNI table
start_serve full --pki "$PKI" --cert mx.example.test --chain full \
	--sni other.example.test=other.example.test \
	--sni "solo.example.test=file:$T/solo.pem" \
	--transcript "$T/full.jsonl"
P=$PORT

s_client "$T/nosni.txt" -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-noservername -CAfile "$ROOT"
expect_eq "full chain, no SNI: 2 certificates" 2 "$(cert_count "$T/nosni.txt")"
expect_eq "no SNI: default leaf mx.example.test" mx.example.test "$(leaf_cn "$T/nosni.txt")"
expect_file_match "full chain verifies against the root" \
	'Verify return code: 0 \(ok\)' "$T/nosni.txt"
expect_file_match "SMTP works over the TLS session (QUIT -> 221)" '^221 ' "$T/nosni.txt"
# The ECDHE group: X25519 first, as OpenSSL and Postfix prefer (mbedTLS
# 2.28's own order would pick P-521, at 2.5x the CPU).
expect_file_match "key exchange with an OpenSSL client: X25519" 'Server Temp Key: X25519' "$T/nosni.txt"

s_client "$T/other.txt" -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername other.example.test -CAfile "$ROOT"
expect_eq "SNI other.example.test: its leaf" other.example.test "$(leaf_cn "$T/other.txt")"
expect_eq "SNI other.example.test: 2 certificates" 2 "$(cert_count "$T/other.txt")"
expect_file_match "SNI chain verifies against the root" \
	'Verify return code: 0 \(ok\)' "$T/other.txt"

s_client "$T/unknown.txt" -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername unknown.example.test
expect_eq "unknown SNI: the default leaf" mx.example.test "$(leaf_cn "$T/unknown.txt")"

s_client "$T/solo.txt" -starttls smtp -connect "127.0.0.1:$P" -showcerts \
	-servername solo.example.test
expect_eq "SNI file: entry with leaf only: 1 certificate" 1 "$(cert_count "$T/solo.txt")"
expect_eq "SNI file: entry: its leaf" other.example.test "$(leaf_cn "$T/solo.txt")"

stop_serve full

# ---- resumption by session id, TLS 1.2 (the server's cache): openssl
# -sess_out then -sess_in says "Reused", and the transcript says resumed.
start_serve resume --pki "$PKI" --cert mx.example.test --tls-max 1.2 --transcript "$T/resume.jsonl"
s_client "$T/r1.txt" -tls1_2 -no_ticket -starttls smtp -connect "127.0.0.1:$PORT" \
	-servername mx.example.test -sess_out "$T/sess12.pem"
s_client "$T/r2.txt" -tls1_2 -no_ticket -starttls smtp -connect "127.0.0.1:$PORT" \
	-servername mx.example.test -sess_in "$T/sess12.pem"
expect_eq "openssl -tls1_2 -sess_out then -sess_in: New, then Reused" "New Reused" \
	"$(sed -n 's/^\(New\|Reused\), TLSv.*/\1/p' "$T/r1.txt" | head -n 1) $(sed -n 's/^\(New\|Reused\), TLSv.*/\1/p' "$T/r2.txt" | head -n 1)"
stop_serve resume
expect_eq "transcript: the second TLS 1.2 session resumed (false true)" "false true" \
	"$(jq -r 'select(.event == "tls" and .result == "ok") | .resumed' "$T/resume.jsonl" | tr '\n' ' ' | sed 's/ $//')"

J=$T/full.jsonl
expect_event "transcript: no SNI recorded as null, full chain of mx.example.test, 2 certificates" \
	'.event == "tls" and .result == "ok" and .sni == null and .chain == "mx.example.test/good full" and .certificates == 2' "$J"
expect_event "transcript: SNI other.example.test and its chain" \
	'.event == "tls" and .sni == "other.example.test" and (.chain | startswith("other.example.test"))' "$J"
expect_event "transcript: unknown SNI recorded, default chain served" \
	'.event == "tls" and .sni == "unknown.example.test" and .chain == "mx.example.test/good full"' "$J"
expect_event "transcript: file: entry served 1 certificate" \
	'.event == "tls" and .sni == "solo.example.test" and .certificates == 1' "$J"
expect_event "transcript: TLS version and cipher recorded" \
	'.event == "tls" and (.version | test("TLS")) and (.cipher | length > 0)' "$J"
# N lines, N objects with time, conn and event (an empty file has none to lack)
n=$(wc -l <"$J" 2>/dev/null)
if [ "${n:-0}" -gt 0 ] && [ "$(jq -c 'select(.time and .conn and .event)' "$J" 2>/dev/null | wc -l)" = "$n" ]; then
	ok "transcript: every line ($n) is JSON with time, conn and event"
else
	not_ok "transcript: every line is JSON with time, conn and event"; diag_file "$J" 10
fi

# ---- leaf only
start_serve leaf --pki "$PKI" --cert mx.example.test --chain leaf-only \
	--transcript "$T/leaf.jsonl"
s_client "$T/leaf.txt" -starttls smtp -connect "127.0.0.1:$PORT" -showcerts \
	-noservername -CAfile "$ROOT"
expect_eq "leaf-only: 1 certificate" 1 "$(cert_count "$T/leaf.txt")"
expect_eq "leaf-only: leaf mx.example.test" mx.example.test "$(leaf_cn "$T/leaf.txt")"
expect_file_match "leaf-only does not verify (21, unable to verify the first certificate)" \
	'Verify return code: 21 ' "$T/leaf.txt"
stop_serve leaf
expect_event "transcript: leaf-only chain, 1 certificate" \
	'.event == "tls" and .chain == "mx.example.test/good leaf-only" and .certificates == 1' "$T/leaf.jsonl"

done_testing
