/*
 * mta_postfix.h: what the postfix driver (mta_postfix.c) is given as
 * struct mta's cfg.
 */
#ifndef MX_MTA_POSTFIX_H
#define MX_MTA_POSTFIX_H

#include "mta.h"
#include "pfinst.h"

/* Where render stopped (for the caller's message). */
enum mta_pf_phase { MTA_PF_OK, MTA_PF_WRITE, MTA_PF_HOOK, MTA_PF_CHECK };

struct mta_postfix_config {
	struct pf_config pf;		/* main.cf/master.cf layers, faketime, ... */
	const struct pf_system *sys;	/* the system's Postfix (postconf -d) */
	struct pf_changes *changes;	/* what was changed in a user's configuration */
	/* Called between writing the configuration and `postfix check`
	 * (the runner builds a user configuration's maps): 0 or -1 with err. */
	int (*after_write)(void *arg, char *err, size_t errlen);
	void *hook_arg;
	enum mta_pf_phase failed_at;	/* set by render */
};

/* The instance's configuration directory, once rendered ("" before). */
const char *mta_postfix_etc(const struct mta *m);

#endif
