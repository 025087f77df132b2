# shellcheck shell=bash
#
# lib.sh: what the integration scripts (serve-*.sh) share.
#
# A script sources this file, declares its plan, starts servers, drives real
# clients against them and prints TAP:
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3
#   start_serve plain --starttls hide        # "ok - serve plain ready ..."
#   smtp_open "$PORT"; smtp_reply
#   expect_eq "greeting code" 220 "$SMTP_CODE"
#   stop_serve plain                         # "ok - serve plain exits 0 ..."
#   done_testing
#
# Offers:
# - $T, a private temporary directory removed on exit (kept, and named on
#   stderr, when MXLAB_KEEP=1); every server still running at exit is killed.
# - TAP: plan, ok, not_ok, skip, diag, diag_file, check, expect_eq,
#   expect_match, expect_no_match, done_testing (exit 1 on any failure or on
#   a plan mismatch).
# - Servers: start_serve NAME ARGS... runs `$MXLAB serve` on an ephemeral
#   loopback port (unless ARGS has --listen), waits for its "ready" line
#   (bounded, polling), and sets PORT; serve_port NAME [N] gives the port of
#   its Nth listener; serve_alive NAME; stop_serve NAME sends SIGTERM, waits
#   (bounded) and asserts exit status 0 and no sanitizer report.
# - make_pki: one `mxlab certs` PKI per script in $PKI, and $CADIR, a
#   hashed CA directory holding its root (for posttls-finger -P).
# - A small SMTP client on bash's /dev/tcp: smtp_open, smtp_send,
#   smtp_reply, smtp_cmd, smtp_eof, smtp_close (SMTP_CODE, SMTP_TEXT);
#   expect_close DESC: the server hangs up, sending nothing more.
# - wait_for TIMEOUT CMD...: poll CMD until it succeeds or TIMEOUT seconds.
# - Other programs' TLS servers (openssl s_server, gnutls-serv):
#   start_tool NAME CMD... runs CMD in the background, waits (bounded) until
#   that PID listens, sets PORT; stop_tool NAME kills it by its PID.
# - ossl_reason FILE: openssl s_client's verdict as the client's reason.
#
# Nothing here sleeps to synchronise: every wait polls for an event (a line
# in a file, a process state) and gives up after a bound. Clients are run
# under `timeout` so that a hang is a failure, not a stuck suite.

: "${MXLAB:?MXLAB must name the mxlab binary (meson test sets it)}"
case $MXLAB in /*) ;; *) MXLAB=$PWD/$MXLAB ;; esac

# A server closing on us must not kill the script with SIGPIPE.
trap '' PIPE

T=$(mktemp -d "${TMPDIR:-/tmp}/mxlab-it.XXXXXX") || exit 1
export LC_ALL=C

declare -A _srv_pid=()
_tap_n=0
_tap_fail=0
_tap_plan=

_cleanup() {
	local name pid
	for name in "${!_srv_pid[@]}"; do
		pid=${_srv_pid[$name]}
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	pid=$(jobs -p)
	[ -n "$pid" ] && kill $pid 2>/dev/null
	if [ "${MXLAB_KEEP:-0}" = 1 ]; then
		echo "lib.sh: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap _cleanup EXIT

# ---------------------------------------------------------------- TAP

plan() { _tap_plan=$1; echo "1..$1"; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() {
	_tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $*"
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP ${2:-}"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# diag_file FILE [LINES]: show the tail of a file as TAP comments.
diag_file() {
	[ -f "$1" ] || { diag "($1: no such file)"; return; }
	diag "--- $1 (last ${2:-20} lines)"
	tail -n "${2:-20}" "$1" | tr -d '\r' | cut -c1-300 | sed 's/^/#   /'
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; diag "command failed: $*"; fi
}

# expect_eq DESC WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; diag "want: '$2'" "got:  '$3'"; fi
}

# expect_match DESC ERE TEXT / expect_no_match DESC ERE TEXT
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else
		not_ok "$1"; diag "want a match for: $2" "got:"; diag "$3"; fi
}
expect_no_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		not_ok "$1"; diag "want no match for: $2" "got:"; diag "$3"
	else ok "$1"; fi
}

# expect_file_match DESC ERE FILE
expect_file_match() {
	if grep -Eq -- "$2" "$3" 2>/dev/null; then ok "$1"; else
		not_ok "$1"; diag "want a match for: $2"; diag_file "$3" 30; fi
}

done_testing() {
	if [ -n "$_tap_plan" ] && [ "$_tap_n" -ne "$_tap_plan" ]; then
		diag "planned $_tap_plan tests, ran $_tap_n"
		exit 1
	fi
	[ "$_tap_fail" -eq 0 ] || { diag "$_tap_fail of $_tap_n failed"; exit 1; }
	exit 0
}

# ---------------------------------------------------------------- waiting

# wait_for SECONDS CMD...: poll CMD (every 50 ms) until it succeeds.
wait_for() {
	local limit=$1 start=${EPOCHREALTIME/./}
	shift
	limit=$((limit * 1000000))
	while :; do
		"$@" && return 0
		[ $((${EPOCHREALTIME/./} - start)) -ge "$limit" ] && return 1
		sleep 0.05
	done
}

# elapsed_ms START: milliseconds since START (a copy of $EPOCHREALTIME).
elapsed_ms() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); }

# pid_running PID: the process exists and is not a zombie.
pid_running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# ---------------------------------------------------------------- servers

# start_serve NAME ARGS...: start `$MXLAB serve ARGS` in the background
# (listening on 127.0.0.1:0 unless ARGS holds --listen), wait up to 10 s for
# "mxlab serve: ready" on its stdout, set PORT to its first listener's port.
# Prints one TAP line. Files: $T/NAME.out, $T/NAME.err.
start_serve() {
	local name=$1 a listen=0
	shift
	for a in "$@"; do
		case $a in --listen | --listen=*) listen=1 ;; esac
	done
	[ $listen = 1 ] || set -- --listen 127.0.0.1:0 "$@"
	"$MXLAB" serve "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	_srv_pid[$name]=$!
	PORT=
	if wait_for 10 _serve_ready "$name"; then
		PORT=$(serve_port "$name")
	fi
	if [ -n "$PORT" ]; then
		ok "serve $name ready on port $PORT"
		return 0
	fi
	not_ok "serve $name ready (mxlab serve $*)"
	diag_file "$T/$name.out"
	diag_file "$T/$name.err"
	return 1
}

_serve_ready() {
	grep -qx 'mxlab serve: ready' "$T/$1.out" 2>/dev/null && return 0
	pid_running "${_srv_pid[$1]}" || return 2
	return 1
}

# serve_port NAME [N]: the port of the Nth (1-based) listener of NAME.
serve_port() {
	sed -n 's/^mxlab serve: listening on .*:\([0-9][0-9]*\)$/\1/p' \
		"$T/$1.out" | sed -n "${2:-1}p"
}

serve_pid() { echo "${_srv_pid[$1]:-}"; }

# serve_alive NAME: the server process is still running.
serve_alive() { pid_running "${_srv_pid[$1]:-0}"; }

# stop_serve NAME [SIGNAL]: send SIGTERM (or SIGNAL), wait up to 10 s,
# assert exit status 0 and no sanitizer report on stderr. One TAP line.
stop_serve() {
	local name=$1 sig=${2:-TERM} pid=${_srv_pid[$1]:-} rc why=
	if [ -z "$pid" ]; then not_ok "serve $name stops (never started)"; return 1; fi
	kill "-$sig" "$pid" 2>/dev/null
	if ! wait_for 10 _not_running "$pid"; then
		why="still running 10 s after SIG$sig"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	unset "_srv_pid[$name]"
	[ -z "$why" ] && [ "$rc" -ne 0 ] && why="exit status $rc"
	if [ -z "$why" ] && grep -Eq 'runtime error:|Sanitizer|LeakSanitizer' "$T/$name.err"; then
		why="sanitizer report on stderr"
	fi
	if [ -z "$why" ]; then
		ok "serve $name exits 0 on SIG$sig"
		return 0
	fi
	not_ok "serve $name exits 0 on SIG$sig: $why"
	diag_file "$T/$name.err" 40
	return 1
}
_not_running() { ! pid_running "$1"; }

# ---------------------------------------------------------------- other servers

# listen_port PID: the TCP port PID listens on that 127.0.0.1 reaches: its
# 0.0.0.0 or 127.0.0.1 listener, else a dual-stack [::] or * one ("" none).
listen_port() {
	ss -ltnpH 2>/dev/null | awk -v p="pid=$1," 'index($0, p) {
		n = split($4, a, ":"); addr = substr($4, 1, length($4) - length(a[n]) - 1)
		if (addr == "0.0.0.0" || addr == "127.0.0.1") v4 = a[n]
		else if (addr == "[::]" || addr == "*") v6 = a[n]
	} END { print v4 != "" ? v4 : v6 }'
}

# start_tool NAME CMD...: run CMD (a TLS server of another program, told to
# listen on an ephemeral port) in the background, wait up to 10 s until it
# listens, set PORT. Output in $T/NAME.out. No TAP line: 1 when it did not
# listen (its output shown as diagnostics).
start_tool() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>&1 </dev/null &
	_srv_pid[$name]=$!
	PORT=
	if wait_for 10 _tool_listening "${_srv_pid[$name]}"; then
		PORT=$(listen_port "${_srv_pid[$name]}")
		return 0
	fi
	diag "$name did not listen: $*"
	diag_file "$T/$name.out"
	return 1
}
_tool_listening() { pid_running "$1" && [ -n "$(listen_port "$1")" ]; }

# stop_tool NAME: SIGTERM by PID, wait for it (bounded; then SIGKILL).
stop_tool() {
	local pid=${_srv_pid[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait_for 10 _not_running "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "_srv_pid[$1]"
}

# ---------------------------------------------------------------- PKI

# make_pki [HOST-SPEC...]: write a test PKI into $PKI (once per script) and
# a hashed CA directory $CADIR holding its root.
make_pki() {
	PKI=$T/pki
	CADIR=$T/cadir
	local h args=()
	[ $# -gt 0 ] || set -- mx.example.test,localhost,127.0.0.1 other.example.test
	for h in "$@"; do args+=(--host "$h"); done
	if ! "$MXLAB" certs --dir "$PKI" "${args[@]}" >"$T/certs.out" 2>&1; then
		diag "mxlab certs failed:"; diag_file "$T/certs.out"
		return 1
	fi
	# posttls-finger reads -P CAdir after dropping root privileges: the
	# path must be traversable and the directory readable by anyone.
	chmod 0711 "$T"
	mkdir -p "$CADIR"
	chmod 0755 "$CADIR"
	cp "$PKI/ca/root.crt" "$CADIR/root.pem"
	chmod 0644 "$CADIR/root.pem"
	openssl rehash "$CADIR" >/dev/null 2>&1 || return 1
}

# ---------------------------------------------------------------- SMTP

# smtp_open PORT [HOST]: connect; the descriptor is SMTP_FD.
smtp_open() {
	SMTP_CODE='' SMTP_TEXT='' SMTP_FD=''
	exec {SMTP_FD}<>"/dev/tcp/${2:-127.0.0.1}/$1" 2>/dev/null
}

# smtp_send LINE: send LINE + CRLF.
smtp_send() { printf '%s\r\n' "$1" >&"$SMTP_FD"; }

# smtp_reply [TIMEOUT]: read one (multi-line) reply. Sets SMTP_CODE (""
# on EOF or timeout) and SMTP_TEXT (every line, CR removed). Returns 1 when
# no complete reply arrived.
smtp_reply() {
	local line
	SMTP_CODE= SMTP_TEXT=
	while IFS= read -r -t "${1:-10}" -u "$SMTP_FD" line; do
		line=${line%$'\r'}
		SMTP_TEXT+=${SMTP_TEXT:+$'\n'}$line
		if [[ $line =~ ^([0-9]{3})(\ |$) ]]; then
			SMTP_CODE=${BASH_REMATCH[1]}
			return 0
		fi
	done
	return 1
}

# smtp_cmd LINE [TIMEOUT]: send LINE, read the reply.
smtp_cmd() { smtp_send "$1" && smtp_reply "${2:-10}"; }

# smtp_eof [TIMEOUT]: true when the server has closed (EOF within TIMEOUT,
# after discarding whatever it still sends). What it discarded: SMTP_REST_N
# lines (a last one without LF counted), the first 20 of them in SMTP_REST
# (CR removed). SMTP_EOF_WHY: "eof", "timeout", "flood" or "no connection"
# (false: a connection that was never open is not a close).
smtp_eof() {
	local line rc
	SMTP_REST='' SMTP_REST_N=0 SMTP_EOF_WHY=''
	if [ -z "${SMTP_FD:-}" ] || ! { : <&"$SMTP_FD"; } 2>/dev/null; then
		SMTP_EOF_WHY="no connection"	# never connected: not a close
		return 1
	fi
	while :; do
		line=
		IFS= read -r -t "${1:-10}" -u "$SMTP_FD" line
		rc=$?
		if [ $rc -eq 0 ] || [ -n "$line" ]; then
			SMTP_REST_N=$((SMTP_REST_N + 1))
			[ $SMTP_REST_N -le 20 ] && SMTP_REST+=${line%$'\r'}$'\n'
		fi
		[ $rc -eq 0 ] || break
		[ $SMTP_REST_N -gt 100000 ] && { SMTP_EOF_WHY=flood; return 1; }
	done
	# 1: EOF or reset; > 128: timeout
	if [ $rc -le 128 ]; then SMTP_EOF_WHY=eof; else SMTP_EOF_WHY=timeout; fi
	[ $rc -le 128 ]
}

# expect_close DESC [TIMEOUT]: one TAP line, ok when the server closes
# within TIMEOUT (default 5 s) without sending anything more.
expect_close() {
	if smtp_eof "${2:-5}" && [ "$SMTP_REST_N" -eq 0 ]; then ok "$1"; return 0; fi
	not_ok "$1"
	diag "want: the connection closed within ${2:-5} s, nothing more sent"
	diag "got:  $SMTP_EOF_WHY after $SMTP_REST_N more line(s):"
	[ -n "$SMTP_REST" ] && printf '%s' "$SMTP_REST" | cut -c1-200 | sed 's/^/#   /'
	return 1
}

smtp_close() {
	[ -n "${SMTP_FD:-}" ] && exec {SMTP_FD}>&-
	SMTP_FD=
}

# smtp_session PORT [HOST]: a whole normal plaintext session (greeting,
# EHLO, NOOP, QUIT). True when every reply was positive: the "server still
# serves" probe.
smtp_session() {
	local rc=1
	smtp_open "$1" "${2:-127.0.0.1}" || return 1
	smtp_reply && [ "$SMTP_CODE" = 220 ] &&
		smtp_cmd "EHLO probe.example.test" && [ "$SMTP_CODE" = 250 ] &&
		smtp_cmd "NOOP" && [ "$SMTP_CODE" = 250 ] &&
		smtp_cmd "QUIT" && [ "$SMTP_CODE" = 221 ] && rc=0
	smtp_close
	return $rc
}

# ---------------------------------------------------------------- clients

# tls_established FILE: s_client's output shows a negotiated cipher.
# mbedtls_tls11: the mxlab under test has TLS 1.0 and 1.1 (mbedTLS 2.x;
# 3.x has neither, and refuses tls-min/tls-max 1.0 and 1.1).
mbedtls_tls11() { ! "$MXLAB" --version | grep -q '(mbedTLS [3-9]\.'; }

tls_established() {
	grep -q 'Cipher is ' "$1" && ! grep -q 'Cipher is (NONE)' "$1"
}

# s_client OUT ARGS...: run openssl s_client (bounded, stdin sends QUIT),
# output in OUT; returns openssl's status (124 on timeout).
s_client() {
	local out=$1
	shift
	printf 'QUIT\r\n' | timeout -k 2 20 openssl s_client -ign_eof "$@" >"$out" 2>&1
}

# ossl_reason FILE: s_client's verdict as the client's reason (mxlab send's
# names): "" only when it says "Verify return code: 0 (ok)" and reports no
# verify error; else its first verify error number mapped to our name.
ossl_reason() {
	local num
	num=$(sed -n 's/^verify error:num=\([0-9]*\):.*/\1/p' "$1" 2>/dev/null | head -n 1)
	if [ -z "$num" ]; then
		if grep -q '^ *Verify return code: 0 (ok)' "$1" 2>/dev/null; then echo ""
		else echo "(no verify result)"; fi
		return
	fi
	case $num in
	10) echo expired ;; 9) echo not-yet-valid ;; 18) echo self-signed ;;
	2 | 20 | 21) echo untrusted-issuer ;; 62) echo name-mismatch ;;
	26) echo bad-usage ;; *) echo "other($num)" ;;
	esac
}

# cert_count FILE: the number of PEM certificates in FILE.
cert_count() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" 2>/dev/null; }

# leaf_cn FILE: the CN of depth 0 in s_client's "Certificate chain".
leaf_cn() {
	sed -n 's/^ *0 s:.*CN *= *\([^,/]*\).*/\1/p' "$1" | head -n 1
}

# transcript_events FILE JQ-FILTER: the transcript's events selected by a
# jq filter, one compact JSON object a line.
transcript_events() { jq -c "select($2)" "$1" 2>/dev/null; }

# expect_event DESC JQ-CONDITION FILE: at least one event of the JSON-lines
# FILE satisfies the condition. On failure shows the events of the same
# kind (the condition's first `.event == "X"`, when it has one).
expect_event() {
	local n kind
	n=$(jq -c "select($2)" "$3" 2>/dev/null | wc -l)
	if [ "$n" -gt 0 ]; then ok "$1"; return 0; fi
	not_ok "$1"
	diag "no event with: $2"
	kind=$(printf '%s' "$2" | sed -n 's/.*\.event *== *"\([a-z]*\)".*/\1/p')
	if [ -n "$kind" ]; then
		diag "$kind events:"
		jq -c "select(.event == \"$kind\")" "$3" 2>&1 | head -n 10 | sed 's/^/#   /'
	else
		diag_file "$3" 10
	fi
	return 1
}

# has_event FILE JQ-CONDITION: some event of FILE satisfies the condition
# (for wait_for: transcripts are written a whole line at a time).
has_event() { [ "$(jq -c "select($2)" "$1" 2>/dev/null | wc -l)" -gt 0 ]; }

# last_conn FILE: the "conn" of the latest connect event in a transcript.
last_conn() {
	jq -s 'map(select(.event == "connect")) | last | .conn' "$1" 2>/dev/null
}
