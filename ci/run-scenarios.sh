#!/bin/bash
# ci/run-scenarios.sh: mxlab's main job: install what it needs, build it,
# and run the scenario catalogue (scenarios/) against a private Postfix
# with `mxlab run`. Needs root (Postfix and the namespaces do).
#
#   ci/run-scenarios.sh [mxlab run OPTIONS] [FILE|DIR]...
# Without arguments: `mxlab run -j2 scenarios/`. Arguments are passed to
# `mxlab run` as they are (for example --tag secure, --keep, --tap).
# Exit status: mxlab run's (0 all passed, 1 one failed, 2 usage or not root).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
if [ "$(id -u)" -ne 0 ]; then
	echo "ci/run-scenarios.sh: must run as root (Postfix, namespaces): sudo $0" >&2
	exit 2
fi
sh ci/install-deps.sh || { echo "ci/run-scenarios.sh: ci/install-deps.sh failed" >&2; exit 2; }
if [ ! -f build/meson-private/coredata.dat ]; then
	meson setup build >/dev/null || exit 2
fi
ninja -C build >/dev/null || { echo "ci/run-scenarios.sh: build failed (ninja -C build)" >&2; exit 2; }

[ $# -gt 0 ] || set -- -j2 scenarios
exec build/harness/mxlab run "$@"
