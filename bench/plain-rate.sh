#!/usr/bin/env bash
# bench/plain-rate.sh: plaintext sessions and messages a second of
# `mxlab serve` (storing every message with --mailbox, on a tmpfs) and of
# Postfix's `smtp-sink` (which stores nothing: no -d/-D), with the same
# client against both: Postfix's `smtp-source -s 20 -m 20000 -l 2000`, 20
# sessions in parallel, one message a session (no -d), 2000 bytes of
# payload, no pipelining (smtp-source has none). Reports, for each server,
# the wall time of the smtp-source run, messages/s, the server's CPU s
# (utime + stime of its process, all threads) and the client's, then
# mxlab's ratio of messages/s against smtp-sink. Issue 10 wants >= 1.0.
# Two more runs split the cost: a second `mxlab serve` without --mailbox
# (sessions alone, against smtp-sink) and `smtp-sink -d` dumping every
# transaction to a file of its own on a tmpfs (storing, against --mailbox).
# The runs go one after the other (mxlab, smtp-sink, mxlab without
# mailbox, smtp-sink -d), all servers started before the first; an idle
# server costs nothing measurable.
#
# Then checks that nothing was lost and every stored message is the one
# smtp-source sent, byte for byte (see "the check" below).
#
# Runs in its own network + mount + PID namespace (root): both servers on
# loopback, the mailbox on a private tmpfs, servers stopped by PID, and
# everything dies with the script. Waits are bounded polls (a builtin nap,
# no fixed sleeps as synchronisation).
#
# usage: sudo bench/plain-rate.sh [MXLAB]   (the mxlab binary, default
#        build/harness/mxlab; run on demand; BENCH_KEEP=1 keeps the work
#        directory, the mailbox excepted: it lives on the namespace's tmpfs)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mxlab=${1:-$top/build/harness/mxlab}
case $mxlab in /*) ;; *) mxlab=$PWD/$mxlab ;; esac
sessions=20
messages=20000
length=2000	# the expected body below is written for smtp-source's -l 2000
helo=client.example.test

[ -x "$mxlab" ] || { echo "plain-rate: build first ($mxlab missing)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "plain-rate: needs root (namespaces, tmpfs)" >&2; exit 2; }
for c in smtp-source smtp-sink unshare ip; do
	command -v "$c" >/dev/null || { echo "plain-rate: needs $c" >&2; exit 2; }
done
if [ -z "${PLAIN_RATE_INNER:-}" ]; then
	exec unshare --net --mount --pid --fork --mount-proc --kill-child \
		env PLAIN_RATE_INNER=1 "$0" "$mxlab"
fi

T=$(mktemp -d)
chmod 755 "$T"
trap '[ "${BENCH_KEEP:-0}" = 1 ] || { umount "$T/mb" 2>/dev/null; rm -rf "$T"; }' EXIT
mount --make-rprivate /
ip link set lo up
mkdir "$T/mb"
mount -t tmpfs -o size=1g,mode=755 plain-rate "$T/mb"

# A builtin sleep between polls: read with a timeout on a FIFO that nobody
# writes (no process forked per poll).
mkfifo "$T/tick"
exec {tick}<>"$T/tick"
nap() { read -r -t 0.002 -u "$tick" _ || true; }
now() { echo "${EPOCHREALTIME/./}"; }	# microseconds
fail() { echo "plain-rate: $*" >&2; exit 1; }
# listening PORT WHO: a TCP connect succeeds within 5 s.
listening() {
	local end=$(($(now) + 5000000))
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		[ "$(now)" -lt "$end" ] || fail "$2 not listening on $1 within 5 s"
		nap
	done
}
# stop PID WHO: SIGTERM, then gone or a zombie within 10 s, then reaped.
stop() {
	local end st
	kill -TERM "$1"
	end=$(($(now) + 10000000))
	while read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" && [ "$st" != Z ]; do
		[ "$(now)" -lt "$end" ] || fail "$2 ($1) still running 10 s after SIGTERM"
		nap
	done
	wait "$1" || true
}
# CPU ticks of a process (all its threads), and of its reaped children.
ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }

# ---- the servers (both started before either run; each idles while the
# other is measured)
"$mxlab" serve --listen 127.0.0.1:2525 --mailbox "$T/mb" >"$T/serve.out" 2>&1 &
serve_pid=$!
"$mxlab" serve --listen 127.0.0.1:2527 >"$T/serve-nostore.out" 2>&1 &
nostore_pid=$!
smtp-sink -u postfix 127.0.0.1:2526 256 >"$T/sink.out" 2>&1 &
sink_pid=$!
# smtp-sink -d: each transaction (envelope and message) dumped to a file
# of its own, on a tmpfs like mxlab's mailbox: the like-for-like peer of
# --mailbox.
mkdir "$T/sinkmb"
mount -t tmpfs -o size=1g,mode=777 plain-rate-sink "$T/sinkmb"
smtp-sink -u postfix -d "$T/sinkmb/m." 127.0.0.1:2528 256 >"$T/sinkd.out" 2>&1 &
sinkd_pid=$!
listening 2525 "mxlab serve"
listening 2526 smtp-sink
listening 2527 "mxlab serve (no mailbox)"
listening 2528 "smtp-sink -d"
# The probes above are sessions without a message: nothing stored.
[ -z "$(ls -A "$T/mb")" ] || fail "the mailbox is not empty before the run"

# run PORT WHO PID: one smtp-source run; prints "us client_ticks server_ticks"
run() {
	local s0 s1 t0 t1
	s0=$(ticks "$3")
	t0=$(now)
	(
		me=$BASHPID
		c0=$(ticks "$me")
		smtp-source -s "$sessions" -m "$messages" -l "$length" -M "$helo" \
			"127.0.0.1:$1" >"$T/$2.source" 2>&1 ||
			{ echo "plain-rate: smtp-source against $2 failed:" >&2; tail -n 5 "$T/$2.source" >&2; exit 1; }
		echo $(( $(ticks "$me") - c0 )) >"$T/$2.client"
	)
	t1=$(now)
	s1=$(ticks "$3")
	echo "$((t1 - t0)) $(cat "$T/$2.client") $((s1 - s0))"
}
run 2525 mxlab "$serve_pid" >"$T/mxlab.res"
run 2526 smtp-sink "$sink_pid" >"$T/sink.res"
run 2527 nostore "$nostore_pid" >"$T/nostore.res"
run 2528 sinkd "$sinkd_pid" >"$T/sinkd.res"
stop "$serve_pid" "mxlab serve"
stop "$nostore_pid" "mxlab serve (no mailbox)"
stop "$sink_pid" smtp-sink
stop "$sinkd_pid" "smtp-sink -d"
dumped=$(find "$T/sinkmb" -type f | wc -l)
umount "$T/sinkmb"

hz=$(getconf CLK_TCK)
read -r mus mc ms <"$T/mxlab.res"
read -r sus sc ss <"$T/sink.res"
read -r nus nc ns <"$T/nostore.res"
read -r dus dc ds <"$T/sinkd.res"
awk -v hz="$hz" -v n="$messages" -v s="$sessions" -v l="$length" \
    -v nus="$nus" -v nc="$nc" -v ns="$ns" -v dus="$dus" -v dc="$dc" -v ds="$ds" -v dumped="$dumped" \
    -v mus="$mus" -v mc="$mc" -v ms="$ms" -v sus="$sus" -v sc="$sc" -v ss="$ss" 'BEGIN {
	printf "plain-rate: smtp-source -s %d -m %d -l %d, one message a session, plaintext, no pipelining\n", s, n, l
	mr = n * 1e6 / mus; sr = n * 1e6 / sus
	printf "  %-30s %6.2f s  %7.0f messages/s  server %5.2f CPU s  client %5.2f\n",
		"mxlab serve --mailbox (tmpfs)", mus / 1e6, mr, ms / hz, mc / hz
	printf "  %-30s %6.2f s  %7.0f messages/s  server %5.2f CPU s  client %5.2f\n",
		"smtp-sink (stores nothing)", sus / 1e6, sr, ss / hz, sc / hz
	nr = n * 1e6 / nus
	printf "  %-30s %6.2f s  %7.0f messages/s  server %5.2f CPU s  client %5.2f\n",
		"mxlab serve, no --mailbox", nus / 1e6, nr, ns / hz, nc / hz
	printf "  mxlab / smtp-sink: %.2fx the messages/s, %.2fx the server CPU (issue 10 wants >= 1.0x messages/s)\n",
		mr / sr, (ss ? ms / ss : 0)
	dr = n * 1e6 / dus
	printf "  %-30s %6.2f s  %7.0f messages/s  server %5.2f CPU s  client %5.2f  (%d files)\n",
		"smtp-sink -d (tmpfs)", dus / 1e6, dr, ds / hz, dc / hz, dumped
	printf "  without the mailbox: %.2fx the messages/s, %.2fx the server CPU\n",
		nr / sr, (ss ? ns / ss : 0)
	printf "  storing, against smtp-sink -d: %.2fx the messages/s, %.2fx the server CPU\n",
		mr / dr, (ds ? ms / ds : 0)
}'

# ---- the check: nothing lost, byte-exact
# tests/lib/smtp-source-mailbox.awk rebuilds the message smtp-source sent
# (from smtp-source.c's rule, not from anything mxlab wrote) and compares
# each stored .eml with it. Also: exactly DIR/000001.eml .. DIR/0NNNNN.eml,
# each with its .json envelope.
LC_ALL=C find "$T/mb" -maxdepth 1 -name '*.eml' | LC_ALL=C sort >"$T/eml.list"
LC_ALL=C find "$T/mb" -maxdepth 1 -name '*.json' | LC_ALL=C wc -l >"$T/json.count"
[ -s "$T/eml.list" ] || fail "stored 0/$messages"
# xargs: mawk reads the files, in batches, as one record stream each batch.
LC_ALL=C xargs mawk -v h="$helo" -f "$top/tests/lib/smtp-source-mailbox.awk" <"$T/eml.list" >"$T/check.out"
# Each xargs batch prints its own "files good" line; sum them, list the bad.
grep '^bad ' "$T/check.out" | head -n 5 >&2 || true
read -r nfiles ngood < <(awk '!/^bad / { f += $1; g += $2 } END { print f + 0, g + 0 }' "$T/check.out")
neml=$(wc -l <"$T/eml.list")
njson=$(cat "$T/json.count")
# The names: 000001.eml .. 0NNNNN.eml, no gap, no extra.
seqok=$(awk -v n="$messages" '{ sub(/.*\//, ""); if ($0 != sprintf("%06d.eml", NR)) bad++ }
	END { print (NR == n && !bad) ? "yes" : "no" }' "$T/eml.list")
echo "  stored $neml/$messages, byte-exact $ngood/$messages (envelopes $njson, names 000001..$(printf '%06d' "$messages") in sequence: $seqok, files read $nfiles)"
if [ "$neml" != "$messages" ] || [ "$njson" != "$messages" ] || [ "$seqok" != yes ] ||
	[ "$ngood" != "$messages" ]; then
	fail "messages lost or altered"
fi
