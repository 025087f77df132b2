#!/usr/bin/env bash
# bench/diagnose-rate.sh: how fast `mxlab diagnose` reads a large maillog,
# and in how much memory, against two peers over the same file in the
# same run: `grep -c 'status=deferred'` (a pass over every byte that only
# counts) and an `awk` script counting deferred deliveries per relay (a
# pass that splits fields and keeps a table, as the simplest aggregation
# would). Reports, for each, the wall time, lines/s, MB/s and the maximum
# RSS (GNU time's %M), then mxlab's lines/s as a ratio of each peer's.
#
# The log: the real maillogs of the catalogue (tests/unit/data/diagnose/,
# 33 scenarios, 355 lines) repeated until SIZE_MB, each copy with its own
# PIDs, queue IDs and partner names (mx.partnerN.example, N < 20000: more
# destinations than diagnose keeps apart, so its cap and fold are
# exercised too). Every TLS verdict class of the catalogue is in it. The
# file is read once before the runs (page cache warm for all three) and
# every program reads it from the same path.
#
# usage: bench/diagnose-rate.sh [MXLAB] [SIZE_MB]   (default
#        build/harness/mxlab, 1024 MB; the log goes to $TMPDIR (/tmp) and is
#        removed at the end unless BENCH_KEEP=1). No root needed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mxlab=${1:-$top/build/harness/mxlab}
size_mb=${2:-1024}
case $mxlab in /*) ;; *) mxlab=$PWD/$mxlab ;; esac
[ -x "$mxlab" ] || { echo "diagnose-rate: build first ($mxlab missing)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "diagnose-rate: needs GNU time (/usr/bin/time)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/diagnose-rate.XXXXXX")
trap '[ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $T" >&2 || rm -rf "$T"' EXIT
log=$T/maillog

# The log: copy i of the fixtures with PIDs + i, queue IDs suffixed with
# i in hex, partner names numbered i mod 20000.
cat "$top"/tests/unit/data/diagnose/*.maillog >"$T/seed"
awk -v limit=$((size_mb * 1024 * 1024)) '
	{ seed[n++] = $0 }
	END {
		for (i = 0; total < limit; i++) {
			part = "partner" (i % 20000)
			hex = sprintf("%X", i)
			for (k = 0; k < n; k++) {
				l = seed[k]
				gsub(/partner/, part, l)
				if (match(l, /\[[0-9]+\]: /)) {
					pid = substr(l, RSTART + 1, RLENGTH - 4) + i % 30000
					l = substr(l, 1, RSTART) pid substr(l, RSTART + RLENGTH - 3)
				}
				if (match(l, /: [0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]+: /))
					l = substr(l, 1, RSTART + RLENGTH - 3) hex substr(l, RSTART + RLENGTH - 2)
				print l
				total += length(l) + 1
			}
		}
	}' "$T/seed" >"$log"
bytes=$(stat -c %s "$log")
lines=$(wc -l <"$log")
cat "$log" >/dev/null

# measure NAME CMD...: wall seconds and max RSS (KiB) of CMD, its output
# to $T/NAME.out.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/$name.time" "$@" >"$T/$name.out" 2>"$T/$name.err" || true
	# GNU time writes "Command exited with non-zero status N" first when
	# the command fails (diagnose exits 1 when it finds failures).
	read -r wall rss < <(tail -1 "$T/$name.time")
	eval "${name}_wall=\$wall ${name}_rss=\$rss"
}

measure mxlab "$mxlab" diagnose --json "$log"
measure grep grep -c 'status=deferred' "$log"
measure awk awk '/status=deferred/ { for (i = 1; i <= NF; i++) if ($i ~ /^relay=/) n[$i]++ }
	END { for (r in n) k++; print k }' "$log"

rate() { awk -v l="$lines" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? l / s : 0) }'; }
mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? b / 1048576 / s : 0) }'; }

echo "diagnose-rate: $lines lines, $((bytes / 1048576)) MiB ($(nproc) cores; $(uname -r))"
echo "mxlab: $("$mxlab" --version)"
printf '%-32s %8s %12s %8s %10s\n' program wall_s lines/s MB/s maxRSS_KiB
printf '%-32s %8s %12s %8s %10s\n' "mxlab diagnose --json" "$mxlab_wall" "$(rate "$mxlab_wall")" \
	"$(mbs "$mxlab_wall")" "$mxlab_rss"
printf '%-32s %8s %12s %8s %10s\n' "grep -c status=deferred" "$grep_wall" "$(rate "$grep_wall")" \
	"$(mbs "$grep_wall")" "$grep_rss"
printf '%-32s %8s %12s %8s %10s\n' "awk (deferred per relay)" "$awk_wall" "$(rate "$awk_wall")" \
	"$(mbs "$awk_wall")" "$awk_rss"
awk -v m="$mxlab_wall" -v g="$grep_wall" -v a="$awk_wall" 'BEGIN {
	printf "ratio of lines/s: mxlab/grep %.2f, mxlab/awk %.2f\n", (m > 0 ? g / m : 0), (m > 0 ? a / m : 0) }'
# What each found, as a check that all three read the whole file.
fails=$(grep -o '"failures":[0-9]*' "$T/mxlab.out" | head -1)
events=$(grep -o '"tls_events":[0-9]*' "$T/mxlab.out")
folded=$(grep -o '"folded":[0-9]*' "$T/mxlab.out")
notes=$(grep -o '"lines":[0-9]*' "$T/mxlab.out")
echo "mxlab: $notes $events $fails $folded; grep: $(cat "$T/grep.out") deferred lines; awk: $(cat "$T/awk.out") relays"
