#!/usr/bin/env bash
# bench/starttls-rate.sh: STARTTLS sessions a second of `mxlab serve` and
# of Postfix's smtpd (a private instance), with the same client against
# both: `mxlab send --stop-after ehlo-tls` (greeting, EHLO, STARTTLS, a
# verified TLS 1.2 handshake, EHLO, QUIT), one session after another for
# SECONDS, P-256 certificates of one `mxlab certs` PKI (leaf and
# intermediate sent). Reports, for each server, sessions/s, its CPU ms a
# session (Postfix: every Postfix process, exited smtpd included) and the
# client's, then mxlab's ratios against Postfix. The client runs one
# process a session and costs more CPU than either server, so sessions/s
# is bounded by the client; the server CPU ms a session is what compares
# the servers. A shared machine makes both vary by tens of percent.
#
# Runs in its own network + mount + PID namespace (root; Postfix needs
# it): both servers on loopback, a private /etc/hosts so that smtpd's
# client name lookup answers at once, and everything dies with the script.
#
# usage: sudo bench/starttls-rate.sh [BUILD_DIR] [SECONDS]   (run on demand;
#        BENCH_KEEP=1 keeps the work directory, Postfix's maillog in it)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build=${1:-$top/build}
secs=${2:-5}
case $build in /*) ;; *) build=$PWD/$build ;; esac
mxlab=$build/harness/mxlab

[ -x "$mxlab" ] || { echo "bench: build first ($mxlab missing)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, Postfix)" >&2; exit 2; }
command -v postfix >/dev/null || { echo "bench: needs postfix" >&2; exit 2; }
if [ -z "${STARTTLS_RATE_INNER:-}" ]; then
	exec unshare --net --mount --pid --fork --mount-proc --kill-child \
		env STARTTLS_RATE_INNER=1 "$0" "$build" "$secs"
fi

T=$(mktemp -d)
chmod 755 "$T"		# Postfix's data directory is below it
trap '[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
mount --make-rprivate /
ip link set lo up
printf '127.0.0.1 localhost\n' >"$T/hosts"
printf 'nameserver 127.0.0.1\n' >"$T/resolv.conf"
mount --bind "$T/hosts" /etc/hosts
mount --bind "$T/resolv.conf" /etc/resolv.conf
PKI=$T/pki
"$mxlab" certs --dir "$PKI" --quiet

# ---- the servers
"$mxlab" serve --listen 127.0.0.1:2525 --pki "$PKI" --cert mx.example.test \
	>"$T/serve.out" 2>&1 &
serve_pid=$!

PF=$T/pf
mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
chown postfix "$PF/data"
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.example.test
mydestination =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
local_transport = error:local delivery disabled
smtpd_tls_security_level = may
smtpd_tls_chain_files = $PKI/mx.example.test/good/key-chain.pem
EOF
pf_master_cf "$PF/etc/master.cf"
postfix -c "$PF/etc" check
/usr/lib/postfix/sbin/master -c "$PF/etc" -s </dev/null >"$T/master.out" 2>&1 &
master_pid=$!

# ---- measuring
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
session() {
	"$mxlab" send --connect "127.0.0.1:$1" --pki "$PKI" --verify-name mx.example.test \
		--tls starttls --stop-after ehlo-tls --quiet
}
# CPU ticks of a process, and of its reaped children.
ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
# CPU ticks of every Postfix process now running (their exited children
# are in master's share).
pf_ticks() {
	local s=0 f t
	for f in /proc/[0-9]*/stat; do
		t=$(awk -v m="$master_pid" '$1 == m || $2 ~ /^\((smtpd|tlsmgr|anvil|proxymap|trivial-rewri|cleanup|qmgr|pickup|postlogd|scache|verify|flush)\)$/ {
			print $14 + $15 + $16 + $17; exit }' "$f" 2>/dev/null) || t=
		s=$((s + ${t:-0}))
	done
	echo "$s"
}
# run PORT WHO: SECONDS of sessions; prints "sessions failed ms client_ticks server_ticks"
run() {
	local port=$1 who=$2 n=0 f=0 s0 s1 t0 t1 end
	for _ in $(seq 100); do up "$port" && break; sleep 0.1; done
	if ! session "$port" >&2; then
		echo "bench: $who: the first session failed" >&2
		[ "$who" = postfix ] && tail -n 20 "$PF/maillog" >&2
		exit 1
	fi
	if [ "$who" = mxlab ]; then s0=$(ticks "$serve_pid"); else s0=$(pf_ticks); fi
	t0=$EPOCHREALTIME
	end=$(( ${t0/./} + secs * 1000000 ))	# microseconds
	(
		me=$BASHPID
		c0=$(ticks "$me")
		while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
			session "$port" || f=$((f + 1))
			n=$((n + 1))
		done
		echo "$n $f $(( $(ticks "$me") - c0 ))" >"$T/$who.loop"
	)
	t1=$EPOCHREALTIME
	if [ "$who" = mxlab ]; then s1=$(ticks "$serve_pid"); else s1=$(pf_ticks); fi
	read -r n f c <"$T/$who.loop"
	echo "$n $f $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') $c $((s1 - s0))"
}

hz=$(getconf CLK_TCK)
run 2525 mxlab >"$T/mxlab.res"
run 25 postfix >"$T/postfix.res"
read -r mn mf mms mc ms <"$T/mxlab.res"
read -r pn pf pms pc ps <"$T/postfix.res"
kill -TERM "$serve_pid" "$master_pid"
wait "$serve_pid" "$master_pid" 2>/dev/null || true

awk -v hz="$hz" -v secs="$secs" \
    -v mn="$mn" -v mf="$mf" -v mms="$mms" -v mc="$mc" -v ms="$ms" \
    -v pn="$pn" -v pf="$pf" -v pms="$pms" -v pc="$pc" -v ps="$ps" 'BEGIN {
	printf "starttls-rate: %s s of sequential `mxlab send --stop-after ehlo-tls`, P-256, TLS 1.2\n", secs
	mr = mn * 1000 / mms; pr = pn * 1000 / pms
	mcpu = ms * 1000 / hz / mn; pcpu = ps * 1000 / hz / pn
	printf "  %-14s %6.1f sessions/s (%d, %d failed)  server %5.2f CPU ms a session  client %5.2f\n",
		"mxlab serve", mr, mn, mf, mcpu, mc * 1000 / hz / mn
	printf "  %-14s %6.1f sessions/s (%d, %d failed)  server %5.2f CPU ms a session  client %5.2f\n",
		"postfix smtpd", pr, pn, pf, pcpu, pc * 1000 / hz / pn
	printf "  mxlab / postfix: %.2fx the sessions/s, %.2fx the server CPU a session\n",
		mr / pr, mcpu / pcpu
}'
