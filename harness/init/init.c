/*
 * init.c: `mxlab init` as library calls (mxlab/init.h).
 *
 * Asks postconf about the configuration (-n, -x, -M, -P -x; nothing else
 * reads or runs it), reads its main.cf and master.cf for line numbers and
 * the sources of the maps it names, hands all that to the generator
 * (initgen.h) and writes the files (init_write.c). Prints nothing:
 * warnings and postconf's own messages go to the caller's msg callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mxlab/init.h"
#include "initgen.h"
#include "init_write.h"
#include "pcread.h"

#define INIT_MAX_FILE (16u << 20)	/* a map source or postconf's output */

/* Where mxlab run refuses a configuration directory (docs/runner.md). */
static const char *const host_trees[] = { "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32",
					  "/lib64", "/libx32", "/var/spool/postfix",
					  "/var/lib/postfix", NULL };

struct mxlab_init {
	char *conf;		/* as the caller gave it */
	char *out;
	int force;
	mxlab_init_msg_fn msg;
	void *ctx;
	char dir[PATH_MAX];	/* conf without trailing slashes */
	char real[PATH_MAX];	/* conf resolved */
	char rel[PATH_MAX * 2];	/* conf relative to out */
	struct ig_out gen;
	int generated;
};

static void
say(const mxlab_init *ini, const char *fmt, ...)
{
	char line[PATH_MAX * 2 + 512];
	va_list ap;

	if (!ini->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ini->msg(ini->ctx, line);
}

/* ---------------------------------------------------------------- postconf */

static char *
read_fd(int fd, size_t max, int *too_big)
{
	size_t n = 0, cap = 8192;
	char *buf = malloc(cap);

	*too_big = 0;
	while (buf) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = cap * 2 > max + 1 ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				*too_big = cap * 2 > max + 1;
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* Runs postconf -c DIR ARGS; its output into *out. Its stderr goes to the
 * msg callback, a line at a time. */
static int
postconf(const mxlab_init *ini, const char *a1, const char *a2, char **out, char *err,
	 size_t errlen)
{
	const char *dir = ini->dir;
	char *argv[] = { "postconf", "-c", (char *)dir, (char *)a1, (char *)a2, NULL };
	int op[2], st, big;
	FILE *errf = tmpfile();
	pid_t pid;

	*out = NULL;
	if (!errf || pipe(op) < 0) {
		snprintf(err, errlen, "postconf: %s", strerror(errno));
		if (errf)
			fclose(errf);
		return -1;
	}
	if ((pid = fork()) == 0) {
		dup2(op[1], 1);
		dup2(fileno(errf), 2);
		close(op[0]);
		close(op[1]);
		execv("/usr/sbin/postconf", argv);
		execvp("postconf", argv);
		fprintf(errf, "cannot run postconf: %s (Debian package postfix)\n", strerror(errno));
		fflush(errf);
		_exit(127);
	}
	close(op[1]);
	*out = pid > 0 ? read_fd(op[0], INIT_MAX_FILE, &big) : NULL;
	close(op[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	rewind(errf);
	for (char line[1024]; fgets(line, sizeof line, errf); ) {
		line[strcspn(line, "\n")] = '\0';
		say(ini, "%s", line);
	}
	fclose(errf);
	if (pid < 0 || !*out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "postconf -c %s %s%s%s failed: %s", dir, a1, a2 ? " " : "",
			 a2 ? a2 : "", pid < 0 ? strerror(errno) : !*out ? "output too big" :
			 "see its message above");
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- files */

/* ig_read_fn: DIR/rel, a regular file of at most INIT_MAX_FILE. */
static int
read_rel(void *ctx, const char *rel, char **text, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, big;

	*text = NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", (const char *)ctx, rel) >= sizeof path) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	*text = read_fd(fd, INIT_MAX_FILE, &big);
	close(fd);
	if (!*text) {
		snprintf(err, errlen, "%s: %s", path, big ? "larger than 16 MiB" : strerror(errno));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- API */

mxlab_err
mxlab_init_open(const char *config_dir, const char *out, int force, mxlab_init_msg_fn msg,
		void *ctx, mxlab_init **inip, char *err, size_t errlen)
{
	mxlab_init *ini;
	struct stat st;

	*inip = NULL;
	if (!config_dir || !out) {
		snprintf(err, errlen, "needs a configuration directory and a suite directory");
		return MXLAB_ERR_USAGE;
	}
	if (!(ini = calloc(1, sizeof *ini)) || !(ini->conf = strdup(config_dir)) ||
	    !(ini->out = strdup(out))) {
		mxlab_init_free(ini);
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	ini->force = force;
	ini->msg = msg;
	ini->ctx = ctx;
	snprintf(ini->dir, sizeof ini->dir, "%s", config_dir);
	for (size_t l = strlen(ini->dir); l > 1 && ini->dir[l - 1] == '/'; l--)
		ini->dir[l - 1] = '\0';
	errno = 0;
	if (stat(ini->dir, &st) < 0 || !S_ISDIR(st.st_mode) || !realpath(ini->dir, ini->real)) {
		snprintf(err, errlen, "--postfix-config %s: %s", config_dir,
			 errno ? strerror(errno) : "not a directory");
		mxlab_init_free(ini);
		return MXLAB_ERR_USAGE;
	}
	for (const char *const *h = host_trees; *h; h++)
		if (!strncmp(ini->real, *h, strlen(*h)) &&
		    (ini->real[strlen(*h)] == '/' || !ini->real[strlen(*h)]))
			say(ini, "--postfix-config %s is inside %s: mxlab run will refuse it "
			    "(the sandbox covers the host's trees); copy it elsewhere, such as "
			    "a git checkout", config_dir, *h);
	if (iw_check_out(out, force, err, errlen) < 0 ||
	    iw_relative(out, ini->real, ini->rel, sizeof ini->rel, err, errlen) < 0) {
		mxlab_init_free(ini);
		return MXLAB_ERR_USAGE;
	}
	*inip = ini;
	return MXLAB_OK;
}

mxlab_err
mxlab_init_generate(mxlab_init *ini, char *err, size_t errlen)
{
	struct pcr_text t = { 0 };
	struct pcr_conf conf;
	char *n = NULL, *x = NULL, *m = NULL, *p = NULL, *d = NULL, *main_cf = NULL,
	     *master_cf = NULL, e[2048];
	const char *dirs[4];
	mxlab_err rc = MXLAB_ERR_IO;

	if (ini->generated) {
		snprintf(err, errlen, "generated already");
		return MXLAB_ERR_USAGE;
	}
	if (postconf(ini, "-n", NULL, &n, err, errlen) < 0 ||
	    postconf(ini, "-x", NULL, &x, err, errlen) < 0 ||
	    postconf(ini, "-M", NULL, &m, err, errlen) < 0 ||
	    postconf(ini, "-P", "-x", &p, err, errlen) < 0 ||
	    postconf(ini, "-d", "config_directory", &d, err, errlen) < 0)
		goto done;
	/* The directory's own name in its values: Postfix's compiled-in
	 * config_directory (postconf -c makes config_directory DIR itself). */
	d[strcspn(d, "\n")] = '\0';
	dirs[0] = strchr(d, '=') ? strchr(d, '=') + 1 + strspn(strchr(d, '=') + 1, " ") : "/etc/postfix";
	dirs[1] = ini->dir;
	dirs[2] = ini->real;
	dirs[3] = NULL;
	if (read_rel(ini->dir, "main.cf", &main_cf, err, errlen) < 0 ||
	    read_rel(ini->dir, "master.cf", &master_cf, err, errlen) < 0)
		goto done;
	t = (struct pcr_text){ n, x, m, p, main_cf, master_cf };
	rc = MXLAB_ERR_PARSE;
	if (pcr_load(&conf, &t, e, sizeof e) < 0) {
		snprintf(err, errlen, "%s: %s", ini->dir, e);
		goto done;
	}
	{
		struct ig_in in = { &conf, ini->rel, dirs, read_rel, ini->dir };

		if (ig_generate(&in, &ini->gen, e, sizeof e) < 0) {
			snprintf(err, errlen, "%s: %s", ini->dir, e);
			pcr_free(&conf);
			goto done;
		}
	}
	pcr_free(&conf);
	ini->generated = 1;
	for (size_t i = 0; i < ini->gen.nnotes; i++)
		say(ini, "not checked: %s", ini->gen.notes[i]);
	rc = MXLAB_OK;
done:
	free(n);
	free(x);
	free(m);
	free(p);
	free(d);
	free(main_cf);
	free(master_cf);
	return rc;
}

mxlab_err
mxlab_init_write(mxlab_init *ini, char *err, size_t errlen)
{
	if (!ini->generated) {
		snprintf(err, errlen, "nothing generated yet");
		return MXLAB_ERR_USAGE;
	}
	return iw_write(ini->out, &ini->gen, ini->force, err, errlen) < 0 ? MXLAB_ERR_IO : MXLAB_OK;
}

size_t
mxlab_init_nfiles(const mxlab_init *ini)
{
	return ini->generated ? ini->gen.nfiles : 0;
}

const char *
mxlab_init_postfix_config(const mxlab_init *ini)
{
	return ini->rel;
}

void
mxlab_init_free(mxlab_init *ini)
{
	if (!ini)
		return;
	if (ini->generated)
		ig_out_free(&ini->gen);
	free(ini->conf);
	free(ini->out);
	free(ini);
}
