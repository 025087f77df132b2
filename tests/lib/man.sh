#!/bin/sh
# tests/lib/man.sh PAGE...: each man page renders without a groff warning
# (groff -ww -man). Prints TAP.
set -u
echo "1..$#"
n=0
for page in "$@"; do
	n=$((n + 1))
	msg=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$msg" ]; then
		echo "ok $n - $(basename "$page") renders without warnings"
	else
		echo "not ok $n - $(basename "$page"): groff exit $rc"
		printf '%s\n' "$msg" | sed 's/^/#   /'
	fi
done
