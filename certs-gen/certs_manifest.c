/*
 * certs_manifest.c: manifest.json, the index of a generated PKI.
 *
 * The generator appends one entry per file it wrote (certs_manifest_add);
 * certs_manifest_write() then writes DIR/manifest.json with jsonw:
 *   {"version":1, "generator":"mxlab certs-gen", "key_type":"ec-p256",
 *    "dir":"/abs/dir", "generated_at":"...Z", "trust":"ca/root.crt",
 *    "intermediate":"ca/intermediate.crt", "other_root":"ca/other-root.crt",
 *    "wrong_name":"wrong-name.mxlab.invalid",
 *    "profiles":[{"name","signer","proves","mbedtls_flags",
 *                 "openssl_error"}...],
 *    "hosts":[{"spec","name","dir","names":["DNS:..","IP:.."]}...],
 *    "files":[{"path","role","host","profile","subject","issuer",
 *              "serial","not_before","not_after","names":[..],
 *              "certificates":N,"key":bool}...]}
 * Paths are relative to the PKI dir. Errors: MXLAB_ERR_NOMEM, or those of
 * certs_file_write().
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs_int.h"
#include "jsonw.h"

static const char *const signer_names[] = {
	[CERTS_BY_INTERMEDIATE] = "intermediate",
	[CERTS_BY_ROOT] = "root",
	[CERTS_BY_OTHER_ROOT] = "other-root",
	[CERTS_BY_SELF] = "self",
};

void
certs_manifest_init(struct certs_manifest *mf)
{
	memset(mf, 0, sizeof *mf);
}

void
certs_manifest_free(struct certs_manifest *mf)
{
	free(mf->files);
	certs_manifest_init(mf);
}

mxlab_err
certs_manifest_add(struct certs_manifest *mf, const struct certs_mf_file *f)
{
	if (mf->nfiles == mf->cap) {
		size_t cap = mf->cap ? mf->cap * 2 : 64;
		struct certs_mf_file *nf;

		nf = realloc(mf->files, cap * sizeof *nf);
		if (nf == NULL)
			return MXLAB_ERR_NOMEM;
		mf->files = nf;
		mf->cap = cap;
	}
	mf->files[mf->nfiles++] = *f;
	return MXLAB_OK;
}

static void
names_json(struct jw *w, const struct certs_name *names, size_t n)
{
	char buf[CERTS_NAME_MAX + 8];

	jw_key(w, "names");
	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		certs_name_format(&names[i], buf, sizeof buf);
		jw_str(w, buf);
	}
	jw_arr_end(w);
}

static void
file_json(struct jw *w, const struct certs_mf_file *f)
{
	jw_obj_begin(w);
	jw_kstr(w, "path", f->path);
	jw_kstr(w, "role", f->role);
	if (f->host) {
		jw_kstr(w, "host", f->host);
		jw_kstr(w, "profile", f->profile);
	}
	jw_kstr(w, "subject", f->info.subject);
	jw_kstr(w, "issuer", f->info.issuer);
	jw_kstr(w, "serial", f->info.serial);
	jw_kstr(w, "not_before", f->info.not_before);
	jw_kstr(w, "not_after", f->info.not_after);
	names_json(w, f->names, f->nnames);
	jw_kint(w, "certificates", f->certificates);
	jw_kbool(w, "key", f->has_key);
	jw_obj_end(w);
}

static void
head_json(struct jw *w, const struct mxlab_pki_options *opt,
	  const char *wrong_name, time_t now)
{
	char abs[PATH_MAX], when[32];

	certs_iso_time(now, when, sizeof when);
	jw_kint(w, "version", 1);
	jw_kstr(w, "generator", "mxlab certs-gen");
	jw_kstr(w, "key_type", opt->key_type == MXLAB_PKI_KEY_RSA2048 ?
		"rsa-2048" : "ec-p256");
	jw_kstr(w, "dir", realpath(opt->dir, abs) ? abs : opt->dir);
	jw_kstr(w, "generated_at", when);
	jw_kstr(w, "trust", "ca/root.crt");
	jw_kstr(w, "intermediate", "ca/intermediate.crt");
	jw_kstr(w, "other_root", "ca/other-root.crt");
	jw_kstr(w, "wrong_name", wrong_name);
	jw_key(w, "profiles");
	jw_arr_begin(w);
	for (int i = 0; i < MXLAB_PKI_PROFILE_COUNT; i++) {
		const struct certs_profile *p = certs_profile_get(i);

		jw_obj_begin(w);
		jw_kstr(w, "name", p->name);
		jw_kstr(w, "signer", signer_names[p->signer]);
		jw_kstr(w, "proves", p->proves);
		jw_kstr(w, "mbedtls_flags", p->mbedtls_flags);
		jw_kint(w, "openssl_error", p->openssl_error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

mxlab_err
certs_manifest_write(const struct certs_manifest *mf,
		     const struct mxlab_pki_options *opt,
		     const struct certs_host *hosts, size_t nhosts,
		     const char *wrong_name, time_t now,
		     char *err, size_t errlen)
{
	const char *parts[2];
	struct jw w;
	mxlab_err e;

	jw_init(&w);
	jw_obj_begin(&w);
	head_json(&w, opt, wrong_name, now);
	jw_key(&w, "hosts");
	jw_arr_begin(&w);
	for (size_t i = 0; i < nhosts; i++) {
		jw_obj_begin(&w);
		jw_kstr(&w, "spec", hosts[i].spec);
		jw_kstr(&w, "name", hosts[i].names[0].text);
		jw_kstr(&w, "dir", hosts[i].dirname);
		names_json(&w, hosts[i].names, hosts[i].nnames);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "files");
	jw_arr_begin(&w);
	for (size_t i = 0; i < mf->nfiles; i++)
		file_json(&w, &mf->files[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.failed) {
		jw_free(&w);
		snprintf(err, errlen, "manifest.json: out of memory");
		return MXLAB_ERR_NOMEM;
	}
	parts[0] = w.buf;
	parts[1] = "\n";
	e = certs_file_write(opt->dir, "manifest.json", 0644, parts, 2,
			     err, errlen);
	jw_free(&w);
	return e;
}
