#!/usr/bin/env bash
# bench/catalogue.sh: wall time of the scenario catalogue at -j1 and -j2,
# and per scenario, as ratios against Postfix's own floor.
#
# The floor (shared/notes/postfix-private-instance.md, measured on this
# kind of machine): starting a master 0.17 s + a verified TLS delivery
# 0.12 s + stopping 0.05 s = 0.34 s a scenario. A ratio of 1.0 would mean
# mxlab adds nothing to what Postfix itself needs.
#
# usage: sudo bench/catalogue.sh [BUILD_DIR] [SCENARIO_DIR]   (run on demand)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
dir=${2:-$top/scenarios}
mxlab=$build/harness/mxlab
floor=0.34
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

[ -x "$mxlab" ] || { echo "bench: build first ($mxlab missing)" >&2; exit 2; }
for j in 1 2; do
	"$mxlab" run -j$j --json "$out/j$j.json" "$dir" >/dev/null
done
python3 - "$out" "$floor" <<'PY'
import json, sys
out, floor = sys.argv[1], float(sys.argv[2])
runs = {j: json.load(open(f"{out}/j{j}.json")) for j in (1, 2)}
n = len([s for s in runs[1]["scenarios"] if s["status"] != "skip"])
print(f"catalogue: {n} scenarios")
for j, r in runs.items():
    print(f"  -j{j}: {r['seconds']:.2f} s wall, {r['seconds']/n:.3f} s a scenario "
          f"({r['seconds']/n/floor:.2f}x the Postfix floor of {floor} s)")
print("per scenario at -j1 (s, ratio to the floor; phases in ms since the sandbox started):")
for s in sorted(runs[1]["scenarios"], key=lambda s: -s["seconds"]):
    t = s["timings_ms"]
    ph = " ".join(f"{k}={v}" for k, v in t.items())
    print(f"  {s['seconds']:6.3f}  {s['seconds']/floor:5.2f}x  {s['name']:<40} {ph}")
PY
