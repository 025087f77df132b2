/*
 * cmd_run.c: `mxlab run`, the scenario catalogue against a real Postfix.
 *
 * Loads every scenario first (any error: all of them printed as
 * FILE:LINE: ..., exit 2, nothing started), filters by name and tag, skips
 * those whose requirements are not met, then runs up to -j at once, each
 * in its own sandbox (runner.h), and reports as they finish (report.h).
 * SIGINT/SIGTERM kill every sandbox (their namespaces die with them) and
 * end the run with what was decided so far.
 * Exit: 0 all passed (skips allowed), 1 a failure or error, 2 usage or
 * scenario-file errors, or not root.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "mxlab.h"
#include "pfinst.h"
#include "report.h"
#include "runner.h"
#include "sandbox.h"
#include "scenario.h"

struct run_options {
	int jobs;			/* -j: scenarios at once (default 1) */
	char **names;			/* --name GLOB: run only matching */
	size_t nnames;
	char **tags;			/* --tag TAG: only scenarios with one of them */
	size_t ntags;
	char **skip_tags;		/* --skip-tag TAG */
	size_t nskip_tags;
	int keep;			/* --keep: keep every scenario directory */
	int verbose;			/* -v: stream maillogs */
	int list;			/* --list: print the selection and exit */
	int check;			/* --check: load files only */
	const char *workdir;		/* --workdir DIR */
	int shard_k, shard_n;		/* --shard K/N (0/0: no sharding) */
	struct rp_options rp;		/* --tap --junit --json */
};

struct item {
	char *path;
	char *label;
	struct scenario *sc;
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
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
	    "  --shard K/N         run only the K-th of N parts of the selection\n"
	    "                      (1 <= K <= N <= 1000): scenario i of the\n"
	    "                      selection (from 0, in the order --list prints)\n"
	    "                      is in part (i mod N) + 1; splits a suite across\n"
	    "                      CI machines; works with --list and --check\n"
	    "  --list              print the selected scenarios and exit\n"
	    "  --check             only read and check the files\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "Exit status: 0 every scenario passed (skips allowed), 1 one failed,\n"
	    "2 a usage or scenario-file error, or not root.\n");
}

static int
push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv || !(nv[*n] = strdup(s)))
		return -1;
	*v = nv;
	(*n)++;
	return 0;
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

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A suite file holds the defaults of the scenarios in its directory and
 * below (the scenario loader applies it); it is not a scenario itself. */
#define SUITE_FILE "suite.scn"

static int
is_suite_file(const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, SUITE_FILE);
}

/* Collect *.scn under dir (sorted, recursively). Directories are walked,
 * symbolic links to them are not (a link loop cannot make the walk
 * endless); every other *.scn entry is collected, whatever it is, so that
 * sc_load reports a FIFO, a socket or a dangling link by name; but not
 * suite.scn, which is no scenario. */
static int
find_files(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nn = 0;
	int r = 0;

	if (!d) {
		mx_warn("run", "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && push(&names, &nn, e->d_name) < 0)
			r = -1;
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, cmp_str);
	for (size_t i = 0; i < nn; i++) {
		char path[MX_PATH_MAX];
		struct stat st;
		size_t l = strlen(names[i]);

		if (mx_path(path, sizeof path, "%s/%s", dir, names[i]) < 0) {
			mx_warn("run", "%s/%s: path too long", dir, names[i]);
			r = -1;
		} else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (find_files(path, out, n) < 0)
				r = -1;
		} else if (l > 4 && !strcmp(names[i] + l - 4, ".scn") &&
			   strcmp(names[i], SUITE_FILE) != 0) {
			if (push(out, n, path) < 0)
				r = -1;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* "scenarios/outbound/x.scn" under root "scenarios" -> "outbound/x". */
static char *
make_label(const char *path, const char *root)
{
	const char *p = path;
	size_t rl = root ? strlen(root) : 0;
	char *l;
	size_t n;

	if (root && !strncmp(path, root, rl) && path[rl] == '/')
		p = path + rl + 1;
	else if (strrchr(path, '/'))
		p = strrchr(path, '/') + 1;
	if (!(l = strdup(p)))
		return NULL;
	n = strlen(l);
	if (n > 4 && !strcmp(l + n - 4, ".scn"))
		l[n - 4] = '\0';
	return l;
}

static int
selected(const struct run_options *o, const struct item *it)
{
	int ok = o->nnames == 0;

	for (size_t i = 0; i < o->nnames && !ok; i++)
		ok = fnmatch(o->names[i], it->label, 0) == 0 ||
		     fnmatch(o->names[i], it->sc->name, 0) == 0;
	if (!ok)
		return 0;
	if (o->ntags) {
		ok = 0;
		for (size_t i = 0; i < o->ntags && !ok; i++)
			ok = sc_has_tag(it->sc, o->tags[i]);
		if (!ok)
			return 0;
	}
	for (size_t i = 0; i < o->nskip_tags; i++)
		if (sc_has_tag(it->sc, o->skip_tags[i]))
			return 0;
	return 1;
}

/* "K/N" -> *k, *n: whole numbers, 1 <= K <= N <= SHARD_MAX, nothing else
 * (no sign, no space). 0, or -1. */
#define SHARD_MAX 1000

static int
parse_count(const char **p, int *out)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > SHARD_MAX)
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

static int
parse_args(int argc, char **argv, struct run_options *o, char ***paths, size_t *npaths)
{
	static const char *const flags[] = { "keep", "verbose", "tap", "list", "check", "help", NULL };
	char keybuf[64];
	int i = 1;

	while (i < argc) {
		const char *key, *value;
		int r;

		if (!strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "-v")) {
			o->verbose = 1;
			i++;
			continue;
		}
		if (!strcmp(argv[i], "-j") || !strncmp(argv[i], "-j", 2)) {
			const char *v = argv[i][2] ? argv[i] + 2 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			long n = v ? strtol(v, &end, 10) : 0;

			if (!v || *end || n < 1 || n > 64) {
				mx_warn("run", "-j: needs a number from 1 to 64");
				return -1;
			}
			o->jobs = (int)n;
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				push(paths, npaths, argv[i]);
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
			push(paths, npaths, argv[i++]);
			continue;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(key, "keep"))
			o->keep = 1;
		else if (!strcmp(key, "verbose"))
			o->verbose = 1;
		else if (!strcmp(key, "tap"))
			o->rp.tap = 1;
		else if (!strcmp(key, "list"))
			o->list = 1;
		else if (!strcmp(key, "check"))
			o->check = 1;
		else if (!strcmp(key, "jobs")) {
			char *end;
			long n = strtol(value, &end, 10);

			if (*end || n < 1 || n > 64) {
				mx_warn("run", "--jobs: bad value '%s' (1 to 64)", value);
				return -1;
			}
			o->jobs = (int)n;
		} else if (!strcmp(key, "name"))
			push(&o->names, &o->nnames, value);
		else if (!strcmp(key, "tag"))
			push(&o->tags, &o->ntags, value);
		else if (!strcmp(key, "skip-tag"))
			push(&o->skip_tags, &o->nskip_tags, value);
		else if (!strcmp(key, "workdir"))
			o->workdir = value;
		else if (!strcmp(key, "shard")) {
			if (parse_shard(value, &o->shard_k, &o->shard_n) < 0) {
				mx_warn("run", "--shard: bad value '%s': needs K/N, whole numbers "
					"with 1 <= K <= N <= %d (e.g. --shard 2/3)", value, SHARD_MAX);
				return -1;
			}
			o->rp.shard_k = o->shard_k;
			o->rp.shard_n = o->shard_n;
		}
		else if (!strcmp(key, "junit"))
			o->rp.junit = value;
		else if (!strcmp(key, "json"))
			o->rp.json = value;
		else {
			mx_warn("run", "unknown option '--%s' (see mxlab run --help)", key);
			return -1;
		}
	}
	return 0;
}

/* Load every file; print every error. Returns the number of errors. */
static size_t
load_all(char **paths, size_t npaths, struct item **items, size_t *nitems)
{
	size_t errors = 0;

	for (size_t p = 0; p < npaths; p++) {
		char **files = NULL;
		size_t nf = 0;
		struct stat st;
		int isdir = stat(paths[p], &st) == 0 && S_ISDIR(st.st_mode);

		if (isdir) {
			if (find_files(paths[p], &files, &nf) < 0) {
				errors++;
				continue;
			}
		} else if (is_suite_file(paths[p])) {
			fprintf(stderr, "%s: a suite holds the defaults of the scenarios beside it; "
				"it is not a scenario\n", paths[p]);
			errors++;
			continue;
		} else
			push(&files, &nf, paths[p]);
		for (size_t f = 0; f < nf; f++) {
			struct sc_errors errs = { 0 };
			struct scenario *sc = sc_load(files[f], &errs);
			struct item *ni;

			for (size_t e = 0; e < errs.n; e++)
				fprintf(stderr, "%s\n", errs.msg[e]);
			errors += errs.n ? errs.n : !sc;
			sc_errors_free(&errs);
			if (sc && (ni = realloc(*items, (*nitems + 1) * sizeof *ni))) {
				*items = ni;
				ni[*nitems].path = files[f];
				ni[*nitems].label = make_label(files[f], isdir ? paths[p] : NULL);
				ni[*nitems].sc = sc;
				(*nitems)++;
				files[f] = NULL;
			} else
				sc_free(sc);
			free(files[f]);
		}
		free(files);
	}
	return errors;
}

/* A directory name for a label: "outbound/x" -> "outbound_x". 0, or -1
 * (errno ENAMETOOLONG) when the path would not fit: never cut off. */
static int
dir_for(char *buf, size_t len, const char *workdir, const char *label, size_t idx)
{
	char *safe = strdup(label);
	int r;

	if (!safe)
		return -1;
	for (char *p = safe; *p; p++)
		if (*p == '/')
			*p = '_';
	r = mx_path(buf, len, "%s/%03zu-%s", workdir, idx + 1, safe);
	free(safe);
	return r;
}

static int
run_selection(struct run_options *o, struct item **sel, size_t nsel, const char *workdir,
	      const struct rn_options *base)
{
	struct rp_entry *ent = calloc(nsel + 1, sizeof *ent);
	struct rn_job *jobs = calloc((size_t)o->jobs, sizeof *jobs);
	struct rn_options ro = *base;
	size_t next = 0, done = 0, running = 0, reported = 0;
	long t0 = rn_now_ms();
	int failed = 0;
	size_t config_errors = 0;

	if (!ent || !jobs) {
		free(ent);
		free(jobs);
		mx_warn("run", "out of memory");
		return MXLAB_EXIT_FAIL;
	}
	for (int k = 0; k < o->jobs; k++)
		jobs[k].pid = -1, jobs[k].fd = -1;
	rp_begin(&o->rp, nsel);
	while (done < nsel) {
		struct pollfd pfd[64];
		int map[64], np = 0;

		/* Start what fits, skipping what cannot run here. */
		for (int k = 0; k < o->jobs && next < nsel && !interrupted; k++) {
			char dir[MX_PATH_MAX], err[3 * MX_PATH_MAX], why[512];

			if (jobs[k].pid > 0 || jobs[k].fd >= 0)
				continue;
			ent[next].label = sel[next]->label;
			ent[next].sc = sel[next]->sc;
			if (rn_requires_unmet(sel[next]->sc, ro.sys, why, sizeof why)) {
				ent[next].res.status = RN_SKIP;
				ent[next].res.message = strdup(why);
				rp_one(&o->rp, ++reported, &ent[next]);
				next++;
				done++;
				k--;
				continue;
			}
			if (dir_for(dir, sizeof dir, workdir, sel[next]->label, next) < 0)
				snprintf(err, sizeof err, "%.900s/%03zu-...: %s", workdir, next + 1,
					 errno == ENAMETOOLONG ? "path too long" : strerror(errno));
			if (!*dir || rn_job_start(&jobs[k], sel[next]->sc, sel[next]->label, dir, &ro,
					 err, sizeof err) < 0) {
				ent[next].res.status = RN_ERROR;
				ent[next].res.message = strdup(err);
				rp_one(&o->rp, ++reported, &ent[next]);
				failed = 1;
				next++;
				done++;
				k--;
				continue;
			}
			running++;
			next++;
		}
		if (interrupted) {
			for (int k = 0; k < o->jobs; k++)
				rn_job_kill(&jobs[k]);
		}
		if (running == 0) {
			if (interrupted || next >= nsel)
				break;
			continue;
		}
		for (int k = 0; k < o->jobs; k++) {
			if (jobs[k].fd >= 0) {
				pfd[np].fd = jobs[k].fd;
				pfd[np].events = POLLIN;
				map[np++] = k;
			}
		}
		if (np > 0)
			(void)poll(pfd, (nfds_t)np, 250);
		for (int i = 0; i < np; i++)
			if (pfd[i].revents)
				rn_job_read(&jobs[map[i]]);
		for (int k = 0; k < o->jobs; k++) {
			struct rn_job *j = &jobs[k];
			size_t idx;

			if (j->pid <= 0 && j->fd < 0)
				continue;
			rn_job_check_deadline(j, rn_now_ms());
			if (j->fd >= 0)
				continue;
			/* The pipe closed: the sandbox is done (or dead). */
			for (idx = 0; idx < nsel && sel[idx]->sc != j->sc; idx++)
				;
			rn_job_finish(j, &ro);
			ent[idx].label = sel[idx]->label;
			ent[idx].sc = sel[idx]->sc;
			ent[idx].res = j->res;
			memset(&j->res, 0, sizeof j->res);
			j->pid = -1;
			j->fd = -1;
			failed |= ent[idx].res.status == RN_FAIL || ent[idx].res.status == RN_ERROR;
			config_errors += ent[idx].res.config_error;
			rp_one(&o->rp, ++reported, &ent[idx]);
			running--;
			done++;
		}
	}
	for (size_t i = 0; i < nsel; i++)
		if (!ent[i].label) {
			ent[i].label = sel[i]->label;
			ent[i].sc = sel[i]->sc;
			ent[i].res.status = RN_SKIP;
			ent[i].res.message = strdup("interrupted before it started");
		}
	if (rp_end(&o->rp, ent, nsel, (rn_now_ms() - t0) / 1000.0, workdir, interrupted) < 0)
		failed = 1;
	for (size_t i = 0; i < nsel; i++)
		rn_result_free(&ent[i].res);
	free(ent);
	free(jobs);
	if (config_errors)
		return MXLAB_EXIT_USAGE;	/* a user's configuration that cannot run */
	return failed || interrupted ? MXLAB_EXIT_FAIL : MXLAB_EXIT_OK;
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
cmd_run(int argc, char **argv)
{
	struct run_options o = { .jobs = 1, .rp = { .out = stdout, .diag = stderr } };
	char **paths = NULL, workdir[MX_PATH_MAX], tmpl[MX_PATH_MAX], root[MX_PATH_MAX], err[3 * MX_PATH_MAX];
	struct pf_system sys = { { 0 } };
	struct rn_options ro = { 0 };
	size_t npaths = 0, nitems = 0, nsel = 0, nall, errors;
	struct item *items = NULL, **sel = NULL;
	int r, rc = MXLAB_EXIT_USAGE;

	if ((r = parse_args(argc, argv, &o, &paths, &npaths)) != 0) {
		rc = r > 0 ? MXLAB_EXIT_OK : MXLAB_EXIT_USAGE;
		goto out;
	}
	if (npaths == 0)
		push(&paths, &npaths, "scenarios");
	errors = load_all(paths, npaths, &items, &nitems);
	if (errors) {
		mx_warn("run", "%zu error%s in scenario files: nothing was run", errors,
			errors == 1 ? "" : "s");
		goto out;
	}
	if (!(sel = calloc(nitems + 1, sizeof *sel)))
		goto out;
	for (size_t i = 0; i < nitems; i++)
		if (selected(&o, &items[i]))
			sel[nsel++] = &items[i];
	if (nsel == 0 && !o.check && !o.list) {
		mx_warn("run", "no scenario matches (%zu read)", nitems);
		goto out;
	}
	/* The shard: the selection's i-th (0-based, in path order) is in part
	 * (i mod N) + 1; every file was read and checked all the same. */
	nall = nsel;
	if (o.shard_n) {
		size_t k = 0;

		for (size_t i = 0; i < nall; i++)
			if (i % (size_t)o.shard_n == (size_t)o.shard_k - 1)
				sel[k++] = sel[i];
		nsel = k;
	}
	if (o.check) {
		printf("mxlab run: %zu scenario files read, no errors", nitems);
		if (o.shard_n)
			printf(" (shard %d/%d: %zu of %zu selected)", o.shard_k, o.shard_n, nsel, nall);
		printf("\n");
		rc = MXLAB_EXIT_OK;
		goto out;
	}
	if (o.list) {
		for (size_t i = 0; i < nsel; i++)
			printf("%-44s %s\n", sel[i]->label, sel[i]->sc->summary);
		rc = MXLAB_EXIT_OK;
		goto out;
	}
	if (sb_available(err, sizeof err) < 0) {
		mx_warn("run", "%s", err);
		goto out;
	}
	if (nsel == 0) {
		/* More shards than scenarios selected: this one has nothing to
		 * run, which is no failure (its reports say so). */
		mx_warn("run", "shard %d/%d is empty (%zu scenario%s selected for %d shards): "
			"nothing to run", o.shard_k, o.shard_n, nall, nall == 1 ? "" : "s", o.shard_n);
		rp_begin(&o.rp, 0);
		rc = rp_end(&o.rp, NULL, 0, 0.0, NULL, 0) < 0 ? MXLAB_EXIT_FAIL : MXLAB_EXIT_OK;
		goto out;
	}
	if (pf_system_load(&sys, err, sizeof err) < 0) {
		mx_warn("run", "%s", err);
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	if (o.workdir) {
		/* Checked before it is made: nothing is created where it may not be. */
		if (abs_path(o.workdir, workdir, sizeof workdir) < 0) {
			mx_warn("run", "--workdir %s: %s", o.workdir, strerror(errno));
			goto out;
		}
		if (workdir_allowed(workdir, &sys, err, sizeof err) < 0) {
			mx_warn("run", "%s", err);
			goto out;
		}
		if (strlen(workdir) > WORKDIR_MAX) {
			mx_warn("run", "--workdir %s: path too long (%zu bytes, at most %d: each "
				"sandbox shows it at its own path below %s/.sandbox-root)", workdir,
				strlen(workdir), WORKDIR_MAX, workdir);
			goto out;
		}
		if (mkdir(workdir, 0700) < 0 && errno != EEXIST) {
			mx_warn("run", "--workdir %s: %s", o.workdir, strerror(errno));
			goto out;
		}
	} else {
		/* Only root gets in: what a sandbox leaves is no one else's. */
		snprintf(workdir, sizeof workdir, "/tmp/mxlab-run.XXXXXX");
		if (!mkdtemp(workdir)) {
			mx_warn("run", "mkdtemp: %s", strerror(errno));
			rc = MXLAB_EXIT_FAIL;
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* Sandboxes build their root on an empty directory (a mount point in
	 * their own namespaces; nothing is written to it here). */
	if (mx_path(root, sizeof root, "%s/.sandbox-root", workdir) < 0 ||
	    (mkdir(root, 0700) < 0 && errno != EEXIST)) {
		mx_warn("run", "%s/.sandbox-root: %s", workdir,
			errno == ENAMETOOLONG ? "path too long" : strerror(errno));
		rc = MXLAB_EXIT_FAIL;
		goto out;
	}
	ro.verbose = o.verbose;
	ro.log = print_log;
	ro.keep = o.keep;
	ro.sys = &sys;
	ro.sandbox_root = root;
	/* One queue for the whole run: `postfix check` makes one slowly. */
	if (mx_path(tmpl, sizeof tmpl, "%s/.postfix-template", workdir) < 0) {
		mx_warn("run", "%s/.postfix-template: path too long", workdir);
		rc = MXLAB_EXIT_FAIL;
		rmdir(root);
		goto out;
	}
	if (rn_template_make(tmpl, &ro, err, sizeof err) < 0) {
		mx_warn("run", "%s", err);
		rc = MXLAB_EXIT_FAIL;
		mx_rm_tree(tmpl);
		rmdir(root);
		goto out;
	}
	ro.spool_template = tmpl;
	rc = run_selection(&o, sel, nsel, workdir, &ro);
	mx_rm_tree(tmpl);
	rmdir(root);
	if (!o.workdir && !o.keep)
		rmdir(workdir);		/* only if nothing was kept in it */
out:
	for (size_t i = 0; i < nitems; i++) {
		free(items[i].path);
		free(items[i].label);
		sc_free(items[i].sc);
	}
	free(items);
	free(sel);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	for (size_t i = 0; i < o.nnames; i++)
		free(o.names[i]);
	for (size_t i = 0; i < o.ntags; i++)
		free(o.tags[i]);
	for (size_t i = 0; i < o.nskip_tags; i++)
		free(o.skip_tags[i]);
	free(o.names);
	free(o.tags);
	free(o.skip_tags);
	pf_system_free(&sys);
	return rc;
}
