/*
 * tlscause.c: the table of TLS causes and fixes (tlscause.h).
 *
 * One row per way SMTP TLS goes wrong (or a check passes), indexed by
 * enum tc_key. `mxlab probe` (probe_analyse.c) words its findings from it;
 * `mxlab diagnose` (harness/diagnose/) its verdicts on maillog lines. The
 * texts speak about a Postfix server (smtpd_*): probe examines one, and
 * on an outbound failure the server at fault is the remote MX; what the
 * sending side can do meanwhile is a column of its own.
 */
#include <string.h>

#include "tlscause.h"

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
/* What a sender can do while a partner's certificate is broken (S17). */
static const char meanwhile_cert[] =
	"Until the partner fixes it: a policy of encrypt instead of secure/verify "
	"for this destination in smtp_tls_policy_maps still requires TLS but not "
	"the check (S17); mxlab probe MX --ca-file ROOT shows what it serves.";

/*
 * The last column: RFC 8460's result type (section 4.3). Its negotiation
 * failures are starttls-not-supported, certificate-host-mismatch,
 * certificate-expired and certificate-not-trusted; its policy failures
 * tlsa-invalid, dnssec-invalid, dane-required (DANE) and
 * sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid
 * (MTA-STS); validation-failure is the general one. Where no type is
 * exact, the closest:
 * - starttls-refused: starttls-not-supported; a 454 after advertising
 *   STARTTLS is an MX that cannot do it.
 * - not-yet-valid, bad-usage, verify-failed, self-signed, the untrusted
 *   chains: certificate-not-trusted, the RFC's label for "multiple
 *   certificate-related failures" (the reason code says which).
 * - tls-failed, protocols, protocol-mismatch and the smtpd handshake
 *   failures: validation-failure; the RFC has no type for a handshake
 *   without a common version or cipher.
 * - client-rejected-cert (smtpd): certificate-not-trusted, what the
 *   client would report about this server.
 * - dane-mismatch (no matching TLSA record, or a TLSA lookup error):
 *   tlsa-invalid. Under dane-only, "no TLSA records found" is
 *   dane-required and "non DNSSEC destination" dnssec-invalid, exactly.
 * The sts-* types come from the MTA-STS resolver's log (its own rows
 * below: diagnose_sts.c), not from Postfix's. No row yields
 * nothing else: every RFC type has a row.
 * NULL: not a failed TLS session (no connection, a probe's advice).
 */
static const struct tlscause table[TC_COUNT] = {
	[TC_CONNECT_FAILED] = { "connect-failed", NULL, "no connection",
		"Nothing listens there, a firewall drops the connection, or the name "
		"resolves to another address.",
		"Check the address and port (ss -ltn on the server, master.cf for "
		"smtp/submission/smtps), and the firewall.", NULL,
		NULL },
	[TC_CONNECT_GREETING] = { "connect-failed", NULL, "no connection",
		"The server refuses sessions (too many connections, a postscreen or "
		"access rule, a 421 while overloaded), or it is not an SMTP server.",
		"Read the server's mail log for this client's address.", NULL,
		NULL },
	[TC_CONNECT_EHLO] = { "connect-failed", NULL, "no connection",
		"The server refuses EHLO from this client (a helo restriction) or is "
		"not an ESMTP server.",
		"Read the server's mail log; check smtpd_helo_restrictions.", NULL,
		NULL },
	[TC_PROBE_INCOMPLETE] = { "probe-incomplete", NULL, "probe incomplete",
		"The server answers very slowly: its replies take a large part of "
		"--timeout each (a greeting pause such as postscreen_greet_wait, "
		"tarpitting after errors (smtpd_error_sleep_time), DNS lookups in "
		"smtpd_*_restrictions timing out, an overloaded host).",
		"Find what delays the replies (the mail log's session timings, reverse "
		"DNS, postscreen); to see the whole picture meanwhile, raise "
		"--total-timeout.", NULL,
		NULL },
	[TC_STARTTLS_MISSING] = { "starttls-missing", "s10", "no STARTTLS offered",
		"TLS is off for this listener: smtpd_tls_security_level is empty or none "
		"(or a master.cf -o overrides it), or no certificate is configured; some "
		"firewalls also strip STARTTLS from EHLO.",
		"Set smtpd_tls_security_level = may (port 25) or encrypt (587) with "
		"smtpd_tls_chain_files = key.pem, fullchain.pem; postconf -n | grep tls "
		"shows what is active.",
		"The mail waits because smtp_tls_policy_maps (or smtp_tls_security_level) "
		"requires TLS for this destination (S10); lowering it to may would send "
		"in clear (S8). Ask the partner to offer STARTTLS.",
		"starttls-not-supported" },
	[TC_STARTTLS_REFUSED] = { "starttls-refused", "s10", "STARTTLS refused",
		"Postfix advertises STARTTLS but answers 454 when it cannot start TLS: "
		"the certificate or key cannot be read, the key does not match, or the "
		"TLS library failed (see 'warning: TLS library problem' in the log).",
		"Check smtpd_tls_chain_files (or smtpd_tls_cert_file / smtpd_tls_key_file): "
		"readable, key matching; postfix check and the mail log name the problem.",
		"The mail waits because TLS is required for this destination (S10); the "
		"454 is the partner's local problem: tell its postmaster.",
		"starttls-not-supported" },
	[TC_TLS_FAILED] = { "tls-failed", "s5", "handshake failed",
		"No protocol version or cipher in common, a certificate or key the server "
		"cannot use, or a server that rejects the SNI name sent (or its absence).",
		"Probe again while smtpd_tls_loglevel = 2 and read the server's log; check "
		"smtpd_tls_protocols, smtpd_tls_mandatory_ciphers and that the key matches "
		"the certificate.", NULL,
		"validation-failure" },
	[TC_TLS_NO_CERT] = { "tls-failed", "s5", "handshake failed",
		"A TLS server always sends its certificate; none arrived.",
		"Check smtpd_tls_chain_files / smtpd_tls_cert_file and the mail log.", NULL,
		"validation-failure" },
	[TC_TLS_FAILED_SNI] = { "tls-failed", "s5", "handshake failed",
		"The server rejects this SNI name (a name missing from "
		"tls_server_sni_maps with a strict setup) or cannot use its "
		"certificate.",
		"Check the entry for this name in tls_server_sni_maps (key, then "
		"full chain) and the server's log.", NULL,
		"validation-failure" },
	[TC_SELF_SIGNED] = { "self-signed", "s14-self-signed", "self-signed certificate",
		"smtpd_tls_cert_file holds a certificate signed by its own key (made with "
		"openssl req -x509, or a default such as Debian's ssl-cert-snakeoil.pem), "
		"not one issued by a CA: only clients that pin it can verify it.",
		"Get a certificate from a CA the senders trust (Let's Encrypt is fine for "
		"SMTP) and set smtpd_tls_chain_files = key.pem, fullchain.pem.",
		meanwhile_cert,
		"certificate-not-trusted" },
	[TC_CHAIN_LEAF_ONLY] = { "chain-leaf-only", "s6", "leaf-only chain",
		leaf_only_cause, leaf_only_fix, meanwhile_cert,
		"certificate-not-trusted" },
	[TC_UNTRUSTED_ISSUER] = { "untrusted-issuer", "s14-chain", "untrusted issuer",
		"The chain leads to a CA that the CA file/dir given does not hold: a "
		"private or test CA, a wrong intermediate in the chain file, or a CA file "
		"on the checking side that lacks the root.",
		"Serve a certificate from a CA the senders trust, with the intermediate "
		"that actually issued the leaf (compare the leaf's issuer with the next "
		"certificate's subject), or give the right --ca-file.", NULL,
		"certificate-not-trusted" },
	[TC_EXPIRED] = { "expired", "s14-expired", "expired certificate",
		"The certificate was not renewed, or it was renewed but Postfix still "
		"serves the old file (a renewal needs postfix reload, and the path in "
		"smtpd_tls_chain_files / smtpd_tls_cert_file must be the renewed one).",
		"Renew it, point smtpd_tls_chain_files (or smtpd_tls_cert_file) at the "
		"new full chain and run postfix reload.",
		"First check this machine's clock (timedatectl): a clock running ahead "
		"reads a valid certificate as expired (S14). If it is right: as for any "
		"broken partner certificate, encrypt instead of secure until it is "
		"renewed (S17).",
		"certificate-expired" },
	[TC_NOT_YET_VALID] = { "not-yet-valid", "s14-not-yet-valid", "certificate not yet valid",
		"The certificate starts in the future: it was issued with a wrong date, "
		"or the clock of the server or of this machine is wrong.",
		"Check both clocks (timedatectl, NTP); if they are right, reissue the "
		"certificate or wait until its notBefore.",
		"First check this machine's clock (timedatectl): a clock running behind "
		"reads a new certificate as not yet valid (S14).",
		"certificate-not-trusted" },
	[TC_NAME_MISMATCH] = { "name-mismatch", "s7", "name mismatch",
		"The server serves a certificate made for another name: a default or "
		"snakeoil certificate, the host's other name, or (with SNI) a wrong entry "
		"in tls_server_sni_maps.",
		"Serve a certificate whose subjectAltName holds the name senders connect "
		"to (the MX host name); for several names on one IP map each in "
		"tls_server_sni_maps.",
		"Postfix sends no SNI by default: if the MX picks its certificate by SNI, "
		"smtp_tls_servername = hostname fixes it (S13); if the certificate names "
		"another host of the partner, match= in smtp_tls_policy_maps.",
		"certificate-host-mismatch" },
	[TC_BAD_USAGE] = { "bad-usage", "s14", "wrong key usage",
		"The certificate's key usage or extended key usage does not allow a TLS "
		"server (issued for clients or signing only).",
		"Reissue it with extendedKeyUsage = serverAuth (and digitalSignature).", NULL,
		"certificate-not-trusted" },
	[TC_VERIFY_FAILED] = { "verify-failed", "s11", "verification failed",
		"The chain failed verification for a reason the other findings do not "
		"cover (a bad signature, a constraint, an unsupported algorithm).",
		"Check the chain with openssl verify -CAfile ROOT -untrusted CHAIN LEAF.",
		"Raise smtp_tls_loglevel to 2 for the reason (S15); meanwhile encrypt "
		"instead of secure for this destination (S17).",
		"certificate-not-trusted" },
	[TC_SNI_DIFFERS] = { "sni-differs", "s12", "certificate chosen by SNI",
		/* formats: the subject, then the "not valid" words or "" */
		"The server picks its certificate by SNI (Postfix: tls_server_sni_maps) and "
		"its default (smtpd_tls_chain_files / smtpd_tls_cert_file) is another one. "
		"Clients that send no SNI (Postfix's smtp client by default) get %s%s.",
		/* format: the name */
		"If %s is the name senders use (the MX name), make its certificate the "
		"default in smtpd_tls_chain_files; a sending Postfix sends SNI only with "
		"smtp_tls_servername = hostname (or nexthop).", NULL,
		NULL },
	[TC_SNI_DIFFERS_EXTRA] = { "sni-differs", "s12", "certificate chosen by SNI",
		"The server picks its certificate by SNI (tls_server_sni_maps).",
		"Nothing to fix if each name gets its own certificate; clients "
		"without SNI get the default one.", NULL,
		NULL },
	[TC_OLD_PROTOCOLS] = { "old-protocols", "s5", "old protocol versions",
		"smtpd_tls_protocols / smtpd_tls_mandatory_protocols still allow TLSv1 "
		"and TLSv1.1 (Postfix's defaults do: >=TLSv1).",
		"smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = "
		">=TLSv1.2 (before Postfix 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1); on "
		"port 25 a sender limited to old versions then delivers in clear.", NULL,
		NULL },
	[TC_PROTOCOLS_NONE] = { "protocols", "s5", "protocol versions",
		"A server that needs something these single-version sessions do not "
		"offer (a cipher, an extension).",
		"Read the server's TLS log (smtpd_tls_loglevel = 2) for these sessions.", NULL,
		"validation-failure" },
	[TC_TLS13_NOT_OFFERED] = { "tls13-not-offered", "s5", "TLSv1.3 not offered",
		"Postfix (with OpenSSL 1.1.1 or later), Exim and the large providers "
		"(Gmail, Microsoft 365) negotiate TLSv1.3 by default. Without it every "
		"session costs an extra round trip in the handshake, the certificate "
		"travels in clear, and TLSv1.2's older cipher suites stay the only ones. "
		"Usually smtpd_tls_protocols excludes it (!TLSv1.3, <=TLSv1.2), the TLS "
		"library is older than OpenSSL 1.1.1, or a TLS proxy ends the session.",
		"Leave TLSv1.3 allowed: smtpd_tls_protocols = >=TLSv1.2 (and "
		"smtpd_tls_mandatory_protocols likewise), smtpd linked with OpenSSL "
		"1.1.1 or later (ldd $(postconf -h daemon_directory)/smtpd | grep ssl); "
		"then postfix reload.", NULL,
		NULL },
	[TC_AUTH_BEFORE_TLS] = { "auth-before-tls", "s4", "AUTH before TLS",
		"SASL is on for a listener that allows plaintext, with smtpd_tls_auth_only "
		"= no (the default): clients may send passwords in clear.",
		"smtpd_tls_auth_only = yes; on submission (587) also "
		"-o smtpd_tls_security_level=encrypt in master.cf.", NULL,
		NULL },
	[TC_NO_CA] = { "no-ca", "s9", "trust not judged",
		"Trust is judged against a CA file or directory.",
		"Give --ca-file (public CAs: /etc/ssl/certs/ca-certificates.crt; a private "
		"CA: its root) to have the chain verified.", NULL,
		NULL },
	[TC_UNTRUSTED_CHAIN] = { "untrusted-issuer", "s14-chain",
		"leaf-only chain or untrusted issuer",
		"The verifier could not link the certificate to a CA it trusts. When the "
		"issuer named is an intermediate CA, the server most likely sends its leaf "
		"alone (smtpd_tls_cert_file holds cert.pem, not fullchain.pem: S6); when it "
		"is a root, that root is missing from the verifier's smtp_tls_CAfile / "
		"smtp_tls_CApath (S9) or the chain comes from a private CA.",
		"Count the certificates the server sends (mxlab probe MX, or openssl "
		"s_client -starttls smtp -showcerts): 1 means the server must serve "
		"leaf + intermediate (smtpd_tls_chain_files = key.pem, fullchain.pem); 2 or "
		"more means the verifier's CA file must hold the root "
		"(smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt for public CAs).",
		meanwhile_cert,
		"certificate-not-trusted" },
	[TC_PROTOCOL_MISMATCH] = { "protocol-mismatch", "s5", "protocol or cipher mismatch",
		"The TLS handshake failed: no protocol version or cipher in common. Usually "
		"smtp_tls_mandatory_protocols (or _ciphers) here excludes the only versions "
		"the remote server speaks (TLSv1, TLSv1.1), or the server excludes ours.",
		"Find the version in the log ('unsupported protocol', 'wrong version number', "
		"'no shared cipher'); the server should allow TLSv1.2 or later "
		"(smtpd_tls_protocols = >=TLSv1.2).",
		"For this destination only, a policy entry with its own protocols= in "
		"smtp_tls_policy_maps, or may instead of encrypt: an opportunistic "
		"session tolerates the old version (S5, S8).",
		"validation-failure" },
	[TC_DANE_MISMATCH] = { "dane-mismatch", "s14-dane", "DANE mismatch",
		"The TLSA records published for the MX (DNSSEC-signed) match neither its "
		"key nor its certificate: usually a key or certificate rolled over before "
		"the new TLSA record was published, or a stale record left in DNS.",
		"Publish TLSA records for the key the server now presents (3 1 1 of its "
		"public key survives renewals with the same key), wait for the old "
		"record's TTL, then roll the key; check with posttls-finger -t30 -Ldebug.",
		"Nothing safe to change on the sending side: dane is the partner's own "
		"promise. Tell its postmaster; the mail waits in the queue.",
		"tlsa-invalid" },
	[TC_DANE_REQUIRED] = { "dane-required", "s14-dane-required", "DANE required, no TLSA record",
		"This side requires DANE for the destination (smtp_tls_security_level = "
		"dane-only, or a dane-only policy entry) and the MX publishes no TLSA "
		"record in a DNSSEC-signed zone: Postfix defers before it connects. "
		"Usually the partner never published TLSA records, or removed them.",
		"The partner publishes TLSA records for each MX (3 1 1 of the key it "
		"presents: _25._tcp.MX TLSA 3 1 1 HASH, in its signed zone); check with "
		"posttls-finger -t30 -Ldebug -c -l dane-only DOMAIN.",
		"Use dane (opportunistic DANE) instead of dane-only for this destination "
		"in smtp_tls_policy_maps: TLSA records are checked where they exist, and "
		"the mail goes out with opportunistic TLS where not.",
		"dane-required" },
	[TC_DNSSEC_INVALID] = { "dnssec-invalid", "s14-dnssec", "not a DNSSEC destination",
		"Under dane-only the answers for the destination came without DNSSEC "
		"validation (no AD bit): the local resolver does not validate (Postfix's "
		"'DNSSEC validation may be unavailable'), or the partner's zone is not "
		"signed. TLSA records are then worthless and Postfix defers.",
		"Make this host's resolver validate DNSSEC (a local unbound, "
		"smtp_dns_support_level = dnssec, trust-ad) and check the partner's zone "
		"is signed (delv DOMAIN MX); then flush the queue.",
		"If the partner's zone is not signed, DANE cannot apply: use secure (with "
		"a CA file) or encrypt for it in smtp_tls_policy_maps instead of "
		"dane-only.",
		"dnssec-invalid" },
	[TC_CLIENT_PROTOCOL_MISMATCH] = { "client-protocol-mismatch", "s5",
		"protocol or cipher mismatch, client side",
		"A client and this smtpd have no TLS version or cipher in common: usually "
		"smtpd_tls_mandatory_protocols (encrypt, submission) excludes an old client "
		"(TLSv1, TLSv1.1), or smtpd_tls_mandatory_ciphers is too narrow for it.",
		"Decide whether that client must be served: if so allow its version on "
		"that service (a master.cf -o smtpd_tls_mandatory_protocols=...), else "
		"tell its owner to upgrade. Port 25 with may accepts it in clear anyway.",
		NULL,
		"validation-failure" },
	[TC_CLIENT_REJECTED_CERT] = { "client-rejected-cert", "s6",
		"client refused this server's certificate",
		"The client ended the handshake with an alert about this server's "
		"certificate (unknown ca, bad certificate, certificate unknown): it "
		"verifies, and the chain smtpd serves does not pass: the leaf alone "
		"(S6), a name it did not ask for (S7), self-signed or expired (S14).",
		"mxlab probe this server with the client's name and a public CA file; "
		"serve the full chain (smtpd_tls_chain_files = key.pem, fullchain.pem) "
		"for that name.", NULL,
		"certificate-not-trusted" },
	[TC_CLIENT_TLS_FAILED] = { "client-tls-failed", "s2", "client handshake failed",
		"A client's TLS handshake with smtpd failed without a reason in the log: "
		"it closed the connection (lost connection after STARTTLS), or spoke "
		"something else than TLS (a plaintext client on the implicit TLS port "
		"465, S2), or gave up on this server's certificate.",
		"Raise smtpd_tls_loglevel to 2 for the reason (S15) and mxlab probe the "
		"service: the chain, the name, the versions it accepts.", NULL,
		"validation-failure" },
	/* RFC 8460 has no type of its own for plaintext injected around
	 * STARTTLS: the session's TLS could not be trusted, the general one. */
	[TC_STARTTLS_INJECTION] = { "starttls-injection", "s2", "STARTTLS injection",
		"The server sent more bytes after its 220 reply to STARTTLS, before the "
		"handshake: a man in the middle injecting plaintext (CVE-2011-0411, "
		"CVE-2021-33515 and kin), or a broken server or proxy that writes ahead.",
		"Find who writes them: probe the server from inside its network; a "
		"middlebox that rewrites SMTP (an 'SMTP fixup' or inspection feature of a "
		"firewall) must be turned off; a server must send nothing after the 220.",
		NULL, "validation-failure" },
	/* MTA-STS (RFC 8461), read from postfix-mta-sts-resolver's log: a
	 * policy announced by the domain's _mta-sts TXT record that the
	 * sender could not use. Delivery goes on as if there were none. */
	[TC_STS_FETCH_ERROR] = { "sts-policy-fetch-error", "sts-fetch", "MTA-STS policy not fetched",
		"The domain announces an MTA-STS policy (its _mta-sts TXT record) but "
		"https://mta-sts.DOMAIN/.well-known/mta-sts.txt could not be fetched: "
		"the name has no address, nothing listens on port 443, the request timed "
		"out, or the answer was not a 200 with Content-Type text/plain.",
		"Serve the policy at that URL over HTTPS (200, text/plain), or remove the "
		"TXT record if MTA-STS is not meant; curl -v "
		"https://mta-sts.DOMAIN/.well-known/mta-sts.txt shows what senders get.",
		"Nothing to change: without a policy the mail goes out under "
		"smtp_tls_security_level (a policy cached earlier stays in force until "
		"its max_age); tell the domain's postmaster.",
		"sts-policy-fetch-error" },
	[TC_STS_WEBPKI] = { "sts-webpki-invalid", "sts-webpki",
		"MTA-STS policy host's certificate not valid",
		"The policy host's HTTPS certificate does not pass the PKIX check RFC 8461 "
		"asks for: it expired, names another host than mta-sts.DOMAIN, or its "
		"chain does not reach a trusted root (leaf alone, self-signed, a private "
		"CA). The policy is ignored.",
		"Serve a certificate valid for mta-sts.DOMAIN with its full chain from a "
		"public CA; check with curl -v or openssl s_client -connect "
		"mta-sts.DOMAIN:443 -servername mta-sts.DOMAIN.",
		"Nothing to change: the policy is ignored and the mail goes out under "
		"smtp_tls_security_level; tell the domain's postmaster.",
		"sts-webpki-invalid" },
	[TC_STS_INVALID] = { "sts-policy-invalid", "sts-invalid", "MTA-STS policy invalid",
		"The policy host served a policy that RFC 8461 (3.2) rejects: no "
		"'version: STSv1', a mode other than enforce, testing or none, max_age "
		"missing or above 31557600, or no mx: line under enforce or testing. It is "
		"ignored as if there were none.",
		"Correct the policy file: version: STSv1, mode: enforce (or testing), one "
		"mx: line per MX name or *.pattern, max_age: SECONDS; then change the id= "
		"of the _mta-sts TXT record so that senders fetch it again.",
		"Nothing to change: the policy is ignored and the mail goes out under "
		"smtp_tls_security_level; tell the domain's postmaster.",
		"sts-policy-invalid" },
};

const struct tlscause *
tlscause_get(enum tc_key key)
{
	return (unsigned)key < TC_COUNT ? &table[key] : NULL;
}

const struct tlscause *
tlscause_by_id(const char *id)
{
	for (size_t i = 0; id && i < TC_COUNT; i++)
		if (table[i].id && strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}
