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
# error. With chromium installed (not in CI: the part is skipped there),
# the page is rendered headless: a PNG is written and the console is
# clean.
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
plan 22
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

# Rendered by a browser, when there is one (CI has none: skipped there).
if command -v chromium >/dev/null 2>&1; then
	timeout 60 chromium --headless --disable-gpu --no-sandbox --enable-logging=stderr --v=0 \
		--screenshot="$T/shot.png" --window-size=1200,1600 "file://$T/r.html" \
		>"$T/chromium.out" 2>"$T/chromium.err"
	if [ "$(head -c 8 "$T/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		! grep -Eq 'Uncaught|ERROR:CONSOLE|CONSOLE\(' "$T/chromium.err"; then
		ok "chromium renders the page: a PNG, no console error"
	else
		not_ok "chromium renders the page: a PNG, no console error"
		diag_file "$T/chromium.err" 30
	fi
else
	skip "chromium renders the page: a PNG, no console error" "no chromium (not installed in CI)"
fi
done_testing
