#!/usr/bin/env bash
# run-shard.sh: `mxlab run --shard K/N` splits the selection into N stable,
# disjoint parts whose union is the whole (checked with --list on the
# catalogue, scenarios/); bad values exit 2 naming the option and the rule;
# the reports of a sharded run name the shard. Also: a file named suite.scn
# is a suite, not a scenario (never listed; named, an error).
. "$(dirname "$0")/lib.sh"
SCN=$(cd "$(dirname "$0")/../../scenarios" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 51
chmod 755 "$T"	# Postfix's daemons must reach the work directories below

# names ARGS...: NAMES, the labels `mxlab run --list ARGS...` prints, one
# a line; RC, its exit status; $T/list.out, its whole output.
names() {
	"$MXLAB" run --list "$@" >"$T/list.out" 2>"$T/list.err"
	RC=$?
	NAMES=$(awk '{print $1}' "$T/list.out")
}

names "$SCN"
FULL=$NAMES
expect_eq "unsharded list: exit 0" 0 "$RC"
NFULL=$(printf '%s\n' "$FULL" | grep -c .)
check "unsharded list: the catalogue (at least 30, got $NFULL)" test "$NFULL" -ge 30
expect_eq "unsharded list: no name twice" "$NFULL" "$(printf '%s\n' "$FULL" | sort -u | grep -c .)"

# For each N: every shard lists, exit 0; they are pairwise disjoint; their
# union is the unsharded list; shard K holds exactly the scenarios whose
# 0-based position i in that list has i mod N = K-1; the same command twice
# prints the same bytes.
for N in 1 2 3 5; do
	rcs="" union="" rule_bad="" again_bad="" empty=""
	for K in $(seq 1 "$N"); do
		names --shard "$K/$N" "$SCN"
		printf '%s' "$NAMES" | grep . >"$T/shard-$N-$K"
		rcs="$rcs$RC"
		cp "$T/list.out" "$T/shard-$N-$K.full"
		[ -s "$T/shard-$N-$K" ] || empty="$empty $K"
		union="$union$(cat "$T/shard-$N-$K")"$'\n'
		want=$(printf '%s\n' "$FULL" | awk -v n="$N" -v k="$K" '(NR - 1) % n == k - 1')
		[ "$want" = "$(cat "$T/shard-$N-$K")" ] || {
			rule_bad="$rule_bad $K"
			diag "shard $K/$N: want" "$want" "got" "$(cat "$T/shard-$N-$K")"
		}
		"$MXLAB" run --list --shard "$K/$N" "$SCN" >"$T/again" 2>&1
		cmp -s "$T/shard-$N-$K.full" "$T/again" || again_bad="$again_bad $K"
	done
	expect_eq "N=$N: every shard lists (exit 0), none empty" "$(printf '0%.0s' $(seq 1 "$N"))" "$rcs$empty"
	overlap=""
	for K in $(seq 1 "$N"); do
		dup=$(sort "$T/shard-$N-$K" | uniq -d)
		[ -z "$dup" ] || overlap="$overlap $K twice: $dup;"
		for J in $(seq $((K + 1)) "$N"); do
			both=$(comm -12 <(sort "$T/shard-$N-$K") <(sort "$T/shard-$N-$J"))
			[ -z "$both" ] || overlap="$overlap $K&$J: $both;"
		done
	done
	expect_eq "N=$N: shards pairwise disjoint, no name twice in one" "" "$overlap"
	expect_eq "N=$N: union of the shards is the unsharded list" \
		"$(printf '%s\n' "$FULL" | sort)" "$(printf '%s' "$union" | grep . | sort)"
	expect_eq "N=$N: shard K is the list's i mod N = K-1" "" "$rule_bad"
	expect_eq "N=$N: the same command twice, the same output" "" "$again_bad"
done

# The shard is taken after the filters: the shards of --tag secure are the
# --tag secure list, cut the same way (not the catalogue's shards, filtered).
names --tag secure "$SCN"
TAGGED=$NAMES
U="" W=""
for K in 1 2 3; do
	names --tag secure --shard "$K/3" "$SCN"
	U="$U$K: $NAMES"$'\n'
	W="$W$K: $(printf '%s\n' "$TAGGED" | awk -v k="$K" '(NR - 1) % 3 == k - 1')"$'\n'
done
check "--tag secure: a selection smaller than the catalogue" \
	test "$(printf '%s\n' "$TAGGED" | grep -c .)" -lt "$NFULL" -a -n "$TAGGED"
expect_eq "--tag secure --shard K/3: the --tag secure list, i mod 3 = K-1" "$W" "$U"

# --check reads every file and says what the shard selects.
OUT=$("$MXLAB" run --check --shard 2/3 "$SCN" 2>&1)
expect_match "--check --shard 2/3: files read, the shard's share" \
	"^mxlab run: $NFULL scenario files read, no errors \\(shard 2/3: $(grep -c . "$T/shard-3-2") of $NFULL selected\\)\$" "$OUT"

# Bad values: exit 2, the option, the value and the rule; nothing listed.
for v in 4/3 0/2 a/b 2 1/0 1001/1001; do
	"$MXLAB" run --list --shard "$v" "$SCN" >"$T/bad.out" 2>"$T/bad.err"
	RC=$?
	expect_eq "--shard $v: exit 2, nothing listed" "2:" "$RC:$(cat "$T/bad.out")"
	expect_match "--shard $v: names the option, the value and the rule" \
		"^mxlab run: --shard: bad value '$v': needs K/N, whole numbers with 1 <= K <= N <= 1000" \
		"$(cat "$T/bad.err")"
done

# A sharded run: the reports cover the shard and name it. The secure
# outbound scenarios' shard 2/5 (two of them), with -j2.
names --name 'outbound/secure-*' --shard 2/5 "$SCN"
WANT=$NAMES
OUT=$("$MXLAB" run -j2 --tap --junit "$T/r.xml" --json "$T/r.json" --workdir "$T/work-tap" \
	--name 'outbound/secure-*' --shard 2/5 "$SCN" 2>&1)
RC=$?
expect_eq "sharded run: exit 0, two scenarios in the shard" "0 2" "$RC $(printf '%s\n' "$WANT" | grep -c .)"
expect_match "sharded run: TAP plan is the shard's" '^1\.\.2$' "$OUT"
expect_match "sharded run: TAP summary names the shard" \
	'^# shard 2/5: 2 passed, 0 failed, 0 skipped in ' "$OUT"
expect_eq "sharded run: TAP ran exactly the shard's scenarios" "$(printf '%s\n' "$WANT" | sort)" \
	"$(printf '%s\n' "$OUT" | sed -n 's/^ok [0-9]* - \([^ ]*\) .*/\1/p' | sort)"
expect_eq "sharded run: JUnit has the shard's testcases and its property" \
	"2 $(printf '%s\n' "$WANT" | sort | tr '\n' ' ')shard=2/5" \
	"$(python3 - "$T/r.xml" <<'EOF' 2>&1
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find('testsuite')
names = sorted(c.get('name') for c in s.findall('testcase'))
props = ['%s=%s' % (p.get('name'), p.get('value')) for p in s.findall('properties/property')]  # the suite's, not a testcase's
print(s.get('tests'), ' '.join(names), ' '.join(props))
EOF
)"
expect_eq "sharded run: JSON has the shard's scenarios and the shard" \
	"2/5 $(printf '%s\n' "$WANT" | sort | tr '\n' ' ')" \
	"$(jq -r '"\(.shard.index)/\(.shard.total) " + ([.scenarios[].name] | sort | join(" ")) + " "' "$T/r.json" 2>&1)"

# Text report: the summary line names the shard. A shard that the
# selection leaves empty runs nothing and exits 0.
OUT=$("$MXLAB" run --workdir "$T/work-empty" --name outbound/secure-full-chain --shard 2/2 "$SCN" 2>&1)
RC=$?
expect_eq "empty shard: exit 0" 0 "$RC"
expect_match "empty shard: text summary names the shard" '^mxlab: shard 2/2: 0 passed, 0 failed, 0 skipped$' "$OUT"
expect_match "empty shard: says why" 'shard 2/2 is empty \(1 scenario selected for 2 shards\)' "$OUT"

# suite.scn is a suite, not a scenario: a directory search never lists it
# (nor one below), whatever it holds; named, it is an error (exit 2), even
# one that would read as a scenario.
mkdir -p "$T/suite/sub"
printf '[scenario]\nsummary = the only scenario here\n' >"$T/suite/x.scn"
printf '[scenario]\ntags = s\n' >"$T/suite/suite.scn"
cp "$T/suite/suite.scn" "$T/suite/sub/suite.scn"
names "$T/suite"
expect_eq "suite.scn in a directory: only x is listed (exit 0)" "0 x" "$RC $NAMES"
OUT=$("$MXLAB" run --check "$T/suite" 2>&1)
expect_eq "suite.scn in a directory: --check reads only x" "mxlab run: 1 scenario files read, no errors" "$OUT"
mkdir "$T/named"
cp "$T/suite/x.scn" "$T/named/suite.scn"
OUT=$("$MXLAB" run --list "$T/named/suite.scn" 2>&1)
RC=$?
expect_eq "suite.scn named: exit 2" 2 "$RC"
expect_match "suite.scn named: says it is a suite" \
	"^$T/named/suite\\.scn: a suite holds the defaults of the scenarios beside it; it is not a scenario\$" "$OUT"

done_testing
