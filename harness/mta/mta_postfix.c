/*
 * mta_postfix.c: the postfix driver (mta.h) over pfinst.h: the system's
 * Postfix, a private instance in m->dir, its maillog_file read with
 * ml_parse_line (maillog.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maillog.h"
#include "mta_postfix.h"
#include "pfinst.h"

static struct pf_instance *
inst(struct mta *m)
{
	return m->priv;
}

static const char *
pf_unmet(char *buf, size_t len)
{
	struct pf_system sys = { { 0 } };
	char e[512];

	if (pf_system_load(&sys, e, sizeof e) < 0) {
		snprintf(buf, len, "Postfix is not usable here: %s", e);
		return buf;
	}
	pf_system_free(&sys);
	return NULL;
}

static int
pf_version(struct mta *m, char *buf, size_t len, char *err, size_t errlen)
{
	struct pf_system sys = { { 0 } };

	(void)m;
	if (pf_system_load(&sys, err, errlen) < 0)
		return -1;
	snprintf(buf, len, "Postfix %s", sys.v[PF_SYS_VERSION]);
	pf_system_free(&sys);
	return 0;
}

static int
pf_prepare(const char *dir, const void *sys, char *err, size_t errlen)
{
	return pf_template_make(dir, sys, err, errlen);
}

/* Write main.cf and master.cf, let the runner add what it must (maps),
 * then `postfix check`. */
static int
pf_render(struct mta *m, char *err, size_t errlen)
{
	struct mta_postfix_config *c = (struct mta_postfix_config *)m->cfg;
	struct pf_instance *pf = calloc(1, sizeof *pf);

	if (!pf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->priv = pf;
	c->failed_at = MTA_PF_WRITE;
	if (pf_write_config(pf, m->dir, &c->pf, c->sys, c->changes, err, errlen) < 0)
		return -1;
	c->failed_at = MTA_PF_HOOK;
	if (c->after_write && c->after_write(c->hook_arg, err, errlen) < 0)
		return -1;
	/* `postfix check` (200-400 ms: it checks the queue's every directory)
	 * for a user's configuration, whose mistakes it names; a scenario's
	 * own text on the run's queue template gets postconf's syntax check
	 * (tens of ms), and master's start checks the rest. */
	c->failed_at = MTA_PF_CHECK;
	if ((c->pf.user_main ? pf_check(pf, err, errlen) : pf_check_syntax(pf, err, errlen)) < 0)
		return -1;
	c->failed_at = MTA_PF_OK;
	if (strlen(pf->maillog) >= sizeof m->log) {
		snprintf(err, errlen, "%s: path too long", pf->maillog);
		return -1;
	}
	strcpy(m->log, pf->maillog);
	return 0;
}

static int
pf_drv_start(struct mta *m, char *err, size_t errlen)
{
	return pf_start(inst(m), err, errlen);
}

static int
pf_drv_wait_ready(struct mta *m, struct ml_tail *t, int timeout_ms, mta_event_fn fn,
		  void *arg, char *err, size_t errlen)
{
	return pf_wait_ready(inst(m), t, timeout_ms, fn, arg, err, errlen);
}

static int
pf_drv_reap(struct mta *m)
{
	return m->priv && pf_reap(inst(m), NULL) > 0;
}

static void
pf_drv_stop(struct mta *m, int timeout_ms)
{
	if (m->priv)
		pf_stop(inst(m), timeout_ms);
}

static void
pf_drv_release(struct mta *m)
{
	if (m->priv) {
		pf_instance_free(inst(m));
		free(m->priv);
		m->priv = NULL;
	}
}

const struct mta_driver mta_postfix = {
	.log_rel = "maillog",
	.resolv_options = "edns0",
	.name = "postfix",
	.unmet = pf_unmet,
	.prepare = pf_prepare,
	.version = pf_version,
	.render = pf_render,
	.start = pf_drv_start,
	.wait_ready = pf_drv_wait_ready,
	.reap = pf_drv_reap,
	.stop = pf_drv_stop,
	.release = pf_drv_release,
	.parse = ml_parse_line,
};

const char *
mta_postfix_etc(const struct mta *m)
{
	return m->priv ? ((const struct pf_instance *)m->priv)->etc : "";
}
