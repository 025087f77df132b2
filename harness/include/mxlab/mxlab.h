/*
 * mxlab/mxlab.h: the umbrella header of libmxlab.
 *
 * libmxlab holds mxlab's test PKI writer (certs.h) and its fake SMTP server
 * on mbedTLS (server.h). Link with -lmxlab -lmbedtls -lmbedx509
 * -lmbedcrypto -lpthread.
 */
#ifndef MXLAB_MXLAB_H
#define MXLAB_MXLAB_H

#include "mxlab/error.h"
#include "mxlab/certs.h"
#include "mxlab/server.h"
#include "mxlab/client.h"
#include "mxlab/probe.h"

#endif
