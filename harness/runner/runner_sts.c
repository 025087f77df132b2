/*
 * runner_sts.c: the MTA-STS resolver a scenario runs beside its Postfix
 * (`requires = mta-sts-resolver`, docs/mta-sts.md): Debian 12's
 * postfix-mta-sts-resolver, unpacked by ci/fetch-mta-sts.sh and never
 * installed, started inside the sandbox as a socketmap server on
 * 127.0.0.1:8461 (Postfix: smtp_tls_policy_maps =
 * socketmap:inet:127.0.0.1:8461:postfix).
 *
 * Before the sandbox (rn_sts_prepare): its configuration, DIR/mta-sts/
 * mta-sts-daemon.yml, and an empty DIR/mta-sts/ca-certificates.crt that
 * the sandbox shows, read-only, as /etc/ssl/certs/ca-certificates.crt,
 * the only file of /etc/ssl/certs there (rn_sts_fs): the resolver (Python's
 * ssl, through aiohttp) trusts the scenario's root and nothing else. Once
 * the PKI exists its root is written into that file, in place
 * (rn_sts_trust). The daemon starts early (rn_sts_launch: it needs nobody
 * before it is asked) and is waited for (rn_sts_ready: its systemd
 * READY=1 on a NOTIFY_SOCKET of ours, bounded) before mail is sent; it is
 * stopped by PID (rn_sts_stop). Its log is DIR/mta-sts/mta-sts-daemon.log.
 *
 * With [scenario] mta-sts-cache its cache is sqlite, DIR/mta-sts/cache.db,
 * and the entries (DIR/mta-sts/cache-seed.json) are stored into it by the
 * resolver's own SqliteCache, in the daemon's process, before its main():
 * what a resolver that fetched those policies earlier would hold.
 *
 * Errors: -1, reported through rn_box_fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "mta_proc.h"
#include "runner_int.h"

#define STS_ROOT_DEFAULT "/var/cache/mxlab/mta-sts-resolver/root"
#define STS_PYLIB "/usr/lib/python3/dist-packages"
#define STS_NOTIFY "@mxlab-mta-sts"	/* abstract: the sandbox's own */
#define STS_READY_MS 15000

const char *
rn_sts_root(void)
{
	const char *r = getenv("MXLAB_MTA_STS_ROOT");

	return r && *r ? r : STS_ROOT_DEFAULT;
}

int
rn_sts_wanted(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->nrequires; i++)
		if (!strcmp(sc->requires[i], "mta-sts-resolver"))
			return 1;
	return 0;
}

const char *
rn_sts_unmet(const struct scenario *sc, char *buf, size_t len)
{
	static const char *const mods[] = { "aiohttp", "aiodns", "yaml" };
	char p[MX_PATH_MAX];

	snprintf(p, sizeof p, "%s" STS_PYLIB "/postfix_mta_sts_resolver/daemon.py", rn_sts_root());
	if (access(p, R_OK) < 0) {
		snprintf(buf, len, "requires mta-sts-resolver: postfix-mta-sts-resolver is not "
			 "unpacked in %s (ci/fetch-mta-sts.sh does it; MXLAB_MTA_STS_ROOT names "
			 "another place)", rn_sts_root());
		return buf;
	}
	if (access("/usr/bin/python3", X_OK) < 0) {
		snprintf(buf, len, "requires mta-sts-resolver: no /usr/bin/python3");
		return buf;
	}
	for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
		snprintf(p, sizeof p, STS_PYLIB "/%s", mods[i]);
		if (access(p, R_OK) < 0) {
			snprintf(buf, len, "requires mta-sts-resolver: Python module %s is not "
				 "installed (python3-%s; ci/install-deps.sh)", mods[i], mods[i]);
			return buf;
		}
	}
	/* a cache the scenario fills (mta-sts-cache): the sqlite one */
	if (sc->nsts_cache && access(STS_PYLIB "/aiosqlite", R_OK) < 0) {
		snprintf(buf, len, "requires mta-sts-resolver: mta-sts-cache needs the Python "
			 "module aiosqlite (python3-aiosqlite; ci/install-deps.sh)");
		return buf;
	}
	return NULL;
}

/* The daemon's configuration: loopback, the internal cache (sqlite in
 * DIR/mta-sts/cache.db with mta-sts-cache), and the default zone as Debian
 * ships it (strict_testing false, SNI required). */
static const char sts_yml_head[] =
	"# mxlab: the scenario's MTA-STS resolver (runner_sts.c)\n"
	"host: 127.0.0.1\n"
	"port: 8461\n"
	"reuse_port: true\n"
	"shutdown_timeout: 1\n"
	"cache:\n";
static const char sts_yml_internal[] =
	"  type: internal\n"
	"  options:\n"
	"    cache_size: 100\n";
static const char sts_yml_tail[] =
	"default_zone:\n"
	"  strict_testing: false\n"
	"  timeout: 4\n";

/* mta-sts-cache: the entries, as JSON, for the seeding code of rn_sts_launch
 * (the values were checked by the loader: names, ids and policy text of
 * letters, digits and ".-*: \n" need no escaping but the newline). */
static int
sts_write_seed(const struct scenario *sc, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fputs("[\n", f);
	for (size_t i = 0; i < sc->nsts_cache; i++) {
		const struct sc_sts_cache *c = &sc->sts_cache[i];

		fprintf(f, "{\"domain\": \"%s\", \"id\": \"%s\", \"age\": %u, \"policy\": \"",
			c->domain, c->id, c->age_s);
		for (const char *p = c->policy; *p; p++)
			if (*p == '\n')
				fputs("\\n", f);
			else
				fputc(*p, f);
		fprintf(f, "\"}%s\n", i + 1 < sc->nsts_cache ? "," : "");
	}
	fputs("]\n", f);
	return fclose(f);
}

int
rn_sts_prepare(struct box *b)
{
	char p[MX_PATH_MAX];

	b->sts.proc.pid = -1;
	b->sts.notify = -1;
	if (!rn_sts_wanted(b->sc))
		return 0;
	if (b->sc->mta_driver != &mta_postfix)
		return rn_box_fail(b, "requires mta-sts-resolver: for Postfix only "
				   "(this scenario's mta is %s)", b->sc->mta_driver->name);
	if (rn_box_path(b, b->sts.dir, sizeof b->sts.dir, "%s/mta-sts", b->a->dir) < 0 ||
	    rn_box_path(b, b->sts.ca, sizeof b->sts.ca, "%s/ca-certificates.crt", b->sts.dir) < 0 ||
	    rn_box_path(b, p, sizeof p, "%s/mta-sts-daemon.yml", b->sts.dir) < 0)
		return -1;
	if (mkdir(b->sts.dir, 0755) < 0 && errno != EEXIST)
		return rn_box_fail(b, "%s: %s", b->sts.dir, strerror(errno));
	{
		char yml[3 * MX_PATH_MAX + 600];

		b->sts.seed[0] = '\0';
		if (b->sc->nsts_cache) {
			if (rn_box_path(b, b->sts.seed, sizeof b->sts.seed, "%s/cache-seed.json",
					b->sts.dir) < 0)
				return -1;
			char q[2 * MX_PATH_MAX];	/* YAML single-quoted: ' doubled */
			size_t n = 0;

			for (const char *c = b->sts.dir; *c && n + 2 < sizeof q; c++) {
				if (*c == '\'')
					q[n++] = '\'';
				q[n++] = *c;
			}
			q[n] = '\0';
			snprintf(yml, sizeof yml, "%s  type: sqlite\n  options:\n    filename: "
				 "'%s/cache.db'\n%s", sts_yml_head, q, sts_yml_tail);
			if (sts_write_seed(b->sc, b->sts.seed) < 0)
				return rn_box_fail(b, "%s: %s", b->sts.seed, strerror(errno));
		} else
			snprintf(yml, sizeof yml, "%s%s%s", sts_yml_head, sts_yml_internal,
				 sts_yml_tail);
		if (rn_write_text(p, yml) < 0 || rn_write_text(b->sts.ca, "") < 0)
			return rn_box_fail(b, "%s: %s", b->sts.dir, strerror(errno));
	}
	b->sts.own[0] = "ssl/certs/ca-certificates.crt";
	b->sts.own[1] = b->sts.ca;
	b->sts.own[2] = NULL;
	b->sts.on = 1;
	return 0;
}

void
rn_sts_fs(struct box *b, struct rn_fs *f)
{
	size_t n = 0;

	if (!b->sts.on)
		return;
	f->fs.etc_rw = 1;
	f->etc_skip[0] = "ssl/certs";	/* the host's CAs: not there */
	f->etc_skip[1] = NULL;
	f->fs.etc_skip = f->etc_skip;
	f->fs.etc_own = b->sts.own;
	while (f->ro[n])
		n++;
	f->ro[n++] = rn_sts_root();
	f->ro[n] = NULL;
}

/* The PKI's root into the bundle the sandbox shows: the same inode. */
int
rn_sts_trust(struct box *b)
{
	char p[MX_PATH_MAX], buf[8192];
	int in, out;
	ssize_t n;
	int r = 0;

	if (!b->sts.on)
		return 0;
	if (rn_box_path(b, p, sizeof p, "%s/ca/root.crt", b->pki) < 0)
		return -1;
	if ((in = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return rn_box_fail(b, "%s: %s", p, strerror(errno));
	if ((out = open(b->sts.ca, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		close(in);
		return rn_box_fail(b, "%s: %s", b->sts.ca, strerror(errno));
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -1;
			break;
		}
	if (n < 0 || close(out) < 0)
		r = -1;
	close(in);
	return r < 0 ? rn_box_fail(b, "%s: %s", b->sts.ca, strerror(errno)) : 0;
}

static const char sts_main[] =
	"from postfix_mta_sts_resolver.daemon import main; main()";
/* mta-sts-cache: the resolver's own sqlite cache stores the entries first
 * (its schema, its stored form: the policy text parsed by its parser,
 * max_age made a number as after a fetch), each dated age seconds ago. */
static const char sts_seed_main[] =
	"import asyncio, json, os, time, yaml\n"
	"from postfix_mta_sts_resolver.sqlite_cache import SqliteCache\n"
	"from postfix_mta_sts_resolver.base_cache import CacheEntry\n"
	"from postfix_mta_sts_resolver.utils import parse_mta_sts_policy\n"
	"from postfix_mta_sts_resolver.daemon import main, parse_args\n"
	"async def seed(db, entries):\n"
	"    c = SqliteCache(db)\n"
	"    await c.setup()\n"
	"    for e in entries:\n"
	"        p = parse_mta_sts_policy(e['policy'])\n"
	"        p['max_age'] = int(p['max_age'])\n"
	"        await c.set(e['domain'], CacheEntry(time.time() - e['age'], e['id'], p))\n"
	"    await c.teardown()\n"
	"with open(parse_args().config) as f:\n"
	"    db = yaml.safe_load(f)['cache']['options']['filename']\n"
	"with open(os.environ['MXLAB_STS_SEED']) as f:\n"
	"    entries = json.load(f)\n"
	"loop = asyncio.new_event_loop()\n"
	"loop.run_until_complete(seed(db, entries))\n"
	"loop.close()\n"
	"main()\n";

int
rn_sts_launch(struct box *b)
{
	char cfg[MX_PATH_MAX], log[MX_PATH_MAX], out[MX_PATH_MAX], pylib[MX_PATH_MAX], e[600];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;

	if (!b->sts.on)
		return 0;
	if (rn_box_path(b, cfg, sizeof cfg, "%s/mta-sts-daemon.yml", b->sts.dir) < 0 ||
	    rn_box_path(b, log, sizeof log, "%s/mta-sts-daemon.log", b->sts.dir) < 0 ||
	    rn_box_path(b, out, sizeof out, "%s/mta-sts-daemon.out", b->sts.dir) < 0 ||
	    rn_box_path(b, pylib, sizeof pylib, "%s" STS_PYLIB, rn_sts_root()) < 0)
		return -1;
	/* READY=1 comes on this datagram socket (sd_notify). */
	memcpy(sa.sun_path + 1, STS_NOTIFY + 1, sizeof STS_NOTIFY - 2);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof STS_NOTIFY - 1);
	if ((b->sts.notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(b->sts.notify, (struct sockaddr *)&sa, salen) < 0)
		return rn_box_fail(b, "mta-sts-daemon: notify socket: %s", strerror(errno));
	{
		const char *argv[] = {
			"/usr/bin/python3", "-c", b->sts.seed[0] ? sts_seed_main : sts_main,
			"-c", cfg, "-l", log, "-v", "debug", "--disable-uvloop", NULL
		};
		const char *env[] = {
			"PYTHONPATH", pylib, "PYTHONDONTWRITEBYTECODE", "1",
			"NOTIFY_SOCKET", STS_NOTIFY,
			b->sts.seed[0] ? "MXLAB_STS_SEED" : NULL, b->sts.seed, NULL
		};

		if (mta_proc_start(&b->sts.proc, argv, b->sts.dir, out, env, 1, e, sizeof e) < 0)
			return rn_box_fail(b, "mta-sts-daemon: %s", e);
	}
	rn_box_log(b, "mta-sts-daemon: started, pid %d", (int)b->sts.proc.pid);
	return 0;
}

int
rn_sts_ready(struct box *b)
{
	long t0 = rn_now_ms();

	if (!b->sts.on)
		return 0;
	for (;;) {
		struct pollfd pfd = { .fd = b->sts.notify, .events = POLLIN };
		long left = STS_READY_MS - (rn_now_ms() - t0);
		char msg[256], how[100];
		ssize_t n;

		if (mta_proc_reap(&b->sts.proc)) {
			mta_proc_describe(&b->sts.proc, how, sizeof how);
			return rn_box_fail(b, "mta-sts-daemon: %s before it was ready (see %s)",
					   how, b->sts.dir);
		}
		if (left <= 0)
			return rn_box_fail(b, "mta-sts-daemon: not ready within %d ms (see %s)",
					   STS_READY_MS, b->sts.dir);
		/* a slice, so that a daemon that dies is noticed */
		if (poll(&pfd, 1, left < 200 ? (int)left : 200) <= 0)
			continue;
		if ((n = recv(b->sts.notify, msg, sizeof msg - 1, MSG_DONTWAIT)) <= 0)
			continue;
		msg[n] = '\0';
		if (strstr(msg, "READY=1")) {
			rn_box_log(b, "mta-sts-daemon: ready after %ld ms", rn_now_ms() - b->t0);
			return 0;
		}
	}
}

void
rn_sts_stop(struct box *b)
{
	if (!b->sts.on)
		return;
	if (b->sts.proc.pid > 0)
		mta_proc_stop(&b->sts.proc, 2000);
	if (b->sts.notify >= 0)
		close(b->sts.notify);
	b->sts.notify = -1;
}
