/*
 * test_jsonw.c: cmocka tests for the JSON writer (harness/lib/jsonw.c).
 *
 * Exact output for nesting and commas, string escaping, UTF-8 kept or
 * escaped byte by byte, the depth limit, and reuse after jw_reset.
 * Speaks TAP with CMOCKA_MESSAGE_OUTPUT=TAP (one group, "jsonw").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "jsonw.h"

static int
setup(void **state)
{
	static struct jw w;

	jw_init(&w);
	*state = &w;
	return 0;
}

static int
teardown(void **state)
{
	jw_free(*state);
	return 0;
}

static void
expect_out(struct jw *w, const char *want)
{
	assert_false(w->failed);
	assert_non_null(w->buf);
	assert_string_equal(w->buf, want);
	assert_int_equal(w->len, strlen(want));
	assert_int_equal(w->depth, 0);
}

static void
nested(void **state)
{
	struct jw *w = *state;

	jw_obj_begin(w);
	jw_kint(w, "a", 1);
	jw_key(w, "b");
	jw_arr_begin(w);
	jw_int(w, 1);
	jw_str(w, "x");
	jw_obj_begin(w);
	jw_obj_end(w);
	jw_arr_begin(w);
	jw_arr_end(w);
	jw_arr_begin(w);
	jw_int(w, -2);
	jw_arr_end(w);
	jw_null(w);
	jw_arr_end(w);
	jw_key(w, "c");
	jw_obj_begin(w);
	jw_key(w, "d");
	jw_null(w);
	jw_kbool(w, "e", 1);
	jw_kbool(w, "f", 0);
	jw_kstr(w, "g", NULL);
	jw_obj_end(w);
	jw_kstrn(w, "h", "xyz", 2);
	jw_kint(w, "i", -9223372036854775807LL - 1);
	jw_obj_end(w);
	expect_out(w, "{\"a\":1,\"b\":[1,\"x\",{},[],[-2],null],"
		   "\"c\":{\"d\":null,\"e\":true,\"f\":false,\"g\":null},"
		   "\"h\":\"xy\",\"i\":-9223372036854775808}");
}

static void
arrays_of_arrays(void **state)
{
	struct jw *w = *state;

	jw_arr_begin(w);
	for (int i = 0; i < 3; i++) {
		jw_arr_begin(w);
		jw_int(w, i);
		jw_obj_begin(w);
		jw_kint(w, "k", i);
		jw_obj_end(w);
		jw_arr_end(w);
	}
	jw_arr_end(w);
	expect_out(w, "[[0,{\"k\":0}],[1,{\"k\":1}],[2,{\"k\":2}]]");
}

static void
escaping(void **state)
{
	struct jw *w = *state;

	jw_obj_begin(w);
	jw_kstr(w, "q\"k", "a\"b\\c/d\n\r\t\x01\x1f\x7f e");
	jw_obj_end(w);
	expect_out(w, "{\"q\\\"k\":\"a\\\"b\\\\c/d\\n\\r\\t\\u0001\\u001f\x7f e\"}");
}

static void
utf8_kept(void **state)
{
	struct jw *w = *state;

	/* 2, 3 and 4 byte sequences, the extremes of each range. */
	jw_str(w, "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 "
	       "\xef\xbf\xbf \xf4\x8f\xbf\xbf \xe0\xa0\x80 \xf0\x90\x80\x80");
	expect_out(w, "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 "
		   "\xef\xbf\xbf \xf4\x8f\xbf\xbf \xe0\xa0\x80 \xf0\x90\x80\x80\"");
}

static void
utf8_invalid(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "\xff", "\"\\u00ff\"" },
		{ "a\xfe" "b", "\"a\\u00feb\"" },
		{ "\x80", "\"\\u0080\"" },			/* lone continuation */
		{ "\xc0\x80", "\"\\u00c0\\u0080\"" },		/* overlong NUL */
		{ "\xc1\xbf", "\"\\u00c1\\u00bf\"" },		/* overlong */
		{ "\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"" },	/* overlong */
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"" },
		{ "\xe2\x82", "\"\\u00e2\\u0082\"" },		/* truncated at end */
		{ "\xe2\x82x", "\"\\u00e2\\u0082x\"" },		/* truncated, then ASCII */
		{ "\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"" },	/* bad lead, then valid */
	};
	struct jw *w = *state;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		jw_reset(w);
		jw_str(w, t[i].in);
		if (strcmp(w->buf, t[i].want) != 0)
			fail_msg("case %zu: got %s, want %s", i, w->buf, t[i].want);
	}
}

static void
nul_in_strn(void **state)
{
	struct jw *w = *state;

	jw_arr_begin(w);
	jw_strn(w, "a\0b", 3);
	jw_strn(w, "\0", 1);
	jw_strn(w, "", 0);
	jw_arr_end(w);
	expect_out(w, "[\"a\\u0000b\",\"\\u0000\",\"\"]");
	/* A multi-byte sequence cut by n is escaped, not overread. */
	jw_reset(w);
	jw_strn(w, "\xc3\xa9", 1);
	expect_out(w, "\"\\u00c3\"");
}

static void
depth_limit(void **state)
{
	struct jw *w = *state;
	int i;

	/* JW_MAX_DEPTH - 1 levels fit. */
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_arr_begin(w);
	assert_false(w->failed);
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_arr_end(w);
	assert_false(w->failed);
	assert_int_equal(w->len, 2 * (JW_MAX_DEPTH - 1));
	assert_int_equal(w->depth, 0);

	/* One more fails, and nothing is written after. */
	jw_reset(w);
	for (i = 0; i < JW_MAX_DEPTH + 5; i++)
		jw_obj_begin(w);
	assert_true(w->failed);
	{
		size_t len = w->len;

		jw_kstr(w, "k", "v");
		jw_int(w, 1);
		assert_int_equal(w->len, len);
	}
	assert_true(w->failed);
}

static void
reset_reuse(void **state)
{
	struct jw *w = *state;
	char *buf;

	jw_obj_begin(w);
	jw_kstr(w, "a", "b");
	jw_key(w, "c");
	jw_arr_begin(w);
	jw_int(w, 1);
	buf = w->buf;
	/* Reset in the middle of a value: nothing of it survives. */
	jw_reset(w);
	assert_int_equal(w->len, 0);
	assert_string_equal(w->buf, "");
	assert_ptr_equal(w->buf, buf);		/* memory kept */
	jw_obj_begin(w);
	jw_kint(w, "x", 2);
	jw_obj_end(w);
	expect_out(w, "{\"x\":2}");

	/* Reset clears a failure. */
	jw_reset(w);
	for (int i = 0; i < JW_MAX_DEPTH; i++)
		jw_arr_begin(w);
	assert_true(w->failed);
	jw_reset(w);
	assert_false(w->failed);
	jw_arr_begin(w);
	jw_bool(w, 0);
	jw_arr_end(w);
	expect_out(w, "[false]");
}

static void
raw_and_growth(void **state)
{
	struct jw *w = *state;
	static char big[10000];

	memset(big, 'x', sizeof big - 1);
	jw_obj_begin(w);
	jw_kstr(w, "big", big);
	jw_obj_end(w);
	jw_raw(w, "\n");
	assert_false(w->failed);
	assert_int_equal(w->len, sizeof big - 1 + 10 + 1);
	assert_memory_equal(w->buf, "{\"big\":\"xxx", 11);
	assert_string_equal(w->buf + w->len - 3, "\"}\n");
	assert_true(w->cap > w->len);
	jw_free(w);
	assert_null(w->buf);
	assert_int_equal(w->len, 0);
	jw_free(w);				/* twice is fine */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nested, setup, teardown),
		cmocka_unit_test_setup_teardown(arrays_of_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(utf8_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(utf8_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(nul_in_strn, setup, teardown),
		cmocka_unit_test_setup_teardown(depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(raw_and_growth, setup, teardown),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
