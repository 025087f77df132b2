/*
 * pfinst_text.c: the text of an instance's main.cf and master.cf (see
 * pfinst.h): the safe base, the scenario's text over it, the parameters
 * the sandbox owns after everything, and the check that master.cf runs
 * only programs of the daemon directory. Postfix's own rules for logical
 * lines (readlline) decide what a definition is. Returns NULL when out of
 * memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfconf.h"
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

/* The parameters the sandbox owns for this instance, with their values:
 * PF_OWNED_PARAMS, then with a user's configuration inet_interfaces, and
 * import_environment when the clock is shifted. */
struct owned {
	const char *name[24];
	char *value[24];
	size_t n;
};

static int
owned_add(struct owned *o, const char *name, const char *value)
{
	if (o->n == sizeof o->name / sizeof o->name[0] || !(o->value[o->n] = strdup(value)))
		return -1;
	o->name[o->n++] = name;
	return 0;
}

static void
owned_free(struct owned *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->value[i]);
	o->n = 0;
}

static int
owned_make(struct owned *o, const struct pf_instance *pf, const struct pf_system *sys,
	   const struct pf_config *cfg, const struct cf_main *now)
{
	const char *names[] = { PF_OWNED_PARAMS };
	const char *values[] = {
		pf->etc, pf->spool, pf->data, pf->maillog, pf->dir, sys->v[PF_SYS_DAEMON_DIR],
		sys->v[PF_SYS_COMMAND_DIR], sys->v[PF_SYS_META_DIR], sys->v[PF_SYS_SHLIB_DIR],
		sys->v[PF_SYS_SENDMAIL], sys->v[PF_SYS_NEWALIASES], sys->v[PF_SYS_MAILQ],
		sys->v[PF_SYS_MAIL_OWNER], sys->v[PF_SYS_SETGID_GROUP], "no", "",
	};

	_Static_assert(sizeof names / sizeof names[0] == sizeof values / sizeof values[0],
		       "one value per owned parameter");
	o->n = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (owned_add(o, names[i], values[i]) < 0)
			return -1;
	if (cfg->user_main && owned_add(o, "inet_interfaces", "loopback-only") < 0)
		return -1;
	if (cfg->faketime && *cfg->faketime) {
		const struct cf_def *d = cf_main_get(now, "import_environment");
		char *v = NULL;
		int r;

		if (asprintf(&v, "%s LD_PRELOAD FAKETIME", d ? d->value : default_import_env) < 0)
			return -1;
		r = owned_add(o, "import_environment", v);
		free(v);
		return r;
	}
	return 0;
}

static int
pick_owned(const char *key, void *arg)
{
	const struct owned *o = arg;

	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(key, o->name[i]))
			return 1;
	return 0;
}

/* The system's default of an owned parameter, for the change lines. */
static const char *
sys_default(const struct pf_system *sys, const char *name)
{
	static const struct { const char *name; int v; } map[] = {
		{ "config_directory", PF_SYS_CONFIG_DIR }, { "queue_directory", PF_SYS_QUEUE_DIR },
		{ "data_directory", PF_SYS_DATA_DIR }, { "daemon_directory", PF_SYS_DAEMON_DIR },
		{ "command_directory", PF_SYS_COMMAND_DIR }, { "meta_directory", PF_SYS_META_DIR },
		{ "shlib_directory", PF_SYS_SHLIB_DIR }, { "sendmail_path", PF_SYS_SENDMAIL },
		{ "newaliases_path", PF_SYS_NEWALIASES }, { "mailq_path", PF_SYS_MAILQ },
		{ "mail_owner", PF_SYS_MAIL_OWNER }, { "setgid_group", PF_SYS_SETGID_GROUP },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(map[i].name, name))
			return sys->v[map[i].v];
	if (!strcmp(name, "inet_interfaces"))
		return "all";
	if (!strcmp(name, "import_environment"))
		return default_import_env;
	if (!strcmp(name, "multi_instance_enable"))
		return "no";
	if (!strcmp(name, "maillog_file_prefixes"))
		return "/var, /dev/stdout";
	return "";
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


int
pf_changes_add(struct pf_changes *ch, const char *fmt, ...)
{
	va_list ap;
	char *line, **nv;
	int r;

	if (!ch)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	if (!(nv = realloc(ch->v, (ch->n + 1) * sizeof *nv))) {
		free(line);
		return -1;
	}
	ch->v = nv;
	nv[ch->n++] = line;
	return 0;
}

void
pf_changes_free(struct pf_changes *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->v[i]);
	free(ch->v);
	ch->v = NULL;
	ch->n = 0;
}

/* The starting text (the user's or the base) with every layer over it. */
static char *
layered(const char *start, const struct pf_layer *layers, size_t n, int master)
{
	char *t = strdup(start);

	for (size_t i = 0; t && i < n; i++) {
		char *origin, *next = NULL;

		/* the whole file name, never a cut one */
		if (asprintf(&origin, "%s:%d", layers[i].file, layers[i].line) >= 0) {
			next = cf_overlay(t, layers[i].text, origin, master);
			free(origin);
		}

		free(t);
		t = next;
	}
	return t;
}

/*
 * main.cf: the base or the user's text, every layer over it, the owned
 * parameters' definitions made comments (continuation lines too: Postfix
 * would warn about a parameter defined twice, and the sandbox's value must
 * be the only one), then the owned parameters with their values.
 */
char *
pf_main_cf_text(const struct pf_instance *pf, const struct pf_system *sys,
		const struct pf_config *cfg, struct pf_changes *ch)
{
	static const char head[] = "# Written by mxlab: a safe base, then the scenario's text.\n";
	struct cf_main now = { 0 };
	struct owned o = { .n = 0 };
	char *t = NULL, *mine = NULL, *out = NULL;
	size_t len;

	if (cfg->user_main)
		t = layered(cfg->user_main, cfg->main_layers, cfg->nmain, 0);
	else if ((mine = layered(base_main, cfg->main_layers, cfg->nmain, 0)) &&
		 asprintf(&t, "%s%s", head, mine) < 0)
		t = NULL;
	free(mine);
	mine = NULL;
	if (!t || cf_main_parse(&now, t, "main.cf", 1) < 0 || owned_make(&o, pf, sys, cfg, &now) < 0)
		goto out;
	for (size_t i = 0; cfg->user_main && i < o.n; i++) {
		const struct cf_def *d = cf_main_get(&now, o.name[i]);
		const char *old = d ? d->value : sys_default(sys, o.name[i]);

		if (strcmp(old, o.value[i]) != 0 &&
		    pf_changes_add(ch, "main.cf %s: %s%s -> %s", o.name[i], d ? "" : "(default) ",
				   *old ? old : "(empty)", *o.value[i] ? o.value[i] : "(empty)") < 0)
			goto out;
	}
	if (!(mine = cf_comment_out(t, 0, pick_owned, &o, "# owned by the mxlab sandbox: ")))
		goto out;
	len = strlen(mine) + 64;
	for (size_t i = 0; i < o.n; i++)
		len += strlen(o.name[i]) + strlen(o.value[i]) + 4;
	if (!(out = malloc(len)))
		goto out;
	len = (size_t)sprintf(out, "%s# --- owned by the mxlab sandbox ---\n", mine);
	for (size_t i = 0; i < o.n; i++)
		len += (size_t)sprintf(out + len, "%s = %s\n", o.name[i], o.value[i]);
out:
	cf_main_free(&now);
	owned_free(&o);
	free(t);
	free(mine);
	return out;
}

/* A user's master.cf: chroot off, inet services on 127.0.0.1, postlog. */
static char *
master_sandboxed(const char *text, struct pf_changes *ch)
{
	size_t cap = strlen(text) * 2 + 256, olen = 0;
	char *out = malloc(cap);
	int postlog = 0;

	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		const char *phys = p;
		size_t len = strcspn(p, "\n");
		char line[4096], f[7][300], rest[4096] = "";
		int n = 0, changed = 0;

		p += len + (p[len] == '\n');
		/* A line too long for the buffers is left as it is, never cut. */
		if (len < sizeof line) {
			memcpy(line, phys, len);
			line[len] = '\0';
			if (line_kind(line, len) == PF_LINE_START)
				n = sscanf(line, "%255s %255s %255s %255s %255s %255s %255s %4095[^\n]",
					   f[0], f[1], f[2], f[3], f[4], f[5], f[6], rest);
			for (int i = 0; i < n && i < 7; i++)
				if (strlen(f[i]) >= 255)	/* %255s may have cut it */
					n = 0;
		}
		if (n >= 2 && !strcmp(f[0], "postlog") && !strcmp(f[1], "unix-dgram"))
			postlog = 1;
		if (n >= 5 && strcmp(f[4], "n") != 0) {
			if (pf_changes_add(ch, "master.cf %s %s: chroot %s -> n", f[0], f[1], f[4]) < 0)
				goto nomem;
			snprintf(f[4], sizeof f[4], "n");
			changed = 1;
		}
		if (n >= 2 && !strcmp(f[1], "inet") && strchr(f[0], ':')) {
			const char *port = strrchr(f[0], ':') + 1;

			if ((size_t)(port - 1 - f[0]) != 9 || strncmp(f[0], "127.0.0.1", 9) != 0) {
				char nf[300];

				snprintf(nf, sizeof nf, "127.0.0.1:%s", port);
				if (pf_changes_add(ch, "master.cf %s %s: listens on %s instead", f[0], f[1],
						   nf) < 0)
					goto nomem;
				snprintf(f[0], sizeof f[0], "%s", nf);
				changed = 1;
			}
		}
		if (olen + len + 600 > cap) {
			char *no = realloc(out, cap = cap * 2 + len + 600);

			if (!no)
				goto nomem;
			out = no;
		}
		if (changed) {
			olen += (size_t)sprintf(out + olen, "%s", f[0]);
			for (int i = 1; i < n && i < 7; i++)
				olen += (size_t)sprintf(out + olen, " %s", f[i]);
			olen += (size_t)sprintf(out + olen, "%s%s\n", n == 8 ? " " : "", n == 8 ? rest : "");
		} else {
			memcpy(out + olen, phys, len);
			olen += len;
			out[olen++] = '\n';
		}
	}
	out[olen] = '\0';
	if (!postlog) {
		static const char pl[] = "postlog   unix-dgram n  -       n       -       1       postlogd\n";
		char *no = realloc(out, olen + sizeof pl + 64);

		if (!no) {
			free(out);
			return NULL;
		}
		out = no;
		strcat(out, "# --- added by the mxlab sandbox (maillog_file needs it) ---\n");
		strcat(out, pl);
		if (pf_changes_add(ch, "master.cf postlog unix-dgram: added (maillog_file needs it)") < 0)
			goto nomem;
	}
	return out;
nomem:
	free(out);
	return NULL;
}

char *
pf_master_cf_text(const struct pf_config *cfg, struct pf_changes *ch)
{
	char *t, *s;

	if (!cfg->user_master)
		return layered(base_master, cfg->master_layers, cfg->nmaster, 1);
	if (!(t = layered(cfg->user_master, cfg->master_layers, cfg->nmaster, 1)))
		return NULL;
	s = master_sandboxed(t, ch);
	free(t);
	return s;
}
