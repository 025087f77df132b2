/*
 * sandbox.c: a scenario's own network, mount and PID namespaces
 * (see sandbox.h).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "sandbox.h"

#define STACK_SIZE (1024 * 1024)

struct start {
	int (*fn)(void *);
	void *arg;
};

static int
trampoline(void *p)
{
	struct start *s = p;

	/* getppid() is 0 here (the parent is outside our PID namespace), so a
	 * parent that died before this call is not detectable; the results pipe
	 * then has no reader and the sandbox ends at its first report. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return s->fn(s->arg);
}

pid_t
sb_spawn(int (*fn)(void *), void *arg, char *err, size_t errlen)
{
	static struct start st;	/* read by the child before it returns */
	char *stack = malloc(STACK_SIZE);
	pid_t pid;

	if (!stack) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st.fn = fn;
	st.arg = arg;
	/* The child gets a copy of our memory (no CLONE_VM), stack included. */
	pid = clone(trampoline, stack + STACK_SIZE,
		    CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, &st);
	if (pid < 0)
		snprintf(err, errlen, "cannot create namespaces (clone): %s%s", strerror(errno),
			 errno == EPERM ? " (mxlab run needs root)" : "");
	free(stack);
	return pid;
}

static int
lo_up(char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		snprintf(err, errlen, "loopback up: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
sb_enter(const char *hosts, const char *resolv, char *err, size_t errlen)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "make mounts private: %s", strerror(errno));
		return -1;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(err, errlen, "mount /proc: %s", strerror(errno));
		return -1;
	}
	if (lo_up(err, errlen) < 0)
		return -1;
	if (hosts && mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0) {
		snprintf(err, errlen, "bind %s over /etc/hosts: %s", hosts, strerror(errno));
		return -1;
	}
	if (resolv && mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0) {
		snprintf(err, errlen, "bind %s over /etc/resolv.conf: %s", resolv, strerror(errno));
		return -1;
	}
	return 0;
}

static int
probe_child(void *arg)
{
	(void)arg;
	return 0;
}

int
sb_available(char *err, size_t errlen)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		snprintf(err, errlen, "mxlab run must run as root: Postfix refuses to start "
			 "otherwise, and each scenario needs its own network, mount and PID "
			 "namespaces (try: sudo mxlab run ...)");
		return -1;
	}
	if ((pid = sb_spawn(probe_child, NULL, err, errlen)) < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}
