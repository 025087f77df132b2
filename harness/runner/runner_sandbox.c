/*
 * runner_sandbox.c: one scenario, run as PID 1 of its own namespaces.
 *
 * rn_sandbox_main() does the whole scenario and reports on a pipe, one
 * record a line, fields separated by tabs, with \t \n \\ escaped:
 *   time NAME MS              a phase ended, MS after the sandbox started
 *   check LINE 0|1 TEXT WHY EVIDENCE
 *   step FROM TO KIND TEXT    the dialogue, for the HTML report (runner_steps.c;
 *                             only when asked: rn_options.steps)
 *   error MESSAGE             the scenario could not be run
 *   done pass|fail|error
 * The records are written by runner_box.c. The world Postfix talks to
 * (hosts, PKI, fake DNS and servers) is made in runner_world.c, the inbound parts ([sasl], [client NAME], [probe NAME])
 * are in runner_inbound.c. Everything it starts (Postfix by PID, servers, DNS)
 * it stops before it
 * returns; what it forgot dies with the PID namespace anyway.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "mxlab/certs.h"
#include "mxlab/server.h"
#include "mxlab/client.h"
#include "mxlab/probe.h"
#include "dnsd.h"
#include "fsutil.h"
#include "message.h"
#include "maillog.h"
#include "pfinst.h"
#include "runner_int.h"
#include "sandbox.h"

/* Every maillog line: to the expectations, to the runner's log with -v, and note
 * which recipients have a status. */
void
rn_on_line(void *arg, const struct mta_event *ev)
{
	struct box *b = arg;

	ex_feed(b->expect, ev);
	if (b->a->steps)
		rn_steps_event(b, ev);
	rn_box_log(b, "%s", ev->line);
	if (ev->status[0] && ev->rcpt[0]) {
		char **ns;

		for (size_t i = 0; i < b->nstatus_seen; i++)
			if (!strcmp(b->status_seen[i], ev->rcpt))
				return;
		if ((ns = realloc(b->status_seen, (b->nstatus_seen + 1) * sizeof *ns))) {
			b->status_seen = ns;
			if ((ns[b->nstatus_seen] = strdup(ev->rcpt)))
				b->nstatus_seen++;
		}
	}
}

/*
 * [send]: each message is written to DIR/send-N.eml (kept with the
 * scenario) and handed to Postfix by the fake client, in plaintext.
 */
int
rn_send_mail(struct box *b)
{
	const struct sc_send *s = &b->sc->send;
	struct mxlab_client_result *res;
	char e[MX_PATH_MAX + 200], path[MX_PATH_MAX];

	if (!s->present)
		return 0;
	if (!(res = malloc(sizeof *res)))
		return rn_box_fail(b, "out of memory");
	for (unsigned i = 0; i < s->count; i++) {
		struct mx_message m = {
			.from = s->from, .to = (const char *const *)s->to, .nto = s->nto,
			.subject = s->subject, .headers = (const char *const *)s->headers,
			.nheaders = s->nheaders, .body = s->body, .size = s->size, .seq = i + 1,
		};
		mxlab_client_config *cfg = mxlab_client_config_new();
		size_t len;
		char *text = mx_message_build(&m, &len);
		int bad = !cfg || !text;

		if (bad)
			snprintf(e, sizeof e, "out of memory");
		else if (mx_path(path, sizeof path, "%s/send-%u.eml", b->a->dir, i + 1) < 0) {
			snprintf(e, sizeof e, "%s/send-%u.eml: path too long", b->a->dir, i + 1);
			bad = 1;
		} else if (rn_write_text(path, text) < 0) {
			snprintf(e, sizeof e, "%s: %s", path, strerror(errno));
			bad = 1;
		}
		free(text);
		if (!bad) {
			const char *const kv[][2] = {
				{ "connect", s->via }, { "tls", "none" }, { "helo", s->helo },
				{ "from", s->from }, { "data-file", path }, { "timeout", "10s" },
				/* as an MTA's client: Exim holds its 221 for 200 ms,
				 * hoping the client closes first */
				{ "quit-reply", "skip" },
			};

			for (size_t k = 0; k < sizeof kv / sizeof kv[0] && !bad; k++)
				bad = mxlab_client_config_set(cfg, kv[k][0], kv[k][1], e, sizeof e) != MXLAB_OK;
			for (size_t t = 0; t < s->nto && !bad; t++)
				bad = mxlab_client_config_set(cfg, "to", s->to[t], e, sizeof e) != MXLAB_OK;
			if (!bad && mxlab_client_run(cfg, res, e, sizeof e) != MXLAB_OK)
				bad = 1;
			else if (!bad && res->failed_stage != MXLAB_CS_DONE) {
				snprintf(e, sizeof e, "%s", res->error);
				bad = 1;
			}
		}
		mxlab_client_config_free(cfg);
		if (bad) {
			free(res);
			return rn_box_fail(b, "%s:%d: [send] to %s: %s", b->sc->file, s->line,
					   s->via, e);
		}
	}
	free(res);
	rn_box_phase(b, "sent");
	return 0;
}

static int
all_have_status(struct box *b)
{
	const struct sc_send *s = &b->sc->send;

	for (size_t i = 0; i < s->nto; i++) {
		size_t k;

		for (k = 0; k < b->nstatus_seen; k++)
			if (!strcasecmp(b->status_seen[k], s->to[i]))
				break;
		if (k == b->nstatus_seen)
			return 0;
	}
	return 1;
}

/* Feed the maillog until every expectation is decided, or the timeout. */
int
rn_observe(struct box *b)
{
	long end = b->t0 + (long)b->sc->timeout_ms;
	struct mta_event *ev = malloc(sizeof *ev);
	int timed_out = 0;

	if (!ev)
		return rn_box_fail(b, "out of memory");
	for (;;) {
		long left;
		int r;

		/* Drain what is there first, then decide. */
		while ((r = ml_tail_next(b->tail, ev, 0)) > 0)
			rn_on_line(b, ev);
		if (ex_undecided(b->expect) == 0 && all_have_status(b))
			break;
		left = end - rn_now_ms();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (b->mta.drv)
			b->mta.drv->reap(&b->mta);
		r = ml_tail_next(b->tail, ev, left < 500 ? (int)left : 500);
		if (r > 0)
			rn_on_line(b, ev);
		else if (r < 0) {
			free(ev);
			return rn_box_fail(b, "reading the maillog failed");
		}
	}
	free(ev);
	rn_box_phase(b, timed_out ? "timeout" : "decided");
	/* Postfix may log its verdict before a fake server has finished (and
	 * recorded) the session: let every server's sessions end first. */
	for (size_t i = 0; i < b->nsrv; i++)
		mxlab_server_wait_idle(b->srv[i], 2000);
	{
		struct ex_world w = {
			.servers = b->exs, .nservers = b->nsrv,
			.clients = b->exc, .nclients = b->nclients_run,
			.probes = b->exp, .nprobes = b->nprobes_run,
		};

		ex_finish_world(b->expect, &w, timed_out);
	}
	return 0;
}

static int
report(struct box *b)
{
	const struct ex_result *res;
	size_t n = ex_results(b->expect, &res);
	int ok = 1;

	for (size_t i = 0; i < n; i++) {
		char line[16];
		const char *f[5] = { line, res[i].passed ? "1" : "0", res[i].text,
				     res[i].why ? res[i].why : "",
				     res[i].evidence ? res[i].evidence : "" };

		snprintf(line, sizeof line, "%d", res[i].line);
		rn_box_record(b, "check", 5, f);
		ok &= res[i].passed;
	}
	return ok;
}

static void
teardown(struct box *b)
{
	if (b->mta_started)
		b->mta.drv->stop(&b->mta, 3000);
	if (b->mta.drv)
		b->mta.drv->release(&b->mta);
	rn_sts_stop(b);
	for (size_t s = 0; s < b->nsrv; s++)
		mxlab_server_free(b->srv[s]);
	dnsd_stop(b->dns);
	for (size_t i = 0; i < b->nstatus_seen; i++)
		free(b->status_seen[i]);
	free(b->status_seen);
	free(b->srv);
	free(b->exs);
	free(b->cres);
	free(b->exc);
	free(b->prep);
	free(b->exp);
	rn_layers_free(b);
	rn_conf_free(b);
	rn_mta_free(b);
	ex_set_free(b->expect);
	rn_steps_free(b);
	rn_box_phase(b, "stopped");
}

/*
 * What a scenario's sandbox shows: its own directory writable, the run's
 * queue template read-only, and the system's Postfix locations covered
 * (its configuration directory keeps only the meta files every instance
 * reads: dynamicmaps.cf, postfix-files, ...).
 */
void
rn_sandbox_fs(const struct rn_sandbox_arg *a, struct rn_fs *f, const char *hosts,
	      const char *resolv)
{
	const struct pf_system *sys = a->sys;
	int meta_apart = strcmp(sys->v[PF_SYS_META_DIR], sys->v[PF_SYS_CONFIG_DIR]) != 0;
	size_t nro = 0;

	f->cover[0] = (struct sb_cover){ sys->v[PF_SYS_CONFIG_DIR], meta_apart ? NULL : pf_meta_files, NULL };
	f->cover[1] = (struct sb_cover){ sys->v[PF_SYS_QUEUE_DIR], NULL, NULL };
	f->cover[2] = (struct sb_cover){ sys->v[PF_SYS_DATA_DIR], NULL, NULL };
	f->cover[3] = (struct sb_cover){ sys->v[PF_SYS_MAIL_SPOOL], NULL, NULL };
	f->cover[4] = (struct sb_cover){ RN_BOX_DIR, NULL, a->dir };
	f->rw[0] = a->dir;
	f->rw[1] = NULL;
	if (a->spool_template)
		f->ro[nro++] = a->spool_template;
	if (meta_apart && !sb_fs_is_host_tree(sys->v[PF_SYS_META_DIR]))
		f->ro[nro++] = sys->v[PF_SYS_META_DIR];
	f->ro[nro] = NULL;
	f->fs = (struct sb_fs){
		.root = a->sandbox_root, .hosts = hosts, .resolv = resolv,
		.rw = f->rw, .ro = f->ro, .cover = f->cover, .ncover = 5,
	};
}

int
rn_template_main(void *arg)
{
	const struct rn_sandbox_arg *a = arg;
	struct rn_sandbox_arg t = *a;
	struct rn_fs f;
	char e[2 * MX_PATH_MAX];
	int ok;
	FILE *out = fdopen(a->result_fd, "w");

	if (!out)
		return 3;
	t.spool_template = NULL;
	rn_sandbox_fs(&t, &f, NULL, NULL);
	ok = sb_enter(&f.fs, e, sizeof e) == 0 && mta_postfix.prepare(RN_BOX_DIR, a->sys, e, sizeof e) == 0;
	if (!ok) {
		const char *fields[1] = { e };

		rn_record(out, "error", 1, fields);
	}
	fclose(out);
	return ok ? 0 : 1;
}

/*
 * The PKI on a private tmpfs: its 50-60 files a host cost more to create
 * on a busy ext4 (inode allocation) than to generate. Mounted before
 * sb_enter, so that both views of the scenario's directory (its own path
 * and RN_BOX_DIR) show it; the host's pki/ underneath stays empty, and
 * gets a copy when the directory is kept (keep_pki).
 */
static int
pki_tmpfs(struct box *b)
{
	char e[MX_PATH_MAX + 100];

	if ((mkdir(b->pki, 0755) < 0 && errno != EEXIST) ||
	    (b->pki_under = open(b->pki, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return rn_box_fail(b, "%s: %s", b->pki, strerror(errno));
	if (sb_tmpfs_over(b->pki, "mode=0755,size=64m", e, sizeof e) < 0)
		return rn_box_fail(b, "sandbox: %s", e);
	return 0;
}

/* A kept directory gets the PKI the scenario saw (once its MTA and peers
 * have stopped). */
static void
keep_pki(struct box *b)
{
	char e[1400];
	int sfd = open(b->pki, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (sfd < 0 || rn_copy_tree(sfd, b->pki_under, e, sizeof e) < 0)
		rn_box_fail(b, "keeping %s: %s", b->pki, sfd < 0 ? strerror(errno) : e);
	if (sfd >= 0)
		close(sfd);
}

int
rn_sandbox_main(void *arg)
{
	const struct rn_sandbox_arg *a = arg;
	struct box b;
	char hosts[MX_PATH_MAX], resolv[MX_PATH_MAX], e[MX_PATH_MAX + 100];
	const char *outcome = "error";
	int early;
	int fd;

	memset(&b, 0, sizeof b);
	b.pki_under = -1;
	b.a = a;
	b.sc = a->sc;
	b.t0 = rn_now_ms();
	fd = a->result_fd;
	if (!(b.out = fdopen(fd, "w")))
		return 3;
	signal(SIGPIPE, SIG_IGN);
	if (!a->shell) {
		/* nothing inside reads what the user types */
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (nul >= 0 && nul != 0) {
			dup2(nul, 0);
			close(nul);
		}
	}
	if (!(b.expect = sc_expect_new(b.sc, e, sizeof e))) {
		rn_box_fail(&b, "%s", e);
		goto out;
	}
	b.vars.pki = b.pki;
	snprintf(b.box_inst, sizeof b.box_inst, "%s/%s", RN_BOX_DIR, b.sc->mta_driver->name);
	b.vars.instance = b.box_inst;
	if (rn_box_path(&b, b.pki, sizeof b.pki, "%s/pki", a->dir) < 0 ||
	    rn_box_path(&b, b.inst, sizeof b.inst, "%s/%s", a->dir, b.sc->mta_driver->name) < 0 ||
	    rn_box_path(&b, e, sizeof e, "%s/servers", a->dir) < 0)
		goto out;
	if (mkdir(e, 0755) < 0 && errno != EEXIST) {
		rn_box_fail(&b, "%s: %s", e, strerror(errno));
		goto out;
	}

	if (rn_write_net_files(&b, hosts, resolv, sizeof hosts) < 0 || rn_layers(&b) < 0 ||
	    rn_conf_prepare(&b) < 0 || rn_mta_prepare(&b) < 0 || rn_sts_prepare(&b) < 0 ||
	    pki_tmpfs(&b) < 0)
		goto out;
	{
		struct rn_fs f;

		rn_sandbox_fs(a, &f, hosts, resolv);
		rn_conf_fs(&b, &f);
		rn_mta_fs(&b, &f);
		rn_sts_fs(&b, &f);
		if (sb_enter(&f.fs, e, sizeof e) < 0) {
			rn_box_fail(&b, "sandbox: %s", e);
			goto out;
		}
	}
	rn_box_phase(&b, "sandbox");
	/* Postfix's master starts while the PKI and the peers are made (it
	 * reads neither before it is sent mail); it is waited for once they
	 * are up (rn_mta_starts_early says when). */
	early = rn_mta_starts_early(&b);
	if ((early && rn_mta_launch(&b) < 0) || rn_sts_launch(&b) < 0)
		goto out;
	if (rn_make_pki(&b) < 0 || (b.conf.nprov && rn_conf_provide(&b) < 0) || rn_sts_trust(&b) < 0)
		goto out;
	rn_box_phase(&b, "pki");
	if (rn_start_dns(&b) < 0 || rn_start_servers(&b) < 0)
		goto out;
	rn_box_phase(&b, "peers");
	if (rn_sts_ready(&b) < 0 || (early ? rn_mta_ready(&b) : rn_start_mta(&b)) < 0)
		goto out;
	if (a->shell) {
		int r = rn_lab_shell(&b);

		if (r >= 0)
			outcome = report(&b) && r > 0 ? "pass" : "fail";
		goto out;
	}
	if (rn_send_mail(&b) < 0 || rn_run_clients(&b) < 0 || rn_run_probes(&b) < 0 ||
	    rn_observe(&b) < 0)
		goto out;
	outcome = report(&b) ? "pass" : "fail";
	if (a->steps)
		rn_steps_report(&b);
out:
	teardown(&b);
	if (b.pki_under >= 0) {
		if (strcmp(outcome, "pass") || a->keep)
			keep_pki(&b);
		close(b.pki_under);
	}
	{
		const char *f[1] = { outcome };

		rn_box_record(&b, "done", 1, f);
	}
	fclose(b.out);
	/* Last, once the result is out: closing the log's inotify instance
	 * waits for the kernel to retire its watch (an SRCU grace period,
	 * 8-16 ms here), which the runner need not wait for (run_jobs.c). */
	ml_tail_close(b.tail);
	return 0;
}
