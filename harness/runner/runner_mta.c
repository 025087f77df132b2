/*
 * runner_mta.c: the scenario's MTA through its driver (mta.h): the exim
 * driver's /etc files and file system (before the sandbox); the drivers'
 * descriptions (postfix: the layers, the user's configuration and its
 * maps; exim and exec: [exim.conf] and [exec], their variables expanded);
 * configuring, starting and waiting for it (rn_start_mta).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfconf.h"
#include "runner_int.h"

int
rn_mta_prepare(struct box *b)
{
	char conf[MX_PATH_MAX], e[MX_PATH_MAX + 200];

	if (b->sc->mta_driver != &mta_exim)
		return 0;
	if (rn_box_path(b, conf, sizeof conf, "%s/exim.conf", b->box_inst) < 0)
		return -1;
	if (mta_exim_etc(b->a->dir, conf, b->exim_own, &b->exim.uid, &b->exim.gid, e,
			 sizeof e) < 0)
		return rn_box_fail(b, "exim: %s", e);
	return 0;
}

void
rn_mta_fs(struct box *b, struct rn_fs *f)
{
	if (b->sc->mta_driver != &mta_exim)
		return;
	f->fs.etc_rw = 1;
	f->fs.etc_own = (const char *const *)b->exim_own;
	f->ro_exec[0] = mta_exim_root();
	f->ro_exec[1] = NULL;
	f->fs.ro_exec = f->ro_exec;
}

/* s expanded, kept in b->mta_text (freed with the box), or NULL. */
static const char *
expand(struct box *b, const char *s, int *oom)
{
	char *x;

	if (!s)
		return NULL;
	if (b->nmta_text == sizeof b->mta_text / sizeof b->mta_text[0] ||
	    !(x = sc_expand(b->sc, &b->vars, s))) {
		*oom = 1;
		return NULL;
	}
	return b->mta_text[b->nmta_text++] = x;
}

int
rn_mta_config(struct box *b)
{
	const struct scenario *sc = b->sc;
	const struct sc_exec *x = &sc->exec;
	int oom = 0;

	if (sc->mta_driver == &mta_exim) {
		b->exim.overlay = expand(b, sc->exim_conf, &oom);
		b->exim.overlay_line = sc->exim_conf_line;
		b->exim.origin = sc->file;
		b->exim.pki = b->pki;
		b->mta.cfg = &b->exim;
	} else if (sc->mta_driver == &mta_exec) {
		b->exec = (struct mta_exec_config){
			.start = expand(b, x->start, &oom), .stop = expand(b, x->stop, &oom),
			.ready = expand(b, x->ready, &oom), .log = expand(b, x->log, &oom),
			.version = expand(b, x->version, &oom),
		};
		b->mta.cfg = &b->exec;
	}
	return oom ? rn_box_fail(b, "out of memory") : 0;
}

void
rn_mta_free(struct box *b)
{
	for (size_t i = 0; i < b->nmta_text; i++)
		free(b->mta_text[i]);
	b->nmta_text = 0;
	mta_exim_etc_free(b->exim_own);
}

static int
conf_maps_hook(void *arg, char *err, size_t errlen)
{
	struct box *b = arg;

	(void)err;
	(void)errlen;
	return b->conf.on ? rn_conf_maps(b) : 0;	/* reports its own errors */
}

/* The postfix driver's description of the instance. */
static int
postfix_config(struct box *b, char *etc, size_t len)
{
	const struct scenario *sc = b->sc;

	/* The configuration directory at the scenario directory's own path:
	 * `master -c ...` names the scenario from outside too. */
	if (rn_box_path(b, etc, len, "%s/etc", b->inst) < 0 || rn_setup_sasl(b) < 0)
		return -1;
	b->pfc = (struct mta_postfix_config){
		.pf = {
			.user_main = b->conf.main_text, .user_master = b->conf.master_text,
			.etc = b->conf.on ? b->a->sys->v[PF_SYS_CONFIG_DIR] : etc,
			.main_layers = b->ml, .nmain = b->nml, .master_layers = b->msl, .nmaster = b->nmsl,
			.faketime = sc->faketime, .spool_template = b->a->spool_template,
		},
		.sys = b->a->sys, .changes = &b->conf.changes,
		.after_write = conf_maps_hook, .hook_arg = b,
	};
	b->mta.cfg = &b->pfc;
	return 0;
}

/* Postfix names a line of main.cf / master.cf as rendered ("/w/x/etc/
 * main.cf, line 29: ..."): add the line it came from, the one to fix (a
 * lab's DIR/main.cf:4, the scenario's x.scn:40). e itself when none. */
static const char *
with_origin(struct box *b, const char *e, char *out, size_t len)
{
	static const char *const names[] = { "/main.cf, line ", "/master.cf, line " };
	char path[MX_PATH_MAX], where[MX_PATH_MAX + 16], *text;
	const char *at = NULL;
	size_t k, n;
	FILE *fp;

	for (k = 0; k < 2 && !(at = strstr(e, names[k])); k++)
		;
	if (!at || mx_path(path, sizeof path, "%s/%s", mta_postfix_etc(&b->mta),
			   k ? "master.cf" : "main.cf") < 0 ||
	    !(fp = fopen(path, "re")))
		return e;
	text = malloc((1u << 20) + 1);
	n = text ? fread(text, 1, 1u << 20, fp) : 0;
	fclose(fp);
	if (!text)
		return e;
	text[n] = '\0';
	if (cf_origin_of_line(text, atoi(at + strlen(names[k])), where, sizeof where) == 0)
		snprintf(out, len, "%.*s (that is %.*s)", (int)(len / 2), e, (int)(len / 3), where);
	free(text);
	return *out ? out : e;
}

/* The render step's failure, in the words the runner always used. */
static int
postfix_render_fail(struct box *b, const char *e0)
{
	const struct scenario *sc = b->sc;
	char buf[3 * MX_PATH_MAX] = "";
	const char *e = with_origin(b, e0, buf, sizeof buf);

	switch (b->pfc.failed_at) {
	case MTA_PF_HOOK:
		return -1;	/* reported */
	case MTA_PF_CHECK:
		return b->conf.on ? rn_box_config_fail(b, "%s (the user's configuration, as %s): %s",
						     sc->postfix_config, mta_postfix_etc(&b->mta), e) :
				    rn_box_fail(b, "Postfix: %s", e);
	default:
		return b->conf.on ? rn_box_config_fail(b, "%s: %s", sc->postfix_config, e) :
				    rn_box_fail(b, "Postfix: %s", e);
	}
}

int
rn_mta_starts_early(const struct box *b)
{
	const struct mta_driver *drv = b->sc->mta_driver;

	/* Postfix reads its certificates and CA files only when a session
	 * needs them, so its master may start before the PKI exists; Exim
	 * does not (a daemon started before its certificate answers STARTTLS
	 * with 454 for good), nor an exec program (it may send at once). A
	 * user's configuration needs its files, provided after the PKI, to
	 * build its maps and pass postfix check. */
	return drv == &mta_postfix && !b->conf.on;
}

int
rn_mta_launch(struct box *b)
{
	const struct mta_driver *drv = b->sc->mta_driver;
	char etc[MX_PATH_MAX];
	char e[2 * MX_PATH_MAX];
	const char *name = drv == &mta_postfix ? "Postfix" : drv->name;

	b->mta.drv = drv;
	b->mta.dir = b->box_inst;
	b->mta.faketime = b->sc->faketime;
	if (drv == &mta_postfix) {
		if (postfix_config(b, etc, sizeof etc) < 0)
			return -1;
	} else if (rn_mta_config(b) < 0)
		return -1;
	if (drv->render(&b->mta, e, sizeof e) < 0)
		return drv == &mta_postfix ? postfix_render_fail(b, e) :
					     rn_box_fail(b, "%s: %s", name, e);
	for (size_t i = 0; i < b->conf.changes.n; i++)
		rn_box_change(b, b->conf.changes.v[i]);
	if (b->a->verbose) {
		char v[256];

		if (drv->version(&b->mta, v, sizeof v, e, sizeof e) == 0)
			rn_box_log(b, "mta: %s (driver %s)", v, drv->name);
		else
			rn_box_log(b, "mta: driver %s, version unknown: %s", drv->name, e);
	}
	rn_box_phase(b, drv == &mta_postfix ? "postfix-check" : "mta-config");
	if (!(b->tail = ml_tail_open(b->mta.log, drv->parse, e, sizeof e)))
		return rn_box_fail(b, "%s: %s", drv == &mta_postfix ? "maillog" : "log", e);
	if (drv->start(&b->mta, e, sizeof e) < 0)
		return rn_box_fail(b, "%s: %s", name, e);
	b->mta_started = 1;
	return 0;
}

int
rn_mta_ready(struct box *b)
{
	const struct mta_driver *drv = b->sc->mta_driver;
	const char *name = drv == &mta_postfix ? "Postfix" : drv->name;
	char e[2 * MX_PATH_MAX];

	if (drv->wait_ready(&b->mta, b->tail, 10000, rn_on_line, b, e, sizeof e) < 0)
		return rn_box_fail(b, "%s: %s", name, e);
	rn_box_phase(b, drv == &mta_postfix ? "postfix-ready" : "mta-ready");
	return 0;
}

int
rn_start_mta(struct box *b)
{
	return rn_mta_launch(b) < 0 ? -1 : rn_mta_ready(b);
}
