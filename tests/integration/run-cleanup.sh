#!/usr/bin/env bash
# run-cleanup.sh: whatever ends a scenario (a pass, SIGINT to the runner, a
# runner killed outright), no Postfix process, fake peer or mount is left.
# Sandboxes build their root in a mount namespace of their own, so the mount
# table seen from here must not change at all, while they run or after.
. "$(dirname "$0")/lib.sh"
BAD=$(cd "$(dirname "$0")/../scenarios-bad" && pwd)
GOOD=$(cd "$(dirname "$0")/../../scenarios" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 15
chmod 755 "$T"

masters() { pgrep -f "master -c $1" | wc -l; }
no_masters() { [ "$(masters "$1")" -eq 0 ]; }
has_master() { [ "$(masters "$1")" -gt 0 ]; }
started() { grep -qs 'daemon started' "$1"/001-*/postfix/maillog; }

# mounts: this mount namespace's table, one mount a line, sorted, without
# what numbers mounts rather than describes them (mount and parent ids,
# device numbers): mount point, root, mount options, propagation, fs type,
# source, super options.
mounts() {
	awk '{
		opt = ""
		for (i = 7; $i != "-"; i++) opt = opt " " $i
		print $5, $4, $6, "[" substr(opt, 2) "]", $(i + 1), $(i + 2), $(i + 3)
	}' /proc/self/mountinfo | sort
}
# same_mounts DESC BEFORE-FILE: the table now is the one in the file.
same_mounts() {
	mounts >"$T/mounts.now"
	if [ -s "$2" ] && cmp -s "$2" "$T/mounts.now"; then ok "$1"; return; fi
	not_ok "$1"
	if [ -s "$2" ]; then
		diag "the mount table changed (- before, + now):"
		diff -U0 "$2" "$T/mounts.now" | tail -n +3 | grep '^[-+]' | head -n 40 | sed 's/^/#   /'
	else
		diag "no mount table taken before ($2 empty)"
	fi
}

# A passing scenario: nothing left, its directory removed.
mounts >"$T/mounts.pass"
"$MXLAB" run --workdir "$T/pass" "$GOOD/outbound/may-no-starttls.scn" >"$T/pass.out" 2>&1
expect_eq "pass: exit 0" 0 "$?"
check "pass: no Postfix master left" no_masters "$T/pass"
check "pass: the work directory is there and empty" \
	sh -c 'test -d "$1" && test -z "$(ls -A "$1")"' - "$T/pass"
same_mounts "pass: the mount table here is as before" "$T/mounts.pass"

# SIGINT while Postfix runs: exit 1, everything stopped.
mounts >"$T/mounts.int"
"$MXLAB" run --workdir "$T/int" "$BAD/log-never.scn" >"$T/int.out" 2>&1 &
pid=$!
check "sigint: Postfix started" wait_for 20 started "$T/int"
check "sigint: its master is visible from here" has_master "$T/int"
same_mounts "sigint: while Postfix runs, the mount table here is as before" "$T/mounts.int"
kill -INT $pid
wait $pid
expect_eq "sigint: exit 1" 1 "$?"
check "sigint: no Postfix master left" wait_for 10 no_masters "$T/int"
same_mounts "sigint: the mount table here is as before" "$T/mounts.int"

# The runner killed outright: its sandboxes die with it.
mounts >"$T/mounts.kill"
"$MXLAB" run --workdir "$T/kill" "$BAD/log-never.scn" >"$T/kill.out" 2>&1 &
pid=$!
check "sigkill: Postfix started" wait_for 20 started "$T/kill"
check "sigkill: its master is visible from here" has_master "$T/kill"
same_mounts "sigkill: while Postfix runs, the mount table here is as before" "$T/mounts.kill"
kill -KILL $pid
wait $pid 2>/dev/null
check "sigkill: no Postfix master left" wait_for 10 no_masters "$T/kill"
same_mounts "sigkill: the mount table here is as before" "$T/mounts.kill"

done_testing
