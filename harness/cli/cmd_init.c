/*
 * cmd_init.c: `mxlab init`, a starter suite from a Postfix configuration.
 *
 * Asks postconf about the configuration (-n, -x, -M, -P -x; nothing else
 * reads or runs it), reads its main.cf and master.cf for line numbers and
 * the sources of the maps it names, hands all that to the generator
 * (initgen.h) and writes the files (init_write.c). The configuration is
 * only read; the suite directory is the only place written, and an
 * existing one only with --force.
 * Exit: 0 written, 1 the files could not be written, 2 usage or
 * configuration errors (named with the file and line).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "initgen.h"
#include "init_write.h"
#include "mxlab.h"
#include "pcread.h"

#define INIT_MAX_FILE (16u << 20)	/* a map source or postconf's output */

/* Where mxlab run refuses a configuration directory (docs/runner.md). */
static const char *const host_trees[] = { "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32",
					  "/lib64", "/libx32", "/var/spool/postfix",
					  "/var/lib/postfix", NULL };

struct init_options {
	const char *conf;	/* --postfix-config DIR */
	const char *out;	/* --out SUITE */
	int force;		/* --force: write into an existing SUITE */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab init --postfix-config DIR --out SUITE [--force]\n"
	    "\n"
	    "Write a starter suite of scenarios for a Postfix configuration (a copy of\n"
	    "/etc/postfix, such as the one you keep in git), for `mxlab run SUITE`.\n"
	    "The configuration is read with postconf (-n, -M, -P) and the sources of\n"
	    "the maps it names (hash:/etc/postfix/tls_policy is read as DIR/tls_policy);\n"
	    "nothing of it is changed or run.\n"
	    "\n"
	    "SUITE gets suite.scn (postfix-config, shared DNS, the fake MX hosts, SASL\n"
	    "users, files outside DIR, what had to be neutralised and why, what is not\n"
	    "checked) and one scenario per check, each naming in its summary the line\n"
	    "of the configuration it protects:\n"
	    "  inbound/   each smtpd service with TLS: STARTTLS or implicit TLS, the\n"
	    "             full chain verified; TLS before AUTH; refused TLS versions;\n"
	    "             each tls_server_sni_maps name its own certificate\n"
	    "  outbound/  each smtp_tls_policy_maps entry and the default level: the\n"
	    "             peers the level must accept and those it must refuse\n"
	    "\n"
	    "Options:\n"
	    "  --postfix-config DIR  the configuration directory (main.cf, master.cf)\n"
	    "  --out SUITE           the suite directory to write (made if needed)\n"
	    "  --force               write into an existing, non-empty SUITE: replaces\n"
	    "                        the files init writes and removes files an earlier\n"
	    "                        init wrote that it no longer writes; other files stay\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "The output depends on the configuration alone: the same configuration\n"
	    "gives the same files, byte for byte. Then: sudo mxlab run SUITE\n"
	    "\n"
	    "Exit status: 0 written, 1 the files could not be written, 2 a usage or\n"
	    "configuration error.\n");
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

/* Runs postconf -c DIR ARGS; its output into *out. Its stderr is shown. */
static int
postconf(const char *dir, const char *a1, const char *a2, char **out)
{
	char *argv[] = { "postconf", "-c", (char *)dir, (char *)a1, (char *)a2, NULL };
	int op[2], st, big;
	FILE *errf = tmpfile();
	pid_t pid;

	*out = NULL;
	if (!errf || pipe(op) < 0) {
		mx_warn("init", "postconf: %s", strerror(errno));
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
		fprintf(stderr, "cannot run postconf: %s (Debian package postfix)\n", strerror(errno));
		_exit(127);
	}
	close(op[1]);
	*out = pid > 0 ? read_fd(op[0], INIT_MAX_FILE, &big) : NULL;
	close(op[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	rewind(errf);
	for (char line[1024]; fgets(line, sizeof line, errf); )
		fprintf(stderr, "mxlab init: %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(errf);
	if (pid < 0 || !*out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		mx_warn("init", "postconf -c %s %s%s%s failed: %s", dir, a1, a2 ? " " : "",
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

/* ---------------------------------------------------------------- main */

static int
parse_args(int argc, char **argv, struct init_options *o)
{
	static const char *const flags[] = { "force", "help", NULL };

	for (int i = 1; i < argc; ) {
		char keybuf[64];
		const char *key, *val;
		int r;

		if (!strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(MXLAB_EXIT_OK);
		}
		r = mx_opt_next("init", argc, argv, &i, flags, keybuf, sizeof keybuf, &key, &val);
		if (r < 0)
			return -1;
		if (r == 1) {
			mx_warn("init", "unexpected argument '%s' (try mxlab init --help)", argv[i]);
			return -1;
		}
		if (!strcmp(key, "help")) {
			usage(stdout);
			exit(MXLAB_EXIT_OK);
		} else if (!strcmp(key, "force"))
			o->force = 1;
		else if (!strcmp(key, "postfix-config"))
			o->conf = val;
		else if (!strcmp(key, "out"))
			o->out = val;
		else {
			mx_warn("init", "unknown option '--%s' (--postfix-config, --out, --force)", key);
			return -1;
		}
	}
	if (!o->conf || !o->out) {
		mx_warn("init", "needs --postfix-config DIR and --out SUITE (try mxlab init --help)");
		return -1;
	}
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	struct init_options o = { 0 };
	struct pcr_text t = { 0 };
	struct pcr_conf conf;
	struct ig_out out;
	struct stat st;
	char *n = NULL, *x = NULL, *m = NULL, *p = NULL, *d = NULL, *main_cf = NULL,
	     *master_cf = NULL, dir[PATH_MAX], real[PATH_MAX], rel[PATH_MAX * 2], err[2048];
	const char *dirs[4];
	int rc = MXLAB_EXIT_USAGE;

	if (parse_args(argc, argv, &o) < 0)
		return MXLAB_EXIT_USAGE;
	snprintf(dir, sizeof dir, "%s", o.conf);
	for (size_t l = strlen(dir); l > 1 && dir[l - 1] == '/'; l--)
		dir[l - 1] = '\0';
	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !realpath(dir, real)) {
		mx_warn("init", "--postfix-config %s: %s", o.conf, errno ? strerror(errno) :
			"not a directory");
		return MXLAB_EXIT_USAGE;
	}
	for (const char *const *h = host_trees; *h; h++)
		if (!strncmp(real, *h, strlen(*h)) && (real[strlen(*h)] == '/' || !real[strlen(*h)]))
			mx_warn("init", "--postfix-config %s is inside %s: mxlab run will refuse it "
				"(the sandbox covers the host's trees); copy it elsewhere, such as "
				"a git checkout", o.conf, *h);
	if (iw_check_out(o.out, o.force, err, sizeof err) < 0) {
		mx_warn("init", "%s", err);
		return MXLAB_EXIT_USAGE;
	}
	if (iw_relative(o.out, real, rel, sizeof rel, err, sizeof err) < 0) {
		mx_warn("init", "%s", err);
		return MXLAB_EXIT_USAGE;
	}
	if (postconf(dir, "-n", NULL, &n) < 0 || postconf(dir, "-x", NULL, &x) < 0 ||
	    postconf(dir, "-M", NULL, &m) < 0 || postconf(dir, "-P", "-x", &p) < 0 ||
	    postconf(dir, "-d", "config_directory", &d) < 0)
		goto done;
	/* The directory's own name in its values: Postfix's compiled-in
	 * config_directory (postconf -c makes config_directory DIR itself). */
	d[strcspn(d, "\n")] = '\0';
	dirs[0] = strchr(d, '=') ? strchr(d, '=') + 1 + strspn(strchr(d, '=') + 1, " ") : "/etc/postfix";
	dirs[1] = dir;
	dirs[2] = real;
	dirs[3] = NULL;
	if (read_rel(dir, "main.cf", &main_cf, err, sizeof err) < 0 ||
	    read_rel(dir, "master.cf", &master_cf, err, sizeof err) < 0) {
		mx_warn("init", "%s", err);
		goto done;
	}
	t = (struct pcr_text){ n, x, m, p, main_cf, master_cf };
	if (pcr_load(&conf, &t, err, sizeof err) < 0) {
		mx_warn("init", "%s: %s", dir, err);
		goto done;
	}
	{
		struct ig_in in = { &conf, rel, dirs, read_rel, dir };

		if (ig_generate(&in, &out, err, sizeof err) < 0) {
			mx_warn("init", "%s: %s", dir, err);
			pcr_free(&conf);
			goto done;
		}
	}
	pcr_free(&conf);
	for (size_t i = 0; i < out.nnotes; i++)
		mx_warn("init", "not checked: %s", out.notes[i]);
	rc = iw_write(o.out, &out, o.force, err, sizeof err) < 0 ? MXLAB_EXIT_FAIL : MXLAB_EXIT_OK;
	if (rc != MXLAB_EXIT_OK)
		mx_warn("init", "%s", err);
	else
		printf("mxlab init: wrote %zu files to %s (postfix-config = %s)\n"
		       "next: sudo mxlab run %s\n", out.nfiles, o.out, rel, o.out);
	ig_out_free(&out);
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
