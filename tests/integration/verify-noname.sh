#!/bin/bash
# verify-noname.sh: what is reported when no name is checked. A server
# presenting a leaf that does not name the address connected to (and
# without its intermediate): `mxlab send --verify-name none` and `mxlab
# probe ADDRESS` without --name judge the chain only. Neither lists
# name-mismatch; both say no name was checked; the chain's real fault
# (untrusted-issuer / chain-leaf-only) is still reported. With a name the
# mismatch is reported, so the name check is off only when asked.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }

plan 17
make_pki || diag "no PKI: the tests below will fail"

# other.example.test's leaf names no IP address; the leaf alone is sent.
start_serve leaf --pki "$PKI" --cert other.example.test --chain leaf-only

# ---- mxlab send
json=$(timeout -k 2 20 "$MXLAB" send --json --connect "127.0.0.1:$PORT" --pki "$PKI" \
	--verify-name none 2>"$T/send.err")
expect_eq "send --verify-name none: reasons are untrusted-issuer alone" \
	'["untrusted-issuer"]' "$(jq -c '.reasons' <<<"$json" 2>/dev/null)"
expect_eq "send --verify-name none: verify_name is null" null \
	"$(jq -r '.verify_name' <<<"$json" 2>/dev/null)"
expect_eq "send --verify-name none: verify_text" untrusted-issuer \
	"$(jq -r '.verify_text' <<<"$json" 2>/dev/null)"
out=$(timeout -k 2 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --pki "$PKI" \
	--verify-name none 2>&1)
expect_match "send --verify-name none: the report says no name was checked" \
	'^verify: +NOT verified: untrusted-issuer \(name checked: none\)$' "$out"
expect_no_match "send --verify-name none: no name-mismatch anywhere" 'name-mismatch' "$out"
# with the address as the name (the default), the mismatch is reported
json=$(timeout -k 2 20 "$MXLAB" send --json --connect "127.0.0.1:$PORT" --pki "$PKI" 2>&1)
expect_eq "send, the address as the name: name-mismatch reported" \
	'["untrusted-issuer","name-mismatch"] 127.0.0.1' \
	"$(jq -rc '"\(.reasons) \(.verify_name)"' <<<"$json" 2>/dev/null)"

# ---- mxlab probe of an address without --name
timeout -k 2 20 "$MXLAB" probe --timeout 5s --ca-file "$PKI/ca/root.crt" \
	"127.0.0.1:$PORT" >"$T/probe.txt" 2>&1
rc=$?
out=$(cat "$T/probe.txt")
expect_eq "probe without a name: exit 1 (chain-leaf-only)" 1 "$rc"
expect_match "probe without a name: the header says name none" '\(STARTTLS, name none, CA given\)$' "$out"
expect_match "probe without a name: Verification (name not checked ...)" \
	'^Verification \(name not checked, against the CA given\)$' "$out"
expect_match "probe without a name: the verdict is untrusted-issuer alone" \
	'^  without SNI +NOT verified: untrusted-issuer$' "$out"
expect_no_match "probe without a name: no name-mismatch anywhere" 'name-mismatch' "$out"
expect_match "probe without a name: ERROR chain-leaf-only" '^  ERROR chain-leaf-only$' "$out"
json=$(timeout -k 2 20 "$MXLAB" probe --json --timeout 5s --ca-file "$PKI/ca/root.crt" \
	"127.0.0.1:$PORT" 2>&1)
expect_eq "probe --json without a name: name null, nosni reasons, verify_name null" \
	'null ["untrusted-issuer"] null' \
	"$(jq -rc '"\(.name) \(.nosni.verify_reasons) \(.nosni.verify_name)"' <<<"$json" 2>/dev/null)"
expect_eq "probe --json without a name: no name-mismatch finding" 0 \
	"$(jq '[.findings[] | select(.id == "name-mismatch")] | length' <<<"$json" 2>/dev/null)"
# with --name, the mismatch is a finding
timeout -k 2 20 "$MXLAB" probe --timeout 5s --ca-file "$PKI/ca/root.crt" \
	--name mx.example.test "127.0.0.1:$PORT" >"$T/probe-name.txt" 2>&1
expect_file_match "probe --name mx.example.test: ERROR name-mismatch" \
	'^  ERROR name-mismatch$' "$T/probe-name.txt"
stop_serve leaf

done_testing
