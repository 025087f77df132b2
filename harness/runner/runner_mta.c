/*
 * runner_mta.c: the scenario's MTA when it is not Postfix (mta.h): the
 * exim driver's /etc files and file system (before the sandbox), and the
 * exim and exec drivers' descriptions from [exim.conf] and [exec], their
 * ${pki} and ${instance} expanded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
