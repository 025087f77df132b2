/*
 * fuzz_script.c: libFuzzer target for the dialogue script reader
 * (harness/wire/script.c: mx_script_parse, mx_unescape, mx_bytes_escape).
 *
 * Input: the text of a script, read as "fuzz.script" from line 1; then
 * the same bytes escaped for people into buffers of several sizes.
 *
 * Besides the sanitizers it checks, and aborts on a violation: a parse
 * gives a script exactly when it reports no error; an error is
 * "fuzz.script:LINE: what" with LINE within the text; a script has 1 to
 * MX_SCRIPT_STEPS_MAX steps, lines strictly increasing, a regex for every
 * expect, bytes for every writing step (send ending in CRLF, a pipeline
 * too), an inject only after a writing step, close only last; and an
 * escape decodes back to the input, and in a smaller buffer is
 * NUL-terminated inside it: the whole escape when it fits, else a prefix
 * of it and "..." (from 4 bytes on).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define NAME "fuzz.script"

static int
writes(enum mx_step_kind k)
{
	return k == MX_STEP_SEND || k == MX_STEP_SEND_RAW || k == MX_STEP_PIPELINE ||
	       k == MX_STEP_INJECT;
}

static void
check_script(const struct mx_script *sc, int lines)
{
	CHECK(sc->n >= 1 && sc->n <= MX_SCRIPT_STEPS_MAX);
	CHECK(strcmp(sc->file, NAME) == 0);
	for (size_t i = 0; i < sc->n; i++) {
		const struct mx_step *st = &sc->steps[i];

		CHECK(st->kind < MX_STEP_COUNT && st->arg != NULL);
		CHECK(st->line >= 1 && st->line <= lines);
		CHECK(i == 0 || st->line > sc->steps[i - 1].line);
		CHECK((st->kind == MX_STEP_EXPECT) == (st->have_re != 0));
		CHECK(!writes(st->kind) || st->bytes != NULL);
		if (st->kind == MX_STEP_SEND || st->kind == MX_STEP_PIPELINE)
			CHECK(st->len >= 2 && !memcmp(st->bytes + st->len - 2, "\r\n", 2));
		if (st->kind == MX_STEP_INJECT)
			CHECK(i > 0 && writes(sc->steps[i - 1].kind));
		if (st->kind == MX_STEP_CLOSE)
			CHECK(i == sc->n - 1);
	}
}

static void
check_escape(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 1, 2, 4, 5, 17, 256, 4096 };
	size_t big = 4 * size + 8, full;
	char *all = malloc(big), *out = malloc(big);
	unsigned char *back = malloc(big);
	char err[200];
	long n;

	CHECK(all && out && back);
	/* whole: it decodes back to the input */
	mx_bytes_escape(data, size, all, big);
	full = strlen(all);
	CHECK(full < big);
	n = mx_unescape(all, full, back, err, sizeof err);
	CHECK(n == (long)size && (size == 0 || !memcmp(back, data, size)));
	/* smaller buffers: all of it when it fits, else a prefix and "..." */
	for (size_t c = 0; c < sizeof caps / sizeof caps[0] && caps[c] < big; c++) {
		size_t len;

		memset(out, 'Z', caps[c]);
		mx_bytes_escape(data, size, out, caps[c]);
		len = strnlen(out, caps[c]);
		CHECK(len < caps[c]);
		if (full < caps[c])
			CHECK(strcmp(out, all) == 0);
		else if (caps[c] >= 4)
			CHECK(len >= 3 && !strcmp(out + len - 3, "...") &&
			      !memcmp(out, all, len - 3));
	}
	free(all);
	free(out);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_script *sc = (struct mx_script *)1;
	char err[700];
	int lines = 1, r;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	err[0] = '\0';
	r = mx_script_parse((const char *)data, size, NAME, 1, &sc, err, sizeof err);
	if (r == 0) {
		CHECK(sc != NULL && err[0] == '\0');
		check_script(sc, lines);
		mx_script_free(sc);
	} else {
		char *end;
		long line;

		CHECK(r == -1 && sc == NULL);
		CHECK(strncmp(err, NAME ":", sizeof NAME) == 0);
		line = strtol(err + sizeof NAME, &end, 10);
		CHECK(end != err + sizeof NAME && *end == ':' && line >= 1 && line <= lines);
	}
	check_escape(data, size);
	return 0;
}
