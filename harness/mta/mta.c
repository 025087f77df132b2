/*
 * mta.c: the driver table and names shared by every driver (mta.h).
 */
#include <string.h>

#include "mta.h"

const char *
mta_tls_name(enum mta_tls t)
{
	switch (t) {
	case MTA_TLS_ESTABLISHED:
		return "established";
	case MTA_TLS_TRUSTED:
		return "trusted";
	case MTA_TLS_VERIFIED:
		return "verified";
	case MTA_TLS_FAILED:
		return "failed";
	default:
		return "none";
	}
}

const struct mta_driver *
mta_driver_find(const char *name)
{
	static const struct mta_driver *const all[] = { &mta_postfix, &mta_exim, &mta_exec };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
