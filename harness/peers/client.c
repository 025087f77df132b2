/*
 * client.c: mxlab_client_run(), the fake client's entry point.
 *
 * Checks the configuration, sets TLS up once (trust anchors, versions,
 * suites), then runs `connections` sessions one after the other; each
 * offers the TLS session of the previous one, so res->resumed tells
 * whether the server resumed it. The result is the last session's, or
 * the first that failed (res->sessions says how many ran).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"

mxlab_err
mxlab_client_run(const mxlab_client_config *c, struct mxlab_client_result *res,
		 char *err, size_t errlen)
{
	struct mx_client_tls *t;
	mxlab_err e;

	memset(res, 0, sizeof *res);
	res->failed_stage = MXLAB_CS_DONE;
	if (!c) {
		snprintf(err, errlen, "no configuration");
		return MXLAB_ERR_USAGE;
	}
	if ((e = mxlab_client_config_check(c, err, errlen)) != MXLAB_OK)
		return e;
	if (!(t = calloc(1, sizeof *t))) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	if ((e = mx_client_tls_init(t, c, err, errlen)) != MXLAB_OK) {
		mx_client_tls_free(t);
		free(t);
		return e;
	}
	for (int i = 0; i < c->connections; i++) {
		memset(res, 0, sizeof *res);
		res->sessions = i + 1;
		mx_client_session(c, t, res);
		if (res->failed_stage != MXLAB_CS_DONE && res->failed_stage != MXLAB_CS_QUIT)
			break;
	}
	mx_client_tls_free(t);
	free(t);
	return MXLAB_OK;
}
