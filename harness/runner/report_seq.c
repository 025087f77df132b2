/*
 * report_seq.c: a scenario's SMTP/TLS dialogue as a sequence diagram, an
 * inline SVG for the HTML report (report_html.c).
 *
 * Three columns: the client (the [send] messages and [client NAME]
 * sessions), the MTA under test (Postfix, Exim or exec's), the fake peer ([server NAME]). Each step
 * the sandbox recorded (runner_steps.c) is one row: an arrow from one
 * column to another with its text above it (SMTP commands and replies,
 * STARTTLS in blue, the handshake as a thick arrow with its version,
 * cipher and chain), or a box on one column (Postfix's TLS verdict, the
 * delivery status, a message stored by the peer, a session's end),
 * coloured by what it says. The certificate chains (kind "chain") are
 * listed by report_html.c, not drawn. A long text is cut with an
 * ellipsis, whole in the row's <title> (a tooltip). Every text is escaped
 * by rp_html_text().
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

#define W 1100			/* the drawing's width */
#define ROW 26			/* one step */
#define TOP 50			/* below the columns' heads */
#define CHAR_W 6.7		/* 11px monospace, about */

static const struct {
	const char *id, *title;
	int x;
} cols[] = {
	{ "client", "client ([send], [client])", 110 },
	{ "postfix", NULL, 420 },	/* the MTA under test */
	{ "peer", "fake peer ([server])", 730 },
};

static int
col_x(const char *id)
{
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (!strcmp(cols[i].id, id))
			return cols[i].x;
	return cols[1].x;
}

/* Does text contain one of the words (case-sensitive)? */
static int
has(const char *text, const char *const *words)
{
	for (; *words; words++)
		if (strstr(text, *words))
			return 1;
	return 0;
}

/* The colour of a step: red for failures, orange for deferrals, green for
 * what went through, else by kind. */
static const char *
colour(const struct rn_step *s)
{
	static const char *const bad[] = { "failed", "bounced", "Untrusted", "not verified",
					   "untrusted", "expired", "rejected", NULL };
	static const char *const slow[] = { "deferred", NULL };
	static const char *const good[] = { "sent ", "Verified", "Trusted", "verified",
					    "accepted", NULL };

	if (!strcmp(s->kind, "smtp") || !strcmp(s->kind, "note")) {
		if (s->text[0] >= '4' && s->text[0] <= '5' && s->text[1] >= '0' && s->text[1] <= '9')
			return "#c62828";	/* a 4xx or 5xx reply */
		return "#333";
	}
	if (!strcmp(s->kind, "starttls"))
		return "#1565c0";
	if (has(s->text, bad))
		return "#c62828";
	if (has(s->text, slow))
		return "#e65100";
	if (has(s->text, good))
		return "#2a8a3a";
	return !strcmp(s->kind, "tls") ? "#1565c0" : "#555";
}

/* Chars that fit from x to the right edge. */
static size_t
fit(int x)
{
	return (size_t)((W - 10 - x) / CHAR_W);
}

static void
arrow(FILE *fp, const struct rn_step *s, int y, const char *c, size_t id)
{
	int x1 = col_x(s->from), x2 = col_x(s->to), left = x1 < x2 ? x1 : x2;
	int tls = !strcmp(s->kind, "tls");

	fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		"stroke-width=\"%d\" marker-end=\"url(#ah%zu)\"/>\n", x1, y, x2 + (x2 > x1 ? -4 : 4),
		y, c, tls ? 3 : 1, id);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", left + 6, y - 5, c);
	rp_html_text(fp, s->text, fit(left + 6));
	fputs("</text>\n", fp);
}

static void
note(FILE *fp, const struct rn_step *s, int y, const char *c)
{
	int x = col_x(s->from), left = x - 60;
	size_t max = fit(20) - 2, len = 0;
	int w;

	for (const unsigned char *p = (const unsigned char *)s->text; *p; p++)
		len += (*p & 0xc0) != 0x80;
	if (len > max)
		len = max + 1;
	w = (int)(len * CHAR_W) + 12;
	if (left + w > W - 10)
		left = W - 10 - w;
	if (left < 10)
		left = 10;
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"#fff\" "
		"stroke=\"%s\"/>\n", left, y - 13, w, c);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", left + 6, y, c);
	rp_html_text(fp, s->text, max);
	fputs("</text>\n", fp);
}

void
rp_seq_svg(FILE *fp, const struct rn_result *r, size_t id, const char *mta)
{
	size_t rows = 0;
	int h, y;

	for (size_t i = 0; i < r->nsteps; i++)
		rows += strcmp(r->steps[i].kind, "chain") != 0;
	h = TOP + (int)rows * ROW + 20;
	fprintf(fp, "<svg class=\"seq\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"SMTP/TLS sequence diagram\">\n", W, h, W, h);
	fprintf(fp, "<defs><marker id=\"ah%zu\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
	      "markerWidth=\"8\" markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\">"
	      "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n", id);
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		fprintf(fp, "<rect x=\"%d\" y=\"6\" width=\"190\" height=\"24\" rx=\"4\" "
			"fill=\"#eef\" stroke=\"#447\"/>\n", cols[i].x - 95);
		fprintf(fp, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-weight=\"bold\">",
			cols[i].x);
		if (cols[i].title)
			fputs(cols[i].title, fp);
		else {
			rp_html_text(fp, mta, 14);
			fputs(" (under test)", fp);
		}
		fputs("</text>\n", fp);
		fprintf(fp, "<line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"%d\" stroke=\"#aaa\" "
			"stroke-dasharray=\"4 4\"/>\n", cols[i].x, cols[i].x, h - 6);
	}
	y = TOP;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct rn_step *s = &r->steps[i];
		const char *c = colour(s);

		if (!strcmp(s->kind, "chain"))
			continue;
		y += ROW;
		fprintf(fp, "<g class=\"step %s\"><title>", strcmp(s->from, s->to) ? "arrow" : "note");
		rp_html_text(fp, s->text, (size_t)-1);
		fputs("</title>\n", fp);
		if (strcmp(s->from, s->to))
			arrow(fp, s, y, c, id);
		else
			note(fp, s, y, c);
		fputs("</g>\n", fp);
	}
	fputs("</svg>\n", fp);
}
