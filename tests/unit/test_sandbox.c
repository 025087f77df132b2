/*
 * test_sandbox.c: the sandbox holds against a root process inside it.
 *
 * Each test spawns a sandbox (sb_spawn + sb_enter) over a temporary host
 * tree and runs, as PID 1 inside and again as a root shell exec'd inside
 * (what a hostile configuration would make Postfix run), the things such a
 * process would try: write outside its own directory, read the host's
 * files and sockets, see the covered directories, mount, unmount, make a
 * device node, write a sysctl, escape a chroot. The inside reports one
 * line per probe on a pipe ("NAME errno-or-0"); the parent checks them.
 * Needs root (skipped otherwise).
 *
 * The probes must harm nothing when the sandbox does not hold (that is
 * when this test fails): existing host files are only opened for writing,
 * never truncated or written; new names are unique to this run, and the
 * parent removes them whatever happened.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "sandbox.h"

static char top[] = "/tmp/mxlab-test-sandbox.XXXXXX";
static char root[100], rw[100], ro[100], cov[100], secret[100], sock[100];
/* Names a failing sandbox would create on the host: removed by the parent. */
static char probe_root[100], probe_usr[100], probe_etc[100], probe_tmp[100], probe_dev[100],
	probe_jail[100];
static int report_fd;

static void
say(const char *name, int e)
{
	dprintf(report_fd, "%s %d\n", name, e);
}

/* errno of a failed call, 0 when it succeeded. */
#define TRY(name, call) say(name, (call) < 0 ? errno : 0)

/* Create a new file (never one that exists: O_EXCL). */
static int
open_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* Open an existing file for writing, and write nothing. */
static int
open_only(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	close(fd);
	return r;
}

/* What a root shell exec'd inside gets: its status is the probe's. */
static int
shell(const char *cmd)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	char out[512];
	int r = mx_run(argv, NULL, out, sizeof out);

	return r == 0 ? 0 : (errno = EPERM, -1);
}

static int
inside(void *arg)
{
	const char *keep[] = { "keep.txt", NULL };
	struct sb_cover c = { cov, keep, NULL };
	const char *rws[] = { rw, NULL }, *ros[] = { ro, NULL };
	struct sb_fs fs = { .root = root, .rw = rws, .ro = ros, .cover = &c, .ncover = 1 };
	char err[1024], path[400], esc[600];
	struct stat st;

	(void)arg;
	if (sb_enter(&fs, err, sizeof err) < 0) {
		dprintf(report_fd, "enter-failed %s\n", err);
		return 1;
	}
	say("entered", 0);
	snprintf(path, sizeof path, "%s/written", rw);
	TRY("write-own-dir", open_write(path));
	TRY("write-root", open_write(probe_root));
	TRY("write-usr", open_write(probe_usr));
	TRY("write-etc", open_write(probe_etc));
	TRY("write-etc-passwd", open_only("/etc/passwd"));
	snprintf(path, sizeof path, "%s/pwned", ro);
	TRY("write-ro-dir", open_write(path));
	snprintf(path, sizeof path, "%s/keep.txt", ro);
	TRY("read-ro-dir", stat(path, &st));
	TRY("read-host-secret", stat(secret, &st));
	TRY("connect-host-socket", connect_unix(sock));
	snprintf(path, sizeof path, "%s/keep.txt", cov);
	TRY("cover-keeps", stat(path, &st));
	snprintf(path, sizeof path, "%s/main.cf", cov);
	TRY("cover-hides", stat(path, &st));
	snprintf(path, sizeof path, "%s/new", cov);
	TRY("cover-write", open_write(path));
	TRY("etc-hosts", stat("/etc/hosts", &st));
	TRY("etc-shadow", stat("/etc/shadow", &st));
	TRY("write-tmp", open_write(probe_tmp));
	TRY("dev-null", open_only("/dev/null"));
	TRY("mount", mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
	TRY("umount", umount2("/etc/hosts", MNT_DETACH));
	TRY("mknod", mknod(probe_dev, S_IFBLK | 0600, makedev(8, 0)));
	TRY("sysctl", open_only("/proc/sys/kernel/hostname"));
	TRY("sysrq", open_only("/proc/sysrq-trigger"));
	TRY("sethostname", sethostname("pwned", 5));
	/* The classic chroot escape lands on the sandbox's root, not the host's. */
	if (mkdir(probe_jail, 0755) == 0 && fork() == 0) {
		int ok = chroot(probe_jail) == 0 && chdir("../../../..") == 0 && chroot(".") == 0;

		say("chroot-escape-ran", ok ? 0 : errno);
		TRY("chroot-escape-secret", stat(secret, &st));
		_exit(0);
	}
	wait(NULL);
	/* The same from a root shell exec'd inside. */
	snprintf(esc, sizeof esc, "echo x > %s/from-shell", rw);
	TRY("shell-write-own-dir", shell(esc));
	/* A set-user-ID copy of a program, and a link to the host's one. */
	snprintf(esc, sizeof esc, "cp /bin/true %s/suid && chmod 4755 %s/suid && ln -s %s/host-suid %s/link",
		 rw, rw, top, rw);
	TRY("shell-leaves-suid", shell(esc));
	TRY("shell-mount", shell("mount -t tmpfs none /tmp"));
	snprintf(esc, sizeof esc, "set -C; : > %s", probe_usr);	/* noclobber */
	TRY("shell-write-usr", shell(esc));
	snprintf(esc, sizeof esc, "test -e %s", secret);
	TRY("shell-sees-secret", shell(esc));
	/* CAP_SYS_ADMIN is bit 21 of the effective set, CAP_CHOWN bit 0. */
	TRY("shell-cap-sys-admin",
	    shell("c=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status); [ $(( 0x$c >> 21 & 1 )) = 1 ]"));
	TRY("shell-cap-chown",
	    shell("c=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status); [ $(( 0x$c & 1 )) = 1 ]"));
	return 0;
}

static int
setup(void **state)
{
	char path[400];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	(void)state;
	if (geteuid() != 0)
		return 0;
	if (!mkdtemp(top))
		return -1;
	snprintf(root, sizeof root, "%s/root", top);
	snprintf(rw, sizeof rw, "%s/rw", top);
	snprintf(ro, sizeof ro, "%s/ro", top);
	snprintf(cov, sizeof cov, "%s/cover", top);
	snprintf(secret, sizeof secret, "%s/secret", top);
	snprintf(sock, sizeof sock, "%s/host.sock", top);
	snprintf(probe_root, sizeof probe_root, "/mxlab-sandbox-probe.%d", (int)getpid());
	snprintf(probe_usr, sizeof probe_usr, "/usr/mxlab-sandbox-probe.%d", (int)getpid());
	snprintf(probe_etc, sizeof probe_etc, "/etc/mxlab-sandbox-probe.%d", (int)getpid());
	snprintf(probe_tmp, sizeof probe_tmp, "/tmp/mxlab-sandbox-probe.%d", (int)getpid());
	snprintf(probe_dev, sizeof probe_dev, "/tmp/mxlab-sandbox-probe-dev.%d", (int)getpid());
	snprintf(probe_jail, sizeof probe_jail, "/tmp/mxlab-sandbox-probe-jail.%d", (int)getpid());
	if (mkdir(root, 0700) < 0 || mkdir(rw, 0755) < 0 || mkdir(ro, 0755) < 0 ||
	    mkdir(cov, 0755) < 0 || open_write(secret) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/keep.txt", ro);
	open_write(path);
	snprintf(path, sizeof path, "%s/keep.txt", cov);
	open_write(path);
	snprintf(path, sizeof path, "%s/main.cf", cov);
	open_write(path);
	snprintf(path, sizeof path, "%s/host-suid", top);
	if (open_write(path) < 0 || chmod(path, 04755) < 0)
		return -1;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0)
		return -1;
	return 0;
}

/* Whatever a sandbox that did not hold left on the host. */
static void
remove_probes(void)
{
	unlink(probe_root);
	unlink(probe_usr);
	unlink(probe_etc);
	unlink(probe_tmp);
	unlink(probe_dev);
	rmdir(probe_jail);
}

static int
teardown(void **state)
{
	(void)state;
	if (geteuid() == 0) {
		remove_probes();
		mx_rm_tree(top);
	}
	return 0;
}

/* Run the probes; returns the report. */
static char *
run_inside(void)
{
	static char buf[8192];
	char err[512];
	size_t len = 0;
	ssize_t n;
	int p[2], st;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	report_fd = p[1];
	pid = sb_spawn(inside, NULL, err, sizeof err);
	assert_true(pid > 0);
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return buf;
}

/* The errno a probe reported, or -1 when it is missing. */
static int
probe(const char *report, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof key, "\n%s ", name);
	if (!strncmp(report, key + 1, strlen(key + 1)))
		p = report + strlen(key + 1);
	else if ((p = strstr(report, key)))
		p += strlen(key);
	else
		return -1;
	return atoi(p);
}

#define OK(name) assert_int_equal(probe(r, name), 0)
#define DENIED(name, e) assert_int_equal(probe(r, name), e)
#define FAILED(name) assert_true(probe(r, name) > 0)

static void
test_sandbox_holds(void **state)
{
	char path[400], *r;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	r = run_inside();
	print_message("# %s", r);
	/* A run that wrote on the host is reported below, then cleaned up. */
	OK("entered");
	/* Its own directory is writable, and what it writes is seen outside. */
	OK("write-own-dir");
	snprintf(path, sizeof path, "%s/written", rw);
	assert_int_equal(stat(path, &st), 0);
	OK("write-tmp");
	OK("dev-null");
	OK("etc-hosts");
	OK("read-ro-dir");
	/* Nothing else of the host can be written... */
	DENIED("write-root", EROFS);
	DENIED("write-usr", EROFS);
	DENIED("write-etc", EROFS);
	DENIED("write-etc-passwd", EROFS);
	DENIED("write-ro-dir", EROFS);
	/* ... or seen. */
	DENIED("read-host-secret", ENOENT);
	DENIED("connect-host-socket", ENOENT);
	DENIED("etc-shadow", ENOENT);
	/* A covered directory is empty but for what it keeps, and read-only. */
	OK("cover-keeps");
	DENIED("cover-hides", ENOENT);
	DENIED("cover-write", EROFS);
	/* Root inside has lost what it would need to get out. */
	DENIED("mount", EPERM);
	DENIED("umount", EPERM);
	DENIED("mknod", EPERM);
	DENIED("sysctl", EROFS);
	FAILED("sysrq");	/* EROFS, or ENOENT on kernels without it */
	DENIED("sethostname", EPERM);
	OK("chroot-escape-ran");
	DENIED("chroot-escape-secret", ENOENT);
	/* And so has a root shell exec'd inside. */
	OK("shell-write-own-dir");
	DENIED("shell-mount", EPERM);
	DENIED("shell-write-usr", EPERM);
	DENIED("shell-sees-secret", EPERM);
	DENIED("shell-cap-sys-admin", EPERM);
	OK("shell-cap-chown");
	/* Nothing was written on the host but in the writable directory. */
	assert_int_equal(stat(probe_root, &st), -1);
	assert_int_equal(stat(probe_usr, &st), -1);
	assert_int_equal(stat(probe_etc, &st), -1);
	assert_int_equal(stat(probe_tmp, &st), -1);
	snprintf(path, sizeof path, "%s/from-shell", rw);
	assert_int_equal(stat(path, &st), 0);
	/* What it left: set-ID bits cleared, links not followed. */
	OK("shell-leaves-suid");
	snprintf(path, sizeof path, "%s/suid", rw);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_ISUID);
	assert_int_equal(mx_strip_setid(rw), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_false(st.st_mode & (S_ISUID | S_ISGID));
	assert_int_equal(st.st_mode & 0777, 0755);
	snprintf(path, sizeof path, "%s/host-suid", top);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_ISUID);
}

static void
test_host_trees(void **state)
{
	(void)state;
	assert_true(sb_fs_is_host_tree("/usr"));
	assert_true(sb_fs_is_host_tree("/usr/local/x"));
	assert_true(sb_fs_is_host_tree("/etc/postfix"));
	assert_true(sb_fs_is_host_tree("/lib64"));
	assert_false(sb_fs_is_host_tree("/usrx"));
	assert_false(sb_fs_is_host_tree("/tmp/usr"));
	assert_false(sb_fs_is_host_tree("/var/tmp"));
	assert_false(sb_fs_is_host_tree("/etcetera"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_holds),
		cmocka_unit_test(test_host_trees),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
