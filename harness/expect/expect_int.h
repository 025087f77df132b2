/*
 * expect_int.h: what expect.c, expect_feed.c and expect_server.c share (not an API).
 */
#ifndef MX_EXPECT_INT_H
#define MX_EXPECT_INT_H

#include <regex.h>
#include <stddef.h>

#include "expect.h"
#include "rxcheck.h"

#define EX_SB_MAX 16384		/* longest why / evidence text */

/* A bounded text of '\n'-separated lines. */
struct ex_sb {
	char *s;
	size_t len;
	const char *sep;		/* between entries; NULL: "\n" */
};
void ex_sb_add(struct ex_sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *ex_sb_str(const struct ex_sb *b);

enum ex_kind { EX_STATUS, EX_LOG, EX_NOLOG, EX_SERVER, EX_CLIENT, EX_PROBE };
enum ex_fact { EX_F_TLS, EX_F_HANDSHAKE, EX_F_SNI, EX_F_CHAIN, EX_F_CERTS,
	       EX_F_VERSION, EX_F_MESSAGES, EX_F_BODY,
	       EX_F_DISCARDED, EX_F_REQUESTS };
/* client NAME FACT, probe NAME FACT */
enum ex_cfact { EX_C_REPLY, EX_C_STOPPED, EX_C_TLS, EX_C_VERSION, EX_C_CAPS_BEFORE,
	       EX_C_NO_CAPS_BEFORE, EX_C_CAPS_AFTER, EX_C_NO_CAPS_AFTER, EX_C_CHAIN,
	       EX_C_SUBJECT, EX_C_ISSUER, EX_C_VERIFY, EX_C_REASONS, EX_C_RESUMED,
	       EX_C_SNI,
	       /* probe NAME FACT */
	       EX_P_FINDING, EX_P_NO_FINDING };

/* One recipient of a status expectation. */
struct ex_slot {
	char *rcpt;
	int state;			/* 0 undecided, 1 matched, 2 did not */
	char qid[32];			/* expired: the deferred queue ID waited on */
	char dsn[16];			/* ... and its DSN */
	char seen[64];			/* "sent 2.0.0" */
	struct ex_sb ev;		/* status lines and their TLS lines */
	struct ex_sb mention;		/* lines naming the recipient */
	int nmention;
};

struct ex_item {
	int line;
	char *key;			/* normalised: "log smtp" */
	char *value;			/* trimmed */
	char *text;			/* "key = value" */
	enum ex_kind kind;
	int state;			/* 0 undecided, 1 passed, 2 failed */
	char *why;
	struct ex_sb ev;
	/* status */
	char *rcpt;			/* NULL: every recipient */
	char want[16];
	char dsn[16];
	struct ex_slot *slots;
	size_t nslots;
	int slots_ready;
	/* log, no-log, server body */
	char daemon[64];
	regex_t re;
	int has_re;
	unsigned rx_size;		/* its positions (rxcheck.h) */
	int nmatch;
	unsigned long nlines;		/* no-log: the lines of its daemon looked at */
	/* server, client, probe */
	char *server;			/* the name of the server, client or probe */
	int stage;			/* client reply: the stage */
	enum ex_cfact cfact;		/* client and probe facts */
	enum ex_fact fact;
	long num;			/* certificates, messages; tls: yes=1 */
	char arg[64];			/* tls-version normalised, sni lowercased */
};

#define PID_SLOTS	16	/* PIDs whose recent lines are kept */
#define PID_LINES	8	/* lines kept per PID */
#define RECENT		32	/* recent lines, any daemon */
#define MENTIONS	6	/* lines kept per recipient */
#define NOLOG_LINES	5	/* lines kept per failed no-log */

struct pidring {
	long pid;
	unsigned long used;		/* LRU tick; 0: free */
	char *line[PID_LINES];
	unsigned long seq[PID_LINES];
	unsigned char tls[PID_LINES];	/* the line is about TLS */
	size_t head;
	unsigned long mark;		/* lines up to here belong to an earlier delivery */
	char qid[32];			/* queue ID of the last delivery */
	char *snap;			/* its TLS lines */
};

struct recent {
	char daemon[32];
	char *line;
};

struct ex_set {			/* the set (expect.h) */
	struct ex_item *items;
	size_t n, cap;
	char **rcpts;
	size_t nrcpts;
	struct pidring pids[PID_SLOTS];
	unsigned long tick;
	struct recent recent[RECENT];
	size_t rhead;
	struct ex_result *res;
	unsigned rx_size;		/* positions of all the regexes */
};

void ex_set_why(struct ex_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Compile pat into it->re (rx_compile: the bounded dialect; cflags such as
 * REG_NEWLINE), set has_re and rx_size; 0, or -1 with "KEY: why" in err. */
int ex_compile(struct ex_item *it, const char *pat, int cflags, char *err, size_t errlen);
/* "TLSv1.2", "tlsv1.2" or "1.2" (1.0 to 1.3) into out as "TLSv1.2"; 0 or -1. */
int ex_tls_version(const char *v, char *out, size_t outlen);

/* expect_feed.c */
void ex_ensure_slots(struct ex_set *s);

/* expect_server.c */
int ex_server_parse(struct ex_item *it, const char *fact, const char *value,
		    char *err, size_t errlen);
void ex_server_eval(struct ex_item *it, const struct ex_server *servers, size_t n);

/* expect_client.c */
int ex_client_parse(struct ex_item *it, const char *fact, const char *stage,
		    const char *value, char *err, size_t errlen);
void ex_client_eval(struct ex_item *it, const struct ex_client *clients, size_t n);
int ex_probe_parse(struct ex_item *it, const char *fact, const char *value,
		   char *err, size_t errlen);
void ex_probe_eval(struct ex_item *it, const struct ex_probe *probes, size_t n);

#endif
