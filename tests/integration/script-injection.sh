#!/bin/bash
# script-injection.sh: dialogue scripts (docs/scripts.md) and STARTTLS
# injection without Postfix. `mxlab serve --script` injects "250 injected"
# in the same write as its 220 to STARTTLS: `mxlab send` fails at the TLS
# stage (exit 29) naming starttls-injection and the bytes (text and
# JSON), `mxlab probe` reports the finding, openssl s_client gives the
# independent view (it handshakes, dropping the bytes silently). The
# other way: `mxlab send --script` pipelines RSET behind STARTTLS and the
# plain `mxlab serve` drops and counts the 6 bytes; the client's JSON
# lists the steps its script ran (`script`). Then a scripted client
# against a scripted server: each side's records of the same bytes agree,
# and the step that fails carries its error (JSON and text). Then a step
# that does not match, and a bad script, both at FILE:LINE.
. "$(dirname "$0")/lib.sh"

plan 29
make_pki || diag "no PKI: the tests below will fail"
CERT=(--pki "$PKI" --cert mx.example.test)

cat >"$T/inject.script" <<'EOF'
# a server that injects plaintext after its 220 to STARTTLS
send 220 mx.example.test ESMTP script
expect ^EHLO
send 250-mx.example.test
send 250 STARTTLS
expect ^STARTTLS$
send 220 2.0.0 Ready to start TLS
inject 250 injected\r\n
tls-handshake
expect ^EHLO
send 250 mx.example.test
expect ^QUIT
send 221 2.0.0 Bye
EOF

# ---- the client side: mxlab send against the injecting server
start_serve inj "${CERT[@]}" --script "$T/inject.script" --transcript "$T/inj.jsonl"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls starttls >"$T/send.out" 2>&1
expect_eq "send: exit 29 (the TLS stage)" 29 "$?"
expect_match "send: names starttls-injection and the bytes" \
	"failed at tls \(exit 29\): tls: starttls-injection: 14 bytes after the reply to STARTTLS, before the handshake: '250 injected\\\\r\\\\n'" \
	"$(cat "$T/send.out")"
expect_match "send: no TLS established" '^tls: +not established' "$(cat "$T/send.out")"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls starttls --json >"$T/send.json" 2>&1
expect_eq "send --json: starttls_injection" '{"stage":"tls","bytes":14,"seen":"250 injected\\r\\n"} 29 tls' \
	"$(jq -c '.starttls_injection' "$T/send.json" 2>/dev/null | tr -d '\n') $(jq -r '.exit_code, .failed_stage' "$T/send.json" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
timeout 60 "$MXLAB" probe "127.0.0.1:$PORT" --json >"$T/probe.json" 2>"$T/probe.err"
expect_eq "probe: exit 1 (an ERROR finding)" 1 "$?"
expect_eq "probe: finding starttls-injection, ERROR" "ERROR" \
	"$(jq -r '.findings[] | select(.id == "starttls-injection") | .severity' "$T/probe.json" 2>/dev/null | head -1)"
expect_match "probe: the bytes in what was seen" "250 injected" \
	"$(jq -r '.findings[] | select(.id == "starttls-injection") | .seen' "$T/probe.json" 2>/dev/null)"
expect_event "server: the inject went out with the 220" \
	'.event == "script" and .kind == "inject" and .data == "250 injected\r\n"' "$T/inj.jsonl"
# openssl s_client (independent): reads the 220 line, hands the socket to
# TLS, never reads the injected bytes: the handshake completes.
if command -v openssl >/dev/null; then
	echo QUIT | timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" -brief \
		>"$T/ossl.out" 2>&1
	expect_match "openssl s_client: handshake completes, the bytes dropped silently" \
		'CONNECTION ESTABLISHED' "$(cat "$T/ossl.out")"
else
	skip "openssl s_client" "no openssl"
fi
stop_serve inj

# ---- the server side: a scripted client pipelines RSET behind STARTTLS
cat >"$T/pipelined.script" <<'EOF'
expect ^220
send EHLO client.example.test
expect ^250 
pipeline STARTTLS | RSET
expect ^220
tls-handshake
send EHLO client.example.test
expect ^250-mx\.example\.test$
send QUIT
expect ^221
EOF
start_serve plain "${CERT[@]}" --transcript "$T/plain.jsonl"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --script "$T/pipelined.script" --json \
	>"$T/pipe.json" 2>&1
expect_eq "send --script: done, TLS, 220 then EHLO over TLS" "done true 220 250" \
	"$(jq -r '[.stage, .tls, .replies.starttls.code, .replies["ehlo-tls"].code] | join(" ")' "$T/pipe.json" 2>/dev/null)"
expect_eq "send --script: the JSON script array, a record a direction" \
	'[1,1,"expect","received"] [2,2,"send","sent","EHLO client.example.test\r\n"] [3,3,"expect","received"] [4,4,"pipeline","sent","STARTTLS\r\nRSET\r\n"] [5,5,"expect","received","220 2.0.0 Ready to start TLS"] [6,6,"tls-handshake","tls",null] [7,7,"send","sent","EHLO client.example.test\r\n"] [8,8,"expect","received"] [9,9,"send","sent","QUIT\r\n"] [10,10,"expect","received"] 0 0' \
	"$(jq -c '(.script[] | [.step, .line, .kind, .dir] + (if .kind == "expect" and .step != 5 then [] else [.data] end)), .script_omitted, ([.script[] | select(has("error"))] | length)' "$T/pipe.json" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
wait_for 10 has_event "$T/plain.jsonl" '.event == "close"'
expect_event "serve: the 6 bytes behind STARTTLS discarded, counted" \
	'.event == "tls" and .result == "ok" and .discarded_plaintext == 6' "$T/plain.jsonl"
expect_eq "serve: RSET never executed" 0 \
	"$(jq -c 'select(.event == "command" and .line == "RSET")' "$T/plain.jsonl" | wc -l)"
stop_serve plain

# ---- a scripted client against a scripted server: both record the same
# bytes (the client's sends with CRLF, the server's lines without), and the
# client's step 5 fails at EOF (the server's script ended): its own record
printf 'send 220 mx ESMTP script\nexpect ^HELO\nsend 250 mx\n' >"$T/xch-server.script"
printf 'expect ^220\nsend HELO client.example.test\nexpect ^250\nsend QUIT\nexpect ^221\n' \
	>"$T/xch-client.script"
start_serve xch --script "$T/xch-server.script" --transcript "$T/xch.jsonl"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --script "$T/xch-client.script" --json \
	>"$T/xch.json" 2>&1
expect_eq "send --script: exit 0 (a failed QUIT), records, the error on step 5" \
	'0 [1,"expect","received","220 mx ESMTP script"] [2,"send","sent","HELO client.example.test\r\n"] [3,"expect","received","250 mx"] [4,"send","sent","QUIT\r\n"] [5,"expect",null,null,"step 5 ('"$T"'/xch-client.script:5) expect /^221/: got '"'EOF'"'"]' \
	"$(jq -c '.exit_code, (.script[] | [.step, .kind, .dir, .data] + (if has("error") then [.error] else [] end))' "$T/xch.json" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
wait_for 10 has_event "$T/xch.jsonl" '.event == "close"'
expect_eq "the client received what the server sent (less CRLF)" \
	"$(jq -r 'select(.event == "script" and .dir == "sent") | .data | rtrimstr("\r\n")' "$T/xch.jsonl" 2>/dev/null)" \
	"$(jq -r '.script[] | select(.dir == "received") | .data' "$T/xch.json" 2>/dev/null)"
expect_eq "the server received what the client sent (less CRLF)" \
	"$(jq -r '.script[] | select(.dir == "sent" and .step < 4) | .data | rtrimstr("\r\n")' "$T/xch.json" 2>/dev/null)" \
	"$(jq -r 'select(.event == "script" and .dir == "received") | .data' "$T/xch.jsonl" 2>/dev/null)"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --script "$T/xch-client.script" \
	>"$T/xch.out" 2>&1
expect_match "send --script: the report's script block" \
	"^script: +step 1 \\(line 1\\) expect: received '220 mx ESMTP script'\$" "$(cat "$T/xch.out")"
expect_match "send --script: the report's failed step" \
	"^ +step 5 \\(line 5\\) expect: nothing sent or received FAILED: step 5 \\($T/xch-client.script:5\\) expect /\\^221/: got 'EOF'\$" \
	"$(cat "$T/xch.out")"
stop_serve xch

# ---- a step that does not match: the step, its line, what arrived
printf 'send 220 mx ESMTP\nexpect ^HELO\nsend 250 mx\n' >"$T/helo.script"
start_serve helo --script "$T/helo.script" --transcript "$T/helo.jsonl"
timeout 30 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls none >/dev/null 2>&1
wait_for 10 has_event "$T/helo.jsonl" '.event == "close"'
expect_event "serve --script: step 2 at FILE:2, what came" \
	".event == \"script\" and .error == \"step 2 ($T/helo.script:2) expect /^HELO/: got 'EHLO client.example.test'\"" \
	"$T/helo.jsonl"
stop_serve helo

# ---- a bad script: refused before anything listens, at FILE:LINE
printf 'send 220 x\n\nexpect ^EHLO\ninject x\n' >"$T/bad.script"
"$MXLAB" serve --listen 127.0.0.1:0 --script "$T/bad.script" >"$T/bad.out" 2>&1
expect_eq "serve: a bad script is a usage error (exit 2)" 2 "$?"
expect_match "serve: the bad script's FILE:LINE" \
	"$T/bad.script:4: inject must follow send, send-raw, pipeline or inject" "$(cat "$T/bad.out")"
done_testing
