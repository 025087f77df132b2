#!/usr/bin/env bash
# bench/postfix-floor.sh: what Postfix itself needs for one scenario, with
# no mxlab involved: start a master, deliver one message, stop the master.
# The floor that bench/catalogue.sh divides by, measured on this machine
# in the same run.
#
# Each run is a fresh private Postfix instance (its own main.cf/master.cf,
# queue_directory, data_directory and maillog_file under a temp dir; never
# /etc/postfix or the system queue) in its own network + mount + PID
# namespace, relayhost [127.0.0.10]:25. Two modes:
#   plaintext (default)  the relayhost is Postfix's own smtp-sink (no TLS)
#   --tls                the relayhost is a second private Postfix (its own
#                        config dir, queue and maillog; master.cf's only
#                        inet service an smtpd on 127.0.0.10:25 offering
#                        STARTTLS with the full P-256 chain of a
#                        `mxlab certs` PKI for mx.partner.example; every
#                        transport discard), and the sender delivers with
#                        the TLS policy "secure match=mx.partner.example",
#                        smtp_tls_CAfile = the PKI's root: a verified TLS
#                        delivery, checked in the log ("Verified TLS
#                        connection established"), or the run fails.
# Outside the timed parts: the PKI (once, `mxlab certs`), writing the
# configuration, `postfix check` (which makes the queue), starting the sink
# and, for the Postfix sink, one plaintext session (greeting, QUIT) so that
# its smtpd is spawned and idle, as smtp-sink is already running. Timed,
# each waited on by polling the maillog's lines with a bound (no fixed
# sleeps):
#   start    exec master -s                  -> "daemon started" in the maillog
#   deliver  exec sendmail -C DIR (as root)  -> the "status=sent" line
#   stop     SIGTERM to master               -> master exited (its PID waited)
# Prints every run and the medians; the last line is
# "postfix-floor: median T s" (plaintext) or "postfix-floor --tls: median
# T s" for scripts (bench/catalogue.sh).
#
# usage: sudo bench/postfix-floor.sh [--tls] [RUNS]   (default 5; run on
#        demand; MXLAB=path of the mxlab binary for --tls's PKI, default
#        build/harness/mxlab; BENCH_KEEP=1 keeps the work directory, each
#        run's maillogs in it)
set -eu
tls=${PF_FLOOR_TLS:-0}
if [ "${1:-}" = --tls ]; then tls=1; shift; fi
runs=${1:-5}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "${PF_FLOOR_INNER:-}" ]; then
	# ---- one run, inside its own namespaces; prints "start deliver stop" (s)
	R=$PF_FLOOR_INNER
	PKI=${PF_FLOOR_PKI:-}
	ip link set lo up
	PF=$R/pf
	log=$PF/maillog
	SK=$R/sink		# --tls: the sink Postfix
	sklog=$SK/maillog
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
	if [ "$tls" = 1 ]; then
		# The sender: TLS required and verified for the relayhost, the
		# name to match given by the policy (the next hop is an address).
		printf '[127.0.0.10]:25 secure match=mx.partner.example\n' >"$PF/etc/tls_policy"
		cat >>"$PF/etc/main.cf" <<-EOF
		smtp_tls_loglevel = 1
		smtp_tls_CAfile = $PKI/ca/root.crt
		smtp_tls_policy_maps = texthash:$PF/etc/tls_policy
		EOF
		# The sink: a second instance whose only inet service is an
		# smtpd on 127.0.0.10:25 with STARTTLS; everything it accepts
		# goes to discard.
		mkdir -p "$SK/etc" "$SK/spool" "$SK/data"
		chown postfix "$SK/data"
		cat >"$SK/etc/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $SK/spool
		data_directory = $SK/data
		maillog_file = $sklog
		maillog_file_prefixes = $SK
		myhostname = mx.partner.example
		mydestination =
		alias_maps =
		alias_database =
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		local_transport = discard:floor sink
		relay_transport = discard:floor sink
		default_transport = discard:floor sink
		smtpd_tls_security_level = may
		smtpd_tls_chain_files = $PKI/mx.partner.example/good/key-chain.pem
		smtpd_tls_loglevel = 1
		EOF
		pf_master_cf "$SK/etc/master.cf"
		sed -i 's/^smtp      inet /127.0.0.10:25 inet /; /^pickup /d' "$SK/etc/master.cf"
		postfix -c "$SK/etc" check
	fi
	postfix -c "$PF/etc" check

	# A builtin sleep between polls: read with a timeout on a FIFO that
	# nobody writes (no process forked per poll).
	mkfifo "$R/tick"
	exec {tick}<>"$R/tick"
	nap() { read -r -t 0.002 -u "$tick" _ || true; }
	fail() {
		echo "postfix-floor: $*" >&2
		[ -f "$log" ] && tail -n 20 "$log" >&2
		[ -f "$sklog" ] && { echo "-- the sink's maillog:" >&2; tail -n 20 "$sklog" >&2; }
		# By PID; whatever is left ends with the PID namespace.
		for p in ${master:-} ${sink:-}; do kill -TERM "$p" 2>/dev/null || true; done
		exit 1
	}
	# waitlog FILE PATTERN SECONDS: read FILE's new lines (from where the
	# last call on FILE stopped) until one contains PATTERN.
	declare -A logfd=()
	waitlog() {
		local end=$((${EPOCHREALTIME/./} + $3 * 1000000)) line fd
		while :; do
			if [ -z "${logfd[$1]:-}" ] && [ -f "$1" ]; then exec {fd}<"$1"; logfd[$1]=$fd; fi
			if [ -n "${logfd[$1]:-}" ]; then
				while IFS= read -r line <&"${logfd[$1]}"; do
					case $line in *"$2"*) return 0 ;; esac
				done
			fi
			[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "no '$2' in $1 within $3 s"
			nap
		done
	}
	# stop PID: SIGTERM, then wait until it has exited (gone from /proc or
	# a zombie, state Z), then reap it by PID.
	stop() {
		local end=$((${EPOCHREALTIME/./} + 10000000)) st
		kill -TERM "$1"
		while read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" && [ "$st" != Z ]; do
			[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "$1 still running 10 s after SIGTERM"
			nap
		done
		wait "$1" || true
	}

	# The sink must accept before the delivery is timed.
	if [ "$tls" = 1 ]; then
		/usr/lib/postfix/sbin/master -c "$SK/etc" -s </dev/null >"$R/sink.out" 2>&1 &
		sink=$!
		waitlog "$sklog" "daemon started" 10
		# One plaintext session (greeting, QUIT) spawns its smtpd; the
		# "disconnect from" line says that smtpd is idle again.
		exec {s}<>/dev/tcp/127.0.0.10/25 || fail "sink not listening on 127.0.0.10:25"
		IFS= read -r -t 10 line <&"$s" || fail "no greeting from the sink within 10 s"
		case $line in 220*) ;; *) fail "sink greeted with: $line" ;; esac
		printf 'QUIT\r\n' >&"$s"
		IFS= read -r -t 10 line <&"$s" || true
		exec {s}>&-
		waitlog "$sklog" "disconnect from" 10
	else
		smtp-sink -u postfix 127.0.0.10:25 16 >"$R/sink.out" 2>&1 &
		sink=$!
		end=$((${EPOCHREALTIME/./} + 5000000))
		until (exec 3<>/dev/tcp/127.0.0.10/25) 2>/dev/null; do
			[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "smtp-sink not listening within 5 s"
			nap
		done
	fi

	t0=${EPOCHREALTIME/./}
	/usr/lib/postfix/sbin/master -c "$PF/etc" -s </dev/null >"$R/master.out" 2>&1 &
	master=$!
	waitlog "$log" "daemon started" 10
	t1=${EPOCHREALTIME/./}
	printf 'Subject: floor\n\none message\n' |
		sendmail -C "$PF/etc" -f sender@mx.example.test rcpt@partner.example
	waitlog "$log" "status=sent" 10
	t2=${EPOCHREALTIME/./}
	stop "$master"
	master=
	t3=${EPOCHREALTIME/./}
	if [ "$tls" = 1 ]; then
		# Not timed: the delivery was verified TLS, on both sides.
		grep -Eq 'postfix/smtp\[[0-9]+\]: (Verified|Trusted) TLS connection established to 127\.0\.0\.10\[127\.0\.0\.10\]:25' "$log" ||
			fail "status=sent without a verified TLS connection in $log"
		waitlog "$sklog" "TLS connection established from" 10
		waitlog "$sklog" "status=sent (floor sink)" 10
	fi
	stop "$sink"
	sink=
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
pki=
what="one plaintext delivery to smtp-sink"
tag=postfix-floor
if [ "$tls" = 1 ]; then
	# One PKI for all runs, made before the first (not timed): the
	# default P-256 chain (root, intermediate, leaf) for mx.partner.example.
	mxlab=${MXLAB:-$(dirname "$0")/../build/harness/mxlab}
	[ -x "$mxlab" ] || { echo "postfix-floor: --tls needs mxlab for its PKI (MXLAB=, or build first: $mxlab)" >&2; exit 2; }
	pki=$T/pki
	"$mxlab" certs --dir "$pki" --host mx.partner.example --quiet
	chmod -R go+rX "$pki/ca"
	what="one verified TLS delivery (secure, P-256 chain) to a private Postfix smtpd"
	tag="postfix-floor --tls"
fi

for i in $(seq "$runs"); do
	mkdir "$T/$i"
	chmod 755 "$T/$i"
	unshare --net --mount --pid --fork --mount-proc --kill-child \
		env PF_FLOOR_INNER="$T/$i" PF_FLOOR_TLS="$tls" PF_FLOOR_PKI="$pki" "$0" >"$T/$i.res" ||
		{ echo "postfix-floor: run $i failed" >&2; exit 1; }
done

cat "$T"/[0-9]*.res | awk -v n="$runs" -v v="$version" -v what="$what" -v tag="$tag" '
function median(a, k,   i, j, t) {	# sorts a[1..k]
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{ r++; s[r] = $1; d[r] = $2; p[r] = $3; tot[r] = $1 + $2 + $3
  printf "  run %d: start %.3f  deliver %.3f  stop %.3f  = %.3f s\n", r, $1, $2, $3, tot[r] }
BEGIN { printf "%s: Postfix %s, private instance, %d runs of master start + %s + stop\n", tag, v, n, what }
END {
	if (r != n) { print tag ": " r " results for " n " runs" > "/dev/stderr"; exit 1 }
	ms = median(s, r); md = median(d, r); mp = median(p, r); mt = median(tot, r)
	printf "  medians: start %.3f s (exec master -> daemon started), deliver %.3f s (sendmail -> status=sent), stop %.3f s (SIGTERM -> master exited)\n", ms, md, mp
	printf "%s: median %.3f s\n", tag, mt
}'
