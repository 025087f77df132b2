/*
 * rxcheck.h: the bounded regex dialect of scenario files, and the one place
 * a scenario regex is compiled (rx_compile). The rules and why they are
 * enough for glibc's regcomp are in rxcheck.c and docs/scenario-format.md.
 */
#ifndef MX_RXCHECK_H
#define MX_RXCHECK_H

#include <regex.h>
#include <stddef.h>

#define RX_LEN_MAX	1000	/* bytes in one regex */
#define RX_SIZE_MAX	1000	/* positions of one regex, repetitions expanded */
#define RX_DEPTH_MAX	16	/* groups inside groups */
#define RX_COUNT_MAX	1000	/* the largest M or N of {M,N} */
#define RX_FILE_SIZE_MAX 5000	/* positions of all the regexes of one scenario */

/* Is pat in the dialect? 0 with *size (its positions, see rxcheck.c) set,
 * or -1 with the reason in err ("'+' at byte 3 follows ..."). Nothing is
 * compiled. */
int rx_check(const char *pat, unsigned *size, char *err, size_t errlen);

/* rx_check, then regcomp(re, pat, cflags | REG_EXTENDED | REG_NOSUB).
 * 0, or -1 with err set ("bad regex 'PAT': why", re not to be freed);
 * *size as rx_check's (may be NULL). */
int rx_compile(regex_t *re, const char *pat, int cflags, unsigned *size,
	       char *err, size_t errlen);

#endif
