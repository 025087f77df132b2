/*
 * certs.c: mxlab_pki_generate(), the order of certs-gen's work.
 *
 * Checks the options and host specs (MXLAB_ERR_USAGE), makes the
 * directories, generates the three CAs (root, intermediate with pathlen 0,
 * an unrelated root), then for each host one key and one leaf per profile
 * of the table in certs_profile.c, each with its five files, and last
 * manifest.json. With opt->keys (certs_keys.c) the CA keys and the first
 * hosts' keys are taken from it instead of generated; the certificates are
 * issued here all the same. Validity is computed from one time(NULL) at the start
 * (so libfaketime shifts it). Errors: MXLAB_ERR_USAGE, _IO, _TLS (key or
 * certificate generation, "what: mbedTLS text"), _NOMEM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "certs_int.h"

#define ROOT_DN		"CN=mxlab Test Root CA,O=mxlab"
#define INTER_DN	"CN=mxlab Test Intermediate CA,O=mxlab"
#define OTHER_DN	"CN=mxlab Unrelated Root CA,O=mxlab"
#define CA_DAYS		3650
#define DEFAULT_HOST	"mx.example.test,localhost,127.0.0.1"

struct ca {
	const char *dn;
	const char *crt, *key;		/* relative paths */
	const char *role, *key_role;
	struct certs_key own;
	struct certs_key *k;		/* &own, or one of opt->keys */
	char pem[CERTS_PEM_MAX];
};

enum { CA_ROOT, CA_INTER, CA_OTHER, CA_COUNT };

struct gen {
	const struct mxlab_pki_options *opt;
	time_t now;
	struct certs_rng rng;
	struct certs_manifest mf;
	struct certs_name wrong;
	struct ca ca[CA_COUNT];
	char *err;
	size_t errlen;
};

/* Write one file and list it in the manifest; tmpl has the cert facts. */
static mxlab_err
put(struct gen *g, const char *rel, const char *role, int mode,
    const char *const *parts, size_t nparts, int certificates, int has_key,
    const struct certs_mf_file *tmpl)
{
	struct certs_mf_file f = *tmpl;
	mxlab_err e;

	e = certs_file_write(g->opt->dir, rel, mode, parts, nparts, g->err,
			     g->errlen);
	if (e != MXLAB_OK)
		return e;
	snprintf(f.path, sizeof f.path, "%s", rel);
	f.role = role;
	f.certificates = certificates;
	f.has_key = has_key;
	if (certs_manifest_add(&g->mf, &f) != MXLAB_OK) {
		snprintf(g->err, g->errlen, "%s: out of memory", rel);
		return MXLAB_ERR_NOMEM;
	}
	return MXLAB_OK;
}

static mxlab_err
make_ca(struct gen *g, int i, int signer, int pathlen)
{
	struct ca *c = &g->ca[i], *s = &g->ca[signer];
	char kpem[CERTS_PEM_MAX];
	struct certs_mf_file f;
	struct certs_issue is;
	const char *part[1];
	mxlab_err e;
	int r;

	if (g->opt->keys)
		c->k = &g->opt->keys->ca[i];
	else if ((r = certs_key_make(&c->own, g->opt->key_type, &g->rng)) != 0)
		return certs_tls_error(g->err, g->errlen, c->key, r);
	memset(&is, 0, sizeof is);
	is.subject = c->dn;
	is.issuer = s->dn;
	is.subject_key = &c->k->pk;
	is.issuer_key = &s->k->pk;
	is.issuer_signer = certs_key_signer(s->k);
	is.not_before = g->now - CERTS_DAY;
	is.not_after = g->now + CA_DAYS * CERTS_DAY;
	is.ca = 1;
	is.pathlen = pathlen;
	is.key_usage = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
	if ((r = certs_x509_issue(&is, &g->rng, c->pem, sizeof c->pem)) != 0 ||
	    (r = certs_key_pem(&c->k->pk, kpem, sizeof kpem)) != 0)
		return certs_tls_error(g->err, g->errlen, c->crt, r);
	memset(&f, 0, sizeof f);
	if ((r = certs_x509_info(c->pem, &f.info)) != 0)
		return certs_tls_error(g->err, g->errlen, c->crt, r);
	part[0] = c->pem;
	if ((e = put(g, c->crt, c->role, 0644, part, 1, 1, 0, &f)) != MXLAB_OK)
		return e;
	part[0] = kpem;
	e = put(g, c->key, c->key_role, 0600, part, 1, 0, 1, &f);
	mbedtls_platform_zeroize(kpem, sizeof kpem);
	return e;
}

static unsigned
leaf_key_usage(const struct gen *g, const struct certs_profile *p)
{
	unsigned ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;

	if (g->opt->key_type == MXLAB_PKI_KEY_RSA2048)
		ku |= MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	if (p->ca)
		ku |= MBEDTLS_X509_KU_KEY_CERT_SIGN;
	return ku;
}

/* One profile of one host: the leaf and its five files. */
static mxlab_err
make_leaf(struct gen *g, const struct certs_host *h, struct certs_key *key,
	  const char *kpem, const struct certs_profile *p)
{
	char pem[CERTS_PEM_MAX], subject[CERTS_NAME_MAX + 64];
	char rel[CERTS_NAME_MAX + 64], dir[CERTS_NAME_MAX + 32];
	const char *parts[3], *chain = NULL;
	struct ca *signer = NULL;
	struct certs_mf_file f;
	struct certs_issue is;
	mxlab_err e;
	int r;

	switch (p->signer) {
	case CERTS_BY_INTERMEDIATE:
		signer = &g->ca[CA_INTER];
		chain = g->ca[CA_INTER].pem;
		break;
	case CERTS_BY_ROOT:
		signer = &g->ca[CA_ROOT];
		break;
	case CERTS_BY_OTHER_ROOT:
		signer = &g->ca[CA_OTHER];
		break;
	case CERTS_BY_SELF:
		break;
	}
	memset(&is, 0, sizeof is);
	memset(&f, 0, sizeof f);
	f.host = h->names[0].text;
	f.profile = p->name;
	f.names = p->wrong_name ? &g->wrong : h->names;
	f.nnames = p->wrong_name ? 1 : h->nnames;
	snprintf(subject, sizeof subject, "CN=%s,OU=%s,O=mxlab",
		 f.names[0].text, p->name);
	is.subject = subject;
	is.issuer = signer ? signer->dn : subject;
	is.subject_key = &key->pk;
	is.issuer_key = signer ? &signer->k->pk : &key->pk;
	is.issuer_signer = certs_key_signer(signer ? signer->k : key);
	is.not_before = g->now + p->nb_days * CERTS_DAY;
	is.not_after = g->now + p->na_days * CERTS_DAY;
	is.ca = p->ca;
	is.pathlen = -1;
	is.key_usage = leaf_key_usage(g, p);
	is.eku = p->eku;
	is.names = f.names;
	is.nnames = f.nnames;
	snprintf(dir, sizeof dir, "%s/%s", h->dirname, p->name);
	snprintf(rel, sizeof rel, "%s/leaf.crt", dir);
	if ((r = certs_x509_issue(&is, &g->rng, pem, sizeof pem)) != 0 ||
	    (r = certs_x509_info(pem, &f.info)) != 0)
		return certs_tls_error(g->err, g->errlen, rel, r);
	if ((e = certs_file_mkdirs(g->opt->dir, dir, g->err, g->errlen)))
		return e;

	parts[0] = pem;
	if ((e = put(g, rel, "leaf", 0644, parts, 1, 1, 0, &f)))
		return e;
	snprintf(rel, sizeof rel, "%s/leaf-only.pem", dir);
	if ((e = put(g, rel, "leaf-only", 0644, parts, 1, 1, 0, &f)))
		return e;
	parts[1] = chain;
	snprintf(rel, sizeof rel, "%s/fullchain.pem", dir);
	if ((e = put(g, rel, "fullchain", 0644, parts, chain ? 2 : 1,
		     chain ? 2 : 1, 0, &f)))
		return e;
	parts[0] = kpem;
	snprintf(rel, sizeof rel, "%s/leaf.key", dir);
	if ((e = put(g, rel, "key", 0600, parts, 1, 0, 1, &f)))
		return e;
	parts[1] = pem;
	parts[2] = chain;
	snprintf(rel, sizeof rel, "%s/key-chain.pem", dir);
	return put(g, rel, "key-chain", 0600, parts, chain ? 3 : 2,
		   chain ? 2 : 1, 1, &f);
}

/* Host number idx (from 0): its key from opt->keys when it has one. */
static mxlab_err
make_host(struct gen *g, const struct certs_host *h, size_t idx)
{
	char kpem[CERTS_PEM_MAX], what[CERTS_NAME_MAX + 16];
	struct certs_key own, *key = &own;
	mxlab_err e = MXLAB_OK;
	int r = 0;

	certs_key_init(&own);
	snprintf(what, sizeof what, "%s: key", h->dirname);
	if (g->opt->keys && idx < g->opt->keys->nhosts)
		key = &g->opt->keys->host[idx];
	else
		r = certs_key_make(&own, g->opt->key_type, &g->rng);
	if (r != 0 || (r = certs_key_pem(&key->pk, kpem, sizeof kpem)) != 0) {
		e = certs_tls_error(g->err, g->errlen, what, r);
		goto out;
	}
	for (int i = 0; i < MXLAB_PKI_PROFILE_COUNT && e == MXLAB_OK; i++)
		e = make_leaf(g, h, key, kpem, certs_profile_get(i));
out:
	mbedtls_platform_zeroize(kpem, sizeof kpem);
	certs_key_free(&own);
	return e;
}

/* Host specs and the wrong name, checked before anything is written. */
static mxlab_err
parse_hosts(struct gen *g, struct certs_host **hostsp, size_t *nhostsp)
{
	static const char *const def[] = { DEFAULT_HOST };
	const struct mxlab_pki_options *opt = g->opt;
	const char *const *specs = opt->hosts;
	size_t n = opt->nhosts;
	const char *wn = opt->wrong_name ? opt->wrong_name : CERTS_WRONG_NAME;
	const char *why;
	struct certs_host *hosts;
	mxlab_err e;

	if ((why = certs_name_parse(wn, strlen(wn), &g->wrong)) != NULL) {
		snprintf(g->err, g->errlen, "wrong name '%s': %s", wn, why);
		return MXLAB_ERR_USAGE;
	}
	if (specs == NULL || n == 0) {
		specs = def;
		n = 1;
	}
	if ((hosts = calloc(n, sizeof *hosts)) == NULL) {
		snprintf(g->err, g->errlen, "hosts: out of memory");
		return MXLAB_ERR_NOMEM;
	}
	*hostsp = hosts;
	for (size_t i = 0; i < n; i++) {
		if ((e = certs_host_parse(specs[i], &hosts[i], g->err,
					  g->errlen)) != MXLAB_OK)
			return e;
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(hosts[j].dirname, hosts[i].dirname))
				continue;
			snprintf(g->err, g->errlen, "host spec '%.60s': host '%s' "
				 "given twice", specs[i], hosts[i].dirname);
			return MXLAB_ERR_USAGE;
		}
		if (strcmp(hosts[i].dirname, "ca") == 0) {
			snprintf(g->err, g->errlen, "host spec '%.60s': 'ca' is "
				 "reserved for the CA files", specs[i]);
			return MXLAB_ERR_USAGE;
		}
		*nhostsp = i + 1;
	}
	return MXLAB_OK;
}

static void
ca_setup(struct gen *g)
{
	static const struct {
		const char *dn, *crt, *key, *role, *key_role;
	} t[CA_COUNT] = {
		[CA_ROOT] = { ROOT_DN, "ca/root.crt", "ca/root.key",
			      "root-ca", "root-ca-key" },
		[CA_INTER] = { INTER_DN, "ca/intermediate.crt",
			       "ca/intermediate.key", "intermediate-ca",
			       "intermediate-ca-key" },
		[CA_OTHER] = { OTHER_DN, "ca/other-root.crt",
			       "ca/other-root.key", "other-root-ca",
			       "other-root-ca-key" },
	};

	for (int i = 0; i < CA_COUNT; i++) {
		g->ca[i].dn = t[i].dn;
		g->ca[i].crt = t[i].crt;
		g->ca[i].key = t[i].key;
		g->ca[i].role = t[i].role;
		g->ca[i].key_role = t[i].key_role;
		certs_key_init(&g->ca[i].own);
		g->ca[i].k = &g->ca[i].own;
	}
}

mxlab_err
mxlab_pki_generate(const struct mxlab_pki_options *opt, char *err,
		   size_t errlen)
{
	struct certs_host *hosts = NULL;
	size_t nhosts = 0;
	char dummy[1];
	struct gen g;
	mxlab_err e;
	int r;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (opt == NULL || opt->dir == NULL || opt->dir[0] == '\0') {
		snprintf(err, errlen, "no output directory given");
		return MXLAB_ERR_USAGE;
	}
	if (opt->key_type != MXLAB_PKI_KEY_EC_P256 &&
	    opt->key_type != MXLAB_PKI_KEY_RSA2048) {
		snprintf(err, errlen, "unknown key type %d", (int)opt->key_type);
		return MXLAB_ERR_USAGE;
	}
	if (opt->keys && opt->keys->type != opt->key_type) {
		snprintf(err, errlen, "the keys given are not of the key type asked for");
		return MXLAB_ERR_USAGE;
	}
	memset(&g, 0, sizeof g);
	g.opt = opt;
	g.err = err;
	g.errlen = errlen;
	g.now = time(NULL);
	certs_manifest_init(&g.mf);
	ca_setup(&g);
	if ((r = certs_rng_init(&g.rng)) != 0) {
		e = certs_tls_error(err, errlen, "random generator", r);
		goto out;
	}
	if ((e = parse_hosts(&g, &hosts, &nhosts)) != MXLAB_OK ||
	    (e = certs_file_mkdirs(opt->dir, "ca", err, errlen)) != MXLAB_OK ||
	    (e = make_ca(&g, CA_ROOT, CA_ROOT, -1)) != MXLAB_OK ||
	    (e = make_ca(&g, CA_INTER, CA_ROOT, 0)) != MXLAB_OK ||
	    (e = make_ca(&g, CA_OTHER, CA_OTHER, -1)) != MXLAB_OK)
		goto out;
	for (size_t i = 0; i < nhosts; i++)
		if ((e = make_host(&g, &hosts[i], i)) != MXLAB_OK)
			goto out;
	e = certs_manifest_write(&g.mf, opt, hosts, nhosts, g.wrong.text,
				 g.now, err, errlen);
out:
	for (int i = 0; i < CA_COUNT; i++)
		certs_key_free(&g.ca[i].own);
	certs_rng_free(&g.rng);
	certs_manifest_free(&g.mf);
	free(hosts);
	return e;
}
