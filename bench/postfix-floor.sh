#!/usr/bin/env bash
# bench/postfix-floor.sh: what Postfix itself needs for one scenario, with
# no mxlab involved: start a master, deliver one message, stop the master.
# The floor that bench/catalogue.sh divides by, measured on this machine
# in the same run.
#
# Each run is a fresh private Postfix instance (its own main.cf/master.cf,
# queue_directory, data_directory and maillog_file under a temp dir; never
# /etc/postfix or the system queue) in its own network + mount + PID
# namespace, with Postfix's own smtp-sink on 127.0.0.10:25 as the relayhost.
# Delivery is plaintext: smtp-sink has no TLS (the scenarios' deliveries are
# mostly TLS, which the notes measured at about +0.06 s a delivery).
# Outside the timed parts: writing the configuration, `postfix check` (which
# makes the queue) and starting smtp-sink. Timed, each waited on by polling
# the maillog's lines with a bound (no fixed sleeps):
#   start    exec master -s                  -> "daemon started" in the maillog
#   deliver  exec sendmail -C DIR (as root)  -> the "status=sent" line
#   stop     SIGTERM to master               -> master exited (its PID waited)
# Prints every run and the medians; the last line is
# "postfix-floor: median T s" for scripts (bench/catalogue.sh).
#
# usage: sudo bench/postfix-floor.sh [RUNS]   (default 5; run on demand;
#        BENCH_KEEP=1 keeps the work directory, each run's maillog in it)
set -eu
runs=${1:-5}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "${PF_FLOOR_INNER:-}" ]; then
	# ---- one run, inside its own namespaces; prints "start deliver stop" (s)
	R=$PF_FLOOR_INNER
	ip link set lo up
	PF=$R/pf
	log=$PF/maillog
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
	chown postfix "$PF/data"
	cat >"$PF/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF/spool
	data_directory = $PF/data
	maillog_file = $log
	maillog_file_prefixes = $PF
	myhostname = mx.example.test
	mydestination =
	alias_maps =
	alias_database =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	local_transport = error:local delivery disabled
	relayhost = [127.0.0.10]:25
	EOF
	pf_master_cf "$PF/etc/master.cf"
	postfix -c "$PF/etc" check
	smtp-sink -u postfix 127.0.0.10:25 16 >"$R/sink.out" 2>&1 &

	# A builtin sleep between polls: read with a timeout on a FIFO that
	# nobody writes (no process forked per poll).
	mkfifo "$R/tick"
	exec {tick}<>"$R/tick"
	nap() { read -r -t 0.002 -u "$tick" _ || true; }
	fail() {
		echo "postfix-floor: $*" >&2
		[ -f "$log" ] && tail -n 20 "$log" >&2
		exit 1
	}
	# waitlog PATTERN SECONDS: read the maillog's new lines until one
	# contains PATTERN.
	waitlog() {
		local end=$((${EPOCHREALTIME/./} + $2 * 1000000)) line
		while :; do
			if [ -z "${logfd:-}" ] && [ -f "$log" ]; then exec {logfd}<"$log"; fi
			if [ -n "${logfd:-}" ]; then
				while IFS= read -r line <&"$logfd"; do
					case $line in *"$1"*) return 0 ;; esac
				done
			fi
			[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "no '$1' in $log within $2 s"
			nap
		done
	}
	# The sink must accept before the delivery is timed.
	end=$((${EPOCHREALTIME/./} + 5000000))
	until (exec 3<>/dev/tcp/127.0.0.10/25) 2>/dev/null; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "smtp-sink not listening within 5 s"
		nap
	done

	t0=${EPOCHREALTIME/./}
	/usr/lib/postfix/sbin/master -c "$PF/etc" -s </dev/null >"$R/master.out" 2>&1 &
	master=$!
	waitlog "daemon started" 10
	t1=${EPOCHREALTIME/./}
	printf 'Subject: floor\n\none message\n' |
		sendmail -C "$PF/etc" -f sender@mx.example.test rcpt@partner.example
	waitlog "status=sent" 10
	t2=${EPOCHREALTIME/./}
	kill -TERM "$master"
	# Exited = gone from /proc or a zombie (state Z), then reaped by PID.
	end=$((${EPOCHREALTIME/./} + 10000000))
	while read -r _ _ st _ 2>/dev/null <"/proc/$master/stat" && [ "$st" != Z ]; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "master $master still running 10 s after SIGTERM"
		nap
	done
	wait "$master" || true
	t3=${EPOCHREALTIME/./}
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" \
		'BEGIN { printf "%.4f %.4f %.4f\n", (b - a) / 1e6, (c - b) / 1e6, (d - c) / 1e6 }'
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "postfix-floor: needs root (namespaces, Postfix)" >&2; exit 2; }
for c in postfix sendmail smtp-sink unshare ip; do
	command -v "$c" >/dev/null || { echo "postfix-floor: needs $c" >&2; exit 2; }
done
T=$(mktemp -d)
chmod 755 "$T"		# Postfix's data directory is below it
trap '[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
version=$(postconf -d -h mail_version 2>/dev/null || echo "?")

for i in $(seq "$runs"); do
	mkdir "$T/$i"
	chmod 755 "$T/$i"
	unshare --net --mount --pid --fork --mount-proc --kill-child \
		env PF_FLOOR_INNER="$T/$i" "$0" >"$T/$i.res" ||
		{ echo "postfix-floor: run $i failed" >&2; exit 1; }
done

cat "$T"/[0-9]*.res | awk -v n="$runs" -v v="$version" '
function median(a, k,   i, j, t) {	# sorts a[1..k]
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{ r++; s[r] = $1; d[r] = $2; p[r] = $3; tot[r] = $1 + $2 + $3
  printf "  run %d: start %.3f  deliver %.3f  stop %.3f  = %.3f s\n", r, $1, $2, $3, tot[r] }
BEGIN { printf "postfix-floor: Postfix %s, private instance, %d runs of master start + one plaintext delivery to smtp-sink + stop\n", v, n }
END {
	if (r != n) { print "postfix-floor: " r " results for " n " runs" > "/dev/stderr"; exit 1 }
	ms = median(s, r); md = median(d, r); mp = median(p, r); mt = median(tot, r)
	printf "  medians: start %.3f s (exec master -> daemon started), deliver %.3f s (sendmail -> status=sent), stop %.3f s (SIGTERM -> master exited)\n", ms, md, mp
	printf "postfix-floor: median %.3f s\n", mt
}'
