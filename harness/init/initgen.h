/*
 * initgen.h: a starter suite from a Postfix configuration (`mxlab init`).
 *
 * ig_generate() looks at a configuration (pcread.h) and the sources of the
 * maps it names, and returns the files of a suite directory: suite.scn
 * (postfix-config, the shared DNS, fake peers, SASL users, files outside
 * the configuration, and what must be neutralised for scenarios to run)
 * and one scenario per check, each saying in its summary which line of
 * which file it protects:
 *   - inbound/: per smtpd service with TLS, STARTTLS (or implicit TLS)
 *     with the full chain verified; per tls_server_sni_maps name its own
 *     certificate; TLS before AUTH; refused protocol versions;
 *   - outbound/: per smtp_tls_policy_maps entry, a good peer and the peers
 *     its level must refuse (or accept); the same for the default level.
 * What it cannot check is listed in ig_out.notes (and in suite.scn).
 *
 * Pure: it reads map sources through the read callback (a path relative
 * to the configuration directory), runs nothing, writes nothing; the same
 * input gives the same output, byte for byte (files sorted by path).
 * Errors: -1 with a message naming the file and line (a map source that
 * cannot be read, a policy entry Postfix would refuse) or "out of memory".
 */
#ifndef MX_INITGEN_H
#define MX_INITGEN_H

#include <stddef.h>

#include "pcread.h"

/* Reads REL (relative to the configuration directory) into *text
 * (malloc'd); 0, or -1 with a message (strerror) in err. */
typedef int (*ig_read_fn)(void *ctx, const char *rel, char **text, char *err, size_t errlen);

struct ig_in {
	const struct pcr_conf *conf;
	const char *conf_rel;	/* postfix-config = ...: DIR relative to the suite */
	const char *const *config_dirs;	/* NULL-terminated: the names the
					   configuration's own directory goes by
					   in its values ("/etc/postfix", and
					   DIR as postconf -c was given it) */
	ig_read_fn read;
	void *ctx;
};

struct ig_file {
	char *path;		/* relative to the suite: "suite.scn", "inbound/x.scn" */
	char *text;
};

struct ig_out {
	struct ig_file *files;	/* sorted by path */
	size_t nfiles;
	char **notes;		/* what was not generated, and why */
	size_t nnotes;
};

int ig_generate(const struct ig_in *in, struct ig_out *out, char *err, size_t errlen);
void ig_out_free(struct ig_out *out);

/* The marker every generated file starts with. */
#define IG_MARK "# Written by mxlab init"

#endif
