/*
 * report_html.c: the HTML report of `mxlab run` (--html FILE,
 * mxlab_run_set_html): one self-contained page, inline CSS, no script,
 * no font, image or style fetched from anywhere.
 *
 * Per scenario: its status, name, file, summary and time, the reason it
 * could not run or was skipped, each expectation with its result, why it
 * failed and its evidence (a passed one's too: the lines or facts that
 * decided it), the certificate chains each side presented,
 * and the SMTP/TLS dialogue as a sequence diagram (report_seq.c, inline
 * SVG) from the steps the sandbox recorded (runner_steps.c): the same
 * results the JSON report has, plus the dialogue.
 *
 * Everything that comes from a scenario file, a log, a peer or a path is
 * written through rp_html_text(), which escapes & < > " ' and replaces
 * control characters and invalid UTF-8: a hostile scenario cannot add
 * markup or script. Errors: -1 when the stream reports one (errno).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mta.h"
#include "report.h"

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t
rp_html_text(FILE *fp, const char *text, size_t max)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t chars = 0;

	while (*s && chars < max) {
		size_t n = utf8_len(s);

		chars++;
		if (n > 1) {
			fwrite(s, 1, n, fp);
			s += n;
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		case '\n': case '\t': fputc(*s, fp); break;
		default:
			fputc(n == 1 && *s >= 0x20 && *s != 0x7f ? *s : '?', fp);
		}
		s++;
	}
	if (*s && max) {
		fputs("\xe2\x80\xa6", fp);	/* an ellipsis: cut here */
		chars++;
	}
	return chars;
}

static void
esc(FILE *fp, const char *s)
{
	rp_html_text(fp, s, (size_t)-1);
}

static const char *const css =
	"body{font-family:sans-serif;margin:1.5em;color:#222;background:#fafafa}\n"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin:0 0 .4em}\n"
	"section.sc{background:#fff;border:1px solid #ccc;border-left:8px solid #999;"
	"margin:1.2em 0;padding:.8em 1em}\n"
	"section.pass{border-left-color:#2a8a3a}section.fail,section.error{border-left-color:#c62828}"
	"section.skip{border-left-color:#b0a000}\n"
	".st{display:inline-block;min-width:4em;text-align:center;color:#fff;border-radius:3px;"
	"padding:0 .4em;margin-right:.5em;font-family:monospace}\n"
	".st.pass{background:#2a8a3a}.st.fail,.st.error{background:#c62828}.st.skip{background:#8a7d00}\n"
	".meta{color:#555;font-size:.9em}\n"
	"table{border-collapse:collapse;margin:.5em 0;width:100%}\n"
	"td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top;"
	"font-size:.9em}\n"
	"td.ok{color:#2a8a3a;font-weight:bold}td.no{color:#c62828;font-weight:bold}\n"
	"pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:.85em}\n"
	"ul.chains{font-family:monospace;font-size:.9em}\n"
	"svg{background:#fff;max-width:100%;height:auto}\n"
	"svg text{font-family:monospace;font-size:11px}\n"
	"p.msg{color:#c62828;white-space:pre-wrap}\n";

static const char *const words[] = { "pass", "fail", "error", "skip" };

static void
checks(FILE *fp, const struct rp_entry *e)
{
	const struct rn_result *r = &e->res;

	if (!r->nchecks)
		return;
	fputs("<h3>Expectations</h3>\n<table><tr><th>line</th><th>expectation</th>"
	      "<th>result</th><th>evidence</th></tr>\n", fp);
	for (size_t c = 0; c < r->nchecks; c++) {
		const struct rn_check *k = &r->checks[c];

		fprintf(fp, "<tr><td>%d</td><td><code>", k->line);
		esc(fp, k->text);
		fprintf(fp, "</code></td><td class=\"%s\">%s</td><td>", k->passed ? "ok" : "no",
			k->passed ? "passed" : "FAILED");
		if (!k->passed && k->why && *k->why) {
			fputs("<pre>", fp);
			esc(fp, k->why);
			fputs("</pre>", fp);
		}
		if (k->evidence && *k->evidence) {
			fputs("<pre>", fp);
			esc(fp, k->evidence);
			fputs("</pre>", fp);
		}
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static void
chains(FILE *fp, const struct rn_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nsteps; i++) {
		if (strcmp(r->steps[i].kind, "chain") != 0)
			continue;
		if (!n++)
			fputs("<h3>Certificate chains presented</h3>\n<ul class=\"chains\">\n", fp);
		fputs("<li>", fp);
		esc(fp, r->steps[i].text);
		fputs("</li>\n", fp);
	}
	if (n)
		fputs("</ul>\n", fp);
}

static void
scenario(FILE *fp, const struct rp_entry *e, size_t number)
{
	const struct rn_result *r = &e->res;
	const char *w = words[r->status];

	fprintf(fp, "<section class=\"sc %s\" id=\"s%zu\">\n<h2><span class=\"st %s\">%s</span>",
		w, number, w, w);
	esc(fp, e->label);
	fputs("</h2>\n<p class=\"meta\">", fp);
	esc(fp, e->sc->file);
	fprintf(fp, " &middot; %.2fs", r->seconds);
	if (e->sc->nseed) {
		fputs(" &middot; seed", fp);
		for (size_t s = 0; s < e->sc->nseed; s++) {
			fputc(' ', fp);
			esc(fp, e->sc->seed[s]);
		}
	}
	if (r->kept) {
		fputs(" &middot; kept in <code>", fp);
		esc(fp, r->dir);
		fputs("</code>", fp);
	}
	fputs("</p>\n", fp);
	if (e->sc->summary) {
		fputs("<p>", fp);
		esc(fp, e->sc->summary);
		fputs("</p>\n", fp);
	}
	if (r->message) {
		fputs("<p class=\"msg\">", fp);
		esc(fp, r->message);
		fputs("</p>\n", fp);
	}
	checks(fp, e);
	chains(fp, r);
	if (r->nsteps) {
		fputs("<h3>Dialogue</h3>\n", fp);
		rp_seq_svg(fp, r, number, e->sc->mta_driver == &mta_postfix ? "Postfix" :
			   e->sc->mta_driver ? e->sc->mta_driver->name : "MTA");
	}
	fputs("</section>\n", fp);
}

int
rp_html(FILE *fp, const struct rp_options *o, const struct rp_entry *e, size_t n,
	double seconds)
{
	size_t count[4] = { 0 };

	for (size_t i = 0; i < n; i++)
		count[e[i].res.status]++;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>mxlab run report</title>\n<style>\n", fp);
	fputs(css, fp);
	fputs("</style>\n</head>\n<body>\n<h1>mxlab run</h1>\n<p>", fp);
	if (o->shard_n)
		fprintf(fp, "shard %d/%d: ", o->shard_k, o->shard_n);
	fprintf(fp, "%zu scenario%s in %.2fs: <span class=\"st pass\">%zu</span>passed "
		"<span class=\"st fail\">%zu</span>failed <span class=\"st skip\">%zu</span>"
		"skipped</p>\n", n, n == 1 ? "" : "s", seconds, count[RN_PASS],
		count[RN_FAIL] + count[RN_ERROR], count[RN_SKIP]);
	if (n) {
		fputs("<table><tr><th>status</th><th>scenario</th><th>seconds</th></tr>\n", fp);
		for (size_t i = 0; i < n; i++) {
			const char *w = words[e[i].res.status];

			fprintf(fp, "<tr><td><span class=\"st %s\">%s</span></td><td><a href=\"#s%zu\">",
				w, w, i + 1);
			esc(fp, e[i].label);
			fprintf(fp, "</a></td><td>%.2f</td></tr>\n", e[i].res.seconds);
		}
		fputs("</table>\n", fp);
	}
	for (size_t i = 0; i < n; i++)
		scenario(fp, &e[i], i + 1);
	fputs("</body>\n</html>\n", fp);
	if (fflush(fp) != 0 || ferror(fp)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
