#!/usr/bin/env bash
# bench/idle-sessions.sh: memory of `mxlab serve` holding N idle TLS
# sessions (issue 10 part 4: the target is at most 64 KiB of RSS a
# session). For each mxlab binary given (default: build/ and build-36/,
# i.e. mbedTLS 2.28, then 3.6 with --tls-max 1.2 and at its default, TLS
# 1.3; a binary given as PATH:1.2 or PATH:1.3 is run with that --tls-max),
# in the same run:
#   - start `mxlab serve` (STARTTLS offered, the P-256 chain of one
#     `mxlab certs` PKI, --max-connections N + 16, no session deadline)
#     and read its VmRSS, VmSize and Threads from /proc/PID/status;
#   - one Python 3 process (the ssl module, OpenSSL) opens N connections,
#     one after another: greeting, EHLO, STARTTLS, a complete handshake
#     verified against the PKI's root for mx.example.test, then leaves
#     each one idle (nothing more is sent or read);
#   - wait for the event that the server holds them: N `tls` lines with
#     `"result":"ok"` in its transcript and the client's `held N` (bounded);
#   - read /proc/PID/status again: (after - before) / N is the RSS an idle
#     TLS session costs, compared with 64 KiB;
#   - close the client and wait for N `close` lines in the transcript, then
#     read VmRSS once more (what the server keeps after the sessions end).
# The peer measured in the same run is the client: its own RSS growth a
# session is what OpenSSL 3 (through Python's ssl, one object per socket)
# costs for the other end of the same sessions.
#
# Runs in its own network + mount + PID namespace (root): the server on
# loopback, everything dies with the script.
#
# usage: sudo bench/idle-sessions.sh [MXLAB[,MXLAB...]] [N]   (run on demand;
#        default N 1000; BENCH_KEEP=1 keeps the work directory)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bins=${1:-}
n=${2:-1000}
if [ -z "$bins" ]; then
	for b in "$top/build/harness/mxlab" "$top/build-36/harness/mxlab:1.2" "$top/build-36/harness/mxlab"; do
		[ -x "${b%:1.[23]}" ] && bins=${bins:+$bins,}$b
	done
fi
[ -n "$bins" ] || { echo "bench: build first (no mxlab in build/ or build-36/)" >&2; exit 2; }
IFS=, read -r -a mxlabs <<<"$bins"
for b in "${mxlabs[@]}"; do
	[ -x "${b%:1.[23]}" ] || { echo "bench: $b: not an executable" >&2; exit 2; }
done
case $n in '' | *[!0-9]*) echo "bench: N must be a number" >&2; exit 2 ;; esac
if [ "$n" -lt 1 ] || [ "$n" -gt 50000 ]; then echo "bench: N from 1 to 50000" >&2; exit 2; fi
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: needs python3" >&2; exit 2; }
if [ -z "${IDLE_SESSIONS_INNER:-}" ]; then
	exec unshare --net --mount --pid --fork --mount-proc --kill-child \
		env IDLE_SESSIONS_INNER=1 "$0" "$bins" "$n"
fi

T=$(mktemp -d)
trap '[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
mount --make-rprivate /
ip link set lo up
# One descriptor a connection on each side, in one process each.
nofile=$((n + 256))
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge "$nofile" ] || ulimit -Hn "$nofile"
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge "$nofile" ] || ulimit -Sn "$nofile"
PKI=$T/pki
"${mxlabs[0]%:1.[23]}" certs --dir "$PKI" --quiet

cat >"$T/client.py" <<'EOF'
# client.py PORT N ROOT: N STARTTLS sessions left idle; prints
# "held N RSS_BEFORE_KIB RSS_AFTER_KIB VERSION", then waits for SIGTERM.
import signal, socket, ssl, sys

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def reply(s, want):
    buf = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("client: connection closed waiting for %s" % want)
        buf += chunk
        lines = buf.split(b"\r\n")
        for line in lines[:-1]:
            if line[3:4] == b" ":
                if not line.startswith(want):
                    sys.exit("client: wanted %s, got %r" % (want, line))
                return

port, n, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(root)
before = rss()
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    reply(s, b"220")
    s.sendall(b"EHLO idle.example.test\r\n")
    reply(s, b"250")
    s.sendall(b"STARTTLS\r\n")
    reply(s, b"220")
    t = ctx.wrap_socket(s, server_hostname="mx.example.test")  # handshakes
    held.append(t)
print("held %d %d %d %s" % (len(held), before, rss(), held[0].version()), flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
EOF

# A builtin sleep between polls: read with a timeout on a FIFO that
# nobody writes (no process forked per poll).
mkfifo "$T/tick"
exec {tick}<>"$T/tick"
nap() { read -r -t 0.01 -u "$tick" _ || true; }
fail() {
	echo "idle-sessions: $*" >&2
	for f in "$T"/serve-*.out "$T"/client-*.out; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 5 "$f" >&2; }
	done
	exit 1
}
# status PID FIELD: a /proc/PID/status field's number (kB for Vm*).
status() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"; }
# split PID: "STACKS HEAP OTHER", the RSS (KiB) of thread stacks
# (anonymous rw-p mappings right after a 4 kB ---p guard page), of the
# rest of anonymous memory (brk heap, malloc arenas, mmapped chunks) and
# of everything else (libraries, the binary, the main stack), from smaps.
split() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / {
		anon = (NF == 5 || $6 == "[heap]"); perm = $2
		guarded = (pperm == "---p" && psize == 4); cur = 1; next }
	/^Size:/ { size = $2; next }
	/^Rss:/ && cur {
		if (anon && perm == "rw-p" && guarded) st += $2
		else if (anon) hp += $2
		else ot += $2
		pperm = perm; psize = size; cur = 0 }
	END { print st + 0, hp + 0, ot + 0 }' "/proc/$1/smaps"
}
# waitfile FILE PATTERN SECONDS: until a line of FILE contains PATTERN.
waitfile() {
	local end=$((${EPOCHREALTIME/./} + $3 * 1000000))
	until [ -f "$1" ] && grep -q -- "$2" "$1"; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "no '$2' in $1 within $3 s"
		nap
	done
}

out=$T/results
: >"$out"
port=2525
for entry in "${mxlabs[@]}"; do
	mxlab=${entry%:1.[23]} tls=()
	[ "$mxlab" = "$entry" ] || tls=(--tls-max "${entry##*:}")
	port=$((port + 1))
	tx=$T/tx-$port.jsonl
	"$mxlab" serve --listen "127.0.0.1:$port" --pki "$PKI" --cert mx.example.test \
		--max-connections $((n + 16)) --timeout 10m --session-timeout none "${tls[@]}" \
		--transcript "$tx" >"$T/serve-$port.out" 2>&1 &
	spid=$!
	waitfile "$T/serve-$port.out" "mxlab serve: ready" 10
	rss0=$(status "$spid" VmRSS) vsz0=$(status "$spid" VmSize) thr0=$(status "$spid" Threads)
	read -r st0 hp0 ot0 < <(split "$spid")

	python3 "$T/client.py" "$port" "$n" "$PKI/ca/root.crt" >"$T/client-$port.out" 2>&1 &
	cpid=$!
	t0=${EPOCHREALTIME/./}
	# The event: N handshakes done in the transcript (read as it grows,
	# no fork a poll) and the client holding N; bounded by 60 s + 50 ms a
	# session. (The threads are not the event: sessions do not own one.)
	end=$((t0 + (60 + n / 20) * 1000000))
	ok=0 txfd=
	while :; do
		[ -z "$txfd" ] && [ -f "$tx" ] && exec {txfd}<"$tx"
		if [ -n "$txfd" ]; then
			while IFS= read -r line <&"$txfd"; do
				case $line in
				*'"event":"tls","result":"ok"'*) ok=$((ok + 1)) ;;
				*'"event":"tls","result":"failed"'* | *'"event":"close"'*)
					fail "a session failed or closed: $line" ;;
				esac
			done
		fi
		if [ "$ok" -ge "$n" ] && grep -q '^held ' "$T/client-$port.out"; then
			break
		fi
		kill -0 "$cpid" 2>/dev/null || fail "the client exited: $(cat "$T/client-$port.out")"
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "$ok of $n sessions after $(( (end - t0) / 1000000 )) s"
		nap
	done
	t1=${EPOCHREALTIME/./}
	rss1=$(status "$spid" VmRSS) vsz1=$(status "$spid" VmSize) thr1=$(status "$spid" Threads)
	read -r st1 hp1 ot1 < <(split "$spid")
	read -r _ held crss0 crss1 ver <"$T/client-$port.out"

	# Close every session: N close lines in the transcript, then the RSS kept.
	kill -TERM "$cpid"
	wait "$cpid" 2>/dev/null || true
	end=$((${EPOCHREALTIME/./} + 30000000))
	closed=0
	while :; do
		while IFS= read -r line <&"$txfd"; do
			case $line in *'"event":"close"'*) closed=$((closed + 1)) ;; esac
		done
		[ "$closed" -ge "$n" ] && break
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "$closed of $n sessions closed within 30 s"
		nap
	done
	exec {txfd}<&-
	rss2=$(status "$spid" VmRSS)
	kill -TERM "$spid"
	wait "$spid" 2>/dev/null || true
	lib=$(ldd "$mxlab" | awk '/libmbedtls\.so/ { print $3; exit }')
	libv=$(readlink -f "$lib" | sed 's/.*libmbedtls\.so\.//')
	echo "$mxlab ${libv:-?} $held $ver $(( (t1 - t0) / 1000 )) $rss0 $rss1 $rss2 $vsz0 $vsz1 $thr0 $thr1 $crss0 $crss1 \
		$((st1 - st0)) $((hp1 - hp0)) $((ot1 - ot0))" >>"$out"
done

awk -v n="$n" 'BEGIN {
	printf "idle-sessions: %d idle STARTTLS sessions (EHLO, STARTTLS, verified handshake, P-256) held by one Python/OpenSSL client; target <= 64 KiB RSS a session\n", n
}
{
	printf "  %s (libmbedtls.so.%s), %s, %d sessions held in %.1f s\n", $1, $2, $4, $3, $5 / 1000
	printf "    server RSS %d -> %d KiB: %.1f KiB a session (%s the 64 KiB target); %d KiB after they closed\n",
		$6, $7, ($7 - $6) / n, (($7 - $6) / n <= 64) ? "within" : "ABOVE", $8
	printf "    of which thread stacks %.1f, heap (brk + malloc arenas) %.1f, other %.1f KiB a session (smaps Rss)\n",
		$15 / n, $16 / n, $17 / n
	printf "    server VmSize %d -> %d KiB: %.1f KiB a session; threads %d -> %d\n",
		$9, $10, ($10 - $9) / n, $11, $12
	printf "    peer, the client (OpenSSL 3 via Python ssl): RSS %d -> %d KiB: %.1f KiB a session\n",
		$13, $14, ($14 - $13) / n
}' "$T/results"
