/*
 * cmd_send.c: `mxlab send`, the fake SMTP client on the command line.
 *
 * Every --KEY VALUE is a client configuration key (the same keys as a
 * scenario's [client NAME] section); this file collects them, runs the
 * session(s) and prints the result: a readable report, or with --json the
 * JSON object of mxlab_client_result_json(). --quiet prints only failures.
 * Exit: mxlab_client_exit_code() (0 done, 20.. the stage that failed),
 * 1 when the run could not be set up (an unreadable CA file), 2 on a bad
 * option or value.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/mxlab.h"
#include "mxlab.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab send --connect HOST[:PORT] [--KEY VALUE]... [--json] [--quiet]\n"
	    "\n"
	    "Run an SMTP session with the fake client on mbedTLS: greeting, EHLO,\n"
	    "STARTTLS (or implicit TLS), EHLO again, AUTH, MAIL, RCPT, DATA, QUIT,\n"
	    "stopping after any stage. It reports every reply, the capabilities\n"
	    "before and after TLS, the TLS version, cipher and SNI, the chain the\n"
	    "server presented and the verification verdict with every reason (also\n"
	    "when the handshake failed). Each key may also be written KEY = VALUE in\n"
	    "a scenario's [client NAME] section.\n"
	    "\n"
	    "Keys:\n");
	for (const struct mxlab_client_key *k = mxlab_client_keys(); k->key; k++) {
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
	    "  %-30s  %s\n  %-30s  %s\n  %-30s  %s\n",
	    "--json", "print the result as one JSON object",
	    "--quiet", "print nothing unless the session failed",
	    "--help", "this text");
	fprintf(fp,
	    "\n"
	    "Stages: connect greeting ehlo starttls tls ehlo-tls auth mail rcpt data dot quit.\n"
	    "DURATION: 250ms, 1.5s, 2m (a bare number is seconds; rounded to the\n"
	    "millisecond; at most a day).\n"
	    "Verification reasons: untrusted-issuer self-signed expired not-yet-valid\n"
	    "name-mismatch bad-usage no-chain other.\n"
	    "\n"
	    "Exit status: 0 done (also when only QUIT failed), 20 connect, 21 greeting,\n"
	    "22 EHLO, 29 STARTTLS or TLS (handshake, or verification with --verify required),\n"
	    "28 AUTH, 23 MAIL, 24 RCPT, 25 DATA, 26 end of data; 1 could not start\n"
	    "(unreadable CA file), 2 bad option or value.\n"
	    "\n"
	    "Examples:\n"
	    "  mxlab send --connect 127.0.0.1:2525 --pki pki --verify-name mx.example.test\n"
	    "  mxlab send --connect mx.example.test:25 --tls starttls --pki pki --verify required \\\n"
	    "             --from a@example.test --to b@example.test --subject hi --body 'line 1\\nline 2'\n"
	    "  mxlab send --connect [::1]:smtps --tls implicit --sni none --json\n"
	    "  mxlab send --connect 127.0.0.1:2525 --tls none --auth plain --user u --password p\n"
	    "  mxlab send --connect 127.0.0.1:2525 --pki pki --connections 2   # resumed?\n"
	    "See docs/send.md.\n");
}

static void
print_lines(const char *label, const char *text)
{
	const char *p = text;

	if (!*p) {
		printf("%-12s (none)\n", label);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, "\n");

		printf("%-12s %.*s\n", label, (int)n, p);
		label = "";
		p += n;
		if (*p)
			p++;
	}
}

/* Bytes for people, as script errors show them: printable ASCII as is,
 * \r \n \t \\ and \xHH for the rest. */
static void
print_escaped(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '\r' || c == '\n' || c == '\t' || c == '\\')
			printf("\\%c", c == '\r' ? 'r' : c == '\n' ? 'n' : c == '\t' ? 't' : '\\');
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/* The script's records, one a line: "step 4 (line 6) expect: received
 * '554 ...' FAILED: the error". Those left out past the limit are said
 * where they were: at the end, or before the failed record. */
static void
print_script(const struct mxlab_client_result *r)
{
	size_t n = r->nsteps < MXLAB_CLIENT_MAX_STEPS ? r->nsteps : MXLAB_CLIENT_MAX_STEPS;
	int gap_before_last = r->steps_omitted && n && r->steps[n - 1].failed;
	const char *label = "script:";

	if (!r->script_ran)
		return;
	if (!n)
		printf("%-12s (no step ran)\n", label);
	for (size_t i = 0; i < n; i++) {
		const struct mxlab_client_step *st = &r->steps[i];
		size_t len = st->len < sizeof st->data ? st->len : sizeof st->data;

		if (gap_before_last && i == n - 1)
			printf("%-12s ... %zu more left out\n", "", r->steps_omitted);
		printf("%-12s step %u (line %u) %s: %s", label, st->step, st->line, st->kind,
		       st->dir[0] ? st->dir : "nothing sent or received");
		if (st->dir[0] && strcmp(st->dir, "tls")) {
			printf(" '");
			print_escaped(st->data, len);
			printf("'");
			if (st->bytes > len)
				printf("... (%zu more bytes)", st->bytes - len);
		}
		if (st->failed)
			printf(" FAILED: %s", r->script_error);
		putchar('\n');
		label = "";
	}
	if (r->steps_omitted && !gap_before_last)
		printf("%-12s ... %zu more left out\n", "", r->steps_omitted);
}

static void
report(const struct mxlab_client_result *r)
{
	const char *stop = mxlab_client_stage_name(r->failed_stage);

	for (int s = 0; s < MXLAB_CS_COUNT; s++) {
		const struct mxlab_client_reply *rp = &r->reply[s];
		char label[24];
		const char *p = rp->text;

		if (!rp->code)
			continue;
		snprintf(label, sizeof label, "%s:", mxlab_client_stage_name((enum mxlab_client_stage)s));
		do {
			size_t n = strcspn(p, "\n");

			printf("%-12s %d%s%.*s\n", label, rp->code, n ? " " : "", (int)n, p);
			label[0] = '\0';
			p += n;
		} while (*p && *++p);
	}
	print_script(r);
	print_lines("caps before:", r->caps_before);
	print_lines("caps after:", r->caps_after);
	if (r->tls)
		printf("%-12s %s, %s%s\n", "tls:", r->tls_version, r->cipher,
		       r->resumed ? ", session resumed" : "");
	else
		printf("%-12s %s\n", "tls:", "not established");
	printf("%-12s %s\n", "sni:", r->sni_sent ? r->sni : "(not sent)");
	printf("%-12s %d certificate%s\n", "chain:", r->nchain, r->nchain == 1 ? "" : "s");
	for (int i = 0; i < r->nchain && i < MXLAB_CLIENT_MAX_CHAIN; i++) {
		const struct mxlab_client_cert *c = &r->chain[i];

		printf("  %d subject: %s%s\n", i, c->subject, c->ca ? " (CA:TRUE)" : "");
		printf("    issuer:  %s\n", c->issuer);
		printf("    valid:   %s .. %s\n", c->not_before, c->not_after);
		if (c->names[0])
			printf("    names:   %s\n", c->names);
	}
	if (r->nchain || r->tls)
		printf("%-12s %s%s%s (name checked: %s)\n", "verify:",
		       r->verified ? "verified" : "NOT verified",
		       r->verified ? "" : ": ", r->verify_text,
		       r->verify_name[0] ? r->verify_name : "none");
	if (r->queue_id[0])
		printf("%-12s %s\n", "queued as:", r->queue_id);
	if (r->sessions > 1)
		printf("%-12s %d\n", "sessions:", r->sessions);
	if (r->failed_stage == MXLAB_CS_DONE)
		printf("%-12s %s\n", "result:", "done");
	else
		printf("%-12s failed at %s (exit %d): %s\n", "result:", stop,
		       mxlab_client_exit_code(r), r->error);
}

/* Is key one of the library's keys (not a typo of the user's)? */
static int
client_key_known(const char *key)
{
	for (const struct mxlab_client_key *k = mxlab_client_keys(); k->key; k++)
		if (!strcmp(k->key, key))
			return 1;
	return 0;
}

int
cmd_send(int argc, char **argv)
{
	static const char *const flags[] = { "help", "json", "quiet", NULL };
	mxlab_client_config *cfg = mxlab_client_config_new();
	struct mxlab_client_result *res = calloc(1, sizeof *res);
	char err[1024], keybuf[64];
	int i = 1, json = 0, quiet = 0, rc = MXLAB_EXIT_USAGE;
	mxlab_err e;

	if (!cfg || !res) {
		mx_warn("send", "out of memory");
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	while (i < argc) {
		const char *key, *value;
		int r = mx_opt_next("send", argc, argv, &i, flags, keybuf, sizeof keybuf,
				    &key, &value);

		if (r < 0)
			goto out;
		if (r > 0) {
			mx_warn("send", "unexpected argument '%s' (options are --KEY VALUE; "
				"see mxlab send --help)", argv[i]);
			goto out;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			rc = MXLAB_EXIT_OK;
			goto out;
		}
		if (!strcmp(key, "json") || !strcmp(key, "quiet")) {
			*(key[0] == 'j' ? &json : &quiet) = 1;
			continue;
		}
		if (!client_key_known(key)) {
			mx_warn("send", "unknown option '--%s' (see mxlab send --help)", key);
			goto out;
		}
		if (mxlab_client_config_set(cfg, key, value, err, sizeof err) != MXLAB_OK) {
			mx_warn("send", "--%s", err);
			goto out;
		}
	}
	if (mxlab_client_config_check(cfg, err, sizeof err) != MXLAB_OK) {
		mx_warn("send", "--%s", err);
		goto out;
	}
	if ((e = mxlab_client_run(cfg, res, err, sizeof err)) != MXLAB_OK) {
		mx_warn("send", "%s", err);
		rc = e == MXLAB_ERR_USAGE ? MXLAB_EXIT_USAGE : MXLAB_EXIT_FAIL;
		goto out;
	}
	rc = mxlab_client_exit_code(res);
	if (json) {
		char *j = mxlab_client_result_json(res);

		if (!j) {
			mx_warn("send", "out of memory");
			rc = MXLAB_EXIT_FAIL;
			goto out;
		}
		printf("%s\n", j);
		free(j);
	} else if (!quiet || rc != 0)
		report(res);
	fflush(stdout);
out:
	free(res);
	mxlab_client_config_free(cfg);
	return rc;
}
