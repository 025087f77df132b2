#!/usr/bin/env bash
# run-mta.sh: the other MTAs. `mxlab run -j2 scenarios/exim scenarios/exec`
# passes every scenario against Debian's Exim 4.96 (unpacked, never
# installed: ci/fetch-exim.sh) and the exec driver (msmtp), and the host is
# left as it was: /etc byte for byte (every entry's path, type, mode and
# size, every regular file's SHA-256; nothing skipped), Postfix still
# installed, no Exim package installed, no Exim process left. Then two
# Exim scenarios that must fail: one setting an option the driver owns
# (refused with file and line before Exim runs), one breaking Exim's
# configuration (Exim's own error reaches the report).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
plan 22

SRC=$(cd "$(dirname "$0")/../.." && pwd)
EXIM_ROOT=${MXLAB_EXIM_ROOT:-/var/cache/mxlab/exim-4.96/root}

# etc_snapshot: one line per entry of /etc (path, type, mode, size), one per
# regular file (path, SHA-256), sorted.
etc_snapshot() {
	{
		find /etc -printf '%p\ttype=%y\tmode=%m\tsize=%s\n' 2>&1
		find /etc -type f -print0 2>/dev/null | xargs -0 -r sha256sum 2>&1 |
			sed 's/^\\\{0,1\}\([0-9a-f]\{64\}\)  \(.*\)$/\2\tsha256=\1/'
	} | LC_ALL=C sort
}

# Exim is fetched by CI: its absence is a failure, not a skip.
if [ -x "$EXIM_ROOT/usr/sbin/exim4" ]; then
	ok "Exim unpacked at $EXIM_ROOT"
else
	not_ok "Exim unpacked at $EXIM_ROOT"
	diag "$EXIM_ROOT/usr/sbin/exim4 is missing: run ci/fetch-exim.sh (CI does)"
fi

etc_snapshot >"$T/etc.before"
check "/etc described before the run" test -s "$T/etc.before"

n_exim=$(find "$SRC/scenarios/exim" -name '*.scn' ! -name suite.scn | wc -l)
n_exec=$(find "$SRC/scenarios/exec" -name '*.scn' ! -name suite.scn | wc -l)
n=$((n_exim + n_exec))
OUT=$(cd "$SRC" && timeout 300 "$MXLAB" run -j2 --workdir "$T/work" scenarios/exim scenarios/exec 2>&1)
rc=$?
expect_eq "mxlab run -j2 scenarios/exim scenarios/exec exits 0" 0 "$rc"
[ "$rc" = 0 ] || diag "$OUT"
expect_match "all $n scenarios passed, none skipped ($n_exim exim, $n_exec exec)" \
	"^mxlab: $n passed, 0 failed, 0 skipped$" "$OUT"
expect_no_match "no FAIL, ERROR or SKIP line" '^(FAIL|ERROR|SKIP) ' "$OUT"
expect_match "an Exim scenario ran" '^PASS  verify-full-chain ' "$OUT"
expect_match "an exec scenario ran" '^PASS  msmtp-verified ' "$OUT"

etc_snapshot >"$T/etc.after"
if diff -u "$T/etc.before" "$T/etc.after" >"$T/etc.diff"; then
	ok "/etc unchanged (paths, types, modes, sizes, SHA-256)"
else
	not_ok "/etc unchanged (paths, types, modes, sizes, SHA-256)"
	diag_file "$T/etc.diff" 40
fi

pkg_status() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null; }
expect_eq "postfix still installed" "install ok installed" "$(pkg_status postfix)"
for p in exim4-base exim4-daemon-light; do
	expect_no_match "$p not installed" 'install ok installed' "$(pkg_status "$p")"
done
check "exim4-base unknown to dpkg -s" eval '! dpkg -s exim4-base >/dev/null 2>&1'
check "exim4-daemon-light unknown to dpkg -s" eval '! dpkg -s exim4-daemon-light >/dev/null 2>&1'
check "no exim4 process left" eval '! pgrep -x exim4 >/dev/null'
check "no exim process left" eval '! pgrep -x exim >/dev/null'

# An option the driver owns: refused with file and line when the file is
# read (mxlab run and --check exit 2; nothing runs).
mkdir -p "$T/neg"
cat >"$T/neg/owned.scn" <<'EOF'
[scenario]
summary = exim: spool_directory is the driver's
mta = exim

[exim.conf]
spool_directory = /var/spool/exim4

[send]
from = alice@example.test
to   = bob@partner.example

[expect]
status = sent
EOF
OUT=$(timeout 60 "$MXLAB" run --workdir "$T/work-owned" "$T/neg/owned.scn" 2>&1)
expect_eq "owned option: mxlab run exits 2" 2 "$?"
expect_match "owned option: refused with file, line and option" \
	"^$T/neg/owned.scn:6: spool_directory is set by mxlab's exim driver; remove it\$" "$OUT"
OUT=$(timeout 60 "$MXLAB" run --check "$T/neg/owned.scn" 2>&1)
expect_eq "owned option: mxlab run --check exits 2" 2 "$?"

# A broken configuration: Exim refuses it, in its own words.
cat >"$T/neg/broken.scn" <<'EOF'
[scenario]
summary = exim: a main option Exim does not know
mta = exim

[exim.conf]
no_such_main_option_mxlab = 1

[send]
from = alice@example.test
to   = bob@partner.example

[expect]
status = sent
EOF
OUT=$(timeout 60 "$MXLAB" run --workdir "$T/work-broken" "$T/neg/broken.scn" 2>&1)
expect_eq "broken exim.conf: mxlab run exits 1" 1 "$?"
expect_match "broken exim.conf: Exim's configuration error in the report" \
	'exim: the daemon exited with status 1 before it started: .*Exim configuration error in line [0-9]+ of ' "$OUT"
expect_file_match "broken exim.conf: Exim names the option (paniclog)" \
	'main option "no_such_main_option_mxlab" unknown' "$T/work-broken/001-broken/exim/log/paniclog"

check "no exim4 process left after the failing runs" eval '! pgrep -x exim4 >/dev/null'

done_testing
