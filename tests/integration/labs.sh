#!/usr/bin/env bash
# labs.sh: every lab of scenarios/labs/ (docs/labs.md) is solvable and its
# check means it: `mxlab lab check` fails (exit 1) on the lab's own broken
# configuration, its reference solution applies with patch(1) to the
# configuration `mxlab lab config` writes, and the check passes (exit 0)
# on the patched copy. Also: --list shows every lab, `mxlab run` passes the
# labs as broken worlds (their [expect]), usage and [lab] errors exit 2.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab lab check needs root"
	exit 0
fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC" || exit 1
labs=()
for f in scenarios/labs/*.scn; do
	grep -q '^\[lab\]' "$f" && labs+=("$f")
done
plan $((3 * ${#labs[@]} + 9))

"$MXLAB" lab --list >"$T/list" 2>&1
rc=$?
n=$(grep -c '^scenarios/labs/.*\.scn  *\(easy\|medium\|hard\)  *S[0-9]' "$T/list")
if [ "$rc" -eq 0 ] && [ "$n" -eq "${#labs[@]}" ]; then
	ok "lab --list shows the ${#labs[@]} labs with difficulty and S-points"
else
	not_ok "lab --list (exit $rc, $n lines of ${#labs[@]})"; diag_file "$T/list"
fi

"$MXLAB" run -j2 scenarios/labs >"$T/run" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "mxlab run scenarios/labs: every lab's broken world matches its [expect]"
else not_ok "mxlab run scenarios/labs exits $rc"; diag_file "$T/run" 40; fi

for f in "${labs[@]}"; do
	name=${f##*/}; name=${name%.scn}
	"$MXLAB" lab check "$f" >"$T/$name.broken" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q '^hint 1: ' "$T/$name.broken"; then
		ok "$name: check fails on the broken configuration, with hint 1"
	else
		not_ok "$name: check on the broken configuration exits $rc (want 1, with a hint)"
		diag_file "$T/$name.broken" 30
	fi
	sol=$(sed -n 's/^solution *= *//p' "$f")
	if "$MXLAB" lab config "$f" "$T/$name" >"$T/$name.config" 2>&1 &&
	   patch -s -p1 -d "$T/$name" <"scenarios/labs/$sol" >"$T/$name.patch" 2>&1; then
		ok "$name: its solution $sol applies to the configuration lab config writes"
	else
		not_ok "$name: solution $sol does not apply"
		diag_file "$T/$name.config"; diag_file "$T/$name.patch"
	fi
	"$MXLAB" lab check "$f" --config "$T/$name" >"$T/$name.fixed" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^lab solved' "$T/$name.fixed"; then
		ok "$name: check passes with the solution applied"
	else
		not_ok "$name: check with the solution exits $rc (want 0)"
		diag_file "$T/$name.fixed" 30
	fi
done

# check --html: the run's page, by the same renderer as mxlab run --html.
"$MXLAB" lab check scenarios/labs/no-cafile.scn --config "$T/no-cafile" --html "$T/lab.html" \
	>"$T/h.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && python3 "$(dirname "$0")/html-check.py" "$T/lab.html" >"$T/h.check" 2>&1; then
	ok "lab check --html: exit 0, a self-contained page (html-check.py)"
else
	not_ok "lab check --html: exit $rc"; diag_file "$T/h.out"; diag_file "$T/h.check"
fi
if grep -q '<section class="sc pass"' "$T/lab.html" && grep -q '<svg class="seq"' "$T/lab.html" &&
   grep -q 'Verified TLS connection established to mx\.partner\.example' "$T/lab.html"; then
	ok "lab check --html: the lab passed, its dialogue drawn, Postfix's Verified line"
else
	not_ok "lab check --html: the page lacks the pass, the diagram or the Verified line"
fi

# A mistake in the student's main.cf is named at its own file and line.
mkdir -p "$T/typo" && cp "$T/no-cafile/main.cf" "$T/typo/main.cf"
printf 'smtp_tls_loglevel = 1\nthis is not a parameter\n' >>"$T/typo/main.cf"
want=$(($(wc -l <"$T/typo/main.cf")))
"$MXLAB" lab check scenarios/labs/no-cafile.scn --config "$T/typo" >"$T/typo.out" 2>&1
expect_file_match "a syntax error of --config DIR/main.cf is named at DIR/main.cf:LINE" \
	"missing '=' after attribute name: \"this is not a parameter\" \\(that is $T/typo/main.cf:$want\\)" \
	"$T/typo.out"

"$MXLAB" lab check >"$T/u1" 2>&1
expect_eq "lab check without a file: exit 2" 2 $?
"$MXLAB" lab check scenarios/outbound/secure-leaf-only.scn >"$T/u2" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'not a lab' "$T/u2"; then ok "lab check on a scenario without [lab]: exit 2, not a lab"
else not_ok "lab check on a non-lab exits $rc"; diag_file "$T/u2"; fi
cat >"$T/bad.scn" <<'EOT'
[scenario]
summary = a lab with mistakes
[send]
from = a@example.test
to = b@partner.example
[lab]
title = t
difficulty = tricky
task = do it
goal = status b@partner.example = sometimes
EOT
"$MXLAB" lab show "$T/bad.scn" >"$T/u3" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q "bad.scn:8: difficulty: bad value 'tricky'" "$T/u3" &&
   grep -q 'bad.scn:10: goal: ' "$T/u3"; then
	ok "[lab] mistakes are FILE:LINE errors, exit 2"
else
	not_ok "[lab] mistakes: exit $rc"; diag_file "$T/u3"
fi
"$MXLAB" lab --help >"$T/u4" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'mxlab lab check FILE' "$T/u4"; then ok "lab --help: exit 0"
else not_ok "lab --help exits $rc"; diag_file "$T/u4"; fi
done_testing
