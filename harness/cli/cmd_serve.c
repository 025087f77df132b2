/*
 * cmd_serve.c: `mxlab serve`, the fake SMTP server on the command line.
 *
 * Every --KEY VALUE is a server configuration key (the same keys as a
 * scenario's [server NAME] section); this file only collects them, starts
 * the server, says where it listens, and waits for SIGTERM or SIGINT.
 * Stdout, flushed: "mxlab serve: listening on ADDR" per listener, then
 * "mxlab serve: ready"; at the stop a one-line summary.
 * Exit: 0 after a clean stop, 1 when the server cannot start, 2 on a bad
 * option or value.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mxlab/mxlab.h"
#include "mxlab.h"

static void
usage(FILE *fp)
{
	const struct mxlab_server_key *k;

	fprintf(fp,
	    "usage: mxlab serve [--KEY VALUE]...\n"
	    "\n"
	    "Run a fake SMTP server on mbedTLS until SIGTERM or SIGINT. It can offer,\n"
	    "hide or refuse STARTTLS, speak implicit TLS, serve any certificate of a\n"
	    "`mxlab certs` PKI (full chain or leaf alone), pick chains by SNI, limit\n"
	    "TLS versions, break the handshake, and replace, delay or drop the reply\n"
	    "of any stage. Each key may also be written KEY = VALUE in a scenario's\n"
	    "[server NAME] section.\n"
	    "\n"
	    "Keys:\n");
	for (k = mxlab_server_keys(); k->key; k++) {
		char head[80];

		snprintf(head, sizeof head, "--%s %s", k->key, k->arg);
		if (strlen(head) > 30)
			fprintf(fp, "  %s\n  %-30s  %s%s\n", head, "", k->help,
				k->repeatable ? " (repeatable)" : "");
		else
			fprintf(fp, "  %-30s  %s%s\n", head, k->help,
				k->repeatable ? " (repeatable)" : "");
	}
	fprintf(fp,
	    "\n"
	    "Stages: greeting ehlo helo starttls mail rcpt data dot rset noop quit.\n"
	    "A 421 reply closes the connection after it is sent.\n"
	    "DURATION: 250ms, 1.5s, 2m (a bare number is seconds; rounded to the\n"
	    "millisecond; at most a day). BYTES: 512, 64k, 10M, 1G (1024-based;\n"
	    "whole numbers).\n"
	    "\n"
	    "Examples:\n"
	    "  mxlab certs --dir pki --host mx.example.test,127.0.0.1\n"
	    "  mxlab serve --listen 127.0.0.1:2525 --pki pki --cert mx.example.test --chain leaf-only\n"
	    "  mxlab serve --listen [::1]:4650 --pki pki --cert mx.example.test --implicit-tls yes\n"
	    "  mxlab serve --starttls refuse --pki pki --cert mx.example.test --rcpt \"550 5.1.1 no such user\"\n"
	    "\n"
	    "Exit status: 0 stopped cleanly, 1 could not start, 2 bad option.\n"
	    "See docs/serve.md for the transcript and mailbox formats.\n");
}

/* Is key one of the library's keys (not a typo of the user's)? */
static int
server_key_known(const char *key)
{
	for (const struct mxlab_server_key *k = mxlab_server_keys(); k->key; k++)
		if (!strcmp(k->key, key))
			return 1;
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	static const char *const flags[] = { "help", NULL };
	mxlab_server_config *cfg = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	struct mxlab_server_stats st;
	char err[1024], keybuf[64];
	sigset_t set;
	int i = 1, sig, rc = MXLAB_EXIT_USAGE;

	if (!cfg) {
		mx_warn("serve", "out of memory");
		return MXLAB_EXIT_FAIL;
	}
	while (i < argc) {
		const char *key, *value;
		int r = mx_opt_next("serve", argc, argv, &i, flags, keybuf, sizeof keybuf,
				    &key, &value);

		if (r < 0)
			goto out;
		if (r > 0) {
			mx_warn("serve", "unexpected argument '%s' (options are --KEY VALUE; "
				"see mxlab serve --help)", argv[i]);
			goto out;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			rc = MXLAB_EXIT_OK;
			goto out;
		}
		if (!server_key_known(key)) {
			mx_warn("serve", "unknown option '--%s' (see mxlab serve --help)", key);
			goto out;
		}
		if (mxlab_server_config_set(cfg, key, value, err, sizeof err) != MXLAB_OK) {
			mx_warn("serve", "--%s", err);
			goto out;
		}
	}
	if (mxlab_server_config_check(cfg, err, sizeof err) != MXLAB_OK) {
		mx_warn("serve", "--%s", err);
		goto out;
	}

	/* Block the stop signals before any thread starts, then wait for one. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mxlab_server_start(cfg, &srv, err, sizeof err) != MXLAB_OK) {
		mx_warn("serve", "%s", err);
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	for (size_t l = 0; l < mxlab_server_listener_count(srv); l++) {
		char addr[80];

		mxlab_server_listener_address(srv, l, addr, sizeof addr);
		printf("mxlab serve: listening on %s\n", addr);
	}
	printf("mxlab serve: ready\n");
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	mxlab_server_stop(srv);
	mxlab_server_get_stats(srv, &st);
	printf("mxlab serve: stopped by signal %d: %lu connections, %lu messages, "
	       "%lu TLS handshakes (%lu failed), %lu refused\n", sig, st.connections,
	       st.messages, st.tls_ok + st.tls_failed, st.tls_failed, st.refused);
	fflush(stdout);
	rc = MXLAB_EXIT_OK;
out:
	mxlab_server_free(srv);
	mxlab_server_config_free(cfg);
	return rc;
}
