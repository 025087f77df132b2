/*
 * run.c: the public run of scenario files (mxlab/runner.h): its options,
 * the checks and the making of its work directory and queue template,
 * and mxlab_run_execute. Selection: run_select.c; scheduling: run_jobs.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "pfinst.h"
#include "run_int.h"
#include "sandbox.h"
#include "scenario.h"

static const struct mxlab_run_key run_keys[] = {
	{ "jobs", "N", "run N scenarios at once (1 to 64; default 1)", 0 },
	{ "name", "GLOB", "only scenarios whose name matches", 1 },
	{ "tag", "TAG", "only scenarios with this tag (any of them)", 1 },
	{ "skip-tag", "TAG", "leave out scenarios with this tag", 1 },
	{ "keep", NULL, "keep every scenario's directory (failed ones are always kept)", 0 },
	{ "verbose", NULL, "every maillog line to the log callback", 0 },
	{ "tap", NULL, "TAP on the report stream instead of the human report", 0 },
	{ "list", NULL, "print the selected scenarios and stop", 0 },
	{ "check", NULL, "only read and check the files", 0 },
	{ "workdir", "DIR", "where scenario directories go (default: a new "
	  "/tmp/mxlab-run.XXXXXX)", 0 },
	{ "shard", "K/N", "run only the K-th of N parts of the selection "
	  "(1 <= K <= N <= 1000)", 0 },
	{ "junit", "FILE", "also write JUnit XML", 0 },
	{ "json", "FILE", "also write JSON (results, evidence, timings)", 0 },
	{ "lab-goals", NULL, "labs: decide their [lab] goal lines instead of [expect] "
	  "(mxlab lab check)", 0 },
	{ "lab-config", "DIR", "labs: DIR/main.cf and DIR/master.cf replace their "
	  "[main.cf] and [master.cf] (mxlab lab check)", 0 },
	{ "lab-shell", NULL, "labs: once the one lab's world is up, a shell inside it on "
	  "this process's terminal until it exits (mxlab lab FILE)", 0 },
	{ NULL, NULL, NULL, 0 }
};

const struct mxlab_run_key *
mxlab_run_keys(void)
{
	return run_keys;
}

void
run_warn(const struct mxlab_run *run, const char *fmt, ...)
{
	va_list ap;

	if (!run->diag)
		return;
	fputs("mxlab run: ", run->diag);
	va_start(ap, fmt);
	vfprintf(run->diag, fmt, ap);
	va_end(ap);
	fputc('\n', run->diag);
	fflush(run->diag);
}

int
run_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static void
free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

mxlab_run *
mxlab_run_new(void)
{
	mxlab_run *run = calloc(1, sizeof *run);

	if (run)
		run->jobs = 1;
	return run;
}

void
mxlab_run_free(mxlab_run *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->nitems; i++) {
		free(run->items[i].path);
		free(run->items[i].label);
		sc_free(run->items[i].sc);
	}
	free(run->items);
	free(run->sel);
	free_strings(run->names, run->nnames);
	free_strings(run->tags, run->ntags);
	free_strings(run->skip_tags, run->nskip_tags);
	free_strings(run->paths, run->npaths);
	free(run->workdir);
	free(run->junit);
	free(run->json);
	free(run->lab_config);
	free(run);
}

/* "K/N" -> *k, *n: whole numbers, 1 <= K <= N <= RUN_SHARD_MAX, nothing
 * else (no sign, no space). 0, or -1. */
static int
parse_count(const char **p, int *out)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > RUN_SHARD_MAX)
			return -1;
	*out = (int)v;
	*p = s;
	return 0;
}

static int
parse_shard(const char *v, int *k, int *n)
{
	if (parse_count(&v, k) < 0 || *v++ != '/' || parse_count(&v, n) < 0 || *v ||
	    *k < 1 || *k > *n)
		return -1;
	return 0;
}

/* Replace *dst with a copy of value. */
static mxlab_err
set_string(char **dst, const char *value)
{
	char *c = strdup(value);

	if (!c)
		return MXLAB_ERR_NOMEM;
	free(*dst);
	*dst = c;
	return MXLAB_OK;
}

#define USAGE(...) (snprintf(err, errlen, __VA_ARGS__), MXLAB_ERR_USAGE)
#define NOMEM() (snprintf(err, errlen, "%s: out of memory", key), MXLAB_ERR_NOMEM)

mxlab_err
mxlab_run_set(mxlab_run *run, const char *key, const char *value, char *err, size_t errlen)
{
	int *flag = NULL;

	if (!run || !key)
		return USAGE("no run or no key");
	if (!strcmp(key, "keep"))
		flag = &run->keep;
	else if (!strcmp(key, "verbose"))
		flag = &run->verbose;
	else if (!strcmp(key, "tap"))
		flag = &run->tap;
	else if (!strcmp(key, "list"))
		flag = &run->list;
	else if (!strcmp(key, "check"))
		flag = &run->check;
	else if (!strcmp(key, "lab-goals"))
		flag = &run->lab_goals;
	else if (!strcmp(key, "lab-shell"))
		flag = &run->lab_shell;
	if (flag) {
		if (!value || !strcmp(value, "yes"))
			*flag = 1;
		else if (!strcmp(value, "no"))
			*flag = 0;
		else
			return USAGE("%s: bad value '%s' (yes or no)", key, value);
		return MXLAB_OK;
	}
	if (!value)
		return USAGE("%s: needs a value", key);
	if (!strcmp(key, "jobs")) {
		char *end;
		long n = strtol(value, &end, 10);

		if (!*value || *end || n < 1 || n > 64)
			return USAGE("jobs: bad value '%s' (1 to 64)", value);
		run->jobs = (int)n;
	} else if (!strcmp(key, "name") || !strcmp(key, "tag") || !strcmp(key, "skip-tag")) {
		char ***v = key[0] == 'n' ? &run->names : key[0] == 't' ? &run->tags : &run->skip_tags;
		size_t *n = key[0] == 'n' ? &run->nnames : key[0] == 't' ? &run->ntags
					  : &run->nskip_tags;

		if (run_push(v, n, value) < 0)
			return NOMEM();
	} else if (!strcmp(key, "workdir")) {
		if (set_string(&run->workdir, value) != MXLAB_OK)
			return NOMEM();
	} else if (!strcmp(key, "shard")) {
		if (parse_shard(value, &run->shard_k, &run->shard_n) < 0)
			return USAGE("shard: bad value '%s': needs K/N, whole numbers with "
				     "1 <= K <= N <= %d (e.g. --shard 2/3)", value, RUN_SHARD_MAX);
	} else if (!strcmp(key, "lab-config")) {
		if (set_string(&run->lab_config, value) != MXLAB_OK)
			return NOMEM();
	} else if (!strcmp(key, "junit") || !strcmp(key, "json")) {
		if (set_string(key[1] == 'u' ? &run->junit : &run->json, value) != MXLAB_OK)
			return NOMEM();
	} else
		return USAGE("%s: unknown key", key);
	return MXLAB_OK;
}

mxlab_err
mxlab_run_add_path(mxlab_run *run, const char *path)
{
	if (!run || !path)
		return MXLAB_ERR_USAGE;
	return run_push(&run->paths, &run->npaths, path) < 0 ? MXLAB_ERR_NOMEM : MXLAB_OK;
}

void
mxlab_run_set_output(mxlab_run *run, FILE *report, FILE *diag)
{
	run->report = report;
	run->diag = diag;
}

void
mxlab_run_set_html(mxlab_run *run, FILE *html)
{
	run->html = html;
}

void
mxlab_run_set_log(mxlab_run *run, void (*log)(void *arg, const char *label, const char *line),
		  void *arg)
{
	run->log = log;
	run->log_arg = arg;
}

void
mxlab_run_interrupt(mxlab_run *run)
{
	if (run)
		run->interrupted = 1;
}

/* The absolute, resolved path of dir, which may not exist yet (its parent
 * must). 0, or -1 with errno set. */
static int
abs_path(const char *dir, char *out, size_t len)
{
	char *copy = strdup(dir), *slash, parent[PATH_MAX];
	const char *base;
	int r = -1;

	if (!copy)
		return -1;
	if (realpath(dir, parent)) {
		r = (size_t)snprintf(out, len, "%s", parent) < len ? 0 : (errno = ENAMETOOLONG, -1);
		goto done;
	}
	while ((slash = strrchr(copy, '/')) && slash != copy && !slash[1])
		*slash = '\0';		/* trailing slashes */
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EINVAL;
		goto done;
	}
	if (realpath(slash ? (*copy ? copy : "/") : ".", parent))
		r = (size_t)snprintf(out, len, "%s/%s", strcmp(parent, "/") ? parent : "", base) < len
			? 0 : (errno = ENAMETOOLONG, -1);
done:
	free(copy);
	return r;
}

/* A sandbox mounts the work directory's scenario directories at their own
 * paths below WORKDIR/.sandbox-root: that path holds the work directory
 * twice, and must stay below PATH_MAX with room for a scenario's name. */
#define WORKDIR_MAX ((MX_PATH_MAX - 64) / 2)

/*
 * The work directory is shown in every sandbox at its own path, writable:
 * never inside the trees the sandbox shows read-only from the host, nor
 * inside the system's Postfix locations (which it covers).
 */
static int
workdir_allowed(const char *dir, const struct pf_system *sys, char *err, size_t errlen)
{
	const enum pf_sys_param mine[] = { PF_SYS_CONFIG_DIR, PF_SYS_QUEUE_DIR, PF_SYS_DATA_DIR,
					   PF_SYS_MAIL_SPOOL, PF_SYS_META_DIR };

	if (sb_fs_is_host_tree(dir)) {
		snprintf(err, errlen, "--workdir %.900s: inside a tree the sandbox shows read-only "
			 "(/usr, /etc, /bin, /sbin, /lib*): choose another", dir);
		return -1;
	}
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
		const char *p = sys->v[mine[i]];
		size_t n = strlen(p);

		if (!strncmp(dir, p, n) && (dir[n] == '/' || dir[n] == '\0' || !strcmp(p, "/"))) {
			snprintf(err, errlen, "--workdir %.900s: inside the system's Postfix "
				 "directory %.900s: choose another", dir, p);
			return -1;
		}
	}
	return 0;
}

/* The work directory: --workdir checked, then made; or a new private
 * one. Returns -1 (run ends with *rc), or 0. */
static int
make_workdir(const mxlab_run *run, const struct pf_system *sys, char *workdir, size_t len,
	     int *rc)
{
	char err[3 * MX_PATH_MAX];

	*rc = RUN_EXIT_USAGE;
	if (run->workdir) {
		/* Checked before it is made: nothing is created where it may not be. */
		if (abs_path(run->workdir, workdir, len) < 0) {
			run_warn(run, "--workdir %s: %s", run->workdir, strerror(errno));
			return -1;
		}
		if (workdir_allowed(workdir, sys, err, sizeof err) < 0) {
			run_warn(run, "%s", err);
			return -1;
		}
		if (strlen(workdir) > WORKDIR_MAX) {
			run_warn(run, "--workdir %s: path too long (%zu bytes, at most %d: each "
				 "sandbox shows it at its own path below %s/.sandbox-root)", workdir,
				 strlen(workdir), WORKDIR_MAX, workdir);
			return -1;
		}
		if (mkdir(workdir, 0700) < 0 && errno != EEXIST) {
			run_warn(run, "--workdir %s: %s", run->workdir, strerror(errno));
			return -1;
		}
	} else {
		/* Only root gets in: what a sandbox leaves is no one else's. */
		snprintf(workdir, len, "/tmp/mxlab-run.XXXXXX");
		if (!mkdtemp(workdir)) {
			run_warn(run, "mkdtemp: %s", strerror(errno));
			*rc = RUN_EXIT_FAIL;
			return -1;
		}
	}
	return 0;
}

/* In the work directory: the sandboxes' root and the run's queue
 * template, then the scenarios; a new work directory is removed after
 * them if nothing was kept in it (not when the run could not start: as
 * it always was). Returns the exit status. */
static int
run_in(mxlab_run *run, const struct rp_options *rp, const struct pf_system *sys,
       const char *workdir)
{
	char root[MX_PATH_MAX], tmpl[MX_PATH_MAX], err[3 * MX_PATH_MAX];
	struct rn_options ro = { 0 };
	int rc;

	/* Sandboxes build their root on an empty directory (a mount point in
	 * their own namespaces; nothing is written to it here). */
	if (mx_path(root, sizeof root, "%s/.sandbox-root", workdir) < 0 ||
	    (mkdir(root, 0700) < 0 && errno != EEXIST)) {
		run_warn(run, "%s/.sandbox-root: %s", workdir,
			 errno == ENAMETOOLONG ? "path too long" : strerror(errno));
		return RUN_EXIT_FAIL;
	}
	ro.verbose = run->verbose;
	ro.steps = run->html != NULL;
	ro.log = run->log;
	ro.log_arg = run->log_arg;
	ro.keep = run->keep;
	ro.shell = run->lab_shell;
	ro.sys = sys;
	ro.sandbox_root = root;
	/* One set of PKI keys for the whole run, made here and copied into
	 * each sandbox with its memory: a scenario's PKI takes its keys from
	 * it and issues its own certificates (serials, validity, names), so
	 * nothing one scenario does reaches another's PKI, and no key is on
	 * disk outside a scenario's directory. EC key generation was a quarter
	 * of a PKI's cost. */
	if (!run->interrupted &&
	    mxlab_pki_keys_new(MXLAB_PKI_KEY_EC_P256, RN_PKI_HOST_KEYS, &ro.pki_keys, err,
			       sizeof err) != MXLAB_OK) {
		run_warn(run, "PKI keys: %s", err);
		rmdir(root);
		return RUN_EXIT_FAIL;
	}
	/* One queue for the whole run: `postfix check` makes one slowly. */
	if (mx_path(tmpl, sizeof tmpl, "%s/.postfix-template", workdir) < 0) {
		run_warn(run, "%s/.postfix-template: path too long", workdir);
		rmdir(root);
		mxlab_pki_keys_free(ro.pki_keys);
		return RUN_EXIT_FAIL;
	}
	/* Interrupted already: nothing will start, no template needed. */
	if (!run->interrupted && rn_template_make(tmpl, &ro, err, sizeof err) < 0) {
		run_warn(run, "%s", err);
		mx_rm_tree(tmpl);
		rmdir(root);
		mxlab_pki_keys_free(ro.pki_keys);
		return RUN_EXIT_FAIL;
	}
	ro.spool_template = tmpl;
	rc = run_jobs(run, rp, workdir, &ro);
	mxlab_pki_keys_free(ro.pki_keys);
	mx_rm_tree(tmpl);
	rmdir(root);
	if (!run->workdir && !run->keep)
		rmdir(workdir);		/* only if nothing was kept in it */
	return rc;
}

int
mxlab_run_execute(mxlab_run *run)
{
	struct rp_options rp = { 0 };
	struct pf_system sys = { { 0 } };
	char workdir[MX_PATH_MAX], err[3 * MX_PATH_MAX];
	size_t errors;
	int rc = RUN_EXIT_USAGE;

	if (!run)
		return RUN_EXIT_USAGE;
	if (run->executed) {
		run_warn(run, "a run can be executed only once");
		return RUN_EXIT_USAGE;
	}
	run->executed = 1;
	rp.out = run->report;
	rp.diag = run->diag;
	rp.tap = run->tap;
	rp.verbose = run->verbose;
	rp.junit = run->junit;
	rp.json = run->json;
	rp.html = run->html;
	rp.shard_k = run->shard_k;
	rp.shard_n = run->shard_n;
	errors = run_load(run);
	if (errors) {
		run_warn(run, "%zu error%s in scenario files: nothing was run", errors,
			 errors == 1 ? "" : "s");
		return RUN_EXIT_USAGE;
	}
	if (run_select(run) < 0) {
		run_warn(run, "out of memory");
		return RUN_EXIT_USAGE;
	}
	if (run->nall == 0 && !run->check && !run->list) {
		run_warn(run, "no scenario matches (%zu read)", run->nitems);
		return RUN_EXIT_USAGE;
	}
	if (run->check) {
		if (run->report) {
			fprintf(run->report, "mxlab run: %zu scenario files read, no errors", run->nitems);
			if (run->shard_n)
				fprintf(run->report, " (shard %d/%d: %zu of %zu selected)", run->shard_k,
					run->shard_n, run->nsel, run->nall);
			fprintf(run->report, "\n");
			fflush(run->report);
		}
		return RUN_EXIT_OK;
	}
	if (run->list) {
		for (size_t i = 0; i < run->nsel && run->report; i++)
			fprintf(run->report, "%-44s %s\n", run->sel[i]->label, run->sel[i]->sc->summary);
		if (run->report)
			fflush(run->report);
		return RUN_EXIT_OK;
	}
	if (run->lab_shell && (run->nsel != 1 || !run->sel[0]->sc->lab.line)) {
		run_warn(run, "lab-shell: one lab at a time (%zu scenario%s selected)", run->nsel,
			 run->nsel == 1 ? ", not a lab" : "s");
		return RUN_EXIT_USAGE;
	}
	if (sb_available(err, sizeof err) < 0) {
		run_warn(run, "%s", err);
		return RUN_EXIT_USAGE;
	}
	if (run->nsel == 0) {
		/* More shards than scenarios selected: this one has nothing to
		 * run, which is no failure (its reports say so). */
		run_warn(run, "shard %d/%d is empty (%zu scenario%s selected for %d shards): "
			 "nothing to run", run->shard_k, run->shard_n, run->nall,
			 run->nall == 1 ? "" : "s", run->shard_n);
		rp_begin(&rp, 0);
		return rp_end(&rp, NULL, 0, 0.0, NULL, 0) < 0 ? RUN_EXIT_FAIL : RUN_EXIT_OK;
	}
	if (pf_system_load(&sys, err, sizeof err) < 0) {
		run_warn(run, "%s", err);
		rc = RUN_EXIT_FAIL;
		goto out;
	}
	if (make_workdir(run, &sys, workdir, sizeof workdir, &rc) < 0)
		goto out;
	rc = run_in(run, &rp, &sys, workdir);
out:
	pf_system_free(&sys);
	return rc;
}
