#!/bin/bash
# ci/demo.sh: mxlab's main job, until the scenario runner exists: make a
# test PKI, serve it three ways, and show what a real client sees.
#
# 1. installs the Debian packages (as root; skipped otherwise) and builds
#    build/ if needed;
# 2. `mxlab certs` writes a PKI for mx.example.test and other.example.test;
# 3. starts three `mxlab serve` instances on ephemeral loopback ports:
#      full       mx.example.test, leaf + intermediate
#      leaf-only  mx.example.test, leaf alone (a classic misconfiguration)
#      sni        full chain by default, other.example.test by SNI
# 4. probes each with `openssl s_client -starttls smtp`, trusting only the
#    PKI's root, and prints per probe the leaf, the chain length, the
#    verify result and what the server's transcript recorded;
# 5. stops the servers by PID.
# Exits 0 when every probe saw what it should, 1 otherwise.
# MXLAB_DEMO_KEEP=1 keeps the work directory (PKI, transcripts).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
top=$PWD

if [ "$(id -u)" -eq 0 ]; then
	sh ci/install-deps.sh || { echo "ci/demo.sh: ci/install-deps.sh failed" >&2; exit 2; }
fi
for c in meson ninja openssl jq; do
	command -v $c >/dev/null || { echo "ci/demo.sh: $c missing: run ci/install-deps.sh as root" >&2; exit 2; }
done
if [ ! -f build/meson-private/coredata.dat ]; then
	meson setup build >/dev/null || exit 2
fi
ninja -C build >/dev/null || { echo "ci/demo.sh: build failed (ninja -C build)" >&2; exit 2; }
MXLAB=$top/build/harness/mxlab

W=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-demo.XXXXXX") || exit 2
declare -A pid=() port=()
cleanup() {
	local n
	for n in "${!pid[@]}"; do kill -KILL "${pid[$n]}" 2>/dev/null; wait "${pid[$n]}" 2>/dev/null; done
	if [ "${MXLAB_DEMO_KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

echo "== mxlab demo ($("$MXLAB" --version))"
echo "-- mxlab certs: a test PKI in $W/pki"
"$MXLAB" certs --dir "$W/pki" --host mx.example.test,localhost,127.0.0.1 \
	--host other.example.test >"$W/certs.log" 2>&1 ||
	{ cat "$W/certs.log"; echo "ci/demo.sh: mxlab certs failed" >&2; exit 1; }
PKI=$W/pki
ROOT=$PKI/ca/root.crt

# serve NAME ARGS...: start a server, wait (at most 10 s) for "ready".
serve() {
	local name=$1 i
	shift
	"$MXLAB" serve --listen 127.0.0.1:0 --pki "$PKI" --cert mx.example.test \
		--transcript "$W/$name.jsonl" "$@" >"$W/$name.out" 2>"$W/$name.err" </dev/null &
	pid[$name]=$!
	for ((i = 0; i < 200; i++)); do
		if grep -qx 'mxlab serve: ready' "$W/$name.out"; then
			port[$name]=$(sed -n 's/^mxlab serve: listening on .*:\([0-9]*\)$/\1/p' "$W/$name.out" | head -n 1)
			echo "   $name: mxlab serve $* -> 127.0.0.1:${port[$name]}"
			return 0
		fi
		kill -0 "${pid[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "ci/demo.sh: server $name did not start:" >&2
	cat "$W/$name.err" >&2
	return 1
}

echo "-- starting servers"
serve full --chain full || exit 1
serve leaf-only --chain leaf-only || exit 1
serve sni --chain full --sni other.example.test=other.example.test || exit 1

fails=0
# probe SERVER SNI WANT-LEAF WANT-COUNT WANT-VERIFY
probe() {
	local name=$1 sni=$2 out=$W/probe-$1-${2:-none}.txt leaf n v tr mark=ok
	local sniarg=(-noservername)
	[ -n "$sni" ] && sniarg=(-servername "$sni")
	printf 'QUIT\r\n' | timeout 20 openssl s_client -ign_eof -starttls smtp \
		-connect "127.0.0.1:${port[$name]}" -showcerts -CAfile "$ROOT" \
		"${sniarg[@]}" >"$out" 2>&1
	leaf=$(sed -n 's/^ *0 s:.*CN *= *\([^,/]*\).*/\1/p' "$out" | head -n 1)
	n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$out")
	v=$(sed -n 's/^ *Verify return code: \([0-9]*\).*/\1/p' "$out" | tail -n 1)
	tr=$(jq -r 'select(.event == "tls") | "sni=\(.sni // "none") chain=\"\(.chain)\""' \
		"$W/$name.jsonl" 2>/dev/null | tail -n 1)
	if [ "$leaf" != "$3" ] || [ "$n" != "$4" ] || [ "$v" != "$5" ]; then
		mark=UNEXPECTED
		fails=$((fails + 1))
	fi
	printf '   %-10s %-20s %-20s %-6s %-28s %s\n' "$name" "${sni:-(none)}" "$leaf" "$n" \
		"$v ($( [ "$v" = 0 ] && echo verified || echo "not verified"))" "$mark"
	printf '   %-10s   transcript: %s\n' "" "${tr:-(no tls event)}"
}

echo "-- probing with openssl s_client -starttls smtp -CAfile ca/root.crt"
printf '   %-10s %-20s %-20s %-6s %-28s %s\n' server "SNI sent" "leaf (depth 0)" chain "verify return code" ""
probe full "" mx.example.test 2 0
probe leaf-only "" mx.example.test 1 21
probe sni "" mx.example.test 2 0
probe sni other.example.test other.example.test 2 0

echo "-- stopping servers (SIGTERM)"
for n in full leaf-only sni; do
	kill -TERM "${pid[$n]}"
	for ((i = 0; i < 200; i++)); do	# at most 10 s; a zombie counts as gone
		st=$(cat "/proc/${pid[$n]}/stat" 2>/dev/null) || break
		st=${st##*) }
		[ "${st%% *}" = Z ] && break
		sleep 0.05
	done
	kill -KILL "${pid[$n]}" 2>/dev/null
	wait "${pid[$n]}"
	rc=$?
	unset "pid[$n]"
	echo "   $n: exit $rc"
	[ "$rc" -eq 0 ] || fails=$((fails + 1))
done

if [ "$fails" -eq 0 ]; then
	echo "== demo OK: full chains verify, the leaf-only chain does not (21), SNI picks the named chain"
	exit 0
fi
echo "== demo: $fails unexpected result(s); rerun with MXLAB_DEMO_KEEP=1 to keep $W"
exit 1
