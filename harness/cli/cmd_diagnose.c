/*
 * cmd_diagnose.c: `mxlab diagnose [MAILLOG...]`, the TLS failures of a
 * Postfix maillog per destination and cause, with the fix
 * (mxlab/diagnose.h, docs/diagnose.md).
 *
 * Reads each file given (stdin when none, or for "-") in 64 KiB chunks
 * into the library, then prints its report as text (default) or JSON,
 * or with --tlsrpt DOMAIN an RFC 8460 aggregate report for DOMAIN.
 * Exit: 0 no TLS failure found, 1 at least one, 2 usage or a file that
 * cannot be read (the others are still read and reported).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxlab/mxlab.h"
#include "mxlab.h"

/* Every option, with its default. */
struct options {
	int json;			/* --json: JSON instead of text */
	const char *tlsrpt;		/* --tlsrpt DOMAIN: an RFC 8460 report; NULL */
	const char *org;		/* --org NAME: organization-name; this host's name */
	const char *contact;		/* --contact ADDR: contact-info; postmaster@HOST */
	const char *report_id;		/* --report-id ID; START-DATETIME_DOMAIN */
	int year;			/* --year YYYY: for times logged without one; 0 */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab diagnose [--json] [MAILLOG...]\n"
	    "       mxlab diagnose --tlsrpt DOMAIN [--org NAME] [--contact ADDR]\n"
	    "                      [--report-id ID] [--year YYYY] [MAILLOG...]\n"
	    "\n"
	    "Read Postfix's maillog (the files given, or stdin when none or '-'):\n"
	    "plain syslog lines, with or without a year or an ISO time, and\n"
	    "`journalctl -u postfix` output. Link the TLS lines of smtp and smtpd\n"
	    "(certificate verification failed, SSL_connect/SSL_accept error, TLS\n"
	    "library problem, TLSA, lost connection after STARTTLS) to the delivery\n"
	    "lines of the same smtp[PID] (status=deferred/bounced/sent) and the\n"
	    "queue IDs, and print per destination (smtp: the relay host; smtpd: the\n"
	    "client) and per cause: the count, first and last time, one example\n"
	    "line, the cause in the words of docs/tls-guide.md and the fix. The\n"
	    "causes are those of `mxlab probe` (one table).\n"
	    "\n"
	    "Causes: untrusted-issuer (leaf-only chain or untrusted issuer),\n"
	    "self-signed, expired, not-yet-valid, name-mismatch, dane-mismatch,\n"
	    "dane-required, dnssec-invalid (both under dane-only), verify-failed,\n"
	    "starttls-missing, starttls-refused, protocol-mismatch;\n"
	    "on smtpd: client-protocol-mismatch, client-rejected-cert,\n"
	    "client-tls-failed.\n"
	    "\n"
	    "Give it the MTA-STS resolver's log too (postfix-mta-sts-resolver's\n"
	    "mta-sts-daemon: its log file, or its journal or syslog lines) and it\n"
	    "names the policies that daemon could not use, per domain:\n"
	    "sts-policy-fetch-error, sts-webpki-invalid, and at its debug level\n"
	    "sts-policy-invalid (docs/diagnose.md#mta-sts).\n"
	    "\n"
	    "Each cause is also named by its RFC 8460 (SMTP TLS Reporting) result\n"
	    "type: starttls-not-supported, certificate-host-mismatch,\n"
	    "certificate-expired, certificate-not-trusted, tlsa-invalid,\n"
	    "dane-required, dnssec-invalid, validation-failure, and the three\n"
	    "sts-* above (docs/diagnose.md has the table).\n"
	    "\n"
	    "With --tlsrpt DOMAIN it prints instead an RFC 8460 aggregate report\n"
	    "(JSON) for the mail to DOMAIN's recipients, which can be mailed to\n"
	    "the partner's TLS-RPT address: per policy (tlsa for MX hosts with a\n"
	    "DANE failure; sts for MTA-STS policies not used and for a domain\n"
	    "whose enforce policy the resolver fetched; else no-policy-found),\n"
	    "the successful sessions (TLS established, no failure) and the\n"
	    "failed ones per result type, MX host and address. The date range\n"
	    "is the log's first and last time.\n"
	    "\n"
	    "It streams: memory stays bounded whatever the size of the log. Lines\n"
	    "it does not understand are counted and skipped; a line that is not\n"
	    "text (a NUL byte) is counted, named (\"FILE: line N: not text\") and\n"
	    "skipped; nothing in the input is fatal.\n"
	    "\n"
	    "Options:\n"
	    "  --json    print one JSON object (docs/diagnose.md)\n"
	    "  --tlsrpt DOMAIN   print an RFC 8460 aggregate report for DOMAIN\n"
	    "  --org NAME        its organization-name (default: this host's name)\n"
	    "  --contact ADDR    its contact-info (default: postmaster@HOST)\n"
	    "  --report-id ID    its report-id (default: START-DATETIME_DOMAIN)\n"
	    "  --year YYYY       the year of log times without one (default: this\n"
	    "                    year, or the last for a date ahead of today)\n"
	    "  --help    this text\n"
	    "  --        what follows are files, even when they start with '-'\n"
	    "\n"
	    "Exit status: 0 no TLS failure found, 1 TLS failures found, 2 usage\n"
	    "error or a file that cannot be read.\n");
}

/* Feed one file (or stdin) to d: 0, or -1 (message printed). */
static int
read_input(mxlab_diagnose *d, const char *path)
{
	static char buf[65536];
	int fd = 0, rc = 0;
	ssize_t n;

	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			mx_warn("diagnose", "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	mxlab_diagnose_begin(d, strcmp(path, "-") ? path : "stdin");
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mx_warn("diagnose", "%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		mxlab_diagnose_feed(d, buf, (size_t)n);
	}
	mxlab_diagnose_end(d);
	if (fd != 0)
		close(fd);
	return rc;
}

/* The RFC 8460 report of o->tlsrpt, malloc'ed; NULL when out of memory. */
static char *
tlsrpt(const mxlab_diagnose *d, const struct options *o)
{
	struct mxlab_tlsrpt_options r = {
		.domain = o->tlsrpt, .organization = o->org, .contact = o->contact,
		.report_id = o->report_id, .year = o->year,
	};
	char host[256] = "localhost", contact[300];

	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "localhost");
	snprintf(contact, sizeof contact, "postmaster@%s", host);
	if (!r.organization)
		r.organization = host;
	if (!r.contact)
		r.contact = contact;
	return mxlab_diagnose_tlsrpt(d, &r);
}

int
cmd_diagnose(int argc, char **argv)
{
	struct options o = { 0 };
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	size_t nfiles = 0;
	int bad = 0, dashdash = 0, i = 1;
	mxlab_diagnose *d;
	char *out;

	if (!files) {
		mx_warn("diagnose", "out of memory");
		return MXLAB_EXIT_USAGE;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || strcmp(a, "-") == 0 || a[0] != '-') {
			files[nfiles++] = a;
		} else if (strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			free(files);
			return MXLAB_EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			o.json = 1;
		} else if (!strcmp(a, "--tlsrpt") || !strcmp(a, "--org") || !strcmp(a, "--contact") ||
			   !strcmp(a, "--report-id") || !strcmp(a, "--year")) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (!v || !*v || (!strcmp(a, "--year") && (o.year = atoi(v)) < 1970)) {
				mx_warn("diagnose", "%s needs %s (see mxlab diagnose --help)", a,
					strcmp(a, "--year") ? "a value" : "a year, 1970 or later");
				free(files);
				return MXLAB_EXIT_USAGE;
			}
			if (!strcmp(a, "--tlsrpt"))
				o.tlsrpt = v;
			else if (!strcmp(a, "--org"))
				o.org = v;
			else if (!strcmp(a, "--contact"))
				o.contact = v;
			else if (!strcmp(a, "--report-id"))
				o.report_id = v;
		} else {
			mx_warn("diagnose", "unknown option '%s' (see mxlab diagnose --help)", a);
			free(files);
			return MXLAB_EXIT_USAGE;
		}
	}
	if (nfiles == 0)
		files[nfiles++] = "-";
	d = mxlab_diagnose_new();
	if (!d) {
		mx_warn("diagnose", "out of memory");
		free(files);
		return MXLAB_EXIT_USAGE;
	}
	if (o.tlsrpt)
		mxlab_diagnose_tlsrpt_domain(d, o.tlsrpt);
	for (size_t k = 0; k < nfiles; k++)
		if (read_input(d, files[k]) != 0)
			bad = 1;
	free(files);
	mxlab_diagnose_finish(d);
	out = o.tlsrpt ? tlsrpt(d, &o) : o.json ? mxlab_diagnose_json(d) : mxlab_diagnose_text(d);
	if (!out) {
		mx_warn("diagnose", "out of memory");
		mxlab_diagnose_free(d);
		return MXLAB_EXIT_USAGE;
	}
	fputs(out, stdout);
	free(out);
	{
		struct mxlab_diagnose_entry e;
		int failed = 0;

		for (size_t k = 0; mxlab_diagnose_entry(d, k, &e) == 0; k++)
			failed |= e.failure;
		mxlab_diagnose_free(d);
		if (bad)
			return MXLAB_EXIT_USAGE;
		return failed ? MXLAB_EXIT_FAIL : MXLAB_EXIT_OK;
	}
}
