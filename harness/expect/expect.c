/*
 * expect.c: the assertion engine of [expect] (see expect.h): parsing
 * and results here; deciding on maillog events in expect_feed.c; server
 * facts in expect_server.c. How each kind is decided:
 *
 * Status. An expectation holds one slot per recipient it is about (the one
 * named, or every recipient given to ex_set_recipients). A slot is decided
 * by the first status= line whose to=<> or orig_to=<> is its recipient
 * (addresses compare case-insensitively): it matches when the status is
 * the expected one and the DSN starts with the expected digits ("4.7"
 * matches 4.7.5, not 4.70.1). "expired" is special, because Postfix 3.7
 * logs the recipient as deferred and then, with no to=, the queue manager
 * line "QUEUEID: from=<...>, status=expired, returned to sender": a
 * deferred line makes the slot wait for that line of the same queue ID
 * (its DSN is the deferred line's); any other status (except a bounced
 * line that says "expired") decides the slot as a mismatch. The
 * expectation is decided when all its slots are.
 *
 * Evidence, of a pass as of a failure. Lines without a queue ID are kept
 * per PID (the smtp client's TLS lines carry none); when a status line
 * arrives, the TLS-related ones its PID logged since its previous delivery
 * are the evidence shown with the status line. A log expectation keeps the
 * one line that matched it; a passed no-log, how many lines it looked at.
 * A small ring of recent lines gives the "last lines of smtp" when
 * something was not seen at all.
 *
 * Regexes are POSIX extended (regcomp REG_EXTENDED | REG_NOSUB),
 * case-sensitive, searched in the text after "daemon[pid]: ", in the
 * bounded dialect of rxcheck.c: each is compiled by rx_compile, and one
 * set's regexes together have at most RX_FILE_SIZE_MAX positions.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect_int.h"

/* ---- bounded text buffers ---- */

void
ex_sb_add(struct ex_sb *b, const char *fmt, ...)
{
	const char *sep = b->sep ? b->sep : "\n";
	size_t sl = b->len ? strlen(sep) : 0;
	va_list ap;
	char tmp[EX_SB_MAX];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || b->len + sl >= EX_SB_MAX - 1)
		return;
	if ((size_t)n > EX_SB_MAX - 1 - sl - b->len)
		n = (int)(EX_SB_MAX - 1 - sl - b->len);
	if (!b->s && !(b->s = malloc(EX_SB_MAX)))
		return;
	memcpy(b->s + b->len, sep, sl);
	b->len += sl;
	memcpy(b->s + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
	b->s[b->len] = '\0';
}

const char *
ex_sb_str(const struct ex_sb *b)
{
	return b->s ? b->s : "";
}

void
ex_set_why(struct ex_item *it, const char *fmt, ...)
{
	va_list ap;
	char tmp[EX_SB_MAX];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	free(it->why);
	it->why = strdup(tmp);
}

/* ---- parsing ---- */

static char *
trimdup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static size_t
split_words(const char *s, char w[][256], size_t max)
{
	size_t n = 0, l;

	for (;;) {
		s += strspn(s, " \t");
		if (!*s)
			return n;
		l = strcspn(s, " \t");
		if (n == max)
			return max + 1;
		snprintf(w[n++], 256, "%.*s", (int)(l < 255 ? l : 255), s);
		s += l;
	}
}

static int
name_ok(const char *s, int slash)
{
	if (!*s || *s == '/' || s[strlen(s) - 1] == '/')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '-' || *s == '_' || *s == '.' || (slash && *s == '/')))
			return 0;
	return 1;
}

static int
dsn_ok(const char *d)
{
	if (*d != '2' && *d != '4' && *d != '5')
		return 0;
	for (int parts = 0; *++d; ) {
		if (*d != '.' || !isdigit((unsigned char)d[1]) || ++parts > 2)
			return 0;
		for (int k = 0; isdigit((unsigned char)d[1]); d++)
			if (++k > 3)
				return 0;
	}
	return 1;
}

static int
strip_addr(char *dst, size_t dstsz, const char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		a++, n -= 2;
	if (n == 0 || n >= dstsz)
		return -1;
	memcpy(dst, a, n);
	dst[n] = '\0';
	return 0;
}

int
ex_compile(struct ex_item *it, const char *pat, int cflags, char *err, size_t errlen)
{
	char m[600];

	if (!*pat) {
		snprintf(err, errlen, "%s: empty regex", it->key);
		return -1;
	}
	if (rx_compile(&it->re, pat, cflags, &it->rx_size, m, sizeof m) < 0) {
		snprintf(err, errlen, "%s: %s", it->key, m);
		return -1;
	}
	it->has_re = 1;
	return 0;
}

int
ex_tls_version(const char *v, char *out, size_t outlen)
{
	static const char *const known[] = { "1.0", "1.1", "1.2", "1.3" };

	if (!strncasecmp(v, "TLSv", 4))
		v += 4;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(v, known[i])) {
			snprintf(out, outlen, "TLSv%s", known[i]);
			return 0;
		}
	return -1;
}

static int
parse_status(struct ex_item *it, const char *key, const char *value, char *err, size_t errlen)
{
	static const char *const st[] = { "sent", "deferred", "bounced", "expired", NULL };
	char w[3][256];
	size_t n = split_words(value, w, 2), i;

	if (n == 0 || n > 2) {
		snprintf(err, errlen, "%s: bad value '%s' (STATUS [DSN], STATUS one of "
			 "sent, deferred, bounced, expired)", key, value);
		return -1;
	}
	for (i = 0; st[i] && strcmp(st[i], w[0]); i++)
		;
	if (!st[i]) {
		snprintf(err, errlen, "%s: bad value '%s' (sent, deferred, bounced, expired)",
			 key, w[0]);
		return -1;
	}
	snprintf(it->want, sizeof it->want, "%s", st[i]);
	if (n == 2) {
		if (!dsn_ok(w[1]) || strlen(w[1]) >= sizeof it->dsn) {
			snprintf(err, errlen, "%s: bad DSN '%s' (like 4.7.5, or a prefix "
				 "such as 4.7)", key, w[1]);
			return -1;
		}
		snprintf(it->dsn, sizeof it->dsn, "%s", w[1]);
	}
	return 0;
}

static int
parse_item(struct ex_item *it, const char *value, char *err, size_t errlen)
{
	char w[5][256], rcpt[256];
	size_t n = split_words(it->key, w, 4);

	if (n == 0) {
		snprintf(err, errlen, "missing expectation before '='");
		return -1;
	}
	if (!strcmp(w[0], "status")) {
		it->kind = EX_STATUS;
		if (n > 2) {
			snprintf(err, errlen, "status: one recipient at most ('status RCPT = ...')");
			return -1;
		}
		if (n == 2) {
			if (strip_addr(rcpt, sizeof rcpt, w[1]) < 0 || strchr(rcpt, '<') ||
			    strchr(rcpt, '>')) {
				snprintf(err, errlen, "status: bad recipient '%s'", w[1]);
				return -1;
			}
			it->rcpt = strdup(rcpt);
		}
		return parse_status(it, it->key, value, err, errlen);
	}
	if (!strcmp(w[0], "log") || !strcmp(w[0], "no-log")) {
		it->kind = w[0][0] == 'l' ? EX_LOG : EX_NOLOG;
		if (n > 2 || (n == 2 && (!name_ok(w[1], 1) ||
					 strlen(w[1]) >= sizeof it->daemon))) {
			snprintf(err, errlen, "%s: bad daemon name '%s' (like smtp, smtpd, "
				 "qmgr or submission/smtpd)", w[0],
				 n > 2 ? it->key + strlen(w[0]) + 1 : w[1]);
			return -1;
		}
		if (n == 2)
			memcpy(it->daemon, w[1], strlen(w[1]) + 1);
		return ex_compile(it, value, 0, err, errlen);
	}
	if (!strcmp(w[0], "server")) {
		it->kind = EX_SERVER;
		if (n != 3) {
			snprintf(err, errlen, "server: expected 'server NAME FACT = VALUE'");
			return -1;
		}
		if (strspn(w[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789-_.") != strlen(w[1])) {
			snprintf(err, errlen, "server: bad server name '%s'", w[1]);
			return -1;
		}
		it->server = strdup(w[1]);
		return ex_server_parse(it, w[2], value, err, errlen);
	}
	if (!strcmp(w[0], "client") || !strcmp(w[0], "probe")) {
		int client = w[0][0] == 'c';

		it->kind = client ? EX_CLIENT : EX_PROBE;
		if (n < 3 || (n == 4 && !(client && !strcmp(w[2], "reply"))) || n > 4) {
			snprintf(err, errlen, client ?
				 "client: expected 'client NAME FACT = VALUE' or "
				 "'client NAME reply STAGE = CODE [REGEX]'" :
				 "probe: expected 'probe NAME finding = ID'");
			return -1;
		}
		if (strspn(w[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789-_") != strlen(w[1])) {
			snprintf(err, errlen, "%s: bad name '%s'", w[0], w[1]);
			return -1;
		}
		it->server = strdup(w[1]);
		return client ? ex_client_parse(it, w[2], n == 4 ? w[3] : NULL, value, err, errlen)
			      : ex_probe_parse(it, w[2], value, err, errlen);
	}
	snprintf(err, errlen, "unknown expectation '%s' (status, log, no-log, server, client, "
		 "probe)", w[0]);
	return -1;
}

static void
item_free(struct ex_item *it)
{
	free(it->text);
	free(it->key);
	free(it->value);
	free(it->why);
	free(it->ev.s);
	free(it->rcpt);
	free(it->server);
	if (it->has_re)
		regfree(&it->re);
	for (size_t i = 0; i < it->nslots; i++) {
		free(it->slots[i].rcpt);
		free(it->slots[i].ev.s);
		free(it->slots[i].mention.s);
	}
	free(it->slots);
}

struct ex_set *
ex_set_new(void)
{
	return calloc(1, sizeof(struct ex_set));
}

void
ex_set_free(struct ex_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		item_free(&s->items[i]);
	free(s->items);
	for (size_t i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	for (size_t i = 0; i < PID_SLOTS; i++) {
		for (size_t k = 0; k < PID_LINES; k++)
			free(s->pids[i].line[k]);
		free(s->pids[i].snap);
	}
	for (size_t i = 0; i < RECENT; i++)
		free(s->recent[i].line);
	free(s->res);
	free(s);
}

int
ex_parse(struct ex_set *s, int line, const char *key, const char *value,
	 char *err, size_t errlen)
{
	struct ex_item it = { 0 }, *p;
	char w[5][256];
	size_t n;

	if (!key || !value) {
		snprintf(err, errlen, "expected KEY = VALUE");
		return -1;
	}
	it.line = line;
	it.key = calloc(1, strlen(key) + 1);
	it.value = trimdup(value, strlen(value));
	if (!it.key || !it.value)
		goto oom;
	n = split_words(key, w, 4);	/* normalise spaces: "log  smtp" -> "log smtp" */
	for (size_t i = 0; i < n && i < 4; i++)
		sprintf(it.key + strlen(it.key), "%s%s", i ? " " : "", w[i]);
	if (n > 4)
		snprintf(it.key, strlen(key) + 1, "%s", key);
	if (parse_item(&it, it.value, err, errlen) < 0) {
		item_free(&it);
		return -1;
	}
	if (it.has_re && s->rx_size + it.rx_size > RX_FILE_SIZE_MAX) {
		snprintf(err, errlen, "%s: this regex and the ones before it are too big together "
			 "(%u positions, at most %d in one file)", it.key, s->rx_size + it.rx_size,
			 RX_FILE_SIZE_MAX);
		item_free(&it);
		return -1;
	}
	s->rx_size += it.rx_size;
	if (asprintf(&it.text, "%s = %s", it.key, it.value) < 0) {
		it.text = NULL;
		goto oom;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;

		if (!(p = realloc(s->items, cap * sizeof *p)))
			goto oom;
		s->items = p;
		s->cap = cap;
	}
	s->items[s->n++] = it;
	return 0;
oom:
	item_free(&it);
	snprintf(err, errlen, "out of memory");
	return -1;
}

size_t
ex_count(const struct ex_set *s)
{
	return s->n;
}

size_t
ex_server_refs(const struct ex_set *s, const char **names, size_t max)
{
	size_t n = 0, k;

	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i].kind != EX_SERVER)
			continue;
		for (k = 0; k < n && k < max; k++)
			if (!strcmp(names[k], s->items[i].server))
				break;
		if (k < n)
			continue;
		if (n < max)
			names[n] = s->items[i].server;
		n++;
	}
	return n;
}

size_t
ex_status_list(const struct ex_set *s, const char **rcpt, int *line, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i].kind != EX_STATUS)
			continue;
		if (n < max) {
			rcpt[n] = s->items[i].rcpt;
			line[n] = s->items[i].line;
		}
		n++;
	}
	return n;
}

static void
reset_slots(struct ex_item *it)
{
	for (size_t i = 0; i < it->nslots; i++) {
		free(it->slots[i].rcpt);
		free(it->slots[i].ev.s);
		free(it->slots[i].mention.s);
	}
	free(it->slots);
	it->slots = NULL;
	it->nslots = 0;
	it->slots_ready = 0;
}

void
ex_set_recipients(struct ex_set *s, const char *const *rcpt, size_t n)
{
	char a[256];

	for (size_t i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->nrcpts = 0;
	s->rcpts = calloc(n ? n : 1, sizeof *s->rcpts);
	for (size_t i = 0; s->rcpts && i < n; i++)
		if (strip_addr(a, sizeof a, rcpt[i]) == 0 && (s->rcpts[s->nrcpts] = strdup(a)))
			s->nrcpts++;
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].kind == EX_STATUS && !s->items[i].rcpt)
			reset_slots(&s->items[i]);
}

size_t
ex_results(const struct ex_set *s, const struct ex_result **out)
{
	struct ex_set *w = (struct ex_set *)s;	/* the cache is not the set's value */
	struct ex_result *r = realloc(w->res, (s->n ? s->n : 1) * sizeof *r);

	*out = NULL;
	if (!r)
		return 0;
	w->res = r;
	for (size_t i = 0; i < s->n; i++) {
		const struct ex_item *it = &s->items[i];

		r[i].line = it->line;
		r[i].text = it->text;
		r[i].passed = it->state == 1;
		r[i].why = it->state == 1 ? "" : it->state == 0 ? "not decided yet" :
			   it->why ? it->why : "failed";
		r[i].evidence = ex_sb_str(&it->ev);
	}
	*out = r;
	return s->n;
}

int
ex_all_passed(const struct ex_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].state != 1)
			return 0;
	return 1;
}
