/*
 * fuzz_diagnose.c: libFuzzer target for mxlab diagnose's reader
 * (harness/diagnose/diagnose_input.c, diagnose.c, diagnose_report.c;
 * mxlab/diagnose.h).
 *
 * Input: a piece of a maillog. It is fed whole, then again in chunks cut
 * where the input's first byte says (so lines split across feeds), with
 * two inputs (begin/end twice). Besides the sanitizers, it checks what
 * the header promises and aborts on a violation: the two feedings give
 * the same JSON; every entry's strings are set and NUL-terminated (their
 * use below reads them), counts add up (count = deferred + bounced + sent
 * + other, failure when not all sent); lines read = the newlines of the
 * input, plus one when it does not end in one; the text and JSON reports
 * are made (NULL only when out of memory).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/diagnose.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static char *
diagnose(const uint8_t *data, size_t size, size_t step)
{
	mxlab_diagnose *d = mxlab_diagnose_new();
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	size_t half = size / 2, lines = 0;
	char *json, *text;

	CHECK(d);
	/* two inputs: the halves, each in chunks of step bytes */
	for (int part = 0; part < 2; part++) {
		const uint8_t *p = data + (part ? half : 0);
		size_t n = part ? size - half : half;

		mxlab_diagnose_begin(d, part ? "b" : "a");
		for (size_t at = 0; at < n; at += step)
			mxlab_diagnose_feed(d, (const char *)p + at, n - at < step ? n - at : step);
		mxlab_diagnose_end(d);
		for (size_t i = 0; i < n; i++)
			lines += p[i] == '\n';
		if (n && p[n - 1] != '\n')
			lines++;
	}
	mxlab_diagnose_finish(d);
	mxlab_diagnose_get_stats(d, &st);
	CHECK(st.lines == lines);
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++) {
		CHECK(e.daemon && e.destination && e.domain && e.cause && e.term && e.why &&
		      e.fix && e.guide && e.first && e.last && e.example && e.example_where);
		CHECK(strlen(e.destination) < 256 && strlen(e.example) < 512);
		CHECK(e.count == e.deferred + e.bounced + e.sent + e.other);
		CHECK(e.count > 0);
		CHECK(e.failure == (e.count > e.sent));
	}
	CHECK(mxlab_diagnose_entry(d, mxlab_diagnose_count(d), &e) == -1);
	text = mxlab_diagnose_text(d);
	json = mxlab_diagnose_json(d);
	CHECK(text && json);
	free(text);
	mxlab_diagnose_free(d);
	return json;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
	char *a = diagnose(data, size, size ? size : 1), *b = diagnose(data, size, step);

	/* The notes name lines by file and number, the same both times. */
	CHECK(strcmp(a, b) == 0);
	free(a);
	free(b);
	return 0;
}
