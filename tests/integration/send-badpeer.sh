#!/bin/bash
# send-badpeer.sh: `mxlab send` against peers that misbehave (mxlab serve
# faults, a port nobody listens on, raw garbage and a 10 MB line without LF
# from a tiny python listener): the exit code names the stage, the JSON
# says where and why, and each run ends within its bound.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }

plan 40
make_pki || exit 1

# send_expect DESC WANT_RC WANT_STAGE ERROR_ERE MAX_MS ARGS...: 2 TAP lines
send_expect() {
	local desc=$1 want_rc=$2 want_st=$3 ere=$4 max=$5 t0 rc json ms
	shift 5
	t0=$EPOCHREALTIME
	json=$(timeout -k 2 30 "$MXLAB" send --json "$@" 2>"$T/send.err")
	rc=$?
	ms=$(elapsed_ms "$t0")
	expect_eq "$desc: exit $want_rc, stage $want_st" "$want_rc $want_st" \
		"$rc $(jq -r '.failed_stage' <<<"$json" 2>/dev/null)"
	if [ "$ms" -le "$max" ] && jq -r '.error' <<<"$json" 2>/dev/null | grep -Eq -- "$ere"; then
		ok "$desc: error matches /$ere/ in ${ms} ms"
	else
		not_ok "$desc: error matches /$ere/ within $max ms (took $ms ms)"
		diag "$json"; diag_file "$T/send.err"
	fi
}

start_serve garbage --pki "$PKI" --cert mx.example.test --tls-fault garbage || exit 1
send_expect "TLS garbage" 29 tls '^tls: SSL - ' 5000 --connect "127.0.0.1:$PORT" --pki "$PKI"
stop_serve garbage

start_serve close --pki "$PKI" --cert mx.example.test --tls-fault close-after-ready || exit 1
send_expect "close after 220 Ready" 29 tls '^tls: (SSL|NET) - ' 5000 --connect "127.0.0.1:$PORT" --pki "$PKI"
stop_serve close

start_serve gdisc --greeting disconnect || exit 1
send_expect "greeting disconnect" 21 greeting '^greeting: connection closed by the server$' 5000 \
	--connect "127.0.0.1:$PORT"
stop_serve gdisc

start_serve slow --ehlo-delay 30s || exit 1
send_expect "EHLO never answered" 22 ehlo '^ehlo: no complete reply within 1000 ms$' 4000 \
	--connect "127.0.0.1:$PORT" --timeout 1s
stop_serve slow

start_serve refuse --pki "$PKI" --cert mx.example.test --starttls refuse || exit 1
send_expect "STARTTLS refused" 29 starttls '^starttls: 454 4\.7\.0 TLS not available' 5000 \
	--connect "127.0.0.1:$PORT" --tls starttls
send_expect "STARTTLS refused, starttls-optional: plaintext" 0 null '^$' 5000 \
	--connect "127.0.0.1:$PORT"
stop_serve refuse

start_serve leafonly --pki "$PKI" --cert mx.example.test --chain leaf-only || exit 1
send_expect "verify required, leaf-only chain" 29 tls 'certificate not verified: untrusted-issuer' 5000 \
	--connect "127.0.0.1:$PORT" --pki "$PKI" --verify required
send_expect "AUTH before STARTTLS (tls none)" 28 auth '^auth: 502 ' 5000 \
	--connect "127.0.0.1:$PORT" --tls none --auth login --user u --password p
stop_serve leafonly

# A port nobody listens on: bind one with python, or pick a high one.
send_expect "connection refused" 20 connect '^connect: Connection refused$' 5000 \
	--connect 127.0.0.1:1

# Raw peers from python: garbage, a 10 MB line without LF, silence.
if command -v python3 >/dev/null; then
	raw_peer() {	# MODE: starts a one-shot listener, sets RAWPORT
		rm -f "$T/raw.out"
		python3 - "$1" >"$T/raw.out" 2>&1 <<'PY' &
import socket, sys
mode = sys.argv[1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
try:
    if mode == "garbage":
        c.sendall(b"\x00\xff hello, not SMTP\r\n")
    elif mode == "huge":
        c.sendall(b"x" * (10 << 20))
    elif mode == "silent":
        while c.recv(4096):
            pass
except OSError:
    pass
c.close()
PY
		RAWPID=$!
		wait_for 10 grep -qs . "$T/raw.out"
		RAWPORT=$(head -n 1 "$T/raw.out")
	}
	raw_peer garbage
	send_expect "raw garbage greeting" 21 greeting '^greeting: malformed reply$' 5000 \
		--connect "127.0.0.1:$RAWPORT" --timeout 2s
	wait "$RAWPID"
	raw_peer huge
	send_expect "10 MB greeting without LF" 21 greeting 'line too long' 5000 \
		--connect "127.0.0.1:$RAWPORT" --timeout 2s
	kill "$RAWPID" 2>/dev/null; wait "$RAWPID" 2>/dev/null
	raw_peer silent
	send_expect "silent peer" 21 greeting '^greeting: no complete reply within 1000 ms$' 4000 \
		--connect "127.0.0.1:$RAWPORT" --timeout 1s
	wait "$RAWPID"
	raw_peer silent
	send_expect "silent peer, implicit TLS" 29 tls '^tls: handshake not complete within 1000 ms' 4000 \
		--connect "127.0.0.1:$RAWPORT" --timeout 1s --tls implicit
	wait "$RAWPID"
else
	for _ in 1 2 3 4 5 6 7 8; do skip "raw peers" "python3 missing"; done
fi

# Usage errors name the option and exit 2.
out=$("$MXLAB" send --connect 127.0.0.1:25 --tls sometimes 2>&1); rc=$?
expect_eq "usage: exit 2" 2 "$rc"
expect_match "usage: names the option" "^mxlab send: --tls: bad value 'sometimes'" "$out"
done_testing
