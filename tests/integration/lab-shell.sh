#!/usr/bin/env bash
# lab-shell.sh: `mxlab lab FILE`, the lab shell (docs/labs.md), driven by
# a script of commands on its standard input, on the no-cafile lab:
#   - the seed guide's tools work inside against the lab's world and
#     nothing else: postconf and postqueue on MAIL_CONFIG, posttls-finger
#     and openssl s_client reach the fake MX through the fake DNS;
#   - the host is out of reach: its processes, its /etc/postfix, the
#     sandbox's PID 1 (its /proc/1/fd holds the user's terminal);
#   - `mxlab lab check` fails with the next hint, passes once main.cf is
#     fixed, and the run's exit status is the last check's; a lab whose
#     fix is a command (postmap) is solved by running it in the shell;
#   - no leftovers: a process started in the lab (setsid, in the
#     background) is gone once the shell exits, and once mxlab is killed
#     (SIGTERM) with the shell still running;
#   - on a terminal (script(1)), the shell has a terminal of its own, with
#     the prompt naming the lab and the user's window size.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab lab needs root"
	exit 0
fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LAB=$SRC/scenarios/labs/no-cafile.scn
plan 27
chmod 755 "$T"	# Postfix's daemons must reach the work directories below

# Processes on the host that belong to a work directory or a marker.
leftovers() { pgrep -af -- "$1" | grep -v pgrep; }
# no_leftovers WHAT MARK WORKDIR: none of the marker's or the work
# directory's; those left are named, then killed by PID.
no_leftovers() {
	local left
	left=$(leftovers "$2"; leftovers "$3")
	if [ -z "$left" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "$left"
		printf '%s\n' "$left" | awk '{print $1}' | xargs -r kill -9
	fi
}

cat >"$T/script" <<EOF
echo "MC=\$MAIL_CONFIG"
postconf -h smtp_tls_policy_maps
postqueue -p | tail -1
posttls-finger -c -l secure partner.example 2>&1 | grep -m1 'certificate verification failed'
posttls-finger -c -l secure -F "\$pki/ca/root.crt" partner.example 2>&1 | grep -m1 'Verified TLS connection established'
openssl s_client -connect mx.partner.example:25 -starttls smtp -CAfile "\$pki/ca/root.crt" </dev/null 2>&1 | grep -m1 'Verify return code'
cat /proc/1/fd/0 </dev/null 2>&1 | sed 's/^/pid1-fd: /' | head -1
test -e /proc/$$/status && echo HOST-PID-VISIBLE || echo host-pid-not-visible
test -e /etc/postfix/main.cf && echo HOST-MAINCF || echo no-host-maincf
mxlab lab hint
mxlab lab check; echo "check1=\$?"
echo "smtp_tls_CAfile = \$pki/ca/root.crt" >>"\$MAIL_CONFIG/main.cf"
mxlab lab check; echo "check2=\$?"
setsid sleep 31415 </dev/null >/dev/null 2>&1 &
exit
EOF
timeout 120 "$MXLAB" lab "$LAB" --workdir "$T/w1" <"$T/script" >"$T/a.out" 2>&1
rc=$?
OUT=$(cat "$T/a.out")
expect_eq "scripted session: exit 0 (the last check passed)" 0 "$rc"
[ "$rc" -eq 0 ] || diag_file "$T/a.out" 60
expect_match "the banner: the lab's title and task" \
	'^mxlab lab: Mail to a secure partner is deferred' "$OUT"
expect_match "MAIL_CONFIG is the lab's instance" "^MC=$T/w1/001-no-cafile/postfix/etc\$" "$OUT"
expect_match "postconf reads the lab's main.cf" '^inline:\{partner\.example=secure\}$' "$OUT"
expect_match "postqueue -p shows the lab's mail, sent once at start" \
	'^-- [0-9]+ Kbytes in 1 Request\.$' "$OUT"
# (seen failing once, with the tests side by side, not since: show the
# banner and the commands' output when it does)
grep -qE '^-- [0-9]+ Kbytes in 1 Request\.$' "$T/a.out" || diag_file "$T/a.out" 40
expect_match "posttls-finger reaches the fake MX: untrusted without the root" \
	'^posttls-finger: certificate verification failed for mx\.partner\.example\[127\.0\.0\.10\]:25: untrusted issuer /CN=mxlab Test Root CA' "$OUT"
expect_match "posttls-finger with the lab's root: Verified" \
	'^posttls-finger: Verified TLS connection established to mx\.partner\.example\[127\.0\.0\.10\]:25' "$OUT"
expect_match "openssl s_client -starttls smtp reaches it through the fake DNS" \
	'Verify return code: 0 \(ok\)' "$OUT"
expect_match "the sandbox's PID 1 (the user's terminal) is out of reach" \
	'^pid1-fd: .*Permission denied' "$OUT"
expect_match "the host's processes are out of sight" '^host-pid-not-visible$' "$OUT"
expect_match "the host's /etc/postfix is out of sight" '^no-host-maincf$' "$OUT"
expect_match "mxlab lab hint: hint 1" '^hint 1 of 3: ' "$OUT"
expect_match "check on the broken configuration: a goal fails" \
	'^  FAIL  status bob@partner\.example = sent 2\.0\.0$' "$OUT"
expect_match "... with the next hint" '^hint 2 of 3: ' "$OUT"
expect_match "... and exit 1" '^check1=1$' "$OUT"
# The check's evidence is its own mail's: not the message sent at start
# (still in the maillog, retried while the shell ran).
ids=$(printf '%s\n' "$OUT" | sed -n '/^mxlab lab check:/,/^lab not solved yet/p' |
	sed -n 's/.*postfix\/smtp\[[0-9]*\]: \([0-9A-F]*\): to=.*/\1/p' | sort -u)
expect_eq "... its evidence is the check's one message" 1 "$(printf '%s\n' "$ids" | grep -c .)"
expect_match "check after the fix: lab solved, exit 0" \
	'^lab solved: every goal holds' "$OUT"
expect_match "... exit 0" '^check2=0$' "$OUT"
no_leftovers "no leftovers once the shell exits (a setsid process, Postfix)" 'sleep 31415' "$T/w1"

# A lab whose fix is a command, not an edit: the map was never postmapped.
printf 'mxlab lab check >/dev/null; echo "before=$?"\npostmap /etc/mxlab-lab/tls_policy && mxlab lab check; echo "after=$?"\n' |
	timeout 120 "$MXLAB" lab "$SRC/scenarios/labs/policy-map-not-postmapped.scn" --workdir "$T/w4" \
	>"$T/p.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^before=1$' "$T/p.out" && grep -q '^after=0$' "$T/p.out"; then
	ok "not postmapped: check fails, postmap in the shell, check passes, exit 0"
else
	not_ok "not postmapped: exit $rc"; diag_file "$T/p.out" 30
fi

# Killed with the shell running: the lab stops all the same.
mkfifo "$T/in"
"$MXLAB" lab "$LAB" --workdir "$T/w2" <"$T/in" >"$T/b.out" 2>&1 &
pid=$!
exec 7>"$T/in"
echo 'setsid sleep 27182 </dev/null >/dev/null 2>&1 & echo started-bg' >&7
if wait_for 60 grep -q '^started-bg$' "$T/b.out" && wait_for 10 pgrep -f 'sleep 27182' >/dev/null; then
	ok "killed: the lab shell runs a background process"
else
	not_ok "killed: the lab shell runs a background process"
	diag_file "$T/b.out"
fi
kill -TERM "$pid"
wait_for 20 _not_running "$pid"
wait "$pid" 2>/dev/null
rc=$?
exec 7>&-
expect_eq "killed: mxlab exits 1 (interrupted)" 1 "$rc"
no_leftovers "killed: no leftovers (the background process, Postfix)" 'sleep 27182' "$T/w2"

# On a terminal: a pseudo-terminal of its own, relayed.
if command -v script >/dev/null 2>&1; then
	printf 'stty size\nexit\n' | timeout 60 script -qec \
		"stty rows 33 cols 99; $MXLAB lab $LAB --workdir $T/w3" /dev/null >"$T/c.out" 2>&1
	expect_file_match "terminal: the prompt names the lab" '\[lab no-cafile\] etc# ' "$T/c.out"
	expect_file_match "terminal: the user's window size" '33 99' "$T/c.out"
	expect_file_match "terminal: leaving without a check says so" \
		'left the lab without a `mxlab lab check`' "$T/c.out"
else
	skip "terminal: the prompt names the lab" "no script(1)"
	skip "terminal: the user's window size" "no script(1)"
	skip "terminal: leaving without a check says so" "no script(1)"
fi

# Usage.
"$MXLAB" lab "$SRC/scenarios/outbound/secure-leaf-only.scn" >"$T/d.out" 2>&1 </dev/null
expect_eq "a scenario that is not a lab: exit 2" 2 "$?"
done_testing
