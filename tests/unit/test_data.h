/*
 * test_data.h: where a unit test's captured data lives (tests/unit/data/SUB:
 * real maillogs and resolver logs). MXLAB_TEST_DATA/SUB when that is set,
 * else beside this header (__FILE__ is relative to where the compiler
 * ran), else tests/unit/data/SUB found from the working directory upwards.
 * Include after the system headers.
 */
#ifndef MX_TEST_DATA_H
#define MX_TEST_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
test_data_dir(const char *sub)
{
	static char dir[4096];
	static const char *const up[] = { "", "../", "../../", "../../../" };
	const char *env = getenv("MXLAB_TEST_DATA");
	const char *slash = strrchr(__FILE__, '/');

	if (env) {
		snprintf(dir, sizeof dir, "%s/%s", env, sub);
		return dir;
	}
	snprintf(dir, sizeof dir, "%.*s/data/%s", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".", sub);
	if (access(dir, R_OK) == 0)
		return dir;
	for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
		snprintf(dir, sizeof dir, "%stests/unit/data/%s", up[i], sub);
		if (access(dir, R_OK) == 0)
			break;
	}
	return dir;
}

#endif
