#!/bin/bash
# serve-https.sh: `mxlab serve --mode https`, the MTA-STS policy host, as
# curl sees it: the policy at /.well-known/mta-sts.txt (200, text/plain,
# the lines given, CRLF), 404 elsewhere, 405 for POST; the certificate
# verified against the PKI's root for the policy host's name, and refused
# for the expired profile; every request in the transcript.
. "$(dirname "$0")/lib.sh"

plan 15
command -v curl >/dev/null || { diag "curl not installed"; }
make_pki mta-sts.partner.example || diag "no PKI: the tests below will fail"
ROOT=$PKI/ca/root.crt
H=mta-sts.partner.example

start_serve https --mode https --pki "$PKI" --cert $H \
	--policy "version: STSv1" --policy "mode: enforce" \
	--policy "mx: mx.partner.example" --policy "max_age: 86400" \
	--transcript "$T/https.jsonl"
P=$PORT
url() { echo "https://$H:$P$1"; }
CURL=(curl -sS --max-time 10 --cacert "$ROOT" --resolve "$H:$P:127.0.0.1")

"${CURL[@]}" -D "$T/h1" -o "$T/b1" "$(url /.well-known/mta-sts.txt)" 2>"$T/e1"
expect_file_match "policy: 200" '^HTTP/1.1 200 OK' "$T/h1"
expect_file_match "policy: text/plain" '^Content-Type: text/plain' "$T/h1"
expect_eq "policy: the lines given, CRLF" \
	"$(printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.partner.example\r\nmax_age: 86400\r\n' | od -c)" \
	"$(od -c <"$T/b1")"
expect_eq "other path: 404" 404 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$(url /x)")"
expect_eq "POST: 405" 405 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -d x "$(url /.well-known/mta-sts.txt)")"
# curl verified the chain and the name (it fails otherwise): a wrong
# name must fail.
"${CURL[@]}" -o /dev/null --resolve "other.example:$P:127.0.0.1" \
	"https://other.example:$P/.well-known/mta-sts.txt" 2>"$T/e2"
expect_eq "wrong host name: curl refuses (exit 60)" 60 "$?"
stop_serve https

expect_eq "transcript: 3 requests" 3 "$(jq -c 'select(.event=="http-request")' "$T/https.jsonl" | wc -l)"
expect_event "transcript: the GET with its Host and status" \
	".event==\"http-request\" and .method==\"GET\" and .path==\"/.well-known/mta-sts.txt\" and .host==\"$H:$P\" and .status==200" "$T/https.jsonl"
expect_event "transcript: the 404" '.event=="http-request" and .path=="/x" and .status==404' "$T/https.jsonl"

start_serve expired --mode https --pki "$PKI" --cert $H --profile expired \
	--policy "version: STSv1" --transcript "$T/expired.jsonl"
P=$PORT
"${CURL[@]}" -o /dev/null --resolve "$H:$P:127.0.0.1" "$(url /.well-known/mta-sts.txt)" 2>"$T/e3"
expect_eq "expired certificate: curl refuses (exit 60)" 60 "$?"
stop_serve expired
check "policy without mode = https is refused" \
	bash -c '! "$MXLAB" serve --policy "version: STSv1" >/dev/null 2>&1'
done_testing
