/*
 * cmd_certs.c: `mxlab certs`, write a test PKI (a client of certs.h).
 *
 *   mxlab certs --dir DIR [--host SPEC]... [--rsa] [--wrong-name NAME]
 *               [--quiet] [--help]
 * Prints a short summary (dir, files written, time taken) unless --quiet.
 * Exit 0 when the PKI is written, 1 when writing failed (the library's
 * "what: why" on stderr), 2 on a usage error naming the option.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxlab/certs.h"
#include "mxlab.h"

#define SUB		"certs"
#define MAX_HOSTS	256
#define DEFAULT_HOST	"mx.example.test,localhost,127.0.0.1"

struct options {
	const char *dir;		/* --dir: output directory; required */
	const char *hosts[MAX_HOSTS];	/* --host, repeatable; default above */
	size_t nhosts;
	int rsa;			/* --rsa: RSA-2048 instead of P-256 */
	const char *wrong_name;		/* --wrong-name: SAN of wrong-name */
	int quiet;			/* --quiet: no summary */
	int help;			/* --help */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab certs --dir DIR [--host SPEC]... [--rsa]\n"
	    "                   [--wrong-name NAME] [--quiet] [--help]\n"
	    "\n"
	    "Write a test PKI with mbedTLS: a root CA, an intermediate CA\n"
	    "(pathlen 0), an unrelated second root, and for every host one\n"
	    "key and one leaf per profile, plus DIR/manifest.json listing\n"
	    "every file with its role, subject, issuer, validity and names.\n"
	    "Existing files of the same names are replaced.\n"
	    "\n"
	    "Options:\n"
	    "  --dir DIR          where to write (created if missing)\n"
	    "  --host SPEC        comma-separated names of one host; the first\n"
	    "                     names its directory and its leaf's CN, all\n"
	    "                     go into the SAN (IP literals as iPAddress).\n"
	    "                     Repeat for more hosts. Default:\n"
	    "                     " DEFAULT_HOST "\n"
	    "  --rsa              RSA-2048 keys instead of EC P-256 (slower:\n"
	    "                     about 0.2 s a key)\n"
	    "  --wrong-name NAME  the only SAN of the wrong-name profile\n"
	    "                     (default wrong-name.mxlab.invalid)\n"
	    "  --quiet            print nothing on success\n"
	    "  --help             this text\n"
	    "\n"
	    "Profiles (DIR/HOST/PROFILE/):\n");
	for (int i = 0; i < MXLAB_PKI_PROFILE_COUNT; i++)
		fprintf(fp, "  %-14s %s\n", mxlab_pki_profile_name(i),
			mxlab_pki_profile_summary(i));
	fprintf(fp,
	    "\n"
	    "Layout:\n"
	    "  ca/root.crt, ca/root.key                  trust anchor\n"
	    "  ca/intermediate.crt, ca/intermediate.key  issues most leaves\n"
	    "  ca/other-root.crt, ca/other-root.key      nobody trusts it\n"
	    "  HOST/PROFILE/leaf.crt       the leaf\n"
	    "  HOST/PROFILE/leaf.key       its key (mode 0600; one key per host)\n"
	    "  HOST/PROFILE/fullchain.pem  leaf + intermediate (if any)\n"
	    "  HOST/PROFILE/leaf-only.pem  leaf alone\n"
	    "  HOST/PROFILE/key-chain.pem  key, leaf, intermediate: for\n"
	    "                              smtpd_tls_chain_files and\n"
	    "                              tls_server_sni_maps (mode 0600)\n"
	    "  manifest.json               the index; use it, not file names\n"
	    "A '*' in HOST is written as '_'. Validity is relative to now.\n"
	    "\n"
	    "Exit status: 0 written, 1 failed, 2 usage error.\n");
}

/* Known before splitting, so "--foo" is unknown rather than valueless. */
static int
known(const char *arg)
{
	static const char *const names[] = { "dir", "host", "rsa",
		"wrong-name", "quiet", "help", NULL };
	size_t n;

	if (strncmp(arg, "--", 2) != 0)
		return 1;		/* a positional argument */
	arg += 2;
	n = strcspn(arg, "=");
	for (const char *const *p = names; *p; p++)
		if (strlen(*p) == n && strncmp(*p, arg, n) == 0)
			return 1;
	mx_warn(SUB, "unknown option '--%.*s' (see mxlab certs --help)",
		(int)(n > 60 ? 60 : n), arg);
	return 0;
}

static int
parse(int argc, char **argv, struct options *o)
{
	static const char *const flags[] = { "rsa", "quiet", "help", NULL };
	const char *key, *val;
	char keybuf[32];
	int i = 1, r;

	while (i < argc) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (!known(argv[i]))
			return -1;
		r = mx_opt_next(SUB, argc, argv, &i, flags, keybuf,
				sizeof keybuf, &key, &val);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		if (strcmp(key, "dir") == 0) {
			o->dir = val;
		} else if (strcmp(key, "host") == 0) {
			if (o->nhosts == MAX_HOSTS) {
				mx_warn(SUB, "option '--host': more than %d "
					"hosts", MAX_HOSTS);
				return -1;
			}
			o->hosts[o->nhosts++] = val;
		} else if (strcmp(key, "rsa") == 0) {
			o->rsa = 1;
		} else if (strcmp(key, "wrong-name") == 0) {
			o->wrong_name = val;
		} else if (strcmp(key, "quiet") == 0) {
			o->quiet = 1;
		} else if (strcmp(key, "help") == 0) {
			o->help = 1;
		} else {		/* known() and this list disagree */
			mx_warn(SUB, "unknown option '--%s' (see mxlab certs "
				"--help)", key);
			return -1;
		}
	}
	if (i < argc) {
		mx_warn(SUB, "unexpected argument '%s' (see mxlab certs "
			"--help)", argv[i]);
		return -1;
	}
	return 0;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cmd_certs(int argc, char **argv)
{
	struct options o;
	struct mxlab_pki_options po;
	char err[512];
	double t0;
	mxlab_err e;

	memset(&o, 0, sizeof o);
	if (parse(argc, argv, &o) != 0)
		return MXLAB_EXIT_USAGE;
	if (o.help) {
		usage(stdout);
		return MXLAB_EXIT_OK;
	}
	if (o.dir == NULL || o.dir[0] == '\0') {
		mx_warn(SUB, "option '--dir' is required (see mxlab certs "
			"--help)");
		return MXLAB_EXIT_USAGE;
	}
	memset(&po, 0, sizeof po);
	po.dir = o.dir;
	po.hosts = o.hosts;
	po.nhosts = o.nhosts;
	po.key_type = o.rsa ? MXLAB_PKI_KEY_RSA2048 : MXLAB_PKI_KEY_EC_P256;
	po.wrong_name = o.wrong_name;

	t0 = seconds();
	e = mxlab_pki_generate(&po, err, sizeof err);
	if (e == MXLAB_ERR_USAGE) {
		mx_warn(SUB, "%s", err);
		return MXLAB_EXIT_USAGE;
	}
	if (e != MXLAB_OK) {
		mx_warn(SUB, "%s", err);
		return MXLAB_EXIT_FAIL;
	}
	if (!o.quiet) {
		printf("mxlab certs: wrote %zu files (%zu host%s, %s) in "
		       "%.3f s\n", mxlab_pki_file_count(o.nhosts),
		       o.nhosts ? o.nhosts : 1, o.nhosts > 1 ? "s" : "",
		       o.rsa ? "rsa-2048" : "ec-p256", seconds() - t0);
		printf("  dir:      %s\n", o.dir);
		printf("  trust:    %s/ca/root.crt\n", o.dir);
		printf("  manifest: %s/manifest.json\n", o.dir);
		for (size_t i = 0; i < o.nhosts; i++)
			printf("  host:     %s\n", o.hosts[i]);
		if (o.nhosts == 0)
			printf("  host:     %s\n", DEFAULT_HOST);
	}
	return MXLAB_EXIT_OK;
}
