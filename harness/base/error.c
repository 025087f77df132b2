/*
 * error.c: names for mxlab_err codes.
 */
#include "mxlab/error.h"

const char *
mxlab_strerror(mxlab_err code)
{
	switch (code) {
	case MXLAB_OK:		return "success";
	case MXLAB_ERR_USAGE:	return "invalid argument";
	case MXLAB_ERR_IO:	return "I/O error";
	case MXLAB_ERR_TLS:	return "TLS error";
	case MXLAB_ERR_NOMEM:	return "out of memory";
	case MXLAB_ERR_PARSE:	return "malformed input";
	case MXLAB_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
