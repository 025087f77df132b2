/*
 * probe_analyse.c: the findings of `mxlab probe` from the facts a probe
 * gathered (see mxlab/probe.h, docs/probe.md).
 *
 * Offers mxlab_probe_analyse(), mxlab_probe_has/find/worst and the
 * severity names. Pure: it reads the report (client results, plaintext
 * facts, version lists) and writes rep->findings; no network, no clock.
 * Each finding says what was seen, the usual cause and the fix, in the
 * words of the seed guide (S6, S7, S12-S15) and of Postfix's parameters.
 *
 * Certificates are judged per distinct chain: the SNI session when there
 * is one (what name-aware clients see), and the session without SNI when
 * it got another chain (what Postfix's smtp client sees by default; its
 * name mismatch is then explained by sni-differs rather than reported as
 * name-mismatch).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxlab/probe.h"
#include "tls_glue.h"

/* The view of one presented chain that the certificate rules need. */
struct chain_view {
	const char *label;		/* "without SNI", "with SNI x", "" */
	const char *name;		/* name checked, "" none */
	int nchain;
	const char *subject, *issuer;	/* of the leaf */
	const char *not_before, *not_after;
	const char *names;
	const char *top_subject, *top_issuer;	/* the last certificate */
	int verified;
	unsigned reasons;
	const char *verify_text;
	int skip_name;			/* name mismatch explained elsewhere */
	int name_only;			/* chain already judged: the name alone */
};

const char *
mxlab_probe_severity_name(enum mxlab_probe_severity s)
{
	switch (s) {
	case MXLAB_PROBE_OK: return "OK";
	case MXLAB_PROBE_INFO: return "INFO";
	case MXLAB_PROBE_WARN: return "WARN";
	case MXLAB_PROBE_ERROR: return "ERROR";
	}
	return "?";
}

const struct mxlab_probe_finding *
mxlab_probe_find(const struct mxlab_probe_report *rep, const char *id)
{
	for (size_t i = 0; rep && i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].id, id) == 0)
			return &rep->findings[i];
	return NULL;
}

int
mxlab_probe_has(const struct mxlab_probe_report *rep, const char *id)
{
	return mxlab_probe_find(rep, id) != NULL;
}

enum mxlab_probe_severity
mxlab_probe_worst(const struct mxlab_probe_report *rep)
{
	enum mxlab_probe_severity w = MXLAB_PROBE_OK;

	for (size_t i = 0; rep && i < rep->nfindings; i++)
		if (rep->findings[i].severity > w)
			w = rep->findings[i].severity;
	return w;
}

/* Add a finding; seen is a format. Silently dropped when the table is full
 * (32 findings: more than any probe produces). */
__attribute__((format(printf, 6, 7)))
static void
add(struct mxlab_probe_report *rep, const char *id, enum mxlab_probe_severity sev,
    const char *cause, const char *fix, const char *seenfmt, ...)
{
	struct mxlab_probe_finding *f;
	va_list ap;

	if (rep->nfindings >= MXLAB_PROBE_MAX_FINDINGS)
		return;
	f = &rep->findings[rep->nfindings++];
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	f->severity = sev;
	snprintf(f->cause, sizeof f->cause, "%s", cause);
	snprintf(f->fix, sizeof f->fix, "%s", fix);
	va_start(ap, seenfmt);
	vsnprintf(f->seen, sizeof f->seen, seenfmt, ap);
	va_end(ap);
	if (f->seen[0] >= 'a' && f->seen[0] <= 'z')
		f->seen[0] = (char)(f->seen[0] - 'a' + 'A');
}

/* "2026-11-27T23:00:00Z" -> Unix seconds; -1 when not parsable. */
static long long
iso_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, se;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (long long)timegm(&tm);
}

/* "In session X, " prefix for seen texts ("" when the label is empty). */
static void
prefix(char *buf, size_t len, const char *label)
{
	if (label && *label)
		snprintf(buf, len, "%c%s: ", label[0] == 'w' ? 'W' : label[0], label + 1);
	else
		buf[0] = '\0';
}

static void
view_from_result(struct chain_view *v, const struct mxlab_client_result *r,
		 const char *label, const char *name)
{
	memset(v, 0, sizeof *v);
	v->label = label;
	v->name = name;
	v->nchain = r->nchain;
	if (r->nchain > 0) {
		int top = r->nchain > MXLAB_CLIENT_MAX_CHAIN ? MXLAB_CLIENT_MAX_CHAIN - 1
							     : r->nchain - 1;

		v->subject = r->chain[0].subject;
		v->issuer = r->chain[0].issuer;
		v->not_before = r->chain[0].not_before;
		v->not_after = r->chain[0].not_after;
		v->names = r->chain[0].names;
		v->top_subject = r->chain[top].subject;
		v->top_issuer = r->chain[top].issuer;
	}
	v->verified = r->verified;
	v->reasons = r->verify_reasons;
	v->verify_text = r->verify_text;
}

static void
view_from_extra(struct chain_view *v, const struct mxlab_probe_sni *x, const char *label)
{
	memset(v, 0, sizeof *v);
	v->label = label;
	v->name = x->name;
	v->nchain = x->nchain;
	v->subject = x->subject;
	v->issuer = x->issuer;
	v->not_before = x->not_before;
	v->not_after = x->not_after;
	v->names = x->names;
	v->top_subject = x->top_subject;
	v->top_issuer = x->top_issuer;
	v->verified = x->verified;
	v->reasons = x->verify_reasons;
	v->verify_text = x->verify_text;
}

static const char leaf_only_cause[] =
	"smtpd_tls_cert_file (or smtpd_tls_chain_files) most likely holds the leaf "
	"alone (cert.pem instead of fullchain.pem): clients that verify cannot link "
	"it to a root they trust (openssl: 'unable to get local issuer certificate', "
	"Postfix: 'untrusted issuer'). Less often the issuer is a private root the "
	"checking side does not trust.";
static const char leaf_only_fix[] =
	"Put the leaf followed by the intermediate(s) in that file (fullchain.pem), "
	"or use smtpd_tls_chain_files = key.pem, fullchain.pem; then postfix reload "
	"and check that the server sends 2 or more certificates.";

/* The certificate rules for one presented chain (docs/probe.md). */
static void
judge_chain(struct mxlab_probe_report *rep, const struct chain_view *v)
{
	char pre[300];
	long long nb = iso_time(v->not_before), na = iso_time(v->not_after);
	int self = v->nchain >= 1 && strcmp(v->subject, v->issuer) == 0;
	int untrusted = rep->ca_given && (v->reasons & MXLAB_VR_UNTRUSTED);
	int expired = (v->reasons & MXLAB_VR_EXPIRED) || (na >= 0 && na < rep->now);
	int future = (v->reasons & MXLAB_VR_NOT_YET_VALID) || (nb >= 0 && nb > rep->now);

	prefix(pre, sizeof pre, v->label);
	if (v->name_only) {
		expired = future = 0;
		goto name;
	}
	if (v->nchain == 0) {
		add(rep, "tls-failed", MXLAB_PROBE_ERROR,
		    "A TLS server always sends its certificate; none arrived.",
		    "Check smtpd_tls_chain_files / smtpd_tls_cert_file and the mail log.",
		    "%sthe server presented no certificate.", pre);
		return;
	}
	if (self && !(rep->ca_given && v->verified))
		add(rep, "self-signed", rep->ca_given ? MXLAB_PROBE_ERROR : MXLAB_PROBE_WARN,
		    "smtpd_tls_cert_file holds a certificate signed by its own key (made with "
		    "openssl req -x509, or a default such as Debian's ssl-cert-snakeoil.pem), "
		    "not one issued by a CA: only clients that pin it can verify it.",
		    "Get a certificate from a CA the senders trust (Let's Encrypt is fine for "
		    "SMTP) and set smtpd_tls_chain_files = key.pem, fullchain.pem.",
		    "%sthe server sends a self-signed certificate (%s, issued by itself)%s.",
		    pre, v->subject, rep->ca_given ? ", not trusted by the CA given" : "");
	else if (v->nchain == 1 && !self && untrusted)
		add(rep, "chain-leaf-only", MXLAB_PROBE_ERROR, leaf_only_cause, leaf_only_fix,
		    "%sthe server sends 1 certificate (%s, issued by %s), and it cannot be "
		    "verified against the CA given: the issuer is missing from the chain.",
		    pre, v->subject, v->issuer);
	else if (v->nchain == 1 && !self && !rep->ca_given)
		add(rep, "chain-leaf-only", MXLAB_PROBE_WARN, leaf_only_cause, leaf_only_fix,
		    "%sthe server sends 1 certificate (%s, issued by %s). Unless %s is itself "
		    "a root the senders trust, the intermediate is missing (no --ca-file: "
		    "not verified).", pre, v->subject, v->issuer, v->issuer);
	else if (untrusted)
		add(rep, "untrusted-issuer", MXLAB_PROBE_ERROR,
		    "The chain leads to a CA that the CA file/dir given does not hold: a "
		    "private or test CA, a wrong intermediate in the chain file, or a CA file "
		    "on the checking side that lacks the root.",
		    "Serve a certificate from a CA the senders trust, with the intermediate "
		    "that actually issued the leaf (compare the leaf's issuer with the next "
		    "certificate's subject), or give the right --ca-file.",
		    "%sthe chain (%d certificates) ends at %s, issued by %s, which the CA "
		    "given does not trust.", pre, v->nchain, v->top_subject, v->top_issuer);
	else
		add(rep, "chain-ok", MXLAB_PROBE_OK, "", "",
		    "%s%d certificate%s: %s, issued by %s%s.", pre, v->nchain,
		    v->nchain == 1 ? "" : "s", v->subject, v->issuer,
		    rep->ca_given ? "; the chain leads to a trusted root"
				  : " (trust not judged: no CA given)");
	if (expired)
		add(rep, "expired", MXLAB_PROBE_ERROR,
		    "The certificate was not renewed, or it was renewed but Postfix still "
		    "serves the old file (a renewal needs postfix reload, and the path in "
		    "smtpd_tls_chain_files / smtpd_tls_cert_file must be the renewed one).",
		    "Renew it, point smtpd_tls_chain_files (or smtpd_tls_cert_file) at the "
		    "new full chain and run postfix reload.",
		    "%s%s%s expired on %s.", pre, na >= 0 && na < rep->now ? "" : "a certificate "
		    "of the chain has expired; the leaf ", v->subject, v->not_after);
	if (future)
		add(rep, "not-yet-valid", MXLAB_PROBE_ERROR,
		    "The certificate starts in the future: it was issued with a wrong date, "
		    "or the clock of the server or of this machine is wrong.",
		    "Check both clocks (timedatectl, NTP); if they are right, reissue the "
		    "certificate or wait until its notBefore.",
		    "%s%s is valid only from %s.", pre, v->subject, v->not_before);
name:
	if (v->name && *v->name && (v->reasons & MXLAB_VR_NAME_MISMATCH) && !v->skip_name)
		add(rep, "name-mismatch", MXLAB_PROBE_ERROR,
		    "The server serves a certificate made for another name: a default or "
		    "snakeoil certificate, the host's other name, or (with SNI) a wrong entry "
		    "in tls_server_sni_maps.",
		    "Serve a certificate whose subjectAltName holds the name senders connect "
		    "to (the MX host name); for several names on one IP map each in "
		    "tls_server_sni_maps.",
		    "%sthe certificate (%s; names %s) is not valid for %s.", pre, v->subject,
		    v->names && *v->names ? v->names : "none", v->name);
	if (v->name_only)
		return;
	if (v->reasons & MXLAB_VR_BAD_USAGE)
		add(rep, "bad-usage", MXLAB_PROBE_ERROR,
		    "The certificate's key usage or extended key usage does not allow a TLS "
		    "server (issued for clients or signing only).",
		    "Reissue it with extendedKeyUsage = serverAuth (and digitalSignature).",
		    "%s%s may not be used by a TLS server.", pre, v->subject);
	if (rep->ca_given && !v->verified &&
	    ((v->reasons & (MXLAB_VR_OTHER | MXLAB_VR_NO_CHAIN)) || v->reasons == 0))
		add(rep, "verify-failed", MXLAB_PROBE_ERROR,
		    "The chain failed verification for a reason the other findings do not "
		    "cover (a bad signature, a constraint, an unsupported algorithm).",
		    "Check the chain with openssl verify -CAfile ROOT -untrusted CHAIN LEAF.",
		    "%sverification failed: %s.", pre, v->verify_text);
}

/* Do two sessions show the same leaf? */
static int
same_leaf(const struct mxlab_client_result *a, const struct mxlab_client_result *b)
{
	return a->nchain == b->nchain && a->nchain > 0 &&
	       strcmp(a->chain[0].subject, b->chain[0].subject) == 0 &&
	       strcmp(a->chain[0].issuer, b->chain[0].issuer) == 0 &&
	       strcmp(a->chain[0].not_before, b->chain[0].not_before) == 0 &&
	       strcmp(a->chain[0].not_after, b->chain[0].not_after) == 0 &&
	       strcmp(a->chain[0].names, b->chain[0].names) == 0;
}

static int
tls_ok(const struct mxlab_client_result *r)
{
	return r->tls;
}

static void
judge_connection(struct mxlab_probe_report *rep)
{
	if (!rep->connected)
		add(rep, "connect-failed", MXLAB_PROBE_ERROR,
		    "Nothing listens there, a firewall drops the connection, or the name "
		    "resolves to another address.",
		    "Check the address and port (ss -ltn on the server, master.cf for "
		    "smtp/submission/smtps), and the firewall.",
		    "could not connect to %s: %s.", rep->target,
		    rep->connect_error[0] ? rep->connect_error : "no answer");
	else if (!rep->implicit_tls && rep->greeting_code != 220)
		add(rep, "connect-failed", MXLAB_PROBE_ERROR,
		    "The server refuses sessions (too many connections, a postscreen or "
		    "access rule, a 421 while overloaded), or it is not an SMTP server.",
		    "Read the server's mail log for this client's address.",
		    "connected, but the greeting was '%s'%s%s.",
		    rep->greeting[0] ? rep->greeting : "(none)",
		    rep->connect_error[0] ? ": " : "", rep->connect_error);
	else if (!rep->implicit_tls && !rep->ehlo_done)
		add(rep, "connect-failed", MXLAB_PROBE_ERROR,
		    "The server refuses EHLO from this client (a helo restriction) or is "
		    "not an ESMTP server.",
		    "Read the server's mail log; check smtpd_helo_restrictions.",
		    "EHLO failed: %s.", rep->connect_error[0] ? rep->connect_error : "no 250");
}

static void
judge_starttls(struct mxlab_probe_report *rep)
{
	const struct mxlab_client_result *n = &rep->nosni;

	if (rep->implicit_tls || !rep->ehlo_done)
		return;
	if (!rep->starttls_offered) {
		add(rep, "starttls-missing", MXLAB_PROBE_ERROR,
		    "TLS is off for this listener: smtpd_tls_security_level is empty or none "
		    "(or a master.cf -o overrides it), or no certificate is configured; some "
		    "firewalls also strip STARTTLS from EHLO.",
		    "Set smtpd_tls_security_level = may (port 25) or encrypt (587) with "
		    "smtpd_tls_chain_files = key.pem, fullchain.pem; postconf -n | grep tls "
		    "shows what is active.",
		    "EHLO on port %u does not advertise STARTTLS%s.", rep->port,
		    rep->port == 25 || rep->port == 587
			? ": senders deliver in clear or not at all" : "");
		return;
	}
	if (rep->nosni_done && n->failed_stage == MXLAB_CS_STARTTLS)
		add(rep, "starttls-refused", MXLAB_PROBE_ERROR,
		    "Postfix advertises STARTTLS but answers 454 when it cannot start TLS: "
		    "the certificate or key cannot be read, the key does not match, or the "
		    "TLS library failed (see 'warning: TLS library problem' in the log).",
		    "Check smtpd_tls_chain_files (or smtpd_tls_cert_file / smtpd_tls_key_file): "
		    "readable, key matching; postfix check and the mail log name the problem.",
		    "STARTTLS is advertised, but the command got '%d %s'.",
		    n->reply[MXLAB_CS_STARTTLS].code,
		    n->reply[MXLAB_CS_STARTTLS].code ? n->reply[MXLAB_CS_STARTTLS].text
						      : n->error);
}

static void
judge_handshake(struct mxlab_probe_report *rep, const struct mxlab_client_result *r,
		const char *label)
{
	if (r->failed_stage != MXLAB_CS_TLS || r->tls)
		return;
	add(rep, "tls-failed", MXLAB_PROBE_ERROR,
	    "No protocol version or cipher in common, a certificate or key the server "
	    "cannot use, or a server that rejects the SNI name sent (or its absence).",
	    "Probe again while smtpd_tls_loglevel = 2 and read the server's log; check "
	    "smtpd_tls_protocols, smtpd_tls_mandatory_ciphers and that the key matches "
	    "the certificate.",
	    "the TLS handshake %s failed: %s.", label, r->error[0] ? r->error : "no reason given");
}

static void
judge_sni(struct mxlab_probe_report *rep, int *nosni_skip_name)
{
	const struct mxlab_client_result *a = &rep->nosni, *b = &rep->sni;
	char cause[512], fix[512];
	int nosni_bad, sni_good;

	*nosni_skip_name = 0;
	if (!rep->sni_done || !tls_ok(a) || !tls_ok(b) || a->nchain == 0 || b->nchain == 0)
		return;
	if (same_leaf(a, b)) {
		add(rep, "sni-same", MXLAB_PROBE_OK, "", "",
		    "with and without SNI %s the server presents the same certificate (%s).",
		    rep->name, a->chain[0].subject);
		return;
	}
	*nosni_skip_name = 1;
	nosni_bad = !a->verified && (a->verify_reasons & MXLAB_VR_NAME_MISMATCH);
	sni_good = !(b->verify_reasons & MXLAB_VR_NAME_MISMATCH);
	snprintf(cause, sizeof cause,
		 "The server picks its certificate by SNI (Postfix: tls_server_sni_maps) and "
		 "its default (smtpd_tls_chain_files / smtpd_tls_cert_file) is another one. "
		 "Clients that send no SNI (Postfix's smtp client by default) get %s%s.",
		 a->chain[0].subject, nosni_bad ? ", which is not valid for this name" : "");
	snprintf(fix, sizeof fix,
		 "If %s is the name senders use (the MX name), make its certificate the "
		 "default in smtpd_tls_chain_files; a sending Postfix sends SNI only with "
		 "smtp_tls_servername = hostname (or nexthop).", rep->name);
	add(rep, "sni-differs", nosni_bad && sni_good ? MXLAB_PROBE_WARN : MXLAB_PROBE_INFO,
	    cause, fix,
	    "without SNI the server presents %s (issued by %s); with SNI %s it presents %s "
	    "(issued by %s).", a->chain[0].subject, a->chain[0].issuer, rep->name,
	    b->chain[0].subject, b->chain[0].issuer);
}

static void
judge_extras(struct mxlab_probe_report *rep)
{
	for (size_t i = 0; i < rep->nextra && i < MXLAB_PROBE_MAX_SNI; i++) {
		const struct mxlab_probe_sni *x = &rep->extra[i];
		char label[300];
		struct chain_view v;

		snprintf(label, sizeof label, "with SNI %s", x->name);
		if (!x->tls) {
			add(rep, "tls-failed", MXLAB_PROBE_ERROR,
			    "The server rejects this SNI name (a name missing from "
			    "tls_server_sni_maps with a strict setup) or cannot use its "
			    "certificate.",
			    "Check the entry for this name in tls_server_sni_maps (key, then "
			    "full chain) and the server's log.",
			    "the TLS handshake %s failed: %s.", label,
			    x->error[0] ? x->error : "no reason given");
			continue;
		}
		view_from_extra(&v, x, label);
		v.name_only = (rep->nosni.tls && rep->nosni.nchain > 0 &&
			       !strcmp(rep->nosni.chain[0].subject, x->subject) &&
			       !strcmp(rep->nosni.chain[0].not_after, x->not_after)) ||
			      (rep->sni.tls && rep->sni.nchain > 0 &&
			       !strcmp(rep->sni.chain[0].subject, x->subject) &&
			       !strcmp(rep->sni.chain[0].not_after, x->not_after));
		judge_chain(rep, &v);
		if (tls_ok(&rep->nosni) && rep->nosni.nchain > 0 &&
		    strcmp(rep->nosni.chain[0].subject, x->subject) != 0)
			add(rep, "sni-differs", MXLAB_PROBE_INFO,
			    "The server picks its certificate by SNI (tls_server_sni_maps).",
			    "Nothing to fix if each name gets its own certificate; clients "
			    "without SNI get the default one.",
			    "with SNI %s the server presents %s; without SNI %s.", x->name,
			    x->subject, rep->nosni.chain[0].subject);
	}
}

/* The protocols finding's note on the versions not tested: those this
 * mbedTLS cannot speak, and those it can whose session got no verdict
 * (the handshake timed out, or the session ended before it: probe.c). */
static void
untested_note(const char *words, char *buf, size_t len)
{
	char cannot[64] = "", none[64] = "";
	size_t k;

	for (const char *p = words; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");
		char v[16], why[160], *to;
		struct mx_tls_versions tv;

		snprintf(v, sizeof v, "%.*s", (int)n, p);
		tv.min = tv.max = mx_tls_version_parse(v);
		to = tv.min > 0 && mx_tls_versions_check(&tv, why, sizeof why) == 0 ? none : cannot;
		k = strlen(to);
		snprintf(to + k, sizeof cannot - k, "%s%s", k ? " " : "", v);
		p += n;
	}
	buf[0] = '\0';
	if (cannot[0])
		snprintf(buf, len, "; not tested: %s (this mbedTLS cannot speak it)", cannot);
	k = strlen(buf);
	if (none[0])
		snprintf(buf + k, len - k, "; no verdict: %s (the session timed out or ended "
			 "before the handshake: inconclusive)", none);
}

static void
judge_protocols(struct mxlab_probe_report *rep)
{
	char untested[256];

	if (!rep->versions_tested[0])
		return;
	untested_note(rep->versions_untested, untested, sizeof untested);
	if (strstr(rep->versions_accepted, "TLSv1.0") || strstr(rep->versions_accepted, "TLSv1.1"))
		add(rep, "old-protocols", MXLAB_PROBE_WARN,
		    "smtpd_tls_protocols / smtpd_tls_mandatory_protocols still allow TLSv1 "
		    "and TLSv1.1 (Postfix's defaults do: >=TLSv1).",
		    "smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = "
		    ">=TLSv1.2 (before Postfix 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1); on "
		    "port 25 a sender limited to old versions then delivers in clear.",
		    "the server accepts %s (accepted: %s; refused: %s%s).",
		    strstr(rep->versions_accepted, "TLSv1.0") && strstr(rep->versions_accepted, "TLSv1.1")
			? "TLSv1.0 and TLSv1.1"
			: strstr(rep->versions_accepted, "TLSv1.0") ? "TLSv1.0" : "TLSv1.1",
		    rep->versions_accepted, rep->versions_refused[0] ? rep->versions_refused : "none",
		    untested);
	else if (rep->versions_accepted[0])
		add(rep, "protocols", MXLAB_PROBE_OK, "", "",
		    "accepted: %s; refused: %s%s.", rep->versions_accepted,
		    rep->versions_refused[0] ? rep->versions_refused : "none", untested);
	else
		add(rep, "protocols", MXLAB_PROBE_INFO,
		    "A server that needs something these single-version sessions do not "
		    "offer (a cipher, an extension).",
		    "Read the server's TLS log (smtpd_tls_loglevel = 2) for these sessions.",
		    "no single version was accepted on its own (tried %s)%s.",
		    rep->versions_tested, untested);
	/* Only when 1.3 was tried and refused while another version works:
	 * an mbedTLS without 1.3 (2.28) lists it as not tested above. */
	if (strstr(rep->versions_refused, "TLSv1.3") && rep->versions_accepted[0])
		add(rep, "tls13-not-offered", MXLAB_PROBE_INFO,
		    "Postfix (with OpenSSL 1.1.1 or later), Exim and the large providers "
		    "(Gmail, Microsoft 365) negotiate TLSv1.3 by default. Without it every "
		    "session costs an extra round trip in the handshake, the certificate "
		    "travels in clear, and TLSv1.2's older cipher suites stay the only ones. "
		    "Usually smtpd_tls_protocols excludes it (!TLSv1.3, <=TLSv1.2), the TLS "
		    "library is older than OpenSSL 1.1.1, or a TLS proxy ends the session.",
		    "Leave TLSv1.3 allowed: smtpd_tls_protocols = >=TLSv1.2 (and "
		    "smtpd_tls_mandatory_protocols likewise), smtpd linked with OpenSSL "
		    "1.1.1 or later (ldd $(postconf -h daemon_directory)/smtpd | grep ssl); "
		    "then postfix reload.",
		    "TLSv1.3 not offered: a session limited to TLSv1.3 was refused "
		    "(accepted: %s).", rep->versions_accepted);
}

static void
judge_auth(struct mxlab_probe_report *rep)
{
	if (rep->auth_before_tls)
		add(rep, "auth-before-tls", MXLAB_PROBE_WARN,
		    "SASL is on for a listener that allows plaintext, with smtpd_tls_auth_only "
		    "= no (the default): clients may send passwords in clear.",
		    "smtpd_tls_auth_only = yes; on submission (587) also "
		    "-o smtpd_tls_security_level=encrypt in master.cf.",
		    "AUTH %s is advertised before STARTTLS.", rep->auth_mechs_before);
	else if (!rep->implicit_tls && rep->auth_mechs_after[0])
		add(rep, "auth-after-tls-only", MXLAB_PROBE_OK, "", "",
		    "AUTH %s is advertised only after STARTTLS.", rep->auth_mechs_after);
}

/* Stable sort: ERROR first, OK last. */
static void
sort_findings(struct mxlab_probe_report *rep)
{
	for (size_t i = 1; i < rep->nfindings; i++) {
		struct mxlab_probe_finding f = rep->findings[i];
		size_t j = i;

		while (j > 0 && rep->findings[j - 1].severity < f.severity) {
			rep->findings[j] = rep->findings[j - 1];
			j--;
		}
		rep->findings[j] = f;
	}
}

void
mxlab_probe_analyse(struct mxlab_probe_report *rep)
{
	struct chain_view v;
	char label[300];
	int skip_name = 0, any_tls;

	rep->nfindings = 0;
	judge_connection(rep);
	if (rep->out_of_time)
		add(rep, "probe-incomplete", MXLAB_PROBE_ERROR,
		    "The server answers very slowly: its replies take a large part of "
		    "--timeout each (a greeting pause such as postscreen_greet_wait, "
		    "tarpitting after errors (smtpd_error_sleep_time), DNS lookups in "
		    "smtpd_*_restrictions timing out, an overloaded host).",
		    "Find what delays the replies (the mail log's session timings, reverse "
		    "DNS, postscreen); to see the whole picture meanwhile, raise "
		    "--total-timeout.",
		    "the probe ran out of its total time (%u ms, --total-timeout) after %.1f s: "
		    "sessions were cut short or not run, the findings are incomplete.",
		    rep->total_timeout_ms, rep->seconds);
	judge_starttls(rep);
	if (rep->nosni_done)
		judge_handshake(rep, &rep->nosni, "without SNI");
	if (rep->sni_done) {
		snprintf(label, sizeof label, "with SNI %s", rep->name);
		judge_handshake(rep, &rep->sni, label);
	}
	judge_sni(rep, &skip_name);
	if (rep->sni_done && tls_ok(&rep->sni)) {
		int same = tls_ok(&rep->nosni) && same_leaf(&rep->nosni, &rep->sni);

		view_from_result(&v, &rep->sni, same || !tls_ok(&rep->nosni) ? "" : label,
				 rep->name);
		judge_chain(rep, &v);
		if (!same && tls_ok(&rep->nosni)) {
			view_from_result(&v, &rep->nosni, "without SNI", rep->name);
			v.skip_name = skip_name;
			judge_chain(rep, &v);
		}
	} else if (rep->nosni_done && tls_ok(&rep->nosni)) {
		view_from_result(&v, &rep->nosni, rep->sni_done ? "without SNI" : "", rep->name);
		judge_chain(rep, &v);
	}
	judge_extras(rep);
	any_tls = (rep->nosni_done && tls_ok(&rep->nosni)) || (rep->sni_done && tls_ok(&rep->sni));
	if (any_tls)
		judge_protocols(rep);
	judge_auth(rep);
	if (any_tls && !rep->ca_given)
		add(rep, "no-ca", MXLAB_PROBE_INFO, "Trust is judged against a CA file or directory.",
		    "Give --ca-file (public CAs: /etc/ssl/certs/ca-certificates.crt; a private "
		    "CA: its root) to have the chain verified.",
		    "no --ca-file or --ca-dir given: trust is not judged (dates and names are).");
	sort_findings(rep);
}
