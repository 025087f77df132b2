/*
 * lab_check.c: `mxlab lab check` typed in a lab shell (lab_shell.c), done
 * by the lab's sandbox, which holds the world: the configuration as the
 * student edited it is started (Postfix stopped, its queue emptied,
 * started again on MAIL_CONFIG as it is, maps as they are: running
 * postmap is the student's part), the fake peers are started anew (their
 * transcripts and mailboxes of this check alone), then the lab's mail is
 * sent again, its clients and probes rerun, and its goals decided as
 * `mxlab run --lab-goals` decides them. What the steps report goes to the
 * student (box.say), not to the runner.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/server.h"
#include "mta_proc.h"
#include "runner_int.h"

/* `postsuper -d ALL` on the instance: the last check's mail, deferred or
 * not, must not decide this one's goals. */
static void
empty_queue(struct box *b, const char *etc)
{
	char cmd[MX_PATH_MAX], out[MX_PATH_MAX], e[MX_PATH_MAX + 100];
	const char *argv[] = { cmd, "-c", etc, "-d", "ALL", NULL };
	struct mta_proc p;

	if (rn_box_path(b, cmd, sizeof cmd, "%s/postsuper", b->a->sys->v[PF_SYS_COMMAND_DIR]) < 0 ||
	    rn_box_path(b, out, sizeof out, "%s/postsuper.out", b->box_inst) < 0)
		return;
	if (mta_proc_start(&p, argv, "/", out, NULL, 0, e, sizeof e) < 0) {
		fprintf(b->say, "  (could not empty the queue: %s)\n", e);
		return;
	}
	if (!mta_proc_wait(&p, 5000)) {
		mta_proc_stop(&p, 1000);
		fprintf(b->say, "  (postsuper -d ALL did not end within 5 s: stopped)\n");
	}
}

/* The maillog so far (the shell's time: retries of the mail sent before)
 * is not this check's: read past it, Postfix stopped. */
static void
drain_log(struct box *b)
{
	struct mta_event *ev = malloc(sizeof *ev);

	while (ev && ml_tail_next(b->tail, ev, 0) > 0)
		;
	free(ev);
}

/* The fake servers anew: the check's sessions alone in their transcripts. */
static int
restart_servers(struct box *b)
{
	for (size_t s = 0; s < b->nsrv; s++)
		mxlab_server_free(b->srv[s]);
	free(b->srv);
	free(b->exs);
	b->srv = NULL;
	b->exs = NULL;
	b->nsrv = 0;
	return rn_start_servers(b);
}

/* What the last run of clients, probes and expectations left. */
static int
reset_state(struct box *b)
{
	char e[1024];

	for (size_t i = 0; i < b->nstatus_seen; i++)
		free(b->status_seen[i]);
	free(b->status_seen);
	b->status_seen = NULL;
	b->nstatus_seen = 0;
	free(b->cres);
	free(b->exc);
	free(b->prep);
	free(b->exp);
	b->cres = NULL;
	b->exc = NULL;
	b->prep = NULL;
	b->exp = NULL;
	b->nclients_run = b->nprobes_run = 0;
	ex_set_free(b->expect);
	if (!(b->expect = sc_expect_new(b->sc, e, sizeof e)))
		return rn_box_fail(b, "%s", e);
	return 0;
}

static void
indent(FILE *fp, const char *prefix, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		fprintf(fp, "%s%.*s\n", prefix, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* Each goal, passed or not: 1 when all hold. */
static int
print_goals(struct box *b, FILE *out)
{
	const struct ex_result *res;
	size_t n = ex_results(b->expect, &res), nfail = 0;

	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-4s  %s\n", res[i].passed ? "ok" : "FAIL", res[i].text);
		if (res[i].passed)
			continue;
		nfail++;
		indent(out, "          ", res[i].why);
		indent(out, "          | ", res[i].evidence);
	}
	return n > 0 && nfail == 0;
}

int
rn_lab_check(struct box *b, FILE *out)
{
	const struct mta_driver *drv = b->mta.drv;
	const char *etc = mta_postfix_etc(&b->mta);
	char e[2 * MX_PATH_MAX];
	int solved = -1;

	b->say = out;
	fprintf(out, "mxlab lab check: Postfix restarted on %s as it is now, its queue "
		"emptied, the lab's mail sent again\n", etc);
	fflush(out);
	if (b->mta_started) {
		drv->stop(&b->mta, 3000);
		b->mta_started = 0;
	}
	empty_queue(b, etc);
	drain_log(b);
	if (reset_state(b) < 0 || restart_servers(b) < 0)
		goto out;
	if (drv->start(&b->mta, e, sizeof e) < 0) {
		rn_box_fail(b, "Postfix: %s", e);
		goto out;
	}
	b->mta_started = 1;
	if (rn_mta_ready(b) < 0) {
		fprintf(out, "  (fix the configuration: postfix check, postconf -n; a master "
			"you started yourself: postfix stop)\n");
		goto out;
	}
	b->t0 = rn_now_ms();
	if (rn_send_mail(b) < 0 || rn_run_clients(b) < 0 || rn_run_probes(b) < 0 ||
	    rn_observe(b) < 0)
		goto out;
	solved = print_goals(b, out);
out:
	b->checked = 1;
	b->solved = solved > 0;
	b->say = NULL;
	return solved;
}
