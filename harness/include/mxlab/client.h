/*
 * mxlab/client.h: the fake SMTP client on mbedTLS.
 *
 * A client is configured from key = value pairs, the same keys as
 * `mxlab send --KEY VALUE` and a scenario's [client NAME] section
 * (mxlab_client_keys() lists them with their help). mxlab_client_run()
 * runs one session (or several, to test session resumption) and fills a
 * struct mxlab_client_result: every reply per stage, the EHLO capabilities
 * before and after TLS, the TLS version and cipher, the chain the server
 * presented (each certificate's subject, issuer, validity and names), and
 * the verification verdict with every reason, reported even when the
 * handshake itself failed.
 *
 * Errors: configuration problems are MXLAB_ERR_USAGE with "KEY: what is
 * wrong"; a session that fails is not an error of the call: the result
 * says at which stage it stopped and why (result.failed_stage, .error).
 */
#ifndef MXLAB_CLIENT_H
#define MXLAB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_client_config mxlab_client_config;

struct mxlab_client_key {
	const char *key;
	const char *arg;
	const char *help;
	int repeatable;
};
MXLAB_API const struct mxlab_client_key *mxlab_client_keys(void);	/* ends with key NULL */

MXLAB_API mxlab_client_config *mxlab_client_config_new(void);
MXLAB_API void mxlab_client_config_free(mxlab_client_config *cfg);	/* NULL ok */
MXLAB_API mxlab_err mxlab_client_config_set(mxlab_client_config *cfg, const char *key,
				            const char *value, char *err, size_t errlen);
/* The key script as text (a scenario's [script NAME]), as for the server. */
MXLAB_API mxlab_err mxlab_client_config_script(mxlab_client_config *cfg, const char *text,
					       const char *file, int line, char *err, size_t errlen);
MXLAB_API mxlab_err mxlab_client_config_check(const mxlab_client_config *cfg,
				              char *err, size_t errlen);

/* The stages of a session, in order. */
enum mxlab_client_stage {
	MXLAB_CS_CONNECT = 0,
	MXLAB_CS_GREETING,
	MXLAB_CS_EHLO,		/* EHLO before TLS (or the only one) */
	MXLAB_CS_STARTTLS,	/* the STARTTLS command and its reply */
	MXLAB_CS_TLS,		/* the handshake (STARTTLS or implicit) and verification */
	MXLAB_CS_EHLO_TLS,	/* EHLO again over TLS */
	MXLAB_CS_AUTH,
	MXLAB_CS_MAIL,
	MXLAB_CS_RCPT,
	MXLAB_CS_DATA,		/* the DATA command */
	MXLAB_CS_DOT,		/* the end of the message */
	MXLAB_CS_QUIT,
	MXLAB_CS_DONE,		/* nothing failed */
	MXLAB_CS_COUNT
};

/* "connect", "greeting", "ehlo", "starttls", "tls", "ehlo-tls", "auth",
 * "mail", "rcpt", "data", "dot", "quit", "done". */
MXLAB_API const char *mxlab_client_stage_name(enum mxlab_client_stage s);
MXLAB_API int mxlab_client_stage_lookup(const char *name);	/* -1 when unknown */

/* Verification reasons, as bits of mxlab_client_result.verify_reasons. */
#define MXLAB_VR_UNTRUSTED	0x01u	/* issuer not found / not trusted */
#define MXLAB_VR_SELF_SIGNED	0x02u	/* leaf signs itself */
#define MXLAB_VR_EXPIRED	0x04u
#define MXLAB_VR_NOT_YET_VALID	0x08u
#define MXLAB_VR_NAME_MISMATCH	0x10u
#define MXLAB_VR_BAD_USAGE	0x20u	/* key usage / extended key usage */
#define MXLAB_VR_NO_CHAIN	0x40u	/* no certificate was presented */
#define MXLAB_VR_OTHER		0x80u
/* "untrusted-issuer", "self-signed", "expired", "not-yet-valid",
 * "name-mismatch", "bad-usage", "no-chain", "other" */
MXLAB_API const char *mxlab_client_reason_name(unsigned bit);

#define MXLAB_CLIENT_MAX_CHAIN 8

struct mxlab_client_cert {
	char subject[256];
	char issuer[256];
	char not_before[24];	/* "2026-11-27T23:00:00Z" */
	char not_after[24];
	char names[512];	/* "DNS:a.example, IP:127.0.0.1" */
	int ca;			/* basicConstraints CA:TRUE */
};

struct mxlab_client_reply {
	int code;		/* 0: the stage got no reply */
	char text[512];		/* lines joined with '\n', without codes */
};

/* A dialogue script's steps (key script; docs/scripts.md) as the result
 * keeps them: the first MXLAB_CLIENT_MAX_STEPS records, each with the
 * first MXLAB_CLIENT_STEP_DATA bytes of its data. */
#define MXLAB_CLIENT_MAX_STEPS 64
#define MXLAB_CLIENT_STEP_DATA 256

/* One record of a script step: the fields of the fake server's
 * transcript "script" event. A step leaves one record a direction it
 * used (starttls: "sent" STARTTLS, "received" the reply, then "tls");
 * delay and close leave none. */
struct mxlab_client_step {
	unsigned step;			/* the step's number in the script, from 1 */
	unsigned line;			/* its line in the script's file */
	char kind[16];			/* "send", "send-raw", "pipeline", "inject",
					 * "expect", "starttls", "tls-handshake" */
	char dir[16];			/* "sent", "received", "tls"; "" when the step
					 * failed before it sent or received anything */
	size_t bytes;			/* bytes sent or received: a send's with its
					 * CRLF, an expect's reply lines joined with
					 * '\n', without CRLF; 0 for "tls" and "" */
	size_t len;			/* of them, kept in data (bytes - len cut) */
	unsigned char data[MXLAB_CLIENT_STEP_DATA];	/* raw bytes, not NUL-terminated */
	int failed;			/* the step that failed: why is script_error */
};

struct mxlab_client_result {
	enum mxlab_client_stage failed_stage;	/* MXLAB_CS_DONE when all went well */
	char error[512];			/* why it stopped there */
	struct mxlab_client_reply reply[MXLAB_CS_COUNT];
	char caps_before[1024];		/* EHLO keywords before TLS, '\n' separated */
	char caps_after[1024];		/* after TLS */
	int tls;			/* a handshake completed */
	char tls_version[16];
	char cipher[96];
	int sni_sent;
	char sni[256];
	int nchain;			/* certificates presented */
	struct mxlab_client_cert chain[MXLAB_CLIENT_MAX_CHAIN];
	int verified;			/* trusted and the name matches */
	unsigned verify_reasons;	/* MXLAB_VR_* bits when not verified */
	char verify_text[512];		/* "untrusted-issuer, expired" */
	char verify_name[256];		/* the name that was checked, "" none */
	int resumed;			/* the (last) handshake resumed a session */
	int sessions;			/* sessions run (connections key) */
	char queue_id[64];		/* from "250 ... queued as X", if any */
	/* starttls-injection: bytes the server sent after its reply to
	 * STARTTLS and before the handshake (in plaintext, so never to be
	 * read as TLS data): how many, and the first of them escaped. The
	 * session then fails at the TLS stage. */
	size_t injected;
	char injection[256];
	/* The dialogue script (key script), when one ran (script_ran; it
	 * runs after the connect): its records in order, the first
	 * MXLAB_CLIENT_MAX_STEPS of them. When a step failed, its record
	 * (failed set) is the last one, kept even past the limit (it then
	 * takes the last place). steps_omitted: records left out. The
	 * failed step's error, "step 4 (c.script:6) expect /^250/: got
	 * '554 ...'", is script_error ("" when every step passed). */
	int script_ran;
	size_t nsteps;
	size_t steps_omitted;
	struct mxlab_client_step steps[MXLAB_CLIENT_MAX_STEPS];
	char script_error[512];
};

/* Run the session(s). MXLAB_OK even when the session failed (see
 * res->failed_stage); an error only for a configuration problem. */
MXLAB_API mxlab_err mxlab_client_run(const mxlab_client_config *cfg,
			             struct mxlab_client_result *res,
			             char *err, size_t errlen);

/* Exit status of `mxlab send` for a result (swaks-like): 0 done,
 * 20 connect, 21 greeting, 22 EHLO, 29 STARTTLS or TLS (handshake or a
 * required verification), 28 AUTH, 23 MAIL, 24 RCPT, 25 DATA, 26 end of
 * data, 0 for QUIT. */
MXLAB_API int mxlab_client_exit_code(const struct mxlab_client_result *res);

/* The result as one JSON object (malloc'ed, NUL-terminated), or NULL. */
MXLAB_API char *mxlab_client_result_json(const struct mxlab_client_result *res);

#ifdef __cplusplus
}
#endif
#endif
