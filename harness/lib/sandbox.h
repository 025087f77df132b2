/*
 * sandbox.h: a scenario's own network, mount and PID namespaces.
 *
 * sb_spawn() clones a child into new network, mount and PID namespaces:
 * the child is PID 1 there, so when it exits the kernel kills everything
 * left inside, and the namespaces (loopback network, mounts) go with it.
 * It also dies with its parent (PR_SET_PDEATHSIG), so a runner that
 * crashes leaves nothing behind.
 *
 * sb_enter(), called first thing in the child: mounts become private, a
 * fresh /proc is mounted, loopback is brought up, and the scenario's own
 * hosts and resolv.conf files are bind-mounted over /etc/hosts and
 * /etc/resolv.conf (visible inside only).
 *
 * Errors: -1 with "what: strerror" in err.
 */
#ifndef MX_SANDBOX_H
#define MX_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* Start fn(arg) as PID 1 of new namespaces; returns its pid (in ours). */
pid_t sb_spawn(int (*fn)(void *), void *arg, char *err, size_t errlen);

int sb_enter(const char *hosts, const char *resolv, char *err, size_t errlen);

/* Can this process make namespaces at all? (root, kernel support) */
int sb_available(char *err, size_t errlen);

#endif
