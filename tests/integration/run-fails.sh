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
plan 62
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

# Long work directories: every path the runner builds is exact or an
# error, never cut off (which would make root write elsewhere). A path of
# about LEN bytes below BASE, made of 100-byte names:
long_dir() { # BASE LEN
	local p=$1 n
	n=$(printf 'x%.0s' $(seq 1 99))
	while [ ${#p} -lt "$2" ]; do p="$p/L$n"; done
	echo "$p"
}
# Entries below ROOT other than W, what W holds, and the way to W.
stray() { # ROOT W
	find "$1" -mindepth 1 -path "$2" -prune -o -print | while read -r p; do
		case "$2/" in "$p/"*) ;; *) echo "$p" ;; esac
	done
}
W=$(long_dir "$T/long1" 1300)	# beyond the runner's old 1200-byte buffers
mkdir -p "$W"
OUT=$("$MXLAB" run --workdir "$W/work" "$BAD/server-fact.scn" 2>&1)
expect_eq "1300-byte workdir: exit 1" 1 "$?"
expect_match "1300-byte workdir: the scenario runs" 'expected server mx messages = 2, saw 1' "$OUT"
expect_eq "1300-byte workdir: nothing written outside it" "" "$(stray "$T/long1" "$W/work")"
W=$(long_dir "$T/long2" 4040)	# past what a sandbox can show (its paths hold it twice)
mkdir -p "$W"
OUT=$("$MXLAB" run --workdir "$W/work" "$BAD/server-fact.scn" 2>&1)
expect_eq "4040-byte workdir: exit 2" 2 "$?"
expect_match "4040-byte workdir: says path too long" "^mxlab run: --workdir $W/work: path too long" "$OUT"
expect_eq "4040-byte workdir: nothing written" "" "$(find "$T/long2" -mindepth 1 ! -type d)"
expect_eq "4040-byte workdir: nothing written outside it" "" "$(stray "$T/long2" "$W")"

run() { # NAME ARGS... -> $OUT, $RC
	OUT=$("$MXLAB" run --workdir "$T/work-$1" "${@:2}" 2>&1)
	RC=$?
}

# A [main.cf] Postfix cannot parse: postconf's fatal line, not a timeout.
run syntax "$BAD/main-cf-syntax.scn"
expect_eq "main.cf syntax: exit 1" 1 "$RC"
expect_match "main.cf syntax: ERROR line" '^ERROR +main-cf-syntax' "$OUT"
expect_match "main.cf syntax: postconf's fatal line" "postconf: fatal: .*/main\.cf, line [0-9]+: missing '=' after attribute name: \"this line has no equals sign\"" "$OUT"

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
expect_match "malformed: unknown section" 'malformed\.scn:11: \[nonsense\]: unknown section' "$OUT"
check "malformed: nothing was run" test ! -e "$T/work-malformed"

# Mistakes that used to load are refused when the file is read: a section
# in the wrong case after [main.cf], an absolute transcript, [send] writing
# 62.5G, a status for a recipient nothing mails. Exit 2, each at its line
# (under --check: should it load again, it must not write 62.5G or /tmp).
OUT=$(timeout 20 "$MXLAB" run --check "$BAD/refused-at-load.scn" 2>&1)
expect_eq "refused at load: exit 2" 2 "$?"
expect_match "refused at load: [DNS] after [main.cf], with the section meant" \
	'refused-at-load\.scn:6: \[DNS\]: unknown section; did you mean \[dns\]\?' "$OUT"
expect_match "refused at load: absolute transcript" \
	"refused-at-load\\.scn:11: transcript: '/tmp/mx\\.jsonl' is not inside" "$OUT"
expect_match "refused at load: size x count" \
	'refused-at-load\.scn:16: count: 1000 messages of 64M make 62\.5G to write; at most 64M' "$OUT"
expect_match "refused at load: status for a recipient never mailed" \
	'refused-at-load\.scn:19: status carol@partner\.example: not a recipient of \[send\] \(bob@partner\.example\)' "$OUT"
expect_match "refused at load: a master.cf service outside the daemon directory" \
	"refused-at-load\\.scn:22: master.cf service evil: command '\\.\\./\\.\\./\\.\\./bin/perl'" "$OUT"
expect_match "refused at load: five errors, nothing run" \
	'5 errors in scenario files: nothing was run' "$OUT"

# A regex that glibc's regcomp would take gigabytes for is refused when the
# file is read (--check too), with file:line and why, at once and in little
# memory: at most 1 GB of address space here (none under ASan, which needs
# far more), so that a regression fails instead of eating the machine.
limit=1000000
ldd "$MXLAB" 2>/dev/null | grep -q libasan && limit=unlimited
START=$EPOCHREALTIME
OUT=$( (ulimit -v "$limit"; timeout 20 "$MXLAB" run --check "$BAD/regex-blowup.scn") 2>&1)
expect_eq "regex blow-up: exit 2" 2 "$?"
expect_match "regex blow-up: file:line and why" \
	"regex-blowup\\.scn:7: log smtp: bad regex 'a\\+{24}': '\\+' follows another quantifier" "$OUT"
check "regex blow-up: refused within 2 s" test "$(elapsed_ms "$START")" -lt 2000

# Only regular files are read: a FIFO named *.scn is refused at once, by
# name (reading it would wait for a writer forever), alone or in a walk; a
# symbolic link loop in a walked directory is not followed.
mkfifo "$T/fifo.scn"
OUT=$(timeout 20 "$MXLAB" run --check "$T/fifo.scn" 2>&1)
expect_eq "fifo named: exit 2, not a hang" 2 "$?"
expect_match "fifo named: says what it is" 'fifo\.scn: not a regular file \(a FIFO\)' "$OUT"
mkdir "$T/walk"
printf '[scenario]\nsummary = fine\n' >"$T/walk/good.scn"
mkfifo "$T/walk/pipe.scn"
OUT=$(timeout 20 "$MXLAB" run --check "$T/walk" 2>&1)
expect_eq "fifo in a walk: exit 2, not a hang" 2 "$?"
expect_match "fifo in a walk: reported by name" 'walk/pipe\.scn: not a regular file \(a FIFO\)' "$OUT"
rm "$T/walk/pipe.scn"
ln -s . "$T/walk/loop"
OUT=$(timeout 20 "$MXLAB" run --check "$T/walk" 2>&1)
expect_match "link loop in a walk: not followed" '^mxlab run: 1 scenario files read, no errors$' "$OUT"

# What a server writes goes into the scenario's directory: a relative
# transcript or mailbox lands under it, whatever the current directory, and
# nothing beside the scenario file. An absolute one is refused at load.
mkdir "$T/src" "$T/cwd"
sed 's|^starttls = hide$|&\ntranscript = mx.jsonl\nmailbox = out/mb|' \
	"$BAD/server-fact.scn" >"$T/src/paths.scn"
(cd "$T/cwd" && "$MXLAB" run --workdir "$T/work-paths" "$T/src/paths.scn" >/dev/null 2>&1)
check "relative transcript: in the scenario's directory" \
	test -s "$T/work-paths/001-paths/mx.jsonl"
check "relative mailbox: in the scenario's directory" \
	sh -c "ls '$T/work-paths/001-paths/out/mb/'*.eml >/dev/null"
expect_eq "relative paths: nothing written elsewhere" "paths.scn" \
	"$(find "$T/cwd" "$T/src" -mindepth 1 -printf '%P\n')"
sed "s|^starttls = hide\$|&\\ntranscript = $T/abs.jsonl|" "$BAD/server-fact.scn" >"$T/src/abs.scn"
OUT=$("$MXLAB" run --check "$T/src/abs.scn" 2>&1)
expect_match "absolute transcript: refused with file:line" \
	"abs\\.scn:12: transcript: '$T/abs\\.jsonl' is not inside the scenario's directory" "$OUT"

# Machine reports of a failing run.
OUT=$("$MXLAB" run --tap --junit "$T/r.xml" --json "$T/r.json" --workdir "$T/work-reports" \
	"$BAD/server-fact.scn" 2>&1)
expect_match "tap: not ok line" '^not ok 1 - server-fact' "$OUT"
check "junit and json: failure recorded" sh -c \
	"grep -q '<failure' '$T/r.xml' && python3 -c 'import json,sys; d=json.load(open(\"$T/r.json\")); sys.exit(0 if d[\"scenarios\"][0][\"status\"]==\"fail\" else 1)'"

done_testing
