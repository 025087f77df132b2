#!/usr/bin/env bash
# run-cleanup.sh: whatever ends a scenario (a pass, SIGINT to the runner, a
# runner killed outright), no Postfix process, fake peer or mount is left.
. "$(dirname "$0")/lib.sh"
BAD=$(cd "$(dirname "$0")/../scenarios-bad" && pwd)
GOOD=$(cd "$(dirname "$0")/../../scenarios" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 11
chmod 755 "$T"

masters() { pgrep -f "master -c $1" | wc -l; }
no_masters() { [ "$(masters "$1")" -eq 0 ]; }
has_master() { [ "$(masters "$1")" -gt 0 ]; }
started() { grep -qs 'daemon started' "$1"/001-*/postfix/maillog; }

# A passing scenario: nothing left, its directory removed.
"$MXLAB" run --workdir "$T/pass" "$GOOD/outbound/may-no-starttls.scn" >"$T/pass.out" 2>&1
expect_eq "pass: exit 0" 0 "$?"
check "pass: no Postfix master left" no_masters "$T/pass"
check "pass: its directory is removed" test ! -e "$T/pass/001-may-no-starttls"

# SIGINT while Postfix runs: exit 1, everything stopped.
"$MXLAB" run --workdir "$T/int" "$BAD/log-never.scn" >"$T/int.out" 2>&1 &
pid=$!
check "sigint: Postfix started" wait_for 20 started "$T/int"
check "sigint: its master is visible from here" has_master "$T/int"
kill -INT $pid
wait $pid
expect_eq "sigint: exit 1" 1 "$?"
check "sigint: no Postfix master left" wait_for 10 no_masters "$T/int"

# The runner killed outright: its sandboxes die with it.
"$MXLAB" run --workdir "$T/kill" "$BAD/log-never.scn" >"$T/kill.out" 2>&1 &
pid=$!
check "sigkill: Postfix started" wait_for 20 started "$T/kill"
check "sigkill: its master is visible from here" has_master "$T/kill"
kill -KILL $pid
wait $pid 2>/dev/null
check "sigkill: no Postfix master left" wait_for 10 no_masters "$T/kill"
check "sigkill: no mount of the sandbox is visible" sh -c "! grep -q '$T' /proc/mounts"

done_testing
