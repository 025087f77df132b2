#!/bin/bash
# serve-store-load.sh: nothing `mxlab serve --mailbox` receives under load
# is lost or changed (issue 10: messages stored byte-exact under load).
#   1. Plaintext: Postfix's smtp-source, 20 sessions in parallel, 2000
#      messages of 2000 payload bytes (skipped without smtp-source); every
#      .eml is checked against the message rebuilt from smtp-source.c's
#      rule (tests/lib/smtp-source-mailbox.awk), names 000001..002000.
#   2. STARTTLS: 8 `mxlab send` processes in parallel, 10 sessions each (the
#      later ones resumed), each sending the same awkward message: lines
#      that start with a dot, a 998-byte line, 8-bit bytes, a bare CR, a
#      last line ending the message with CRLF. Every stored .eml must be
#      that file, byte for byte (cmp), and the transcript must count 80 TLS
#      sessions and 80 accepted messages.
# Under both mbedTLS builds in CI (TLS 1.3 on 3.6, 1.2 on 2.28).
. "$(dirname "$0")/lib.sh"

plan 13
PKI=$T/pki
"$MXLAB" certs --dir "$PKI" --quiet || { not_ok "mxlab certs"; done_testing; }

# ---- 1. plaintext, smtp-source
if ! command -v smtp-source >/dev/null || ! command -v mawk >/dev/null; then
	for i in 1 2 3 4 5; do skip "smtp-source load" "smtp-source or mawk missing"; done
else
	mkdir "$T/mb1"
	start_serve plain --mailbox "$T/mb1"
	if timeout 120 smtp-source -s 20 -m 2000 -l 2000 -M client.example.test \
		"127.0.0.1:$PORT" >"$T/source.out" 2>&1; then
		ok "smtp-source -s 20 -m 2000 -l 2000: every message accepted"
	else
		not_ok "smtp-source -s 20 -m 2000 -l 2000: every message accepted"
		diag_file "$T/source.out" 5
	fi
	stop_serve plain
	LC_ALL=C find "$T/mb1" -maxdepth 1 -name '*.eml' | LC_ALL=C sort >"$T/eml1.list"
	expect_eq "plaintext: 000001.eml .. 002000.eml, no gap, each with its envelope" "2000 yes 2000" \
		"$(awk '{ sub(/.*\//, ""); if ($0 != sprintf("%06d.eml", NR)) bad++ }
			END { print NR, (bad ? "no" : "yes") }' "$T/eml1.list") $(find "$T/mb1" -name '*.json' | wc -l)"
	LC_ALL=C xargs mawk -v h=client.example.test -f "$(dirname "$0")/../lib/smtp-source-mailbox.awk" \
		<"$T/eml1.list" >"$T/check1.out"
	expect_eq "plaintext: 2000 of 2000 stored byte-exact" "2000 2000" \
		"$(awk '!/^bad / { f += $1; g += $2 } END { print f + 0, g + 0 }' "$T/check1.out")"
	grep '^bad ' "$T/check1.out" | head -n 3 | while read -r l; do diag "$l"; done
fi

# ---- 2. STARTTLS, mxlab send in parallel
# The message: CRLF lines (the client turns bare LF into CRLF, so a file
# with CRLF already is sent as is, dot-stuffed on the wire).
{
	printf 'Subject: load\r\nFrom: <a@example.test>\r\n\r\n'
	printf '.a line that starts with a dot\r\n..two dots\r\n.\r\n'
	printf '%0998d\r\n' 0 | tr 0 y
	printf 'eight bit: \xc3\xa9\xff\xfe\r\na bare CR: x\ry\r\n'
	for ((i = 0; i < 400; i++)); do printf 'line %d of the load message, some text to fill it up\r\n' "$i"; done
	printf 'the end\r\n'
} >"$T/msg.eml"
mkdir "$T/mb2"
start_serve tls --pki "$PKI" --cert mx.example.test --mailbox "$T/mb2" --transcript "$T/tls.jsonl" \
	--max-connections 100
pids=()
for ((i = 0; i < 8; i++)); do
	timeout 120 "$MXLAB" send --connect "127.0.0.1:$PORT" --pki "$PKI" --sni mx.example.test \
		--from a@example.test --to b@example.test --data-file "$T/msg.eml" \
		--connections 10 --json >"$T/send$i.json" 2>"$T/send$i.err" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "8 parallel mxlab send --connections 10 over STARTTLS: all exit 0" 0 "$fails"
expect_eq "each sent its 10 sessions to the end (stage done)" "8" \
	"$(cat "$T"/send*.json | jq -r 'select(.stage == "done" and .sessions == 10) | .stage' | wc -l)"
stop_serve tls
n=$(find "$T/mb2" -name '*.eml' | wc -l)
same=0
for f in "$T"/mb2/*.eml; do cmp -s "$f" "$T/msg.eml" && same=$((same + 1)); done
expect_eq "STARTTLS: 80 messages stored" 80 "$n"
expect_eq "STARTTLS: 80 of 80 byte-exact (cmp with the file sent)" 80 "$same"
expect_eq "transcript: 80 TLS sessions and 80 accepted messages" "80 80" \
	"$(jq -r 'select(.event == "tls" and .result == "ok") | 1' "$T/tls.jsonl" | wc -l) $(jq -r 'select(.event == "message" and .status == "accepted") | 1' "$T/tls.jsonl" | wc -l)"
expect_eq "transcript: the later sessions of each client resumed (72 of 80)" 72 \
	"$(jq -r 'select(.event == "tls" and .result == "ok" and .resumed) | 1' "$T/tls.jsonl" | wc -l)"
done_testing
