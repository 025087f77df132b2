#!/bin/bash
# ci/run-tests.sh: install what mxlab needs, build it three ways and run
# every test suite. This is the command CI runs (through .ci/run) and the
# one the README gives to users.
#
#   stage   build dir    what
#   main    build/       -Dwerror=true -Dtests=enabled; unit + integration
#   embed   build/       `meson install` into a temporary DESTDIR, then
#                        examples/embed built against the installed
#                        libmxlab.pc and libmxlab.so, and its test run;
#                        ci/check-install.sh: the installed mxlab runs
#                        without LD_LIBRARY_PATH
#   asan    build-asan/  ASan + UBSan; unit + integration but example-suite
#   fuzz    build-fuzz/  clang, -Dfuzz=true; the fuzz suite (bounded runs)
#   scen    build/       `mxlab run -j2 scenarios/`: the scenario catalogue
#                        against a private Postfix (root only; else skipped)
#   mbedtls36 build-36/  mbedTLS 3.6 built from ../shared/vendor by
#                        ci/build-mbedtls.sh (once, into /opt/mbedtls-3.6 or
#                        $MXLAB_MBEDTLS_PREFIX) and found through pkg-config;
#                        -Dwerror=true -Dtests=enabled; ci/check-install.sh
#                        (installed, mxlab and libmxlab.so find mbedTLS
#                        through their rpath); unit + integration, then the
#                        scenario catalogue (root only)
#
# Build dirs are reconfigured when they exist. Prints one summary line per
# stage and a last line "N passed, N failed" (meson tests, summed over the
# stages); exits 1 when anything failed (a build counts as one failure).
#
# Needs root only to install packages: run as another user, it skips
# ci/install-deps.sh and expects the packages to be there.
# Environment: MXLAB_STAGES="main embed asan fuzz scen mbedtls36" selects
# stages.
#
# A guard around the stages: the system's Postfix locations (/etc/postfix,
# /var/spool/postfix, /var/lib/postfix, /var/mail) are described before the
# first stage and after the last (every entry's path, type, mode, owner,
# size, mtime and link target, and every file's SHA-256); any difference is
# one more failure, named with the paths that changed. Tests only ever run
# private Postfix instances: the system's must not be touched.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
top=$PWD
stages=${MXLAB_STAGES:-main embed asan fuzz scen mbedtls36}
passed=0 failed=0 summary=()
export MESON_TESTTHREADS=${MESON_TESTTHREADS:-2}

say() { printf '\n==== %s\n' "$*"; }

# The guard's locations: the system Postfix's configuration, queue, data, mail.
pf_guard_paths=(/etc/postfix /var/spool/postfix /var/lib/postfix /var/mail)

# pf_snapshot: one line per entry of the guarded locations, then one per
# regular file with its hash, sorted; a location that does not exist is a
# line too. A location that is a symbolic link is described itself, and
# what it points to is walked.
pf_snapshot() {
	local p fmt='%p\ttype=%y\tmode=%m\towner=%u:%g\tsize=%s\tmtime=%T@\tlink=%l\n'
	for p in "${pf_guard_paths[@]}"; do
		if [ ! -e "$p" ] && [ ! -L "$p" ]; then
			printf '%s\tabsent\n' "$p"
			continue
		fi
		find "$p" -maxdepth 0 -printf "$fmt" 2>&1
		find -H "$p" -mindepth 1 -printf "$fmt" 2>&1
		find -H "$p" -type f -print0 2>/dev/null | xargs -0 -r sha256sum 2>&1 |
			sed 's/^\\\{0,1\}\([0-9a-f]\{64\}\)  \(.*\)$/\2\tsha256=\1/'
	done | LC_ALL=C sort
}

# pf_guard_check BEFORE: compare the locations with the snapshot in
# BEFORE; a difference is a failure, shown with the paths that changed.
pf_guard_check() {
	local after=$1.after n paths
	pf_snapshot >"$after"
	if cmp -s "$1" "$after"; then
		summary+=("postfix guard: ${pf_guard_paths[*]} unchanged ($(wc -l <"$after") lines)")
		return
	fi
	paths=$(diff "$1" "$after" | sed -n 's/^[<>] \([^	]*\).*/\1/p' | LC_ALL=C sort -u)
	n=$(printf '%s\n' "$paths" | wc -l)
	say "postfix guard: FAILED: the system's Postfix locations changed during the run"
	echo "ci/run-tests.sh: $n path(s) changed under ${pf_guard_paths[*]}:" >&2
	printf '%s\n' "$paths" | head -n 50 | sed 's/^/  /' >&2
	echo "ci/run-tests.sh: the differences (< before, > after):" >&2
	diff "$1" "$after" | grep '^[<>]' | head -n 50 | sed 's/^/  /' >&2
	failed=$((failed + 1))
	summary+=("postfix guard: FAILED: $n path(s) changed: $(printf '%s\n' "$paths" | head -n 5 | tr '\n' ' ')")
}

if [ "$(id -u)" -eq 0 ]; then
	say "installing packages (ci/install-deps.sh)"
	sh ci/install-deps.sh || { echo "ci/run-tests.sh: ci/install-deps.sh failed" >&2; exit 2; }
else
	say "not root: skipping ci/install-deps.sh (run it once as root)"
fi

# setup DIR ARGS...: configure DIR, or reconfigure it when it exists.
setup() {
	local dir=$1
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		rm -rf "$dir"
		meson setup "$dir" "$@"
	fi
}

# tests_but DIR NAME...: DIR's unit and integration tests but the NAMEs,
# one a line, for meson test, which takes them by name alone: two tests of
# one name (a unit and an integration test) would crash it ("duplicate
# suite"), so that is an error here (1, the names on stderr).
tests_but() {
	local dir=$1 n dup
	shift
	local -a ex=(-e '^$') list
	for n in "$@"; do ex+=(-e "$n"); done
	mapfile -t list < <(meson test -C "$dir" --list --suite unit --suite integration 2>/dev/null |
		sed -n 's|^[^ ]* / ||p' | grep -vx "${ex[@]}")
	dup=$(printf '%s\n' "${list[@]}" | sort | uniq -d | tr '\n' ' ')
	if [ -n "$dup" ]; then
		echo "test names used twice (rename one): $dup" >&2
		return 1
	fi
	printf '%s\n' "${list[@]}"
}

# run_stage NAME DIR SETUP-ARGS -- TEST-ARGS: build, test, count. With
# STAGE_BUT="NAME...", the unit and integration tests but those.
run_stage() {
	local name=$1 dir=$2 log ok fail t0=$SECONDS
	shift 2
	local sargs=() targs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	targs=("$@")

	say "stage $name: meson setup $dir ${sargs[*]}"
	if ! setup "$dir" "${sargs[@]}" || ! ninja -C "$dir"; then
		failed=$((failed + 1))
		summary+=("$name: BUILD FAILED ($((SECONDS - t0)) s)")
		return
	fi
	if [ -n "${STAGE_BUT:-}" ]; then
		local -a some
		# shellcheck disable=SC2086
		if ! mapfile -t some < <(tests_but "$dir" $STAGE_BUT) || [ "${#some[@]}" -eq 0 ]; then
			failed=$((failed + 1))
			summary+=("$name: not run: no test list ($(tests_but "$dir" $STAGE_BUT 2>&1 >/dev/null))")
			return
		fi
		targs+=("${some[@]}")
	fi
	say "stage $name: meson test -C $dir ${targs[*]}"
	log=$dir/ci-test.log
	meson test -C "$dir" --print-errorlogs "${targs[@]}" 2>&1 | tee "$log"
	local rc=$?
	ok=$(awk '/^Ok:/ {n += $2} /^Expected Fail:/ {n += $3} END {print n + 0}' "$log")
	fail=$(awk '/^Fail:/ || /^Timeout:/ {n += $2} /^Unexpected Pass:/ {n += $3}
		END {print n + 0}' "$log")
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1	# meson failed without counting a test (no tests, crash)
	fi
	local sub
	sub=$(awk '/ [0-9]+ subtests passed/ {
		for (i = 1; i < NF; i++) if ($(i + 1) == "subtests") n += $i
	} END {print n + 0}' "$log")
	passed=$((passed + ok))
	failed=$((failed + fail))
	summary+=("$name: $ok passed, $fail failed; $sub TAP subtests passed ($((SECONDS - t0)) s)")
}

# install_check DIR STAGE: ci/check-install.sh DIR, counted as one test;
# sets INSTALL_CHECK to a word for the stage's summary.
install_check() {
	say "stage $2: ci/check-install.sh $1 (the installed mxlab, no LD_LIBRARY_PATH)"
	if bash ci/check-install.sh "$1"; then
		passed=$((passed + 1)); INSTALL_CHECK="install check ok"
	else
		failed=$((failed + 1)); INSTALL_CHECK="install check FAILED"
	fi
}

# The library as an outside project sees it (docs/library.md): the main
# build (built if needed) installed into a temporary DESTDIR, then
# examples/embed configured with only that libmxlab.pc on PKG_CONFIG_PATH
# (PKG_CONFIG_SYSROOT_DIR maps its prefix into the DESTDIR), built with
# -Dwerror=true and its cmocka test run with the installed libmxlab.so.
run_embed() {
	local t0=$SECONDS tmp log pc pcdir libdir ok fail rc
	say "stage embed: meson install -C build, examples/embed against the installed libmxlab"
	if [ ! -f build/meson-private/coredata.dat ] && ! setup build -Dwerror=true -Dtests=enabled; then
		failed=$((failed + 1)); summary+=("embed: BUILD FAILED"); return
	fi
	if ! ninja -C build; then
		failed=$((failed + 1)); summary+=("embed: BUILD FAILED"); return
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-embed.XXXXXX") || {
		failed=$((failed + 1)); summary+=("embed: FAILED (mktemp)"); return
	}
	if ! DESTDIR=$tmp/root meson install -C build --no-rebuild --quiet; then
		rm -rf "$tmp"
		failed=$((failed + 1)); summary+=("embed: INSTALL FAILED ($((SECONDS - t0)) s)"); return
	fi
	pc=$(find "$tmp/root" -name libmxlab.pc | head -n 1)
	if [ -z "$pc" ]; then
		rm -rf "$tmp"
		failed=$((failed + 1)); summary+=("embed: INSTALL FAILED: no libmxlab.pc installed"); return
	fi
	pcdir=$(dirname "$pc") libdir=$(dirname "$(dirname "$pc")")
	echo "libmxlab.pc: $pc"
	if ! PKG_CONFIG_SYSROOT_DIR=$tmp/root PKG_CONFIG_PATH=$pcdir \
			meson setup "$tmp/build" examples/embed -Dwerror=true ||
	   ! ninja -C "$tmp/build"; then
		rm -rf "$tmp"
		failed=$((failed + 1)); summary+=("embed: BUILD FAILED ($((SECONDS - t0)) s)"); return
	fi
	log=build/ci-embed.log
	LD_LIBRARY_PATH=$libdir meson test -C "$tmp/build" --print-errorlogs 2>&1 | tee "$log"
	rc=$?
	ok=$(awk '/^Ok:/ {n += $2} END {print n + 0}' "$log")
	fail=$(awk '/^Fail:/ || /^Timeout:/ {n += $2} /^Unexpected Pass:/ {n += $3}
		END {print n + 0}' "$log")
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	rm -rf "$tmp"
	passed=$((passed + ok))
	failed=$((failed + fail))
	install_check build embed
	summary+=("embed: $ok passed, $fail failed (examples/embed against the installed libmxlab); $INSTALL_CHECK ($((SECONDS - t0)) s)")
}

# The scenario catalogue, with the main build's mxlab (built if needed).
run_scenarios() {
	local log=build/ci-scenarios.log t0=$SECONDS ok fail
	say "stage scen: mxlab run -j2 scenarios"
	if [ "$(id -u)" -ne 0 ]; then
		summary+=("scen: skipped (mxlab run needs root)")
		return
	fi
	if [ ! -f build/meson-private/coredata.dat ] && ! setup build -Dwerror=true -Dtests=enabled; then
		failed=$((failed + 1)); summary+=("scen: BUILD FAILED"); return
	fi
	if ! ninja -C build; then
		failed=$((failed + 1)); summary+=("scen: BUILD FAILED"); return
	fi
	build/harness/mxlab run -j2 scenarios 2>&1 | tee "$log"
	local rc=$?
	ok=$(sed -n 's/^mxlab: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
	fail=$(sed -n 's/^mxlab: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -n 1)
	ok=${ok:-0} fail=${fail:-0}
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	passed=$((passed + ok))
	failed=$((failed + fail))
	summary+=("scen: $ok scenarios passed, $fail failed ($((SECONDS - t0)) s)")
}

# The same against mbedTLS 3.6 (README.md, "Against mbedTLS 3.6"): built
# from the vendored source unless already installed, found through
# pkg-config; unit + integration suites, then the scenario catalogue (root
# only). The build tree's programs find the shared mbedTLS by meson's rpath.
run_mbedtls36() {
	local t0=$SECONDS dir=build-36 prefix=${MXLAB_MBEDTLS_PREFIX:-/opt/mbedtls-3.6}
	local pcpath log ok fail rc sub ver tls13 scen sok sfail sskip
	say "stage mbedtls36: ci/build-mbedtls.sh $prefix"
	if ! pcpath=$(sh ci/build-mbedtls.sh "$prefix" | tail -n 1) ||
	   [ "${pcpath#PKG_CONFIG_PATH=}" = "$pcpath" ]; then
		failed=$((failed + 1))
		summary+=("mbedtls36: BUILD FAILED (ci/build-mbedtls.sh $prefix; $((SECONDS - t0)) s)")
		return
	fi
	pcpath=${pcpath#PKG_CONFIG_PATH=}
	say "stage mbedtls36: PKG_CONFIG_PATH=$pcpath meson setup $dir"
	if ! PKG_CONFIG_PATH=$pcpath setup "$dir" -Dwerror=true -Dtests=enabled ||
	   ! ninja -C "$dir"; then
		failed=$((failed + 1))
		summary+=("mbedtls36: BUILD FAILED ($((SECONDS - t0)) s)")
		return
	fi
	install_check "$dir" mbedtls36
	ver=$("$dir/harness/mxlab" --version | sed -n 's/.*(mbedTLS \(.*\)).*/\1/p')
	tls13=off
	grep -q 'has symbol "MBEDTLS_SSL_PROTO_TLS1_3".*: YES' "$dir/meson-logs/meson-log.txt" &&
		tls13=on
	# Every unit and integration test but example-suite, run-config, labs
	# and lab-shell: they check how a Postfix configuration (a user's, a
	# lab's) is read, rewritten and judged, which no TLS library touches,
	# and take 150 s; the main stage runs them (asan too, but
	# example-suite). Nor tlsrpt-catalogue: it names the TLS failures of
	# Postfix's log, as diagnose does; the scen part below runs its
	# scenarios. (Keeps the whole CI well under 15 minutes.)
	local -a t36
	local why
	if ! why=$(tests_but "$dir" example-suite run-config labs lab-shell tlsrpt-catalogue 2>&1 >/dev/null) ||
	   ! mapfile -t t36 < <(tests_but "$dir" example-suite run-config labs lab-shell tlsrpt-catalogue); then
		say "stage mbedtls36: $why"
		failed=$((failed + 1))
		summary+=("mbedtls36: not run: $why")
		return
	fi
	say "stage mbedtls36: meson test -C $dir (unit and integration, ${#t36[@]} tests)"
	log=$dir/ci-test.log
	meson test -C "$dir" --print-errorlogs "${t36[@]}" 2>&1 | tee "$log"
	rc=$?
	ok=$(awk '/^Ok:/ {n += $2} /^Expected Fail:/ {n += $3} END {print n + 0}' "$log")
	fail=$(awk '/^Fail:/ || /^Timeout:/ {n += $2} /^Unexpected Pass:/ {n += $3}
		END {print n + 0}' "$log")
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	sub=$(awk '/ [0-9]+ subtests passed/ {
		for (i = 1; i < NF; i++) if ($(i + 1) == "subtests") n += $i
	} END {print n + 0}' "$log")
	passed=$((passed + ok))
	failed=$((failed + fail))
	if [ "$(id -u)" -ne 0 ]; then
		scen="scen: skipped (mxlab run needs root)"
	else
		say "stage mbedtls36: $dir/harness/mxlab run -j2 scenarios"
		log=$dir/ci-scenarios.log
		"$dir/harness/mxlab" run -j2 scenarios 2>&1 | tee "$log"
		rc=$?
		sok=$(sed -n 's/^mxlab: \([0-9]*\) passed, .*/\1/p' "$log" | tail -n 1)
		sfail=$(sed -n 's/^mxlab: [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
		sskip=$(sed -n 's/^mxlab: .* failed, \([0-9]*\) skipped.*/\1/p' "$log" | tail -n 1)
		sok=${sok:-0} sfail=${sfail:-0} sskip=${sskip:-0}
		[ "$rc" -ne 0 ] && [ "$sfail" -eq 0 ] && sfail=1
		passed=$((passed + sok))
		failed=$((failed + sfail))
		scen="scen: $sok passed, $sfail failed, $sskip skipped"
	fi
	summary+=("mbedtls36: $ok passed, $fail failed; $sub TAP subtests passed; mbedTLS ${ver:-?}, TLS 1.3 $tls13; $INSTALL_CHECK; $scen ($((SECONDS - t0)) s)")
}

pf_before=$(mktemp "${TMPDIR:-/tmp}/mxlab-pf-guard.XXXXXX") || exit 2
trap 'rm -f "$pf_before" "$pf_before.after"' EXIT
pf_snapshot >"$pf_before"

for s in $stages; do
	case $s in
	main)
		run_stage main build -Dwerror=true -Dtests=enabled -- ;;
	embed)
		run_embed ;;
	asan)
		# halt_on_error: a UBSan report fails the test instead of scrolling by.
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
		# example-suite (init, a user's configuration: four suite runs)
		# is left to main: its code runs under ASan in run-config and
		# init's unit tests. (Keeps the whole CI well under 15 minutes.)
		STAGE_BUT="example-suite" run_stage asan build-asan -Dwerror=true -Dtests=enabled \
			-Db_sanitize=address,undefined -Db_lundef=false -- \
			--timeout-multiplier 2 ;;
	fuzz)
		CC=clang run_stage fuzz build-fuzz -Dfuzz=true -Dtests=disabled -- \
			--suite fuzz ;;
	scen)
		run_scenarios ;;
	mbedtls36)
		run_mbedtls36 ;;
	*)
		echo "ci/run-tests.sh: unknown stage '$s' (main, embed, asan, fuzz, scen, mbedtls36)" >&2
		exit 2 ;;
	esac
done

pf_guard_check "$pf_before"

say "summary"
for l in "${summary[@]}"; do echo "  $l"; done
echo "$passed passed, $failed failed"
cd "$top" || true
[ "$failed" -eq 0 ]
