/*
 * scenario_check.c: the checks that need a whole file, after its last
 * line (sc_rd_file_checks): [scenario] and its summary, the [master.cf]
 * commands, [send] with recipients and something to expect, what [send]
 * would write (count x size at most SC_SEND_MAX), [sasl] users; and the
 * checks that need the whole scenario (sc_rd_final_checks): the servers,
 * clients and probes [expect] names, and status expectations about
 * recipients the scenario mails. Each problem is reported through
 * sc_rd_err at the line it is about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pfinst.h"
#include "scenario_int.h"

/* Is a (without <>) among the addresses of list (a space-separated value,
 * with <> or not), compared as the expectations do, case ignored? */
static int
addr_in(const char *a, const char *list)
{
	size_t la = strlen(a);

	for (const char *p = list + strspn(list, " \t"); *p; p += strspn(p, " \t")) {
		size_t n = strcspn(p, " \t");
		const char *w = p;

		p += n;
		if (n >= 2 && w[0] == '<' && w[n - 1] == '>')
			w++, n -= 2;
		if (n == la && !strncasecmp(w, a, n))
			return 1;
	}
	return 0;
}

/* Does [send] or a [client NAME] "to" mail a? -1 when out of memory. */
static int
mailed(const struct scenario *sc, const char *a)
{
	char *x;
	int hit;

	for (size_t i = 0; i < sc->send.nto; i++)
		if (addr_in(a, sc->send.to[i]))
			return 1;
	for (size_t c = 0; c < sc->nclients; c++)
		for (size_t k = 0; k < sc->clients[c].nkv; k++) {
			if (strcmp(sc->clients[c].kv[k].key, "to"))
				continue;
			if (!(x = sc_expand(sc, &sc_placeholder, sc->clients[c].kv[k].value)))
				return -1;
			hit = addr_in(a, x);
			free(x);
			if (hit)
				return 1;
		}
	return 0;
}

/* Every "status RCPT" is about a recipient the file mails ([send] or a
 * [client NAME] "to"), and "status =" needs [send]: otherwise it could
 * only fail when the timeout passes. */
static void
check_status_rcpts(struct rd *r)
{
	struct scenario *sc = r->sc;
	size_t n = ex_status_list(sc->expect, NULL, NULL, 0);
	const char **rcpt = calloc(n + 1, sizeof *rcpt);
	int *lines = calloc(n + 1, sizeof *lines), m;
	char sent[400] = "", by_clients[400] = "";

	if (!rcpt || !lines) {
		r->oom = 1;
		goto out;
	}
	ex_status_list(sc->expect, rcpt, lines, n);
	/* For the messages (cut short when long). */
	for (size_t i = 0; i < sc->send.nto; i++)
		snprintf(sent + strlen(sent), sizeof sent - strlen(sent), "%s%s", i ? " " : "",
			 sc->send.to[i]);
	for (size_t c = 0; c < sc->nclients; c++)
		for (size_t k = 0; k < sc->clients[c].nkv; k++)
			if (!strcmp(sc->clients[c].kv[k].key, "to"))
				snprintf(by_clients + strlen(by_clients), sizeof by_clients -
					 strlen(by_clients), "%s%s", by_clients[0] ? " " : "",
					 sc->clients[c].kv[k].value);
	for (size_t i = 0; i < n; i++) {
		if (!rcpt[i]) {
			if (!sc->send.present)
				sc_rd_err(r, lines[i], "status: without a recipient it is about the "
					  "recipients of [send], and there is no [send]");
			continue;
		}
		if ((m = mailed(sc, rcpt[i])) < 0)
			r->oom = 1;
		if (m)
			continue;
		if (!sent[0] && !by_clients[0])
			sc_rd_err(r, lines[i], "status %s: this file mails no one (no [send], no "
				  "[client NAME] with to); no status line would ever come for it",
				  rcpt[i]);
		else
			sc_rd_err(r, lines[i], "status %s: not a recipient of [send] (%.200s)%s%.200s%s; "
				  "no status line would ever come for it", rcpt[i],
				  sent[0] ? sent : "none", by_clients[0] ? " or of a [client NAME] (" : "",
				  by_clients, by_clients[0] ? ")" : "");
	}
out:
	free(rcpt);
	free(lines);
}

/* "64M", "62.5G", "700k", "300 bytes". */
static void
human_size(char *buf, size_t len, double n)
{
	static const char *const unit[] = { "k", "M", "G", "T" };
	int u = -1;

	while (n >= 1024 && u < 3) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f bytes", n);
	else
		snprintf(buf, len, "%.*f%s", n == (double)(long long)n ? 0 : 1, n, unit[u]);
}

/* [send] writes each message to a file and hands it to Postfix, which
 * queues it: count x (the message, padded to size) at most SC_SEND_MAX. */
static void
check_send_total(struct rd *r)
{
	const struct sc_send *s = &r->sc->send;
	double one = 1024, total;	/* the standard headers, generously */
	char a[32], b[32], c[32];
	int line = r->once_send[SEND_SIZE] > r->once_send[SEND_COUNT] ?
		   r->once_send[SEND_SIZE] : r->once_send[SEND_COUNT];

	for (size_t i = 0; i < s->nto; i++)
		one += strlen(s->to[i]) + 4;
	for (size_t i = 0; i < s->nheaders; i++)
		one += strlen(s->headers[i]) + 2;
	one += (s->from ? strlen(s->from) : 0) + (s->subject ? strlen(s->subject) : 0) +
	       2.0 * (s->body ? strlen(s->body) : 0);
	if ((double)s->size > one)
		one = (double)s->size;
	total = one * (s->count ? s->count : 1);
	if (!s->present || total <= SC_SEND_MAX)
		return;
	human_size(a, sizeof a, one);
	human_size(b, sizeof b, total);
	human_size(c, sizeof c, SC_SEND_MAX);
	sc_rd_err(r, line ? line : s->line, "%s: %u message%s of %s%s make %s to write; at most %s "
		  "in all (count x size)", line == r->once_send[SEND_SIZE] ? "size" : "count",
		  s->count ? s->count : 1, s->count == 1 ? "" : "s", (double)s->size < one ?
		  "about " : "", a, b, c);
}

void
sc_rd_file_checks(struct rd *r)
{
	struct scenario *sc = r->sc;

	if (r->suite)
		;	/* [scenario] optional, no summary needed */
	else if (!r->seen[S_SCENARIO])
		sc_rd_err(r, 1, "no [scenario] section (every file needs one, with a summary)");
	else if (!sc->summary && !r->once_sc[SCN_SUMMARY])
		sc_rd_err(r, sc->line, "[scenario] has no summary");
	if (sc->master_cf) {
		char e[600];
		int line;

		if (pf_master_cf_check(sc->master_cf, sc->master_cf_line, &line, e, sizeof e) < 0)
			sc_rd_err(r, line, "%s", e);
	}
	if (sc->send.present && !sc->send.nto && !r->once_send[SEND_TO])
		sc_rd_err(r, sc->send.line, "[send] has no 'to' (at least one recipient)");
	if (sc->send.present && !r->nexpect)
		sc_rd_err(r, sc->send.line, "nothing to expect: [send] without [expect] lines");
	check_send_total(r);
	if (sc->sasl.present && !sc->sasl.nusers && !r->sasl_user_line)
		sc_rd_err(r, sc->sasl.line, "[sasl] has no user (user = NAME:PASSWORD)");
}

void
sc_rd_final_checks(struct rd *r)
{
	struct scenario *sc = r->sc;
	const char *names[64];
	size_t n;

	for (size_t i = 0; i < r->nrefs; i++) {
		static const char *const kinds[] = { "server", "client", "probe" };
		size_t j;
		int found = 0;

		for (j = 0; r->refs[i].kind == 0 && j < sc->nservers; j++)
			found |= !strcmp(sc->servers[j].name, r->refs[i].name);
		for (j = 0; r->refs[i].kind == 1 && j < sc->nclients; j++)
			found |= !strcmp(sc->clients[j].name, r->refs[i].name);
		for (j = 0; r->refs[i].kind == 2 && j < sc->nprobes; j++)
			found |= !strcmp(sc->probes[j].name, r->refs[i].name);
		if (!found)
			sc_rd_err(r, r->refs[i].line, "no [%s %s] in this file%s",
				  kinds[r->refs[i].kind], r->refs[i].name,
				  sc->nsuites ? " or its suites" : "");
	}
	check_status_rcpts(r);
	sc_rd_script_refs_check(r);
	sc_rd_mta_checks(r);
	n = ex_server_refs(sc->expect, names, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < n && i < sizeof names / sizeof names[0]; i++) {
		size_t j;
		int known = 0;

		for (j = 0; j < sc->nservers; j++)
			known |= !strcmp(sc->servers[j].name, names[i]);
		for (j = 0; j < r->nrefs; j++)
			known |= !strcmp(r->refs[j].name, names[i]);
		if (!known)
			sc_rd_err(r, sc->expect_line, "an expectation names server '%s', but there "
			       "is no [server %s]", names[i], names[i]);
	}
}
