/*
 * transcript.c: JSON-lines transcripts of peer sessions (see transcript.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transcript.h"

struct mx_transcript {
	FILE *fp;
	int is_stdout;
	pthread_mutex_t lock;
};

struct mx_transcript *
mx_transcript_open(const char *path, char *err, size_t errlen)
{
	struct mx_transcript *t = calloc(1, sizeof *t);

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		t->fp = stdout;
		t->is_stdout = 1;
	} else if (!(t->fp = fopen(path, "ae"))) {
		snprintf(err, errlen, "transcript %s: %s", path, strerror(errno));
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
mx_transcript_close(struct mx_transcript *t)
{
	if (!t)
		return;
	if (t->is_stdout)
		fflush(t->fp);
	else
		fclose(t->fp);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void
mx_time_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

void
mx_tr_begin(struct jw *w, unsigned long conn, const char *event)
{
	char now[40];

	jw_reset(w);
	mx_time_iso(now, sizeof now);
	jw_obj_begin(w);
	jw_kstr(w, "time", now);
	jw_kint(w, "conn", (long long)conn);
	jw_kstr(w, "event", event);
}

void
mx_tr_end(struct mx_transcript *t, struct jw *w)
{
	jw_obj_end(w);
	if (!t || w->failed || !w->buf)
		return;
	pthread_mutex_lock(&t->lock);
	fputs(w->buf, t->fp);
	fputc('\n', t->fp);
	fflush(t->fp);
	pthread_mutex_unlock(&t->lock);
}
