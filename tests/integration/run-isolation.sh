#!/usr/bin/env bash
# run-isolation.sh: a scenario that points Postfix at the host (the system's
# queue, data and configuration, a maillog outside, binaries of its own)
# runs in its sandbox as if it had not, and the host is left as it was.
# (The sandbox itself, against a root process inside, is tests/unit/test_sandbox.c.)
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 20

# Every path of the system's Postfix, with type, mode, owner, size, mtime,
# and every file's contents.
system_state() {
	local d
	for d in /etc/postfix /var/spool/postfix /var/lib/postfix /var/mail; do
		[ -e "$d" ] || continue
		find "$d" -printf '%p %y %m %u %g %s %T@\n' | sort
		find "$d" -type f -exec sha256sum {} + 2>/dev/null | sort
	done
}

# A delivery that passes in any sandbox; MAIN is the scenario's [main.cf].
scenario() { # FILE MAIN [MASTER]
	cat >"$1" <<EOF
[scenario]
summary = hostile: $(basename "$1" .scn)

[main.cf]
smtp_tls_security_level = may
$2

[master.cf]
${3:-}

[dns]
partner.example     MX 10 mx.partner.example
mx.partner.example  A  127.0.0.10

[server mx]
listen   = 127.0.0.10:25
starttls = hide

[send]
from = alice@example.test
to   = bob@partner.example

[expect]
status bob@partner.example = sent 2.0.0
server mx messages = 1
EOF
}

# Programs that would leave a mark if anything ran them.
mkdir -p "$T/evil"
for p in master postfix postfix-script post-install postconf postsuper postlogd smtpd smtp qmgr; do
	printf '#!/bin/sh\ntouch %s/RAN-%s\n' "$T" "$p" >"$T/evil/$p"
	chmod 755 "$T/evil/$p"
done

before=$(system_state)

scenario "$T/system-dirs.scn" "queue_directory = /var/spool/postfix
data_directory = /var/lib/postfix
config_directory = /etc/postfix
maillog_file = $T/host.log
maillog_file_prefixes = /"
OUT=$("$MXLAB" run --keep --workdir "$T/w1" "$T/system-dirs.scn" 2>&1)
expect_eq "system dirs: exit 0" 0 "$?"
expect_match "system dirs: PASS" '^PASS +system-dirs' "$OUT"
check "system dirs: no maillog outside the scenario" test ! -e "$T/host.log"
MAIN=$T/w1/001-system-dirs/postfix/etc/main.cf
expect_file_match "system dirs: the scenario's queue_directory is a comment" \
	'^# owned by the mxlab sandbox: queue_directory = /var/spool/postfix$' "$MAIN"
expect_file_match "system dirs: the instance's queue is its own" \
	"^queue_directory = /run/mxlab/postfix/spool\$" "$MAIN"
expect_eq "system dirs: one queue_directory for Postfix" 1 \
	"$(grep -c '^queue_directory' "$MAIN")"
expect_file_match "system dirs: the maillog is the instance's" 'status=sent' \
	"$T/w1/001-system-dirs/postfix/maillog"

scenario "$T/binaries.scn" "daemon_directory = $T/evil
command_directory = $T/evil
meta_directory = $T/evil
shlib_directory = $T/evil"
OUT=$("$MXLAB" run --keep --workdir "$T/w2" "$T/binaries.scn" 2>&1)
expect_eq "binaries: exit 0" 0 "$?"
expect_match "binaries: PASS" '^PASS +binaries' "$OUT"
check "binaries: none of the scenario's programs ran" \
	sh -c "! ls '$T' | grep -q '^RAN-'"
MAIN=$T/w2/001-binaries/postfix/etc/main.cf
expect_file_match "binaries: the system's daemon directory" \
	"^daemon_directory = $(postconf -d -h daemon_directory 2>/dev/null)\$" "$MAIN"

# A continuation line of an owned parameter goes with it.
scenario "$T/continued.scn" "queue_directory =
    /var/spool/postfix"
OUT=$("$MXLAB" run --keep --workdir "$T/w3" "$T/continued.scn" 2>&1)
expect_match "continued: PASS" '^PASS +continued' "$OUT"
expect_file_match "continued: its continuation is a comment too" \
	'^# owned by the mxlab sandbox:     /var/spool/postfix$' \
	"$T/w3/001-continued/postfix/etc/main.cf"

# The default work directory is root's alone: what a sandbox writes in it
# is no one else's to run while the run lasts.
OUT=$("$MXLAB" run --keep "$T/system-dirs.scn" 2>&1)
W=$(printf '%s\n' "$OUT" | sed -n 's/.*work directory \(\/tmp\/mxlab-run\.[A-Za-z0-9]*\).*/\1/p')
expect_eq "workdir: only root enters the default work directory" 700 "$(stat -c %a "$W" 2>&1)"
case $W in /tmp/mxlab-run.?*) rm -rf "$W" ;; esac

# The terminal mxlab runs on is not the sandbox's: a root process inside
# (an exec driver's command here) can neither push keystrokes into it
# (TIOCSTI, which the user's shell would run once mxlab exits) nor read
# what the user types. script(1) gives the run a terminal of its own.
cat >"$T/tty.scn" <<'EOF'
[scenario]
summary = hostile: keystrokes into the terminal mxlab runs on
mta     = exec

[exec]
start   = perl -e 'for my $f ("/dev/tty", "/proc/self/fd/0") { my $c = "x"; if (open(T, "+<", $f)) { print "$f ", (ioctl(T, 0x5412, $c) ? "INJECTED" : "refused: $!"), "\n" } else { print "$f open: $!\n" } } print -t STDIN ? "stdin: a terminal\n" : "stdin: no terminal\n"' >${instance}/tty.log 2>&1; echo done >>${instance}/tty.log
log     = ${instance}/tty.log

[expect]
log = done
EOF
if command -v script >/dev/null 2>&1 && command -v perl >/dev/null 2>&1; then
	script -qec "$MXLAB run --keep --workdir $T/w5 $T/tty.scn" /dev/null >"$T/tty.out" 2>&1 </dev/null
	TLOG=$(cat "$T"/w5/001-tty/exec/tty.log 2>&1)
	expect_match "terminal: the hostile command ran" '^done$' "$TLOG"
	expect_no_match "terminal: no keystroke pushed into it (TIOCSTI)" 'INJECTED' "$TLOG"
	expect_match "terminal: the sandbox's stdin is not the user's terminal" '^stdin: no terminal$' "$TLOG"
	printf '%s\n' "$TLOG" | grep -q -e INJECTED -e 'stdin: a' && diag "$TLOG"
else
	skip "terminal: the hostile command ran" "no script(1) or perl"
	skip "terminal: no keystroke pushed into it (TIOCSTI)" "no script(1) or perl"
	skip "terminal: the sandbox's stdin is not the user's terminal" "no script(1) or perl"
fi

after=$(system_state)
if [ "$before" = "$after" ]; then ok "the system's Postfix directories are unchanged"; else
	not_ok "the system's Postfix directories are unchanged"
	diag "$(diff <(echo "$before") <(echo "$after") | head -20)"
fi

# A long work directory and a long scenario name: Postfix's socket paths
# (at most 107 bytes) are under the sandbox's short /run/mxlab whatever
# they are.
LONG=$T/$(printf 'w%.0s' $(seq 1 120))
mkdir -p "$T/long"
cp "$(dirname "$0")/../../scenarios/outbound/may-good-chain.scn" \
	"$T/long/a-scenario-name-long-enough-to-push-the-socket-paths-past-the-limit.scn"
OUT=$("$MXLAB" run --workdir "$LONG" "$T/long" 2>&1)
expect_eq "long work directory and name: exit 0" 0 "$?"
expect_match "long work directory and name: passes" '^PASS +a-scenario-name-long-enough' "$OUT"
done_testing
