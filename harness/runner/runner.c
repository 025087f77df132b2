/*
 * runner.c: the parent side of running one scenario (see runner.h).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <mbedtls/ssl.h>
#include <mbedtls/version.h>

#include "fsutil.h"
#include "pfinst.h"
#include "mta.h"
#include "runner_int.h"
#include "sandbox.h"

/* What a sandbox may write on its results pipe. */
#define RESULTS_MAX (16u << 20)

long
rn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
rn_result_free(struct rn_result *r)
{
	for (size_t i = 0; i < r->nchecks; i++) {
		free(r->checks[i].text);
		free(r->checks[i].why);
		free(r->checks[i].evidence);
	}
	for (size_t i = 0; i < r->ntimings; i++)
		free(r->timings[i].name);
	for (size_t i = 0; i < r->nchanges; i++)
		free(r->changes[i]);
	for (size_t i = 0; i < r->nsteps; i++) {
		free(r->steps[i].from);
		free(r->steps[i].to);
		free(r->steps[i].kind);
		free(r->steps[i].text);
	}
	free(r->steps);
	for (size_t i = 0; i < r->ntls; i++) {
		free(r->tls[i].daemon);
		free(r->tls[i].destination);
		free(r->tls[i].cause);
		free(r->tls[i].result_type);
	}
	free(r->tls);
	free(r->changes);
	free(r->checks);
	free(r->timings);
	free(r->message);
	free(r->dir);
	memset(r, 0, sizeof *r);
}

/* "postfix >= 3.4": compare dotted versions. */
static int
version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if (!*a && !*b)
			break;
		if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9')))
			break;
	}
	return 0;
}

const char *
rn_requires_unmet(const struct scenario *sc, const struct pf_system *sys, char *buf, size_t len)
{
	const char *pf_ver = sys ? sys->v[PF_SYS_VERSION] : NULL;

	/* The MTA itself (Postfix: sys says). */
	if (sc->mta_driver != &mta_postfix && sc->mta_driver->unmet &&
	    sc->mta_driver->unmet(buf, len))
		return buf;

	if (sc->faketime && !pf_faketime_lib()) {
		snprintf(buf, len, "faketime = %s needs libfaketime (Debian package libfaketime)",
			 sc->faketime);
		return buf;
	}
	for (size_t i = 0; i < sc->nrequires; i++) {
		const char *r = sc->requires[i];

		if (!strcmp(r, "faketime")) {
			if (!pf_faketime_lib()) {
				snprintf(buf, len, "requires faketime: libfaketime is not installed");
				return buf;
			}
		} else if (!strcmp(r, "tls13")) {
#if !defined(MBEDTLS_SSL_PROTO_TLS1_3)
			/* the fake peers speak what this mbedTLS speaks */
			snprintf(buf, len, "requires tls13: mbedTLS %s here has no TLS 1.3 "
				 "(build mxlab against mbedTLS 3.6: ci/build-mbedtls.sh)",
				 MBEDTLS_VERSION_STRING);
			return buf;
#endif
		} else if (!strcmp(r, "mta-sts-resolver")) {
			if (rn_sts_unmet(sc, buf, len))
				return buf;
		} else if (!strcmp(r, "ipv6")) {
			int fd = socket(AF_INET6, SOCK_STREAM, 0);

			if (fd < 0) {
				snprintf(buf, len, "requires ipv6: %s", strerror(errno));
				return buf;
			}
			close(fd);
		} else if (!strncmp(r, "mbedtls ", 8)) {
			/* implied by a tls-min/tls-max this mbedTLS lacks */
			snprintf(buf, len, "tls-min/tls-max %s: mbedTLS %s cannot speak it",
				 r + 8, MBEDTLS_VERSION_STRING);
			return buf;
		} else if (!strncmp(r, "postfix", 7) || !strcmp(r, "dane")) {
			const char *want = !strcmp(r, "dane") ? "2.11" : r + strcspn(r, "0123456789");

			if (!pf_ver) {
				snprintf(buf, len, "requires %s: Postfix is not installed (postconf failed)", r);
				return buf;
			}
			if (version_cmp(pf_ver, want) < 0) {
				snprintf(buf, len, "requires %s: Postfix here is %s", r, pf_ver);
				return buf;
			}
		}
	}
	return NULL;
}

/* The lab shell's terminal: a new pseudo-terminal, which the sandbox
 * relays to ours (lab_shell.c); ours is put back as it was when the job
 * ends, whatever happened to the sandbox. */
static int
shell_pty(struct rn_job *j, struct rn_sandbox_arg *a, char *err, size_t errlen)
{
	const char *name;

	j->tty_saved = tcgetattr(0, &j->tty) == 0;
	if ((a->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    grantpt(a->pty_master) < 0 || unlockpt(a->pty_master) < 0 ||
	    !(name = ptsname(a->pty_master)) ||
	    (a->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "lab shell: a pseudo-terminal: %s", strerror(errno));
		if (a->pty_master >= 0)
			close(a->pty_master);
		a->pty_master = -1;
		return -1;
	}
	return 0;
}

int
rn_job_start(struct rn_job *j, const struct scenario *sc, const char *label,
	     const char *dir, const struct rn_options *opt, char *err, size_t errlen)
{
	struct rn_sandbox_arg a;
	int p[2];

	memset(j, 0, sizeof *j);
	j->sc = sc;
	j->label = label;
	j->log = opt->log;
	j->log_arg = opt->log_arg;
	j->pid = -1;
	j->fd = -1;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || chmod(dir, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!(j->res.dir = strdup(dir)) || pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	a.sc = sc;
	a.dir = dir;
	a.label = label;
	a.verbose = opt->verbose;
	a.spool_template = opt->spool_template;
	a.sys = opt->sys;
	a.sandbox_root = opt->sandbox_root;
	a.pki_keys = opt->pki_keys;
	a.keep = opt->keep;
	a.steps = opt->steps;
	a.result_fd = p[1];
	a.shell = opt->shell;
	a.pty_master = a.pty_slave = -1;
	if (opt->shell && isatty(0) && shell_pty(j, &a, err, errlen) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	j->start_ms = rn_now_ms();
	/* Past the scenario's own timeout it has 15 s to stop by itself; a
	 * lab shell lasts as long as the student. */
	j->deadline_ms = opt->shell ? LONG_MAX : j->start_ms + (long)sc->timeout_ms + 15000;
	j->pid = sb_spawn(rn_sandbox_main, &a, err, errlen);
	close(p[1]);
	if (a.pty_master >= 0) {
		close(a.pty_master);
		close(a.pty_slave);
	}
	if (j->pid < 0) {
		close(p[0]);
		return -1;
	}
	j->fd = p[0];
	fcntl(j->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Undo the escapes of one field in place; returns the next field or NULL. */
static char *
field(char **p)
{
	char *s = *p, *o = s, *r = s;

	if (!s)
		return NULL;
	while (*r && *r != '\t') {
		if (*r == '\\' && r[1]) {
			r++;
			*o++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
			r++;
		} else
			*o++ = *r++;
	}
	*p = *r == '\t' ? r + 1 : NULL;
	*o = '\0';
	return s;
}

/* Hand the complete "log" records that came to j->log, and take them out
 * of the buffer: the lines of a chatty -v run must not fill it. */
static void
take_logs(struct rn_job *j)
{
	while (j->scanned < j->len) {
		char *p = j->buf + j->scanned, *eol = memchr(p, '\n', j->len - j->scanned), *rest;
		size_t n;

		if (!eol)
			break;
		n = (size_t)(eol - p) + 1;
		if (n <= 4 || strncmp(p, "log\t", 4) != 0) {
			j->scanned += n;
			continue;
		}
		*eol = '\0';
		rest = p + 4;
		if (j->log)
			j->log(j->log_arg, j->label, field(&rest));
		memmove(p, eol + 1, j->len - j->scanned - n);
		j->len -= n;
		j->buf[j->len] = '\0';
	}
}

int
rn_job_read(struct rn_job *j)
{
	for (;;) {
		ssize_t n;

		if (j->len + 4096 + 1 > j->cap) {
			size_t cap = j->cap ? j->cap * 2 : 16384;
			char *nb = cap <= RESULTS_MAX ? realloc(j->buf, cap) : NULL;

			if (!nb) {
				/* A sandbox that floods its results: stop it. */
				rn_job_kill(j);
				close(j->fd);
				j->fd = -1;
				return 1;
			}
			j->buf = nb;
			j->cap = cap;
		}
		n = read(j->fd, j->buf + j->len, 4096);
		if (n > 0) {
			j->len += (size_t)n;
			j->buf[j->len] = '\0';
			continue;
		}
		take_logs(j);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		close(j->fd);	/* EOF: the sandbox is gone or done */
		j->fd = -1;
		return 1;
	}
}

int
rn_job_check_deadline(struct rn_job *j, long now)
{
	if (j->pid > 0 && !j->killed && now > j->deadline_ms) {
		kill(j->pid, SIGKILL);
		j->killed = 1;
		return 1;
	}
	return 0;
}

void
rn_job_kill(struct rn_job *j)
{
	if (j->pid > 0)
		kill(j->pid, SIGKILL);
}


static void
parse_results(struct rn_job *j, const char **done)
{
	char *p = j->buf;

	while (p && *p) {
		char *eol = strchr(p, '\n'), *rest, *kind;

		if (!eol)
			break;
		*eol = '\0';
		rest = p;
		p = eol + 1;
		kind = rest;
		rest = strchr(rest, '\t');
		if (!rest) {
			continue;
		}
		*rest++ = '\0';
		if (!strcmp(kind, "check")) {
			struct rn_check c, *nc;
			char *line = field(&rest), *ok = field(&rest), *text = field(&rest);
			char *why = field(&rest), *ev = field(&rest);

			if (!ok || !(nc = realloc(j->res.checks, (j->res.nchecks + 1) * sizeof *nc)))
				continue;
			j->res.checks = nc;
			c.line = atoi(line);
			c.passed = *ok == '1';
			c.text = strdup(text ? text : "");
			c.why = strdup(why ? why : "");
			c.evidence = strdup(ev ? ev : "");
			j->res.checks[j->res.nchecks++] = c;
		} else if (!strcmp(kind, "time")) {
			struct rn_timing *nt;
			char *name = field(&rest), *ms = field(&rest);

			if (!ms || !(nt = realloc(j->res.timings, (j->res.ntimings + 1) * sizeof *nt)))
				continue;
			j->res.timings = nt;
			nt[j->res.ntimings].name = strdup(name);
			nt[j->res.ntimings++].ms = atol(ms);
		} else if (!strcmp(kind, "error") || !strcmp(kind, "config-error")) {
			char *m = field(&rest);

			if (!j->res.message) {
				j->res.message = strdup(m ? m : "");
				j->res.config_error = !strcmp(kind, "config-error");
			}
		} else if (!strcmp(kind, "change")) {
			char *m = field(&rest), **nc;

			if (m && (nc = realloc(j->res.changes, (j->res.nchanges + 1) * sizeof *nc))) {
				j->res.changes = nc;
				if ((nc[j->res.nchanges] = strdup(m)))
					j->res.nchanges++;
			}
		} else if (!strcmp(kind, "step")) {
			char *from = field(&rest), *to = field(&rest), *k = field(&rest);
			char *text = field(&rest);
			struct rn_step *ns;

			if (!text || !(ns = realloc(j->res.steps, (j->res.nsteps + 1) * sizeof *ns)))
				continue;
			j->res.steps = ns;
			ns += j->res.nsteps;
			ns->from = strdup(from);
			ns->to = strdup(to);
			ns->kind = strdup(k);
			ns->text = strdup(text);
			if (ns->from && ns->to && ns->kind && ns->text)
				j->res.nsteps++;
			else {
				free(ns->from);
				free(ns->to);
				free(ns->kind);
				free(ns->text);
			}
		} else if (!strcmp(kind, "done"))
			*done = field(&rest);
	}
}

/* 0, or -1 with errno set. */
static int
write_result_file(struct rn_job *j)
{
	char path[MX_PATH_MAX];
	FILE *fp;
	int fd;

	/* The sandbox could leave a link here: replace, never follow it. */
	if (mx_path(path, sizeof path, "%s/result.txt", j->res.dir) < 0 ||
	    (unlink(path) < 0 && errno != ENOENT))
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return -1;
	if (!(fp = fdopen(fd, "w"))) {
		close(fd);
		return -1;
	}
	fprintf(fp, "%s: %s\n", j->label, j->res.status == RN_PASS ? "pass" :
		j->res.status == RN_FAIL ? "fail" : "error");
	if (j->res.message)
		fprintf(fp, "%s: %s\n", j->res.config_error ? "configuration error" : "error",
			j->res.message);
	if (j->res.nchanges) {
		fprintf(fp, "the sandbox's changes to %s:\n",
			j->sc->postfix_config ? j->sc->postfix_config : "the configuration");
		for (size_t i = 0; i < j->res.nchanges; i++)
			fprintf(fp, "  %s\n", j->res.changes[i]);
	}
	for (size_t i = 0; i < j->res.nchecks; i++) {
		const struct rn_check *c = &j->res.checks[i];

		fprintf(fp, "%s line %d: %s\n", c->passed ? "ok  " : "FAIL", c->line, c->text);
		if (!c->passed)
			fprintf(fp, "  %s\n%s%s", c->why, c->evidence, *c->evidence ? "\n" : "");
	}
	if (ferror(fp)) {
		fclose(fp);
		return (errno = EIO), -1;
	}
	return fclose(fp);
}

/* What keeping the scenario's directory failed at: the run's error. */
static void
keep_failed(struct rn_job *j, const char *what)
{
	char m[MX_PATH_MAX + 200];

	snprintf(m, sizeof m, "%s %s: %s", what, j->res.dir,
		 errno == ENAMETOOLONG ? "path too long" : strerror(errno));
	j->res.status = RN_ERROR;
	if (!j->res.message)
		j->res.message = strdup(m);
}

pid_t
rn_job_finish(struct rn_job *j, const struct rn_options *opt)
{
	const char *done = NULL;
	pid_t exiting = -1;
	int st = 0;

	if (j->fd >= 0) {
		while (!rn_job_read(j))
			;
	}
	j->res.seconds = (rn_now_ms() - j->start_ms) / 1000.0;
	if (j->buf)
		parse_results(j, &done);
	/* A sandbox that passed and leaves nothing to keep has said all it
	 * has to say: it may go on exiting (its last closes, the kernel ending
	 * its PID namespace) while the next scenario starts. */
	if (j->pid > 0 && done && !strcmp(done, "pass") && !opt->keep && !j->killed)
		exiting = j->pid;
	else if (j->pid > 0) {
		while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	j->pid = -1;
	if (j->tty_saved) {
		signal(SIGTTOU, SIG_IGN);
		tcsetattr(0, TCSANOW, &j->tty);
		signal(SIGTTOU, SIG_DFL);
		j->tty_saved = 0;
	}
	if (done && !strcmp(done, "pass"))
		j->res.status = RN_PASS;
	else if (done && !strcmp(done, "fail"))
		j->res.status = RN_FAIL;
	else {
		j->res.status = RN_ERROR;
		if (!j->res.message) {
			char m[200];

			if (j->killed)
				snprintf(m, sizeof m, "the sandbox did not finish within %u ms (+15 s) and was killed",
					 j->sc->timeout_ms);
			else
				snprintf(m, sizeof m, "the sandbox ended without a result (%s %d)",
					 WIFSIGNALED(st) ? "signal" : "exit",
					 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			j->res.message = strdup(m);
		}
	}
	free(j->buf);
	j->buf = NULL;
	if (j->sc->mta_driver == &mta_postfix && j->res.status != RN_SKIP) {
		char log[PATH_MAX];

		snprintf(log, sizeof log, "%s/%s", j->sc->mta_driver->name,
			 j->sc->mta_driver->log_rel);
		rn_tls_read(&j->res, j->res.dir, log);
	}
	if (opt->keep || j->res.status != RN_PASS) {
		/* what stays must be inert */
		if (mx_strip_setid(j->res.dir) < 0)
			keep_failed(j, "clearing set-ID bits in");
		if (write_result_file(j) < 0)
			keep_failed(j, "writing result.txt in");
		j->res.kept = 1;
	} else if (exiting < 0)
		mx_rm_tree(j->res.dir);
	return exiting;
}

int
rn_exiting_reap(pid_t pid, const char *dir, int wait)
{
	pid_t r;

	while ((r = waitpid(pid, NULL, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 0;
	mx_rm_tree(dir);	/* nothing runs in it any more */
	return 1;
}

int
rn_template_make(const char *dir, const struct rn_options *opt, char *err, size_t errlen)
{
	struct rn_sandbox_arg a = {
		.dir = dir, .label = "template", .sys = opt->sys, .sandbox_root = opt->sandbox_root,
	};
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int p[2], st = 0;

	if (mx_mkdir_p(dir) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	a.result_fd = p[1];
	pid = sb_spawn(rn_template_main, &a, err, errlen);
	close(p[1]);
	while (pid > 0 && (n = read(p[0], buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			len += (size_t)n;
		if (len == sizeof buf - 1)
			break;
	}
	buf[len] = '\0';
	close(p[0]);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	{
		char *rest = strchr(buf, '\t'), *m;

		buf[strcspn(buf, "\n")] = '\0';
		m = rest ? (rest++, field(&rest)) : NULL;
		snprintf(err, errlen, "making the queue template %s: %s", dir,
			 m && *m ? m : "the sandbox failed");
	}
	return -1;
}
