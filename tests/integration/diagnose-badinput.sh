#!/usr/bin/env bash
# diagnose-badinput.sh: `mxlab diagnose` on input that is not a maillog:
# binary noise, NUL bytes inside lines, a log cut in the middle of a line,
# an overlong line, an empty input, a file that does not exist, a
# directory, an unknown option. Never a crash: the exit status is 0, 1 or 2 as documented,
# each bad line is named ("FILE: line N: not text, skipped"), and the good
# lines around it still count.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$SRC/tests/unit/data/diagnose
plan 16

# run ARGS...: OUT, ERR, RC of `mxlab diagnose ARGS` (stdin from $IN).
run() {
	OUT=$("$MXLAB" diagnose "$@" <"${IN:-/dev/null}" 2>"$T/err")
	RC=$?
	ERR=$(cat "$T/err")
}

# Binary noise: no crash, nothing found, lines not text counted.
head -c 1048576 /dev/urandom >"$T/noise"
run "$T/noise"
expect_eq "1 MiB of random bytes: exit 0 (no TLS failure)" 0 "$RC"
expect_match "random bytes: lines not text are counted" '[0-9]+ not text \(skipped\)' "$OUT"
expect_eq "random bytes: nothing on stderr" "" "$ERR"

# A real failure with NUL bytes and control bytes around it, cut short.
{
	printf 'Nov 30 18:10:49 postfix postfix/smtp[13]: warn\0ing\n'
	cat "$DATA/secure-self-signed.maillog"
	printf 'Nov 30 18:10:50 postfix postfix/smtp[14]: \033[31mcolour\n'
	head -c 20000 /dev/zero | tr '\0' 'A'; echo
	printf 'Nov 30 18:10:51 postfix postfix/smtp[15]: ABCDEF1234: to=<bob@part'
} >"$T/mixed"
run "$T/mixed"
expect_eq "NUL, control bytes, overlong and cut lines: exit 1 (the failure is still found)" 1 "$RC"
expect_match "the real failure is found" 'FAIL  smtp to mx.partner.example.*self-signed' "$OUT"
expect_match "the NUL line is named" "mixed: line 1: not text \\(NUL byte\\), skipped" "$OUT"
expect_match "the control-byte line is named" "mixed: line 11: not text \\(a control byte\\), skipped" "$OUT"
expect_match "the overlong line is named" "mixed: line 12: longer than 8192 bytes, cut" "$OUT"
expect_match "the cut last line is named" "mixed: line 13: no newline at the end" "$OUT"
expect_eq "nothing on stderr" "" "$ERR"

# The same on stdin, as JSON.
IN=$T/mixed run --json
expect_match "stdin --json: counts in input" '"not_text":2,"too_long":1,"unterminated":1' "$OUT"

# Empty input.
IN=/dev/null run
expect_match "empty stdin: exit 0, no TLS failure found" 'No TLS failure found' "$OUT (exit $RC)"

# Files that cannot be read: exit 2, named, the others still read.
run "$T/does-not-exist" "$DATA/secure-expired.maillog"
expect_eq "a missing file: exit 2" 2 "$RC"
expect_match "a missing file is named on stderr" 'mxlab diagnose: .*does-not-exist: No such file' "$ERR"
run "$T"
expect_match "a directory: exit 2, named" "^2 mxlab diagnose: $T: Is a directory" "$RC $ERR"
run --bogus "$DATA/secure-expired.maillog"
expect_match "an unknown option: exit 2, named" "^2 mxlab diagnose: unknown option '--bogus'" "$RC $ERR"
done_testing
