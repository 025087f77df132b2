#!/usr/bin/env bash
# library-silent.sh: the library prints nothing (mxlab/error.h promises it):
# no source file of libmxlab or certs-gen writes to stdout or stderr, or
# calls perror/puts/printf. What a caller should see goes through error
# buffers, results and callbacks (the runner's -v lines reach `mxlab run`
# as "log" records, and the program prints them).
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
plan 2

files=$(ls "$SRC"/harness/*/*.c "$SRC"/certs-gen/*.c 2>/dev/null | grep -v /harness/cli/)
check "library sources found" test -n "$files"
# A call that prints: fprintf/fputs/fputc/fwrite to stdout or stderr,
# printf/puts/putchar/perror/vprintf, dprintf to fd 1 or 2.
hits=$(grep -nE '\b(fprintf|fputs|fputc|fwrite|vfprintf)\s*\([^;]*\b(stdout|stderr)\b|(^|[^a-z_.>])(printf|puts|putchar|perror|vprintf)\s*\(|\bdprintf\s*\(\s*[12]\s*,' \
	$files | grep -v 'snprintf\|vsnprintf')
if [ -z "$hits" ]; then ok "no library source prints"; else
	not_ok "no library source prints"; diag "$hits"; fi
done_testing
