#!/bin/bash
# probe-timeout.sh: `mxlab probe` against a peer that serves TLS 1.2 after
# STARTTLS and never answers a ClientHello that offers only TLS 1.3
# (drip_peer.py tls13-silent). The probe's TLSv1.3 session then times out:
# that is no verdict, so TLSv1.3 is neither refused nor accepted, there is
# no tls13-not-offered, the protocols finding says it timed out, and the
# probe ends after the 1 s handshake deadline, not its total. (mbedTLS 3.x;
# with 2.28 the probe cannot speak TLS 1.3 and never tries it: skipped.)
. "$(dirname "$0")/lib.sh"

if ! "$MXLAB" --version | grep -q '(mbedTLS [3-9]\.'; then
	echo "1..0 # SKIP no TLS 1.3: $("$MXLAB" --version 2>&1 | head -n 1)"
	exit 0
fi
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }

plan 7
make_pki || diag "no PKI: the tests below will fail"
NAME=mx.example.test
GOOD=$PKI/$NAME/good
PEER=$(dirname "$0")/drip_peer.py

if start_tool silent python3 "$PEER" server tls13-silent "$GOOD/fullchain.pem" "$GOOD/leaf.key"; then
	ok "tls13-silent peer listens on port $PORT"
else
	not_ok "tls13-silent peer listens"
fi

# What the probe's TLSv1.3 session meets: no answer, the handshake's deadline.
json=$(timeout 20 "$MXLAB" send --connect "127.0.0.1:$PORT" --tls starttls --pki "$PKI" \
	--sni $NAME --tls-min 1.3 --tls-max 1.3 --timeout 1s --stop-after tls --json)
expect_eq "mxlab send, TLS 1.3 only: no answer, the handshake times out" \
	"tls handshake not complete within 1000 ms" \
	"$(jq -r '.stage + " " + (.error | sub("^tls: "; ""))' <<<"$json" 2>&1)"

t0=$EPOCHREALTIME
timeout -k 2 30 "$MXLAB" probe --timeout 1s --pki "$PKI" --name $NAME "127.0.0.1:$PORT" \
	>"$T/probe.txt" 2>&1
rc=$?
ms=$(elapsed_ms "$t0")
OUT=$(tr '\n' ' ' <"$T/probe.txt" | tr -s ' ')
if [ $rc = 0 ] && [ "$ms" -lt 5000 ]; then
	ok "probe --timeout 1s: exit 0 after $ms ms (the handshake's deadline, not the total)"
else
	not_ok "probe --timeout 1s: exit 0 within 5 s"
	diag "exit $rc after $ms ms"; diag_file "$T/probe.txt" 60
fi
expect_no_match "probe: no tls13-not-offered, nothing says TLSv1.3 not offered" \
	'tls13-not-offered|TLSv1\.3 not offered' "$(cat "$T/probe.txt")"
expect_match "probe: Protocols: TLSv1.2 accepted, nothing refused" \
	'Protocols accepted TLSv1\.2 refused none ' "$OUT"
expect_match "probe: the protocols finding says the TLSv1.3 session timed out" \
	'no verdict: TLSv1\.3 \(the session timed out or ended before the handshake' "$OUT"

timeout -k 2 30 "$MXLAB" probe --json --timeout 1s --pki "$PKI" --name $NAME "127.0.0.1:$PORT" \
	>"$T/probe.json" 2>&1
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); p = d["protocols"]; ids = [f["id"] for f in d["findings"]]
assert "TLSv1.3" in p["untested"] and "TLSv1.3" not in p["refused"], p
assert p["accepted"] == ["TLSv1.2"], p
assert "tls13-not-offered" not in ids, ids' "$T/probe.json" 2>"$T/probe.py.err"; then
	ok "probe --json: TLSv1.3 untested (no verdict), not refused; TLSv1.2 accepted"
else
	not_ok "probe --json: TLSv1.3 untested (no verdict), not refused; TLSv1.2 accepted"
	diag_file "$T/probe.py.err"; diag_file "$T/probe.json" 5
fi

stop_tool silent
done_testing
