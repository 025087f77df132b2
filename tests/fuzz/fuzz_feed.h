/*
 * fuzz_feed.h: the fuzzers' byte source for mx_reader (smtp_wire.h): the
 * input handed out in chunks of a pseudo-random size (1..64 bytes, from
 * the seed in chunk; 255 means as much as asked), ending in EOF or, with
 * fail_at_end, in a read error. Included by fuzz_wire.c and fuzz_reply.c;
 * CHECK must be defined first.
 */
#ifndef MX_FUZZ_FEED_H
#define MX_FUZZ_FEED_H

#include <stddef.h>
#include <string.h>

#include "smtp_wire.h"

struct feed {
	const unsigned char *data;
	size_t len, off;
	unsigned chunk, rng;
	int fail_at_end;
};

static int
feed_recv(void *io, unsigned char *buf, size_t len)
{
	struct feed *f = io;
	size_t n = f->len - f->off;

	CHECK(len > 0 && len <= MX_READER_BUFSIZE);
	if (n == 0)
		return f->fail_at_end ? -2 : 0;
	if (f->chunk != 255) {
		size_t max;

		f->rng = f->rng * 1103515245u + 12345u;
		max = 1 + (f->rng >> 16) % (1 + f->chunk % 64);
		if (n > max)
			n = max;
	}
	if (n > len)
		n = len;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (int)n;
}

#endif
