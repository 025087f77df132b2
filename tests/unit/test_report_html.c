/*
 * test_report_html.c: the HTML report (report_html.c, report_seq.c) of
 * results made by hand, without a run (no root): hostile texts in every
 * field a scenario, a peer or a log fills come out as text; the escaper
 * cuts on characters, never inside a UTF-8 sequence, and replaces control
 * bytes and invalid UTF-8; the page holds one diagram per scenario with
 * steps, its arrows and notes, and loads nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define EVIL "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
#define EVIL_ESC "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" \
		 "&quot;&#39;&amp;"

/* The text rp_html_text writes for s, at most max characters. */
static char *
escaped(const char *s, size_t max, size_t *chars)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	*chars = rp_html_text(fp, s, max);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
test_escape(void **state)
{
	size_t n;
	char *t;

	(void)state;
	t = escaped(EVIL, (size_t)-1, &n);
	assert_string_equal(t, EVIL_ESC);
	free(t);
	/* Control bytes and invalid UTF-8 (a lone continuation byte, an
	 * overlong lead, a cut sequence) as '?'; tab and newline kept. */
	t = escaped("a\x01" "b\x7f" "c\x80" "d\xc0\xaf" "e\xe2\x82" "\t\n", (size_t)-1, &n);
	assert_string_equal(t, "a?b?c?d??e??\t\n");
	free(t);
	/* Valid UTF-8 kept whole, counted as characters, cut between them. */
	t = escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92xyz", 3, &n);
	assert_string_equal(t, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92\xe2\x80\xa6");
	assert_int_equal(n, 4);		/* three, and the ellipsis */
	free(t);
	t = escaped("abc", 3, &n);
	assert_string_equal(t, "abc");
	assert_int_equal(n, 3);
	free(t);
	t = escaped(NULL, 10, &n);
	assert_string_equal(t, "");
	free(t);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void
test_page(void **state)
{
	char *seed[] = { EVIL };
	struct scenario sc = { 0 };
	struct rn_check checks[2] = {
		{ .line = 3, .text = "log smtp = " EVIL, .passed = 1, .why = "",
		  .evidence = "postfix/smtp[9]: Untrusted TLS connection established" },
		{ .line = 4, .text = "status x = sent", .passed = 0, .why = "saw " EVIL,
		  .evidence = "postfix/smtp[1]: " EVIL },
	};
	struct rn_step steps[] = {
		{ "client", "postfix", "smtp", "[send] 1 message " EVIL },
		{ "postfix", "peer", "starttls", "STARTTLS" },
		{ "peer", "postfix", "smtp", "550 5.1.1 " EVIL },
		{ "peer", "postfix", "tls", "TLSv1.3 handshake: [mx] presents h/good leaf-only, "
		  "1 certificate" },
		{ "peer", "peer", "chain", "fake peer [mx]: " EVIL ", 1 certificate" },
		{ "postfix", "postfix", "verdict", "certificate verification failed " EVIL },
		{ "postfix", "postfix", "status", "deferred to=<" EVIL "> dsn=4.7.5" },
	};
	struct rp_entry e[2];
	struct rp_options o = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	sc.file = "/x/" EVIL ".scn";
	sc.summary = EVIL;
	sc.seed = seed;
	sc.nseed = 1;
	memset(e, 0, sizeof e);
	e[0].label = "outbound/" EVIL;
	e[0].sc = &sc;
	e[0].res.status = RN_FAIL;
	e[0].res.message = EVIL;
	e[0].res.checks = checks;
	e[0].res.nchecks = 2;
	e[0].res.steps = steps;
	e[0].res.nsteps = sizeof steps / sizeof steps[0];
	e[0].res.dir = "/tmp/" EVIL;
	e[0].res.kept = 1;
	e[1].label = "skipped";
	e[1].sc = &sc;
	e[1].res.status = RN_SKIP;
	e[1].res.message = "requires faketime";

	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(rp_html(fp, &o, e, 2, 1.5), 0);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(strncmp(buf, "<!DOCTYPE html>\n", 16), 0);
	assert_int_equal(count(buf, "<script"), 0);
	assert_int_equal(count(buf, "<img"), 0);
	assert_int_equal(count(buf, "http:"), 0);
	assert_int_equal(count(buf, "https:"), 0);
	assert_int_equal(count(buf, "@import"), 0);
	/* label twice (index, heading), file, summary, seed, message, dir,
	 * two checks, why, evidence, five steps in the diagram (their titles
	 * too), the chain */
	assert_true(count(buf, "&lt;script&gt;alert(1)") >= 20);
	assert_int_equal(count(buf, "<section"), 2);
	assert_int_equal(count(buf, "</section>"), 2);
	assert_int_equal(count(buf, "<svg"), 1);	/* the skipped one has no steps */
	assert_int_equal(count(buf, "</svg>"), 1);
	assert_int_equal(count(buf, "<g class=\"step arrow\">"), 4);
	assert_int_equal(count(buf, "<g class=\"step note\">"), 2);
	assert_int_equal(count(buf, "</g>"), 6);
	assert_non_null(strstr(buf, "good leaf-only, 1 certificate"));
	assert_non_null(strstr(buf, "<li>fake peer [mx]: &lt;script&gt;"));
	assert_non_null(strstr(buf, "<td class=\"no\">FAILED</td>"));
	/* a passed expectation shows its evidence too */
	assert_non_null(strstr(buf, "<td class=\"ok\">passed</td><td><pre>postfix/smtp[9]: "
			       "Untrusted TLS connection established</pre></td></tr>"));
	assert_non_null(strstr(buf, "<section class=\"sc skip\" id=\"s2\">"));
	assert_non_null(strstr(buf, "</body>\n</html>\n"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
