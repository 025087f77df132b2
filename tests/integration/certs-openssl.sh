#!/bin/bash
#
# certs-openssl.sh: `mxlab certs` output checked with the openssl CLI.
#
# Writes a PKI for two hosts, then runs `openssl verify` (trust:
# ca/root.crt, intermediate via -untrusted) on every profile and checks the
# error number it reports, names (-verify_hostname, -verify_ip), purpose,
# the key-chain.pem bundle, SANs, key modes, the manifest, and the CLI's
# exit codes. Needs $MXLAB (meson test sets it) and openssl; prints TAP and
# exits 1 on any failure.

: "${MXLAB:?MXLAB must name the mxlab binary (meson test sets it)}"
case $MXLAB in /*) ;; *) MXLAB=$PWD/$MXLAB ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-certs-openssl.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
P=$T/pki
H=$P/mx.example.test
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { printf '# %s\n' "$@"; }
check() { # check DESCRIPTION CMD...
	local d=$1; shift
	if "$@" >"$T/out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/#   /' "$T/out"; fi
}

# The `openssl verify` verdict: 0 for OK, else the first "error N at" number.
verify() {
	local out
	if out=$(openssl verify "$@" 2>&1); then
		echo 0
	else
		out=$(printf '%s\n' "$out" | sed -n 's/^error \([0-9]*\) at .*/\1/p' | head -n 1)
		echo "${out:-unknown}"
	fi
}
CHAIN=(-CAfile "$P/ca/root.crt" -untrusted "$P/ca/intermediate.crt")
expect_verify() { # expect_verify DESCRIPTION EXPECTED_ERRNO(S) ARGS...
	local d=$1 want=$2 got; shift 2
	got=$(verify "$@")
	case " $want " in
	*" $got "*) ok "$d (openssl verify: $got)" ;;
	*) not_ok "$d"; diag "expected error $want, got $got"; openssl verify "$@" 2>&1 | sed 's/^/#   /' ;;
	esac
}

echo "1..38"

# --- generation
if "$MXLAB" certs --dir "$P" --host mx.example.test,127.0.0.1 \
	--host other.example.test >"$T/gen.out" 2>&1; then
	ok "mxlab certs writes a PKI"
else
	not_ok "mxlab certs writes a PKI"; sed 's/^/#   /' "$T/gen.out"
	echo "Bail out! no PKI"; exit 1
fi
check "summary names the dir and the file count" \
	sh -c 'grep -q "^mxlab certs: wrote 97 files " "$1" &&
		test "$(sed -n "s/^  dir: *//p" "$1")" = "$2"' - "$T/gen.out" "$P"

# --- profiles
expect_verify "good verifies" 0 "${CHAIN[@]}" "$H/good/leaf.crt"
expect_verify "good verifies with -x509_strict" 0 -x509_strict "${CHAIN[@]}" "$H/good/leaf.crt"
expect_verify "good verifies as sslserver for mx.example.test" 0 \
	-x509_strict -purpose sslserver -verify_hostname mx.example.test "${CHAIN[@]}" "$H/good/leaf.crt"
expect_verify "good verifies for IP 127.0.0.1" 0 -verify_ip 127.0.0.1 "${CHAIN[@]}" "$H/good/leaf.crt"
expect_verify "good does not match other.example.test" 62 \
	-verify_hostname other.example.test "${CHAIN[@]}" "$H/good/leaf.crt"
expect_verify "good fullchain.pem's leaf verifies with its own intermediate" 0 \
	-CAfile "$P/ca/root.crt" -untrusted "$H/good/fullchain.pem" "$H/good/leaf.crt"
expect_verify "good leaf without its intermediate" 20 -CAfile "$P/ca/root.crt" "$H/good/leaf.crt"
expect_verify "expired" 10 "${CHAIN[@]}" "$H/expired/leaf.crt"
expect_verify "not-yet-valid" 9 "${CHAIN[@]}" "$H/not-yet-valid/leaf.crt"
expect_verify "self-signed" 18 "${CHAIN[@]}" "$H/self-signed/leaf.crt"
expect_verify "unknown-root" "20 2" "${CHAIN[@]}" "$H/unknown-root/leaf.crt"
expect_verify "unknown-root verifies against its own root" 0 \
	-CAfile "$P/ca/other-root.crt" "$H/unknown-root/leaf.crt"
expect_verify "root-signed verifies without an intermediate" 0 \
	-x509_strict -CAfile "$P/ca/root.crt" "$H/root-signed/leaf.crt"
expect_verify "wrong-name: trusted chain" 0 "${CHAIN[@]}" "$H/wrong-name/leaf.crt"
expect_verify "wrong-name: name mismatch" 62 \
	-verify_hostname mx.example.test "${CHAIN[@]}" "$H/wrong-name/leaf.crt"
expect_verify "no-serverauth: fine without a purpose" 0 "${CHAIN[@]}" "$H/no-serverauth/leaf.crt"
expect_verify "no-serverauth: refused as sslserver" 26 \
	-purpose sslserver "${CHAIN[@]}" "$H/no-serverauth/leaf.crt"
openssl x509 -in "$H/ca-true/leaf.crt" -noout -text >"$T/catrue.txt" 2>&1
check "ca-true leaf says CA:TRUE" grep -q "CA:TRUE" "$T/catrue.txt"
openssl x509 -in "$H/good/leaf.crt" -noout -text >"$T/good.txt" 2>&1
check "good leaf says CA:FALSE and serverAuth" \
	sh -c 'grep -q "CA:FALSE" "$1" && grep -q "TLS Web Server Authentication" "$1"' - "$T/good.txt"

# --- bundles
count() { grep -c -- "-----BEGIN $1" "$2"; }
check "fullchain.pem holds 2 certificates" test "$(count CERTIFICATE "$H/good/fullchain.pem")" = 2
check "leaf-only.pem holds 1 certificate" test "$(count CERTIFICATE "$H/good/leaf-only.pem")" = 1
check "openssl pkey reads key-chain.pem" openssl pkey -in "$H/good/key-chain.pem" -noout
check "key-chain.pem: key first, then 2 certificates" \
	sh -c 'head -n 1 "$1" | grep -q "PRIVATE KEY" && test "$(grep -c "BEGIN CERTIFICATE" "$1")" = 2' - "$H/good/key-chain.pem"
# Both sides must be read (two failed commands would compare "" with "").
check "key-chain.pem's first certificate is the leaf" \
	sh -c 'a=$(openssl x509 -in "$1" -noout -fingerprint -sha256) &&
		b=$(openssl x509 -in "$2" -noout -fingerprint -sha256) &&
		echo "$a" | grep -q "Fingerprint=" && test "$a" = "$b" ||
		{ echo "key-chain.pem: $a"; echo "leaf.crt:      $b"; exit 1; }' \
	- "$H/good/key-chain.pem" "$H/good/leaf.crt"
check "leaf.key matches leaf.crt" \
	sh -c 'a=$(openssl pkey -in "$1" -pubout) && b=$(openssl x509 -in "$2" -noout -pubkey) &&
		echo "$a" | grep -q "BEGIN PUBLIC KEY" && test "$a" = "$b"' \
	- "$H/good/leaf.key" "$H/good/leaf.crt"

# --- names, modes, manifest
openssl x509 -in "$H/good/leaf.crt" -noout -ext subjectAltName >"$T/san.txt" 2>&1
check "SAN has DNS:mx.example.test and IP 127.0.0.1" \
	sh -c 'grep -q "DNS:mx.example.test" "$1" && grep -q "IP Address:127.0.0.1" "$1"' - "$T/san.txt"
check "second host has its own leaf" sh -c \
	'openssl x509 -in "$1" -noout -ext subjectAltName | grep -q DNS:other.example.test' \
	- "$P/other.example.test/good/leaf.crt"
check "keys are mode 0600" sh -c \
	'for f; do test "$(stat -c %a "$f")" = 600 || { echo "$f: $(stat -c %a "$f")"; exit 1; }; done' \
	- "$H/good/leaf.key" "$H/good/key-chain.pem" "$P/ca/root.key" "$P/ca/intermediate.key"
check "certificates are mode 0644" test "$(stat -c %a "$H/good/leaf.crt")" = 644
if command -v python3 >/dev/null 2>&1; then
	check "manifest.json lists every file, and only files that exist" python3 - "$P" <<'PY'
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
listed = {f["path"] for f in m["files"]}
disk = {os.path.relpath(os.path.join(r, x), d) for r, _, fs in os.walk(d) for x in fs}
disk.discard("manifest.json")
assert m["version"] == 1 and m["trust"] == "ca/root.crt", m
assert listed == disk, (listed ^ disk)
good = [f for f in m["files"] if f["path"] == "mx.example.test/good/fullchain.pem"][0]
assert good["certificates"] == 2 and good["names"] == ["DNS:mx.example.test", "IP:127.0.0.1"], good
assert good["not_after"].endswith("Z"), good
PY
else
	ok "manifest.json lists every file # SKIP no python3"
fi

# --- CLI
"$MXLAB" certs --dir "$T/x" --foo >"$T/cli.out" 2>&1; rc=$?
check "unknown option exits 2 naming it" \
	sh -c 'test "$1" = 2 && grep -q "unknown option '"'"'--foo'"'"'" "$2"' - "$rc" "$T/cli.out"
"$MXLAB" certs --host mx.example.test >"$T/cli.out" 2>&1; rc=$?
check "missing --dir exits 2" sh -c 'test "$1" = 2 && grep -q -- "--dir" "$2"' - "$rc" "$T/cli.out"
"$MXLAB" certs --dir "$T/x" --host 'a b' >"$T/cli.out" 2>&1; rc=$?
check "bad host spec exits 2 with the reason" \
	sh -c 'test "$1" = 2 && grep -q "host spec '"'"'a b'"'"': invalid name" "$2"' - "$rc" "$T/cli.out"
: >"$T/file"
"$MXLAB" certs --quiet --dir "$T/file/sub" >"$T/cli.out" 2>&1; rc=$?
check "unwritable dir exits 1" test "$rc" = 1
"$MXLAB" certs --help >"$T/cli.out" 2>&1; rc=$?
check "--help exits 0 and lists the profiles" \
	sh -c 'test "$1" = 0 && grep -q not-yet-valid "$2" && grep -q key-chain.pem "$2"' - "$rc" "$T/cli.out"

# --- RSA
if "$MXLAB" certs --quiet --rsa --dir "$T/rsa" --host rsa.example.test >"$T/rsa.out" 2>&1; then
	expect_verify "RSA PKI: good verifies" 0 -x509_strict -purpose sslserver \
		-verify_hostname rsa.example.test -CAfile "$T/rsa/ca/root.crt" \
		-untrusted "$T/rsa/ca/intermediate.crt" "$T/rsa/rsa.example.test/good/leaf.crt"
else
	not_ok "RSA PKI: good verifies"; sed 's/^/#   /' "$T/rsa.out"
fi

[ "$n" = 38 ] || { echo "# planned 38, ran $n"; failed=$((failed + 1)); }
[ "$failed" = 0 ]
