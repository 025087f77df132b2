/*
 * probe.c: mxlab_probe_run(), the sessions of `mxlab probe` (see
 * mxlab/probe.h and docs/probe.md).
 *
 * Offers the target parser and the run: a plaintext EHLO (what is offered
 * before TLS), a TLS session without SNI, one with SNI = the name, one per
 * extra SNI name, and one per TLS version this mbedTLS can speak; every
 * session stops after the handshake (or the EHLO over TLS) and never sends
 * mail. The facts go into the report; mxlab_probe_analyse() judges them.
 * Reentrant: everything lives in the caller's report and on the stack.
 *
 * Bounds: each session's stages are bounded by the timeout (the client's
 * deadlines), and the whole probe by the total: every session gets what is
 * left of it as its session-timeout, and a phase that would start with
 * nothing left is not run (rep->out_of_time, finding probe-incomplete).
 *
 * Errors: MXLAB_ERR_USAGE for a bad target or a client key the client
 * refuses (a CA file that does not exist, for example), with the text in
 * err. A server that does not answer is a finding, not an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mxlab/probe.h"
#include "tls_glue.h"

#define PROBE_HELO "mxlab-probe.invalid"

/* What every session of one probe shares. */
struct probe_ctx {
	char connect[300];	/* "host:port" or "[v6]:port" */
	const char *tls;	/* "starttls" or "implicit" */
	const char *ca_file, *ca_dir;
	const char *name;	/* "" none */
	char timeout[32];
	long long end;		/* mx_clock_ms() when the total runs out */
};

/* Has the whole probe run out of time? */
static int
out_of_time(const struct probe_ctx *c)
{
	return mx_clock_ms() >= c->end;
}

static int
is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int
port_parse(const char *s, unsigned *port)
{
	static const struct { const char *name; unsigned port; } names[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "submissions", 465 },
	};
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*port = names[i].port;
			return 0;
		}
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
mxlab_probe_parse_target(const char *target, char *host, size_t hostlen,
			 unsigned *port, char *err, size_t errlen)
{
	const char *p, *colon;
	size_t n;

	*port = 25;
	if (!target || !*target) {
		snprintf(err, errlen, "no target (HOST[:PORT])");
		return -1;
	}
	if (target[0] == '[') {
		const char *close = strchr(target, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(err, errlen, "target '%s': expected [IPv6]:PORT", target);
			return -1;
		}
		p = target + 1;
		n = (size_t)(close - p);
		colon = close[1] ? close + 1 : NULL;
	} else {
		colon = strchr(target, ':');
		if (colon && strchr(colon + 1, ':'))	/* a bare IPv6 address */
			colon = NULL;
		p = target;
		n = colon ? (size_t)(colon - target) : strlen(target);
	}
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "target '%s': bad host", target);
		return -1;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	if (strpbrk(host, " \t/@")) {
		snprintf(err, errlen, "target '%s': bad host '%s'", target, host);
		return -1;
	}
	if (colon && port_parse(colon + 1, port) < 0) {
		snprintf(err, errlen, "target '%s': bad port '%s' (a number, smtp, "
			 "submission or smtps)", target, colon + 1);
		return -1;
	}
	return 0;
}

#define SET(k, v) do { \
	if ((e = mxlab_client_config_set(cfg, (k), (v), err, errlen)) != MXLAB_OK) \
		goto out; \
} while (0)

/* One session. tls: "none", "starttls", "implicit"; sni: NULL none;
 * version: NULL any, else "1.2" for min and max. */
static mxlab_err
session(const struct probe_ctx *c, const char *tls, const char *sni,
	const char *verify_name, const char *stop, const char *version,
	struct mxlab_client_result *res, char *err, size_t errlen)
{
	mxlab_client_config *cfg = mxlab_client_config_new();
	mxlab_err e = MXLAB_OK;
	long long left = c->end - mx_clock_ms();
	char total[32];

	memset(res, 0, sizeof *res);
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	SET("connect", c->connect);
	SET("tls", tls);
	SET("helo", PROBE_HELO);
	SET("stop-after", stop);
	SET("timeout", c->timeout);
	snprintf(total, sizeof total, "%lldms", left > 0 ? left : 1);
	SET("session-timeout", total);
	if (strcmp(tls, "none") != 0) {
		SET("sni", sni && *sni ? sni : "none");
		SET("verify", "report");
		if (c->ca_file)
			SET("ca-file", c->ca_file);
		if (c->ca_dir)
			SET("ca-dir", c->ca_dir);
		/* no name to judge (an address without --name): check none, so
		 * the verdict cannot say name-mismatch */
		SET("verify-name", verify_name && *verify_name ? verify_name : "none");
		if (version) {
			SET("tls-min", version);
			SET("tls-max", version);
		}
	}
	e = mxlab_client_run(cfg, res, err, errlen);
out:
	mxlab_client_config_free(cfg);
	return e;
}

/* The first line of a reply, "CODE TEXT". */
static void
reply_line(char *buf, size_t len, const struct mxlab_client_reply *r)
{
	size_t n = strcspn(r->text, "\n");

	if (!r->code) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%d %.*s", r->code, (int)(n > 400 ? 400 : n), r->text);
}

/* EHLO keywords ('\n' separated): STARTTLS offered? AUTH mechanisms. */
static void
caps_scan(const char *caps, int *starttls, char *mechs, size_t mechlen)
{
	const char *p = caps;

	if (starttls)
		*starttls = 0;
	mechs[0] = '\0';
	while (p && *p) {
		size_t n = strcspn(p, "\n");

		if (starttls && n == 8 && strncasecmp(p, "STARTTLS", 8) == 0)
			*starttls = 1;
		if (n > 5 && strncasecmp(p, "AUTH", 4) == 0 && (p[4] == ' ' || p[4] == '=') &&
		    !mechs[0])
			snprintf(mechs, mechlen, "%.*s", (int)(n - 5), p + 5);
		p += n;
		if (*p == '\n')
			p++;
	}
}

static void
words_add(char *list, size_t len, const char *w)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? " " : "", w);
}

static void
extra_fill(struct mxlab_probe_sni *x, const char *name, const struct mxlab_client_result *r)
{
	memset(x, 0, sizeof *x);
	snprintf(x->name, sizeof x->name, "%s", name);
	x->tls = r->tls;
	snprintf(x->error, sizeof x->error, "%s", r->error);
	x->nchain = r->nchain;
	if (r->nchain > 0) {
		int top = r->nchain > MXLAB_CLIENT_MAX_CHAIN ? MXLAB_CLIENT_MAX_CHAIN - 1
							     : r->nchain - 1;

		snprintf(x->subject, sizeof x->subject, "%s", r->chain[0].subject);
		snprintf(x->issuer, sizeof x->issuer, "%s", r->chain[0].issuer);
		snprintf(x->not_before, sizeof x->not_before, "%s", r->chain[0].not_before);
		snprintf(x->not_after, sizeof x->not_after, "%s", r->chain[0].not_after);
		snprintf(x->names, sizeof x->names, "%s", r->chain[0].names);
		snprintf(x->top_subject, sizeof x->top_subject, "%s", r->chain[top].subject);
		snprintf(x->top_issuer, sizeof x->top_issuer, "%s", r->chain[top].issuer);
	}
	x->verified = r->verified;
	x->verify_reasons = r->verify_reasons;
	snprintf(x->verify_text, sizeof x->verify_text, "%s", r->verify_text);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The plaintext EHLO (STARTTLS mode). */
static void
plain_facts(struct mxlab_probe_report *rep, const struct mxlab_client_result *r)
{
	rep->connected = r->failed_stage != MXLAB_CS_CONNECT;
	rep->greeting_code = r->reply[MXLAB_CS_GREETING].code;
	reply_line(rep->greeting, sizeof rep->greeting, &r->reply[MXLAB_CS_GREETING]);
	rep->ehlo_done = r->reply[MXLAB_CS_EHLO].code == 250;
	if (r->failed_stage != MXLAB_CS_DONE && r->failed_stage <= MXLAB_CS_EHLO)
		snprintf(rep->connect_error, sizeof rep->connect_error, "%s", r->error);
	caps_scan(r->caps_before, &rep->starttls_offered, rep->auth_mechs_before,
		  sizeof rep->auth_mechs_before);
	rep->auth_before_tls = rep->auth_mechs_before[0] != '\0';
}

/* One session to run on a thread of its own. */
struct job {
	const struct probe_ctx *c;
	const char *sni, *verify_name, *stop, *version;
	const char *vname;		/* "TLSv1.2" for a version job */
	struct mxlab_client_result *res;
	mxlab_err e;
	char err[256];
	pthread_t tid;
	int started;
};

static void *
job_main(void *arg)
{
	struct job *j = arg;

	j->e = session(j->c, j->c->tls, j->sni, j->verify_name, j->stop, j->version,
		       j->res, j->err, sizeof j->err);
	return NULL;
}

/* Run the jobs at once (a job whose thread cannot start runs here). */
static void
jobs_run(struct job *jobs, size_t n)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	for (size_t i = 0; i < n; i++)
		jobs[i].started = pthread_create(&jobs[i].tid, &attr, job_main, &jobs[i]) == 0;
	pthread_attr_destroy(&attr);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].tid, NULL);
		else
			job_main(&jobs[i]);
	}
}

/* The versions this mbedTLS can speak become jobs; the others are noted. */
static size_t
version_jobs(struct mxlab_probe_report *rep, const struct probe_ctx *c, const char *sni,
	     struct job *jobs)
{
	static const struct { const char *arg, *name; int wire; } versions[] = {
		{ "1.0", "TLSv1.0", MX_TLS_1_0 }, { "1.1", "TLSv1.1", MX_TLS_1_1 },
		{ "1.2", "TLSv1.2", MX_TLS_1_2 }, { "1.3", "TLSv1.3", MX_TLS_1_3 },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		struct mx_tls_versions v = { versions[i].wire, versions[i].wire };
		char why[200];

		if (mx_tls_versions_check(&v, why, sizeof why) < 0) {
			words_add(rep->versions_untested, sizeof rep->versions_untested,
				  versions[i].name);
			continue;
		}
		jobs[n].c = c;
		jobs[n].sni = sni;
		jobs[n].stop = "tls";
		jobs[n].version = versions[i].arg;
		jobs[n].vname = versions[i].name;
		n++;
	}
	return n;
}

/* Did the handshake run out of time (its stage's timeout, or what was
 * left of the total)? The client says so in its error (client_tls.c):
 * "handshake not complete within N ms", "session-timeout of N ms
 * reached". No answer is no verdict: the version was not refused. */
static int
handshake_timed_out(const struct mxlab_client_result *r)
{
	return r->failed_stage == MXLAB_CS_TLS && !r->tls &&
	       (strstr(r->error, "handshake not complete within ") ||
		strstr(r->error, "session-timeout of "));
}

/* A version job's outcome: accepted, refused, or no verdict (not tested:
 * the session ended before the handshake, or the handshake timed out). */
static void
version_result(struct mxlab_probe_report *rep, const struct job *j)
{
	if (j->e != MXLAB_OK || j->res->failed_stage < MXLAB_CS_TLS ||
	    handshake_timed_out(j->res)) {
		words_add(rep->versions_untested, sizeof rep->versions_untested, j->vname);
		return;
	}
	words_add(rep->versions_tested, sizeof rep->versions_tested, j->vname);
	if (j->res->tls)
		words_add(rep->versions_accepted, sizeof rep->versions_accepted, j->vname);
	else
		words_add(rep->versions_refused, sizeof rep->versions_refused, j->vname);
}

#define MAX_JOBS (1 + MXLAB_PROBE_MAX_SNI + 4)

/* After the session without SNI: the session with SNI, the extra names and
 * the versions, all at once. */
static mxlab_err
parallel_phase(const struct mxlab_probe_options *opt, const struct probe_ctx *c,
	       struct mxlab_probe_report *rep, char *err, size_t errlen)
{
	struct job jobs[MAX_JOBS];
	struct mxlab_client_result *res = calloc(MAX_JOBS, sizeof *res);
	size_t n = 0, nx = 0, nv, sni_job = MAX_JOBS, x0;
	const char *sni = rep->name[0] && !is_ip(rep->name) ? rep->name : NULL;
	mxlab_err e = MXLAB_OK;

	if (!res) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	memset(jobs, 0, sizeof jobs);
	if (sni) {
		rep->sni_done = 1;
		jobs[n] = (struct job){ .c = c, .sni = sni, .verify_name = sni,
					.stop = "ehlo-tls" };
		sni_job = n++;
	}
	x0 = n;
	for (; opt->sni_names && opt->sni_names[nx] && nx < MXLAB_PROBE_MAX_SNI; nx++)
		jobs[n++] = (struct job){ .c = c, .sni = opt->sni_names[nx],
					  .verify_name = opt->sni_names[nx], .stop = "tls" };
	nv = version_jobs(rep, c, sni, jobs + n);
	for (size_t i = 0; i < n + nv; i++)
		jobs[i].res = &res[i];
	jobs_run(jobs, n + nv);

	for (size_t i = 0; i < n + nv; i++)
		if (jobs[i].e != MXLAB_OK && !jobs[i].vname && e == MXLAB_OK) {
			e = jobs[i].e;
			snprintf(err, errlen, "%s", jobs[i].err);
		}
	if (sni_job < MAX_JOBS)
		rep->sni = res[sni_job];
	for (size_t i = 0; i < nx; i++)
		extra_fill(&rep->extra[rep->nextra++], opt->sni_names[i], &res[x0 + i]);
	if (rep->nosni.tls || rep->sni.tls)
		for (size_t i = n; i < n + nv; i++)
			version_result(rep, &jobs[i]);
	else
		rep->versions_untested[0] = '\0';
	free(res);
	return e;
}

mxlab_err
mxlab_probe_run(const struct mxlab_probe_options *opt,
		struct mxlab_probe_report *rep, char *err, size_t errlen)
{
	struct probe_ctx c;
	struct mxlab_client_result *tmp;
	const struct mxlab_client_result *auth_from;
	double t0 = now_seconds();
	mxlab_err e = MXLAB_OK;

	if (!opt || !rep) {
		snprintf(err, errlen, "no options or report");
		return MXLAB_ERR_USAGE;
	}
	memset(rep, 0, sizeof *rep);
	memset(&c, 0, sizeof c);
	if (mxlab_probe_parse_target(opt->target, rep->host, sizeof rep->host,
				     &rep->port, err, errlen) < 0)
		return MXLAB_ERR_USAGE;
	snprintf(rep->target, sizeof rep->target, "%s", opt->target);
	rep->implicit_tls = opt->implicit_tls || rep->port == 465;
	if (opt->name && *opt->name)
		snprintf(rep->name, sizeof rep->name, "%s", opt->name);
	else if (!is_ip(rep->host))
		snprintf(rep->name, sizeof rep->name, "%s", rep->host);
	rep->ca_given = (opt->ca_file && *opt->ca_file) || (opt->ca_dir && *opt->ca_dir);
	rep->now = (long long)time(NULL);
	if (opt->ca_file && *opt->ca_file && access(opt->ca_file, R_OK) < 0) {
		snprintf(err, errlen, "ca-file %s: %s", opt->ca_file, strerror(errno));
		return MXLAB_ERR_USAGE;
	}
	if (opt->ca_dir && *opt->ca_dir && access(opt->ca_dir, R_OK | X_OK) < 0) {
		snprintf(err, errlen, "ca-dir %s: %s", opt->ca_dir, strerror(errno));
		return MXLAB_ERR_USAGE;
	}

	snprintf(c.connect, sizeof c.connect, strchr(rep->host, ':') ? "[%s]:%u" : "%s:%u",
		 rep->host, rep->port);
	c.tls = rep->implicit_tls ? "implicit" : "starttls";
	c.ca_file = opt->ca_file && *opt->ca_file ? opt->ca_file : NULL;
	c.ca_dir = opt->ca_dir && *opt->ca_dir ? opt->ca_dir : NULL;
	c.name = rep->name;
	snprintf(c.timeout, sizeof c.timeout, "%ums", opt->timeout_ms ? opt->timeout_ms : 10000);
	rep->total_timeout_ms = opt->total_timeout_ms ? opt->total_timeout_ms :
				6 * (opt->timeout_ms ? opt->timeout_ms : 10000);
	c.end = mx_clock_ms() + rep->total_timeout_ms;

	if (!(tmp = malloc(sizeof *tmp))) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	if (!rep->implicit_tls) {
		if ((e = session(&c, "none", NULL, NULL, "ehlo", NULL, tmp, err, errlen)))
			goto out;
		plain_facts(rep, tmp);
		if (!rep->ehlo_done || !rep->starttls_offered)
			goto done;
	}

	if (out_of_time(&c))
		goto done;
	rep->nosni_done = 1;
	if ((e = session(&c, c.tls, NULL, rep->name, "ehlo-tls", NULL, &rep->nosni, err, errlen)))
		goto out;
	if (rep->implicit_tls) {
		rep->connected = rep->nosni.failed_stage != MXLAB_CS_CONNECT;
		if (!rep->connected)
			snprintf(rep->connect_error, sizeof rep->connect_error, "%s",
				 rep->nosni.error);
		rep->greeting_code = rep->nosni.reply[MXLAB_CS_GREETING].code;
		reply_line(rep->greeting, sizeof rep->greeting,
			   &rep->nosni.reply[MXLAB_CS_GREETING]);
		rep->ehlo_done = rep->nosni.reply[MXLAB_CS_EHLO].code == 250 ||
				 rep->nosni.reply[MXLAB_CS_EHLO_TLS].code == 250;
		if (!rep->connected)
			goto done;
	} else if (rep->nosni.failed_stage == MXLAB_CS_STARTTLS) {
		goto done;		/* starttls-refused: nothing more to learn */
	}
	if (out_of_time(&c))
		goto done;
	if ((e = parallel_phase(opt, &c, rep, err, errlen)))
		goto out;
	auth_from = rep->sni.tls ? &rep->sni : rep->nosni.tls ? &rep->nosni : NULL;
	if (auth_from)
		caps_scan(auth_from->caps_after[0] || !rep->implicit_tls ? auth_from->caps_after
									  : auth_from->caps_before,
			  NULL, rep->auth_mechs_after, sizeof rep->auth_mechs_after);
done:
	rep->out_of_time = out_of_time(&c);
	rep->seconds = now_seconds() - t0;
	mxlab_probe_analyse(rep);
out:
	free(tmp);
	return e;
}
