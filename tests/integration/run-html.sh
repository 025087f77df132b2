#!/usr/bin/env bash
# run-html.sh: `mxlab run --html FILE` writes one self-contained page: a
# leaf-only scenario (deferred) and a full-chain one (sent) run with
# --html; the page is well-formed and loads nothing (html-check.py: every
# element closed, no script, no remote src/href, no @import or url()),
# has a sequence diagram per scenario, the leaf-only chain's
# "1 certificate" in the handshake, Postfix's verdict and the deferral,
# the full chain's "2 certificates" and the delivery. A hostile scenario
# (markup and script in its summary, the peer's banner and a reply, an
# expectation) comes out escaped, as text. An unwritable FILE is a usage
# error. Headless Chromium (chromium-headless-shell, which CI installs,
# or chromium --headless) renders the page: a PNG of the window's size, a
# clean console (a canary page with a console error proves the check sees
# one), and in the DOM the browser built, the leaf-only scenario's diagram
# shows the 1-certificate handshake and the deferral. Without either
# browser that part is skipped.
. "$(dirname "$0")/lib.sh"
SCN=$(cd "$(dirname "$0")/../../scenarios" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP mxlab run needs root"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP no python3 to check the page"
	exit 0
fi
plan 26
chmod 755 "$T"	# Postfix's daemons must reach the work directories below

"$MXLAB" run --html "$T/r.html" --workdir "$T/w1" "$SCN/outbound/secure-leaf-only.scn" \
	"$SCN/outbound/secure-full-chain.scn" >"$T/run.out" 2>"$T/run.err"
rc=$?
expect_eq "leaf-only and full-chain with --html: exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || { diag_file "$T/run.out"; diag_file "$T/run.err"; }
check "the page is written" test -s "$T/r.html"
if python3 "$HERE/html-check.py" "$T/r.html" >"$T/check.out" 2>&1; then
	ok "the page is well-formed and loads nothing (html-check.py)"
else
	not_ok "the page is well-formed and loads nothing (html-check.py)"
	diag_file "$T/check.out"
fi
# Remote references, however written (html-check.py parses; this greps).
expect_no_match "no http(s) resource, @import or url(http)" \
	'(src|href)[[:space:]]*=[[:space:]]*["'\'']?[[:space:]]*(https?:)?//|@import|url\([[:space:]]*["'\'']?(https?:)?//' \
	"$(cat "$T/r.html")"
expect_eq "one sequence diagram per scenario" 2 "$(grep -c '<svg class="seq"' "$T/r.html")"
expect_eq "both scenarios shown as passed" 2 "$(grep -c '<section class="sc pass"' "$T/r.html")"
expect_file_match "leaf-only: the handshake names the chain, 1 certificate" \
	'<text[^>]*>TLSv1\.[23] handshake: \[mx\] presents mx\.partner\.example/good leaf-only, 1 certificate' \
	"$T/r.html"
expect_file_match "leaf-only: the chains list says 1 certificate" \
	'<li>fake peer \[mx\]: mx\.partner\.example/good leaf-only, 1 certificate</li>' "$T/r.html"
expect_file_match "leaf-only: Postfix's verdict (untrusted issuer) in the diagram" \
	'<text[^>]*>certificate verification failed for mx\.partner\.example.*untrusted issuer' \
	"$T/r.html"
expect_file_match "leaf-only: the deferral in the diagram" \
	'<text[^>]*>deferred to=&lt;bob@partner\.example&gt; dsn=4\.7\.5' "$T/r.html"
expect_file_match "full chain: 2 certificates, delivered" \
	'good full, 2 certificates' "$T/r.html"
expect_file_match "full chain: the delivery status in the diagram" \
	'<text[^>]*>sent to=&lt;bob@partner\.example&gt; dsn=2\.0\.0' "$T/r.html"
expect_file_match "each expectation with its result" \
	'<code>status bob@partner\.example = deferred 4\.7\.5</code></td><td class="ok">passed' \
	"$T/r.html"
check "a passed expectation with its evidence: the deferred status line" grep -Ezq \
	'<code>status bob@partner\.example = deferred 4\.7\.5</code></td><td class="ok">passed</td><td><pre>[^<]*postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: to=&lt;bob@partner\.example&gt;, [^<]*dsn=4\.7\.5, status=deferred' \
	"$T/r.html"

# A hostile scenario: markup in the summary, the peer's banner and its RCPT
# reply (which Postfix then logs), and an expectation.
mkdir -p "$T/evil"
cat >"$T/evil/evil.scn" <<'EOF'
[scenario]
summary = hostile <script>alert(1)</script> & <img src=x onerror=alert(2)> "q" 'q'
tags    = outbound

[dns]
partner.example     MX 10 mx.partner.example
mx.partner.example  A  127.0.0.10

[server mx]
listen = 127.0.0.10:25
banner = <script>alert(3)</script> ESMTP
rcpt   = 550 5.1.1 <script>alert(4)</script> no such user

[send]
from = alice@example.test
to   = bob@partner.example

[expect]
status bob@partner.example = bounced 5.1.1
log smtp = said: 550 5.1.1 <script>alert\(4\)</script>
EOF
"$MXLAB" run --html "$T/evil.html" --workdir "$T/w2" "$T/evil/evil.scn" >"$T/evil.out" 2>&1
expect_eq "hostile scenario: runs and passes" 0 "$?"
if python3 "$HERE/html-check.py" "$T/evil.html" >"$T/evil.check" 2>&1; then
	ok "hostile scenario: no element, attribute or script came from it"
else
	not_ok "hostile scenario: no element, attribute or script came from it"
	diag_file "$T/evil.check"
fi
expect_eq "hostile scenario: no <script or <img anywhere in the page" 0 \
	"$(grep -ciE '<script|<img' "$T/evil.html")"
expect_file_match "hostile scenario: the summary as text" \
	'hostile &lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &lt;img src=x onerror=alert\(2\)&gt; &quot;q&quot; &#39;q&#39;' \
	"$T/evil.html"
expect_eq "hostile scenario: the banner, the reply and Postfix's line as text" 3 \
	"$(grep -E -c '<text[^>]*>(220 mx\.example\.test &lt;script&gt;alert\(3\)|550 5\.1\.1 &lt;script&gt;alert\(4\)|bounced to=.*said: 550 5\.1\.1 &lt;script&gt;alert\(4\))' "$T/evil.html")"

"$MXLAB" run --html "$T/no/such/dir/r.html" "$SCN/outbound/secure-leaf-only.scn" >"$T/bad.out" 2>&1
rc=$?
expect_eq "--html to a file that cannot be written: exit 2" 2 "$rc"
expect_match "... naming the option and the file" '^mxlab run: --html .*/no/such/dir/r\.html: No such file' \
	"$(cat "$T/bad.out")"

# Rendered by a browser: Debian's chromium-headless-shell (ci/install-deps.sh
# installs it where the archive has it), else chromium --headless, else the
# part is skipped. One process renders the page: the screenshot, the
# console on stderr and the DOM as the browser built it (--dump-dom).
# Console messages are logged at INFO, whatever their level ("INFO:CONSOLE:2]
# "msg", source: ..."; older builds "CONSOLE(2)"): the page runs no script,
# so any console line at all is an error. A canary page with a
# console.error and an uncaught exception proves the grep sees them.
CONSOLE_RE=':CONSOLE[:(]|Uncaught'
if command -v chromium-headless-shell >/dev/null 2>&1; then
	CHROME=(chromium-headless-shell)
elif command -v chromium >/dev/null 2>&1; then
	CHROME=(chromium --headless)
else
	CHROME=()
fi
if [ "${#CHROME[@]}" -gt 0 ]; then
	# Root: no sandbox. The profile in $T, not $HOME.
	chrome() {
		timeout -k 5 60 "${CHROME[@]}" --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
			--enable-logging=stderr --v=0 --window-size=1200,1600 "$@"
	}
	chrome --screenshot="$T/shot.png" --dump-dom "file://$T/r.html" >"$T/dom.html" 2>"$T/chrome.err"
	rc=$?
	# PNG signature, then IHDR's width and height: 1200 x 1600.
	if [ "$rc" -eq 0 ] &&
		[ "$(head -c 8 "$T/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(od -An -tx1 -j16 -N8 "$T/shot.png" 2>/dev/null | tr -d ' \n')" = 000004b000000640 ]; then
		ok "${CHROME[0]} renders the page: a 1200x1600 PNG"
	else
		not_ok "${CHROME[0]} renders the page: a 1200x1600 PNG"
		diag "exit $rc"; diag_file "$T/chrome.err" 30
	fi
	if [ -s "$T/dom.html" ] && ! grep -Eq -- "$CONSOLE_RE" "$T/chrome.err"; then
		ok "... with nothing on the console"
	else
		not_ok "... with nothing on the console"
		diag "$(grep -E -- "$CONSOLE_RE" "$T/chrome.err" | cut -c1-300)"
	fi
	python3 "$HERE/seq-text.py" "$T/dom.html" secure-leaf-only >"$T/seq.txt" 2>&1
	expect_match "the DOM it built: the leaf-only diagram shows the handshake, 1 certificate" \
		'^TLSv1\.[23] handshake: \[mx\] presents mx\.partner\.example/good leaf-only, 1 certificate \(' \
		"$(cat "$T/seq.txt")"
	expect_match "the DOM it built: the leaf-only diagram shows the deferral" \
		'^deferred to=<bob@partner\.example> dsn=4\.7\.5: Server certificate not verified$' \
		"$(cat "$T/seq.txt")"

	cat >"$T/canary.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>canary</title></head><body><p>canary</p>
<script>console.error("mxlab canary: console.error");</script>
<script>throw new Error("mxlab canary: thrown");</script>
</body></html>
EOF
	chrome --dump-dom "file://$T/canary.html" >/dev/null 2>"$T/canary.err"
	expect_eq "the console check sees a console.error and an uncaught exception (canary page)" 2 \
		"$(grep -E -- "$CONSOLE_RE" "$T/canary.err" | grep -c 'mxlab canary: ')"
else
	why="no chromium-headless-shell or chromium (ci/install-deps.sh installs the first where the archive has it)"
	skip "headless Chromium renders the page: a 1200x1600 PNG" "$why"
	skip "... with nothing on the console" "$why"
	skip "the DOM it built: the leaf-only diagram shows the handshake, 1 certificate" "$why"
	skip "the DOM it built: the leaf-only diagram shows the deferral" "$why"
	skip "the console check sees a console.error and an uncaught exception (canary page)" "$why"
fi
done_testing
