/*
 * pfinst.c: a private, stock Postfix instance for one scenario (see
 * pfinst.h): the system's Postfix (postconf -d), the instance's
 * directories and files, `postfix check`, the master's start, readiness,
 * reaping and stop. The text of main.cf and master.cf is pfinst_text.c.
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

const char *
pf_faketime_lib(void)
{
	static char path[MX_PATH_MAX];
	glob_t g;

	if (path[0])
		return path;
	if (glob("/usr/lib/*/faketime/libfaketime.so.1", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		int r = mx_path(path, sizeof path, "%s", g.gl_pathv[0]);

		globfree(&g);
		if (r == 0)
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
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			break;
		}
		close(fd);
	}
	r = fd < 0 ? -1 : mx_run(argv, NULL, out, outlen);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, i ? "master.cf" : "main.cf");
		unlink(path);
	}
	rmdir(dir);
	if (fd < 0) {		/* err says which */
		free(out);
		return -1;
	}
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

	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fputs(text, fp) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	/* a write error shows here; fp is gone either way */
	if (fclose(fp) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	if (utimensat(AT_FDCWD, path, ts, 0) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
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
	char to[MX_PATH_MAX];

	(void)ftw;
	if (flag != FTW_D)
		return 0;
	if (mx_path(to, sizeof to, "%s%s", clone_to, path + clone_from_len) < 0 ||
	    (mkdir(to, 0700) < 0 && errno != EEXIST) ||
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
	struct pf_config cfg = { 0 };
	int r;

	if (pf_write_config(&pf, dir, &cfg, sys, NULL, err, errlen) < 0)
		return -1;
	r = pf_check(&pf, err, errlen);
	pf_instance_free(&pf);
	return r;
}

void
pf_instance_free(struct pf_instance *pf)
{
	free(pf->master);
	free(pf->postfix);
	pf->master = pf->postfix = NULL;
}

int
pf_write_config(struct pf_instance *pf, const char *dir, const struct pf_config *cfg,
		const struct pf_system *sys, struct pf_changes *ch, char *err, size_t errlen)
{
	char path[MX_PATH_MAX], *m = NULL;
	int r = -1;

	memset(pf, 0, sizeof *pf);
	pf->master_pid = -1;
	if (mx_path(pf->dir, sizeof pf->dir, "%s", dir) < 0 ||
	    (cfg->etc ? mx_path(pf->etc, sizeof pf->etc, "%s", cfg->etc) :
			mx_path(pf->etc, sizeof pf->etc, "%s/etc", dir)) < 0 ||
	    mx_path(pf->maillog, sizeof pf->maillog, "%s/maillog", dir) < 0 ||
	    mx_path(pf->spool, sizeof pf->spool, "%s/spool", dir) < 0 ||
	    mx_path(pf->data, sizeof pf->data, "%s/data", dir) < 0) {
		snprintf(err, errlen, "%s: path too long", cfg->etc && strlen(cfg->etc) >= sizeof pf->etc ?
			 cfg->etc : dir);
		return -1;
	}
	if ((size_t)snprintf(pf->faketime, sizeof pf->faketime, "%s",
			     cfg->faketime ? cfg->faketime : "") >= sizeof pf->faketime) {
		snprintf(err, errlen, "faketime %s: too long", cfg->faketime);
		return -1;
	}
	if (asprintf(&pf->master, "%s/master", sys->v[PF_SYS_DAEMON_DIR]) < 0 ||
	    asprintf(&pf->postfix, "%s/postfix", sys->v[PF_SYS_COMMAND_DIR]) < 0) {
		pf->master = pf->postfix = NULL;
		goto nomem;
	}
	if (mkdir_owned(dir, NULL, err, errlen) < 0 ||
	    mkdir_owned(pf->etc, NULL, err, errlen) < 0 ||
	    mkdir_owned(pf->spool, NULL, err, errlen) < 0)
		goto out;
	if (mkdir_owned(pf->data, sys->v[PF_SYS_MAIL_OWNER], err, errlen) < 0)
		goto out;
	if (cfg->spool_template) {
		char from[MX_PATH_MAX];

		if (mx_path(from, sizeof from, "%s/spool", cfg->spool_template) < 0) {
			snprintf(err, errlen, "%s/spool: path too long", cfg->spool_template);
			goto out;
		}
		if (clone_tree(from, pf->spool) < 0) {
			snprintf(err, errlen, "copying the queue template %s: %s", from,
				 errno == ENAMETOOLONG ? "path too long" : strerror(errno));
			goto out;
		}
	}
	if (!(m = pf_main_cf_text(pf, sys, cfg, ch)))
		goto nomem;
	if (mx_path(path, sizeof path, "%s/main.cf", pf->etc) < 0) {
		snprintf(err, errlen, "%s/main.cf: path too long", pf->etc);
		goto out;
	}
	if (write_file(path, m, err, errlen) < 0)
		goto out;
	free(m);
	if (!(m = pf_master_cf_text(cfg, ch)))
		goto nomem;
	{
		char e[600];
		int line;

		if (pf_master_cf_check(m, 1, &line, e, sizeof e) < 0) {
			snprintf(err, errlen, "%s", e);
			goto out;
		}
	}
	if (mx_path(path, sizeof path, "%s/master.cf", pf->etc) < 0) {
		snprintf(err, errlen, "%s/master.cf: path too long", pf->etc);
		goto out;
	}
	if (write_file(path, m, err, errlen) < 0)
		goto out;
	r = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(m);
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
pf_check_syntax(struct pf_instance *pf, char *err, size_t errlen)
{
	const char *slash = strrchr(pf->postfix, '/');
	char *postconf = NULL;
	char out[2048];
	int r;

	/* postconf is beside postfix, in command_directory */
	if (!slash || asprintf(&postconf, "%.*s/postconf", (int)(slash - pf->postfix),
			       pf->postfix) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	{
		char *argv[] = { postconf, "-c", pf->etc, "-n", NULL };

		r = mx_run(argv, NULL, out, sizeof out);
	}
	if (r != 0) {
		/* keep the fatal line, not the parameters printed before it */
		const char *f = strstr(out, "postconf: fatal: ");

		snprintf(err, errlen, "postconf -c %s -n failed (exit %d): %.*s", pf->etc, r,
			 (int)strcspn(f ? f : out, "\n"), f ? f : out);
	}
	free(postconf);
	return r != 0 ? -1 : 0;
}

int
pf_start(struct pf_instance *pf, char *err, size_t errlen)
{
	const char *lib = NULL;
	char out[PATH_MAX + 16];
	pid_t pid;
	int fd;

	if (pf->faketime[0] && !(lib = pf_faketime_lib())) {
		snprintf(err, errlen, "faketime: libfaketime is not installed (Debian package libfaketime)");
		return -1;
	}
	/* master's own stderr (a fatal error before it can log: a broken
	 * main.cf) goes to DIR/master.out, which pf_wait_ready quotes. */
	if (snprintf(out, sizeof out, "%s/master.out", pf->dir) >= (int)sizeof out ||
	    (fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		snprintf(err, errlen, "%s/master.out: %s", pf->dir, strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (lib) {
			setenv("LD_PRELOAD", lib, 1);
			setenv("FAKETIME", pf->faketime, 1);
		}
		execl(pf->master, pf->master, "-c", pf->etc, (char *)NULL);
		_exit(127);
	}
	close(fd);
	pf->master_pid = pid;
	pf->master_exited = 0;
	return 0;
}

/* The last line master wrote to DIR/master.out, or "". */
static void
master_said(const struct pf_instance *pf, char *buf, size_t len)
{
	char path[PATH_MAX + 16], line[512];
	FILE *fp;

	buf[0] = '\0';
	if (snprintf(path, sizeof path, "%s/master.out", pf->dir) >= (int)sizeof path ||
	    !(fp = fopen(path, "re")))
		return;
	while (fgets(line, sizeof line, fp))
		if (line[strspn(line, " \t\n")])
			snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(fp);
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
	      void (*line_cb)(void *, const struct mta_event *), void *arg,
	      char *err, size_t errlen)
{
	long end = now_ms() + timeout_ms;
	struct mta_event *ev = malloc(sizeof *ev);
	int st;

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		long left = end - now_ms();
		int r;

		if (pf_reap(pf, &st)) {
			char said[400];

			master_said(pf, said, sizeof said);
			if (said[0])
				snprintf(err, errlen, "the Postfix master exited at start (%s %d): "
					 "%s (%s/master.out)", WIFEXITED(st) ? "exit" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), said, pf->dir);
			else
				snprintf(err, errlen, "the Postfix master exited at start (%s %d): "
					 "see %s", WIFEXITED(st) ? "exit" : "signal",
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
