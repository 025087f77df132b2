/*
 * mta_exec.c: the exec driver (mta.h): a program mxlab does not know,
 * described by commands (struct mta_exec_config). start runs with sh -c
 * in the instance directory, in its own process group, its output in
 * DIR/exec.out; the log followed is the one it names (or exec.out), each
 * line an event with its text only (no queue IDs, statuses or TLS words
 * are guessed). Ready is the first line matching ready (or at once
 * without one); a start command that ends before its ready line fails
 * the scenario with its exit status. A one-shot client (msmtp) is fine:
 * it may exit once it has done its job.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mta.h"
#include "mta_exec.h"
#include "mta_proc.h"
#include "pfinst.h"

#define CFG(m) ((const struct mta_exec_config *)(m)->cfg)

static struct mta_proc *
proc(struct mta *m)
{
	return m->priv;
}

static const char *
ex_unmet(char *buf, size_t len)
{
	if (access("/bin/sh", X_OK) < 0) {
		snprintf(buf, len, "/bin/sh: %s", strerror(errno));
		return buf;
	}
	return NULL;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Run cmd with sh -c in dir, its output in out; wait at most timeout_ms. */
static int
run_sh(struct mta *m, const char *cmd, const char *out, int timeout_ms, struct mta_proc *p,
       char *err, size_t errlen)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	if (mta_proc_start(p, argv, m->dir, out, NULL, 1, err, errlen) < 0)
		return -1;
	if (!mta_proc_wait(p, timeout_ms)) {
		mta_proc_stop(p, 100);
		snprintf(err, errlen, "'%s' did not end within %d ms", cmd, timeout_ms);
		return -1;
	}
	return 0;
}

static int
ex_version(struct mta *m, char *buf, size_t len, char *err, size_t errlen)
{
	struct mta_proc p;
	char out[4200];
	FILE *fp;

	if (!CFG(m)->version) {
		snprintf(buf, len, "exec (no version command)");
		return 0;
	}
	if (snprintf(out, sizeof out, "%s/exec-version.out", m->dir) >= (int)sizeof out) {
		snprintf(err, errlen, "%s: path too long", m->dir);
		return -1;
	}
	unlink(out);
	if (run_sh(m, CFG(m)->version, out, 5000, &p, err, errlen) < 0)
		return -1;
	buf[0] = '\0';
	if ((fp = fopen(out, "r"))) {
		if (fgets(buf, (int)len, fp))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
	return 0;
}

static int
ex_render(struct mta *m, char *err, size_t errlen)
{
	const char *log = CFG(m)->log;
	int n = log ? snprintf(m->log, sizeof m->log, "%s", log) :
		      snprintf(m->log, sizeof m->log, "%s/exec.out", m->dir);

	if (mkdir(m->dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", m->dir, strerror(errno));
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof m->log) {
		snprintf(err, errlen, "log: path too long");
		return -1;
	}
	if (!(m->priv = calloc(1, sizeof(struct mta_proc)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	proc(m)->pid = -1;
	return 0;
}

static int
ex_start(struct mta *m, char *err, size_t errlen)
{
	const char *argv[] = { "/bin/sh", "-c", CFG(m)->start, NULL };
	const char *lib = m->faketime ? pf_faketime_lib() : NULL;
	const char *env[] = { "LD_PRELOAD", lib, "FAKETIME", m->faketime, NULL };
	char out[4200];

	if (m->faketime && !lib) {
		snprintf(err, errlen, "faketime: libfaketime is not installed");
		return -1;
	}
	if (snprintf(out, sizeof out, "%s/exec.out", m->dir) >= (int)sizeof out) {
		snprintf(err, errlen, "%s: path too long", m->dir);
		return -1;
	}
	return mta_proc_start(proc(m), argv, m->dir, out, lib ? env : NULL, 1, err, errlen);
}

static int
ex_wait_ready(struct mta *m, struct ml_tail *t, int timeout_ms, mta_event_fn fn, void *arg,
	      char *err, size_t errlen)
{
	const char *ready = CFG(m)->ready;
	long end = now_ms() + timeout_ms;
	struct mta_event *ev;
	regex_t re;
	int rc = -1;

	if (!ready)
		return 0;
	if (regcomp(&re, ready, REG_EXTENDED | REG_NOSUB)) {
		snprintf(err, errlen, "ready: bad regular expression");
		return -1;
	}
	if (!(ev = malloc(sizeof *ev))) {
		regfree(&re);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		long left = end - now_ms();
		int r;

		if (left <= 0) {
			snprintf(err, errlen, "no line matching ready '%s' in %s within %d ms",
				 ready, m->log, timeout_ms);
			break;
		}
		r = ml_tail_next(t, ev, left < 200 ? (int)left : 200);
		if (r < 0) {
			snprintf(err, errlen, "%s: read error", m->log);
			break;
		}
		if (r > 0) {
			fn(arg, ev);
			if (regexec(&re, ev->line, 0, NULL, 0) == 0) {
				rc = 0;
				break;
			}
		} else if (mta_proc_reap(proc(m))) {
			char how[80];

			mta_proc_describe(proc(m), how, sizeof how);
			snprintf(err, errlen, "start command %s before a line matching ready '%s' "
				 "(its output: %s/exec.out)", how, ready, m->dir);
			break;
		}
	}
	free(ev);
	regfree(&re);
	return rc;
}

static int
ex_reap(struct mta *m)
{
	return m->priv && mta_proc_reap(proc(m));
}

static void
ex_stop(struct mta *m, int timeout_ms)
{
	char err[300], out[4200];
	struct mta_proc p;

	if (!m->priv)
		return;
	if (CFG(m)->stop && !mta_proc_reap(proc(m)) &&
	    snprintf(out, sizeof out, "%s/exec.out", m->dir) < (int)sizeof out)
		(void)run_sh(m, CFG(m)->stop, out, timeout_ms, &p, err, sizeof err);
	mta_proc_stop(proc(m), timeout_ms);
}

static void
ex_release(struct mta *m)
{
	free(m->priv);
	m->priv = NULL;
}

/* A line of a log mxlab does not know: its text, nothing guessed. */
static int
ex_parse(const char *line, size_t len, struct mta_event *ev)
{
	memset(ev, 0, sizeof *ev);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= sizeof ev->line)
		len = sizeof ev->line - 1;
	memcpy(ev->line, line, len);
	ev->line[len] = '\0';
	ev->text = ev->line;
	return 0;
}

const struct mta_driver mta_exec = {
	.log_rel = "exec.out",
	.resolv_options = "edns0",
	.name = "exec",
	.unmet = ex_unmet,
	.version = ex_version,
	.render = ex_render,
	.start = ex_start,
	.wait_ready = ex_wait_ready,
	.reap = ex_reap,
	.stop = ex_stop,
	.release = ex_release,
	.parse = ex_parse,
};
