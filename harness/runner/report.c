/*
 * report.c: terminal, TAP, JUnit XML and JSON reports of `mxlab run`
 * (see report.h); the HTML one is report_html.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "mta.h"
#include "report.h"

static const char *
status_word(enum rn_status s)
{
	switch (s) {
	case RN_PASS: return "PASS";
	case RN_FAIL: return "FAIL";
	case RN_ERROR: return "ERROR";
	case RN_SKIP: return "SKIP";
	}
	return "?";
}

/* Print text with a prefix before every line. */
static void
indent(FILE *fp, const char *prefix, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		fprintf(fp, "%s%.*s\n", prefix, (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

static void
details(FILE *fp, const char *pfx, const struct rp_entry *e)
{
	char p2[32], p3[32];

	snprintf(p2, sizeof p2, "%s  ", pfx);
	snprintf(p3, sizeof p3, "%s  | ", pfx);
	if (e->res.message)
		indent(fp, pfx, e->res.message);
	for (size_t i = 0; i < e->res.nchecks; i++) {
		const struct rn_check *c = &e->res.checks[i];

		if (c->passed)
			continue;
		fprintf(fp, "%s%s:%d: %s\n", pfx, e->sc->file, c->line, c->text);
		indent(fp, p2, c->why);
		indent(fp, p3, c->evidence);
	}
	if (e->res.kept && e->res.status != RN_SKIP)
		fprintf(fp, "%skept: %s (%s: %s/%s/%s)\n", pfx, e->res.dir,
			e->sc->mta_driver == &mta_postfix ? "maillog" : "log", e->res.dir,
			e->sc->mta_driver->name, e->sc->mta_driver->log_rel);
}

void
rp_begin(const struct rp_options *o, size_t total)
{
	if (o->tap && o->out) {
		fprintf(o->out, "1..%zu\n", total);
		fflush(o->out);
	}
}

void
rp_one(const struct rp_options *o, size_t number, const struct rp_entry *e)
{
	FILE *fp = o->out;

	if (!fp)
		return;
	if (o->tap) {
		if (e->res.status == RN_SKIP)
			fprintf(fp, "ok %zu - %s # SKIP %s\n", number, e->label, e->res.message);
		else
			fprintf(fp, "%s %zu - %s (%.2fs)\n", e->res.status == RN_PASS ? "ok" : "not ok",
				number, e->label, e->res.seconds);
		if (e->res.status == RN_FAIL || e->res.status == RN_ERROR)
			details(fp, "# ", e);
		fflush(fp);
		return;
	}
	if (e->res.status == RN_SKIP)
		fprintf(fp, "SKIP  %-44s %s\n", e->label, e->res.message);
	else
		fprintf(fp, "%-5s %-44s %6.2fs\n", status_word(e->res.status), e->label, e->res.seconds);
	if (e->res.status == RN_FAIL || e->res.status == RN_ERROR)
		details(fp, "      ", e);
	fflush(fp);
}

static void
xml_text(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '&': fputs("&amp;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', fp);
			else
				fputc(*s, fp);
		}
	}
}

/* The TLS failures of r's maillog (runner_tls.c). */
static size_t
nfailures(const struct rn_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ntls; i++)
		n += r->tls[i].failure != 0;
	return n;
}

/* Each TLS failure of r as a property of its testcase, named by its RFC
 * 8460 result type (docs/runner.md). */
static void
junit_tls(FILE *fp, const struct rn_result *r)
{
	if (!nfailures(r))
		return;
	fputs("    <properties>\n", fp);
	for (size_t i = 0; i < r->ntls; i++) {
		if (!r->tls[i].failure)
			continue;
		fputs("      <property name=\"tlsrpt-result-type\" value=\"", fp);
		xml_text(fp, r->tls[i].result_type);
		fputs("\"/>\n      <property name=\"tls-cause\" value=\"", fp);
		xml_text(fp, r->tls[i].cause);
		fputs("\"/>\n", fp);
	}
	fputs("    </properties>\n", fp);
}

/* A failed or broken scenario's <failure> or <error>: its message and
 * each failed check with its evidence. */
static void
junit_failure(FILE *fp, const struct rp_entry *e)
{
	fprintf(fp, "    <%s message=\"", e->res.status == RN_FAIL ? "failure" : "error");
	xml_text(fp, e->res.message ? e->res.message : "expectations failed");
	fputs("\">", fp);
	for (size_t c = 0; c < e->res.nchecks; c++) {
		const struct rn_check *k = &e->res.checks[c];

		if (k->passed)
			continue;
		fprintf(fp, "%s:%d: ", e->sc->file, k->line);
		xml_text(fp, k->text);
		fputs("\n", fp);
		xml_text(fp, k->why);
		fputs("\n", fp);
		xml_text(fp, k->evidence);
		fputs("\n", fp);
	}
	fprintf(fp, "</%s>\n", e->res.status == RN_FAIL ? "failure" : "error");
}

static int
write_junit(const struct rp_options *o, const char *path, const struct rp_entry *e, size_t n,
	    double seconds)
{
	FILE *fp = fopen(path, "w");
	size_t fails = 0, errors = 0, skips = 0;

	if (!fp) {
		if (o->diag)
			fprintf(o->diag, "mxlab run: --junit %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		fails += e[i].res.status == RN_FAIL;
		errors += e[i].res.status == RN_ERROR;
		skips += e[i].res.status == RN_SKIP;
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites>\n<testsuite name=\"mxlab\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", n, fails, errors, skips, seconds);
	if (o->shard_n)
		fprintf(fp, "  <properties>\n    <property name=\"shard\" value=\"%d/%d\"/>\n"
			"  </properties>\n", o->shard_k, o->shard_n);
	for (size_t i = 0; i < n; i++) {
		fputs("  <testcase classname=\"mxlab.scenarios\" name=\"", fp);
		xml_text(fp, e[i].label);
		fprintf(fp, "\" time=\"%.3f\"", e[i].res.seconds);
		if (e[i].res.status == RN_PASS && !nfailures(&e[i].res)) {
			fputs("/>\n", fp);
			continue;
		}
		fputs(">\n", fp);
		junit_tls(fp, &e[i].res);
		if (e[i].res.status == RN_SKIP) {
			fputs("    <skipped message=\"", fp);
			xml_text(fp, e[i].res.message);
			fputs("\"/>\n", fp);
		} else if (e[i].res.status != RN_PASS) {
			junit_failure(fp, &e[i]);
		}
		fputs("  </testcase>\n", fp);
	}
	fputs("</testsuite>\n</testsuites>\n", fp);
	if (fclose(fp) != 0) {
		if (o->diag)
			fprintf(o->diag, "mxlab run: --junit %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_json(const struct rp_options *o, const char *path, const struct rp_entry *e, size_t n,
	   double seconds)
{
	static const char *const words[] = { "pass", "fail", "error", "skip" };
	struct jw w;
	FILE *fp;
	int r = 0;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "tool", "mxlab run");
	jw_key(&w, "seconds");
	jw_double(&w, seconds);
	if (o->shard_n) {
		jw_key(&w, "shard");
		jw_obj_begin(&w);
		jw_kint(&w, "index", o->shard_k);
		jw_kint(&w, "total", o->shard_n);
		jw_obj_end(&w);
	}
	jw_key(&w, "scenarios");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const struct rn_result *res = &e[i].res;

		jw_obj_begin(&w);
		jw_kstr(&w, "name", e[i].label);
		jw_kstr(&w, "file", e[i].sc->file);
		jw_kstr(&w, "summary", e[i].sc->summary);
		jw_kstr(&w, "status", words[res->status]);
		jw_key(&w, "seconds");
		jw_double(&w, res->seconds);
		if (res->message)
			jw_kstr(&w, "message", res->message);
		if (res->kept)
			jw_kstr(&w, "dir", res->dir);
		jw_key(&w, "seed");
		jw_arr_begin(&w);
		for (size_t s = 0; s < e[i].sc->nseed; s++)
			jw_str(&w, e[i].sc->seed[s]);
		jw_arr_end(&w);
		jw_key(&w, "checks");
		jw_arr_begin(&w);
		for (size_t c = 0; c < res->nchecks; c++) {
			jw_obj_begin(&w);
			jw_kint(&w, "line", res->checks[c].line);
			jw_kstr(&w, "text", res->checks[c].text);
			jw_kbool(&w, "passed", res->checks[c].passed);
			if (!res->checks[c].passed)
				jw_kstr(&w, "why", res->checks[c].why);
			/* passed or failed: the lines or facts that decided it */
			jw_kstr(&w, "evidence", res->checks[c].evidence);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		/* the maillog's TLS outcomes, as mxlab diagnose names them */
		jw_key(&w, "tls-results");
		jw_arr_begin(&w);
		for (size_t t = 0; t < res->ntls; t++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "daemon", res->tls[t].daemon);
			jw_kstr(&w, "destination", res->tls[t].destination);
			jw_kstr(&w, "cause", res->tls[t].cause);
			jw_kstr(&w, "result-type", res->tls[t].result_type);
			jw_kbool(&w, "failure", res->tls[t].failure);
			jw_kint(&w, "count", (long long)res->tls[t].count);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_key(&w, "timings_ms");
		jw_obj_begin(&w);
		for (size_t t = 0; t < res->ntimings; t++)
			jw_kint(&w, res->timings[t].name, res->timings[t].ms);
		jw_obj_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_raw(&w, "\n");
	if (w.failed || !(fp = fopen(path, "w")) || fputs(w.buf, fp) < 0 || fclose(fp) != 0) {
		if (o->diag)
			fprintf(o->diag, "mxlab run: --json %s: %s\n", path,
				w.failed ? "out of memory" : strerror(errno));
		r = -1;
	}
	jw_free(&w);
	return r;
}

int
rp_end(const struct rp_options *o, const struct rp_entry *e, size_t n, double seconds,
       const char *workdir, int interrupted)
{
	size_t pass = 0, fail = 0, skip = 0;
	char shard[48] = "";
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		pass += e[i].res.status == RN_PASS;
		fail += e[i].res.status == RN_FAIL || e[i].res.status == RN_ERROR;
		skip += e[i].res.status == RN_SKIP;
	}
	if (o->junit && write_junit(o, o->junit, e, n, seconds) < 0)
		r = -1;
	if (o->json && write_json(o, o->json, e, n, seconds) < 0)
		r = -1;
	if (o->html && rp_html(o->html, o, e, n, seconds) < 0) {
		if (o->diag)
			fprintf(o->diag, "mxlab run: --html: %s\n", strerror(errno));
		r = -1;
	}
	if (o->shard_n)
		snprintf(shard, sizeof shard, "shard %d/%d: ", o->shard_k, o->shard_n);
	if (!o->out)
		return r;
	if (o->tap) {
		fprintf(o->out, "# %s%zu passed, %zu failed, %zu skipped in %.2fs%s\n", shard, pass,
			fail, skip, seconds, interrupted ? " (interrupted)" : "");
		fflush(o->out);
		return r;
	}
	fprintf(o->out, "\n%zu scenarios in %.2fs%s", n, seconds, interrupted ? " (interrupted)" : "");
	if (workdir)
		fprintf(o->out, "; work directory %s%s", workdir,
			fail ? " (failed scenarios kept there)" : "");
	fprintf(o->out, "\nmxlab: %s%zu passed, %zu failed, %zu skipped\n", shard, pass, fail, skip);
	fflush(o->out);
	return r;
}
