/*
 * sandbox.h: a scenario's own network, mount, PID, IPC and UTS namespaces,
 * a file system built for it, and a root that cannot reach the host.
 *
 * sb_spawn() clones a child into new namespaces: the child is PID 1 there,
 * so when it exits the kernel kills everything left inside, and the
 * namespaces (loopback network, mounts) go with it. It also dies with its
 * parent (PR_SET_PDEATHSIG), so a runner that crashes leaves nothing
 * behind. It starts a session of its own (setsid): the terminal mxlab
 * runs on is nobody's controlling terminal inside, so no process there can
 * push keystrokes into it (TIOCSTI) or take its signals; and it is not
 * dumpable, so nothing inside can trace it or open its /proc/1/fd.
 *
 * sb_enter(), called first thing in the child, builds a new root file
 * system on a private tmpfs and pivots into it (sandbox_fs.c), so that
 * nothing of the host is reachable but what is listed here:
 *   /usr /bin /sbin /lib*       the host's, read-only (programs, libraries)
 *   /etc                        a private tmpfs holding, read-only, only the
 *                               host files that programs need (passwd,
 *                               group, nsswitch.conf, ld.so.cache, ssl/certs,
 *                               alternatives, ...: SB_ETC_FILES in
 *                               sandbox_fs.c) and the scenario's hosts and
 *                               resolv.conf
 *   /tmp /var /run /dev/shm     private, empty, size-limited tmpfs
 *   /dev                        null zero full random urandom tty only
 *   /proc                       this PID namespace's, read-only
 *   rw[] / ro[]                 host directories at their own paths,
 *                               writable (never executable) or read-only
 *   cover[]                     directories shown empty and read-only but for
 *                               the names in keep[] (read-only copies of the
 *                               host's): the system's Postfix locations; or
 *                               shown from a host directory (src), writable
 *   private_dirs[]              private, empty, writable tmpfs (a user
 *                               configuration's files outside /etc)
 *   (sb_tmpfs_over, before)     a private tmpfs over a host directory, shown
 *                               wherever a bind carries it (the PKI)
 * With etc_rw, /etc itself is a private writable tmpfs (the host files in
 * it stay read-only), so that files a configuration names can be put there.
 * Then loopback is brought up and capabilities are dropped for good: the
 * bounding set keeps only what an MTA needs (chown, DAC override, fowner,
 * fsetid, kill, setuid/setgid, binding ports below 1024, chroot), so a root
 * process inside, whatever a configuration makes it run, can neither mount,
 * unmount, load modules, make device nodes, change the clock or sysctls,
 * nor trace processes outside.
 *
 * Errors: -1 with "what PATH: strerror" in err.
 */
#ifndef MX_SANDBOX_H
#define MX_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* A directory shown empty and read-only, but for keep (NULL-terminated
 * names of entries of dir shown read-only as they are on the host). */
struct sb_cover {
	const char *dir;
	const char *const *keep;
	const char *src;	/* not NULL: dir shows this host directory,
				   writable (never executable), instead of
				   an empty one; keep[] still shown over it */
};

struct sb_fs {
	const char *root;	/* an empty host directory the new root is built on */
	const char *hosts;	/* shown as /etc/hosts (NULL: an empty file) */
	const char *resolv;	/* shown as /etc/resolv.conf (NULL: an empty file) */
	const char *const *rw;	/* NULL-terminated: host directories kept writable */
	const char *const *ro;	/* NULL-terminated: host directories kept read-only */
	const char *const *ro_exec;	/* NULL-terminated: the same, programs
					   in them may run (nosuid still): an
					   MTA unpacked outside /usr */
	const struct sb_cover *cover;	/* ncover entries */
	size_t ncover;
	int etc_rw;		/* /etc is a private writable tmpfs (its host
				   files stay read-only binds) */
	const char *const *etc_skip;	/* NULL-terminated: host /etc entries
					   not shown ("ssl/certs") */
	const char *const *etc_own;	/* NULL-terminated pairs NAME, SOURCE:
					   SOURCE (a host file) shown read-only
					   as /etc/NAME instead of the host's
					   ("passwd", "/w/passwd"); needs etc_rw */
	const char *const *private_dirs;	/* NULL-terminated: directories
						   made private, empty and
						   writable ("/srv"); never
						   inside a host tree */
};

/* Start fn(arg) as PID 1 of new namespaces; returns its pid (in ours). */
pid_t sb_spawn(int (*fn)(void *), void *arg, char *err, size_t errlen);

/* In the child: build the file system, pivot into it, bring loopback up,
 * drop capabilities. 0, or -1 with err set (the child should then exit). */
int sb_enter(const struct sb_fs *fs, char *err, size_t errlen);

/* In the child, before sb_enter: make every mount private to its mount
 * namespace, then mount a private tmpfs (opts: "mode=0755,size=64m") on
 * path, a host directory: the binds sb_enter makes of a tree holding path
 * carry it along, so the sandbox sees the tmpfs there, and the host's
 * directory underneath is left as it was (an fd opened on it before still
 * reaches it). 0, or -1 with err set. */
int sb_tmpfs_over(const char *path, const char *opts, char *err, size_t errlen);

/* Can this process make namespaces at all? (root, kernel support) */
int sb_available(char *err, size_t errlen);

/* sandbox_fs.c: build fs's tree on fs->root and pivot into it. */
int sb_fs_build(const struct sb_fs *fs, char *err, size_t errlen);

/* Is path inside one of the trees the sandbox shows from the host
 * (/usr, /etc, ...)? A work directory there cannot be made writable. */
int sb_fs_is_host_tree(const char *path);

#endif
