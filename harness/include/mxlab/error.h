/*
 * mxlab/error.h: error codes shared by every libmxlab call.
 *
 * Every fallible call returns an mxlab_err and, where it takes one, writes a
 * one-line human explanation into a caller-supplied buffer (err, errlen).
 * mxlab_strerror() names a code. The library never prints and never exits.
 */
#ifndef MXLAB_ERROR_H
#define MXLAB_ERROR_H

#include <stddef.h>

/*
 * MXLAB_API marks the functions of the public API. The shared library is
 * built with hidden visibility (-fvisibility=hidden): only what carries
 * MXLAB_API is exported from libmxlab.so, and every exported symbol starts
 * with mxlab_ (a test checks it, tests/lib/exports.sh).
 */
#ifndef MXLAB_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define MXLAB_API __attribute__((visibility("default")))
#else
#define MXLAB_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mxlab_err {
	MXLAB_OK = 0,
	MXLAB_ERR_USAGE,	/* bad key, value or argument from the caller */
	MXLAB_ERR_IO,		/* file or socket system call failed */
	MXLAB_ERR_TLS,		/* mbedTLS refused (key, certificate, setup) */
	MXLAB_ERR_NOMEM,	/* allocation failed */
	MXLAB_ERR_PARSE,	/* malformed input (PEM, protocol bytes) */
	MXLAB_ERR_INTERNAL	/* a bug in mxlab: please report */
} mxlab_err;

MXLAB_API const char *mxlab_strerror(mxlab_err code);

#ifdef __cplusplus
}
#endif
#endif
