/*
 * client_script.c: a fake client session run by a dialogue script
 * (cfg->script; docs/scripts.md) after the connect, instead of the
 * stages: the client's side of struct mx_script_io for script_run.c.
 *
 * The result still speaks in stages, so expectations and exit codes work
 * as for a staged session: the stage is that of the last command written
 * (EHLO, ehlo-tls once TLS is up, STARTTLS, MAIL, ...; greeting before
 * any), the handshake is the tls stage. Each reply an expect step reads
 * is kept as that stage's reply (an EHLO reply's keywords too). A step
 * that fails fails its stage, the error being the script's
 * ("step 4 (c.script:6) expect /^250/: got '554 5.5.1 ...'"); plaintext
 * after the 220 to STARTTLS is starttls-injection (client_session.c).
 *
 * What the steps did is recorded in the result as the server records it
 * in its transcript (res->steps: step, line, kind, dir, data), bounded:
 * the first MXLAB_CLIENT_MAX_STEPS records, the first
 * MXLAB_CLIENT_STEP_DATA bytes of each (not splitting a UTF-8 character),
 * counting what was left out. The failed step's record carries the error
 * and is always kept: a step that failed before it sent or received
 * anything gets a record of its own (dir ""), and past the limit the
 * failed record takes the last place. The result owns no memory: it is
 * all in the struct, so a result can be copied, reused or dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"

struct cscript {
	struct mx_csess *s;
	enum mxlab_client_stage stage;	/* of the last command written */
	struct mxlab_client_step last;	/* the last record, kept or not */
	int last_kept;			/* it is res->steps[nsteps - 1] */
};

static const struct {
	enum mx_verb verb;
	enum mxlab_client_stage stage;
} verb_stages[] = {
	{ MX_VERB_EHLO, MXLAB_CS_EHLO }, { MX_VERB_HELO, MXLAB_CS_EHLO },
	{ MX_VERB_STARTTLS, MXLAB_CS_STARTTLS }, { MX_VERB_AUTH, MXLAB_CS_AUTH },
	{ MX_VERB_MAIL, MXLAB_CS_MAIL }, { MX_VERB_RCPT, MXLAB_CS_RCPT },
	{ MX_VERB_DATA, MXLAB_CS_DATA }, { MX_VERB_QUIT, MXLAB_CS_QUIT },
};

/* The stage the first line of p[0..n) starts; unchanged when none. */
static void
note_stage(struct cscript *cs, const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n);
	size_t l = nl ? (size_t)(nl - p) + 1 : n;
	struct mx_command cmd;

	if (l == 3 && !memcmp(p, ".\r\n", 3)) {
		cs->stage = MXLAB_CS_DOT;
		return;
	}
	if (mx_command_parse((const char *)p, l, &cmd) < 0)
		return;
	for (size_t i = 0; i < sizeof verb_stages / sizeof verb_stages[0]; i++)
		if (verb_stages[i].verb == cmd.verb) {
			cs->stage = verb_stages[i].stage;
			if (cs->stage == MXLAB_CS_EHLO && cs->s->in_tls)
				cs->stage = MXLAB_CS_EHLO_TLS;
		}
}

static int
io_write(void *arg, const void *p, size_t n, char *why, size_t whylen)
{
	struct cscript *cs = arg;

	note_stage(cs, p, n);
	if (mx_cs_send(cs->s, cs->stage, p, n) == 0)
		return 0;
	snprintf(why, whylen, "%s", cs->s->res->error);
	return -1;
}

static int
io_handshake(void *arg, size_t pending, char *why, size_t whylen)
{
	struct cscript *cs = arg;
	const char *e = cs->s->res->error;

	(void)pending;		/* mx_cs_tls_start looks at the reader itself */
	cs->stage = MXLAB_CS_TLS;
	if (mx_cs_tls_start(cs->s) == 0)
		return 0;
	snprintf(why, whylen, "%s", strncmp(e, "tls: ", 5) ? e : e + 5);
	return -1;
}

static void
io_unit(void *arg)
{
	mx_cs_stage_begin(((struct cscript *)arg)->s);
}

static void
io_delay(void *arg, unsigned ms)
{
	struct mx_csess *s = ((struct cscript *)arg)->s;

	while (ms > 0 && !(s->sock.limit && mx_clock_ms() >= s->sock.limit)) {
		unsigned step = ms > 50 ? 50 : ms;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* How many of p[0..n) to keep: at most MXLAB_CLIENT_STEP_DATA bytes, cut
 * before a UTF-8 character rather than inside it. */
static size_t
keep_len(const unsigned char *p, size_t n)
{
	size_t k = MXLAB_CLIENT_STEP_DATA;

	if (n <= k)
		return n;
	for (size_t back = 0; back < 3 && (p[k - back] & 0xc0) == 0x80; back++)
		if ((p[k - back - 1] & 0xc0) != 0x80) {
			if (p[k - back - 1] >= 0xc0)
				k -= back + 1;	/* the character's lead byte */
			break;
		}
	return k;
}

/* A new record (cs->last) for step, kept while there is room. */
static void
record(struct cscript *cs, size_t step, const struct mx_step *st, const char *dir,
       const void *p, size_t n)
{
	struct mxlab_client_result *res = cs->s->res;
	struct mxlab_client_step *r = &cs->last;

	memset(r, 0, sizeof *r);
	r->step = (unsigned)step + 1;
	r->line = (unsigned)st->line;
	snprintf(r->kind, sizeof r->kind, "%s", mx_step_name(st->kind));
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	if (p) {
		r->bytes = n;
		r->len = keep_len(p, n);
		memcpy(r->data, p, r->len);
	}
	cs->last_kept = res->nsteps < MXLAB_CLIENT_MAX_STEPS;
	if (cs->last_kept)
		res->steps[res->nsteps++] = *r;
	else
		res->steps_omitted++;
}

/* Step failed (index) with err: its record, last and kept, says so. */
static void
record_failure(struct cscript *cs, const struct mx_script *sc, size_t failed, const char *err)
{
	struct mxlab_client_result *res = cs->s->res;
	size_t n = strnlen(err, sizeof res->script_error - 1);

	memcpy(res->script_error, err, n);
	res->script_error[n] = '\0';
	if (cs->last.step != failed + 1)	/* it left none: one with dir "" */
		record(cs, failed, &sc->steps[failed], "", NULL, 0);
	if (!cs->last_kept) {	/* steps is full: the last kept one gives its place */
		res->steps[MXLAB_CLIENT_MAX_STEPS - 1] = cs->last;
		cs->last_kept = 1;
	}
	res->steps[res->nsteps - 1].failed = 1;
}

static void
io_note(void *arg, size_t step, const struct mx_step *st, const char *dir, const void *p,
	size_t n)
{
	record(arg, step, st, dir, p, n);
}

/* A reply read: the stage's reply (code, lines without codes). */
static void
io_got(void *arg, const char *text, size_t n)
{
	struct cscript *cs = arg;
	struct mxlab_client_result *res = cs->s->res;
	struct mxlab_client_reply *rp = &res->reply[cs->stage];
	size_t o = 0, i = 0;

	if (n < 3 || strspn(text, "0123456789") < 3)
		return;
	rp->code = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - text) - i : n - i, skip = l >= 4 ? 4 : l;

		if (o && o + 1 < sizeof rp->text)
			rp->text[o++] = '\n';
		for (size_t k = skip; k < l && o + 1 < sizeof rp->text; k++)
			rp->text[o++] = text[i + k];
		i += l + 1;
	}
	rp->text[o] = '\0';
	if (cs->stage == MXLAB_CS_EHLO || cs->stage == MXLAB_CS_EHLO_TLS)
		mx_client_caps_keep(cs->s->in_tls ? res->caps_after : res->caps_before,
				    sizeof res->caps_before, rp->text);
}

static const char *
io_read_error(void *arg)
{
	struct mx_csess *s = ((struct cscript *)arg)->s;

	s->usable = 0;
	if (s->sock.timed_out || (s->in_tls && s->conn.last_error == MBEDTLS_ERR_SSL_TIMEOUT))
		return "timeout";
	return "read error";
}

mxlab_err
mxlab_client_config_script(mxlab_client_config *cfg, const char *text, const char *file,
			   int line, char *err, size_t errlen)
{
	return mx_script_src_set(cfg ? &cfg->script : NULL, text, file, line, err, errlen);
}

int
mx_client_script(struct mx_csess *s)
{
	struct cscript cs = { .s = s, .stage = MXLAB_CS_GREETING };
	struct mx_script_io io = {
		.arg = &cs, .client = 1, .rd = &s->rd, .write = io_write,
		.handshake = io_handshake, .unit = io_unit, .delay = io_delay,
		.note = io_note, .got = io_got, .read_error = io_read_error,
	};
	struct mx_script *sc;
	char err[700];
	size_t failed;

	s->usable = 0;		/* the script says whether to QUIT */
	s->res->script_ran = 1;
	if (!(sc = mx_script_src_parse(&s->cfg->script, err, sizeof err)))
		return mx_cs_fail(s, MXLAB_CS_CONNECT, "%s", err);
	if (s->cfg->tls == MX_CTLS_IMPLICIT && mx_cs_tls_start(s) < 0) {
		mx_script_free(sc);
		return -1;
	}
	if (mx_script_run(sc, &io, &failed, err, sizeof err) < 0) {
		record_failure(&cs, sc, failed, err);
		mx_script_free(sc);
		return mx_cs_fail(s, cs.stage, "%s", err);
	}
	mx_script_free(sc);
	return 0;
}
