/*
 * lab_shell.c: the lab shell (`mxlab lab FILE`), run by the lab's sandbox
 * once its world is up (runner_sandbox.c, when rn_options.shell is set).
 *
 * The lab's mail is sent once (the broken world shows in the queue and
 * the maillog), then PID 1 forks bash in a session of its own, with the
 * lab's environment (MAIL_CONFIG, MAILLOG, a prompt naming the lab, a
 * `mxlab` shell function), and serves three things until it exits:
 *   - the terminal. When mxlab's standard input is a terminal, the runner
 *     made a new pseudo-terminal (runner.c) whose slave is the shell's
 *     controlling terminal; PID 1 copies bytes between its master and the
 *     user's terminal, which it puts in raw mode (Ctrl-C, Ctrl-Z belong to
 *     the lab's terminal), and copies the window size over. The user's
 *     terminal is nobody's controlling terminal inside (sb_spawn), so
 *     nothing in the lab can push keystrokes into it. Without a terminal
 *     the shell reads mxlab's standard input as a script.
 *   - `mxlab lab check | hint | task` typed inside: the shell function
 *     connects to 127.0.0.1:PORT, the sandbox's own loopback, and sends
 *     its words; PID 1 answers with text and a last line "mxlab-exit N"
 *     (the check itself: lab_check.c).
 *   - reaping: orphans come to PID 1 (the driver's reap collects them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "runner_int.h"

#define SHELL_PATH "/bin/bash"

/* The shell function `mxlab` (bash's exported-function form). */
static const char shell_fn[] =
	"() { local fd line rc=2\n"
	"case \"$1 $2\" in\n"
	"\"lab check\"|\"lab hint\"|\"lab task\") ;;\n"
	"*) echo 'in the lab shell: mxlab lab check [--hint N] | mxlab lab hint | "
	"mxlab lab task; exit leaves the lab' >&2; return 2;;\n"
	"esac\n"
	"exec {fd}<>\"/dev/tcp/127.0.0.1/$MXLAB_LAB_PORT\" || "
	"{ echo 'mxlab: the lab does not answer' >&2; return 2; }\n"
	"printf '%s\\n' \"$*\" >&$fd\n"
	"while IFS= read -r line <&$fd; do\n"
	"case $line in \"mxlab-exit \"*) rc=${line#mxlab-exit } ;; "
	"*) printf '%s\\n' \"$line\" ;; esac\n"
	"done\n"
	"exec {fd}>&-\n"
	"return \"$rc\"\n"
	"}";

struct shell {
	pid_t pid;
	int pidfd;
	int tty;		/* the user's terminal (fd 0), -1 without a pty */
	int master;		/* the pty's master, -1 without */
	int lsn, port;
	struct termios saved;
	int raw;
	struct winsize ws;
	size_t next_hint;	/* the hint `mxlab lab hint` or a failed check gives */
};

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* What the student reads first. */
static char *
banner(struct box *b, const char *etc)
{
	const struct scenario *sc = b->sc;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		return NULL;
	fprintf(fp, "mxlab lab: %s (%s", sc->lab.title, sc->lab.difficulty);
	for (size_t i = 0; i < sc->nseed; i++)
		fprintf(fp, "%s%s", i ? " " : "; covers ", sc->seed[i]);
	fprintf(fp, ")\n\n%s\n\nThis shell is inside the lab's world: its own network, files "
		"and processes.\n  Postfix    $MAIL_CONFIG=%s\n"
		"             (main.cf, master.cf; the current directory), log $MAILLOG\n"
		"  PKI        $pki=%s\n             (the task's ${pki})\n"
		"  fake DNS   127.0.0.1:53, the lab's names\n", sc->lab.task, etc, b->pki);
	for (size_t i = 0; i < sc->nservers; i++)
		for (size_t k = 0; k < sc->servers[i].nkv; k++)
			if (!strcmp(sc->servers[i].kv[k].key, "listen"))
				fprintf(fp, "  peer %-5s %s\n", sc->servers[i].name,
					sc->servers[i].kv[k].value);
	fprintf(fp, "The lab's mail was sent once: postqueue -p, tail $MAILLOG.\n"
		"Look with postconf -n, posttls-finger, openssl s_client -starttls smtp -connect "
		"HOST:25.\nEdit $MAIL_CONFIG/main.cf, then: mxlab lab check (Postfix restarted, "
		"the mail sent again).\nmxlab lab hint: a hint; mxlab lab task: the task again; "
		"exit: leave (everything here stops).\n\n");
	fclose(fp);
	return text;
}

/* The shell's rc file (interactive shells only): the prompt. */
static int
write_rc(struct box *b, char *path, size_t len)
{
	char text[600], name[64];
	size_t n = 0;

	if (rn_box_path(b, path, len, "%s/lab.bashrc", RN_BOX_DIR) < 0)
		return -1;
	/* the file's name, quoted in shell code: only characters that need
	 * no quoting there */
	for (const char *c = b->sc->name; *c && n + 1 < sizeof name; c++)
		name[n++] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-", *c) ? *c : '_';
	name[n] = '\0';
	snprintf(text, sizeof text, "# mxlab lab shell\nPS1='[lab %s] \\W# '\n"
		 "HISTFILE=%s/lab.bash_history\n", name, RN_BOX_DIR);
	if (rn_write_text(path, text) < 0)
		return rn_box_fail(b, "%s: %s", path, strerror(errno));
	return 0;
}

static void
child(struct box *b, int slave, const char *rc, const char *etc, const char *text,
      const char *port)
{
	const char *term = getenv("TERM"), *lang = getenv("LANG");
	char *env[16];
	char e_term[128], e_lang[64], e_mc[MX_PATH_MAX + 16], e_log[MX_PATH_MAX + 16];
	char e_pki[MX_PATH_MAX + 8];
	char e_lab[300], e_port[64], *e_fn = malloc(sizeof shell_fn + 32);
	char *argv_i[] = { SHELL_PATH, "--noprofile", "--rcfile", (char *)rc, "-i", NULL };
	char *argv_s[] = { SHELL_PATH, "-s", NULL };
	sigset_t none;
	int n = 0;

	setsid();
	if (slave >= 0 &&
	    (ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
	     dup2(slave, 2) < 0))
		_exit(127);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, 0);
	if (chdir(etc) < 0 && chdir(RN_BOX_DIR) < 0)
		_exit(127);
	(void)!write(1, text, strlen(text));
	env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[n++] = "HOME=" RN_BOX_DIR;
	snprintf(e_term, sizeof e_term, "TERM=%s", term ? term : "dumb");
	env[n++] = e_term;
	if (lang) {
		snprintf(e_lang, sizeof e_lang, "LANG=%s", lang);
		env[n++] = e_lang;
	}
	snprintf(e_mc, sizeof e_mc, "MAIL_CONFIG=%s", etc);
	env[n++] = e_mc;
	snprintf(e_log, sizeof e_log, "MAILLOG=%s", b->mta.log);
	env[n++] = e_log;
	snprintf(e_pki, sizeof e_pki, "pki=%s", b->pki);
	env[n++] = e_pki;
	snprintf(e_lab, sizeof e_lab, "MXLAB_LAB=%s", b->sc->name);
	env[n++] = e_lab;
	snprintf(e_port, sizeof e_port, "MXLAB_LAB_PORT=%s", port);
	env[n++] = e_port;
	if (e_fn) {
		sprintf(e_fn, "BASH_FUNC_mxlab%%%%=%s", shell_fn);
		env[n++] = e_fn;
	}
	env[n] = NULL;
	execve(SHELL_PATH, slave >= 0 ? argv_i : argv_s, env);
	_exit(127);	/* checked before the fork: said there */
}

static int
listen_loopback(struct shell *sh)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;

	sh->lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sh->lsn < 0 || bind(sh->lsn, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(sh->lsn, 4) < 0 || getsockname(sh->lsn, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	sh->port = ntohs(a.sin_port);
	return 0;
}

/* One request of the shell function: its words, then text and the exit. */
static void
serve_request(struct box *b, struct shell *sh, int fd)
{
	struct timeval tv = { .tv_sec = 3 };
	char req[256], *text = NULL, *w;
	size_t len = 0, got = 0, hint = sh->next_hint;
	int rc = 0;
	FILE *out;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	while (got + 1 < sizeof req && !memchr(req, '\n', got)) {
		ssize_t r = read(fd, req + got, sizeof req - 1 - got);

		if (r <= 0)
			return;
		got += (size_t)r;
	}
	req[got] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (!(out = open_memstream(&text, &len)))
		return;
	if ((w = strstr(req, "--hint "))) {
		long h = strtol(w + 7, NULL, 10);

		if (h >= 1 && (size_t)h <= b->sc->lab.nhints)
			hint = (size_t)h - 1;
	}
	if (!strncmp(req, "lab task", 8))
		fprintf(out, "%s\n%s\n", b->sc->lab.title, b->sc->lab.task);
	else if (!strncmp(req, "lab hint", 8)) {
		if (hint < b->sc->lab.nhints) {
			fprintf(out, "hint %zu of %zu: %s\n", hint + 1, b->sc->lab.nhints,
				b->sc->lab.hints[hint]);
			sh->next_hint = hint + 1 < b->sc->lab.nhints ? hint + 1 : hint;
		} else
			fprintf(out, "this lab has no hint\n");
	} else if (!strncmp(req, "lab check", 9)) {
		int r = rn_lab_check(b, out);

		if (r > 0)
			fprintf(out, "lab solved: every goal holds (exit to leave)\n");
		else {
			rc = 1;
			fprintf(out, "lab not solved yet%s\n", r < 0 ? ": the check could not run" : "");
			if (hint < b->sc->lab.nhints) {
				fprintf(out, "hint %zu of %zu: %s\n", hint + 1, b->sc->lab.nhints,
					b->sc->lab.hints[hint]);
				sh->next_hint = hint + 1 < b->sc->lab.nhints ? hint + 1 : hint;
			}
		}
	} else {
		fprintf(out, "mxlab: unknown request '%.100s'\n", req);
		rc = 2;
	}
	fprintf(out, "mxlab-exit %d\n", rc);
	fclose(out);
	(void)write_all(fd, text, len);
	free(text);
}

static void
copy_winsize(struct shell *sh)
{
	struct winsize ws;

	if (sh->master < 0 || ioctl(sh->tty, TIOCGWINSZ, &ws) < 0)
		return;
	if (ws.ws_row != sh->ws.ws_row || ws.ws_col != sh->ws.ws_col) {
		sh->ws = ws;
		ioctl(sh->master, TIOCSWINSZ, &ws);
	}
}

/* Until the shell exits: relay, requests, reaping. */
static void
serve(struct box *b, struct shell *sh)
{
	char buf[4096];
	int master_open = sh->master >= 0, tty_open = sh->tty >= 0, exited = 0;

	while (!exited) {
		struct pollfd p[4];
		int np = 0, it = -1, im = -1, il, ip;
		ssize_t n;

		if (tty_open)
			it = np, p[np++] = (struct pollfd){ .fd = sh->tty, .events = POLLIN };
		if (master_open)
			im = np, p[np++] = (struct pollfd){ .fd = sh->master, .events = POLLIN };
		il = np, p[np++] = (struct pollfd){ .fd = sh->lsn, .events = POLLIN };
		ip = np, p[np++] = (struct pollfd){ .fd = sh->pidfd, .events = POLLIN };
		/* a bound, for the window size and the orphans: no event says so */
		if (poll(p, (nfds_t)np, 1000) < 0 && errno != EINTR)
			break;
		b->mta.drv->reap(&b->mta);
		copy_winsize(sh);
		if (it >= 0 && (p[it].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(sh->tty, buf, sizeof buf);
			if (n > 0)
				(void)write_all(sh->master, buf, (size_t)n);
			else if (n == 0 || errno != EINTR) {
				tty_open = 0;	/* the user's terminal is gone */
				kill(sh->pid, SIGHUP);
			}
		}
		if (im >= 0 && (p[im].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(sh->master, buf, sizeof buf);
			if (n > 0)
				(void)write_all(1, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				master_open = 0;	/* EIO: no slave left open */
		}
		if (p[il].revents & POLLIN) {
			int fd = accept4(sh->lsn, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve_request(b, sh, fd);
				close(fd);
			}
		}
		if (p[ip].revents & POLLIN)
			exited = 1;
	}
	/* What the shell wrote last. */
	if (master_open) {
		fcntl(sh->master, F_SETFL, O_NONBLOCK);
		for (;;) {
			ssize_t r = read(sh->master, buf, sizeof buf);

			if (r <= 0)
				break;
			(void)write_all(1, buf, (size_t)r);
		}
	}
}

int
rn_lab_shell(struct box *b)
{
	const struct rn_sandbox_arg *a = b->a;
	/* the instance's paths as its main.cf says them (MAIL_CONFIG as its
	 * config_directory, or postconf warns at every call) */
	const char *etc = mta_postfix_etc(&b->mta);
	struct shell sh = { .pid = -1, .pidfd = -1, .tty = -1, .master = a->pty_master, .lsn = -1 };
	char rc[MX_PATH_MAX], port[16], *text = NULL, *sent = NULL;
	size_t sentlen = 0;
	FILE *say;

	if (b->mta.drv != &mta_postfix)
		return rn_box_fail(b, "the lab shell runs Postfix labs (this one's MTA is %s)",
				   b->mta.drv->name);
	/* The broken world once, as the student will find it: what sending
	 * says goes into the banner, not to the runner. */
	if ((say = open_memstream(&sent, &sentlen))) {
		b->say = say;
		if (rn_send_mail(b) < 0)
			fprintf(say, "(sending the lab's mail failed: see above)\n");
		b->say = NULL;
		fclose(say);
	}
	if (access(SHELL_PATH, X_OK) < 0) {
		rn_box_fail(b, "lab shell: %s: %s", SHELL_PATH, strerror(errno));
		goto fail;
	}
	if (write_rc(b, rc, sizeof rc) < 0)
		goto fail;
	if (listen_loopback(&sh) < 0) {
		rn_box_fail(b, "lab shell: listening on 127.0.0.1: %s", strerror(errno));
		goto fail;
	}
	snprintf(port, sizeof port, "%d", sh.port);
	if (!(text = banner(b, etc)))
		goto nomem;
	if (sent && *sent) {
		char *t = NULL;

		if (asprintf(&t, "%s%s\n", text, sent) < 0)
			goto nomem;
		free(text);
		text = t;
	}
	if (sh.master >= 0) {
		sh.tty = 0;
		copy_winsize(&sh);
	}
	if ((sh.pid = fork()) < 0) {
		rn_box_fail(b, "lab shell: fork: %s", strerror(errno));
		goto fail;
	}
	if (sh.pid == 0)
		child(b, a->pty_slave, rc, etc, text, port);
	if (a->pty_slave >= 0)
		close(a->pty_slave);
	if ((sh.pidfd = (int)syscall(SYS_pidfd_open, sh.pid, 0)) < 0) {
		rn_box_fail(b, "lab shell: pidfd_open: %s", strerror(errno));
		kill(sh.pid, SIGKILL);
		goto fail;
	}
	if (sh.tty >= 0 && tcgetattr(sh.tty, &sh.saved) == 0) {
		struct termios t = sh.saved;

		cfmakeraw(&t);
		sh.raw = tcsetattr(sh.tty, TCSANOW, &t) == 0;
	}
	serve(b, &sh);
	if (sh.raw)
		tcsetattr(sh.tty, TCSANOW, &sh.saved);
	close(sh.pidfd);
	close(sh.lsn);
	if (sh.master >= 0)
		close(sh.master);
	free(text);
	free(sent);
	if (!b->checked)
		return rn_box_fail(b, "left the lab without a `mxlab lab check`: no goal decided");
	return b->solved;
nomem:
	rn_box_fail(b, "out of memory");
fail:
	if (sh.lsn >= 0)
		close(sh.lsn);
	free(text);
	free(sent);
	return -1;
}
