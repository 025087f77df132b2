#!/bin/bash
# serve-cli.sh: `mxlab serve`'s command line: bad options and values exit 2
# and name the option, files and addresses that cannot be used fail at
# start without a "ready" line, --help lists the keys, --KEY=VALUE works.
. "$(dirname "$0")/lib.sh"

# bad ARGS...: the option must be refused with exit 2, named on stderr,
# and no "ready" line. The option name is the first ARG without "--". The
# first line of stderr is the message, and it names the option whole
# (--sni is not --sni-unknown; a usage text listing every key is no answer).
bad() {
	local name=${1#--}
	name=${name%%=*}
	timeout -k 2 10 "$MXLAB" serve --listen 127.0.0.1:0 "$@" \
		>"$T/bad.out" 2>"$T/bad.err" </dev/null
	local rc=$?
	if [ $rc -eq 2 ] && head -n 1 "$T/bad.err" |
		grep -Eq -- "^mxlab serve: (.*[^a-z0-9-])?--$name([^a-z0-9-]|\$)" &&
		[ "$(wc -l <"$T/bad.err")" -le 2 ] && ! grep -q 'ready' "$T/bad.out"; then
		ok "serve $*: exit 2 naming $name"
	else
		not_ok "serve $*: exit 2 naming $name (status $rc)"
		diag_file "$T/bad.err" 5
	fi
}

cases=(
	"--starttls x"
	"--starttls"
	"--no-such-key 1"
	"--listen nonsense"
	"--listen 127.0.0.1:99999"
	"--implicit-tls maybe"
	"--profile nosuch"
	"--chain half"
	"--tls-min 1.5"
	"--tls-max 2"
	"--tls-fault sometimes"
	"--sni noequals"
	"--sni-unknown maybe"
	"--rcpt hello"
	"--rcpt-delay soon"
	"--size -5"
	"--max-line abc"
	"--max-connections none"
	"--timeout forever"
	# one DURATION grammar: no exponent, hex, sign; one BYTES grammar: no
	# wrap past 2^64 (17179869185G is 2^64 + 1G), no fraction
	"--rcpt-delay 1e3s"
	"--timeout 0x10s"
	"--timeout -1s"
	"--timeout 18446744073709551616"
	"--size 17179869185G"
	"--size 18446744073709551616"
	"--max-line 1.5k"
)
plan $((${#cases[@]} + 10))

for c in "${cases[@]}"; do
	# shellcheck disable=SC2086
	bad $c
done

timeout -k 2 10 "$MXLAB" serve --starttls x >/dev/null 2>"$T/msg.err" </dev/null
expect_eq "the message names the option, the value and the choices" \
	"mxlab serve: --starttls: bad value 'x' (offer, hide, refuse, or a reply such as \"454 4.7.0 text\", or disconnect)" "$(head -n 1 "$T/msg.err")"

# A known option whose value happens to read like another error is still
# that option's bad value, not an unknown option.
timeout -k 2 10 "$MXLAB" serve --chain 'x: unknown key' >/dev/null 2>"$T/msg.err" </dev/null
expect_eq "a value that reads like an error: the option's own message" \
	"mxlab serve: --chain: bad value 'x: unknown key' (full, leaf-only)" "$(head -n 1 "$T/msg.err")"

timeout -k 2 10 "$MXLAB" serve --help >"$T/help.txt" 2>&1
expect_eq "--help exits 0" 0 "$?"
missing=
for k in listen hostname banner implicit-tls starttls pki cert profile chain \
	cert-file key-file sni sni-unknown tls-min tls-max ciphers tls-fault \
	greeting rcpt rcpt-delay max-line size max-connections timeout \
	transcript mailbox; do
	# a key line starts with the key, whole: --cert is not --cert-file
	grep -Eq -- "^ +--$k( |\$)" "$T/help.txt" || missing="$missing $k"
done
expect_eq "--help lists every key" "" "$missing"

timeout -k 2 10 "$MXLAB" serve --listen 127.0.0.1:0 --pki "$T/nonexistent" \
	--cert mx.example.test >"$T/nopki.out" 2>"$T/nopki.err" </dev/null
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q nonexistent "$T/nopki.err" &&
	! grep -q ready "$T/nopki.out"; then
	ok "a missing PKI directory fails at start, named (status $rc)"
else
	not_ok "a missing PKI directory fails at start, named (status $rc)"
	diag_file "$T/nopki.err" 5
fi

timeout -k 2 10 "$MXLAB" serve --listen 127.0.0.1:0 --cert-file "$T/nonexistent.pem" \
	>"$T/nofile.out" 2>"$T/nofile.err" </dev/null
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q nonexistent.pem "$T/nofile.err" &&
	! grep -q ready "$T/nofile.out"; then
	ok "a missing cert-file fails at start, named (status $rc)"
else
	not_ok "a missing cert-file fails at start, named (status $rc)"
	diag_file "$T/nofile.err" 5
fi

start_serve kv --starttls=refuse --rcpt="550 5.1.1 no such user"
busy=$PORT
smtp_open "$PORT"; smtp_reply
smtp_cmd "HELO client.example.test"
smtp_cmd "MAIL FROM:<a@example.test>"
smtp_cmd "RCPT TO:<b@example.test>"
expect_eq "--KEY=VALUE form: the scripted RCPT reply" "550 5.1.1 no such user" "$SMTP_TEXT"
smtp_close

timeout -k 2 10 "$MXLAB" serve --listen "127.0.0.1:$busy" >"$T/busy.out" 2>"$T/busy.err" </dev/null
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ -n "$busy" ] &&
	grep -Eq "127\.0\.0\.1:$busy\b.*in use" "$T/busy.err" && ! grep -q ready "$T/busy.out"; then
	ok "a port in use fails at start, the address named (status $rc)"
else
	not_ok "a port in use fails at start, the address named (status $rc)"
	diag_file "$T/busy.err" 5
fi
stop_serve kv

done_testing
