/*
 * mxlab/mxlab.h: the umbrella header of libmxlab.
 *
 * libmxlab holds mxlab's test PKI writer (certs.h), its fake SMTP server
 * (server.h) and client (client.h) on mbedTLS, the diagnostics of
 * `mxlab probe` (probe.h), `mxlab run`'s runs of scenario files against
 * a real MTA (runner.h), the suite `mxlab init` writes from a Postfix
 * configuration (init.h) and the DURATION grammar (duration.h). Build
 * with `pkg-config --cflags --libs libmxlab` (add --static for
 * libmxlab.a: it needs -lmbedtls -lmbedx509 -lmbedcrypto -pthread).
 * These headers are the whole public API; what they declare MXLAB_API
 * is what libmxlab.so exports. Stability and versioning:
 * docs/library.md.
 */
#ifndef MXLAB_MXLAB_H
#define MXLAB_MXLAB_H

#include "mxlab/error.h"
#include "mxlab/duration.h"
#include "mxlab/certs.h"
#include "mxlab/server.h"
#include "mxlab/client.h"
#include "mxlab/probe.h"
#include "mxlab/diagnose.h"
#include "mxlab/init.h"
#include "mxlab/runner.h"
#include "mxlab/lab.h"

#endif
