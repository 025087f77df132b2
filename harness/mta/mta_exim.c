/*
 * mta_exim.c: the exim driver (mta.h): Debian 12's Exim 4.96 run from its
 * unpacked packages (mta_exim.h) as a private instance in m->dir:
 *
 *   DIR/exim.conf     the driver's base configuration with the scenario's
 *                     [exim.conf] merged over it (mta_exim_conf.h)
 *   DIR/spool/        spool_directory, owned by Debian-exim
 *   DIR/log/mainlog   log_file_path (also paniclog, rejectlog); followed
 *   DIR/exim.out      the daemon's stdout and stderr
 *
 * It starts as `exim4 -C DIR/exim.conf -bdf` (a foreground daemon: its PID
 * is the one stopped) and is ready at its "daemon started" line. The
 * unpacked binary's set-user-ID bit does nothing in the sandbox (nosuid
 * mounts), so Exim runs as root until it drops to Debian-exim for good
 * (deliver_drop_privilege), and LD_LIBRARY_PATH finds the unpacked
 * libidn.so.12 for every re-execution.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "mta.h"
#include "mta_exim.h"
#include "mta_exim_conf.h"
#include "mta_proc.h"
#include "pfinst.h"

#define CFG(m) ((const struct mta_exim_config *)(m)->cfg)

const char *const mta_exim_owned[] = {
	"exim_path", "spool_directory", "log_file_path", "pid_file_path", "keep_environment",
	"exim_user", "exim_group", "deliver_drop_privilege", NULL
};

const char *
mta_exim_root(void)
{
	const char *r = getenv("MXLAB_EXIM_ROOT");

	return r && *r ? r : MTA_EXIM_ROOT_DEFAULT;
}

/* The directory of the unpacked libidn.so.12 (ROOT/usr/lib/TRIPLET). */
static int
lib_dir(char *buf, size_t len)
{
	glob_t g;
	char pat[4200];
	int ok;

	snprintf(pat, sizeof pat, "%s/usr/lib/*/libidn.so.12", mta_exim_root());
	if (glob(pat, 0, NULL, &g) != 0)
		return -1;
	ok = snprintf(buf, len, "%s", g.gl_pathv[0]) < (int)len;
	globfree(&g);
	if (!ok)
		return -1;
	*strrchr(buf, '/') = '\0';
	return 0;
}

static int
binary(char *buf, size_t len)
{
	return snprintf(buf, len, "%s/usr/sbin/exim4", mta_exim_root()) < (int)len ? 0 : -1;
}

static const char *
exim_unmet(char *buf, size_t len)
{
	char bin[4200], lib[4200];

	if (binary(bin, sizeof bin) < 0 || access(bin, X_OK) < 0 || lib_dir(lib, sizeof lib) < 0) {
		snprintf(buf, len, "Exim 4.96 is not unpacked in %s (ci/fetch-exim.sh does it; "
			 "MXLAB_EXIM_ROOT names another place)", mta_exim_root());
		return buf;
	}
	return NULL;
}

/* The daemon's and every Exim process's environment. */
static int
exim_env(const struct mta *m, char *lib, size_t len, const char *env[7])
{
	size_t n = 0;

	if (lib_dir(lib, len) < 0)
		return -1;
	env[n++] = "LD_LIBRARY_PATH";
	env[n++] = lib;
	if (m->faketime) {
		if (!(env[n + 1] = pf_faketime_lib()))
			return -1;
		env[n] = "LD_PRELOAD";
		n += 2;
		env[n++] = "FAKETIME";
		env[n++] = m->faketime;
	}
	env[n] = NULL;
	return 0;
}

static int
exim_version(struct mta *m, char *buf, size_t len, char *err, size_t errlen)
{
	char bin[4200], lib[4200], out[4200], conf[4200], line[256] = "";
	const char *env[7];
	const char *argv[] = { bin, "-C", conf, "-bV", NULL };
	struct mta_proc p;
	FILE *fp;

	if (binary(bin, sizeof bin) < 0 || exim_env(m, lib, sizeof lib, env) < 0 ||
	    mx_path(out, sizeof out, "%s/exim-version.out", m->dir) < 0 ||
	    mx_path(conf, sizeof conf, "%s/exim.conf", m->dir) < 0) {
		snprintf(err, errlen, "exim: %s", exim_unmet(line, sizeof line));
		return -1;
	}
	unlink(out);
	if (mta_proc_start(&p, argv, m->dir, out, env, 0, err, errlen) < 0)
		return -1;
	if (!mta_proc_wait(&p, 5000))
		mta_proc_stop(&p, 100);
	if ((fp = fopen(out, "r"))) {
		if (!fgets(line, sizeof line, fp))
			line[0] = '\0';
		fclose(fp);
	}
	/* "Exim version 4.96 #2 built 26-Nov-2026 14:26:47" */
	if (strncmp(line, "Exim version ", 13)) {
		snprintf(err, errlen, "exim -bV: unexpected output '%.80s' (%s)", line, out);
		return -1;
	}
	snprintf(buf, len, "Exim %.*s", (int)strcspn(line + 13, " \n"), line + 13);
	return 0;
}

char *
mta_exim_base(const char *dir, const char *pki)
{
	char bin[4200];
	char *s;

	if (binary(bin, sizeof bin) < 0)
		return NULL;
	if (asprintf(&s,
	    "# mxlab's exim driver: the instance's own places (a scenario may not set these)\n"
	    "exim_path = %s\n"
	    "spool_directory = %s/spool\n"
	    "log_file_path = %s/log/%%slog\n"
	    "pid_file_path = %s/exim.pid\n"
	    "keep_environment = LD_LIBRARY_PATH : LD_PRELOAD : FAKETIME\n"
	    "deliver_drop_privilege = true\n"
	    "# defaults a scenario's [exim.conf] may change\n"
	    "primary_hostname = exim.mxlab.test\n"
	    "qualify_domain = example.test\n"
	    "daemon_smtp_ports = 25\n"
	    "local_interfaces = 127.0.0.1\n"
	    "host_lookup =\n"
	    "rfc1413_hosts =\n"
	    "tls_advertise_hosts =\n"
	    "# Exim's own defaults (no certificate: a self-signed one; the system's CAs),\n"
	    "# given as expansions so that the daemon does not preload them at start\n"
	    "tls_certificate = ${if eq{0}{1}{}}\n"
	    "tls_verify_certificates = ${if eq{0}{0}{system}}\n"
	    "acl_smtp_rcpt = acl_rcpt\n"
	    "log_selector = +tls_peerdn +tls_sni +tls_certificate_verified +outgoing_port "
	    "+smtp_connection +deliver_time +received_recipients\n"
	    "queue_run_in_order = true\n"
	    "\n"
	    "begin acl\n"
	    "acl_rcpt:\n"
	    "  accept hosts = 127.0.0.1\n"
	    "  deny   message = relay not permitted\n"
	    "\n"
	    "begin routers\n"
	    "dnslookup:\n"
	    "  driver = dnslookup\n"
	    "  transport = remote_smtp\n"
	    "  no_more\n"
	    "\n"
	    "begin transports\n"
	    "remote_smtp:\n"
	    "  driver = smtp\n"
	    "  tls_verify_certificates = %s/ca/root.crt\n"
	    "\n"
	    "begin retry\n"
	    "*   *   F,1h,1s\n", bin, dir, dir, dir, pki) < 0)
		return NULL;
	return s;
}

/* Make what Exim writes belong to Debian-exim: the spool, the log, and
 * the PKI (its keys are 0600: Exim reads them after dropping privilege). */
static int
chown_tree(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
		return 0;
	if (lchown(path, uid, gid) < 0) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		char sub[4200];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (mx_path(sub, sizeof sub, "%s/%s", path, e->d_name) < 0) {
			snprintf(err, errlen, "%s/%s: path too long", path, e->d_name);
			rc = -1;
		} else
			rc = chown_tree(sub, uid, gid, err, errlen);
	}
	closedir(d);
	return rc;
}

static int
exim_render(struct mta *m, char *err, size_t errlen)
{
	const struct mta_exim_config *c = CFG(m);
	char conf[4200], sub[4200], e[600];
	char *base = mta_exim_base(m->dir, c->pki), *text = NULL;
	const char *dirs[] = { "spool", "log" };
	int rc = -1;

	if (!base) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(text = mta_exim_conf_merge(base, c->overlay, c->overlay_line, mta_exim_owned, e,
					 sizeof e))) {
		snprintf(err, errlen, "%s:%s", c->origin ? c->origin : "[exim.conf]", e);
		goto out;
	}
	if (mkdir(m->dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", m->dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		if (mx_path(sub, sizeof sub, "%s/%s", m->dir, dirs[i]) < 0 ||
		    (mkdir(sub, 0750) < 0 && errno != EEXIST)) {
			snprintf(err, errlen, "%s/%s: %s", m->dir, dirs[i],
				 errno == ENAMETOOLONG ? "path too long" : strerror(errno));
			goto out;
		}
		if (chown_tree(sub, c->uid, c->gid, err, errlen) < 0)
			goto out;
	}
	if (c->pki && chown_tree(c->pki, c->uid, c->gid, err, errlen) < 0)
		goto out;
	if (mx_path(conf, sizeof conf, "%s/exim.conf", m->dir) < 0 ||
	    mx_path(m->log, sizeof m->log, "%s/log/mainlog", m->dir) < 0) {
		snprintf(err, errlen, "%s: path too long", m->dir);
		goto out;
	}
	if (mx_write_text(conf, text, 0644) < 0) {
		snprintf(err, errlen, "%s: %s", conf, strerror(errno));
		goto out;
	}
	if (!(m->priv = calloc(1, sizeof(struct mta_proc)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	((struct mta_proc *)m->priv)->pid = -1;
	rc = 0;
out:
	free(base);
	free(text);
	return rc;
}

static int
exim_start(struct mta *m, char *err, size_t errlen)
{
	char bin[4200], lib[4200], conf[4200], out[4200];
	const char *env[7];
	const char *argv[] = { bin, "-C", conf, "-bdf", NULL };

	if (binary(bin, sizeof bin) < 0 || exim_env(m, lib, sizeof lib, env) < 0) {
		snprintf(err, errlen, "%s", exim_unmet(lib, sizeof lib));
		return -1;
	}
	if (mx_path(conf, sizeof conf, "%s/exim.conf", m->dir) < 0 ||
	    mx_path(out, sizeof out, "%s/exim.out", m->dir) < 0) {
		snprintf(err, errlen, "%s: path too long", m->dir);
		return -1;
	}
	return mta_proc_start(m->priv, argv, m->dir, out, env, 1, err, errlen);
}

/* The first line of DIR/exim.out, for a daemon that did not come up. */
static void
first_output(const struct mta *m, char *buf, size_t len)
{
	char out[4200];
	FILE *fp;

	buf[0] = '\0';
	if (mx_path(out, sizeof out, "%s/exim.out", m->dir) == 0 && (fp = fopen(out, "r"))) {
		if (fgets(buf, (int)len, fp))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
}

static int
exim_wait_ready(struct mta *m, struct ml_tail *t, int timeout_ms, mta_event_fn fn, void *arg,
		char *err, size_t errlen)
{
	struct mta_event *ev = malloc(sizeof *ev);
	int waited = 0, rc = -1;

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (rc < 0) {
		int r = ml_tail_next(t, ev, 100);

		if (r < 0) {
			snprintf(err, errlen, "%s: read error", m->log);
			break;
		}
		if (r > 0) {
			fn(arg, ev);
			if (strstr(ev->text, " daemon started: "))
				rc = 0;
			continue;
		}
		if (mta_proc_reap(m->priv)) {
			char how[80], first[300];

			mta_proc_describe(m->priv, how, sizeof how);
			first_output(m, first, sizeof first);
			snprintf(err, errlen, "the daemon %s before it started%s%s", how,
				 first[0] ? ": " : "", first);
			break;
		}
		if ((waited += 100) >= timeout_ms) {
			snprintf(err, errlen, "no 'daemon started' line in %s within %d ms", m->log,
				 timeout_ms);
			break;
		}
	}
	free(ev);
	return rc;
}

static int
exim_reap(struct mta *m)
{
	return m->priv && mta_proc_reap(m->priv);
}

static void
exim_stop(struct mta *m, int timeout_ms)
{
	if (m->priv)
		mta_proc_stop(m->priv, timeout_ms);
}

static void
exim_release(struct mta *m)
{
	free(m->priv);
	m->priv = NULL;
}

const struct mta_driver mta_exim = {
	.log_rel = "log/mainlog",
	.resolv_options = "edns0 trust-ad",
	.name = "exim",
	.unmet = exim_unmet,
	.version = exim_version,
	.render = exim_render,
	.start = exim_start,
	.wait_ready = exim_wait_ready,
	.reap = exim_reap,
	.stop = exim_stop,
	.release = exim_release,
	.parse = mta_exim_parse,
};
