/*
 * cmd_run.c: `mxlab run`, the scenario catalogue against a real Postfix.
 *
 * A front end on mxlab/runner.h: the options become the run's keys, the
 * paths its files and directories; the library loads, selects, schedules
 * and reports (on stdout, its messages and the scenario files' errors on
 * stderr; --html FILE: this file opens FILE and hands the stream to the
 * run). Here: the usage text, SIGINT/SIGTERM, which interrupt the run
 * (every sandbox killed, the run ends with what was decided so far), and
 * the -v lines.
 * Exit: 0 all passed (skips allowed), 1 a failure or error, 2 usage or
 * scenario-file errors, or not root.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mxlab/mxlab.h"
#include "mxlab.h"

/* The run a signal interrupts. */
static mxlab_run *volatile current_run;

static void
on_signal(int sig)
{
	(void)sig;
	if (current_run)
		mxlab_run_interrupt(current_run);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab run [OPTIONS] [FILE|DIR]...\n"
	    "\n"
	    "Run scenario files (*.scn; a DIR is searched recursively, suite.scn\n"
	    "files are suites, not scenarios; default: ./scenarios) against a\n"
	    "private, stock Postfix. Each scenario runs as root in its own network,\n"
	    "mount and PID namespaces with its own PKI, fake DNS and fake SMTP\n"
	    "peers; nothing leaves the machine and /etc/postfix is never read or\n"
	    "changed. See docs/scenario-format.md.\n"
	    "\n"
	    "Options:\n"
	    "  -j, --jobs N        run N scenarios at once (default 1)\n"
	    "  --name GLOB         only scenarios whose name matches (repeatable;\n"
	    "                      names look like outbound/secure-leaf-only)\n"
	    "  --tag TAG           only scenarios with this tag (repeatable: any)\n"
	    "  --skip-tag TAG      leave out scenarios with this tag (repeatable)\n"
	    "  --keep              keep every scenario's directory (failed ones are\n"
	    "                      always kept): configs, maillog, transcripts, PKI\n"
	    "  --workdir DIR       where scenario directories go (default: a new\n"
	    "                      /tmp/mxlab-run.XXXXXX)\n"
	    "  -v, --verbose       stream every maillog line to stderr\n"
	    "  --tap               TAP on stdout instead of the human report\n"
	    "  --junit FILE        also write JUnit XML\n"
	    "  --json FILE         also write JSON (results, evidence, timings)\n"
	    "  --html FILE         also write one self-contained HTML page: results,\n"
	    "                      evidence, each scenario's SMTP/TLS dialogue as a\n"
	    "                      sequence diagram, the certificate chains\n"
	    "  --shard K/N         run only the K-th of N parts of the selection\n"
	    "                      (1 <= K <= N <= 1000): scenario i of the\n"
	    "                      selection (from 0, in the order --list prints)\n"
	    "                      is in part (i mod N) + 1; splits a suite across\n"
	    "                      CI machines; works with --list and --check\n"
	    "  --list              print the selected scenarios and exit\n"
	    "  --check             only read and check the files\n"
	    "  --lab-goals         labs: decide their [lab] goals, not [expect]\n"
	    "  --lab-config DIR    labs: DIR/main.cf, DIR/master.cf for their own\n"
	    "                      (both as mxlab lab check does; docs/labs.md)\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "Exit status: 0 every scenario passed (skips allowed), 1 one failed,\n"
	    "2 a usage or scenario-file error, or not root.\n");
}

/* Is key one of the run's keys (not a typo of the user's)? */
static int
run_key_known(const char *key)
{
	for (const struct mxlab_run_key *k = mxlab_run_keys(); k->key; k++)
		if (!strcmp(k->key, key))
			return 1;
	return 0;
}

static int
add_path(mxlab_run *run, const char *path)
{
	if (mxlab_run_add_path(run, path) != MXLAB_OK) {
		mx_warn("run", "out of memory");
		return -2;
	}
	return 0;
}

/* The options into run (--html's FILE into *html). 0, 1 (--help
 * printed), -1 (a usage error, named) or -2 (out of memory). */
static int
parse_args(int argc, char **argv, mxlab_run *run, const char **html)
{
	const char *flags[32];
	char keybuf[64], err[1024];
	size_t nf = 0;
	int i = 1;

	/* The keys without a value, and --help. */
	for (const struct mxlab_run_key *k = mxlab_run_keys(); k->key && nf < 30; k++)
		if (!k->arg)
			flags[nf++] = k->key;
	flags[nf++] = "help";
	flags[nf] = NULL;
	while (i < argc) {
		const char *key, *value;
		mxlab_err e;
		int r;

		if (!strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "-v")) {
			mxlab_run_set(run, "verbose", "yes", err, sizeof err);
			i++;
			continue;
		}
		if (!strncmp(argv[i], "-j", 2)) {
			const char *v = argv[i][2] ? argv[i] + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v || mxlab_run_set(run, "jobs", v, err, sizeof err) != MXLAB_OK) {
				mx_warn("run", "-j: needs a number from 1 to 64");
				return -1;
			}
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				if (add_path(run, argv[i]) < 0)
					return -2;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1] != '-' && argv[i][1]) {
			mx_warn("run", "unknown option '%s' (see mxlab run --help)", argv[i]);
			return -1;
		}
		r = mx_opt_next("run", argc, argv, &i, flags, keybuf, sizeof keybuf, &key, &value);
		if (r < 0)
			return -1;
		if (r > 0) {
			if (add_path(run, argv[i++]) < 0)
				return -2;
			continue;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(key, "html")) {
			*html = value;
			continue;
		}
		if (!run_key_known(key)) {
			mx_warn("run", "unknown option '--%s' (see mxlab run --help)", key);
			return -1;
		}
		if ((e = mxlab_run_set(run, key, value, err, sizeof err)) != MXLAB_OK) {
			mx_warn("run", "--%s", err);
			return e == MXLAB_ERR_NOMEM ? -2 : -1;
		}
	}
	return 0;
}

/* -v: a scenario's maillog line, configuration change or client's end. */
static void
print_log(void *arg, const char *label, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s | %s\n", label, line);
	fflush(stderr);
}

int
mx_run_execute(mxlab_run *run)
{
	int rc;

	mxlab_run_set_output(run, stdout, stderr);
	mxlab_run_set_log(run, print_log, NULL);
	current_run = run;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	rc = mxlab_run_execute(run);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	current_run = NULL;
	return rc;
}

int
cmd_run(int argc, char **argv)
{
	mxlab_run *run = mxlab_run_new();
	const char *html = NULL;
	FILE *html_fp = NULL;
	int r, rc;

	if (!run) {
		mx_warn("run", "out of memory");
		return MXLAB_EXIT_FAIL;
	}
	if ((r = parse_args(argc, argv, run, &html)) != 0) {
		mxlab_run_free(run);
		return r > 0 ? MXLAB_EXIT_OK : r == -1 ? MXLAB_EXIT_USAGE : MXLAB_EXIT_FAIL;
	}
	if (html && !(html_fp = fopen(html, "w"))) {
		mx_warn("run", "--html %s: %s", html, strerror(errno));
		mxlab_run_free(run);
		return MXLAB_EXIT_USAGE;
	}
	mxlab_run_set_html(run, html_fp);
	rc = mx_run_execute(run);
	mxlab_run_free(run);
	if (html_fp && fclose(html_fp) != 0) {
		mx_warn("run", "--html %s: %s", html, strerror(errno));
		if (rc == MXLAB_EXIT_OK)
			rc = MXLAB_EXIT_FAIL;
	}
	return rc;
}
