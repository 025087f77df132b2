/*
 * pfinst.c: a private, stock Postfix instance for one scenario
 * (see pfinst.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "pfinst.h"

#define POSTCONF "/usr/sbin/postconf"

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

const char *
pf_faketime_lib(void)
{
	static char path[512];
	glob_t g;

	if (path[0])
		return path;
	if (glob("/usr/lib/*/faketime/libfaketime.so.1", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		snprintf(path, sizeof path, "%s", g.gl_pathv[0]);
		globfree(&g);
		return path;
	}
	if (access("/usr/lib/faketime/libfaketime.so.1", R_OK) == 0) {
		snprintf(path, sizeof path, "/usr/lib/faketime/libfaketime.so.1");
		return path;
	}
	return NULL;
}

static const char *const sys_names[PF_SYS_N] = {
	"mail_version", "config_directory", "queue_directory", "data_directory",
	"mail_spool_directory", "daemon_directory", "command_directory", "meta_directory",
	"shlib_directory", "sendmail_path", "newaliases_path", "mailq_path",
	"mail_owner", "setgid_group",
};

const char *const pf_meta_files[] = {
	"dynamicmaps.cf", "dynamicmaps.cf.d", "postfix-files", "postfix-files.d",
	"main.cf.proto", "master.cf.proto", "makedefs.out", "post-install",
	"postfix-script", "postfix-tls-script", "postmulti-script", NULL
};

void
pf_system_free(struct pf_system *sys)
{
	for (size_t i = 0; i < PF_SYS_N; i++) {
		free(sys->v[i]);
		sys->v[i] = NULL;
	}
}

/* `postconf -d` with an empty configuration of our own: compiled-in
 * defaults, and /etc/postfix is not read. */
int
pf_system_load(struct pf_system *sys, char *err, size_t errlen)
{
	char dir[] = "/tmp/mxlab-pfsys.XXXXXX", path[64], *out;
	char *argv[PF_SYS_N + 5] = { POSTCONF, "-c", dir, "-d" };
	const size_t outlen = 16384;
	int fd, r;

	memset(sys, 0, sizeof *sys);
	for (size_t i = 0; i < PF_SYS_N; i++)
		argv[4 + i] = (char *)sys_names[i];
	if (!(out = malloc(outlen)) || !mkdtemp(dir)) {
		snprintf(err, errlen, "postconf: %s", out ? strerror(errno) : "out of memory");
		free(out);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, i ? "master.cf" : "main.cf");
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
			close(fd);
	}
	r = mx_run(argv, NULL, out, outlen);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, i ? "master.cf" : "main.cf");
		unlink(path);
	}
	rmdir(dir);
	if (r != 0) {
		snprintf(err, errlen, "%s -d failed (%d): is Postfix installed? %.300s", POSTCONF, r, out);
		free(out);
		return -1;
	}
	/* "name = value" lines; warnings may come first. */
	for (char *l = out; *l; ) {
		size_t len = strcspn(l, "\n");
		char *eq = memchr(l, '=', len);

		for (size_t i = 0; eq && i < PF_SYS_N; i++) {
			size_t n = strlen(sys_names[i]);

			if (!sys->v[i] && !strncmp(l, sys_names[i], n) && l[n] == ' ' && eq == l + n + 1) {
				const char *v = eq + 1 + (eq[1] == ' ');

				sys->v[i] = strndup(v, (size_t)(l + len - v));
			}
		}
		l += len + (l[len] == '\n');
	}
	free(out);
	for (size_t i = 0; i < PF_SYS_N; i++) {
		if (!sys->v[i] || (i != PF_SYS_VERSION && i != PF_SYS_MAIL_OWNER &&
				   i != PF_SYS_SETGID_GROUP && sys->v[i][0] != '/')) {
			snprintf(err, errlen, "postconf -d gave no absolute %s", sys_names[i]);
			pf_system_free(sys);
			return -1;
		}
	}
	return 0;
}

int
pf_version(char *buf, size_t len)
{
	struct pf_system sys;
	char err[512];

	if (pf_system_load(&sys, err, sizeof err) < 0)
		return -1;
	snprintf(buf, len, "%s", sys.v[PF_SYS_VERSION]);
	pf_system_free(&sys);
	return 0;
}

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

/*
 * Write a config file dated a minute ago: Postfix's load_file() treats a
 * file modified within a second of now as "hot" and re-reads it after
 * 300 ms naps, which cost every Postfix command up to two seconds.
 */
static int
write_file(const char *path, const char *text, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "we");
	struct timespec ts[2];

	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, path, ts, 0);
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

static int
mkdir_owned(const char *path, const char *owner, char *err, size_t errlen)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (owner) {
		struct passwd *pw = getpwnam(owner);

		if (!pw || chown(path, pw->pw_uid, pw->pw_gid) < 0) {
			snprintf(err, errlen, "%s: cannot give it to user %s: %s", path, owner,
				 pw ? strerror(errno) : "no such user (is Postfix installed?)");
			return -1;
		}
	}
	return 0;
}

static const char *clone_to;
static size_t clone_from_len;

static int
clone_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char to[1400];

	(void)ftw;
	if (flag != FTW_D)
		return 0;
	snprintf(to, sizeof to, "%s%s", clone_to, path + clone_from_len);
	if ((mkdir(to, 0700) < 0 && errno != EEXIST) ||
	    chown(to, st->st_uid, st->st_gid) < 0 || chmod(to, st->st_mode & 07777) < 0)
		return -1;
	return 0;
}

/* Copy the directory tree of from (owners and modes kept) to to. */
static int
clone_tree(const char *from, const char *to)
{
	clone_to = to;
	clone_from_len = strlen(from);
	return nftw(from, clone_dir, 16, FTW_PHYS);
}

int
pf_template_make(const char *dir, const struct pf_system *sys, char *err, size_t errlen)
{
	struct pf_instance pf;
	int r;

	if (pf_write_config(&pf, dir, NULL, NULL, NULL, NULL, sys, err, errlen) < 0)
		return -1;
	r = pf_check(&pf, err, errlen);
	pf_instance_free(&pf);
	return r;
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

void
pf_instance_free(struct pf_instance *pf)
{
	free(pf->master);
	free(pf->postfix);
	pf->master = pf->postfix = NULL;
}

int
pf_write_config(struct pf_instance *pf, const char *dir, const char *main_cf,
		const char *master_cf, const char *faketime, const char *spool_template,
		const struct pf_system *sys, char *err, size_t errlen)
{
	char path[1200], *m = NULL, *owned = NULL, *mine = NULL;
	int r = -1;

	memset(pf, 0, sizeof *pf);
	pf->master_pid = -1;
	if ((size_t)snprintf(pf->dir, sizeof pf->dir, "%s", dir) >= sizeof pf->dir) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	snprintf(pf->etc, sizeof pf->etc, "%s/etc", dir);
	snprintf(pf->maillog, sizeof pf->maillog, "%s/maillog", dir);
	snprintf(pf->spool, sizeof pf->spool, "%s/spool", dir);
	snprintf(pf->data, sizeof pf->data, "%s/data", dir);
	snprintf(pf->faketime, sizeof pf->faketime, "%s", faketime ? faketime : "");
	if (asprintf(&pf->master, "%s/master", sys->v[PF_SYS_DAEMON_DIR]) < 0 ||
	    asprintf(&pf->postfix, "%s/postfix", sys->v[PF_SYS_COMMAND_DIR]) < 0) {
		pf->master = pf->postfix = NULL;
		goto nomem;
	}
	snprintf(path, sizeof path, "%s/spool", dir);
	if (mkdir_owned(dir, NULL, err, errlen) < 0 ||
	    mkdir_owned(pf->etc, NULL, err, errlen) < 0 ||
	    mkdir_owned(path, NULL, err, errlen) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/data", dir);
	if (mkdir_owned(path, sys->v[PF_SYS_MAIL_OWNER], err, errlen) < 0)
		goto out;
	if (spool_template) {
		char from[1200];

		snprintf(from, sizeof from, "%s/spool", spool_template);
		snprintf(path, sizeof path, "%s/spool", dir);
		if (clone_tree(from, path) < 0) {
			snprintf(err, errlen, "copying the queue template %s: %s", from, strerror(errno));
			goto out;
		}
	}

	if (master_cf) {
		char e[600];
		int line;

		if (pf_master_cf_check(master_cf, 1, &line, e, sizeof e) < 0) {
			snprintf(err, errlen, "line %d of the master.cf text: %s", line, e);
			goto out;
		}
	}
	if ((main_cf && !(mine = disown(main_cf))) || !(m = merge(base_main, dir, mine, 0)) ||
	    !(owned = owned_block(pf, sys)))
		goto nomem;
	{
		int ft = pf->faketime[0] && !(main_cf && defines(main_cf, "import_environment", 0));
		char *m2 = malloc(strlen(m) + strlen(owned) + 256);

		if (!m2)
			goto nomem;
		sprintf(m2, "%s%s%s%s%s", m, ft ? "import_environment = " : "",
			ft ? default_import_env : "", ft ? " LD_PRELOAD FAKETIME\n" : "", owned);
		free(m);
		m = m2;
	}
	snprintf(path, sizeof path, "%s/main.cf", pf->etc);
	if (write_file(path, m, err, errlen) < 0)
		goto out;
	free(m);
	if (!(m = merge(base_master, dir, master_cf, 1)))
		goto nomem;
	snprintf(path, sizeof path, "%s/master.cf", pf->etc);
	if (write_file(path, m, err, errlen) < 0)
		goto out;
	r = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(m);
	free(owned);
	free(mine);
	if (r < 0)
		pf_instance_free(pf);
	return r;
}

int
pf_check(struct pf_instance *pf, char *err, size_t errlen)
{
	char *argv[] = { pf->postfix, "-c", pf->etc, "check", NULL };
	char out[2048];
	int r = mx_run(argv, NULL, out, sizeof out);

	if (r != 0) {
		/* postfix prints fatal errors only to a tty: add the maillog's tail. */
		char log[1024] = "";
		FILE *fp = fopen(pf->maillog, "re");

		if (fp) {
			size_t n;

			fseek(fp, -(long)sizeof log + 1, SEEK_END);
			n = fread(log, 1, sizeof log - 1, fp);
			log[n] = '\0';
			fclose(fp);
		}
		snprintf(err, errlen, "postfix -c %s check failed (exit %d): %s%s", pf->etc, r,
			 out[0] ? out : "", log[0] ? log : "(no output: see the maillog)");
		return -1;
	}
	return 0;
}

int
pf_start(struct pf_instance *pf, char *err, size_t errlen)
{
	const char *lib = NULL;
	pid_t pid;

	if (pf->faketime[0] && !(lib = pf_faketime_lib())) {
		snprintf(err, errlen, "faketime: libfaketime is not installed (Debian package libfaketime)");
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (lib) {
			setenv("LD_PRELOAD", lib, 1);
			setenv("FAKETIME", pf->faketime, 1);
		}
		execl(pf->master, pf->master, "-c", pf->etc, (char *)NULL);
		_exit(127);
	}
	pf->master_pid = pid;
	pf->master_exited = 0;
	return 0;
}

int
pf_reap(struct pf_instance *pf, int *status)
{
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pf && p == pf->master_pid) {
			pf->master_exited = 1;
			pf->master_status = st;
		}
	}
	if (pf && pf->master_exited && status)
		*status = pf->master_status;
	return pf ? pf->master_exited : 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
pf_wait_ready(struct pf_instance *pf, struct ml_tail *t, int timeout_ms,
	      void (*line_cb)(void *, const struct ml_event *), void *arg,
	      char *err, size_t errlen)
{
	long end = now_ms() + timeout_ms;
	struct ml_event *ev = malloc(sizeof *ev);
	int st;

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		long left = end - now_ms();
		int r;

		if (pf_reap(pf, &st)) {
			snprintf(err, errlen, "the Postfix master exited at start (%s %d): see %s",
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), pf->maillog);
			break;
		}
		if (left <= 0) {
			snprintf(err, errlen, "the Postfix master did not log 'daemon started' "
				 "within %d ms: see %s", timeout_ms, pf->maillog);
			break;
		}
		r = ml_tail_next(t, ev, left < 100 ? (int)left : 100);
		if (r < 0) {
			snprintf(err, errlen, "reading %s failed", pf->maillog);
			break;
		}
		if (r == 0)
			continue;
		if (line_cb)
			line_cb(arg, ev);
		if (!strcmp(ev->daemon, "master") && ev->text && strstr(ev->text, "daemon started")) {
			free(ev);
			return 0;
		}
	}
	free(ev);
	return -1;
}

void
pf_stop(struct pf_instance *pf, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	if (pf->master_pid <= 0)
		return;
	if (!pf_reap(pf, NULL))
		kill(pf->master_pid, SIGTERM);
	while (!pf_reap(pf, NULL) && now_ms() < end) {
		/* Wait on the process itself: a pidfd turns readable when it exits. */
		int pfd = (int)syscall(SYS_pidfd_open, pf->master_pid, 0);
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		if (pfd < 0)
			break;
		(void)poll(&p, 1, (int)(end - now_ms() > 0 ? end - now_ms() : 0));
		close(pfd);
	}
	if (!pf->master_exited) {
		kill(pf->master_pid, SIGKILL);
		while (waitpid(pf->master_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pf->master_pid = -1;
}
