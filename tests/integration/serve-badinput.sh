#!/bin/bash
# serve-badinput.sh: bad input never crashes or hangs `mxlab serve`: an
# overlong command line, 10 MB of binary garbage, a TLS ClientHello on the
# plaintext port, plaintext on the implicit-TLS port, clients that vanish
# in the middle of DATA or of a handshake. After each, the server still
# answers a normal session, and at the end it stops with exit 0.
. "$(dirname "$0")/lib.sh"

plan 24
make_pki || diag "no PKI: the tests below will fail"
CERT=(--pki "$PKI" --cert mx.example.test)

mkdir -p "$T/mbox"
start_serve plain "${CERT[@]}" --mailbox "$T/mbox" --transcript "$T/plain.jsonl" \
	--timeout 20s
P=$PORT

# ---- an overlong line
smtp_open "$P"; smtp_reply
smtp_cmd "EHLO $(printf 'x%.0s' $(seq 600))"
expect_match "a 606-byte command: 500 5.5.0 Line too long" '^500 5\.5\.0' "$SMTP_TEXT"
smtp_cmd "NOOP"
expect_eq "the session goes on after the long line (NOOP -> 250)" 250 "$SMTP_CODE"
smtp_close
check "after the long line: a normal session" smtp_session "$P"

# ---- 10 MB of binary garbage (deterministic), replies read meanwhile
(
	exec 3<>"/dev/tcp/127.0.0.1/$P" || exit 1
	cat <&3 >"$T/garbage-replies.txt" &
	reader=$!
	head -c 10485760 /dev/zero |
		openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
			-iv 00000000000000000000000000000000 2>/dev/null >&3
	exec 3>&-
	# the server hangs up after too many errors: let the reader reach EOF
	# (killing it at once lost replies it had not read yet)
	wait_for 10 _not_running "$reader"
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	exit 0
) &
gpid=$!
# status 0: it connected (1 when it could not), then wrote or was cut off
if wait_for 60 _not_running "$gpid"; then
	wait "$gpid"
	expect_eq "10 MB of garbage: the client connected and finished (written or cut off)" 0 "$?"
else
	not_ok "10 MB of garbage: the client is stuck after 60 s"
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
fi
tr -d '\r' <"$T/garbage-replies.txt" 2>/dev/null | head -c 100000 >"$T/garbage-replies.lines"
if head -n 1 "$T/garbage-replies.lines" | grep -Eq '^220 ' &&
	sed -n '2,20p' "$T/garbage-replies.lines" | grep -Eq '^5[0-9][0-9] '; then
	ok "10 MB of garbage: greeted, then answered with errors"
else
	not_ok "10 MB of garbage: greeted, then answered with errors"
	diag_file "$T/garbage-replies.lines" 5
fi
check "after the garbage: server alive" serve_alive plain
check "after the garbage: a normal session" smtp_session "$P"

# ---- a TLS ClientHello on the plaintext port
timeout -k 2 20 openssl s_client -connect "127.0.0.1:$P" </dev/null >"$T/hello.txt" 2>&1
rc=$?
# connected, then a TLS-level failure (SMTP text is no ServerHello), not a
# refused connection or a timeout
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q '^CONNECTED(' "$T/hello.txt" &&
	grep -q 'SSL routines' "$T/hello.txt"; then
	ok "ClientHello on the plaintext port: openssl fails the handshake (status $rc)"
else
	not_ok "ClientHello on the plaintext port: openssl fails the handshake (status $rc)"
	diag_file "$T/hello.txt"
fi
check "after the ClientHello: a normal session" smtp_session "$P"

# ---- a client vanishes in the middle of DATA
n0=$(ls "$T/mbox" | wc -l)
smtp_open "$P"; smtp_reply
conn=$(last_conn "$T/plain.jsonl")
smtp_cmd "EHLO client.example.test"
smtp_cmd "MAIL FROM:<a@example.test>"
smtp_cmd "RCPT TO:<b@example.test>"
smtp_cmd "DATA"
expect_eq "mid-DATA: DATA -> 354" 354 "$SMTP_CODE"
smtp_send "Subject: cut"
smtp_send ""
printf 'half a line' >&"$SMTP_FD"
smtp_close
check "mid-DATA: the server records the close of conn $conn" \
	wait_for 10 has_event "$T/plain.jsonl" ".event == \"close\" and .conn == $conn"
expect_eq "mid-DATA: no message stored" "$n0" "$(ls "$T/mbox" | wc -l)"
check "after the vanished DATA: a normal session" smtp_session "$P"

# ---- a client vanishes in the middle of the handshake
smtp_open "$P"; smtp_reply
conn=$(last_conn "$T/plain.jsonl")
smtp_cmd "EHLO client.example.test"
smtp_cmd "STARTTLS"
expect_eq "mid-handshake: STARTTLS -> 220" 220 "$SMTP_CODE"
# the first bytes of a TLS 1.2 ClientHello record, then nothing
printf '\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03' >&"$SMTP_FD"
smtp_close
check "mid-handshake: the failed handshake of conn $conn is recorded" \
	wait_for 10 has_event "$T/plain.jsonl" ".event == \"tls\" and .result == \"failed\" and .conn == $conn"
check "after the vanished handshake: a normal session" smtp_session "$P"

# ---- implicit TLS port: plaintext instead of a ClientHello
start_serve smtps "${CERT[@]}" --implicit-tls yes
smtp_open "$PORT"
smtp_send "EHLO client.example.test"
# everything the server sends until it hangs up (a TLS alert at most)
smtp_eof 10
if [ "$SMTP_EOF_WHY" != "no connection" ] &&
	! printf '%s' "$SMTP_REST" | grep -Eq '^[0-9]{3}([ -]|$)'; then
	ok "plaintext on the SMTPS port: no SMTP reply"
else
	not_ok "plaintext on the SMTPS port: no SMTP reply"
	diag "got ($SMTP_EOF_WHY):"; diag "$SMTP_REST"
fi
expect_eq "plaintext on the SMTPS port: the server closes (within 10 s)" eof "$SMTP_EOF_WHY"
smtp_close
s_client "$T/smtps.txt" -connect "127.0.0.1:$PORT" -noservername
expect_file_match "after the plaintext: a TLS session (greeting, QUIT -> 221)" '^221 ' "$T/smtps.txt"
stop_serve smtps

check "the plaintext server is still alive" serve_alive plain
stop_serve plain

done_testing
