/*
 * cmd_lab.c: `mxlab lab`, training labs (docs/labs.md).
 *
 *   mxlab lab FILE [--config DIR]          the lab shell (runner/lab_shell.c)
 *   mxlab lab --list [DIR]                 the labs of DIR (scenarios/labs)
 *   mxlab lab show FILE                    a lab's title, task, S-points
 *   mxlab lab config FILE DIR              its broken main.cf / master.cf
 *   mxlab lab check FILE [--config DIR]    its goals decided, with a hint
 *
 * A front end on mxlab/lab.h (reading a lab, writing its configuration)
 * and mxlab/runner.h (check is a run of the one file with the keys
 * lab-goals and lab-config, the shell the same with lab-shell). Exit: 0
 * listed / shown / written / every goal holds (the shell: the last
 * check's), 1 a goal fails (or the run could not run), 2 usage or file
 * errors.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/lab.h"
#include "mxlab/runner.h"
#include "mxlab.h"

#define LAB_DIR_DEFAULT "scenarios/labs"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: sudo mxlab lab FILE [--config DIR] [--workdir DIR] [--keep] [-v]\n"
	    "       mxlab lab --list [DIR]\n"
	    "       mxlab lab show FILE\n"
	    "       mxlab lab config FILE DIR\n"
	    "       sudo mxlab lab check FILE [--config DIR] [--hint N] [--html FILE]\n"
	    "                        [--workdir DIR] [--keep] [-v]\n"
	    "\n"
	    "Training labs: scenarios whose Postfix configuration is broken on\n"
	    "purpose, with a task, hints, goals and a reference solution\n"
	    "(docs/labs.md).\n"
	    "\n"
	    "  FILE           the lab shell: the lab's world (fake DNS, peers, its\n"
	    "                 Postfix) starts, its mail is sent once, and a shell\n"
	    "                 opens inside it: MAIL_CONFIG is the lab's Postfix,\n"
	    "                 postconf, postqueue, posttls-finger, openssl s_client\n"
	    "                 reach the lab's world and nothing else. Inside:\n"
	    "                 mxlab lab check (Postfix restarted on the edited\n"
	    "                 configuration, the mail sent again, the goals\n"
	    "                 decided), mxlab lab hint, mxlab lab task; exit leaves\n"
	    "                 and stops everything. --config, --workdir, --keep,\n"
	    "                 -v as for check. Exit 0 when the last check passed\n"
	    "  --list [DIR]   each lab of DIR (default " LAB_DIR_DEFAULT "): file,\n"
	    "                 title, difficulty, the S-points it covers\n"
	    "  show FILE      the lab's title, difficulty, S-points and task\n"
	    "  config FILE DIR\n"
	    "                 write the lab's broken main.cf (and master.cf) into\n"
	    "                 DIR: the files to edit, and the ones its solution\n"
	    "                 diff applies to\n"
	    "  check FILE     run the lab's world and decide its goals; prints\n"
	    "                 what still fails and a hint\n"
	    "    --config DIR DIR/main.cf, DIR/master.cf instead of the lab's own\n"
	    "                 (default: the lab's broken configuration)\n"
	    "    --hint N     print hint N (from 1) when a goal fails (default 1)\n"
	    "    --html FILE  also write the check as a self-contained HTML page:\n"
	    "                 each goal with its evidence, the dialogue as a\n"
	    "                 sequence diagram, the chains (as mxlab run --html)\n"
	    "    --workdir DIR  the run's directory goes in DIR (default: a new\n"
	    "                 /tmp/mxlab-run.XXXXXX)\n"
	    "    --keep       keep the run's directory (kept anyway when a goal\n"
	    "                 fails: the configuration you edited is there)\n"
	    "    -v           the maillog lines as they come, on stderr\n"
	    "  -h, --help     this text\n"
	    "\n"

	    "Exit status: 0 done (check: every goal holds), 1 a goal fails,\n"
	    "2 a usage or lab-file error (check: or not root).\n");
}

static int
scn_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && !strcmp(d->d_name + n - 4, ".scn") && strcmp(d->d_name, "suite.scn");
}

static int
lab_list(const char *dir)
{
	struct dirent **ents;
	char err[4096], path[4096];
	int n, rc = MXLAB_EXIT_OK, shown = 0;

	if ((n = scandir(dir, &ents, scn_file, alphasort)) < 0) {
		mx_warn("lab", "%s: %s", dir, strerror(errno));
		return MXLAB_EXIT_USAGE;
	}
	for (int i = 0; i < n; i++) {
		mxlab_lab *lab;
		int notlab;

		snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (!(lab = mxlab_lab_load(path, &notlab, err, sizeof err))) {
			if (!notlab) {
				fprintf(stderr, "%s\n", err);
				rc = MXLAB_EXIT_USAGE;
			}
			continue;
		}
		printf("%-44s %-7s %-14s %s\n", path, mxlab_lab_field(lab, "difficulty"),
		       mxlab_lab_field(lab, "seed"), mxlab_lab_field(lab, "title"));
		shown++;
		mxlab_lab_free(lab);
	}
	free(ents);
	if (!shown && rc == MXLAB_EXIT_OK) {
		mx_warn("lab", "%s: no lab (a *.scn with a [lab] section)", dir);
		rc = MXLAB_EXIT_USAGE;
	}
	return rc;
}

static mxlab_lab *
load(const char *path)
{
	char err[4096];
	mxlab_lab *lab = mxlab_lab_load(path, NULL, err, sizeof err);

	if (!lab)
		fprintf(stderr, "%s\n", err);
	return lab;
}

static int
lab_show(const char *path)
{
	mxlab_lab *lab = load(path);
	size_t nh = 0;

	if (!lab)
		return MXLAB_EXIT_USAGE;
	while (mxlab_lab_hint(lab, nh))
		nh++;
	printf("%s\n%s, covers %s, %zu hint%s\n\n%s\n", mxlab_lab_field(lab, "title"),
	       mxlab_lab_field(lab, "difficulty"), mxlab_lab_field(lab, "seed"), nh,
	       nh == 1 ? "" : "s", mxlab_lab_field(lab, "task"));
	mxlab_lab_free(lab);
	return MXLAB_EXIT_OK;
}

static int
lab_config(const char *path, const char *dir)
{
	mxlab_lab *lab = load(path);
	char err[4200];
	int rc = MXLAB_EXIT_OK;

	if (!lab)
		return MXLAB_EXIT_USAGE;
	if (mxlab_lab_write_config(lab, dir, err, sizeof err) != MXLAB_OK) {
		mx_warn("lab", "%s", err);
		rc = MXLAB_EXIT_FAIL;
	} else
		printf("%s: the lab's configuration written; check it with: "
		       "sudo mxlab lab check %s --config %s\n", dir, path, dir);
	mxlab_lab_free(lab);
	return rc;
}

struct lab_opts {
	const char *file, *config, *workdir, *html;
	long nhint;
	int keep, verbose;
};

/* The options of check (shell 0) and of the lab shell (shell 1): 0, or
 * the exit status of a usage error. */
static int
lab_opts(int argc, char **argv, int i, int shell, struct lab_opts *o)
{
	static const char *const with_value[] = { "--config", "--hint", "--workdir", "--html" };

	memset(o, 0, sizeof *o);
	o->nhint = 1;
	for (; i < argc; i++) {
		size_t k = 0;

		while (k < 4 && strcmp(argv[i], with_value[k]))
			k++;
		if (k < 4) {
			char *end;

			if (i + 1 >= argc) {
				mx_warn("lab", "%s: needs a value", argv[i]);
				return MXLAB_EXIT_USAGE;
			}
			if (shell && (k == 1 || k == 3)) {
				mx_warn("lab", "%s is for mxlab lab check%s", argv[i],
					k == 1 ? " (in the shell: mxlab lab hint)" : "");
				return MXLAB_EXIT_USAGE;
			}
			i++;
			if (k == 0)
				o->config = argv[i];
			else if (k == 2)
				o->workdir = argv[i];
			else if (k == 3)
				o->html = argv[i];
			else if ((o->nhint = strtol(argv[i], &end, 10)), *end || o->nhint < 1 ||
				 o->nhint > 100) {
				mx_warn("lab", "--hint: bad value '%s' (1 to 100)", argv[i]);
				return MXLAB_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--keep"))
			o->keep = 1;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			o->verbose = 1;
		else if (argv[i][0] == '-') {
			mx_warn("lab", "unknown option '%s' (see mxlab lab --help)", argv[i]);
			return MXLAB_EXIT_USAGE;
		} else if (!o->file)
			o->file = argv[i];
		else {
			mx_warn("lab", "one lab file at a time ('%s' is one too many)", argv[i]);
			return MXLAB_EXIT_USAGE;
		}
	}
	if (!o->file) {
		mx_warn("lab", "check: which lab? (mxlab lab check FILE)");
		return MXLAB_EXIT_USAGE;
	}
	return 0;
}

/* The run of one lab: its goals, the options. NULL (said) on error. */
static mxlab_run *
lab_run_new(const struct lab_opts *o, int shell)
{
	const char *const kv[][2] = {
		{ "lab-goals", "yes" }, { "lab-config", o->config },
		{ "keep", o->keep ? "yes" : NULL }, { "workdir", o->workdir },
		{ "verbose", o->verbose ? "yes" : NULL }, { "lab-shell", shell ? "yes" : NULL },
	};
	mxlab_run *run = mxlab_run_new();
	char err[1024];

	if (!run) {
		mx_warn("lab", "out of memory");
		return NULL;
	}
	for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++)
		if (kv[k][1] && mxlab_run_set(run, kv[k][0], kv[k][1], err, sizeof err) != MXLAB_OK) {
			mx_warn("lab", "%s", err);
			mxlab_run_free(run);
			return NULL;
		}
	if (mxlab_run_add_path(run, o->file) != MXLAB_OK) {
		mx_warn("lab", "out of memory");
		mxlab_run_free(run);
		return NULL;
	}
	return run;
}

/* What a check's exit status means for the student, with the hint. */
static void
check_verdict(const mxlab_lab *lab, const struct lab_opts *o, int rc)
{
	const char *hint = mxlab_lab_hint(lab, (size_t)o->nhint - 1);

	if (rc == MXLAB_EXIT_OK) {
		printf("lab solved: every goal of %s holds\n", o->file);
		return;
	}
	if (rc != MXLAB_EXIT_FAIL)
		return;
	printf("lab not solved yet: the goals above still fail\n");
	if (hint) {
		printf("hint %ld: %s\n", o->nhint, hint);
		if (mxlab_lab_hint(lab, (size_t)o->nhint))
			printf("(the next one: mxlab lab check %s%s%s --hint %ld)\n", o->file,
			       o->config ? " --config " : "", o->config ? o->config : "",
			       o->nhint + 1);
	} else
		printf("no hint %ld: see the solution, %s\n", o->nhint,
		       mxlab_lab_field(lab, "solution") ? mxlab_lab_field(lab, "solution") : "(none)");
}

/* check (shell 0) and the lab shell (shell 1): one run of the lab. */
static int
lab_run(int argc, char **argv, int i, int shell)
{
	struct lab_opts o;
	FILE *html = NULL;
	mxlab_lab *lab;
	mxlab_run *run;
	int rc = lab_opts(argc, argv, i, shell, &o);

	if (rc)
		return rc;
	if (!(lab = load(o.file)))
		return MXLAB_EXIT_USAGE;
	if (!(run = lab_run_new(&o, shell))) {
		mxlab_lab_free(lab);
		return MXLAB_EXIT_FAIL;
	}
	if (o.html && !(html = fopen(o.html, "w"))) {
		mx_warn("lab", "--html %s: %s", o.html, strerror(errno));
		mxlab_run_free(run);
		mxlab_lab_free(lab);
		return MXLAB_EXIT_USAGE;
	}
	mxlab_run_set_html(run, html);
	rc = mx_run_execute(run);
	mxlab_run_free(run);
	if (html && fclose(html) != 0) {
		mx_warn("lab", "--html %s: %s", o.html, strerror(errno));
		rc = rc == MXLAB_EXIT_OK ? MXLAB_EXIT_FAIL : rc;
	}
	if (shell)
		printf("%s: %s\n", o.file, rc == MXLAB_EXIT_OK ? "solved (the last check passed)" :
		       rc == MXLAB_EXIT_FAIL ? "left the lab, not solved (see above)" :
		       "the lab shell could not run");
	else
		check_verdict(lab, &o, rc);
	mxlab_lab_free(lab);
	return rc;
}

int
cmd_lab(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MXLAB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return MXLAB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--list")) {
		if (argc > 3) {
			mx_warn("lab", "--list takes one directory at most");
			return MXLAB_EXIT_USAGE;
		}
		return lab_list(argc > 2 ? argv[2] : LAB_DIR_DEFAULT);
	}
	if (!strcmp(argv[1], "check"))
		return lab_run(argc, argv, 2, 0);
	if (!strcmp(argv[1], "show") && argc == 3)
		return lab_show(argv[2]);
	if (!strcmp(argv[1], "config") && argc == 4)
		return lab_config(argv[2], argv[3]);
	if (argv[1][0] != '-' && strcmp(argv[1], "show") && strcmp(argv[1], "config"))
		return lab_run(argc, argv, 1, 1);
	mx_warn("lab", "bad arguments (see mxlab lab --help)");
	return MXLAB_EXIT_USAGE;
}
