/*
 * test_mta_log.c: the MTA-neutral events (mta.h) from the drivers' own
 * words. mta_exim_parse on real Exim 4.96 mainlog lines (copied from
 * `mxlab run -v scenarios/exim` and the exim-lab runs) and on hostile
 * ones; mta_postfix_tls, through ml_parse_line, on real Postfix 3.7 lines
 * (tests/unit/data/maillog/); mta_tls_name; mta_driver_find.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maillog.h"
#include "mta.h"
#include "mta_exim.h"

#define QID "1xY3J0-00000U-0i"
#define TS "2026-11-30 15:28:38"

static struct mta_event *
exim(const char *line)
{
	static struct mta_event ev;

	assert_int_equal(mta_exim_parse(line, strlen(line), &ev), 0);
	assert_string_equal(ev.line, line);
	assert_string_equal(ev.service, "exim");
	assert_string_equal(ev.daemon, "");
	return &ev;
}

static void
test_exim_delivered_verified(void **state)
{
	static const char line[] =
		TS " " QID " => user@partner.example R=to_partner T=remote_smtp "
		"H=mx.partner.example [127.0.0.10]:25 "
		"X=TLS1.2:ECDHE_SECP521R1__ECDSA_SHA256__CHACHA20_POLY1305:256 CV=yes "
		"DN=\"CN=mx.partner.example,OU=good,O=mxlab\" "
		"C=\"250 2.0.0 Ok: queued as 000001\" DT=0s";
	struct mta_event *ev;

	(void)state;
	ev = exim(line);
	assert_string_equal(ev->time, TS);
	assert_string_equal(ev->queue_id, QID);
	assert_string_equal(ev->rcpt, "user@partner.example");
	assert_string_equal(ev->orig_rcpt, "");
	assert_string_equal(ev->relay, "mx.partner.example[127.0.0.10]:25");
	assert_string_equal(ev->dsn, "2.0.0");
	assert_string_equal(ev->status, "sent");
	assert_string_equal(ev->status_text, "250 2.0.0 Ok: queued as 000001");
	assert_int_equal(ev->tls, MTA_TLS_VERIFIED);
	assert_string_equal(ev->tls_reason, "");
	assert_int_equal(ev->pid, 0);
	assert_true(!strncmp(ev->text, "=> user@partner.example ", 24));
	/* A copy's text still lies inside its own line. */
	assert_true(ev->text >= ev->line && ev->text < ev->line + sizeof ev->line);
}

static void
test_exim_delivered_established(void **state)
{
	struct mta_event *ev;

	(void)state;
	/* CV=no: a self-signed peer under tls_try_verify_hosts. */
	ev = exim("2026-11-30 15:28:49 1xY3JB-00000V-1t => user@partner.example R=to_partner "
		  "T=remote_smtp H=mx.partner.example [127.0.0.10]:25 "
		  "X=TLS1.2:ECDHE_SECP521R1__ECDSA_SHA256__CHACHA20_POLY1305:256 CV=no "
		  "DN=\"CN=mx.partner.example,OU=self-signed,O=mxlab\" "
		  "C=\"250 2.0.0 Ok: queued as 000001\" DT=0s");
	assert_string_equal(ev->queue_id, "1xY3JB-00000V-1t");
	assert_string_equal(ev->status, "sent");
	assert_string_equal(ev->dsn, "2.0.0");
	assert_string_equal(ev->relay, "mx.partner.example[127.0.0.10]:25");
	assert_int_equal(ev->tls, MTA_TLS_ESTABLISHED);
	/* No X=: delivered in clear. */
	ev = exim("2026-11-30 15:28:39 1xY3J1-00000W-1y => user@partner.example R=to_partner "
		  "T=remote_smtp H=mx.partner.example [127.0.0.10]:25 "
		  "C=\"250 2.0.0 Ok: queued as 000001\" DT=0s");
	assert_string_equal(ev->status, "sent");
	assert_int_equal(ev->tls, MTA_TLS_NONE);
	/* CV=dane is verified too. */
	ev = exim(TS " " QID " => bob@partner.example R=dnslookup T=remote_smtp "
		  "H=mx.partner.example [127.0.0.10]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
		  "CV=dane DN=\"CN=mx.partner.example\" C=\"250 2.0.0 Ok: queued as 1\" DT=0s");
	assert_int_equal(ev->tls, MTA_TLS_VERIFIED);
}

static void
test_exim_deferred(void **state)
{
	struct mta_event *ev;

	(void)state;
	ev = exim("2026-11-30 15:28:40 1xY3J2-00000X-2i == user@partner.example R=to_partner "
		  "T=remote_smtp defer (-38) H=mx.partner.example [127.0.0.10]:25 DT=0s: "
		  "a TLS session is required, but the server did not offer TLS support");
	assert_string_equal(ev->queue_id, "1xY3J2-00000X-2i");
	assert_string_equal(ev->rcpt, "user@partner.example");
	assert_string_equal(ev->relay, "mx.partner.example[127.0.0.10]:25");
	assert_string_equal(ev->status, "deferred");
	assert_string_equal(ev->dsn, "");
	assert_string_equal(ev->status_text,
			    "a TLS session is required, but the server did not offer TLS support");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason,
			    "a TLS session is required, but the server did not offer TLS support");

	ev = exim("2026-11-30 15:28:42 1xY3J4-00000W-1P == user@partner.example R=to_partner "
		  "T=remote_smtp defer (-37) H=mx.partner.example [127.0.0.10]:25 DT=0s: "
		  "TLS session: (certificate verification failed): certificate invalid");
	assert_string_equal(ev->status, "deferred");
	assert_string_equal(ev->relay, "mx.partner.example[127.0.0.10]:25");
	assert_string_equal(ev->status_text,
			    "TLS session: (certificate verification failed): certificate invalid");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason,
			    "(certificate verification failed): certificate invalid");

	/* A wrong name: Exim says less. */
	ev = exim("2026-11-30 15:28:45 1xY3J7-00000U-1t == user@partner.example R=to_partner "
		  "T=remote_smtp defer (-37) H=mx.partner.example [127.0.0.10]:25 DT=0s: "
		  "TLS session: (certificate verification failed)");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason, "(certificate verification failed)");

	/* "**" is bounced. */
	ev = exim(TS " " QID " ** bob@partner.example R=dnslookup T=remote_smtp "
		  "H=mx.partner.example [127.0.0.10]:25: SMTP error from remote mail server "
		  "after RCPT TO:<bob@partner.example>: 550 5.1.1 no such user");
	assert_string_equal(ev->status, "bounced");
	assert_string_equal(ev->rcpt, "bob@partner.example");
}

static void
test_exim_tls_lines(void **state)
{
	struct mta_event *ev;

	(void)state;
	/* The separate H=... line before the defer: a TLS outcome, no status. */
	ev = exim("2026-11-30 15:28:40 1xY3J2-00000X-2i H=mx.partner.example [127.0.0.10]:25: "
		  "a TLS session is required, but the server did not offer TLS support");
	assert_string_equal(ev->queue_id, "1xY3J2-00000X-2i");
	assert_string_equal(ev->status, "");
	assert_string_equal(ev->rcpt, "");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason,
			    "a TLS session is required, but the server did not offer TLS support");
	ev = exim("2026-11-30 15:28:42 1xY3J4-00000W-1P H=mx.partner.example [127.0.0.10]:25: "
		  "TLS session: (certificate verification failed): certificate invalid");
	assert_string_equal(ev->status, "");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason,
			    "(certificate verification failed): certificate invalid");
	/* tls_try_verify_hosts falling back to clear. */
	ev = exim("2026-11-30 15:28:55 1xY3JH-00000V-0t TLS session: (certificate verification "
		  "failed): certificate invalid: delivering unencrypted to H=mx.partner.example "
		  "[127.0.0.10] (not in hosts_require_tls)");
	assert_string_equal(ev->status, "");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_true(!strncmp(ev->tls_reason, "(certificate verification failed): "
			     "certificate invalid: delivering unencrypted", 65));
}

static void
test_exim_other_lines(void **state)
{
	struct mta_event *ev;

	(void)state;
	/* "<=": arrival, a queue ID but no status. */
	ev = exim(TS " " QID " <= sender@test.example H=(client.test.example) [127.0.0.1] "
		  "P=esmtp S=418 id=mxlab.1796052518.29.0@client.example.test");
	assert_string_equal(ev->queue_id, QID);
	assert_string_equal(ev->status, "");
	assert_string_equal(ev->rcpt, "");
	assert_string_equal(ev->relay, "");
	assert_int_equal(ev->tls, MTA_TLS_NONE);
	ev = exim("2026-11-30 15:28:56 1xY3JI-00000U-0D <= sender@test.example U=root P=local S=358");
	assert_string_equal(ev->status, "");
	ev = exim(TS " " QID " Completed");
	assert_string_equal(ev->queue_id, QID);
	assert_string_equal(ev->text, "Completed");
	assert_string_equal(ev->status, "");
	/* daemon started: no queue ID, the text after the time. */
	ev = exim("2026-11-30 15:28:37 exim 4.96 daemon started: pid=23, no queue runs, "
		  "listening for SMTP on [127.0.0.1]:25");
	assert_string_equal(ev->time, "2026-11-30 15:28:37");
	assert_string_equal(ev->queue_id, "");
	assert_true(!strncmp(ev->text, "exim 4.96 daemon started: ", 26));
	assert_string_equal(ev->status, "");
	assert_int_equal(ev->tls, MTA_TLS_NONE);
	ev = exim("2026-11-30 15:28:38 SMTP connection from (client.test.example) [127.0.0.1] "
		  "closed by QUIT");
	assert_string_equal(ev->queue_id, "");
	/* log_selector +pid */
	ev = exim("2026-11-30 15:28:38 [231] " QID " Completed");
	assert_int_equal(ev->pid, 231);
	assert_string_equal(ev->queue_id, QID);
	assert_string_equal(ev->text, "Completed");
	/* An ID too short is no ID. */
	ev = exim(TS " 1xY3J0-0000U-0i Completed");
	assert_string_equal(ev->queue_id, "");
}

static void
test_exim_not_mainlog(void **state)
{
	static const char *const lines[] = {
		"exim: configuration error in line 3 of /x/exim.conf:",
		"Nov 28 23:12:06 pf postfix/smtp[219]: Verified TLS connection established",
		"2026-11-30 15:28",			/* truncated date */
		"2026-11-30 15:28:38",			/* a time, nothing after */
		"2026/11/30 15:28:38 " QID " Completed",
		"",
	};
	struct mta_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		memset(&ev, 0x5a, sizeof ev);
		assert_int_equal(mta_exim_parse(lines[i], strlen(lines[i]), &ev), -1);
		assert_string_equal(ev.line, lines[i]);
		assert_ptr_equal(ev.text, ev.line);
		assert_string_equal(ev.queue_id, "");
		assert_string_equal(ev.status, "");
		assert_int_equal(ev.tls, MTA_TLS_NONE);
	}
	/* The newline is not part of the line. */
	assert_int_equal(mta_exim_parse(TS " " QID " Completed\r\n",
					sizeof TS " " QID " Completed\r\n" - 1, &ev), 0);
	assert_string_equal(ev.line, TS " " QID " Completed");
}

static void
test_exim_hostile(void **state)
{
	static const char *const odd[] = {
		TS " " QID,
		TS " " QID " ",
		TS " " QID " => ",
		TS " " QID " =>",
		TS " " QID " == x H=",
		TS " " QID " == x H=a [",
		TS " " QID " == x H=a [127.0.0.1",
		TS " " QID " == x H=a [127.0.0.1]:",
		TS " " QID " => x C=\"",
		TS " " QID " => x C=\"250",
		TS " " QID " => x C=\"250 2.",
		TS " " QID " => x X= CV=",
		TS " " QID " => x <",
		TS " " QID " => x <orig",
		TS " " QID " TLS session: ",
		TS " [",
		TS " [1",
		TS " [99999999999999999999999] x",
		TS " 1xY3J0-00000U-",
	};
	struct mta_event ev;
	char *big;
	size_t n = 3 * MTA_LINE_MAX;

	(void)state;
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		assert_int_equal(mta_exim_parse(odd[i], strlen(odd[i]), &ev), 0);
		assert_string_equal(ev.line, odd[i]);
	}
	/* A NUL inside ends the line. */
	{
		static const char nul[] = TS " " QID " => a@x\0 C=\"250 2.0.0 Ok\"";

		assert_int_equal(mta_exim_parse(nul, sizeof nul - 1, &ev), 0);
		assert_string_equal(ev.line, TS " " QID " => a@x");
		assert_string_equal(ev.rcpt, "a@x");
		assert_string_equal(ev.dsn, "");
	}
	/* Longer than a line may be: cut, every field within its buffer. */
	big = malloc(n + 1);
	if (!big) {		/* (assert_non_null does not tell the compiler) */
		fail();
		return;
	}
	memset(big, 'a', n);
	memcpy(big, TS " " QID " => ", 40);
	big[n] = '\0';
	assert_int_equal(mta_exim_parse(big, n, &ev), 0);
	assert_int_equal(strlen(ev.line), MTA_LINE_MAX - 1);
	assert_string_equal(ev.status, "sent");
	assert_int_equal(strlen(ev.rcpt), sizeof ev.rcpt - 1);
	/* Long fields of every kind. */
	snprintf(big, n + 1, TS " " QID " == %0600d H=%0400d [%0200d]:%040d "
		 "C=\"250 %030d %01200d\" X=%0100d CV=%0100d DT=0s: TLS session: %0600d",
		 1, 2, 3, 4, 5, 6, 7, 8, 9);
	assert_int_equal(mta_exim_parse(big, strlen(big), &ev), 0);
	assert_int_equal(strlen(ev.rcpt), sizeof ev.rcpt - 1);
	assert_true(strlen(ev.relay) < sizeof ev.relay);
	assert_true(strlen(ev.dsn) < sizeof ev.dsn);
	assert_true(strlen(ev.status_text) < sizeof ev.status_text);
	assert_int_equal(strlen(ev.tls_reason), sizeof ev.tls_reason - 1);
	assert_int_equal(ev.tls, MTA_TLS_FAILED);
	/* Only blanks, only a prefix, bytes above 127. */
	memset(big, ' ', n);
	assert_int_equal(mta_exim_parse(big, n, &ev), -1);
	memset(big, 0xff, n);
	assert_int_equal(mta_exim_parse(big, n, &ev), -1);
	assert_int_equal(mta_exim_parse("", 0, &ev), -1);
	free(big);
}

/* ---- Postfix: mta_postfix_tls through ml_parse_line */

static struct mta_event *
postfix(const char *line)
{
	static struct mta_event ev;

	assert_int_equal(ml_parse_line(line, strlen(line), &ev), 0);
	return &ev;
}

static void
test_postfix_tls(void **state)
{
	static const struct {
		const char *line;
		enum mta_tls tls;
	} est[] = {
		{ "Nov 28 23:12:06 pf postfix/smtp[219]: Verified TLS connection established to "
		  "verified.example[127.0.0.14]:25: TLSv1.2 with cipher "
		  "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)", MTA_TLS_VERIFIED },
		{ "Nov 28 23:12:05 pf postfix/smtp[219]: Trusted TLS connection established to "
		  "trusted.example[127.0.0.12]:25: TLSv1.2 with cipher "
		  "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)", MTA_TLS_TRUSTED },
		{ "Nov 28 23:12:08 pf postfix/smtp[219]: Untrusted TLS connection established to "
		  "leafonly.example[127.0.0.16]:25: TLSv1.2 with cipher "
		  "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)", MTA_TLS_ESTABLISHED },
		{ "Nov 28 23:12:12 pf postfix/smtpd[135]: Anonymous TLS connection established "
		  "from localhost[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
		  "bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest "
		  "SHA256", MTA_TLS_ESTABLISHED },
	};
	struct mta_event *ev;

	(void)state;
	for (size_t i = 0; i < sizeof est / sizeof est[0]; i++) {
		ev = postfix(est[i].line);
		assert_int_equal(ev->tls, est[i].tls);
		assert_string_equal(ev->tls_reason, "");
	}
	ev = postfix("Nov 28 23:12:08 pf postfix/smtp[219]: certificate verification failed for "
		     "leafonly.example[127.0.0.16]:25: untrusted issuer /CN=mxlab Test "
		     "Intermediate CA/O=mxlab");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason,
			    "untrusted issuer /CN=mxlab Test Intermediate CA/O=mxlab");
	ev = postfix("Nov 28 23:12:09 pf postfix/smtp[219]: server certificate verification "
		     "failed for wrongname.example[127.0.0.19]:25: num=62:hostname mismatch");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason, "num=62:hostname mismatch");
	ev = postfix("Nov 28 23:12:07 pf postfix/smtp[219]: 674BDA74A6D: "
		     "to=<bob@notls.example>, relay=notls.example[127.0.0.15]:25, delay=0.01, "
		     "delays=0/0/0/0, dsn=4.7.4, status=deferred (TLS is required, but was not "
		     "offered by host notls.example[127.0.0.15])");
	assert_string_equal(ev->status, "deferred");
	assert_string_equal(ev->dsn, "4.7.4");
	assert_int_equal(ev->tls, MTA_TLS_FAILED);
	assert_string_equal(ev->tls_reason, "TLS is required, but was not offered by host "
			    "notls.example[127.0.0.15])");
	/* The words in the middle of a line are not an established session. */
	ev = postfix("Nov 28 23:12:07 pf postfix/smtp[219]: warning: no Verified TLS "
		     "connection established");
	assert_int_equal(ev->tls, MTA_TLS_NONE);
	ev = postfix("Nov 28 23:12:07 pf postfix/qmgr[200]: 674BDA74A6D: removed");
	assert_int_equal(ev->tls, MTA_TLS_NONE);

	/* Called alone, it starts from nothing. */
	{
		struct mta_event e;

		memset(&e, 0, sizeof e);
		e.tls = MTA_TLS_FAILED;
		snprintf(e.tls_reason, sizeof e.tls_reason, "stale");
		e.text = "Trusted TLS connection established to x[1.2.3.4]:25";
		mta_postfix_tls(&e);
		assert_int_equal(e.tls, MTA_TLS_TRUSTED);
		assert_string_equal(e.tls_reason, "");
		e.text = "nothing";
		mta_postfix_tls(&e);
		assert_int_equal(e.tls, MTA_TLS_NONE);
	}
}

static void
test_tls_name_and_drivers(void **state)
{
	const struct mta_driver *d;

	(void)state;
	assert_string_equal(mta_tls_name(MTA_TLS_NONE), "none");
	assert_string_equal(mta_tls_name(MTA_TLS_ESTABLISHED), "established");
	assert_string_equal(mta_tls_name(MTA_TLS_TRUSTED), "trusted");
	assert_string_equal(mta_tls_name(MTA_TLS_VERIFIED), "verified");
	assert_string_equal(mta_tls_name(MTA_TLS_FAILED), "failed");
	assert_string_equal(mta_tls_name((enum mta_tls)99), "none");

	assert_ptr_equal(mta_driver_find("postfix"), &mta_postfix);
	assert_ptr_equal(mta_driver_find("exim"), &mta_exim);
	assert_ptr_equal(mta_driver_find("exec"), &mta_exec);
	assert_null(mta_driver_find(""));
	assert_null(mta_driver_find("Exim"));
	assert_null(mta_driver_find("exim4"));
	assert_null(mta_driver_find("sendmail"));
	d = mta_driver_find("exim");
	assert_string_equal(d->name, "exim");
	assert_ptr_equal(d->parse, mta_exim_parse);
	assert_ptr_equal(mta_driver_find("postfix")->parse, ml_parse_line);
	for (const char *const *n = (const char *const[]){ "postfix", "exim", "exec", NULL }; *n;
	     n++) {
		d = mta_driver_find(*n);
		assert_string_equal(d->name, *n);
		assert_non_null(d->render);
		assert_non_null(d->start);
		assert_non_null(d->stop);
		assert_non_null(d->parse);
		assert_non_null(d->log_rel);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exim_delivered_verified),
		cmocka_unit_test(test_exim_delivered_established),
		cmocka_unit_test(test_exim_deferred),
		cmocka_unit_test(test_exim_tls_lines),
		cmocka_unit_test(test_exim_other_lines),
		cmocka_unit_test(test_exim_not_mainlog),
		cmocka_unit_test(test_exim_hostile),
		cmocka_unit_test(test_postfix_tls),
		cmocka_unit_test(test_tls_name_and_drivers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
