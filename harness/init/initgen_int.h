/*
 * initgen_int.h: what the parts of `mxlab init`'s generator share: the
 * model of the configuration it builds (initgen.c), the text buffer, and
 * the writers of the inbound scenarios (initgen_in.c), the outbound ones
 * (initgen_out.c) and suite.scn (initgen_suite.c).
 */
#ifndef MX_INITGEN_INT_H
#define MX_INITGEN_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "initgen.h"
#include "pcread.h"
#include "pfmap.h"

/* A growing text. Out of memory is sticky: igb_take() then returns NULL. */
struct ig_buf {
	char *s;
	size_t n, cap;
	int oom;
};

void igb_printf(struct ig_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *igb_take(struct ig_buf *b);

/* An smtpd service that speaks TLS (STARTTLS offered, or implicit). */
struct ig_svc {
	const struct pcr_service *s;
	char label[96];		/* file-name-safe service name */
	int port;
	char level[16];		/* smtpd_tls_security_level: may, encrypt */
	char level_at[96];	/* "master.cf:19", "main.cf:28" */
	int wrapper;		/* smtpd_tls_wrappermode = yes */
	char wrapper_at[96];
	int sasl;		/* smtpd_sasl_auth_enable = yes */
	char sasl_at[96];
	int auth_only;		/* smtpd_tls_auth_only = yes */
	char auth_only_at[96];
	char proto[256];	/* the protocol list that applies */
	char proto_param[48];	/* smtpd_tls_protocols or ..._mandatory_protocols */
	char proto_at[96];
	char cert[256];		/* the name its certificate is for */
	char cert_at[160];	/* where that certificate is configured */
	char daemon[128];	/* for "log DAEMON": "submission/smtpd", or "" */
};

struct ig_sni {
	char name[256];
	char at[160];		/* "sni:4" */
};

/* A destination of the outbound checks: a policy entry or the default. */
struct ig_peer {
	char domain[256];	/* the recipient domain */
	char key[256];		/* as the map writes it */
	struct pfm_policy pol;
	char at[160];		/* "tls_policy:5", or "main.cf:41" for the default */
	int is_default;
	char mx[256];		/* its MX host */
	char cert[256];		/* the name its good certificate is for */
	char addr[32];		/* 127.0.0.N */
	char server[256];	/* [server NAME] in suite.scn */
};

struct ig_fileref {		/* a [files] line of suite.scn */
	char path[512];		/* the path the configuration names */
	char value[600];	/* "text", "file:NAME" or "${pki}/..." */
	char why[256];		/* a comment: which parameter, where */
	char *content;		/* for file:NAME, the file written beside suite.scn */
	int commented;		/* written as a comment: init cannot provide it */
};

struct ig_neutral {		/* a [main.cf] line of suite.scn, and why */
	char line[1200];
	char why[400];
};

struct ig {
	const struct ig_in *in;
	const struct pcr_conf *c;
	char myhostname[256];
	char main_cert[256];	/* the name of the default smtpd certificate */
	char main_cert_at[160];
	struct ig_svc *svc;
	size_t nsvc;
	struct ig_sni *sni;
	size_t nsni;
	char sni_param_at[96];	/* "main.cf:37" */
	struct ig_peer *peer;
	size_t npeer;
	char policy_param_at[96];
	int dane;		/* a peer needs DNSSEC answers */
	struct ig_fileref *files;
	size_t nfiles;
	struct ig_neutral *neutral;
	size_t nneutral;
	char **master_override;	/* [master.cf] entries of suite.scn */
	size_t nmaster_override;
	struct ig_out *out;
	char *err;
	size_t errlen;
};

/* The name the certificate of service s (NULL: main.cf's) is for, and
 * where it is configured ("main.cf:26 smtpd_tls_chain_files"); "" when
 * none is. */
void ig_svc_cert(const struct ig *g, const struct pcr_service *s, char *name, size_t len,
		 char *at, size_t atlen);
/* The smtpd services with TLS into g->svc (initgen_svc.c). */
int ig_find_services(struct ig *g);

/* An entry of a map a parameter names; at is "FILE:LINE" (FILE relative
 * to the configuration directory), or the parameter's line for inline:. */
struct ig_mapent {
	char key[256];
	char value[1024];
	char at[160];
};

/* The outbound destinations (initgen_out.c): one per policy entry, and
 * one for the default level. */
int ig_find_peers(struct ig *g, struct ig_mapent *e, size_t n);

#define IG_SASL_USER "test-user"
#define IG_SASL_PASSWORD "mxlab-test-password"

/* "main.cf:23", or "Postfix's default" when main.cf does not set it. */
void ig_param_at(const struct ig *g, const char *name, char *buf, size_t len);

/* A name as a regex (dots and other specials escaped). */
void ig_rx(const char *s, char *buf, size_t len);

/* Adds a file to the output (path and text copied; text may be a
 * struct ig_buf's, then taken). 0, or -1 out of memory. */
int ig_add_file(struct ig *g, const char *path, struct ig_buf *text);
int ig_note(struct ig *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ig_fail(struct ig *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The opening comment of every generated file. */
void ig_header(const struct ig *g, struct ig_buf *b, const char *what);

int ig_write_inbound(struct ig *g);
int ig_write_outbound(struct ig *g);
int ig_files_scan(struct ig *g);
int ig_write_suite(struct ig *g);

#endif
