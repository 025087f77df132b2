#!/bin/bash
# deadlines.sh: timeouts are deadlines, not read timeouts. Peers that drip
# bytes on a timer (drip_peer.py) cannot stretch a session:
# - `mxlab send --timeout 1s` against a server dripping a line (or a byte)
#   every 0.5 s ends within a few seconds, at the right stage, with the
#   right error and exit status (greeting, EHLO, implicit TLS handshake);
# - `mxlab probe --timeout 1s` likewise, and --total-timeout bounds a probe
#   whose every reply is slow but within --timeout;
# - `mxlab serve --timeout 2s` answers 421 4.4.2 to a client trickling a
#   command line (or message data) a byte at a time and frees its slot
#   (max-connections 1: the next client is served while the trickler still
#   holds its socket); --session-timeout ends a busy session; a large
#   message at full speed is not hurt. The transcript says why.
# Bounds are generous (under 5 s where the old code took 49 s or forever).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }
command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }

plan 46
PEER=$(dirname "$0")/drip_peer.py
make_pki || diag "no PKI: the TLS tests below will fail"

# drip_server MODE: start a dripping server, set DRIPPORT.
drip_server() {
	rm -f "$T/drip.out"
	python3 "$PEER" server "$1" >"$T/drip.out" 2>"$T/drip.err" &
	DRIPPID=$!
	DRIPPORT=
	wait_for 10 grep -qs . "$T/drip.out" && DRIPPORT=$(head -n 1 "$T/drip.out")
	[ -n "$DRIPPORT" ] || diag "drip_peer server $1 did not start"
}
drip_stop() { kill "$DRIPPID" 2>/dev/null; wait "$DRIPPID" 2>/dev/null; }

# within DESC MAX_MS MS: one TAP line.
within() {
	if [ "$3" -lt "$2" ]; then ok "$1 (${3} ms)"; else not_ok "$1: took $3 ms, bound $2 ms"; fi
}

# send_expect DESC WANT_RC WANT_STAGE ERROR_ERE ARGS...: 2 TAP lines.
send_expect() {
	local desc=$1 want_rc=$2 want_st=$3 ere=$4 t0 rc json ms
	shift 4
	t0=$EPOCHREALTIME
	json=$(timeout -k 2 20 "$MXLAB" send --json "$@" 2>"$T/send.err")
	rc=$?
	ms=$(elapsed_ms "$t0")
	expect_eq "$desc: exit $want_rc, stage $want_st" "$want_rc $want_st" \
		"$rc $(jq -r '.failed_stage' <<<"$json" 2>/dev/null)"
	if [ "$ms" -lt 5000 ] && jq -r '.error' <<<"$json" 2>/dev/null | grep -Eq -- "$ere"; then
		ok "$desc: error matches /$ere/ in ${ms} ms"
	else
		not_ok "$desc: error matches /$ere/ within 5000 ms (took $ms ms)"
		diag "$json"; diag_file "$T/send.err"
	fi
}

# ---- the client: a whole reply, a whole handshake
drip_server greeting-lines
send_expect "greeting a line every 0.5 s" 21 greeting \
	'^greeting: no complete reply within 1000 ms$' --connect "127.0.0.1:$DRIPPORT" --timeout 1s
drip_stop

drip_server greeting-bytes
send_expect "greeting a byte every 0.5 s" 21 greeting \
	'^greeting: no complete reply within 1000 ms$' --connect "127.0.0.1:$DRIPPORT" --timeout 1s
drip_stop

drip_server ehlo-lines
send_expect "EHLO reply a line every 0.5 s" 22 ehlo \
	'^ehlo: no complete reply within 1000 ms$' --connect "127.0.0.1:$DRIPPORT" --timeout 1s
drip_stop

drip_server tls-bytes
send_expect "implicit TLS handshake a byte every 0.5 s" 29 tls \
	'^tls: handshake not complete within 1000 ms' \
	--connect "127.0.0.1:$DRIPPORT" --timeout 1s --tls implicit
drip_stop

# ---- the probe: the same bounds, and a total
drip_server greeting-lines
t0=$EPOCHREALTIME
timeout -k 2 20 "$MXLAB" probe --timeout 1s "127.0.0.1:$DRIPPORT" >"$T/probe.txt" 2>&1
rc=$?
ms=$(elapsed_ms "$t0")
out=$(cat "$T/probe.txt")
expect_eq "probe, greeting a line every 0.5 s: exit 1" 1 "$rc"
expect_match "probe: ERROR connect-failed" '^  ERROR connect-failed$' "$out"
expect_match "probe: the greeting had no complete reply within 1000 ms" \
	'greeting: no complete reply within 1000 ms' "$out"
within "probe, dripping greeting: ends within 5 s" 5000 "$ms"
drip_stop

drip_server ehlo-lines
t0=$EPOCHREALTIME
json=$(timeout -k 2 20 "$MXLAB" probe --json --timeout 1s "127.0.0.1:$DRIPPORT" 2>"$T/probe.err")
ms=$(elapsed_ms "$t0")
expect_match "probe --json, EHLO a line every 0.5 s: connect_error names ehlo" \
	'^ehlo: no complete reply within 1000 ms$' "$(jq -r '.connect_error' <<<"$json" 2>/dev/null)"
within "probe, dripping EHLO: ends within 5 s" 5000 "$ms"
drip_stop

# Every reply 0.6 s late, under --timeout 2s: only the total can stop it.
start_serve slow --pki "$PKI" --cert mx.example.test --greeting-delay 600ms \
	--ehlo-delay 600ms --starttls-delay 600ms --quit-delay 600ms
t0=$EPOCHREALTIME
timeout -k 2 30 "$MXLAB" probe --timeout 2s --total-timeout 2s --pki "$PKI" \
	"127.0.0.1:$PORT" >"$T/probe-total.txt" 2>&1
rc=$?
ms=$(elapsed_ms "$t0")
out=$(cat "$T/probe-total.txt")
expect_eq "probe --total-timeout 2s against slow replies: exit 1" 1 "$rc"
expect_match "probe --total-timeout: ERROR probe-incomplete" '^  ERROR probe-incomplete$' "$out"
within "probe --total-timeout 2s: ends within 5 s" 5000 "$ms"
out=$("$MXLAB" probe --help 2>&1)
expect_match "probe --help lists --total-timeout" '^  --total-timeout D' "$out"
stop_serve slow

# ---- the server: a command line, a session, DATA
out=$("$MXLAB" serve --help 2>&1)
expect_match "serve --help lists session-timeout" '--session-timeout DURATION' "$out"

start_serve trickle --timeout 2s --max-connections 1 --transcript "$T/trickle.jsonl"
python3 "$PEER" client trickle "$PORT" "$T/trickle.release" >"$T/trickle.out" 2>&1 &
tpid=$!
check "trickling client: the server closes within 5 s" \
	wait_for 5 grep -q '^eof_ms=[0-9]' "$T/trickle.out"
check "trickling client: a second client is served (the slot is free)" \
	wait_for 5 smtp_session "$PORT"
touch "$T/trickle.release"
wait_for 10 grep -q '^sent=' "$T/trickle.out"
wait "$tpid" 2>/dev/null
expect_file_match "trickling client: 421 4.4.2 ... timeout" \
	'^reply=421 4\.4\.2 .*timeout' "$T/trickle.out"
eof=$(sed -n 's/^eof_ms=//p' "$T/trickle.out")
within "trickling client: closed after at most a few bytes" 5000 "${eof/none/99999}"
expect_event "transcript: close reason timeout" \
	'.event == "close" and .conn == 1 and .reason == "timeout"' "$T/trickle.jsonl"
stop_serve trickle

start_serve session --timeout 2s --session-timeout 3s --transcript "$T/session.jsonl"
timeout -k 2 20 python3 "$PEER" client noop "$PORT" >"$T/noop.out" 2>&1
expect_file_match "busy session: 421 4.4.2 ... session timeout" \
	'^reply=421 4\.4\.2 .*session timeout' "$T/noop.out"
eof=$(sed -n 's/^eof_ms=//p' "$T/noop.out")
if [ "${eof/none/99999}" -ge 2000 ] && [ "${eof/none/99999}" -lt 6000 ]; then
	ok "busy session: closed after about 3 s ($eof ms)"
else not_ok "busy session: closed after about 3 s (eof_ms=$eof)"; diag_file "$T/noop.out"; fi
expect_file_match "busy session: NOOPs were answered until then" '^reply=250 2\.0\.0 Ok' "$T/noop.out"
expect_event "transcript: close reason session-timeout" \
	'.event == "close" and .reason == "session-timeout"' "$T/session.jsonl"
check "after a session timeout the server still serves" smtp_session "$PORT"
stop_serve session

start_serve data --timeout 1s --transcript "$T/data.jsonl"
timeout -k 2 20 python3 "$PEER" client data "$PORT" >"$T/data.out" 2>&1
expect_file_match "DATA: 354 before the trickle" '^setup=354 ' "$T/data.out"
expect_file_match "DATA a byte every 0.5 s: 421 4.4.2 ... timeout" \
	'^reply=421 4\.4\.2 .*timeout' "$T/data.out"
eof=$(sed -n 's/^eof_ms=//p' "$T/data.out")
within "DATA a byte every 0.5 s: closed within 5 s" 5000 "${eof/none/99999}"
expect_event "transcript: the message is aborted" \
	'.event == "message" and .status == "aborted"' "$T/data.jsonl"
expect_event "transcript: close reason timeout" \
	'.event == "close" and .reason == "timeout"' "$T/data.jsonl"
stop_serve data

# A large message at full speed fits a short line timeout and session bound.
head -c 6000000 /dev/zero | tr '\0' 'x' | fold -w 998 >"$T/big.txt"
start_serve big --timeout 1s --session-timeout 20s --mailbox "$T/mbox"
send_expect "6 MB message with --timeout 1s on both sides" 0 null '^$' \
	--connect "127.0.0.1:$PORT" --timeout 1s --from a@example.test \
	--to b@example.test --data-file "$T/big.txt"
stop_serve big

done_testing
