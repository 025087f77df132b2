#!/bin/bash
# probe-serve.sh: `mxlab probe` against `mxlab serve` profiles: each broken
# setup gives its finding id (with the cause and fix text), a healthy one
# gives chain-ok; exit status 0/1/2; --json parses.
. "$(dirname "$0")/lib.sh"

plan 88
make_pki || diag "no PKI: the tests below will fail"
CERT=(--pki "$PKI" --cert mx.example.test)

# probe NAME ARGS...: run mxlab probe (bounded); output in $T/NAME.txt,
# status in RC, text in OUT.
probe() {
	local name=$1
	shift
	timeout -k 2 30 "$MXLAB" probe --timeout 5s "$@" >"$T/$name.txt" 2>"$T/$name.err"
	RC=$?
	OUT=$(cat "$T/$name.txt" "$T/$name.err")
}

# has_finding SEVERITY ID: the text report lists it.
finding_re() { printf '^  %-5s %s$' "$1" "$2"; }

# mbedtls_tls13: the mxlab under test speaks TLS 1.3 (mbedTLS 3.x, built
# with it as 3.6 is by default; Debian 12's 2.28 cannot), so the probe
# tests 1.3 rather than listing it as not tested.
mbedtls_tls13() { ! mbedtls_tls11; }

# json_check NAME DESCRIPTION PYTHON: the JSON report $T/NAME.txt as d
# satisfies the assertions.
json_check() {
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); ids={f['id']:f['severity'] for f in d['findings']}; p=d['protocols']; $3" \
		"$T/$1.txt" 2>"$T/$1.py.err"; then
		ok "$2"
	else
		not_ok "$2"; diag_file "$T/$1.py.err"; diag_file "$T/$1.txt"
	fi
}

# ---- leaf only: chain-leaf-only with its cause and fix
start_serve leaf "${CERT[@]}" --chain leaf-only
probe leaf --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
expect_eq "leaf-only: exit 1" 1 "$RC"
expect_match "leaf-only: ERROR chain-leaf-only" "$(finding_re ERROR chain-leaf-only)" "$OUT"
expect_match "leaf-only: seen counts 1 certificate and names the issuer" \
	'seen: +The server sends 1 certificate \(CN=mx\.example\.test' "$OUT"
expect_match "leaf-only: cause names smtpd_tls_cert_file" 'cause: +smtpd_tls_cert_file' "$OUT"
expect_match "leaf-only: fix says leaf followed by the intermediate" \
	'fix: +Put the leaf followed by the intermediate' "$OUT"
expect_match "leaf-only: the chain section shows 1 certificate" ', 1 certificate$' "$OUT"
stop_serve leaf

# ---- full chain: chain-ok, exit 0; JSON parses
start_serve full "${CERT[@]}" --tls-min 1.2
probe full --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
expect_eq "full chain: exit 0" 0 "$RC"
expect_match "full chain: OK chain-ok" "$(finding_re OK chain-ok)" "$OUT"
expect_match "full chain: OK sni-same" "$(finding_re OK sni-same)" "$OUT"
if mbedtls_tls11; then
	expect_match "full chain: OK protocols, 1.0 and 1.1 refused" \
		'refused +TLSv1\.0 TLSv1\.1' "$OUT"
else
	expect_match "full chain: OK protocols, 1.0 and 1.1 not tested (mbedTLS 3.x)" \
		'not tested +TLSv1\.0 TLSv1\.1' "$OUT"
fi
start=$EPOCHREALTIME
probe fulljson --json --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
ms=$(elapsed_ms "$start")
expect_eq "--json: exit 0" 0 "$RC"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["nosni"]["certificates"]==2; assert any(f["id"]=="chain-ok" for f in d["findings"]); assert d["errors"]==0' "$T/fulljson.txt" 2>"$T/py.err"; then
	ok "--json parses: 2 certificates, chain-ok, 0 errors"
else
	not_ok "--json parses: 2 certificates, chain-ok, 0 errors"; diag_file "$T/py.err"; diag_file "$T/fulljson.txt"
fi
if [ "$ms" -lt 2000 ]; then ok "a local probe takes under 2 s ($ms ms)"
else not_ok "a local probe takes under 2 s ($ms ms)"; fi
stop_serve full

# ---- SNI table whose default is another certificate
start_serve sni "${CERT[@]}" --sni other.example.test=other.example.test
probe sni --pki "$PKI" --name other.example.test "127.0.0.1:$PORT"
expect_match "SNI table: WARN sni-differs" "$(finding_re WARN sni-differs)" "$OUT"
expect_match "SNI table: the cause names clients without SNI" \
	'Postfix.s smtp client by default' "$(tr '\n' ' ' <"$T/sni.txt" | tr -s ' ')"
expect_match "SNI table: the fix names smtp_tls_servername" 'smtp_tls_servername' "$OUT"
# a report with findings in it, and not that one (no report has none)
if printf '%s\n' "$OUT" | grep -Eq '^  (OK|INFO|WARN|ERROR) +[a-z]'; then
	expect_no_match "SNI table: no name-mismatch (explained by sni-differs)" \
		"$(finding_re ERROR name-mismatch)" "$OUT"
else
	not_ok "SNI table: no name-mismatch (explained by sni-differs)"; diag "no findings in:"; diag "$OUT"
fi
expect_eq "SNI table: exit 0 (a warning)" 0 "$RC"
probe sniextra --pki "$PKI" --name mx.example.test --sni other.example.test "127.0.0.1:$PORT"
expect_match "--sni: the extra name gets its own chain" \
	'^Certificate chain with SNI other\.example\.test$' "$OUT"
expect_match "--sni: INFO sni-differs" "$(finding_re INFO sni-differs)" "$OUT"
stop_serve sni

# ---- STARTTLS hidden / refused
start_serve hide "${CERT[@]}" --starttls hide
probe hide --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
expect_eq "starttls hide: exit 1" 1 "$RC"
expect_match "starttls hide: ERROR starttls-missing" "$(finding_re ERROR starttls-missing)" "$OUT"
expect_match "starttls hide: fix names smtpd_tls_security_level" 'smtpd_tls_security_level' "$OUT"
stop_serve hide

start_serve refuse "${CERT[@]}" --starttls refuse
probe refuse --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
expect_eq "starttls refuse: exit 1" 1 "$RC"
expect_match "starttls refuse: ERROR starttls-refused" "$(finding_re ERROR starttls-refused)" "$OUT"
expect_match "starttls refuse: seen quotes the 454" '454 4\.7\.0 TLS not available' "$OUT"
stop_serve refuse

# ---- old protocols only
if mbedtls_tls11; then
	start_serve old "${CERT[@]}" --tls-max 1.1
	probe old --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	expect_match "tls-max 1.1: WARN old-protocols" "$(finding_re WARN old-protocols)" "$OUT"
	expect_match "tls-max 1.1: TLSv1.2 refused" 'refused +TLSv1\.2' "$OUT"
	expect_match "tls-max 1.1: fix >=TLSv1.2" 'smtpd_tls_protocols = >=TLSv1\.2' "$OUT"
	stop_serve old
else
	for t in 'serve old ready' 'tls-max 1.1: WARN old-protocols' 'tls-max 1.1: TLSv1.2 refused' \
		'tls-max 1.1: fix >=TLSv1.2' 'serve old exits 0 on SIGTERM'; do
		skip "$t" "mbedTLS 3.x has no TLS 1.1"
	done
fi

# ---- TLS 1.3: tested when this mbedTLS speaks it; a server stuck at 1.2
# gets tls13-not-offered; under 2.28 1.3 is "not tested", never "not offered"
start_serve t12 "${CERT[@]}" --tls-max 1.2
probe t12 --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
T12=$(tr '\n' ' ' <"$T/t12.txt" | tr -s ' ')
expect_eq "tls-max 1.2: exit 0 (no error)" 0 "$RC"
expect_no_match "tls-max 1.2: no WARN or ERROR about TLSv1.3" \
	'^  (WARN|ERROR) +tls13' "$OUT"
if mbedtls_tls13; then
	expect_match "tls-max 1.2: INFO tls13-not-offered" "$(finding_re INFO tls13-not-offered)" "$OUT"
	expect_match "tls-max 1.2: seen says TLSv1.3 not offered" \
		'seen: +TLSv1\.3 not offered: a session limited to TLSv1\.3 was refused' "$OUT"
	expect_match "tls-max 1.2: cause says Postfix, Exim and the large providers use 1.3" \
		'cause: Postfix .*Exim and the large providers .*negotiate TLSv1\.3 by default' "$T12"
	expect_match "tls-max 1.2: Protocols lists TLSv1.3 refused" '^  refused +.*TLSv1\.3$' "$OUT"
	probe t12json --json --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	json_check t12json "tls-max 1.2 --json: tls13-not-offered INFO, TLSv1.3 refused" \
		'assert ids.get("tls13-not-offered")=="INFO", ids; assert "TLSv1.3" in p["refused"], p; assert d["errors"]==0'
else
	expect_match "2.28: Protocols lists TLSv1.3 not tested" '^  not tested +TLSv1\.3$' "$OUT"
	expect_match "2.28: protocols says this mbedTLS cannot speak TLSv1.3" \
		'not tested: TLSv1\.3 \(this mbedTLS cannot speak it\)' "$T12"
	expect_no_match "2.28: no tls13-not-offered" 'tls13-not-offered' "$OUT"
	expect_no_match "2.28: nothing says TLSv1.3 not offered" 'TLSv1\.3 not offered' "$OUT"
	probe t12json --json --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	json_check t12json "2.28 --json: TLSv1.3 untested, not refused, no tls13-not-offered" \
		'assert "tls13-not-offered" not in ids, ids; assert "TLSv1.3" in p["untested"] and "TLSv1.3" not in p["refused"], p'
fi
stop_serve t12
if mbedtls_tls13; then
	start_serve t13 "${CERT[@]}" --tls-max 1.3
	probe t13 --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	expect_match "tls-max 1.3: Protocols lists TLSv1.3 accepted" '^  accepted +.*TLSv1\.3$' "$OUT"
	expect_no_match "tls-max 1.3: no tls13-not-offered" 'tls13-not-offered' "$OUT"
	probe t13json --json --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	json_check t13json "tls-max 1.3 --json: TLSv1.3 accepted, no tls13-not-offered" \
		'assert "tls13-not-offered" not in ids, ids; assert "TLSv1.3" in p["accepted"], p'
	stop_serve t13
else
	for t in 'serve t13 ready' 'tls-max 1.3: Protocols lists TLSv1.3 accepted' \
		'tls-max 1.3: no tls13-not-offered' 'tls-max 1.3 --json: TLSv1.3 accepted' \
		'serve t13 exits 0 on SIGTERM'; do
		skip "$t" "mbedTLS 2.28 has no TLS 1.3"
	done
fi

# ---- broken leaves: expired, self-signed, wrong name, unknown root
for prof in expired:expired self-signed:self-signed wrong-name:name-mismatch \
	unknown-root:chain-leaf-only not-yet-valid:not-yet-valid; do
	p=${prof%%:*} id=${prof#*:}
	start_serve "$p" "${CERT[@]}" --profile "$p"
	probe "$p" --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
	if [ "$RC" = 1 ] && printf '%s\n' "$OUT" | grep -Eq "$(finding_re ERROR "$id")"; then
		ok "profile $p: ERROR $id, exit 1"
	else
		not_ok "profile $p: ERROR $id, exit 1 (exit $RC)"; diag "$OUT"
	fi
	stop_serve "$p"
done

# ---- a chain of 2 that ends at a root nobody trusts
U=$PKI/mx.example.test/unknown-root
cat "$U/leaf.crt" "$PKI/ca/other-root.crt" >"$T/unknown-chain.pem"
start_serve unknown --cert-file "$T/unknown-chain.pem" --key-file "$U/leaf.key"
probe unknown --pki "$PKI" --name mx.example.test "127.0.0.1:$PORT"
expect_match "unknown root sent along: ERROR untrusted-issuer" \
	"$(finding_re ERROR untrusted-issuer)" "$OUT"
expect_match "unknown root: seen names the root" 'ends at CN=mxlab Unrelated Root CA' \
	"$(tr '\n' ' ' <"$T/unknown.txt" | tr -s ' ')"
stop_serve unknown

# ---- no CA: trust not judged, no-ca
start_serve noca "${CERT[@]}" --implicit-tls yes
probe noca --implicit-tls --name mx.example.test "127.0.0.1:$PORT"
expect_match "no --ca-file: INFO no-ca" "$(finding_re INFO no-ca)" "$OUT"
expect_match "implicit TLS: reported as such" '\(implicit TLS, name mx\.example\.test' "$OUT"
expect_eq "no --ca-file, full chain over SMTPS: exit 0" 0 "$RC"
stop_serve noca

# ---- nothing listens; usage errors
start_serve gone "${CERT[@]}"
gone=$PORT
stop_serve gone
probe gone --pki "$PKI" "127.0.0.1:$gone"
expect_eq "nothing listens: exit 1" 1 "$RC"
expect_match "nothing listens: ERROR connect-failed" "$(finding_re ERROR connect-failed)" "$OUT"
probe usage1 --bogus x 127.0.0.1:25
expect_eq "unknown option: exit 2" 2 "$RC"
probe usage2
expect_eq "no target: exit 2" 2 "$RC"
probe usage3 127.0.0.1:imap
expect_eq "bad port: exit 2" 2 "$RC"
probe usage4 --ca-file "$T/none.pem" 127.0.0.1:25
expect_eq "missing CA file: exit 2" 2 "$RC"
probe help --help
if [ "$RC" = 0 ] && grep -q 'chain-leaf-only' "$T/help.txt" &&
	grep -Eq '^Exit status: 0 .*, 1 .*ERROR' "$T/help.txt"; then
	ok "--help (exit 0) explains chain-leaf-only and exit codes"
else
	not_ok "--help (exit 0) explains chain-leaf-only and exit codes (exit $RC)"; diag_file "$T/help.txt" 60
fi
done_testing
