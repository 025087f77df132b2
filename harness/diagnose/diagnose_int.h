/*
 * diagnose_int.h: the state of an mxlab_diagnose, shared by
 * diagnose_input.c (the handle, bytes into lines), diagnose.c (each line
 * read, linked, aggregated; the results) and diagnose_report.c (text,
 * JSON).
 */
#ifndef MX_DIAGNOSE_INT_H
#define MX_DIAGNOSE_INT_H

#include <stddef.h>

#include "mxlab/diagnose.h"
#include "maillog.h"
#include "tlscause.h"

#define DG_LINE_MAX 8192	/* longer lines are cut */
#define DG_MAX_AGG 4096		/* destinations x causes kept apart */
#define DG_AGG_LIMIT (DG_MAX_AGG + 2 * TC_COUNT)	/* and every fold */
#define DG_PENDING 256		/* in-flight smtp[PID] / smtpd[PID] links */
#define DG_QIDS 4096		/* queue IDs remembered */
#define DG_NOTES 20
#define DG_OTHER "(other destinations)"
#define DG_RPT_MAX 1024		/* TLS-RPT rows: domain x MX x address x cause */
#define DG_STS_MAX 256		/* domains whose MTA-STS policy was used */

/* Where an aggregate's lines came from (dg_agg.smtpd). */
enum { DG_SMTP = 0, DG_SMTPD = 1, DG_STS = 2 };
/* A TLS-RPT row's policy type. */
enum { DG_PT_NONE = 0, DG_PT_TLSA = 1, DG_PT_STS = 2 };

/* TLS-RPT (diagnose_tlsrpt.c): the sessions of one recipient domain
 * through one MX address, successful or failed for one cause. */
struct dg_rpt {
	char domain[256];		/* lowercase */
	char host[256];
	char ip[64];
	int cause;			/* enum tc_key of the failure; -1 success */
	int ptype;			/* DG_PT_*: tlsa for a DANE failure, sts
					   for the resolver's, else none (sts
					   when the domain's policy was used) */
	unsigned long long sessions;
	unsigned hash;			/* of the four keys */
};

/* smtp[PID]'s "TLS connection established to HOST[IP]:PORT", until the
 * session's first delivery line says whether it failed and for whom. */
struct dg_est {
	int used;
	long pid;
	unsigned long long seq;
	char host[256];
	char ip[64];
};

struct dg_agg {
	int smtpd;			/* DG_SMTP, DG_SMTPD or DG_STS */
	enum tc_key cause;
	char dest[256];
	char domain[256];
	unsigned long long count, deferred, bounced, sent, expired, other, messages;
	char first[40], last[40];
	char example[512];
	char where[300];
	char guide[64];
	unsigned hash;
};

struct dg_pending {
	int used, smtpd;
	int linked;			/* smtp: a delivery took its cause; later
					   recipients of the session share it */
	long pid;
	unsigned long long seq;		/* when last touched: the oldest is evicted */
	enum tc_key cause;
	char host[256];
	char time[40];
	char example[512];
	char where[300];
};

struct dg_qid {
	char id[32];
	int agg;			/* index into aggs, -1 none */
};

struct mxlab_diagnose {
	struct dg_agg *aggs;		/* grown by doubling, up to DG_AGG_LIMIT */
	size_t naggs, capaggs;
	int *slots;			/* open addressing, 2 x DG_MAX_AGG + spare */
	size_t nslots;
	struct dg_agg **order;		/* sorted by mxlab_diagnose_finish */
	size_t norder;
	struct dg_pending pending[DG_PENDING];
	struct dg_qid qids[DG_QIDS];
	struct mxlab_diagnose_stats st;
	unsigned long long seq;
	/* TLS-RPT */
	struct dg_rpt *rpts;		/* grown by doubling, up to DG_RPT_MAX */
	size_t nrpts, caprpts;
	unsigned long long rpt_lost;	/* sessions not counted for room */
	char rpt_domain[256];		/* only this domain's sessions; "" all */
	char sts[DG_STS_MAX][256];	/* domains with an MTA-STS policy used */
	size_t nsts;
	struct dg_est est[DG_PENDING];
	char first_time[40], last_time[40];	/* of the Postfix lines, as logged */
	long long first_key, last_key;	/* the earliest and latest, sortable */
	char last_read[40];		/* the time of the line before */
	/* the current input */
	char name[256];
	unsigned long long lineno;
	char *buf;			/* DG_LINE_MAX + 1 */
	size_t len;
	int cut;			/* the current line was cut */
	struct mta_event *ev;		/* the line being read, parsed */
	char notes[DG_NOTES][320];
	size_t nnotes;
};

/* diagnose.c: one line of text (no control bytes, no newline), read. */
void dg_line(mxlab_diagnose *d, const char *line, size_t len);

/* diagnose_sts.c: the line in d->ev (ev->line, as ml_parse_line copied
 * it; parsed: it had a syslog or journal prefix, ev->text the rest), if
 * it is one of the MTA-STS resolver's: 1 (counted, and read), else 0. */
int dg_sts_line(mxlab_diagnose *d, int parsed);
/* diagnose_sts.c: did the resolver use domain's (lowercase) policy? */
int dg_sts_policy(const mxlab_diagnose *d, const char *domain);
/* diagnose.c: a policy the resolver could not use, counted under the
 * domain's MTA-STS aggregate for cause, and as a TLS-RPT failure. */
void dg_sts_count(mxlab_diagnose *d, const char *domain, enum tc_key cause, const char *time,
		  const char *example, const char *where);

/* diagnose_tlsrpt.c: one session of domain through host[ip] counted,
 * failed for cause (enum tc_key) or successful (cause -1). */
void dg_rpt_count(mxlab_diagnose *d, const char *domain, const char *host, const char *ip,
		  int cause);
/* diagnose_tlsrpt.c: the time of a Postfix line, as logged, for the
 * report's date range. */
void dg_rpt_time(mxlab_diagnose *d, const char *time);

#endif
