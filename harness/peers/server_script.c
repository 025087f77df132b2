/*
 * server_script.c: a fake server session run by a dialogue script
 * (cfg->script; docs/scripts.md) instead of the reply table: the
 * server's side of struct mx_script_io for script_run.c.
 *
 * The session holds its worker from the first step to the last (a script
 * is a test's few steps, not a service); every read, write and handshake
 * stays under the session's deadlines. Each step goes to the transcript
 * as a "script" event (step, line, what was sent or received); a step
 * that fails ends the session with a "script" event holding the error
 * ("step 3 (x.script:7) expect /^EHLO/: got 'HELO a'") and the close
 * reason "script failed". Bytes the client sent after STARTTLS are
 * dropped before the handshake and counted (discarded_plaintext), as in
 * a table-driven session.
 */
#include <stdio.h>
#include <string.h>

#include "server_int.h"
#include "transcript.h"

static int
io_write(void *arg, const void *p, size_t n, char *why, size_t whylen)
{
	struct mx_session *s = arg;
	int r = s->tls ? mx_tls_conn_send_all(&s->c->tls, p, n) : mx_sock_send_all(&s->sock, p, n);

	if (r == 0)
		return 0;
	s->broken = 1;
	snprintf(why, whylen, "write failed%s", mx_ss_timeout_kind(s) ? " (timeout)" : "");
	return -1;
}

static int
io_handshake(void *arg, size_t pending, char *why, size_t whylen)
{
	struct mx_session *s = arg;

	(void)pending;
	if (mx_ss_start_tls(s, mx_reader_discard(s->rd)) == 0)
		return 0;
	snprintf(why, whylen, "TLS handshake failed: %s", s->reason ? s->reason : "?");
	return -1;
}

static void
io_unit(void *arg)
{
	mx_ss_unit_begin(arg);
}

static void
io_delay(void *arg, unsigned ms)
{
	mx_ss_delay(arg, ms);
}

static void
io_note(void *arg, size_t step, const struct mx_step *st, const char *dir, const void *p,
	size_t n)
{
	struct mx_session *s = arg;

	mx_ss_tr_begin(s, "script");
	jw_kint(s->w, "step", (long long)step + 1);
	jw_kint(s->w, "line", st->line);
	jw_kstr(s->w, "kind", mx_step_name(st->kind));
	jw_kstr(s->w, "dir", dir);
	if (p)
		jw_kstrn(s->w, "data", p, n);
	mx_tr_end(s->srv->tr, s->w);
}

static const char *
io_read_error(void *arg)
{
	enum mx_sock_timeout k = mx_ss_timeout_kind(arg);

	return k ? mx_ss_timeout_reason(k) : "read error";
}

mxlab_err
mxlab_server_config_script(mxlab_server_config *cfg, const char *text, const char *file,
			   int line, char *err, size_t errlen)
{
	return mx_script_src_set(cfg ? &cfg->script : NULL, text, file, line, err, errlen);
}

void
mx_ss_script(struct mx_session *s)
{
	struct mx_script_io io = {
		.arg = s, .client = 0, .rd = s->rd, .write = io_write,
		.handshake = io_handshake, .unit = io_unit, .delay = io_delay,
		.note = io_note, .got = NULL, .read_error = io_read_error,
	};
	struct mx_script *sc;
	char err[700];
	size_t failed;

	mx_ss_tr_begin(s, "connect");
	jw_kstr(s->w, "client", s->c->peer);
	jw_kstr(s->w, "local", s->c->local);
	jw_kbool(s->w, "script", 1);
	mx_tr_end(s->srv->tr, s->w);
	if (!(sc = mx_script_src_parse(&s->cfg->script, err, sizeof err))) {
		mx_ss_event_note(s, "script", "error", err);
		s->dead = 1;
		s->reason = "script failed";
		return;
	}
	if (s->cfg->implicit_tls && mx_ss_start_tls(s, 0) != 0) {
		mx_script_free(sc);
		return;
	}
	if (mx_script_run(sc, &io, &failed, err, sizeof err) < 0) {
		mx_ss_event_note(s, "script", "error", err);
		s->reason = "script failed";
	} else if (!s->reason)
		s->reason = "script done";
	s->dead = 1;
	mx_script_free(sc);
}
