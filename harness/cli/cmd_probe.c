/*
 * cmd_probe.c: `mxlab probe HOST[:PORT]`, the seed guide's diagnostics
 * (openssl s_client with and without -servername, counting the chain,
 * trying old protocols, looking for AUTH before STARTTLS) done for the user.
 *
 * Collects the options into a struct mxlab_probe_options, runs
 * mxlab_probe_run() and prints the report as text (default) or JSON.
 * Exit: 0 no ERROR finding, 1 at least one ERROR finding (a server that
 * cannot be reached is one: connect-failed), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/mxlab.h"
#include "mxlab.h"

#define MAX_SNI MXLAB_PROBE_MAX_SNI

/* Every option, with its default. */
struct options {
	const char *ca_file;		/* --ca-file F: trust anchors (PEM) */
	const char *ca_dir;		/* --ca-dir D: a hashed CA directory */
	char pki_ca[4096];		/* --pki DIR: DIR/ca/root.crt as ca_file */
	const char *name;		/* --name NAME: name to verify, SNI to send */
	const char *sni[MAX_SNI + 1];	/* --sni NAME (repeatable): extra SNI names */
	size_t nsni;
	int implicit_tls;		/* --implicit-tls: SMTPS */
	unsigned timeout_ms;		/* --timeout D: each stage, 10s */
	unsigned total_timeout_ms;	/* --total-timeout D: the whole probe,
					   0: 6 x timeout_ms */
	int json;			/* --json: JSON instead of text */
	const char *target;		/* HOST[:PORT] */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab probe [OPTIONS] HOST[:PORT]\n"
	    "\n"
	    "Check the TLS of one SMTP server the way the seed guide does by hand\n"
	    "(openssl s_client -starttls smtp -showcerts, with and without\n"
	    "-servername), and say what is wrong, why, and what to change. It never\n"
	    "sends mail: every session stops after the handshake or the EHLO over TLS.\n"
	    "\n"
	    "HOST is a name or an address ([::1]:25 for IPv6); PORT a number or smtp\n"
	    "(25, the default), submission (587), smtps (465: implicit TLS).\n"
	    "\n"
	    "Options:\n"
	    "  --ca-file F       trust anchors (PEM); without a CA, trust is not judged\n"
	    "  --ca-dir D        a directory of trust anchors (openssl rehash)\n"
	    "  --pki DIR         a `mxlab certs` directory: --ca-file DIR/ca/root.crt\n"
	    "  --name NAME       the name the certificate must carry, sent as SNI\n"
	    "                    (default: HOST when it is a name; for an address no\n"
	    "                    name is checked)\n"
	    "  --sni NAME        also try this SNI name (repeatable, up to %d)\n"
	    "  --implicit-tls    TLS from the first byte (SMTPS), not STARTTLS\n"
	    "  --timeout D       deadline of each stage of a session as a whole: the\n"
	    "                    connect, the TLS handshake, each command with its\n"
	    "                    whole reply (default 10s; 500ms, 1.5s, 1m; at most 1h)\n"
	    "  --total-timeout D deadline of the whole probe, every session included\n"
	    "                    (default 6 x --timeout); when it runs out the probe\n"
	    "                    reports what it has, with probe-incomplete\n"
	    "  --json            print the report as one JSON object\n"
	    "  --help            this text\n"
	    "\n"
	    "Checks, one session each:\n"
	    "  plaintext EHLO    greeting; STARTTLS offered (starttls-missing);\n"
	    "                    AUTH offered before TLS (auth-before-tls)\n"
	    "  TLS without SNI   what Postfix's smtp client gets by default: the chain,\n"
	    "                    its length (chain-leaf-only: the intermediate is not\n"
	    "                    sent), the verdict (untrusted-issuer, self-signed,\n"
	    "                    expired, not-yet-valid, name-mismatch, bad-usage)\n"
	    "  TLS with SNI      the same with SNI = NAME; a different certificate than\n"
	    "                    without SNI is sni-differs, the same is sni-same\n"
	    "  --sni NAMEs       the chain and verdict each extra name gets\n"
	    "  versions          TLS 1.0, 1.1, 1.2 (1.3 when this mbedTLS has it) one at\n"
	    "                    a time: old-protocols when 1.0 or 1.1 is accepted,\n"
	    "                    tls13-not-offered when 1.3 is refused (a handshake\n"
	    "                    that times out is no verdict: not tested)\n"
	    "  AUTH after TLS    the mechanisms offered over TLS (auth-after-tls-only)\n"
	    "Failures: connect-failed, starttls-refused (STARTTLS answered 454),\n"
	    "tls-failed (the handshake broke), probe-incomplete (--total-timeout ran\n"
	    "out). Without --ca-file: no-ca.\n"
	    "Each finding has a severity (ERROR, WARN, INFO, OK), what was seen, the\n"
	    "usual cause and the fix in Postfix's terms. See docs/probe.md.\n"
	    "\n"
	    "Examples:\n"
	    "  mxlab probe --ca-file /etc/ssl/certs/ca-certificates.crt mx.example.com\n"
	    "  mxlab probe --pki pki --name mx.example.test 127.0.0.1:2525\n"
	    "  mxlab probe --json --name mail.example.com --sni other.example.com 192.0.2.1:587\n"
	    "\n"
	    "Exit status: 0 no ERROR finding, 1 at least one ERROR finding (or the\n"
	    "server cannot be reached), 2 bad option.\n", MAX_SNI);
}

/* --timeout, --total-timeout: a DURATION (mxlab/duration.h) from 1ms to an hour;
 * 0, or -1 after a message naming the option and the value. */
static int
duration_opt(const char *key, const char *s, const char *example, unsigned *ms)
{
	char e[200];
	unsigned v;

	if (mxlab_duration_parse(s, &v, e, sizeof e) != MXLAB_OK) {
		mx_warn("probe", "--%s: %s", key, e);
		return -1;
	}
	if (v == 0 || v > 3600000U) {
		mx_warn("probe", "--%s: bad value '%s' (a duration such as %s): out of range, "
			"1ms to 1h", key, s, example);
		return -1;
	}
	*ms = v;
	return 0;
}

/* One option into o; 0, or -1 after a message. */
static int
set_option(struct options *o, const char *key, const char *value)
{
	if (!strcmp(key, "ca-file"))
		o->ca_file = value;
	else if (!strcmp(key, "ca-dir"))
		o->ca_dir = value;
	else if (!strcmp(key, "pki")) {
		if ((size_t)snprintf(o->pki_ca, sizeof o->pki_ca, "%s/ca/root.crt", value) >=
		    sizeof o->pki_ca) {
			mx_warn("probe", "--pki: path too long");
			return -1;
		}
		o->ca_file = o->pki_ca;
	} else if (!strcmp(key, "name"))
		o->name = value;
	else if (!strcmp(key, "sni")) {
		if (o->nsni >= MAX_SNI) {
			mx_warn("probe", "--sni: at most %d names", MAX_SNI);
			return -1;
		}
		o->sni[o->nsni++] = value;
	} else if (!strcmp(key, "implicit-tls"))
		o->implicit_tls = 1;
	else if (!strcmp(key, "json"))
		o->json = 1;
	else if (!strcmp(key, "timeout")) {
		if (duration_opt(key, value, "10s, 500ms, 2m", &o->timeout_ms) < 0)
			return -1;
	} else if (!strcmp(key, "total-timeout")) {
		if (duration_opt(key, value, "1m, 30s", &o->total_timeout_ms) < 0)
			return -1;
	} else {
		mx_warn("probe", "unknown option '--%s' (see mxlab probe --help)", key);
		return -1;
	}
	return 0;
}

int
cmd_probe(int argc, char **argv)
{
	static const char *const flags[] = { "help", "implicit-tls", "json", NULL };
	struct options o = { .timeout_ms = 10000 };
	struct mxlab_probe_options po;
	struct mxlab_probe_report *rep = NULL;
	char keybuf[64], err[1024], host[256], *out = NULL;
	unsigned port;
	int i = 1, rc = MXLAB_EXIT_USAGE;

	while (i < argc) {
		const char *key, *value;
		int r = mx_opt_next("probe", argc, argv, &i, flags, keybuf, sizeof keybuf,
				    &key, &value);

		if (r < 0)
			return MXLAB_EXIT_USAGE;
		if (r > 0) {
			if (!strcmp(argv[i], "--")) {
				i++;
				if (i < argc && !o.target)
					o.target = argv[i++];
				break;
			}
			if (o.target) {
				mx_warn("probe", "unexpected argument '%s' (one HOST[:PORT])", argv[i]);
				return MXLAB_EXIT_USAGE;
			}
			o.target = argv[i++];
			continue;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			return MXLAB_EXIT_OK;
		}
		if (set_option(&o, key, value) < 0)
			return MXLAB_EXIT_USAGE;
	}
	if (i < argc) {
		mx_warn("probe", "unexpected argument '%s' (one HOST[:PORT])", argv[i]);
		return MXLAB_EXIT_USAGE;
	}
	if (!o.target) {
		mx_warn("probe", "no HOST[:PORT] given (see mxlab probe --help)");
		return MXLAB_EXIT_USAGE;
	}
	if (mxlab_probe_parse_target(o.target, host, sizeof host, &port, err, sizeof err) < 0) {
		mx_warn("probe", "%s", err);
		return MXLAB_EXIT_USAGE;
	}

	memset(&po, 0, sizeof po);
	po.target = o.target;
	po.ca_file = o.ca_file;
	po.ca_dir = o.ca_dir;
	po.name = o.name;
	po.sni_names = o.nsni ? o.sni : NULL;
	po.implicit_tls = o.implicit_tls;
	po.timeout_ms = o.timeout_ms;
	po.total_timeout_ms = o.total_timeout_ms;
	if (!(rep = malloc(sizeof *rep))) {
		mx_warn("probe", "out of memory");
		return MXLAB_EXIT_FAIL;
	}
	switch (mxlab_probe_run(&po, rep, err, sizeof err)) {
	case MXLAB_OK:
		break;
	case MXLAB_ERR_USAGE:
		mx_warn("probe", "%s", err);
		goto out;
	default:
		mx_warn("probe", "%s", err);
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	out = o.json ? mxlab_probe_report_json(rep) : mxlab_probe_report_text(rep);
	if (!out) {
		mx_warn("probe", "out of memory");
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	fputs(out, stdout);
	fflush(stdout);
	rc = mxlab_probe_worst(rep) == MXLAB_PROBE_ERROR ? MXLAB_EXIT_FAIL : MXLAB_EXIT_OK;
out:
	free(out);
	free(rep);
	return rc;
}
