/*
 * fsutil.h: files, directories and child processes, for the runner and the
 * fake server's mailbox.
 *
 * - mx_mkdir_p: make a directory and its parents (0755), like mkdir -p.
 * - mx_rm_tree: remove a directory tree (links not followed).
 * - mx_strip_setid: clear the set-user-ID and set-group-ID bits of every
 *   regular file in a tree (links not followed): what a sandbox left must
 *   not be a way up for the host's users.
 * - mx_run: run a program (no shell), feed it input on stdin, collect its
 *   stdout and stderr into out; returns its exit status (128 + signal), or
 *   -1 when it could not be started or not be given all of its input.
 * - mx_open_beneath: open a path beneath a directory with no symbolic
 *   link followed on the way or at its end (openat2 RESOLVE_BENEATH |
 *   RESOLVE_NO_SYMLINKS): how the host reads what a sandbox wrote.
 * - mx_path: snprintf for paths, exact or an error: 0, or -1 with errno
 *   ENAMETOOLONG (and buf "") when the result does not fit len bytes.
 *   Paths are never cut off: a cut path would make root write elsewhere.
 * Errors: -1 with errno set.
 */
#ifndef MX_FSUTIL_H
#define MX_FSUTIL_H

#include <limits.h>
#include <stddef.h>

/* A buffer that holds any path the kernel takes. */
#define MX_PATH_MAX PATH_MAX

int mx_mkdir_p(const char *path);
int mx_rm_tree(const char *path);
int mx_strip_setid(const char *path);
int mx_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mx_run(char *const argv[], const char *input, char *out, size_t outlen);
/* rel opened beneath dfd with flags, no symbolic link followed, never
 * above dfd: a descriptor, or -1 with errno (ELOOP a link in the way,
 * EXDEV not beneath, ENOSYS before Linux 5.6). */
int mx_open_beneath(int dfd, const char *rel, int flags);
/* Write text to path (created with mode, or truncated; a link at path is
 * not followed): 0, or -1 with errno. */
int mx_write_text(const char *path, const char *text, unsigned mode);

#endif
