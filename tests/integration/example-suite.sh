#!/usr/bin/env bash
# example-suite.sh: examples/ end to end. `mxlab init` writes examples/suite
# from examples/postfix (the same files every time, and only with --force
# over an existing suite); the suite passes against the real Postfix; and
# each of three mistakes in the configuration makes it fail, with the
# evidence that names the mistake:
#   (a) certbot's cert.pem instead of fullchain.pem for the main name: the
#       chain Postfix serves has 1 certificate, not 2;
#   (b) partner.example's secure line gone from tls_policy: its leaf-only
#       and wrong-name MX hosts get the mail;
#   (c) -o smtpd_tls_security_level=encrypt gone from submission: MAIL and
#       AUTH before STARTTLS are no longer refused with 530.
# The system's Postfix directories are the same before and after.
. "$(dirname "$0")/lib.sh"
EXAMPLES=$(cd "$(dirname "$0")/../../examples" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 26
chmod 755 "$T"

# Every path of the system's Postfix, with type, mode, owner, size, mtime,
# link target and every file's SHA-256 (as ci/run-tests.sh guards them).
system_state() {
	local p fmt='%p %y %m %u:%g %s %T@ %l\n'
	for p in /etc/postfix /var/spool/postfix /var/lib/postfix /var/mail; do
		[ -e "$p" ] || { echo "$p absent"; continue; }
		find -H "$p" -printf "$fmt"
		find -H "$p" -type f -exec sha256sum {} + 2>/dev/null
	done | LC_ALL=C sort
}
before=$(system_state)

# A fresh copy of examples/ in $T/NAME.
fresh() { rm -rf "${T:?}/$1" && cp -r "$EXAMPLES" "$T/$1"; }

# run_suite NAME [PART]: mxlab run on $T/NAME/suite (or its PART
# directory: its suite.scn still applies from above); output in
# $T/NAME.out, RC.
run_suite() {
	"$MXLAB" run -j2 --workdir "$T/w$1" "$T/$1/suite${2:+/$2}" >"$T/$1.out" 2>&1
	RC=$?
	OUT=$(cat "$T/$1.out")
}
# start_suite NAME [PART]: the same in the background (the three mutations
# run at once: their sandboxes are their own); suite_done NAME waits for it
# by PID and sets RC and OUT.
declare -A suite_pid
start_suite() {
	"$MXLAB" run -j2 --workdir "$T/w$1" "$T/$1/suite${2:+/$2}" >"$T/$1.out" 2>&1 &
	suite_pid[$1]=$!
}
suite_done() {
	wait "${suite_pid[$1]}"
	RC=$?
	OUT=$(cat "$T/$1.out")
}

# expect_fail NAME: exit 1, and which scenarios failed.
show_run() { diag "$(grep -v '^        |' "$T/$1.out" | grep -v '^PASS' | head -n 40)"; }

# ---------------------------------------------------------------- init

fresh ex
OUT=$("$MXLAB" init --postfix-config "$T/ex/postfix" --out "$T/i1" 2>&1)
expect_eq "init: exit 0" 0 "$?"
expect_match "init: says what it wrote" "wrote [0-9]+ files to $T/i1 \\(postfix-config = ../ex/postfix\\)" "$OUT"
"$MXLAB" init --postfix-config "$T/ex/postfix" --out "$T/i2" >/dev/null 2>&1
if diff -r "$T/i1" "$T/i2" >"$T/i.diff" 2>&1; then ok "init twice: identical files"; else
	not_ok "init twice: identical files"; diag_file "$T/i.diff"; fi
check "init: suite.scn and one scenario per check" \
	test -f "$T/i1/suite.scn" -a -f "$T/i1/inbound/submission-starttls.scn" \
	-a -f "$T/i1/outbound/partner.example-secure-leaf-only.scn"

OUT=$("$MXLAB" init --postfix-config "$T/ex/postfix" --out "$T/ex/suite" 2>&1)
expect_eq "init over an existing suite: exit 2" 2 "$?"
expect_match "init over an existing suite: refused, --force named" \
	"--out $T/ex/suite: exists and is not empty.*--force" "$OUT"
check "init over an existing suite: nothing changed" diff -r "$EXAMPLES/suite" "$T/ex/suite"
OUT=$("$MXLAB" init --force --postfix-config "$T/ex/postfix" --out "$T/ex/suite" 2>&1)
expect_eq "init --force: exit 0" 0 "$?"
if diff -r "$EXAMPLES/suite" "$T/ex/suite" >"$T/ex.diff" 2>&1; then
	ok "examples/suite is what init writes"
else
	not_ok "examples/suite is what init writes"; diag_file "$T/ex.diff" 40
fi
OUT=$("$MXLAB" init --postfix-config "$T/nowhere" --out "$T/i3" 2>&1)
expect_eq "init without a configuration: exit 2" 2 "$?"
check "init without a configuration: no suite" test ! -e "$T/i3"

# ---------------------------------------------------------------- run

# (a) cert.pem (the leaf alone) instead of fullchain.pem for mail.example.com
fresh a
sed -i 's|/etc/letsencrypt/live/mail.example.com/fullchain.pem|/etc/letsencrypt/live/mail.example.com/cert.pem|' \
	"$T/a/postfix/main.cf"
check "(a) the mutation applies" grep -q 'mail.example.com/cert.pem' "$T/a/postfix/main.cf"
start_suite a inbound

# (b) partner.example's secure line removed from tls_policy
fresh b
sed -i '/^partner\.example[[:space:]]/d' "$T/b/postfix/tls_policy"
check "(b) the mutation applies" sh -c "! grep -q '^partner.example' '$T/b/postfix/tls_policy'"
start_suite b outbound

# (c) -o smtpd_tls_security_level=encrypt removed from submission
fresh c
sed -i '/-o smtpd_tls_security_level=encrypt/d' "$T/c/postfix/master.cf"
check "(c) the mutation applies" sh -c "! grep -q 'security_level=encrypt' '$T/c/postfix/master.cf'"
start_suite c inbound

run_suite ex
expect_eq "the example suite passes: exit 0" 0 "$RC"
if mbedtls_tls11; then
	expect_match "the example suite passes: none failed" '^mxlab: [0-9]+ passed, 0 failed, 0 skipped$' "$OUT"
else	# mbedTLS 3.x: the three *-protocols scenarios' TLS 1.0 and 1.1 clients
	expect_match "the example suite passes: none failed, the TLS 1.0/1.1 ones skipped" \
		'^mxlab: [0-9]+ passed, 0 failed, 3 skipped$' "$OUT"
fi
[ "$RC" = 0 ] || show_run ex

suite_done a
expect_eq "(a) leaf only: exit 1" 1 "$RC"
expect_match "(a) leaf only: the STARTTLS check fails" '^FAIL +smtp-starttls ' "$OUT"
expect_match "(a) leaf only: 1 certificate, not 2" \
	'expected client starttls chain-length = 2, saw 1' "$OUT"

suite_done b
expect_eq "(b) no secure line: exit 1" 1 "$RC"
expect_match "(b) no secure line: the leaf-only check fails" \
	'^FAIL +partner\.example-secure-leaf-only ' "$OUT"
expect_match "(b) no secure line: the leaf-only peer got the mail" \
	'expected status deferred 4\.7\.5 for mxlab-test@partner\.example, saw sent' "$OUT"

suite_done c
expect_eq "(c) submission without encrypt: exit 1" 1 "$RC"
expect_match "(c) submission without encrypt: MAIL in clear is accepted" \
	'expected client mail-in-clear reply mail = 530 .*, saw 250' "$OUT"
expect_match "(c) submission without encrypt: AUTH in clear not refused with 530" \
	'expected client auth-in-clear reply auth = 530 .*, saw 5[0-9][0-9]' "$OUT"

after=$(system_state)
if [ "$before" = "$after" ]; then ok "the system's Postfix directories are unchanged"; else
	not_ok "the system's Postfix directories are unchanged"
	diag "$(diff <(echo "$before") <(echo "$after") | head -20)"
fi

done_testing
