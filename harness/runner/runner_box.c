/*
 * runner_box.c: what a sandbox's PID 1 says to the runner (runner_int.h:
 * the rn_box_* functions): one record a line on its results pipe, the
 * kind then fields separated by tabs, with \t \n \\ escaped
 * (runner_sandbox.c lists the kinds; runner.c reads them); errors and a
 * lab check's messages (b->say) to the lab's terminal instead; and the
 * two file helpers every part of the sandbox uses (rn_write_text,
 * rn_box_path: a path cut short is an error, never a shorter path).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fsutil.h"
#include "runner_int.h"

static void
put_field(FILE *fp, const char *s)
{
	fputc('\t', fp);
	for (; s && *s; s++) {
		if (*s == '\t')
			fputs("\\t", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\\')
			fputs("\\\\", fp);
		else
			fputc(*s, fp);
	}
}

void
rn_record(FILE *out, const char *kind, int n, const char *const *fields)
{
	fputs(kind, out);
	for (int i = 0; i < n; i++)
		put_field(out, fields[i]);
	fputc('\n', out);
	fflush(out);
}

void
rn_box_record(struct box *b, const char *kind, int n, const char *const *fields)
{
	rn_record(b->out, kind, n, fields);
}

/* An "error" or "config-error" record. */
static void
box_error(struct box *b, const char *kind, const char *fmt, va_list ap)
{
	char msg[3 * MX_PATH_MAX];
	const char *f[1] = { msg };

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (b->say) {
		fprintf(b->say, "mxlab: %s\n", msg);
		return;
	}
	rn_record(b->out, kind, 1, f);
}

int
rn_box_config_fail(struct box *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	box_error(b, "config-error", fmt, ap);
	va_end(ap);
	return -1;
}

void
rn_box_change(struct box *b, const char *text)
{
	const char *f[1] = { text };

	rn_record(b->out, "change", 1, f);
	rn_box_log(b, "configuration: %s", text);
}

void
rn_box_log(struct box *b, const char *fmt, ...)
{
	char line[8192];
	const char *f[1] = { line };
	va_list ap;

	if (!b->a->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	rn_record(b->out, "log", 1, f);
}

void
rn_box_phase(struct box *b, const char *name)
{
	char ms[32];
	const char *f[2] = { name, ms };

	if (b->say)
		return;		/* a lab check's phases: not the run's */
	snprintf(ms, sizeof ms, "%ld", rn_now_ms() - b->t0);
	rn_record(b->out, "time", 2, f);
}

int
rn_box_fail(struct box *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	box_error(b, "error", fmt, ap);
	va_end(ap);
	return -1;
}

int
rn_write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	if (!fp)
		return -1;
	if (fputs(text, fp) < 0) {
		int e = errno;

		fclose(fp);
		return (errno = e), -1;
	}
	return fclose(fp);
}

int
rn_box_path(struct box *b, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = len ? vsnprintf(buf, len, fmt, ap) : -1;
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		return 0;
	{
		/* the whole path, for the message */
		char *whole = NULL;

		va_start(ap, fmt);
		if (vasprintf(&whole, fmt, ap) < 0)
			whole = NULL;
		va_end(ap);
		if (len)
			buf[0] = '\0';
		rn_box_fail(b, "%s: path too long", whole ? whole : fmt);
		free(whole);
	}
	errno = ENAMETOOLONG;
	return -1;
}
