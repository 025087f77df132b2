#!/bin/bash
# serve-load.sh: `mxlab serve` under many clients at once (500 plaintext
# sessions held open together, each greeted, each answered) and on IPv6
# loopback (skipped when ::1 is not configured).
. "$(dirname "$0")/lib.sh"

plan 14
N=500

start_serve many --max-connections 1000 --transcript "$T/many.jsonl"
P=$PORT

# Open N connections, then read every greeting while all are open, then
# QUIT them all. Runs in a subshell so that the whole is bounded.
(
	fds=()
	for ((i = 0; i < N; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$P" 2>/dev/null || break
		fds+=("$fd")
	done
	echo "open ${#fds[@]}"
	g=0
	for fd in "${fds[@]}"; do
		IFS= read -r -t 20 -u "$fd" line && [[ $line == 220* ]] && g=$((g + 1))
	done
	echo "greeted $g"
	for fd in "${fds[@]}"; do printf 'QUIT\r\n' >&"$fd"; done
	q=0
	for fd in "${fds[@]}"; do
		IFS= read -r -t 20 -u "$fd" line && [[ $line == 221* ]] && q=$((q + 1))
		exec {fd}>&-
	done
	echo "quit $q"
) >"$T/many.txt" 2>&1 &
cpid=$!
t0=$EPOCHREALTIME
if wait_for 90 _not_running "$cpid"; then
	ok "$N concurrent sessions done in $(elapsed_ms "$t0") ms"
else
	not_ok "$N concurrent sessions: not done after 90 s"
	kill "$cpid" 2>/dev/null
fi
wait "$cpid" 2>/dev/null
expect_eq "$N connections open at once" "open $N" "$(grep '^open' "$T/many.txt")"
expect_eq "all $N greeted while all are open" "greeted $N" "$(grep '^greeted' "$T/many.txt")"
expect_eq "all $N answered QUIT with 221" "quit $N" "$(grep '^quit' "$T/many.txt")"
check "after the crowd: a normal session" smtp_session "$P"
stop_serve many
expect_eq "transcript: $N + 1 connections recorded" $((N + 1)) \
	"$(jq -c 'select(.event == "connect")' "$T/many.jsonl" 2>/dev/null | wc -l)"

# ---- IPv6
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	make_pki || diag "no PKI: the tests below will fail"
	start_serve v6 --listen '[::1]:0' --listen 127.0.0.1:0 \
		--pki "$PKI" --cert mx.example.test
	p6=$(serve_port v6 1)
	p4=$(serve_port v6 2)
	expect_match "the IPv6 listener is announced as [::1]:PORT" \
		'^mxlab serve: listening on \[::1\]:[0-9]+$' "$(cat "$T/v6.out")"
	s_client "$T/v6.txt" -starttls smtp -connect "[::1]:$p6" -CAfile "$PKI/ca/root.crt" \
		-noservername
	expect_file_match "openssl s_client -connect [::1]:PORT: verified TLS session" \
		'Verify return code: 0 \(ok\)' "$T/v6.txt"
	check "IPv6: a plaintext session on ::1" smtp_session "$p6" ::1
	check "the second listener (127.0.0.1) serves too" smtp_session "$p4"
	stop_serve v6 INT
else
	for d in "serve v6 ready" "IPv6 listener announced" "openssl over IPv6" \
		"plaintext over IPv6" "second listener" "serve v6 stops on SIGINT"; do
		skip "$d" "no ::1 on this machine"
	done
fi

done_testing
