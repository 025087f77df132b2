/*
 * dnsd_main.c: dnsd-test, dnsd alone on the command line, for the
 * integration tests (there is no mxlab command for it).
 *
 *   dnsd-test [--ad] [--pki DIR] ADDR RECORDS-FILE
 *   dnsd-test --print [--pki DIR] RECORDS-FILE
 *
 * Reads record lines (dnsd.h syntax; blank lines and '#' comments skipped)
 * from RECORDS-FILE, resolves pki: references against DIR, serves them on
 * ADDR ("127.0.0.1:53", port 0 allowed) with the AD bit when --ad, and
 * prints "dnsd-test: listening on ADDR:PORT", then "dnsd-test: ready", then
 * one line per reply, until SIGTERM or SIGINT; then "dnsd-test: N queries".
 * --print writes the records as dnsd serves them, one line each (TLSA data
 * in lower-case hex, pki: references resolved), and exits.
 * Exit: 0 after a clean stop, 1 when the server cannot start, 2 on a bad
 * argument or record line (named with its line number).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "dnsd.h"

#define MAX_RECORDS 256

static int
usage(void)
{
	fprintf(stderr, "usage: dnsd-test [--ad] [--pki DIR] ADDR RECORDS-FILE\n"
		"       dnsd-test --print [--pki DIR] RECORDS-FILE\n");
	return 2;
}

static void
print_record(const struct dnsd_record *r)
{
	char a[INET6_ADDRSTRLEN];

	printf("%s ", r->name);
	switch (r->type) {
	case DNSD_T_A:
	case DNSD_T_AAAA:
		inet_ntop(r->type == DNSD_T_A ? AF_INET : AF_INET6, r->a, a, sizeof a);
		printf("%s %s\n", r->type == DNSD_T_A ? "A" : "AAAA", a);
		break;
	case DNSD_T_MX:
		printf("MX %u %s\n", r->pref, r->host);
		break;
	case DNSD_T_CNAME:
		printf("CNAME %s\n", r->host);
		break;
	case DNSD_T_TXT:
		printf("TXT %s\n", r->txt);
		break;
	default:
		printf("TLSA %u %u %u ", r->usage, r->selector, r->mtype);
		for (size_t i = 0; i < r->datalen; i++)
			printf("%02x", r->data[i]);
		printf("%s\n", r->datalen ? "" : r->pki_ref);
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct dnsd_record recs[MAX_RECORDS];
	const char *pki = NULL;
	char line[DNSD_LINE_MAX + 2], err[512];
	struct dnsd *d;
	sigset_t set;
	size_t n = 0;
	int ad = 0, print = 0, lineno = 0, sig, i;
	FILE *fp;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--ad") == 0)
			ad = 1;
		else if (strcmp(argv[i], "--print") == 0)
			print = 1;
		else if (strcmp(argv[i], "--pki") == 0 && i + 1 < argc)
			pki = argv[++i];
		else
			return usage();
	}
	if (argc - i != 2 - print)
		return usage();
	if (print)
		i--;			/* the file is argv[i + 1] either way */
	if (!(fp = fopen(argv[i + 1], "r"))) {
		perror(argv[i + 1]);
		return 2;
	}
	while (fgets(line, sizeof line, fp)) {
		char *s = line + strspn(line, " \t");

		lineno++;
		s[strcspn(s, "\r\n")] = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (n == MAX_RECORDS ||
		    dnsd_record_parse(&recs[n], s, err, sizeof err) < 0 ||
		    (pki && dnsd_record_resolve(&recs[n], pki, err, sizeof err) < 0)) {
			fprintf(stderr, "%s:%d: %s\n", argv[i + 1], lineno,
				n == MAX_RECORDS ? "too many records" : err);
			fclose(fp);
			return 2;
		}
		n++;
	}
	fclose(fp);
	if (print) {
		for (size_t k = 0; k < n; k++)
			print_record(&recs[k]);
		return 0;
	}

	/* Block the signals before the server thread exists, so only sigwait
	 * sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (dnsd_start(argv[i], recs, n, ad, &d, err, sizeof err) != MXLAB_OK) {
		fprintf(stderr, "dnsd-test: %s\n", err);
		return 1;
	}
	dnsd_set_log(d, stdout);
	printf("dnsd-test: listening on %.*s:%d\n",
	       (int)(strrchr(argv[i], ':') - argv[i]), argv[i], dnsd_port(d));
	printf("dnsd-test: ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	printf("dnsd-test: %lu queries\n", dnsd_queries(d));
	dnsd_stop(d);
	return 0;
}
