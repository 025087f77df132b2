/*
 * runner_tls.c: the TLS outcomes of a scenario, each named by its cause
 * and RFC 8460 result type, for the JSON and JUnit reports (runner.h:
 * rn_result.tls; docs/runner.md).
 *
 * Offers rn_tls_read(): the logs a scenario leaves in its directory (the
 * MTA-STS resolver's DIR/mta-sts/mta-sts-daemon.log when it ran, then
 * Postfix's DIR/postfix/maillog) read by `mxlab diagnose`'s library
 * (mxlab/diagnose.h), which links each TLS line to its delivery and names
 * its cause from the one table (probe's tlscause.h): one rn_tls per
 * destination and cause. The same classifier, not a second one.
 *
 * The host reads what a sandbox wrote, so a log is opened beneath the
 * scenario's directory with no symbolic link followed (mx_open_beneath),
 * must be a regular file (a FIFO or a device is never read: opened
 * non-blocking, checked before a byte is read) and is read up to
 * RN_TLS_LOG_MAX bytes. Errors: none reported; a log that cannot be read,
 * or no memory, leaves the list empty or shorter.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "mxlab/diagnose.h"
#include "runner.h"

#define RN_TLS_LOG_MAX (256u << 20)	/* bytes of one log read */

/* dir/rel fed to d, if it is a regular file beneath dir. */
static void
feed(mxlab_diagnose *d, int dfd, const char *rel)
{
	static char buf[65536];
	struct stat st;
	size_t total = 0;
	ssize_t n;
	int fd = mx_open_beneath(dfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	mxlab_diagnose_begin(d, rel);
	while (total < RN_TLS_LOG_MAX && (n = read(fd, buf, sizeof buf)) > 0) {
		mxlab_diagnose_feed(d, buf, (size_t)n);
		total += (size_t)n;
	}
	mxlab_diagnose_end(d);
	close(fd);
}

void
rn_tls_read(struct rn_result *r, const char *dir, const char *maillog_rel)
{
	struct mxlab_diagnose_entry e;
	mxlab_diagnose *d;
	size_t count;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return;
	if (!(d = mxlab_diagnose_new())) {
		close(dfd);
		return;
	}
	feed(d, dfd, "mta-sts/mta-sts-daemon.log");
	feed(d, dfd, maillog_rel);
	close(dfd);
	mxlab_diagnose_finish(d);
	count = mxlab_diagnose_count(d);
	r->tls = count ? calloc(count, sizeof *r->tls) : NULL;
	for (size_t i = 0; r->tls && mxlab_diagnose_entry(d, i, &e) == 0; i++) {
		struct rn_tls *t = &r->tls[r->ntls];

		t->daemon = strdup(e.daemon);
		t->destination = strdup(e.destination);
		t->cause = strdup(e.cause);
		t->result_type = strdup(e.result_type ? e.result_type : "validation-failure");
		t->failure = e.failure;
		t->count = e.count;
		if (!t->daemon || !t->destination || !t->cause || !t->result_type) {
			free(t->daemon);
			free(t->destination);
			free(t->cause);
			free(t->result_type);
			break;
		}
		r->ntls++;
	}
	mxlab_diagnose_free(d);
}
