#!/bin/bash
# send-compare.sh: `mxlab send` against `mxlab serve` for every certs-gen
# profile, compared with openssl s_client and gnutls-cli on the same
# server: all three agree on verified or not and, where the tools say why,
# on the reason; chain lengths agree with s_client -showcerts. Also
# implicit TLS (gnutls-cli), and a clientAuth-only leaf served by
# openssl s_server (the mbedTLS server cannot serve it) to see bad-usage.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }
command -v gnutls-cli >/dev/null || { echo "1..0 # SKIP gnutls-cli missing"; exit 0; }

# profile chain  verified reason (ours; "" when verified)
CASES="good full 1 -
good leaf-only 0 untrusted-issuer
self-signed full 0 self-signed
expired full 0 expired
not-yet-valid full 0 not-yet-valid
wrong-name full 0 name-mismatch
unknown-root full 0 untrusted-issuer
root-signed full 1 -
ca-true full 1 -"

plan 76
make_pki || exit 1
ROOT=$PKI/ca/root.crt
NAME=mx.example.test

# gnutls_reason FILE: gnutls-cli's status text as our reason: "" only when
# it says the certificate is trusted (self-signed is "issuer unknown").
gnutls_reason() {
	if grep -q 'The certificate is trusted' "$1"; then echo ""
	elif grep -q 'uses expired certificate' "$1"; then echo expired
	elif grep -q 'not yet activated\|not yet valid' "$1"; then echo not-yet-valid
	elif grep -q 'does not match the expected' "$1"; then echo name-mismatch
	elif grep -q 'issuer is unknown' "$1"; then echo untrusted-issuer
	elif grep -qi 'purpose' "$1"; then echo bad-usage
	else echo other; fi
}

# The checks of a case, after start_serve, in order (for a case that has
# no server: each is then a failure, never an ok).
CHECKS=("mxlab send verdict" "openssl s_client agrees on verified" "openssl reason"
	"chain length as s_client -showcerts" "gnutls-cli agrees on verified" "gnutls reason"
	"serve stops")

# compare PROFILE CHAIN WANT_VERIFIED WANT_REASON: 8 TAP lines with the server
compare() {
	local prof=$1 chain=$2 want_v=$3 want_r=$4 json v r n osn orc ogot g grc ggot c
	start_serve "$prof-$chain" --pki "$PKI" --cert $NAME --profile "$prof" --chain "$chain" || {
		for c in "${CHECKS[@]}"; do not_ok "$prof/$chain: $c: not checked, no server"; done
		return; }
	json=$(timeout 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --sni $NAME --pki "$PKI" --json)
	v=$(jq -r '.verified' <<<"$json")
	r=$(jq -r '.reasons | join(",")' <<<"$json")
	n=$(jq -r '.chain_length' <<<"$json")
	[ "$want_v" = 1 ] && want_v=true || want_v=false
	[ "$want_r" = - ] && want_r=
	expect_eq "$prof/$chain: mxlab send verified=$want_v reasons=$want_r" "$want_v $want_r" "$v $r"

	s_client "$T/o-$prof-$chain" -starttls smtp -connect "127.0.0.1:$PORT" -servername $NAME \
		-verify_return_error -CAfile "$ROOT" -verify_hostname $NAME
	orc=$?
	if [ $orc = 0 ] && tls_established "$T/o-$prof-$chain"; then ogot=true; else ogot=false; fi
	expect_eq "$prof/$chain: openssl s_client agrees on verified" "$v" "$ogot"
	expect_eq "$prof/$chain: openssl reason" "$r" "$(ossl_reason "$T/o-$prof-$chain")"

	s_client "$T/c-$prof-$chain" -starttls smtp -connect "127.0.0.1:$PORT" -servername $NAME -showcerts
	osn=$(cert_count "$T/c-$prof-$chain")
	# A handshake that failed on both sides would compare 0 with 0.
	if [ "${osn:-0}" -ge 1 ] && [ "$osn" = "$n" ]; then
		ok "$prof/$chain: chain length as s_client -showcerts ($n)"
	else
		not_ok "$prof/$chain: chain length as s_client -showcerts"
		diag "s_client -showcerts: '${osn}' certificates, mxlab send: chain_length '$n'"
	fi

	timeout -k 2 20 gnutls-cli --starttls-proto=smtp --x509cafile "$ROOT" \
		--verify-hostname $NAME --sni-hostname $NAME -p "$PORT" 127.0.0.1 \
		</dev/null >"$T/g-$prof-$chain" 2>&1
	grc=$?
	if [ $grc = 0 ] && grep -q 'The certificate is trusted' "$T/g-$prof-$chain"; then g=true; else g=false; fi
	expect_eq "$prof/$chain: gnutls-cli agrees on verified" "$v" "$g"
	ggot=$(gnutls_reason "$T/g-$prof-$chain")
	# gnutls reports a self-signed leaf as an unknown issuer
	[ "$r" = self-signed ] && [ "$ggot" = untrusted-issuer ] && ggot=self-signed
	expect_eq "$prof/$chain: gnutls reason" "$r" "$ggot"
	stop_serve "$prof-$chain"
}

while read -r prof chain want_v want_r; do
	compare "$prof" "$chain" "$want_v" "$want_r"
done <<<"$CASES"
# 9 cases x (start + 6 checks + stop) = 72 so far

# Implicit TLS: mxlab send and gnutls-cli (without STARTTLS) agree.
start_serve implicit --pki "$PKI" --cert $NAME --implicit-tls yes || exit 1
json=$(timeout 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls implicit --pki "$PKI" \
	--verify-name $NAME --sni $NAME --json)
timeout -k 2 20 gnutls-cli --x509cafile "$ROOT" --verify-hostname $NAME --sni-hostname $NAME \
	-p "$PORT" 127.0.0.1 </dev/null >"$T/g-implicit" 2>&1
grep -q 'The certificate is trusted' "$T/g-implicit" && g=true || g=false
expect_eq "implicit: mxlab send verified (tls, chain 2, greeting) and gnutls-cli too" \
	"true true 2 220 true" "$(jq -r '[.verified, .tls, .chain_length, .replies.greeting.code] | join(" ")' <<<"$json") $g"
stop_serve implicit

# no-serverauth through openssl s_server (mbedTLS refuses to serve it):
# the handshake completes in report mode and the verdict is bad-usage.
PDIR=$PKI/$NAME/no-serverauth
if start_tool s_server openssl s_server -quiet -accept 0 -naccept 1 -cert "$PDIR/leaf.crt" \
	-cert_chain "$PKI/ca/intermediate.crt" -key "$PDIR/leaf.key"; then
	json=$(timeout 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls implicit --pki "$PKI" \
		--sni $NAME --timeout 1s --stop-after tls --json)
	expect_eq "no-serverauth (openssl s_server): bad-usage" "false bad-usage" \
		"$(jq -r '[(.verified|tostring), (.reasons|join(","))] | join(" ")' <<<"$json")"
else
	not_ok "openssl s_server for no-serverauth did not listen"
fi
stop_tool s_server
done_testing
