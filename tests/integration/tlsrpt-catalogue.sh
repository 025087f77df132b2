#!/usr/bin/env bash
# tlsrpt-catalogue.sh: `mxlab diagnose --tlsrpt` writes a schema-valid RFC
# 8460 report that counts each catalogue scenario's failure under its
# result type.
#
# First over the committed maillogs of the outbound catalogue
# (tests/unit/data/diagnose/, real Postfix 3.7 lines): each file alone
# gives a report, valid against docs/tlsrpt.schema.json, with exactly its
# scenario's failure (one session, under the result type of the table
# below) or its one successful session; all of them at once give the sum
# per result type. Then,
# as root with Postfix installed, over a fresh run of the scenarios that
# fail (and two that pass): the maillogs they leave, concatenated, give
# the same counts, and that run's JSON and JUnit reports name each
# scenario's failure by the same result type. The MTA-STS scenarios'
# committed logs (the resolver's beside the maillog) give the sts-* types
# under policy type "sts", and one of them runs live too (with the
# resolver; skipped without it). Schema checks need python3-jsonschema
# (tests/integration/tlsrpt-check.py); without it they skip.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$SRC/tests/unit/data/diagnose
SCHEMA=$SRC/docs/tlsrpt.schema.json
CHECK=$SRC/tests/integration/tlsrpt-check.py
DOMAIN=partner.example

# Outbound scenario -> the RFC 8460 result type of its failed session to
# partner.example; "ok": one successful session (TLS established, the
# message sent; rollout-encrypt-vs-secure's failure is for another domain,
# partner-strict.example); "-": no TLS session to it (may-no-starttls
# sends in clear).
declare -A want=(
	[clock-ahead]=certificate-expired
	[dane-match]=ok
	[dane-mismatch]=tlsa-invalid
	[dane-only-no-tlsa]=dane-required
	[dane-only-unsigned]=dnssec-invalid
	[encrypt-no-starttls]=starttls-not-supported
	[encrypt-self-signed]=ok
	[encrypt-starttls-refused]=starttls-not-supported
	[loglevel-2]=certificate-not-trusted
	[may-good-chain]=ok
	[may-no-starttls]=-
	[may-self-signed]=ok
	[protocols-mandatory]=validation-failure
	[protocols-opportunistic]=ok
	[rollout-encrypt-vs-secure]=ok
	[secure-expired]=certificate-expired
	[secure-full-chain]=ok
	[secure-leaf-only]=certificate-not-trusted
	[secure-no-cafile]=certificate-not-trusted
	[secure-not-yet-valid]=certificate-not-trusted
	[secure-self-signed]=certificate-not-trusted
	[secure-unknown-root]=certificate-not-trusted
	[secure-wrong-name]=certificate-host-mismatch
	[sni-not-sent]=certificate-host-mismatch
	[sni-sent]=ok
	[verify-mx]=ok
)
# The live run: one scenario per result type the catalogue makes, and two
# that deliver (kept small: CI time).
live=(secure-leaf-only secure-self-signed secure-wrong-name secure-expired
	encrypt-no-starttls dane-mismatch protocols-mandatory secure-full-chain
	dane-match)

# MTA-STS scenario -> its report's counts and policy types, from the
# resolver's log and the maillog together: a policy the resolver could
# not use is a failed "sts" session (the delivery that followed, without
# the policy, a successful one under no-policy-found); an enforce
# policy's sessions are "sts"; a testing policy is not (the resolver
# answers NOTFOUND).
declare -A sts_want=(
	[policy-host-expired]="sts-webpki-invalid=1 successful=1 failed=1 types=no-policy-found,sts"
	[policy-host-unreachable]="sts-policy-fetch-error=1 successful=1 failed=1 types=no-policy-found,sts"
	[policy-invalid]="sts-policy-invalid=1 successful=1 failed=1 types=no-policy-found,sts"
	[enforce-leaf-only]="certificate-not-trusted=1 successful=0 failed=1 types=sts"
	[testing-mode]="successful=1 failed=0 types=no-policy-found"
)
# and the one run live, with its result type in the run's reports
live_sts=policy-host-unreachable
live_sts_type=sts-policy-fetch-error

have_schema=0
python3 -c 'import jsonschema' 2>/dev/null && have_schema=1

# counts NAME...: the expected "TYPE=N" lines, sorted, then successful=N
# and failed=N (tlsrpt-check.py's output).
counts() {
	local n
	for n in "$@"; do echo "${want[$n]}"; done | grep -v '^-$' | grep -v '^ok$' |
		sort | uniq -c | awk '{ print $2 "=" $1 }'
	echo "successful=$(for n in "$@"; do echo "${want[$n]}"; done | grep -c '^ok$')"
	echo "failed=$(for n in "$@"; do echo "${want[$n]}"; done | grep -vc '^-$\|^ok$')"
}

# report LABEL WANT MAILLOG...: --tlsrpt over the files, schema-checked,
# its counts compared with WANT.
report() {
	local label=$1 exp=$2 got rc
	shift 2
	cat "$@" | "$MXLAB" diagnose --tlsrpt "$DOMAIN" --org "mxlab test" \
		--contact tlsrpt@example.test >"$T/report.json" 2>"$T/err"
	rc=$?
	if [ "$rc" -gt 1 ] || [ -s "$T/err" ]; then
		not_ok "$label: mxlab diagnose --tlsrpt exit $rc"; diag_file "$T/err" 5; return
	fi
	if [ "$have_schema" -eq 0 ]; then
		skip "$label" "python3-jsonschema is not installed"; return
	fi
	if ! got=$(python3 "$CHECK" "$SCHEMA" "$T/report.json" 2>"$T/err"); then
		not_ok "$label: not a valid RFC 8460 report"; diag_file "$T/err" 5; return
	fi
	if [ "$got" = "$exp" ]; then
		ok "$label: schema-valid, $(tr '\n' ' ' <<<"$got" | sed 's/ $//')"
	else
		not_ok "$label: want $(tr '\n' ' ' <<<"$exp"), got $(tr '\n' ' ' <<<"$got")"
	fi
}

root=0
if [ "$(id -u)" -eq 0 ] && command -v postfix >/dev/null 2>&1; then root=1; fi
plan $((${#want[@]} + 1 + ${#sts_want[@]} + 2 + ${#live[@]} + 1))

# 1. The committed maillogs, each alone, then all at once.
files=()
for name in $(printf '%s\n' "${!want[@]}" | sort); do
	f=$DATA/$name.maillog
	[ -f "$f" ] || { not_ok "$name: no committed maillog"; continue; }
	files+=("$f")
	report "$name" "$(counts "$name")" "$f"
done
report "all committed maillogs" "$(counts "${!want[@]}")" "${files[@]}"

# 1b. The MTA-STS scenarios' committed logs: resolver log, then maillog.
for name in $(printf '%s\n' "${!sts_want[@]}" | sort); do
	exp=${sts_want[$name]}
	types=${exp##*types=}
	report "mta-sts/$name" "$(tr ' ' '\n' <<<"${exp% types=*}")" \
		"$DATA/mta-sts-$name.resolver.log" "$DATA/mta-sts-$name.maillog"
	got=$(jq -r '[.policies[].policy."policy-type"] | sort | join(",")' "$T/report.json" 2>/dev/null)
	[ "$got" = "$types" ] || not_ok "mta-sts/$name: policy types '$got', not '$types'"
done

# 2. A fresh run of the live set.
if [ "$root" -eq 0 ]; then
	skip "live run" "needs root and Postfix"
	skip "live run: report" "needs root and Postfix"
	for name in "${live[@]}"; do skip "run reports: $name" "needs root and Postfix"; done
	skip "run reports: mta-sts/$live_sts" "needs root and Postfix"
	done_testing
fi
args=()
for name in "${live[@]}"; do args+=("$SRC/scenarios/outbound/$name.scn"); done
args+=("$SRC/scenarios/mta-sts/$live_sts.scn")
"$MXLAB" run -j2 --keep --workdir "$T/run" --json "$T/run.json" --junit "$T/junit.xml" \
	"${args[@]}" >"$T/run.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "live run passed (${#live[@]} + 1 scenarios)"; else
	not_ok "live run passed (exit $rc)"; diag_file "$T/run.out" 20; fi
ran=() logs=()
for name in "${live[@]}"; do
	log=$(ls -d "$T"/run/[0-9][0-9][0-9]-"$name"/postfix/maillog 2>/dev/null | head -1)
	# A scenario this build cannot run (TLS 1.0/1.1 on mbedTLS 3.x) is
	# skipped by the run: no maillog, and nothing to count.
	[ -n "$log" ] || { diag "$name: not run ($(grep -m1 "$name" "$T/run.out"))"; continue; }
	ran+=("$name")
	logs+=("$log")
done
report "live run: ${ran[*]}" "$(counts "${ran[@]}")" "${logs[@]}"

# run_reports LABEL NAME EXP: the run's own reports name scenario NAME's
# failures by EXP ("" none): JSON tls-results and a JUnit property per
# testcase.
run_reports() {
	local label=$1 name=$2 exp=$3 got prop
	got=$(jq -r --arg n "$name" '.scenarios[] | select(.name == $n) |
		[."tls-results"[] | select(.failure) | ."result-type"] | join(" ")' "$T/run.json")
	prop=$(awk -v n="$name" '/<testcase / { on = index($0, "name=\"" n "\"") > 0 }
		on && /tlsrpt-result-type/ { sub(/.*value="/, ""); sub(/".*/, ""); printf "%s%s", s, $0; s = " " }' \
		"$T/junit.xml")
	if [ "$got" = "$exp" ] && [ "$prop" = "$exp" ]; then
		ok "$label: ${exp:-no failure} (JSON, JUnit)"
	else
		not_ok "$label: want '$exp', JSON '$got', JUnit '$prop'"
	fi
}

for name in "${live[@]}"; do
	exp=${want[$name]}
	case $exp in ok | -) exp= ;; esac
	if ! printf '%s\n' "${ran[@]}" | grep -qx "$name"; then
		skip "run reports: $name" "not run"; continue
	fi
	run_reports "run reports: $name" "$name" "$exp"
done
# The MTA-STS one: its resolver's log gives the run's reports the sts type.
if grep -q "^SKIP  *$live_sts " "$T/run.out"; then
	skip "run reports: mta-sts/$live_sts" "$(grep -m1 "$live_sts" "$T/run.out")"
else
	run_reports "run reports: mta-sts/$live_sts" "$live_sts" "$live_sts_type"
fi
done_testing
