/*
 * sandbox_fs.c: the file system a sandbox sees (see sandbox.h).
 *
 * Built on a private tmpfs mounted on fs->root, then pivoted into, with the
 * old root detached: what is not mounted here does not exist inside. Host
 * trees are bind mounts made read-only, nosuid and nodev recursively
 * (mount_setattr, Linux 5.12); symbolic links among the host entries are
 * copied as links, so they resolve inside. The build fails closed: any
 * step that fails stops the sandbox.
 *
 * Errors: -1 with "what PATH: strerror" in err.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sandbox.h"

/* Host trees shown read-only at their own paths (links copied as links). */
static const char *const host_trees[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL
};

/* What programs read from /etc: users and groups, the resolver's and the
 * dynamic linker's files, time zone, CA certificates, alternatives. */
#define SB_ETC_FILES "passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", \
	"ld.so.conf.d", "localtime", "timezone", "services", "protocols", "host.conf", \
	"gai.conf", "alternatives", "ssl/certs", "ssl/openssl.cnf", "os-release"
static const char *const etc_files[] = { SB_ETC_FILES, NULL };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

#define ATTR_RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define ATTR_RW (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int
fail(char *err, size_t errlen, const char *what, const char *path)
{
	int e = errno;

	snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	return -1;
}

int
sb_tmpfs_over(const char *path, const char *opts, char *err, size_t errlen)
{
	/* private first: a mount on a shared host mount would show outside */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(err, errlen, "make mounts private:", "/");
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return fail(err, errlen, "mount tmpfs on", path);
	return 0;
}

/* root + path, or NULL (err set). */
static char *
under(const char *root, const char *path, char *err, size_t errlen)
{
	char *s;

	if (asprintf(&s, "%s%s", root, path) < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

/* mkdir -p; components that exist are fine (also on read-only mounts). */
static int
mkdirs(const char *path, char *err, size_t errlen)
{
	char *p = strdup(path);
	struct stat st;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST &&
		    !(stat(p, &st) == 0 && S_ISDIR(st.st_mode))) {
			fail(err, errlen, "mkdir", p);
			free(p);
			return -1;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return 0;
}

static int
parents(const char *path, char *err, size_t errlen)
{
	char *parent = strdup(path), *slash;
	int r = 0;

	if (!parent) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((slash = strrchr(parent, '/')) && slash != parent) {
		*slash = '\0';
		r = mkdirs(parent, err, errlen);
	}
	free(parent);
	return r;
}

/* An empty file or directory to mount on. */
static int
mount_point(const char *path, int dir, char *err, size_t errlen)
{
	int fd;

	if (parents(path, err, errlen) < 0)
		return -1;
	if (dir)
		return mkdirs(path, err, errlen);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			return 0;	/* exists on a read-only mount */
		return fail(err, errlen, "create", path);
	}
	close(fd);
	return 0;
}

static int
set_attr(const char *path, int recursive, unsigned long long set, char *err, size_t errlen)
{
	struct mount_attr a = { .attr_set = set };

	if (mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a) < 0)
		return fail(err, errlen, "mount_setattr (needs Linux 5.12)", path);
	return 0;
}

/* Bind src (following links) on dst, with attributes set recursively. */
static int
bind(const char *src, const char *dst, unsigned long long attr, char *err, size_t errlen)
{
	struct stat st;

	if (stat(src, &st) < 0)
		return fail(err, errlen, "stat", src);
	if (mount_point(dst, S_ISDIR(st.st_mode), err, errlen) < 0)
		return -1;
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(err, errlen, "bind mount of", src);
	return set_attr(dst, 1, attr, err, errlen);
}

/* Show the host's path at root+path read-only: a link is copied, anything
 * else bound. Missing on the host: nothing to show, not an error. */
static int
show_host(const char *root, const char *path, char *err, size_t errlen)
{
	char *dst = under(root, path, err, errlen), target[PATH_MAX];
	struct stat st;
	int r = 0;

	if (!dst)
		return -1;
	if (lstat(path, &st) < 0) {
		r = errno == ENOENT ? 0 : fail(err, errlen, "lstat", path);
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, target, sizeof target - 1);

		if (n < 0)
			r = fail(err, errlen, "readlink", path);
		else {
			target[n] = '\0';
			r = parents(dst, err, errlen);
			if (r == 0 && symlink(target, dst) < 0)
				r = fail(err, errlen, "symlink", dst);
		}
	} else
		r = bind(path, dst, ATTR_RO, err, errlen);
	free(dst);
	return r;
}

static int
tmpfs(const char *root, const char *path, const char *opts, unsigned long flags,
      char *err, size_t errlen)
{
	char *dst = under(root, path, err, errlen);
	int r = -1;

	if (dst && mkdirs(dst, err, errlen) == 0) {
		if (mount("tmpfs", dst, "tmpfs", flags, opts) < 0)
			fail(err, errlen, "mount tmpfs on", path);
		else
			r = 0;
	}
	free(dst);
	return r;
}

/* /etc: a private layer of the host files programs need, and ours. */
static int
build_etc(const struct sb_fs *fs, char *err, size_t errlen)
{
	const char *own[][2] = { { "/etc/hosts", fs->hosts }, { "/etc/resolv.conf", fs->resolv } };

	if (fs->etc_rw && tmpfs(fs->root, "/etc", "mode=0755,size=64m",
				MS_NOSUID | MS_NODEV | MS_NOEXEC, err, errlen) < 0)
		return -1;
	for (const char *const *f = etc_files; *f; f++) {
		char *path;
		int r, skip = 0;

		for (const char *const *k = fs->etc_skip; k && *k && !skip; k++)
			skip = !strcmp(*k, *f);
		for (const char *const *o = fs->etc_own; o && *o && !skip; o += 2)
			skip = !strcmp(o[0], *f);
		if (skip)
			continue;
		if (asprintf(&path, "/etc/%s", *f) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r = show_host(fs->root, path, err, errlen);
		free(path);
		if (r < 0)
			return -1;
	}
	for (const char *const *o = fs->etc_own; fs->etc_rw && o && *o; o += 2) {
		char *path = NULL, *dst = NULL;
		int r = -1;

		if (strstr(o[0], "..") || o[0][0] == '/')
			snprintf(err, errlen, "/etc/%s: not a name below /etc", o[0]);
		else if (asprintf(&path, "/etc/%s", o[0]) < 0)
			snprintf(err, errlen, "out of memory");
		else if ((dst = under(fs->root, path, err, errlen)) &&
			 mount_point(dst, 0, err, errlen) == 0)
			r = bind(o[1], dst, ATTR_RO, err, errlen);
		free(path);
		free(dst);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		char *dst = under(fs->root, own[i][0], err, errlen);
		int r = dst ? mount_point(dst, 0, err, errlen) : -1;

		if (r == 0 && own[i][1])
			r = bind(own[i][1], dst, ATTR_RO, err, errlen);
		free(dst);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
build_dev(const char *root, char *err, size_t errlen)
{
	static const char *const links[][2] = {
		{ "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
	};

	if (tmpfs(root, "/dev", "mode=0755,size=64k", MS_NOSUID | MS_NOEXEC, err, errlen) < 0)
		return -1;
	for (const char *const *n = dev_nodes; *n; n++) {
		char src[64], *dst;
		int r;

		snprintf(src, sizeof src, "/dev/%s", *n);
		if (!(dst = under(root, src, err, errlen)))
			return -1;
		r = bind(src, dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err, errlen);
		free(dst);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		char *dst = under(root, links[i][0], err, errlen);
		int r = dst && symlink(links[i][1], dst) == 0 ? 0 : -1;

		if (dst && r < 0)
			fail(err, errlen, "symlink", dst);
		free(dst);
		if (r < 0)
			return -1;
	}
	return tmpfs(root, "/dev/shm", "mode=1777,size=64m", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     err, errlen);
}

/* An empty read-only directory at c->dir, but for c->keep. A directory
 * that cannot be made (inside a read-only host tree where it does not
 * exist) is unreachable anyway. */
static int
cover(const char *root, const struct sb_cover *c, char *err, size_t errlen)
{
	char *dst = under(root, c->dir, err, errlen);
	struct stat st;
	int r = -1;

	if (!dst)
		return -1;
	if (mkdirs(dst, err, errlen) < 0) {
		r = stat(dst, &st) < 0 ? 0 : -1;
		goto out;
	}
	if (c->src) {
		/* Shown writable from src instead (never executable). */
		if (bind(c->src, dst, ATTR_RW, err, errlen) < 0)
			goto out;
	} else if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 "mode=0755,size=64k") < 0) {
		fail(err, errlen, "mount tmpfs on", c->dir);
		goto out;
	}
	for (const char *const *k = c->keep; k && *k; k++) {
		char *path;

		if (strchr(*k, '/') || asprintf(&path, "%s/%s", c->dir, *k) < 0) {
			snprintf(err, errlen, "cover %s: bad name %s", c->dir, *k);
			goto out;
		}
		r = show_host(root, path, err, errlen);
		free(path);
		if (r < 0)
			goto out;
	}
	r = c->src ? 0 : set_attr(dst, 0, ATTR_RO | MOUNT_ATTR_NOEXEC, err, errlen);
out:
	free(dst);
	return r;
}

static int
bind_list(const char *root, const char *const *dirs, unsigned long long attr,
	  char *err, size_t errlen)
{
	for (; dirs && *dirs; dirs++) {
		char *dst;
		int r;

		if ((*dirs)[0] != '/') {
			snprintf(err, errlen, "sandbox: %s is not an absolute path", *dirs);
			return -1;
		}
		if (!(dst = under(root, *dirs, err, errlen)))
			return -1;
		r = bind(*dirs, dst, attr, err, errlen);
		free(dst);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
is_under(const char *path, const char *tree)
{
	size_t n = strlen(tree);

	return !strncmp(path, tree, n) && (path[n] == '/' || path[n] == '\0');
}

int
sb_fs_is_host_tree(const char *path)
{
	for (const char *const *t = host_trees; *t; t++)
		if (is_under(path, *t))
			return 1;
	return is_under(path, "/etc");
}

int
sb_fs_build(const struct sb_fs *fs, char *err, size_t errlen)
{
	const char *r = fs->root;

	if (!r || r[0] != '/') {
		snprintf(err, errlen, "sandbox: no root directory to build on");
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(err, errlen, "make mounts private:", "/");
	if (mount("tmpfs", r, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		return fail(err, errlen, "mount tmpfs on", r);
	for (const char *const *t = host_trees; *t; t++)
		if (show_host(r, *t, err, errlen) < 0)
			return -1;
	if (build_etc(fs, err, errlen) < 0 || build_dev(r, err, errlen) < 0 ||
	    tmpfs(r, "/tmp", "mode=1777,size=64m", MS_NOSUID | MS_NODEV, err, errlen) < 0 ||
	    tmpfs(r, "/var", "mode=0755,size=64m", MS_NOSUID | MS_NODEV, err, errlen) < 0 ||
	    tmpfs(r, "/run", "mode=0755,size=16m", MS_NOSUID | MS_NODEV, err, errlen) < 0)
		return -1;
	{
		char *vt = under(r, "/var/tmp", err, errlen);
		int ok = vt && mkdir(vt, 01777) == 0 && chmod(vt, 01777) == 0;

		if (vt && !ok)
			fail(err, errlen, "mkdir", vt);
		free(vt);
		if (!ok)
			return -1;
	}
	{
		char *proc = under(r, "/proc", err, errlen);
		int ok = proc && mkdirs(proc, err, errlen) == 0 &&
			 mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) == 0;

		if (proc && !ok)
			fail(err, errlen, "mount proc on", proc);
		free(proc);
		if (!ok)
			return -1;
	}
	for (const char *const *d = fs->private_dirs; d && *d; d++) {
		if ((*d)[0] != '/' || sb_fs_is_host_tree(*d) || !strcmp(*d, "/proc") ||
		    !strcmp(*d, "/dev") || !strcmp(*d, "/sys") || strstr(*d, "/..")) {
			snprintf(err, errlen, "sandbox: %s cannot be a private directory", *d);
			return -1;
		}
		if (tmpfs(r, *d, "mode=0755,size=64m", MS_NOSUID | MS_NODEV | MS_NOEXEC, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < fs->ncover; i++)
		if (cover(r, &fs->cover[i], err, errlen) < 0)
			return -1;
	if (bind_list(r, fs->rw, ATTR_RW, err, errlen) < 0 ||
	    bind_list(r, fs->ro, ATTR_RO | MOUNT_ATTR_NOEXEC, err, errlen) < 0 ||
	    bind_list(r, fs->ro_exec, ATTR_RO, err, errlen) < 0)
		return -1;
	if (set_attr(r, 0, ATTR_RO, err, errlen) < 0)
		return -1;
	/* pivot_root(".", "."): the old root ends up on top of the new one,
	 * and is detached. No chroot fallback: a chroot can be escaped. */
	if (chdir(r) < 0)
		return fail(err, errlen, "chdir", r);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(err, errlen, "pivot_root into", r);
	if (umount2(".", MNT_DETACH) < 0)
		return fail(err, errlen, "detach the old root:", "/");
	if (chdir("/") < 0)
		return fail(err, errlen, "chdir", "/");
	return 0;
}
