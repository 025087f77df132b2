/*
 * run_jobs.c: a run's scheduling (see run_int.h): up to `jobs` sandboxes
 * at once, each scenario reported as it ends; an interrupt kills every
 * sandbox and ends the run with what was decided so far.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "run_int.h"

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

int
run_jobs(struct mxlab_run *run, const struct rp_options *rp, const char *workdir,
	 const struct rn_options *base)
{
	struct run_item **sel = run->sel;
	size_t nsel = run->nsel;
	struct rp_entry *ent = calloc(nsel + 1, sizeof *ent);
	struct rn_job *jobs = calloc((size_t)run->jobs, sizeof *jobs);
	struct rn_options ro = *base;
	struct exiting { pid_t pid; char *dir; } *ex = calloc(nsel + 1, sizeof *ex);
	size_t next = 0, done = 0, running = 0, reported = 0, nex = 0;
	long t0 = rn_now_ms();
	int failed = 0;
	size_t config_errors = 0;

	if (!ent || !jobs || !ex) {
		free(ent);
		free(jobs);
		free(ex);
		run_warn(run, "out of memory");
		return RUN_EXIT_FAIL;
	}
	for (int k = 0; k < run->jobs; k++)
		jobs[k].pid = -1, jobs[k].fd = -1;
	rp_begin(rp, nsel);
	while (done < nsel) {
		struct pollfd pfd[64];
		int map[64], np = 0;

		/* Sandboxes that passed and are still exiting: reap what is gone. */
		for (size_t i = 0; i < nex;)
			if (rn_exiting_reap(ex[i].pid, ex[i].dir, 0)) {
				free(ex[i].dir);
				ex[i] = ex[--nex];
			} else
				i++;

		/* Start what fits, skipping what cannot run here. */
		for (int k = 0; k < run->jobs && next < nsel && !run->interrupted; k++) {
			char dir[MX_PATH_MAX], err[3 * MX_PATH_MAX], why[512];

			if (jobs[k].pid > 0 || jobs[k].fd >= 0)
				continue;
			ent[next].label = sel[next]->label;
			ent[next].sc = sel[next]->sc;
			if (rn_requires_unmet(sel[next]->sc, ro.sys, why, sizeof why)) {
				ent[next].res.status = RN_SKIP;
				ent[next].res.message = strdup(why);
				rp_one(rp, ++reported, &ent[next]);
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
				rp_one(rp, ++reported, &ent[next]);
				failed = 1;
				next++;
				done++;
				k--;
				continue;
			}
			running++;
			next++;
		}
		if (run->interrupted) {
			for (int k = 0; k < run->jobs; k++)
				rn_job_kill(&jobs[k]);
		}
		if (running == 0) {
			if (run->interrupted || next >= nsel)
				break;
			continue;
		}
		for (int k = 0; k < run->jobs; k++) {
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
		for (int k = 0; k < run->jobs; k++) {
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
			if ((ex[nex].pid = rn_job_finish(j, &ro)) > 0) {
				if ((ex[nex].dir = strdup(j->res.dir)))
					nex++;
				else	/* cannot remove it later: wait now */
					rn_exiting_reap(ex[nex].pid, j->res.dir, 1);
			}
			ent[idx].label = sel[idx]->label;
			ent[idx].sc = sel[idx]->sc;
			ent[idx].res = j->res;
			memset(&j->res, 0, sizeof j->res);
			j->pid = -1;
			j->fd = -1;
			failed |= ent[idx].res.status == RN_FAIL || ent[idx].res.status == RN_ERROR;
			config_errors += ent[idx].res.config_error;
			rp_one(rp, ++reported, &ent[idx]);
			running--;
			done++;
		}
	}
	for (size_t i = 0; i < nex; i++) {
		rn_exiting_reap(ex[i].pid, ex[i].dir, 1);
		free(ex[i].dir);
	}
	free(ex);
	for (size_t i = 0; i < nsel; i++)
		if (!ent[i].label) {
			ent[i].label = sel[i]->label;
			ent[i].sc = sel[i]->sc;
			ent[i].res.status = RN_SKIP;
			ent[i].res.message = strdup("interrupted before it started");
		}
	if (rp_end(rp, ent, nsel, (rn_now_ms() - t0) / 1000.0, workdir, run->interrupted) < 0)
		failed = 1;
	for (size_t i = 0; i < nsel; i++)
		rn_result_free(&ent[i].res);
	free(ent);
	free(jobs);
	if (config_errors)
		return RUN_EXIT_USAGE;	/* a user's configuration that cannot run */
	return failed || run->interrupted ? RUN_EXIT_FAIL : RUN_EXIT_OK;
}
