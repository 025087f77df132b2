/*
 * runner_tls.c: the TLS outcomes of a scenario's maillog, each named by
 * its cause and RFC 8460 result type, for the JSON and JUnit reports
 * (runner.h: rn_result.tls; docs/runner.md).
 *
 * Offers rn_tls_read(): the maillog a Postfix scenario leaves
 * (DIR/postfix/maillog) read by `mxlab diagnose`'s library
 * (mxlab/diagnose.h), which links each TLS line to its delivery and names
 * its cause from the one table (probe's tlscause.h): one rn_tls per
 * destination and cause. The same classifier, not a second one. Errors:
 * none reported; a maillog that cannot be read, or no memory, leaves the
 * list empty.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxlab/diagnose.h"
#include "runner.h"

void
rn_tls_read(struct rn_result *r, const char *maillog)
{
	static char buf[65536];
	struct mxlab_diagnose_entry e;
	mxlab_diagnose *d;
	ssize_t n;
	size_t count;
	int fd = open(maillog, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!(d = mxlab_diagnose_new())) {
		close(fd);
		return;
	}
	mxlab_diagnose_begin(d, maillog);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		mxlab_diagnose_feed(d, buf, (size_t)n);
	mxlab_diagnose_end(d);
	close(fd);
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
