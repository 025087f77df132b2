/*
 * pfinst_text.c: the text of an instance's main.cf and master.cf (see
 * pfinst.h): the safe base, the scenario's text over it, the parameters
 * the sandbox owns after everything, and the check that master.cf runs
 * only programs of the daemon directory. Postfix's own rules for logical
 * lines (readlline) decide what a definition is. Returns NULL when out of
 * memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfinst.h"

/* The safe base. The directories and the maillog are owned (below). */
static const char base_main[] =
	"compatibility_level = 3.6\n"
	"myhostname = postfix.mxlab.test\n"
	"mydomain = mxlab.test\n"
	"myorigin = $myhostname\n"
	"mydestination =\n"
	"relayhost =\n"
	"alias_maps =\n"
	"alias_database =\n"
	"local_transport = error:local delivery is disabled in mxlab\n"
	"inet_interfaces = loopback-only\n"
	"inet_protocols = ipv4\n"
	"mynetworks = 127.0.0.0/8\n"
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
	"smtpd_banner = $myhostname ESMTP\n"
	"biff = no\n"
	"smtp_tls_loglevel = 1\n"
	"smtpd_tls_loglevel = 1\n"
	"queue_run_delay = 1s\n"
	"minimal_backoff_time = 1s\n"
	"maximal_backoff_time = 2s\n"
	"smtp_connect_timeout = 5s\n"
	"smtp_helo_timeout = 10s\n"
	"in_flow_delay = 0\n";

static const char base_master[] =
	"smtp      inet  n       -       n       -       -       smtpd\n"
	"pickup    unix  n       -       n       60      1       pickup\n"
	"cleanup   unix  n       -       n       -       0       cleanup\n"
	"qmgr      unix  n       -       n       300     1       qmgr\n"
	"tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
	"rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
	"bounce    unix  -       -       n       -       0       bounce\n"
	"defer     unix  -       -       n       -       0       bounce\n"
	"trace     unix  -       -       n       -       0       bounce\n"
	"verify    unix  -       -       n       -       1       verify\n"
	"flush     unix  n       -       n       1000?   0       flush\n"
	"proxymap  unix  -       -       n       -       -       proxymap\n"
	"proxywrite unix -       -       n       -       1       proxymap\n"
	"smtp      unix  -       -       n       -       -       smtp\n"
	"relay     unix  -       -       n       -       -       smtp\n"
	"showq     unix  n       -       n       -       -       showq\n"
	"error     unix  -       -       n       -       -       error\n"
	"retry     unix  -       -       n       -       -       error\n"
	"discard   unix  -       -       n       -       -       discard\n"
	"anvil     unix  -       -       n       -       1       anvil\n"
	"scache    unix  -       -       n       -       1       scache\n"
	"postlog   unix-dgram n  -       n       -       1       postlogd\n";

static const char default_import_env[] =
	"MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C "
	"POSTLOG_SERVICE POSTLOG_HOSTNAME";

/* Parameter name of a main.cf line, or "" for comments/continuations. */
static void
param_name(const char *line, char *name, size_t len)
{
	size_t n = 0;

	name[0] = '\0';
	if (*line == '#' || *line == ' ' || *line == '\t')
		return;
	while (line[n] && line[n] != ' ' && line[n] != '\t' && line[n] != '=' && n + 1 < len)
		n++;
	memcpy(name, line, n);
	name[n] = '\0';
}

/* Does the scenario text define this parameter (main.cf) or entry (master.cf:
 * key is "service type")? */
static int
defines(const char *text, const char *key, int master)
{
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[1024], name[256], type[64];

		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), p);
		if (master) {
			if (line[0] && line[0] != '#' && line[0] != ' ' && line[0] != '\t' &&
			    sscanf(line, "%255s %63s", name, type) == 2) {
				char k[330];

				snprintf(k, sizeof k, "%s %s", name, type);
				if (!strcmp(k, key))
					return 1;
			}
		} else {
			param_name(line, name, sizeof name);
			if (name[0] && !strcmp(name, key))
				return 1;
		}
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

/* Base text minus what the scenario redefines, then the scenario text. */
static char *
merge(const char *base, const char *dir, const char *scen, int master)
{
	size_t cap = strlen(base) + (scen ? strlen(scen) : 0) + 16 * strlen(dir) + 512;
	char *out = malloc(cap), *o = out;
	const char *p = base;

	if (!out)
		return NULL;
	o += sprintf(o, "# Written by mxlab: a safe base, then the scenario's text.\n");
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = (size_t)(eol - p);
		char line[512], key[330], name[256], type[64];

		snprintf(line, sizeof line, "%.*s", (int)len, p);
		p = eol + 1;
		if (master) {
			sscanf(line, "%255s %63s", name, type);
			snprintf(key, sizeof key, "%s %s", name, type);
		} else
			param_name(line, key, sizeof key);
		if (scen && defines(scen, key, master))
			continue;
		for (const char *q = line; *q; q++) {
			if (!strncmp(q, "@DIR@", 5)) {
				o += sprintf(o, "%s", dir);
				q += 4;
			} else
				*o++ = *q;
		}
		*o++ = '\n';
	}
	if (scen) {
		o += sprintf(o, "# --- from the scenario ---\n%s", scen);
		if (o > out && o[-1] != '\n')
			*o++ = '\n';
	}
	*o = '\0';
	return out;
}

/* Postfix's logical lines (readlline): a line that starts with white space
 * continues the one before; comments and blank lines are skipped and end
 * nothing. Kinds of a physical line: */
enum pf_line { PF_LINE_START, PF_LINE_MORE, PF_LINE_SKIP };

static enum pf_line
line_kind(const char *p, size_t len)
{
	size_t ws = 0;

	while (ws < len && (p[ws] == ' ' || p[ws] == '\t'))
		ws++;
	if (ws == len || p[ws] == '#')
		return PF_LINE_SKIP;
	return ws ? PF_LINE_MORE : PF_LINE_START;
}

static int
is_owned(const char *name)
{
	static const char *const owned[] = { PF_OWNED_PARAMS };

	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
		if (!strcmp(name, owned[i]))
			return 1;
	return 0;
}

/*
 * The scenario's main.cf text with every definition of an owned parameter
 * (its continuation lines too) turned into a comment that says so: Postfix
 * warns about a parameter defined twice, and the sandbox's value must be
 * the only one.
 */
static char *
disown(const char *scen)
{
	static const char mark[] = "# owned by the mxlab sandbox: ";
	size_t lines = 1;
	char *out, *o;
	int in_owned = 0;

	for (const char *p = scen; *p; p++)
		lines += *p == '\n';
	if (!(out = malloc(strlen(scen) + lines * (sizeof mark - 1) + 2)))
		return NULL;
	o = out;
	for (const char *p = scen; *p; ) {
		size_t len = strcspn(p, "\n");
		char line[1024], name[256];

		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), p);
		switch (line_kind(p, len)) {
		case PF_LINE_START:
			param_name(line, name, sizeof name);
			in_owned = name[0] && is_owned(name);
			/* fall through */
		case PF_LINE_MORE:
			if (in_owned)
				o += sprintf(o, "%s", mark);
			break;
		case PF_LINE_SKIP:
			break;	/* comments and blank lines end nothing */
		}
		memcpy(o, p, len);
		o += len;
		*o++ = '\n';
		p += len + (p[len] == '\n');
	}
	*o = '\0';
	return out;
}

/* The parameters the sandbox owns, with their values, after everything. */
static char *
owned_block(const struct pf_instance *pf, const struct pf_system *sys)
{
	const char *names[] = { PF_OWNED_PARAMS };
	const char *values[] = {
		pf->etc, pf->spool, pf->data, pf->maillog, pf->dir, sys->v[PF_SYS_DAEMON_DIR],
		sys->v[PF_SYS_COMMAND_DIR], sys->v[PF_SYS_META_DIR], sys->v[PF_SYS_SHLIB_DIR],
		sys->v[PF_SYS_SENDMAIL], sys->v[PF_SYS_NEWALIASES], sys->v[PF_SYS_MAILQ],
		sys->v[PF_SYS_MAIL_OWNER], sys->v[PF_SYS_SETGID_GROUP], "no", "",
	};
	char *out = strdup("# --- owned by the mxlab sandbox ---\n");

	_Static_assert(sizeof names / sizeof names[0] == sizeof values / sizeof values[0],
		       "one value per owned parameter");
	for (size_t i = 0; out && i < sizeof names / sizeof names[0]; i++) {
		char *n = NULL;

		if (asprintf(&n, "%s%s = %s\n", out, names[i], values[i]) < 0)
			n = NULL;
		free(out);
		out = n;
	}
	return out;
}

int
pf_master_cf_check(const char *text, int first_line, int *bad_line, char *err, size_t errlen)
{
	const char *p = text;
	int line = first_line;

	while (p && *p) {
		char buf[4096], f[8][256];
		size_t len = strcspn(p, "\n"), n;
		int start = line;

		if (line_kind(p, len) != PF_LINE_START) {
			p += len + (p[len] == '\n');
			line++;
			continue;
		}
		/* The logical line: this one and its continuations. */
		n = (size_t)snprintf(buf, sizeof buf, "%.*s", (int)len, p);
		for (p += len + (p[len] == '\n'), line++; *p; line++) {
			enum pf_line k;

			len = strcspn(p, "\n");
			if ((k = line_kind(p, len)) == PF_LINE_START)
				break;
			if (k == PF_LINE_MORE && n < sizeof buf)
				n += (size_t)snprintf(buf + n, sizeof buf - n, " %.*s", (int)len, p);
			p += len + (p[len] == '\n');
		}
		if (sscanf(buf, "%255s %255s %255s %255s %255s %255s %255s %255s", f[0], f[1], f[2],
			   f[3], f[4], f[5], f[6], f[7]) == 8 && strchr(f[7], '/')) {
			snprintf(err, errlen, "master.cf service %s: command '%s': a service runs "
				 "a program of the system's daemon directory, named without '/'",
				 f[0], f[7]);
			*bad_line = start;
			return -1;
		}
	}
	return 0;
}

/* main.cf: the base minus what the scenario redefines, the scenario's text
 * with the owned parameters made comments, libfaketime's variables when
 * the clock is shifted (unless the scenario sets import_environment), and
 * the owned parameters. */
char *
pf_main_cf_text(const struct pf_instance *pf, const struct pf_system *sys, const char *scen)
{
	char *mine = NULL, *m = NULL, *owned = NULL, *out = NULL;
	int ft = pf->faketime[0] && !(scen && defines(scen, "import_environment", 0));

	if ((!scen || (mine = disown(scen))) && (m = merge(base_main, pf->dir, mine, 0)) &&
	    (owned = owned_block(pf, sys)) &&
	    asprintf(&out, "%s%s%s%s%s", m, ft ? "import_environment = " : "",
		     ft ? default_import_env : "", ft ? " LD_PRELOAD FAKETIME\n" : "", owned) < 0)
		out = NULL;
	free(mine);
	free(m);
	free(owned);
	return out;
}

char *
pf_master_cf_text(const struct pf_instance *pf, const char *scen)
{
	return merge(base_master, pf->dir, scen, 1);
}
