/*
 * rxcheck.c: the bounded regex dialect of scenario files (rxcheck.h).
 *
 * Offers rx_check (is a pattern in the dialect, and how big is it) and
 * rx_compile (check, then regcomp): every regex of a scenario is compiled
 * through rx_compile, so regcomp never sees a pattern that was not checked.
 *
 * Why. glibc's regcomp expands counted repetition by copying the repeated
 * part (a{3} becomes aaa, X+ becomes XX*, X{2,4} becomes XX(X(X)?)?), so
 * stacked quantifiers double the pattern each time: a+ twenty-four times
 * over is 2^24 copies, gigabytes before the first match. It then keeps, for
 * every position of the expanded pattern, the set of positions reachable
 * without reading a character (its epsilon closure, and the inverse set):
 * up to N * N entries for N positions. Anchors make it worse: the
 * positions behind an anchor are copied with its condition, \b or \<
 * inside a repetition measured 25 bytes per N^2, and ^ before a group that
 * can match the empty string grows faster than N^3 (below).
 *
 * The dialect: POSIX extended regexes, minus what can blow up.
 *  - At most RX_LEN_MAX bytes.
 *  - A quantifier (* + ? {M} {M,} {M,N}) follows an atom: a character, ".",
 *    a bracket expression, an escape, or a group. Not the start of the
 *    regex, of a group or of an alternative, not an anchor, and not another
 *    quantifier: a++, a*?, a{2}* and a+{2} are refused.
 *  - Intervals are {M}, {M,} or {M,N} with 0 <= M <= N <= RX_COUNT_MAX; a
 *    brace that does not start one is written \{.
 *  - No back-references (\1 to \9: exponential matching in glibc), no word
 *    or buffer anchors (\b \B \< \> \` \'), and no other backslash-letter
 *    or backslash-digit (\d is a plain "d" to glibc: write [0-9]) except
 *    the classes \w \W \s \S. A backslash before anything else is that
 *    character.
 *  - ^ only first in the regex or in a top-level alternative, $ only last
 *    in one: never inside a group, so never repeated. After ^ comes the
 *    end, |, $, or an atom that is a character, ".", a bracket expression
 *    or an escape and is not optional (no *, ?, {0,N}): glibc copies the
 *    positions that follow an anchor without reading a character once per
 *    path to them, and ^((|a)?){80} measured 50 MiB (^((|a)?){142}, 450).
 *    With a solid atom after it, ^ reaches that one position. What $
 *    reaches is the end alone.
 *  - Groups nested at most RX_DEPTH_MAX deep; every ( has its ) and a
 *    literal parenthesis is \( or \).
 *  - The size, an upper bound of glibc's positions for the pattern
 *    (nodes of its NFA), is at most RX_SIZE_MAX. A character, "." or an
 *    anchor counts 1, a bracket or class escape 3 (a multibyte locale
 *    makes it three nodes), a group its content + 2 (open and close), each
 *    | 1, and the end 1; X* and X? count size(X) + 1, X+ 2 size(X) + 1,
 *    X{M} M size(X), X{M,} (M + 1) size(X) + 1, X{M,N} N size(X) + N - M:
 *    exactly the copies glibc's parse_dup_op makes.
 * With N <= 1000 positions the closures hold at most 2 N^2 indexes; glibc
 * 2.36 measured at most about 6 MiB for the worst shapes the dialect lets
 * through (tests/unit/test_expect.c compiles them), and a scenario's
 * regexes together may have at most RX_FILE_SIZE_MAX positions (checked by
 * the caller, expect.c), so one file's regexes stay within some 30 MiB.
 * Parsing here is recursive only through groups (depth <= RX_DEPTH_MAX).
 *
 * Errors: the reason, with the 1-based byte where it was found.
 */
#include <stdio.h>
#include <string.h>

#include "rxcheck.h"

#define CAP (RX_SIZE_MAX + 1ULL)	/* sizes saturate here: no overflow */

struct rxp {
	const char *s;
	size_t i;
	int depth;
	char *err;
	size_t errlen;
	int bad;
};

static unsigned long long
sat(unsigned long long n)
{
	return n > CAP ? CAP : n;
}

/* Note the first problem: "WHY at byte N" (WHY may hold one %c: c). */
static unsigned long long
fail(struct rxp *p, size_t at, const char *why, char c)
{
	char text[300];

	if (!p->bad) {
		snprintf(text, sizeof text, why, c);
		snprintf(p->err, p->errlen, "%s at byte %zu", text, at + 1);
		p->bad = 1;
	}
	return CAP;
}

#define SOLID "after '^' comes a character, '.', a bracket expression or an escape " \
	      "that is not optional (no group, no *, ? or {0,N} on it)"
#define BAD_INTERVAL "bad interval ({M}, {M,} or {M,N}, counts 0 to 1000; " \
		     "a literal brace is \\{)"

static int
is_quant(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* A count of an interval at p->i: 1 to 4 digits, at most RX_COUNT_MAX. */
static int
count(struct rxp *p, unsigned *n)
{
	const char *s = p->s;
	size_t start = p->i;

	*n = 0;
	while (s[p->i] >= '0' && s[p->i] <= '9') {
		if (p->i - start >= 4)
			return -1;
		*n = *n * 10 + (unsigned)(s[p->i++] - '0');
	}
	return p->i > start && *n <= RX_COUNT_MAX ? 0 : -1;
}

/* The quantifier at p->i applied to an atom of size w; *min is the
 * least number of times it repeats the atom. */
static unsigned long long
quantify(struct rxp *p, unsigned long long w, unsigned *min)
{
	size_t at = p->i;
	unsigned m, n;
	int open;

	*min = 1;
	switch (p->s[p->i++]) {
	case '*':
	case '?':
		*min = 0;
		return sat(w + 1);
	case '+':
		return sat(2 * w + 1);
	default:	/* '{' */
		break;
	}
	if (count(p, &m) < 0)
		return fail(p, at, BAD_INTERVAL, 0);
	n = m;
	open = 0;
	if (p->s[p->i] == ',') {
		p->i++;
		if (p->s[p->i] == '}')
			open = 1;
		else if (count(p, &n) < 0)
			return fail(p, at, BAD_INTERVAL, 0);
	}
	if (p->s[p->i] != '}')		/* not past the end of the regex */
		return fail(p, at, BAD_INTERVAL, 0);
	p->i++;
	*min = m;
	if (open)
		return m == 0 ? sat(w + 1) : sat((m + 1ULL) * w + 1);
	if (m > n)
		return fail(p, at, "bad interval (the minimum is larger than the maximum)", 0);
	return sat(n * w + (n - m));
}

/* A bracket expression at p->i ('['), the way glibc delimits one: a ']'
 * right after "[" or "[^" is a member, [:...:] [.....] [=...=] are single
 * members, and a backslash is an ordinary character. */
static unsigned long long
bracket(struct rxp *p)
{
	const char *s = p->s;
	size_t at = p->i, j = p->i + 1;

	if (s[j] == '^')
		j++;
	if (s[j] == ']')
		j++;
	while (s[j] && s[j] != ']') {
		if (s[j] == '[' && s[j + 1] && strchr(":.=", s[j + 1])) {
			char d = s[j + 1];
			size_t k = j + 2;

			while (s[k] && !(s[k] == d && s[k + 1] == ']'))
				k++;
			if (!s[k])
				break;
			j = k + 2;
		} else
			j++;
	}
	if (s[j] != ']')
		return fail(p, at, "unclosed '['", 0);
	p->i = j + 1;
	return 3;
}

/* An escape at p->i ('\\'). */
static unsigned long long
escape(struct rxp *p)
{
	size_t at = p->i;
	char c = p->s[p->i + 1];

	if (!c)
		return fail(p, at, "a backslash ends the regex", 0);
	p->i += 2;
	if (c >= '1' && c <= '9')
		return fail(p, at, "back-reference \\%c is not allowed", c);
	if (strchr("bB<>`'", c))
		return fail(p, at, "anchor \\%c is not allowed (only ^ and $, at the ends)", c);
	if (strchr("wWsS", c))
		return 3;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return fail(p, at, "\\%c is not POSIX (write [0-9], [[:space:]] and the like; "
			    "\\w \\W \\s \\S are allowed)", c);
	return 1;
}

static unsigned long long alternatives(struct rxp *p, int top);

/* One alternative: atoms, each with at most one quantifier. */
static unsigned long long
branch(struct rxp *p, int top)
{
	const char *s = p->s;
	unsigned long long w = 0, a;
	unsigned min;
	int first = 1, solid = 0;	/* solid: the atom after ^ */

	while (!p->bad && s[p->i] && s[p->i] != '|' && s[p->i] != ')') {
		size_t at = p->i;
		char c = s[p->i];

		if (is_quant(c))
			return fail(p, at, "'%c' has nothing to repeat", c);
		if (c == '^' || c == '$') {
			p->i++;
			if (c == '^' && !(top && first))
				return fail(p, at, "'^' is allowed only first in the regex or in "
					    "a top-level alternative", 0);
			if (c == '$' && !(top && (!s[p->i] || s[p->i] == '|')))
				return fail(p, at, "'$' is allowed only last in the regex or in "
					    "a top-level alternative", 0);
			if (is_quant(s[p->i]))
				return fail(p, p->i, "'%c' has nothing to repeat (an anchor)",
					    s[p->i]);
			w = sat(w + 1);
			first = 0;
			solid = c == '^';
			continue;
		}
		first = 0;
		if (c == '(' && solid)
			return fail(p, at, SOLID, 0);
		if (c == '(') {
			if (p->depth >= RX_DEPTH_MAX)
				return fail(p, at, "groups nested more than 16 deep", 0);
			p->i++;
			p->depth++;
			a = alternatives(p, 0);
			p->depth--;
			if (p->bad)
				return CAP;
			if (s[p->i] != ')')
				return fail(p, at, "unclosed '('", 0);
			p->i++;
			a = sat(a + 2);
		} else if (c == '[')
			a = bracket(p);
		else if (c == '\\')
			a = escape(p);
		else {
			p->i++;
			a = 1;
		}
		if (p->bad)
			return CAP;
		if (is_quant(s[p->i])) {
			size_t q = p->i;

			a = quantify(p, a, &min);
			if (!p->bad && solid && min == 0)
				return fail(p, q, SOLID, 0);
			if (!p->bad && is_quant(s[p->i]))
				return fail(p, p->i, "'%c' follows another quantifier (stacked "
					    "quantifiers such as a++, a*?, a{2}* are not allowed)",
					    s[p->i]);
		}
		w = sat(w + a);
		solid = 0;
	}
	return w;
}

static unsigned long long
alternatives(struct rxp *p, int top)
{
	unsigned long long w = branch(p, top);

	while (!p->bad && p->s[p->i] == '|') {
		p->i++;
		w = sat(w + 1 + branch(p, top));
	}
	return w;
}

int
rx_check(const char *pat, unsigned *size, char *err, size_t errlen)
{
	struct rxp p = { pat, 0, 0, err, errlen, 0 };
	size_t len = strlen(pat);
	unsigned long long w;

	if (len > RX_LEN_MAX) {
		snprintf(err, errlen, "%zu bytes long (at most %d)", len, RX_LEN_MAX);
		return -1;
	}
	w = alternatives(&p, 1);
	if (!p.bad && pat[p.i] == ')')
		fail(&p, p.i, "unmatched ')' (a literal parenthesis is \\))", 0);
	if (p.bad)
		return -1;
	w = sat(w + 1);
	if (w > RX_SIZE_MAX) {
		snprintf(err, errlen, "too big once its repetitions are expanded (more than %d "
			 "positions: {M,N}, + and nested counts multiply)", RX_SIZE_MAX);
		return -1;
	}
	if (size)
		*size = (unsigned)w;
	return 0;
}

int
rx_compile(regex_t *re, const char *pat, int cflags, unsigned *size, char *err, size_t errlen)
{
	char why[400];
	int rc;

	if (rx_check(pat, size, why, sizeof why) < 0) {
		snprintf(err, errlen, "bad regex '%.60s%s': %s", pat, strlen(pat) > 60 ? "..." : "",
			 why);
		return -1;
	}
	if ((rc = regcomp(re, pat, cflags | REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, re, why, sizeof why);
		regfree(re);
		snprintf(err, errlen, "bad regex '%.60s%s': %s", pat, strlen(pat) > 60 ? "..." : "",
			 why);
		return -1;
	}
	return 0;
}
