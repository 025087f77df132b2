#!/usr/bin/env bash
# run-fails.sh: `mxlab run` must be able to fail, and say why. Runs the
# deliberately wrong scenarios of tests/scenarios-bad/ against the real
# Postfix and checks each failure, the exit codes, and the reports.
. "$(dirname "$0")/lib.sh"
BAD=$(cd "$(dirname "$0")/../scenarios-bad" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 33
chmod 755 "$T"	# Postfix's daemons must reach the work directories below

# A work directory below one only root may enter still works: inside the
# sandbox its path is made of the sandbox's own directories.
mkdir -m 700 "$T/closed"
OUT=$("$MXLAB" run --workdir "$T/closed/work" "$BAD/server-fact.scn" 2>&1)
expect_match "closed work dir: the scenario runs" 'expected server mx messages = 2, saw 1' "$OUT"

# Work directories where a sandbox cannot write, or that the sandbox
# covers, are refused before anything is made there.
for w in /etc/postfix/mxlab-work /var/spool/postfix/mxlab-work /usr/mxlab-work; do
	OUT=$("$MXLAB" run --workdir "$w" "$BAD/server-fact.scn" 2>&1)
	RC=$?
	expect_eq "workdir $w: exit 2" 2 "$RC"
	expect_match "workdir $w: refused with the reason" "--workdir $w: inside" "$OUT"
	check "workdir $w: not created" test ! -e "$w"
done

run() { # NAME ARGS... -> $OUT, $RC
	OUT=$("$MXLAB" run --workdir "$T/work-$1" "${@:2}" 2>&1)
	RC=$?
}

run status "$BAD/wrong-status.scn"
expect_eq "wrong status: exit 1" 1 "$RC"
expect_match "wrong status: FAIL line" '^FAIL +wrong-status' "$OUT"
expect_match "wrong status: names file and line" 'wrong-status\.scn:23: status bob@partner\.example = sent' "$OUT"
expect_match "wrong status: expected vs seen" 'expected status sent for bob@partner\.example, saw deferred 4\.7\.5' "$OUT"
expect_match "wrong status: evidence has the TLS line" 'untrusted issuer /CN=mxlab Test Intermediate CA' "$OUT"
expect_match "wrong status: names the kept folder" "kept: $T/work-status/001-wrong-status" "$OUT"
check "wrong status: the maillog is kept" test -s "$T/work-status/001-wrong-status/postfix/maillog"

run never "$BAD/log-never.scn"
expect_eq "log never: exit 1" 1 "$RC"
expect_match "log never: not seen within the timeout" 'log smtp = Verified TLS connection established' "$OUT"
expect_match "log never: says timeout" 'not seen within the timeout' "$OUT"

run nolog "$BAD/nolog-appears.scn"
expect_eq "no-log: exit 1" 1 "$RC"
expect_match "no-log: shows the line that appeared" 'Untrusted TLS connection established to mx\.partner\.example' "$OUT"

run fact "$BAD/server-fact.scn"
expect_eq "server facts: exit 1" 1 "$RC"
expect_match "server facts: messages" 'expected server mx messages = 2, saw 1' "$OUT"
expect_match "server facts: tls" 'server mx tls = yes' "$OUT"

run malformed "$BAD/malformed.scn"
expect_eq "malformed: exit 2" 2 "$RC"
expect_match "malformed: bad seed with file:line" 'malformed\.scn:3: .*S99' "$OUT"
expect_match "malformed: bad MX with file:line" 'malformed\.scn:6: ' "$OUT"
expect_match "malformed: bad server value with file:line" "malformed\\.scn:9: starttls: bad value 'maybe'" "$OUT"
expect_match "malformed: unknown section" 'malformed\.scn:11: unknown section' "$OUT"
check "malformed: nothing was run" test ! -e "$T/work-malformed"

# Machine reports of a failing run.
OUT=$("$MXLAB" run --tap --junit "$T/r.xml" --json "$T/r.json" --workdir "$T/work-reports" \
	"$BAD/server-fact.scn" 2>&1)
expect_match "tap: not ok line" '^not ok 1 - server-fact' "$OUT"
check "junit and json: failure recorded" sh -c \
	"grep -q '<failure' '$T/r.xml' && python3 -c 'import json,sys; d=json.load(open(\"$T/r.json\")); sys.exit(0 if d[\"scenarios\"][0][\"status\"]==\"fail\" else 1)'"

done_testing
