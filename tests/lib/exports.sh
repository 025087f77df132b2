#!/bin/sh
# tests/lib/exports.sh LIBMXLAB.SO HEADER...: the shared library exports the
# public API and nothing else (docs/library.md).
# Fails when `nm -D --defined-only` shows a symbol that does not start with
# mxlab_ (a private function or variable leaking out of -fvisibility=hidden),
# or when a function the public headers declare with MXLAB_API is not
# exported (a declaration without its definition, or one left hidden).
# Prints TAP.
set -u
so=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-exports.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" >"$tmp/nm" || { echo "Bail out! nm -D $so failed"; exit 1; }
awk 'NF >= 3 {print $3}' "$tmp/nm" | sed 's/@.*//' | LC_ALL=C sort -u >"$tmp/exported"
# A declaration is a line that starts with MXLAB_API; its function is the
# first name followed by '('.
grep -h '^MXLAB_API ' "$@" | sed -n 's/^[^(]*[^a-z0-9_]\(mxlab_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' |
	LC_ALL=C sort -u >"$tmp/declared"

echo "1..3"
bad=$(grep -v '^mxlab_' "$tmp/exported")
if [ -z "$bad" ]; then
	echo "ok 1 - every exported symbol starts with mxlab_ ($(wc -l <"$tmp/exported") exported)"
else
	echo "not ok 1 - symbols exported that are not mxlab_*:"
	printf '%s\n' "$bad" | sed 's/^/#   /'
fi
missing=$(LC_ALL=C comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$(cat "$tmp/declared")" ] && [ -z "$missing" ]; then
	echo "ok 2 - every MXLAB_API function of the headers is exported ($(wc -l <"$tmp/declared") declared)"
else
	echo "not ok 2 - declared MXLAB_API but not exported:"
	printf '%s\n' "${missing:-(no declaration found)}" | sed 's/^/#   /'
fi
extra=$(LC_ALL=C comm -13 "$tmp/declared" "$tmp/exported")
if [ -z "$extra" ]; then
	echo "ok 3 - nothing exported beyond the headers' MXLAB_API functions"
else
	echo "not ok 3 - exported but not declared MXLAB_API in a public header:"
	printf '%s\n' "$extra" | sed 's/^/#   /'
fi
