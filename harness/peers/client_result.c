/*
 * client_result.c: names of stages and verification reasons, the exit
 * status of `mxlab send`, and the result as one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "jsonw.h"

static const char *const stage_names[MXLAB_CS_COUNT] = {
	"connect", "greeting", "ehlo", "starttls", "tls", "ehlo-tls", "auth",
	"mail", "rcpt", "data", "dot", "quit", "done"
};

const char *
mxlab_client_stage_name(enum mxlab_client_stage s)
{
	return (unsigned)s < MXLAB_CS_COUNT ? stage_names[s] : "?";
}

int
mxlab_client_stage_lookup(const char *name)
{
	for (int s = 0; name && s < MXLAB_CS_COUNT; s++)
		if (!strcmp(name, stage_names[s]))
			return s;
	return -1;
}

static const struct {
	unsigned bit;
	const char *name;
} reasons[] = {
	{ MXLAB_VR_UNTRUSTED, "untrusted-issuer" },
	{ MXLAB_VR_SELF_SIGNED, "self-signed" },
	{ MXLAB_VR_EXPIRED, "expired" },
	{ MXLAB_VR_NOT_YET_VALID, "not-yet-valid" },
	{ MXLAB_VR_NAME_MISMATCH, "name-mismatch" },
	{ MXLAB_VR_BAD_USAGE, "bad-usage" },
	{ MXLAB_VR_NO_CHAIN, "no-chain" },
	{ MXLAB_VR_OTHER, "other" },
};

#define NREASONS (sizeof reasons / sizeof reasons[0])

const char *
mxlab_client_reason_name(unsigned bit)
{
	for (size_t i = 0; i < NREASONS; i++)
		if (reasons[i].bit == bit)
			return reasons[i].name;
	return NULL;
}

int
mxlab_client_exit_code(const struct mxlab_client_result *res)
{
	switch (res->failed_stage) {
	case MXLAB_CS_CONNECT: return 20;
	case MXLAB_CS_GREETING: return 21;
	case MXLAB_CS_EHLO:
	case MXLAB_CS_EHLO_TLS: return 22;
	case MXLAB_CS_STARTTLS:
	case MXLAB_CS_TLS: return 29;
	case MXLAB_CS_AUTH: return 28;
	case MXLAB_CS_MAIL: return 23;
	case MXLAB_CS_RCPT: return 24;
	case MXLAB_CS_DATA: return 25;
	case MXLAB_CS_DOT: return 26;
	default: return 0;	/* QUIT, done */
	}
}

/* A '\n'-separated list as an array of strings. */
static void
lines_array(struct jw *w, const char *key, const char *s, const char *sep)
{
	size_t seplen = strlen(sep);

	jw_key(w, key);
	jw_arr_begin(w);
	while (*s) {
		const char *e = strstr(s, sep);
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n)
			jw_strn(w, s, n);
		s += n;
		if (e)
			s += seplen;
	}
	jw_arr_end(w);
}

/* The script's records as the server's transcript has them ("script"
 * events), the error on the failed one; null when no script ran. */
static void
script_array(struct jw *w, const struct mxlab_client_result *r)
{
	jw_key(w, "script");
	if (!r->script_ran) {
		jw_null(w);
		jw_key(w, "script_omitted");
		jw_null(w);
		return;
	}
	jw_arr_begin(w);
	for (size_t i = 0; i < r->nsteps && i < MXLAB_CLIENT_MAX_STEPS; i++) {
		const struct mxlab_client_step *st = &r->steps[i];
		size_t len = st->len < sizeof st->data ? st->len : sizeof st->data;

		jw_obj_begin(w);
		jw_kint(w, "step", st->step);
		jw_kint(w, "line", st->line);
		jw_kstr(w, "kind", st->kind);
		jw_kstr(w, "dir", st->dir[0] ? st->dir : NULL);
		if (st->dir[0] && strcmp(st->dir, "tls")) {
			jw_kstrn(w, "data", (const char *)st->data, len);
			if (st->bytes > len)
				jw_kint(w, "data_omitted", (long long)(st->bytes - len));
		}
		if (st->failed)
			jw_kstr(w, "error", r->script_error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_kint(w, "script_omitted", (long long)r->steps_omitted);
}

char *
mxlab_client_result_json(const struct mxlab_client_result *r)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "failed_stage", r->failed_stage == MXLAB_CS_DONE ? NULL :
		mxlab_client_stage_name(r->failed_stage));
	jw_kstr(&w, "stage", mxlab_client_stage_name(r->failed_stage));
	jw_kstr(&w, "error", r->error);
	jw_kint(&w, "exit_code", mxlab_client_exit_code(r));
	jw_key(&w, "replies");
	jw_obj_begin(&w);
	for (int s = 0; s < MXLAB_CS_COUNT; s++) {
		if (!r->reply[s].code)
			continue;
		jw_key(&w, stage_names[s]);
		jw_obj_begin(&w);
		jw_kint(&w, "code", r->reply[s].code);
		jw_kstr(&w, "text", r->reply[s].text);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	lines_array(&w, "caps_before", r->caps_before, "\n");
	lines_array(&w, "caps_after", r->caps_after, "\n");
	jw_kbool(&w, "tls", r->tls);
	jw_kstr(&w, "tls_version", r->tls_version);
	jw_kstr(&w, "cipher", r->cipher);
	jw_kbool(&w, "sni_sent", r->sni_sent);
	jw_kstr(&w, "sni", r->sni_sent ? r->sni : NULL);
	jw_kint(&w, "chain_length", r->nchain);
	jw_key(&w, "chain");
	jw_arr_begin(&w);
	for (int i = 0; i < r->nchain && i < MXLAB_CLIENT_MAX_CHAIN; i++) {
		const struct mxlab_client_cert *c = &r->chain[i];

		jw_obj_begin(&w);
		jw_kstr(&w, "subject", c->subject);
		jw_kstr(&w, "issuer", c->issuer);
		jw_kstr(&w, "not_before", c->not_before);
		jw_kstr(&w, "not_after", c->not_after);
		lines_array(&w, "names", c->names, ", ");
		jw_kbool(&w, "ca", c->ca);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kbool(&w, "verified", r->verified);
	jw_key(&w, "reasons");
	jw_arr_begin(&w);
	for (size_t i = 0; i < NREASONS; i++)
		if (r->verify_reasons & reasons[i].bit)
			jw_str(&w, reasons[i].name);
	jw_arr_end(&w);
	jw_kstr(&w, "verify_text", r->verify_text);
	jw_kstr(&w, "verify_name", r->verify_name[0] ? r->verify_name : NULL);
	jw_kbool(&w, "resumed", r->resumed);
	jw_kint(&w, "sessions", r->sessions);
	jw_kstr(&w, "queue_id", r->queue_id[0] ? r->queue_id : NULL);
	jw_key(&w, "starttls_injection");
	if (r->injected) {
		jw_obj_begin(&w);
		jw_kstr(&w, "stage", "tls");
		jw_kint(&w, "bytes", (long long)r->injected);
		jw_kstr(&w, "seen", r->injection);
		jw_obj_end(&w);
	} else
		jw_null(&w);
	script_array(&w, r);
	jw_obj_end(&w);
	if (w.failed) {
		jw_free(&w);
		return NULL;
	}
	return w.buf;
}
