/*
 * mta_exim.h: what the exim driver (mta_exim.c) needs: where Debian's
 * Exim 4.96 is unpacked, the files a sandbox shows in its /etc for it, and
 * its description (struct mta's cfg).
 *
 * Exim is never installed (that would remove Postfix): ci/fetch-exim.sh
 * unpacks exim4-daemon-light, exim4-base, exim4-config and libidn12 with
 * dpkg -x into a cache directory, whose root/ holds usr/sbin/exim4.
 */
#ifndef MX_MTA_EXIM_H
#define MX_MTA_EXIM_H

#include <stddef.h>
#include <sys/types.h>

#include "mta.h"

#define MTA_EXIM_ROOT_DEFAULT "/var/cache/mxlab/exim-4.96/root"
#define MTA_EXIM_USER "Debian-exim"	/* compiled into Debian's build */

/* The unpacked tree: $MXLAB_EXIM_ROOT, else MTA_EXIM_ROOT_DEFAULT. */
const char *mta_exim_root(void);

/* Main options the driver sets and a scenario may not (NULL-terminated). */
extern const char *const mta_exim_owned[];

/*
 * The files the sandbox shows in /etc for Exim, written into dir on the
 * host before the sandbox starts: passwd and group (the host's, plus the
 * Debian-exim user and group at a free ID, returned in *uid and *gid) and
 * exim4/trusted_configs (naming conf, the -C file as the sandbox sees it:
 * Exim's re-executions as Debian-exim need it listed). own gets the
 * NULL-terminated NAME, SOURCE pairs for sb_fs.etc_own (strings owned by
 * the caller: free each with mta_exim_etc_free). 0 or -1 with err.
 */
int mta_exim_etc(const char *dir, const char *conf, char *own[7], uid_t *uid, gid_t *gid,
		 char *err, size_t errlen);
void mta_exim_etc_free(char *own[7]);

struct mta_exim_config {
	const char *overlay;	/* the scenario's [exim.conf], expanded, or NULL */
	int overlay_line;	/* its first line in origin */
	const char *origin;	/* the file that gave it */
	const char *pki;	/* the PKI directory (made readable for Exim) */
	uid_t uid;		/* Debian-exim, as mta_exim_etc chose */
	gid_t gid;
};

/* The driver's base configuration for dir, before the overlay (malloc'd):
 * exported for tests and docs/mta-drivers.md. */
char *mta_exim_base(const char *dir, const char *pki);

/* An Exim mainlog line as an event (mta_exim_log.c). */
int mta_exim_parse(const char *line, size_t len, struct mta_event *ev);

#endif
