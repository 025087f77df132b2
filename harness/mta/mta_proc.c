/*
 * mta_proc.c: starting, collecting and stopping a driver's process
 * (mta_proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "mta_proc.h"

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
mta_proc_start(struct mta_proc *p, const char *const *argv, const char *dir,
	       const char *out, const char *const *env, int pgrp, char *err, size_t errlen)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	*p = (struct mta_proc){ .pid = -1, .pgrp = pgrp };
	if (fd < 0 || nul < 0) {
		snprintf(err, errlen, "%s: %s", fd < 0 ? out : "/dev/null", strerror(errno));
		if (fd >= 0)
			close(fd);
		if (nul >= 0)
			close(nul);
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd);
		close(nul);
		return -1;
	}
	if (pid == 0) {
		if (pgrp)
			(void)setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || chdir(dir) < 0)
			_exit(127);
		for (const char *const *e = env; e && *e; e += 2)
			if (setenv(e[0], e[1], 1) < 0)
				_exit(127);
		execv(argv[0], (char *const *)argv);
		/* into the output file (fd is still open: exec failed) */
		dprintf(fd, "mxlab: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	close(nul);
	if (pgrp)
		(void)setpgid(pid, pid);	/* whichever of the two runs first */
	p->pid = pid;
	return 0;
}

int
mta_proc_reap(struct mta_proc *p)
{
	pid_t r;
	int st;

	while ((r = waitpid(-1, &st, WNOHANG)) > 0)
		if (p && r == p->pid && !p->exited) {
			p->exited = 1;
			p->status = st;
		}
	return p && p->pid > 0 && p->exited;
}

int
mta_proc_wait(struct mta_proc *p, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	/* Wait on the process itself: a pidfd turns readable when it exits. */
	while (!mta_proc_reap(p) && now_ms() < end) {
		int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
		struct pollfd pl = { .fd = pfd, .events = POLLIN };

		if (pfd < 0)
			break;
		(void)poll(&pl, 1, (int)(end - now_ms() > 0 ? end - now_ms() : 0));
		close(pfd);
	}
	return p->exited;
}

void
mta_proc_stop(struct mta_proc *p, int timeout_ms)
{
	if (p->pid <= 0)
		return;
	if (!mta_proc_reap(p))
		kill(p->pgrp ? -p->pid : p->pid, SIGTERM);
	if (!mta_proc_wait(p, timeout_ms)) {
		kill(p->pgrp ? -p->pid : p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->exited = 1;
	}
	if (p->pgrp)
		kill(-p->pid, SIGKILL);	/* what it left in its group */
	(void)mta_proc_reap(NULL);
}

void
mta_proc_describe(const struct mta_proc *p, char *buf, size_t len)
{
	if (WIFEXITED(p->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(p->status));
	else
		snprintf(buf, len, "ended (wait status %d)", p->status);
}
