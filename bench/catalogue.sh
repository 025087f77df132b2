#!/usr/bin/env bash
# bench/catalogue.sh: wall time of the scenario catalogue at -j1 and -j2,
# and per scenario, as ratios against Postfix's own floor measured in the
# same run by bench/postfix-floor.sh, in its two kinds (each the median of
# 5 runs of: start a private master, deliver one message, stop it):
#   plaintext  the message goes to smtp-sink in clear
#   TLS        (--tls) it goes to a second private Postfix smtpd over
#              STARTTLS, verified (secure) against a mxlab certs PKI
# Each scenario is divided by the floor of its kind: TLS if its MTA's log
# has a TLS session (Postfix: a "TLS connection established" line, to or
# from; Exim: "X=TLS"; msmtp: "tls=on" and "exitcode=EX_OK"), else
# plaintext (a STARTTLS refused or a handshake that failed included). The
# kinds come from one more run of the catalogue after the timed ones (-j2,
# -v: the maillog lines), not timed.
# A ratio of 1.0 would mean mxlab adds nothing to what Postfix itself
# needs; a scenario that waits for a deferral, a retry or a second
# connection needs more than one delivery, so 1.0 is a floor, not a goal.
# Issue 10 asks for 1.2x at -j1; the Postfix scenarios' (inbound +
# outbound) median ratio to their floor and how many are within 1.2x are
# printed.
#
# Also: the 33 Postfix scenarios (SCENARIO_DIR/inbound + outbound) at -j2
# against 7.9 s, their wall time before issue 10; and where a scenario's
# time goes (the phases of the JSON report).
#
# usage: sudo bench/catalogue.sh [BUILD_DIR] [SCENARIO_DIR]   (run on demand)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
dir=${2:-$top/scenarios}
case $build in /*) ;; *) build=$PWD/$build ;; esac
mxlab=$build/harness/mxlab
before=7.9	# s, 33 Postfix scenarios at -j2 before issue 10
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

[ -x "$mxlab" ] || { echo "bench: build first ($mxlab missing)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, Postfix)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: needs python3" >&2; exit 2; }

"$top/bench/postfix-floor.sh" 5 | tee "$out/floor.txt"
floor=$(awk '/^postfix-floor: median / { print $3 }' "$out/floor.txt")
[ -n "$floor" ] || { echo "bench: no floor measured" >&2; exit 1; }
MXLAB=$mxlab "$top/bench/postfix-floor.sh" --tls 5 | tee "$out/floor-tls.txt"
floor_tls=$(awk '/^postfix-floor --tls: median / { print $4 }' "$out/floor-tls.txt")
[ -n "$floor_tls" ] || { echo "bench: no TLS floor measured" >&2; exit 1; }

# run NAME JOBS PATH...: mxlab's exit status is kept (a failed scenario
# still has its time), the report goes to $out/NAME.json.
run() {
	local name=$1 j=$2
	shift 2
	rc=0
	"$mxlab" run -j"$j" --workdir "$out/$name.d" --json "$out/$name.json" "$@" \
		>"$out/$name.txt" 2>&1 || rc=$?
	[ -f "$out/$name.json" ] || { cat "$out/$name.txt" >&2; exit 1; }
	echo "$rc" >"$out/$name.rc"
}
mkdir "$out/j1.d" "$out/j2.d" "$out/pf.d"
run j1 1 "$dir"
run j2 2 "$dir"
pf=()
for d in inbound outbound; do [ -d "$dir/$d" ] && pf+=("$dir/$d"); done
[ ${#pf[@]} = 0 ] || run pf 2 "${pf[@]}"

# The kinds, not timed: each directory of the catalogue once more with -v
# (every MTA log line, prefixed with the scenario's name, which is unique
# within a directory); $out/kind/DIR.txt.
# kind DIR FILE|DIR...: one such run, its lines in $out/kind/DIR.txt.
kind() {
	local b=$1
	shift
	mkdir -p "$out/kind" "$out/kind.d/$b"
	"$mxlab" run -j2 -v --workdir "$out/kind.d/$b" "$@" >"$out/kind/$b.txt" 2>&1 || true
}
top_scn=()
for f in "$dir"/*.scn; do [ -f "$f" ] && top_scn+=("$f"); done
[ ${#top_scn[@]} = 0 ] || kind "$(basename "$dir")" "${top_scn[@]}"
for d in "$dir"/*/; do
	[ -d "$d" ] && kind "$(basename "$d")" "$d"
done

python3 - "$out" "$floor" "$before" "$floor_tls" <<'PY'
import json, os, statistics, sys
out, floor, before, floor_tls = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def load(name):
    p = f"{out}/{name}.json"
    return json.load(open(p)) if os.path.exists(p) else None
def name(s):	# dir/name: exim/dane-match and outbound/dane-match differ
    n = s["name"]
    return n if "/" in n else os.path.basename(os.path.dirname(s["file"])) + "/" + n
def counted(r):
    return [s for s in r["scenarios"] if s["status"] != "skip"]
def failed(r):
    f = [name(s) for s in r["scenarios"] if s["status"] not in ("pass", "skip")]
    return f"  ({len(f)} not passed: {' '.join(f)})" if f else ""
# kind[dir/name] = "tls" or "plain", from the -v runs' log lines.
def is_tls(text):	# Postfix (to or from), Exim, msmtp (tls=on and delivered)
    return ("TLS connection established" in text or " X=TLS" in text
            or (" tls=on " in text and "exitcode=EX_OK" in text))
kind = {}
for f in os.listdir(f"{out}/kind"):
    d = f[:-len(".txt")]
    for line in open(f"{out}/kind/{f}", errors="replace"):
        if " | " not in line:
            continue
        n, text = line.split(" | ", 1)
        k = f"{d}/{n}"
        if is_tls(text):
            kind[k] = "tls"
        else:
            kind.setdefault(k, "plain")
def kfloor(s):
    return floor_tls if kind.get(name(s)) == "tls" else floor
runs = {j: load(f"j{j}") for j in (1, 2)}
n = len(counted(runs[1]))
skip = len(runs[1]["scenarios"]) - n
print(f"catalogue: {n} scenarios run ({skip} skipped), floors: plaintext {floor:.3f} s, TLS {floor_tls:.3f} s")
for j, r in runs.items():
    w = r["seconds"]
    print(f"  -j{j}: {w:.2f} s wall, {w/n:.3f} s a scenario "
          f"({w/n/floor:.2f}x the plaintext floor, {w/n/floor_tls:.2f}x the TLS floor){failed(r)}")
pf = load("pf")
if pf:
    m, w = len(counted(pf)), pf["seconds"]
    print(f"catalogue at -j2 vs 7.9 s for 33 scenarios (the figure before issue 10): "
          f"{m} Postfix scenarios (inbound + outbound) in {w:.2f} s, "
          f"speed-up {before/w:.2f} (7.9 s / measured){failed(pf)}"
          + ("" if m == 33 else f"  (NB: {m} scenarios, not 33)"))
    print(f"  {w/m:.3f} s a scenario, {w/m/floor:.2f}x the plaintext floor, {w/m/floor_tls:.2f}x the TLS floor")

# Issue 10's 1.2x: the Postfix scenarios (inbound + outbound) at -j1, each
# against the floor of its kind.
pfs = [s for s in counted(runs[1]) if name(s).split("/")[0] in ("inbound", "outbound")]
if pfs:
    unknown = [name(s) for s in pfs if name(s) not in kind]
    print(f"Postfix scenarios (inbound + outbound) at -j1, each against the floor of its kind "
          f"(TLS: its maillog has a TLS connection established)"
          + (f"  (NB: no log lines for {' '.join(unknown)}: counted as plaintext)" if unknown else ""))
    for label, sel, fl in (("TLS", "tls", floor_tls), ("plaintext", "plain", floor)):
        g = [s for s in pfs if kind.get(name(s), "plain") == sel]
        if not g:
            continue
        r = [s["seconds"] / fl for s in g]
        within = sum(x <= 1.2 for x in r)
        print(f"  {label:<9} {len(g):2d} scenarios: median {statistics.median(s['seconds'] for s in g):.3f} s, "
              f"median {statistics.median(r):.2f}x the {label} floor ({fl:.3f} s), "
              f"{within}/{len(g)} within 1.2x"
              + (f": {' '.join(name(s) for s in g)}" if sel == "plain" else ""))
    r = [s["seconds"] / kfloor(s) for s in pfs]
    print(f"  all       {len(pfs):2d} scenarios: median {statistics.median(r):.2f}x the floor of their kind, "
          f"{sum(x <= 1.2 for x in r)}/{len(pfs)} within 1.2x")

# Phases: timings_ms are ms since the scenario's sandbox started, at the
# end of each phase, in the order they happened; the steps between them
# are where the time goes. Postfix scenarios only (they have postfix-check).
steps = {}
for s in counted(runs[1]):
    t, prev = s.get("timings_ms", {}), 0
    if "postfix-check" not in t:
        continue
    for k, v in t.items():
        steps.setdefault(k, []).append(v - prev)
        prev = v
if steps:
    order = ["sandbox", "pki", "peers", "postfix-check", "postfix-ready",
             "sent", "clients", "probes", "decided", "stopped"]
    keys = [k for k in order if k in steps] + [k for k in steps if k not in order]
    print("where a Postfix scenario's time goes at -j1 (ms from the previous phase's end; "
          "median/max, (n) scenarios having the phase):")
    print("  " + "  ".join(f"{k} {statistics.median(steps[k]):.0f}/{max(steps[k])}"
                           + ("" if len(steps[k]) == len(steps["stopped"]) else f" ({len(steps[k])})")
                           for k in keys))
print("per scenario at -j1 (s, kind, ratio to the floor of its kind; phases in ms since the sandbox started):")
for s in sorted(counted(runs[1]), key=lambda s: -s["seconds"]):
    t = s.get("timings_ms", {})
    ph = " ".join(f"{k}={v}" for k, v in t.items())
    k = "tls" if kind.get(name(s)) == "tls" else "plain"
    print(f"  {s['seconds']:6.3f}  {k:<5} {s['seconds']/kfloor(s):5.2f}x  {name(s):<40} {ph}")
PY
