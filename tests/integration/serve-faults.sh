#!/bin/bash
# serve-faults.sh: the faults `mxlab serve` injects on purpose: scripted
# replies and disconnects per stage, delays, SIZE, max-connections, the idle
# timeout, and TLS faults (close after "220 Ready to start TLS", garbage
# instead of a ServerHello). After each fault the server keeps serving.
. "$(dirname "$0")/lib.sh"

plan 55
make_pki || diag "no PKI: the tests below will fail"
CERT=(--pki "$PKI" --cert mx.example.test)

# ---- scripted replies
mkdir -p "$T/mbox"
start_serve rcpt --rcpt "550 5.1.1 no such user" --mailbox "$T/mbox"
timeout -k 2 20 swaks --server 127.0.0.1 --port "$PORT" --from a@example.test \
	--to nobody@example.test >"$T/swaks-550.txt" 2>&1
expect_eq "--rcpt 550: swaks exits 24 (no RCPT accepted)" 24 "$?"
expect_file_match "--rcpt 550: swaks sees the scripted reply" \
	'<\*\* *550 5\.1\.1 no such user' "$T/swaks-550.txt"
expect_eq "--rcpt 550: nothing stored" 0 "$(ls "$T/mbox" | wc -l)"
check "--rcpt 550: the server still serves" smtp_session "$PORT"
stop_serve rcpt

start_serve busy --greeting "421 4.3.2 busy"
smtp_open "$PORT"; smtp_reply
expect_eq "--greeting 421: the greeting" "421 4.3.2 busy" "$SMTP_TEXT"
expect_close "--greeting 421: then the server closes, sending nothing more"
smtp_close
stop_serve busy

start_serve script --ehlo "554 5.7.1 go away" --helo "250 hello there" \
	--mail disconnect --data "451 4.3.0 try later"
smtp_open "$PORT"; smtp_reply
smtp_cmd "EHLO client.example.test"
expect_eq "--ehlo 554: EHLO gets it" "554 5.7.1 go away" "$SMTP_TEXT"
smtp_cmd "HELO client.example.test"
expect_eq "--helo: HELO gets the scripted text" "250 hello there" "$SMTP_TEXT"
smtp_send "MAIL FROM:<a@example.test>"
expect_close "--mail disconnect: the connection closes with no reply"
smtp_close
smtp_open "$PORT"; smtp_reply
smtp_cmd "HELO client.example.test"
smtp_cmd "RSET"
expect_eq "unscripted RSET still answers 250" 250 "$SMTP_CODE"
smtp_cmd "QUIT"
smtp_close
stop_serve script

mkdir -p "$T/mbox2"
start_serve dot --dot "452 4.3.1 mailbox full" --mailbox "$T/mbox2"
timeout -k 2 20 swaks --server 127.0.0.1 --port "$PORT" --from a@example.test \
	--to b@example.test >"$T/swaks-452.txt" 2>&1
expect_eq "--dot 452: swaks exits 26 (mail not accepted after data)" 26 "$?"
expect_file_match "--dot 452: swaks sees the reply" '<\*\* *452 4\.3\.1 mailbox full' \
	"$T/swaks-452.txt"
expect_eq "--dot 452: nothing stored" 0 "$(ls "$T/mbox2" | wc -l)"
stop_serve dot

# ---- delays
start_serve slow --rcpt-delay 700ms
smtp_open "$PORT"
t0=$EPOCHREALTIME; smtp_reply; ms=$(elapsed_ms "$t0")
if [ "$SMTP_CODE" = 220 ] && [ "$ms" -lt 600 ]; then ok "greeting 220 not delayed (${ms} ms)"
else not_ok "greeting 220 not delayed (${ms} ms)"; diag "got: '$SMTP_TEXT'"; fi
smtp_cmd "EHLO client.example.test"
smtp_cmd "MAIL FROM:<a@example.test>"
t0=$EPOCHREALTIME; smtp_cmd "RCPT TO:<b@example.test>"; ms=$(elapsed_ms "$t0")
expect_eq "--rcpt-delay: RCPT still accepted" 250 "$SMTP_CODE"
if [ "$ms" -ge 650 ] && [ "$ms" -lt 5000 ]; then ok "--rcpt-delay 700ms: RCPT answered after ${ms} ms"
else not_ok "--rcpt-delay 700ms: RCPT answered after ${ms} ms"; fi
smtp_close
stop_serve slow

# ---- SIZE
start_serve size --size 1000
smtp_open "$PORT"; smtp_reply
smtp_cmd "EHLO client.example.test"
expect_match "--size 1000 advertised" '^250[- ]SIZE 1000$' "$SMTP_TEXT"
smtp_cmd "MAIL FROM:<a@example.test> SIZE=5000"
expect_match "MAIL ... SIZE=5000 over the limit: 552" '^552 ' "$SMTP_TEXT"
smtp_cmd "MAIL FROM:<a@example.test>"
smtp_cmd "RCPT TO:<b@example.test>"
smtp_cmd "DATA"
expect_eq "DATA: 354" 354 "$SMTP_CODE"
for i in $(seq 40); do smtp_send "line $i: 0123456789012345678901234567890123456789"; done
smtp_cmd "."
expect_match "a 2000-byte message over SIZE 1000: 552 5.3.4" '^552 5\.3\.4' "$SMTP_TEXT"
smtp_close
stop_serve size

# ---- max-connections
start_serve maxc --max-connections 2
smtp_open "$PORT"; smtp_reply; a=$SMTP_FD
smtp_open "$PORT"; smtp_reply; b=$SMTP_FD
expect_eq "max-connections 2: the 2nd connection is greeted" 220 "$SMTP_CODE"
smtp_open "$PORT"; smtp_reply 5
expect_eq "max-connections 2: the 3rd gets 421 instead of a greeting" \
	"421 4.3.2 Too many connections, try again later" "$SMTP_TEXT"
expect_close "max-connections 2: then the server closes the 3rd"
smtp_close
SMTP_FD=$a; smtp_cmd QUIT; smtp_close
SMTP_FD=$b; smtp_cmd QUIT; smtp_close
check "max-connections 2: a slot frees up after QUIT" wait_for 5 smtp_session "$PORT"
stop_serve maxc

# ---- idle timeout
start_serve idle --timeout 1s
smtp_open "$PORT"; smtp_reply
t0=$EPOCHREALTIME
smtp_reply 10
ms=$(elapsed_ms "$t0")
expect_eq "--timeout 1s: an idle client gets 421 timeout" \
	"421 4.4.2 mx.example.test Error: timeout exceeded" "$SMTP_TEXT"
if [ "$ms" -ge 800 ] && [ "$ms" -lt 5000 ]; then ok "--timeout 1s: 421 after ${ms} ms"
else not_ok "--timeout 1s: 421 after ${ms} ms"; fi
expect_close "--timeout 1s: then the server closes"
smtp_close
stop_serve idle

# ---- TLS faults
for fault in close-after-ready garbage; do
	start_serve "$fault" "${CERT[@]}" --tls-fault "$fault" --transcript "$T/$fault.jsonl"
	s_client "$T/$fault-ossl.txt" -starttls smtp -connect "127.0.0.1:$PORT"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "tls-fault $fault: openssl fails cleanly (status $rc)"
	else not_ok "tls-fault $fault: openssl fails cleanly (status $rc)"; diag_file "$T/$fault-ossl.txt"; fi
	printf 'QUIT\r\n' | timeout -k 2 20 gnutls-cli --starttls-proto=smtp --insecure \
		-p "$PORT" 127.0.0.1 >"$T/$fault-gnutls.txt" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then ok "tls-fault $fault: gnutls-cli fails cleanly (status $rc)"
	else not_ok "tls-fault $fault: gnutls-cli fails cleanly (status $rc)"; diag_file "$T/$fault-gnutls.txt"; fi
	check "tls-fault $fault: a following connection is served" smtp_session "$PORT"
	stop_serve "$fault"
	# Both clients failed because of the fault, not for some other reason.
	expect_eq "tls-fault $fault: the transcript shows it struck both clients (conns 1 and 2)" \
		"[1,2]" "$(jq -cs --arg f "$fault" \
			'[.[] | select(.event == "tls-fault" and .fault == $f) | .conn]' "$T/$fault.jsonl" 2>&1)"
done

done_testing
