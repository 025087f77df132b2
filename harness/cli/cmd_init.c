/*
 * cmd_init.c: `mxlab init`, a starter suite from a Postfix configuration.
 *
 * A front end on mxlab/init.h: the options, then mxlab_init_open,
 * mxlab_init_generate and mxlab_init_write (harness/init/init.c asks
 * postconf, reads the configuration and writes the files). The
 * configuration is only read; the suite directory is the only place
 * written, and an existing one only with --force.
 * Exit: 0 written, 1 the files could not be written, 2 usage or
 * configuration errors (named with the file and line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/init.h"
#include "mxlab.h"

struct init_options {
	const char *conf;	/* --postfix-config DIR */
	const char *out;	/* --out SUITE */
	int force;		/* --force: write into an existing SUITE */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab init --postfix-config DIR --out SUITE [--force]\n"
	    "\n"
	    "Write a starter suite of scenarios for a Postfix configuration (a copy of\n"
	    "/etc/postfix, such as the one you keep in git), for `mxlab run SUITE`.\n"
	    "The configuration is read with postconf (-n, -M, -P) and the sources of\n"
	    "the maps it names (hash:/etc/postfix/tls_policy is read as DIR/tls_policy);\n"
	    "nothing of it is changed or run.\n"
	    "\n"
	    "SUITE gets suite.scn (postfix-config, shared DNS, the fake MX hosts, SASL\n"
	    "users, files outside DIR, what had to be neutralised and why, what is not\n"
	    "checked) and one scenario per check, each naming in its summary the line\n"
	    "of the configuration it protects:\n"
	    "  inbound/   each smtpd service with TLS: STARTTLS or implicit TLS, the\n"
	    "             full chain verified; TLS before AUTH; refused TLS versions;\n"
	    "             each tls_server_sni_maps name its own certificate\n"
	    "  outbound/  each smtp_tls_policy_maps entry and the default level: the\n"
	    "             peers the level must accept and those it must refuse\n"
	    "\n"
	    "Options:\n"
	    "  --postfix-config DIR  the configuration directory (main.cf, master.cf)\n"
	    "  --out SUITE           the suite directory to write (made if needed)\n"
	    "  --force               write into an existing, non-empty SUITE: replaces\n"
	    "                        the files init writes and removes files an earlier\n"
	    "                        init wrote that it no longer writes; other files stay\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "The output depends on the configuration alone: the same configuration\n"
	    "gives the same files, byte for byte. Then: sudo mxlab run SUITE\n"
	    "\n"
	    "Exit status: 0 written, 1 the files could not be written, 2 a usage or\n"
	    "configuration error.\n");
}

/* ---------------------------------------------------------------- main */

static int
parse_args(int argc, char **argv, struct init_options *o)
{
	static const char *const flags[] = { "force", "help", NULL };

	for (int i = 1; i < argc; ) {
		char keybuf[64];
		const char *key, *val;
		int r;

		if (!strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(MXLAB_EXIT_OK);
		}
		r = mx_opt_next("init", argc, argv, &i, flags, keybuf, sizeof keybuf, &key, &val);
		if (r < 0)
			return -1;
		if (r == 1) {
			mx_warn("init", "unexpected argument '%s' (try mxlab init --help)", argv[i]);
			return -1;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			exit(MXLAB_EXIT_OK);
		} else if (!strcmp(key, "force"))
			o->force = 1;
		else if (!strcmp(key, "postfix-config"))
			o->conf = val;
		else if (!strcmp(key, "out"))
			o->out = val;
		else {
			mx_warn("init", "unknown option '--%s' (--postfix-config, --out, --force)", key);
			return -1;
		}
	}
	if (!o->conf || !o->out) {
		mx_warn("init", "needs --postfix-config DIR and --out SUITE (try mxlab init --help)");
		return -1;
	}
	return 0;
}

/* mxlab_init_msg_fn: the library's warnings, as "mxlab init: ..." on stderr. */
static void
show(void *ctx, const char *line)
{
	(void)ctx;
	mx_warn("init", "%s", line);
}

int
cmd_init(int argc, char **argv)
{
	struct init_options o = { 0 };
	mxlab_init *ini;
	char err[8192];
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return MXLAB_EXIT_USAGE;
	if (mxlab_init_open(o.conf, o.out, o.force, show, NULL, &ini, err, sizeof err) != MXLAB_OK) {
		mx_warn("init", "%s", err);
		return MXLAB_EXIT_USAGE;
	}
	if (mxlab_init_generate(ini, err, sizeof err) != MXLAB_OK) {
		mx_warn("init", "%s", err);
		rc = MXLAB_EXIT_USAGE;
	} else if (mxlab_init_write(ini, err, sizeof err) != MXLAB_OK) {
		mx_warn("init", "%s", err);
		rc = MXLAB_EXIT_FAIL;
	} else {
		printf("mxlab init: wrote %zu files to %s (postfix-config = %s)\n"
		       "next: sudo mxlab run %s\n", mxlab_init_nfiles(ini), o.out,
		       mxlab_init_postfix_config(ini), o.out);
		rc = MXLAB_EXIT_OK;
	}
	mxlab_init_free(ini);
	return rc;
}
