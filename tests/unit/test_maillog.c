/*
 * test_maillog.c: ml_parse_line on real Postfix 3.7 lines
 * (tests/unit/data/maillog/, see their headers) and on hostile ones;
 * ml_tail on a file written in pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "test_data.h"
#include "maillog.h"

/* The data directory: MXLAB_TEST_DATA/maillog, else beside this source
 * (__FILE__ is relative to where the compiler ran), else found from the
 * working directory upwards. */
static const char *
data_dir(void)
{
	return test_data_dir("maillog");
}

/* The lines of a data file that are not comments, '\n'-joined. */
static char *
read_data(const char *name)
{
	char path[4200], line[8192];
	FILE *f;
	char *out;
	size_t len = 0, cap = 65536;

	snprintf(path, sizeof path, "%s/%s", data_dir(), name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (cwd-relative; set MXLAB_TEST_DATA)", path);
	out = malloc(cap);
	assert_non_null(out);
	out[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);

		if (line[0] == '#')
			continue;
		assert_true(len + n + 1 < cap);
		memcpy(out + len, line, n + 1);
		len += n;
	}
	fclose(f);
	return out;
}

/* The first line of a data file containing needle, parsed. */
static void
parse_found(const char *file, const char *needle, struct mta_event *ev)
{
	char *all = read_data(file), *p = strstr(all, needle), *b, *e;

	if (!p)
		fail_msg("%s: no line with '%s'", file, needle);
	b = p;
	while (b > all && b[-1] != '\n')
		b--;
	e = strchr(p, '\n');
	assert_int_equal(ml_parse_line(b, e ? (size_t)(e - b) : strlen(b), ev), 0);
	free(all);
}

static void
test_sent_clear(void **state)
{
	struct mta_event ev;

	(void)state;
	parse_found("clear.log", "status=sent", &ev);
	assert_string_equal(ev.time, "Nov 28 23:12:05");
	assert_string_equal(ev.service, "postfix/smtp");
	assert_string_equal(ev.daemon, "smtp");
	assert_int_equal(ev.pid, 219);
	assert_string_equal(ev.queue_id, "41DC0A74A6A");
	assert_string_equal(ev.rcpt, "bob@clear.example");
	assert_string_equal(ev.orig_rcpt, "");
	assert_string_equal(ev.relay, "clear.example[127.0.0.11]:25");
	assert_string_equal(ev.dsn, "2.0.0");
	assert_string_equal(ev.status, "sent");
	assert_string_equal(ev.status_text, "250 2.0.0 Ok: queued as 000001");
	assert_true(strncmp(ev.text, "41DC0A74A6A: to=<bob@clear.example>, ", 37) == 0);
}

/* Every TLS failure: the verification line has no queue ID, the status
 * line is deferred 4.7.5. */
static void
test_secure_failures(void **state)
{
	static const struct {
		const char *file, *why, *rcpt, *qid;
	} c[] = {
		{ "secure-leafonly.log", "untrusted issuer /CN=mxlab Test Intermediate CA", "bob@leafonly.example", "E1C84A74A74" },
		{ "secure-selfsigned.log", ": self-signed certificate", "bob@selfsigned.example", "741F5A74A7A" },
		{ "secure-expired.log", ": certificate has expired", "bob@expired.example", "063E4A74A80" },
		{ "secure-wrongname.log", "num=62:hostname mismatch", "bob@wrongname.example", "8C9D3A74A86" },
		{ "secure-unknownroot.log", "untrusted issuer /CN=mxlab Unrelated Root CA", "bob@unknownroot.example", "1EA8CA74A8B" },
	};
	struct mta_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		parse_found(c[i].file, c[i].why, &ev);
		assert_string_equal(ev.daemon, "smtp");
		assert_int_equal(ev.pid, 219);
		assert_string_equal(ev.queue_id, "");
		assert_string_equal(ev.status, "");
		assert_non_null(strstr(ev.text, "verification failed for "));
		parse_found(c[i].file, "Untrusted TLS connection established", &ev);
		assert_string_equal(ev.queue_id, "");
		assert_true(strncmp(ev.text, "Untrusted TLS", 13) == 0);
		parse_found(c[i].file, "status=", &ev);
		assert_string_equal(ev.queue_id, c[i].qid);
		assert_string_equal(ev.rcpt, c[i].rcpt);
		assert_string_equal(ev.dsn, "4.7.5");
		assert_string_equal(ev.status, "deferred");
		assert_string_equal(ev.status_text, "Server certificate not verified");
	}
}

static void
test_tls_levels(void **state)
{
	struct mta_event ev;

	(void)state;
	parse_found("secure-verified.log", "Verified TLS", &ev);
	assert_string_equal(ev.text, "Verified TLS connection established to "
			    "verified.example[127.0.0.14]:25: TLSv1.2 with cipher "
			    "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)");
	parse_found("may-trusted.log", "Trusted TLS", &ev);
	assert_string_equal(ev.daemon, "smtp");
	parse_found("smtpd-tls.log", "Anonymous TLS connection established from", &ev);
	assert_string_equal(ev.daemon, "smtpd");
	assert_int_equal(ev.pid, 135);
	assert_string_equal(ev.queue_id, "");
	parse_found("smtpd-tls.log", "connect from", &ev);
	assert_string_equal(ev.text, "connect from localhost[127.0.0.1]");
	parse_found("smtpd-tls.log", "disconnect from", &ev);
	assert_string_equal(ev.queue_id, "");
	parse_found("smtpd-tls.log", "client=localhost", &ev);
	assert_string_equal(ev.queue_id, "AC5B8A74AA4");
	assert_string_equal(ev.status, "");
	assert_string_equal(ev.rcpt, "");
}

static void
test_deferred_and_bounced(void **state)
{
	struct mta_event ev;

	(void)state;
	parse_found("encrypt-notls.log", "status=", &ev);
	assert_string_equal(ev.dsn, "4.7.4");
	assert_string_equal(ev.status, "deferred");
	assert_string_equal(ev.status_text, "TLS is required, but was not offered "
			    "by host notls.example[127.0.0.15]");
	parse_found("encrypt-tls11.log", "status=", &ev);
	assert_string_equal(ev.status_text, "Cannot start TLS: handshake failure");
	parse_found("encrypt-tls11.log", "TLS library problem", &ev);
	assert_string_equal(ev.queue_id, "");	/* "warning: " is no queue ID */
	assert_true(strncmp(ev.text, "warning: TLS library problem", 28) == 0);
	parse_found("refused.log", "status=", &ev);
	assert_string_equal(ev.relay, "none");
	assert_string_equal(ev.dsn, "4.4.1");
	assert_string_equal(ev.status_text, "connect to refused.example[127.0.0.30]:25: "
			    "Connection refused");
	parse_found("bounce.log", "status=bounced", &ev);
	assert_string_equal(ev.dsn, "5.1.1");
	assert_string_equal(ev.status_text, "host bounce.example[127.0.0.22] said: "
			    "550 5.1.1 no such user (in reply to RCPT TO command)");
	parse_found("bounce.log", "sender non-delivery notification", &ev);
	assert_string_equal(ev.daemon, "bounce");
	assert_string_equal(ev.queue_id, "A53ECA74A99");
}

/* Long queue IDs and qmgr's "status=expired" line (from=, no to=). */
static void
test_expired_long_ids(void **state)
{
	struct mta_event ev;

	(void)state;
	parse_found("expired-notls.log", "status=deferred", &ev);
	assert_string_equal(ev.queue_id, "4jcQzP3dzpz1bd8q");
	assert_string_equal(ev.rcpt, "bob@notls.example");
	parse_found("expired-notls.log", "status=expired", &ev);
	assert_string_equal(ev.daemon, "qmgr");
	assert_string_equal(ev.queue_id, "4jcQzP3dzpz1bd8q");
	assert_string_equal(ev.rcpt, "");
	assert_string_equal(ev.status, "expired");
	assert_string_equal(ev.status_text, "returned to sender");
	assert_string_equal(ev.dsn, "");
	parse_found("expired-refused.log", "message-id=<4jcQzQ0B6Fz1bd91@", &ev);
	assert_string_equal(ev.queue_id, "4jcQzQ0B6Fz1bd91");
	parse_found("startup.log", "daemon started", &ev);
	assert_string_equal(ev.daemon, "master");
	assert_string_equal(ev.queue_id, "");
}

/* Every line of every data file parses, and delivery lines have fields. */
static void
test_all_lines(void **state)
{
	static const char *const files[] = {
		"startup.log", "clear.log", "may-trusted.log", "may-untrusted.log",
		"may-tls11.log", "secure-verified.log", "encrypt-notls.log",
		"encrypt-tls11.log", "secure-leafonly.log", "secure-selfsigned.log",
		"secure-expired.log", "secure-wrongname.log", "secure-unknownroot.log",
		"bounce.log", "refused.log", "smtpd-tls.log", "expired-notls.log",
		"expired-refused.log",
	};
	struct mta_event ev;
	size_t lines = 0;

	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *all = read_data(files[i]), *p = all, *e;

		for (; *p; p = e + 1) {
			e = strchr(p, '\n');
			assert_non_null(e);
			assert_int_equal(ml_parse_line(p, (size_t)(e - p), &ev), 0);
			assert_true(strncmp(ev.time, "Nov 28 ", 7) == 0);
			assert_true(strncmp(ev.service, "postfix/", 8) == 0);
			assert_true(ev.pid > 0);
			if (strstr(ev.text, " to=<")) {
				assert_true(ev.queue_id[0] != '\0');
				assert_true(ev.rcpt[0] != '\0');
				assert_true(ev.dsn[0] != '\0');
				assert_true(ev.status[0] != '\0');
				assert_true(ev.relay[0] != '\0');
			}
			lines++;
		}
		free(all);
	}
	assert_true(lines > 100);
}

static void
test_other_formats(void **state)
{
	struct mta_event ev;
	const char *l;

	(void)state;
	l = "2026-11-28T23:08:26.123456+00:00 mx postfix-in/submission/smtpd[77]: "
	    "4Nz1x52K3Vz9sB4: client=localhost[127.0.0.1], sasl_method=PLAIN\n";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.time, "2026-11-28T23:08:26.123456+00:00");
	assert_string_equal(ev.service, "postfix-in/submission/smtpd");
	assert_string_equal(ev.daemon, "smtpd");
	assert_int_equal(ev.pid, 77);
	assert_string_equal(ev.queue_id, "4Nz1x52K3Vz9sB4");
	assert_string_equal(ev.line, l[0] ? "2026-11-28T23:08:26.123456+00:00 mx "
			    "postfix-in/submission/smtpd[77]: 4Nz1x52K3Vz9sB4: "
			    "client=localhost[127.0.0.1], sasl_method=PLAIN" : "");
	/* syslog's space-padded day, CRLF, orig_to */
	l = "Nov  1 01:02:03 h postfix/smtp[9]: ABCDEF123: to=<b@x>, orig_to=<a@y>, "
	    "relay=x[1.2.3.4]:25, dsn=2.0.0, status=sent (ok)\r\n";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.time, "Nov  1 01:02:03");
	assert_string_equal(ev.rcpt, "b@x");
	assert_string_equal(ev.orig_rcpt, "a@y");
	assert_string_equal(ev.status_text, "ok");
	/* no time, no host: still a line of smtp */
	l = "postfix/smtp[1]: hello";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.time, "");
	assert_string_equal(ev.text, "hello");
	/* NOQUEUE and lowercase words are no queue IDs */
	l = "Nov 28 23:12:05 pf postfix/smtpd[1]: NOQUEUE: reject: RCPT from x";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.queue_id, "");
	l = "Nov 28 23:12:05 pf postfix/smtpd[1]: statistics: max connection rate";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.queue_id, "");
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"", "   ", "\n", "no brackets here at all", "postfix/smtp: x",
		"postfix/smtp[]: x", "postfix/smtp[12 x", "Nov 28 23:12:05 pf postfix/smtp[12]x",
		"[1]: x", "a b c d e f g h i postfix/smtp[1]: too far right",
	};
	struct mta_event ev;
	char *huge;
	size_t n = 3 * ML_LINE_MAX;
	const char *l;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(ml_parse_line(bad[i], strlen(bad[i]), &ev), -1);
		assert_ptr_equal(ev.text, ev.line);
		assert_string_equal(ev.daemon, "");
	}
	assert_int_equal(ml_parse_line(NULL, 0, &ev), -1);

	/* huge: cut, every field bounded */
	huge = malloc(n + 1);
	assert_non_null(huge);
	memset(huge, 'A', n);
	huge[n] = '\0';
	assert_int_equal(ml_parse_line(huge, n, &ev), -1);
	assert_int_equal(strlen(ev.line), ML_LINE_MAX - 1);
	l = "Nov 28 23:12:05 pf postfix/smtp[1]: ABCDEF0123: to=<";
	memcpy(huge, l, strlen(l));
	assert_int_equal(ml_parse_line(huge, n, &ev), 0);
	assert_int_equal(strlen(ev.rcpt), sizeof ev.rcpt - 1);
	assert_string_equal(ev.queue_id, "ABCDEF0123");
	memcpy(huge + 1000, ", relay=", 8);
	memcpy(huge + 2000, ", status=sent (", 15);
	assert_int_equal(ml_parse_line(huge, n, &ev), 0);
	assert_int_equal(strlen(ev.relay), sizeof ev.relay - 1);
	assert_string_equal(ev.status, "sent");
	assert_int_equal(strlen(ev.status_text), sizeof ev.status_text - 1);
	memset(huge + 2000, 'y', 30);	/* a 30-letter status is cut */
	memcpy(huge + 1990, ", status=", 9);
	assert_int_equal(ml_parse_line(huge, n, &ev), 0);
	assert_int_equal(strlen(ev.status), sizeof ev.status - 1);
	/* a huge service name */
	memset(huge, 'p', n);
	memcpy(huge + n - 10, "[1]: text", 9);
	huge[n - 1] = '\0';
	ml_parse_line(huge, n - 1, &ev);
	assert_true(strlen(ev.service) < sizeof ev.service);
	free(huge);

	/* missing fields and odd shapes */
	l = "Nov 28 23:12:05 pf postfix/smtp[1]: ABCDEF0123: status=";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.status, "");
	l = "Nov 28 23:12:05 pf postfix/smtp[1]: ABCDEF0123: to=<x, status=sent (unclosed";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.status, "sent");
	assert_string_equal(ev.status_text, "unclosed");
	l = "Nov 28 23:12:05 pf postfix/smtp[1]: ABCDEF0123:";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_string_equal(ev.queue_id, "");
	l = "Nov 28 23:12:05 pf postfix/smtp[99999999999999999999999]: x";
	assert_int_equal(ml_parse_line(l, strlen(l), &ev), 0);
	assert_true(ev.pid > 0);
	/* a NUL inside the given length ends the line */
	assert_int_equal(ml_parse_line("postfix/smtp[1]: a\0b", 20, &ev), 0);
	assert_string_equal(ev.text, "a");
}

/* ---- ml_tail ---- */

static char tmpdir[256];

static int
tail_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_maillog.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
tail_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
append(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
	close(fd);
}

static long
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void
test_tail_pieces(void **state)
{
	char path[300], err[256];
	struct ml_tail *t;
	struct mta_event ev;
	struct timespec t0;
	const char *l1 = "Nov 28 23:12:05 pf postfix/smtp[219]: Verified TLS connection\n";
	char *big;

	(void)state;
	snprintf(path, sizeof path, "%s/maillog", tmpdir);
	t = ml_tail_open(path, ml_parse_line, err, sizeof err);	/* not there yet */
	assert_non_null(t);
	assert_true(ml_tail_fd(t) >= 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ml_tail_next(t, &ev, 50), 0);
	assert_true(ms_since(&t0) < 1000);
	assert_int_equal(ml_tail_next(t, &ev, 0), 0);

	append(path, l1, 20);			/* created now, partial */
	assert_int_equal(ml_tail_next(t, &ev, 30), 0);
	append(path, l1 + 20, strlen(l1) - 20);
	assert_int_equal(ml_tail_next(t, &ev, 1000), 1);
	assert_string_equal(ev.daemon, "smtp");
	assert_string_equal(ev.text, "Verified TLS connection");
	assert_int_equal(ml_tail_next(t, &ev, 0), 0);

	/* two lines at once, then a line cut at ML_LINE_MAX, then one more */
	append(path, "postfix/qmgr[1]: a\npostfix/qmgr[1]: b\n", 38);
	assert_int_equal(ml_tail_next(t, &ev, 1000), 1);
	assert_string_equal(ev.text, "a");
	assert_int_equal(ml_tail_next(t, &ev, 0), 1);
	assert_string_equal(ev.text, "b");
	big = malloc(3 * ML_LINE_MAX);
	assert_non_null(big);
	memset(big, 'x', 3 * ML_LINE_MAX);
	memcpy(big, "postfix/smtp[2]: ", 17);
	append(path, big, 3 * ML_LINE_MAX);
	assert_int_equal(ml_tail_next(t, &ev, 30), 0);	/* no newline yet */
	append(path, "\npostfix/smtp[3]: after\n", 24);
	assert_int_equal(ml_tail_next(t, &ev, 1000), 1);
	assert_int_equal(strlen(ev.line), ML_LINE_MAX - 1);
	assert_int_equal(ev.pid, 2);
	assert_int_equal(ml_tail_next(t, &ev, 1000), 1);
	assert_int_equal(ev.pid, 3);
	assert_string_equal(ev.text, "after");
	free(big);

	/* the timeout is honoured without data */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ml_tail_next(t, &ev, 100), 0);
	assert_true(ms_since(&t0) >= 90);
	assert_true(ms_since(&t0) < 1000);
	ml_tail_close(t);
	ml_tail_close(NULL);
}

/* A writer in another process: the reader wakes on inotify, not on a
 * sleep of its own. */
static void
test_tail_wakes(void **state)
{
	char path[300], err[256];
	struct ml_tail *t;
	struct mta_event ev;
	struct timespec t0;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof path, "%s/later.log", tmpdir);
	t = ml_tail_open(path, ml_parse_line, err, sizeof err);
	assert_non_null(t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec d = { 0, 100 * 1000000L };

		nanosleep(&d, NULL);
		append(path, "postfix/smtp[5]: x\n", 19);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ml_tail_next(t, &ev, 5000), 1);
	assert_true(ms_since(&t0) < 2000);
	assert_int_equal(ev.pid, 5);
	ml_tail_close(t);
}

static void
test_tail_errors(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(ml_tail_open("/nonexistent-dir-mxlab/maillog", ml_parse_line, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir-mxlab"));
	assert_null(ml_tail_open("/tmp/", ml_parse_line, err, sizeof err));
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_sent_clear),
		cmocka_unit_test(test_secure_failures),
		cmocka_unit_test(test_tls_levels),
		cmocka_unit_test(test_deferred_and_bounced),
		cmocka_unit_test(test_expired_long_ids),
		cmocka_unit_test(test_all_lines),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test_setup_teardown(test_tail_pieces, tail_setup, tail_teardown),
		cmocka_unit_test_setup_teardown(test_tail_wakes, tail_setup, tail_teardown),
		cmocka_unit_test(test_tail_errors),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
