/*
 * sandbox.c: a scenario's own namespaces, entered with a file system of its
 * own and a bounded set of capabilities (see sandbox.h; the file system is
 * sandbox_fs.c).
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

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
	/* A session of its own: the terminal mxlab runs on is no longer the
	 * controlling terminal of anything inside, so a root process there
	 * cannot push keystrokes into it (TIOCSTI needs CAP_SYS_ADMIN on a
	 * terminal that is not one's own, and the sandbox drops it), nor get
	 * its job-control signals. */
	setsid();
	/* Not dumpable: nothing inside may trace it or open its /proc/1/fd
	 * (the runner's results pipe, the user's terminal in a lab shell).
	 * Dropping capabilities in sb_enter has the same effect (the kernel
	 * resets it when a process loses capabilities); this does not rely
	 * on that. What it execs is dumpable again. */
	prctl(PR_SET_DUMPABLE, 0);
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
		    CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD,
		    &st);
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

/* What an MTA needs as root: queue ownership and modes, reading every
 * file, signalling its children, dropping to its users, ports below 1024,
 * chroot. Everything else (mount, modules, raw I/O, mknod, clock, ptrace,
 * open_by_handle_at, sysctl-like admin, ...) leaves the bounding set. */
static const int keep_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
	CAP_SETUID, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
};

static int
drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t keep = 0;

	for (size_t i = 0; i < sizeof keep_caps / sizeof keep_caps[0]; i++)
		keep |= UINT64_C(1) << keep_caps[i];
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;	/* past the kernel's last capability */
			snprintf(err, errlen, "drop capability %d: %s", cap, strerror(errno));
			return -1;
		}
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) < 0) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	/* Nothing inside may trace us or open our descriptors through /proc. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sb_enter(const struct sb_fs *fs, char *err, size_t errlen)
{
	if (sb_fs_build(fs, err, errlen) < 0 || lo_up(err, errlen) < 0)
		return -1;
	return drop_caps(err, errlen);
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
