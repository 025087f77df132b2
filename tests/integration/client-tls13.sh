#!/bin/bash
# client-tls13.sh: the fake client's verdicts under TLS 1.3 against real
# servers (mbedTLS 3.x; skipped with 2.28, which has no TLS 1.3). Per
# certs-gen profile, `openssl s_server -tls1_3` and `gnutls-serv` (TLS 1.3
# only) serve the chain as implicit TLS (neither speaks SMTP, so the
# client stops at the greeting: it waits --timeout for one); `mxlab send
# --tls implicit` must report TLSv1.3 with the verdict, reasons and chain
# length of the table, the same as against `openssl s_server -tls1_2` with
# --tls-max 1.2, and as `openssl s_client -tls1_3 -verify_return_error`
# (verified, reason) and `-showcerts` (version, chain length) say.
. "$(dirname "$0")/lib.sh"

# 2.28 prints "(mbedTLS 2.28.3)"; TLS 1.3 needs 3.x.
if ! "$MXLAB" --version | grep -q '(mbedTLS [3-9]\.'; then
	echo "1..0 # SKIP no TLS 1.3: $("$MXLAB" --version 2>&1 | head -n 1)"
	exit 0
fi
command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }

# profile chain verified reasons ("-" none)
CASES="good full 1 -
good leaf-only 0 untrusted-issuer
self-signed full 0 self-signed
expired full 0 expired
not-yet-valid full 0 not-yet-valid
wrong-name full 0 name-mismatch
unknown-root full 0 untrusted-issuer"

plan 49
make_pki || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt
NAME=mx.example.test
G13=NORMAL:-VERS-ALL:+VERS-TLS1.3

# send PORT ARGS...: mxlab send, implicit TLS, as one line:
# "VERSION VERIFIED REASONS CHAIN-LENGTH" (the handshake's stage in $T/send.json).
send() {
	local port=$1
	shift
	timeout 20 "$MXLAB" send --connect "127.0.0.1:$port" --tls implicit --pki "$PKI" \
		--sni $NAME --stop-after tls --timeout 1s --json "$@" >"$T/send.json"
	jq -r '[(.tls_version | if . == "" then "none" else . end), .verified,
		(.reasons | if length == 0 then "-" else join(",") end), .chain_length] | join(" ")' \
		"$T/send.json" 2>&1
}

# ossl PROFILE-CHAIN KIND PORT ARGS...: openssl s_client -tls1_3 (stdin
# empty: it closes after the handshake); output in $T/o-PROFILE-CHAIN-KIND.
ossl() {
	local out=$T/o-$1-$2 port=$3
	shift 3
	timeout -k 2 20 openssl s_client -tls1_3 -connect "127.0.0.1:$port" -servername $NAME \
		"$@" </dev/null >"$out" 2>&1
}
ossl_version() { sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is .*/\1/p' "$1" | head -n 1; }

# leaf and chain files of a case: LEAF, KEY, CHAIN (the intermediate, or
# empty when the profile's leaf has none or the case serves the leaf alone).
case_files() {
	local dir=$PKI/$NAME/$1
	LEAF=$dir/leaf.crt KEY=$dir/leaf.key CHAIN=
	if [ "$2" = full ] && [ "$(cert_count "$dir/fullchain.pem")" -ge 2 ]; then
		CHAIN=$PKI/ca/intermediate.crt
	fi
}

have_gnutls=0
command -v gnutls-serv >/dev/null && have_gnutls=1

while read -r prof chain want_v want_r; do
	c=$prof-$chain
	[ "$want_v" = 1 ] && want_v=true || want_v=false
	case_files "$prof" "$chain"
	chainarg=()
	[ -n "$CHAIN" ] && chainarg=(-cert_chain "$CHAIN")

	# ---- openssl s_server, TLS 1.3 only
	if ! start_tool "s13-$c" openssl s_server -tls1_3 -quiet -accept 0 \
		-cert "$LEAF" -key "$KEY" "${chainarg[@]}"; then
		for t in "mxlab send" "openssl s_client agrees" "openssl -showcerts" \
			"mxlab send --tls-max 1.2 refused"; do
			not_ok "$c: $t: not checked, no openssl s_server -tls1_3"
		done
	else
		P13=$PORT
		a13=$(send "$P13")
		want_n=1
		[ -n "$CHAIN" ] && want_n=2
		expect_eq "$c: mxlab send against openssl s_server -tls1_3" \
			"TLSv1.3 $want_v $want_r $want_n" "$a13"

		ossl "$c" verify "$P13" -verify_return_error -CAfile "$ROOT" -verify_hostname $NAME
		orc=$?
		if [ $orc = 0 ] && tls_established "$T/o-$c-verify"; then ov=true; else ov=false; fi
		or=$(ossl_reason "$T/o-$c-verify")
		expect_eq "$c: openssl s_client -tls1_3 -verify_return_error agrees (verified, reason)" \
			"$(cut -d' ' -f2,3 <<<"$a13")" "$ov ${or:--}"

		ossl "$c" show "$P13" -showcerts
		expect_eq "$c: openssl s_client -tls1_3 -showcerts: version and chain length as mxlab's" \
			"$(cut -d' ' -f1,4 <<<"$a13")" "$(ossl_version "$T/o-$c-show") $(cert_count "$T/o-$c-show")"

		# the server is 1.3 only: a client limited to 1.2 has no version in common
		expect_eq "$c: mxlab send --tls-max 1.2 against it: no handshake (stage tls)" \
			"tls none" "$(send "$P13" --tls-max 1.2 >/dev/null; jq -r '[.stage,
				(.tls_version | if . == "" then "none" else . end)] | join(" ")' "$T/send.json")"
	fi
	stop_tool "s13-$c"

	# ---- openssl s_server, TLS 1.2 only: the same verdict and chain
	if start_tool "s12-$c" openssl s_server -tls1_2 -quiet -accept 0 \
		-cert "$LEAF" -key "$KEY" "${chainarg[@]}"; then
		a12=$(send "$PORT" --tls-max 1.2)
		expect_eq "$c: --tls-max 1.2 against openssl s_server -tls1_2: as under TLSv1.3" \
			"TLSv1.2 ${a13#TLSv1.3 }" "$a12"
	else
		not_ok "$c: --tls-max 1.2: not checked, no openssl s_server -tls1_2"
	fi
	stop_tool "s12-$c"

	# ---- gnutls-serv, TLS 1.3 only (it sends every certificate of the file)
	if [ $have_gnutls = 0 ]; then
		skip "$c: gnutls-serv (TLS 1.3 only)" "gnutls-serv missing (Debian: gnutls-bin)"
		skip "$c: gnutls-serv: ready" "gnutls-serv missing"
		continue
	fi
	f=$LEAF
	if [ -n "$CHAIN" ]; then f=$T/chain-$c.pem; cat "$LEAF" "$CHAIN" >"$f"; fi
	if start_tool "g13-$c" gnutls-serv --echo -p 0 --priority "$G13" \
		--x509certfile "$f" --x509keyfile "$KEY"; then
		ok "$c: gnutls-serv (TLS 1.3 only) listens"
		expect_eq "$c: mxlab send against gnutls-serv (TLS 1.3 only): as against openssl" \
			"$a13" "$(send "$PORT")"
	else
		not_ok "$c: gnutls-serv (TLS 1.3 only) listens"
		not_ok "$c: mxlab send against gnutls-serv: not checked"
	fi
	stop_tool "g13-$c"
done <<<"$CASES"

done_testing
