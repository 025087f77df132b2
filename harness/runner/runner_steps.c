/*
 * runner_steps.c: the dialogue of one scenario, as "step" records for the
 * HTML report (report_html.c), written by the sandbox at its end.
 *
 * A step is one arrow or note of the sequence diagram:
 *   step FROM TO KIND TEXT
 * FROM and TO are "client", "peer" or "postfix" (the MTA under test,
 * whichever driver runs it; the same twice: a note on that column); KIND is smtp, starttls, tls, verdict, status, message,
 * note or chain (a certificate chain a side presented; FROM is the side).
 * Made from what the sandbox already has: the [send] messages and the
 * [client NAME] results, each fake server's transcript (its JSON lines,
 * read back once the server has stopped), Postfix's TLS and delivery
 * lines from its maillog (rn_steps_event, fed with every event). At most
 * STEPS_MAX steps and TEXT_MAX bytes of text each: a chatty scenario is
 * cut, never the run. Nothing is reported on failure: the report just has
 * fewer steps.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner_int.h"

#define STEPS_MAX 400
#define TEXT_MAX 300

/* snprintf that cuts long texts on purpose. */
static void __attribute__((format(printf, 3, 4)))
cut(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Keep a copy of the maillog lines the diagram shows: Postfix's TLS
 * verdicts ("f" a failure, "v" a session established) and delivery
 * statuses ("s"). */
void
rn_steps_event(struct box *b, const struct mta_event *ev)
{
	char buf[TEXT_MAX + 2], **ns;

	if (ev->status[0] && ev->rcpt[0])
		cut(buf, sizeof buf, "s%s to=<%s> dsn=%s: %s", ev->status, ev->rcpt, ev->dsn,
			 ev->status_text);
	else if (ev->tls != MTA_TLS_NONE && strcmp(ev->daemon, "smtpd") != 0)
		cut(buf, sizeof buf, "%c%s", ev->tls == MTA_TLS_FAILED ? 'f' : 'v',
		    ev->text ? ev->text : ev->line);
	else
		return;
	if (b->nml_steps >= STEPS_MAX ||
	    !(ns = realloc(b->ml_steps, (b->nml_steps + 1) * sizeof *ns)))
		return;
	b->ml_steps = ns;
	if ((ns[b->nml_steps] = strdup(buf)))
		b->nml_steps++;
}

struct steps {
	struct box *b;
	int n;
	size_t verdict;		/* next ml_steps entry to look at for a verdict */
};

static void
step(struct steps *s, const char *from, const char *to, const char *kind, const char *text)
{
	char t[TEXT_MAX + 1];
	const char *f[4] = { from, to, kind, t };

	if (s->n >= STEPS_MAX)
		return;
	cut(t, sizeof t, "%s", text);
	rn_box_record(s->b, "step", 4, f);
	s->n++;
}

/* Postfix's TLS verdicts on the next handshake, not shown yet: its
 * failures up to the line of the session established, or one failure
 * alone when the handshake failed (the server's tls event: ok 0). */
static void
next_verdict(struct steps *s, int ok)
{
	struct box *b = s->b;

	for (; s->verdict < b->nml_steps; s->verdict++) {
		char k = b->ml_steps[s->verdict][0];

		if (k == 's')
			continue;
		step(s, "postfix", "postfix", "verdict", b->ml_steps[s->verdict] + 1);
		if (k == 'v' || !ok) {
			s->verdict++;
			return;
		}
	}
}

/* The value of "key" in a one-line JSON object (a transcript line): a
 * string decoded (\uXXXX beyond ASCII as '?'), or a number or literal as
 * written. 0, or -1 when the key is not there. */
static int
json_get(const char *line, const char *key, char *out, size_t len)
{
	char pat[40];
	const char *p;
	size_t o = 0;

	cut(pat, sizeof pat, "\"%s\":", key);
	if (!len || !(p = strstr(line, pat)))
		return -1;
	p += strlen(pat);
	if (*p != '"') {
		while (*p && *p != ',' && *p != '}' && o + 1 < len)
			out[o++] = *p++;
		out[o] = '\0';
		return 0;
	}
	for (p++; *p && *p != '"' && o + 1 < len; p++) {
		char c = *p;

		if (c == '\\' && p[1]) {
			c = *++p;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if (c == 'u') {
				unsigned v = 0;

				if (sscanf(p + 1, "%4x", &v) == 1 && strlen(p + 1) >= 4)
					p += 4;
				c = v >= 0x20 && v < 0x7f ? (char)v : '?';
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* One transcript line of server name as a step. */
static void
transcript_line(struct steps *s, const char *name, const char *line)
{
	char ev[32], a[TEXT_MAX], c[64], t[TEXT_MAX + 100];

	if (json_get(line, "event", ev, sizeof ev) < 0)
		return;
	if (!strcmp(ev, "connect")) {
		json_get(line, "local", a, sizeof a);
		cut(t, sizeof t, "connect to [%s] %s", name, a);
		step(s, "postfix", "peer", "smtp", t);
	} else if (!strcmp(ev, "command")) {
		json_get(line, "line", a, sizeof a);
		step(s, "postfix", "peer", !strncasecmp(a, "STARTTLS", 8) ? "starttls" : "smtp", a);
	} else if (!strcmp(ev, "reply")) {
		char *nl;

		json_get(line, "code", c, sizeof c);
		json_get(line, "text", a, sizeof a);
		while ((nl = strchr(a, '\n')))
			*nl = ' ';
		cut(t, sizeof t, "%s %s", c, a);
		step(s, "peer", "postfix", "smtp", t);
	} else if (!strcmp(ev, "tls")) {
		char ver[32], cipher[100], chain[TEXT_MAX], err[TEXT_MAX];
		int n;

		json_get(line, "result", a, sizeof a);
		if (json_get(line, "version", ver, sizeof ver) < 0)
			ver[0] = '\0';
		if (json_get(line, "cipher", cipher, sizeof cipher) < 0)
			cipher[0] = '\0';
		if (json_get(line, "chain", chain, sizeof chain) < 0)
			cut(chain, sizeof chain, "?");
		n = json_get(line, "certificates", c, sizeof c) < 0 ? 0 : atoi(c);
		if (!strcmp(a, "ok"))
			cut(t, sizeof t, "%s handshake: [%s] presents %s, %d certificate%s (%s)",
			    ver, name, chain, n, n == 1 ? "" : "s", cipher);
		else {
			if (json_get(line, "error", err, sizeof err) < 0)
				cut(err, sizeof err, "%s", a);
			cut(t, sizeof t, "TLS handshake failed: %s; [%s] offered %s, %d certificate%s",
			    err, name, chain, n, n == 1 ? "" : "s");
		}
		step(s, "peer", "postfix", "tls", t);
		cut(t, sizeof t, "fake peer [%s]: %s, %d certificate%s", name, chain, n,
			 n == 1 ? "" : "s");
		step(s, "peer", "peer", "chain", t);
		next_verdict(s, !strcmp(a, "ok"));
	} else if (!strcmp(ev, "message")) {
		json_get(line, "status", a, sizeof a);
		json_get(line, "size", c, sizeof c);
		cut(t, sizeof t, "message %s by [%s] (%s bytes)", a, name, c);
		step(s, "peer", "peer", "message", t);
	} else if (!strcmp(ev, "close")) {
		json_get(line, "reason", a, sizeof a);
		cut(t, sizeof t, "[%s] connection closed (%s)", name, a);
		step(s, "peer", "peer", "note", t);
	}
}

static void
server_steps(struct steps *s, size_t i)
{
	const char *name = s->b->sc->servers[i].name;
	char path[MX_PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *fp;

	if (mx_path(path, sizeof path, "%s/servers/%s/transcript.jsonl", s->b->a->dir, name) < 0 ||
	    !(fp = fopen(path, "r"))) {
		/* A transcript elsewhere (the scenario's key): the TLS log. */
		struct mxlab_server_tls_info ti[16];
		size_t n = mxlab_server_tls_log(s->b->srv[i], ti, 16);
		char t[TEXT_MAX + 100];

		for (size_t k = 0; k < n && k < 16; k++) {
			cut(t, sizeof t, "TLS handshake %s: %s %s; [%s] presented %s, %d certificate%s",
				 ti[k].ok ? "done" : "failed", ti[k].version,
				 ti[k].ok ? ti[k].cipher : ti[k].error, name, ti[k].chain,
				 ti[k].certificates, ti[k].certificates == 1 ? "" : "s");
			step(s, "peer", "postfix", "tls", t);
			next_verdict(s, ti[k].ok);
		}
		return;
	}
	while (getline(&line, &cap, fp) > 0)
		transcript_line(s, name, line);
	free(line);
	fclose(fp);
}

/* A [client NAME] session: each stage that got a reply (the command as
 * the stage's name, the reply), the handshake where it happened. */
static void
client_steps(struct steps *s, size_t i)
{
	const struct mxlab_client_result *r = &s->b->cres[i];
	const char *name = s->b->sc->clients[i].name;
	const char *mta = s->b->sc->mta_driver == &mta_postfix ? "Postfix" :
			  s->b->sc->mta_driver->name;
	char t[TEXT_MAX + 300], up[16];

	cut(t, sizeof t, "[client %s] connects", name);
	step(s, "client", "postfix", "smtp", t);
	for (int st = MXLAB_CS_GREETING; st < MXLAB_CS_DONE; st++) {
		const char *sn = mxlab_client_stage_name((enum mxlab_client_stage)st);
		char *nl;

		if (st == MXLAB_CS_TLS && r->tls) {
			cut(t, sizeof t, "%s handshake: %s presents %d certificate%s, %s%s (%s)",
			    r->tls_version, mta, r->nchain, r->nchain == 1 ? "" : "s",
			    r->verified ? "verified" : "not verified: ",
			    r->verified ? "" : r->verify_text, r->cipher);
			step(s, "postfix", "client", "tls", t);
			for (int k = 0; k < r->nchain && k < MXLAB_CLIENT_MAX_CHAIN; k++) {
				cut(t, sizeof t, "%s to [client %s], certificate %d of %d: %s "
				    "(issuer %s)", mta, name, k + 1, r->nchain, r->chain[k].subject,
				    r->chain[k].issuer);
				step(s, "postfix", "postfix", "chain", t);
			}
			continue;
		}
		if (!r->reply[st].code)
			continue;
		if (st != MXLAB_CS_GREETING) {
			size_t k;

			for (k = 0; sn[k] && k + 1 < sizeof up; k++)
				up[k] = sn[k] >= 'a' && sn[k] <= 'z' ? (char)(sn[k] - 32) : sn[k];
			up[k] = '\0';
			step(s, "client", "postfix", st == MXLAB_CS_STARTTLS ? "starttls" : "smtp", up);
		}
		cut(t, sizeof t, "%d %s", r->reply[st].code, r->reply[st].text);
		while ((nl = strchr(t, '\n')))
			*nl = ' ';
		step(s, "postfix", "client", "smtp", t);
	}
	cut(t, sizeof t, "[client %s] %s%s%s%s", name,
	    r->failed_stage == MXLAB_CS_DONE ? "done" : "stopped at ",
	    r->failed_stage == MXLAB_CS_DONE ? "" : mxlab_client_stage_name(r->failed_stage),
	    r->error[0] ? ": " : "", r->error);
	step(s, "client", "client", "note", t);
}

void
rn_steps_report(struct box *b)
{
	struct steps s = { .b = b };
	const struct sc_send *send = &b->sc->send;

	if (send->present) {
		char t[TEXT_MAX];

		cut(t, sizeof t, "[send] %u message%s from <%s> to <%s>%s (plaintext)",
			 send->count, send->count == 1 ? "" : "s", send->from,
			 send->nto ? send->to[0] : "", send->nto > 1 ? " ..." : "");
		step(&s, "client", "postfix", "smtp", t);
	}
	for (size_t i = 0; i < b->nclients_run; i++)
		client_steps(&s, i);
	/* A server's transcript is complete once it has stopped. */
	for (size_t i = 0; i < b->nsrv; i++) {
		mxlab_server_stop(b->srv[i]);
		server_steps(&s, i);
	}
	while (s.verdict < b->nml_steps)
		next_verdict(&s, 1);
	for (size_t i = 0; i < b->nml_steps; i++)
		if (b->ml_steps[i][0] == 's')
			step(&s, "postfix", "postfix", "status", b->ml_steps[i] + 1);
}

void
rn_steps_free(struct box *b)
{
	for (size_t i = 0; i < b->nml_steps; i++)
		free(b->ml_steps[i]);
	free(b->ml_steps);
	b->ml_steps = NULL;
	b->nml_steps = 0;
}
