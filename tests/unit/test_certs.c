/*
 * test_certs.c: cmocka tests of certs-gen (mxlab/certs.h).
 *
 * The group setup writes one EC PKI into a mkdtemp directory (two hosts,
 * one with a wildcard and an IPv6 literal); the tests parse every file
 * back with mbedTLS, verify each profile against ca/root.crt, and check
 * modes, key pairs, bundles, the manifest, validity, serials, the error
 * paths (bad specs: MXLAB_ERR_USAGE, unwritable dir: MXLAB_ERR_IO) and one
 * RSA PKI. Run with CMOCKA_MESSAGE_OUTPUT=TAP as one group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "mxlab/certs.h"
#include "certs_compat.h"

#define HOST1 "mx.example.test,localhost,127.0.0.1"
#define HOST2 "*.wild.example.test,::1"

static char topdir[] = "/tmp/mxlab-test-certs.XXXXXX";
static char pkidir[sizeof topdir + 8];
static time_t gen_time;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static int
setup(void **state)
{
	static const char *const hosts[] = { HOST1, HOST2 };
	struct mxlab_pki_options o;
	char err[256];

	(void)state;
	umask(022);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if (certs_compat_init() != 0 ||
	    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				  NULL, 0) != 0)
		return -1;
	if (mkdtemp(topdir) == NULL)
		return -1;
	snprintf(pkidir, sizeof pkidir, "%s/pki", topdir);
	memset(&o, 0, sizeof o);
	o.dir = pkidir;
	o.hosts = hosts;
	o.nhosts = 2;
	gen_time = time(NULL);
	if (mxlab_pki_generate(&o, err, sizeof err) != MXLAB_OK) {
		fprintf(stderr, "# generate: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(topdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return 0;
}

static const char *
path(const char *host, const char *profile, const char *role)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];

	assert_int_equal(mxlab_pki_path(b, 512, pkidir, host, profile, role),
			 MXLAB_OK);
	return b;
}

static const char *
capath(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%s/ca/%s", pkidir, name);
	return buf;
}

static int
count_certs(const mbedtls_x509_crt *c)
{
	int n = 0;

	for (; c && c->raw.len; c = c->next)
		n++;
	return n;
}

static void
load_crt(mbedtls_x509_crt *c, const char *file, int expect)
{
	mbedtls_x509_crt_init(c);
	assert_int_equal(mbedtls_x509_crt_parse_file(c, file), 0);
	assert_int_equal(count_certs(c), expect);
}

/* Every file of every host profile parses with mbedTLS. */
static void
test_parse_all(void **state)
{
	static const char *const hosts[] = { HOST1, HOST2 };
	static const char *const cas[] = { "root", "intermediate",
					   "other-root" };
	char f[64];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		mbedtls_x509_crt c;
		mbedtls_pk_context k;

		snprintf(f, sizeof f, "%s.crt", cas[i]);
		load_crt(&c, capath(f), 1);
		assert_int_equal(certs_compat_crt_ca(&c, NULL), 1);
		mbedtls_pk_init(&k);
		snprintf(f, sizeof f, "%s.key", cas[i]);
		assert_int_equal(certs_compat_parse_keyfile(&k, capath(f),
							    &drbg), 0);
		assert_int_equal(certs_compat_check_pair(&c.pk, &k, &drbg), 0);
		mbedtls_pk_free(&k);
		mbedtls_x509_crt_free(&c);
	}
	for (size_t h = 0; h < 2; h++) {
		for (int p = 0; p < MXLAB_PKI_PROFILE_COUNT; p++) {
			const char *pn = mxlab_pki_profile_name(p);
			mbedtls_x509_crt c;

			load_crt(&c, path(hosts[h], pn, "leaf.crt"), 1);
			mbedtls_x509_crt_free(&c);
			load_crt(&c, path(hosts[h], pn, "leaf-only.pem"), 1);
			mbedtls_x509_crt_free(&c);
		}
	}
}

static const struct {
	enum mxlab_pki_profile p;
	uint32_t flags;
} verdicts[] = {
	{ MXLAB_PKI_GOOD, 0 },
	{ MXLAB_PKI_SELF_SIGNED, MBEDTLS_X509_BADCERT_NOT_TRUSTED },
	{ MXLAB_PKI_EXPIRED, MBEDTLS_X509_BADCERT_EXPIRED },
	{ MXLAB_PKI_NOT_YET_VALID, MBEDTLS_X509_BADCERT_FUTURE },
	{ MXLAB_PKI_WRONG_NAME, MBEDTLS_X509_BADCERT_CN_MISMATCH },
	{ MXLAB_PKI_UNKNOWN_ROOT, MBEDTLS_X509_BADCERT_NOT_TRUSTED },
	{ MXLAB_PKI_ROOT_SIGNED, 0 },
	{ MXLAB_PKI_NO_SERVERAUTH, 0 },	/* verify does not look at EKU */
	{ MXLAB_PKI_CA_TRUE, 0 },
};

static uint32_t
verify(const char *file, const char *name, int *ret)
{
	mbedtls_x509_crt chain, ca;
	uint32_t flags = 0xffffffff;

	mbedtls_x509_crt_init(&chain);
	mbedtls_x509_crt_init(&ca);
	assert_int_equal(mbedtls_x509_crt_parse_file(&ca,
				capath("root.crt")), 0);
	assert_int_equal(mbedtls_x509_crt_parse_file(&chain, file), 0);
	*ret = mbedtls_x509_crt_verify(&chain, &ca, NULL, name, &flags,
				       NULL, NULL);
	mbedtls_x509_crt_free(&chain);
	mbedtls_x509_crt_free(&ca);
	return flags;
}

/* Each profile's fullchain against ca/root.crt gives its flags. */
static void
test_verify_profiles(void **state)
{
	(void)state;
	assert_int_equal(sizeof verdicts / sizeof verdicts[0],
			 MXLAB_PKI_PROFILE_COUNT);
	for (size_t i = 0; i < MXLAB_PKI_PROFILE_COUNT; i++) {
		const char *pn = mxlab_pki_profile_name(verdicts[i].p);
		uint32_t fl;
		int r;

		fl = verify(path(HOST1, pn, "fullchain.pem"),
			    "mx.example.test", &r);
		if (fl != verdicts[i].flags)
			fprintf(stderr, "# %s: flags 0x%x\n", pn, fl);
		assert_int_equal(fl, verdicts[i].flags);
		assert_int_equal(r, fl ? MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
				       : 0);
	}
}

/* Names: every DNS name of the spec, wildcards, no foreign name. */
static void
test_verify_names(void **state)
{
	int r;

	(void)state;
	assert_int_equal(verify(path(HOST1, "good", "fullchain.pem"),
				"localhost", &r), 0);
	assert_int_equal(verify(path(HOST1, "good", "fullchain.pem"),
				"MX.Example.TEST", &r), 0);
	assert_int_equal(verify(path(HOST1, "good", "fullchain.pem"),
				"other.example.test", &r),
			 MBEDTLS_X509_BADCERT_CN_MISMATCH);
	assert_int_equal(verify(path(HOST2, "good", "fullchain.pem"),
				"a.wild.example.test", &r), 0);
	assert_int_equal(verify(path(HOST1, "wrong-name", "fullchain.pem"),
				"wrong-name.mxlab.invalid", &r), 0);
	/* the leaf without its intermediate is not trusted */
	assert_int_equal(verify(path(HOST1, "good", "leaf-only.pem"),
				"mx.example.test", &r),
			 MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}

/* Raw iPAddress SANs: 4 bytes for 127.0.0.1, 16 for ::1. */
static void
test_ip_san(void **state)
{
	static const unsigned char v4[] = { 0x87, 4, 127, 0, 0, 1 };
	static const unsigned char v6[] = { 0x87, 16, 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 1 };
	mbedtls_x509_crt c;

	(void)state;
	load_crt(&c, path(HOST1, "good", "leaf.crt"), 1);
	assert_non_null(memmem(c.raw.p, c.raw.len, v4, sizeof v4));
	mbedtls_x509_crt_free(&c);
	load_crt(&c, path(HOST2, "good", "leaf.crt"), 1);
	assert_non_null(memmem(c.raw.p, c.raw.len, v6, sizeof v6));
	mbedtls_x509_crt_free(&c);
}

/* Extensions: EKU, CA flags, pathlen of the intermediate. */
static void
test_extensions(void **state)
{
	mbedtls_x509_crt c;
	int pathlen = -2;

	(void)state;
	load_crt(&c, path(HOST1, "good", "leaf.crt"), 1);
	assert_int_equal(certs_compat_crt_ca(&c, NULL), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c,
		MBEDTLS_OID_SERVER_AUTH,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c,
		MBEDTLS_OID_CLIENT_AUTH,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	mbedtls_x509_crt_free(&c);

	load_crt(&c, path(HOST1, "no-serverauth", "leaf.crt"), 1);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(&c,
		MBEDTLS_OID_SERVER_AUTH,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&c,
		MBEDTLS_OID_CLIENT_AUTH,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	mbedtls_x509_crt_free(&c);

	load_crt(&c, path(HOST1, "ca-true", "leaf.crt"), 1);
	assert_int_equal(certs_compat_crt_ca(&c, NULL), 1);
	mbedtls_x509_crt_free(&c);

	load_crt(&c, capath("intermediate.crt"), 1);
	assert_int_equal(certs_compat_crt_ca(&c, &pathlen), 1);
	assert_int_equal(pathlen, 0);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&c,
		MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN), 0);
	mbedtls_x509_crt_free(&c);
}

/* Bundles: counts, order of key-chain.pem, keys matching certs. */
static void
test_bundles(void **state)
{
	(void)state;
	for (int p = 0; p < MXLAB_PKI_PROFILE_COUNT; p++) {
		const char *pn = mxlab_pki_profile_name(p);
		int chained = p != MXLAB_PKI_SELF_SIGNED &&
			      p != MXLAB_PKI_UNKNOWN_ROOT &&
			      p != MXLAB_PKI_ROOT_SIGNED;
		mbedtls_x509_crt c, kc;
		mbedtls_pk_context k, kk;
		FILE *fp;
		char line[80];

		load_crt(&c, path(HOST1, pn, "fullchain.pem"), 1 + chained);
		load_crt(&kc, path(HOST1, pn, "key-chain.pem"), 1 + chained);
		assert_memory_equal(c.raw.p, kc.raw.p, c.raw.len);
		mbedtls_pk_init(&k);
		mbedtls_pk_init(&kk);
		assert_int_equal(certs_compat_parse_keyfile(&k,
				path(HOST1, pn, "leaf.key"), &drbg), 0);
		assert_int_equal(certs_compat_parse_keyfile(&kk,
				path(HOST1, pn, "key-chain.pem"), &drbg), 0);
		assert_int_equal(certs_compat_check_pair(&c.pk, &k, &drbg), 0);
		assert_int_equal(certs_compat_check_pair(&c.pk, &kk, &drbg),
				 0);
		/* key first */
		fp = fopen(path(HOST1, pn, "key-chain.pem"), "r");
		assert_non_null(fp);
		assert_non_null(fgets(line, sizeof line, fp));
		assert_non_null(strstr(line, "PRIVATE KEY"));
		fclose(fp);
		mbedtls_pk_free(&k);
		mbedtls_pk_free(&kk);
		mbedtls_x509_crt_free(&c);
		mbedtls_x509_crt_free(&kc);
	}
}

static int nfiles, nbad_mode, ntmp;

static int
check_mode(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	const char *base = p + f->base;
	int secret;

	if (flag != FTW_F)
		return 0;
	nfiles++;
	if (base[0] == '.')
		ntmp++;
	secret = strstr(base, ".key") || strcmp(base, "key-chain.pem") == 0;
	if ((st->st_mode & 07777) != (secret ? 0600 : 0644)) {
		fprintf(stderr, "# %s: mode %o\n", p, st->st_mode & 07777);
		nbad_mode++;
	}
	return 0;
}

/* Keys and key-chains 0600, the rest 0644, no temporary files left. */
static void
test_modes(void **state)
{
	(void)state;
	nfiles = nbad_mode = ntmp = 0;
	assert_int_equal(nftw(pkidir, check_mode, 16, FTW_PHYS), 0);
	assert_int_equal(nbad_mode, 0);
	assert_int_equal(ntmp, 0);
	assert_int_equal(nfiles, (int)mxlab_pki_file_count(2));
}

static char *manifest;
static int nlisted, nmissing;

static int
check_listed(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char key[600];

	(void)st; (void)f;
	if (flag != FTW_F || strcmp(p + f->base, "manifest.json") == 0)
		return 0;
	snprintf(key, sizeof key, "\"path\":\"%s\"", p + strlen(pkidir) + 1);
	if (strstr(manifest, key))
		nlisted++;
	else {
		fprintf(stderr, "# not in manifest: %s\n", key);
		nmissing++;
	}
	return 0;
}

static char *
slurp(const char *file)
{
	FILE *fp = fopen(file, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The manifest lists every file on disk, and names the essentials. */
static void
test_manifest(void **state)
{
	char f[600];
	const char *p;

	(void)state;
	snprintf(f, sizeof f, "%s/manifest.json", pkidir);
	manifest = slurp(f);
	assert_true(strncmp(manifest, "{\"version\":1,", 13) == 0);
	assert_non_null(strstr(manifest, "\"key_type\":\"ec-p256\""));
	assert_non_null(strstr(manifest, "\"trust\":\"ca/root.crt\""));
	assert_non_null(strstr(manifest, "\"role\":\"root-ca\""));
	assert_non_null(strstr(manifest, "\"role\":\"key-chain\""));
	assert_non_null(strstr(manifest,
		"\"names\":[\"DNS:mx.example.test\",\"DNS:localhost\","
		"\"IP:127.0.0.1\"]"));
	assert_non_null(strstr(manifest, "\"IP:::1\""));
	assert_non_null(strstr(manifest,
		"\"path\":\"_.wild.example.test/good/leaf.crt\""));
	assert_non_null(strstr(manifest,
		"\"subject\":\"CN=mx.example.test, OU=good, O=mxlab\""));
	nlisted = nmissing = 0;
	assert_int_equal(nftw(pkidir, check_listed, 16, FTW_PHYS), 0);
	assert_int_equal(nmissing, 0);
	assert_int_equal(nlisted, (int)mxlab_pki_file_count(2) - 1);
	/* and nothing listed twice or invented */
	nlisted = 0;
	for (p = manifest; (p = strstr(p, "\"path\":")) != NULL; p++)
		nlisted++;
	assert_int_equal(nlisted, (int)mxlab_pki_file_count(2) - 1);
	assert_int_equal(manifest[strlen(manifest) - 1], '\n');
	free(manifest);
}

static time_t
x509_time_t(const mbedtls_x509_time *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return timegm(&tm);
}

#define DAY (24L * 3600)
#define NEAR(a, b) assert_true(labs((long)((a) - (b))) < 120)

/* Validity relative to the generation time; serials random positive. */
static void
test_validity_serial(void **state)
{
	static const struct { const char *p; long nb, na; } v[] = {
		{ "good", -1, 365 }, { "expired", -730, -365 },
		{ "not-yet-valid", 365, 730 },
	};
	unsigned char first[2][32];
	mbedtls_x509_crt c;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		load_crt(&c, path(HOST1, v[i].p, "leaf.crt"), 1);
		NEAR(x509_time_t(&c.valid_from), gen_time + v[i].nb * DAY);
		NEAR(x509_time_t(&c.valid_to), gen_time + v[i].na * DAY);
		assert_true(c.serial.len >= 14 && c.serial.len <= 16);
		assert_int_equal(c.serial.p[0] & 0x80, 0);
		memcpy(first[i % 2], c.serial.p, c.serial.len);
		mbedtls_x509_crt_free(&c);
	}
	assert_memory_not_equal(first[0], first[1], 14);
	load_crt(&c, capath("root.crt"), 1);
	NEAR(x509_time_t(&c.valid_from), gen_time - DAY);
	NEAR(x509_time_t(&c.valid_to), gen_time + 3650 * DAY);
	mbedtls_x509_crt_free(&c);
}

static mxlab_err
gen1(const char *dir, const char *spec, const char *wrong, char *err,
     size_t errlen)
{
	const char *hosts[1] = { spec };
	struct mxlab_pki_options o;

	memset(&o, 0, sizeof o);
	o.dir = dir;
	o.hosts = hosts;
	o.nhosts = spec ? 1 : 0;
	o.wrong_name = wrong;
	return mxlab_pki_generate(&o, err, errlen);
}

/* Bad host specs and names: MXLAB_ERR_USAGE, a message, nothing written. */
static void
test_bad_specs(void **state)
{
	static const char *const bad[] = {
		"", "a b", "mx.example.test,", ",mx", "a..b", ".a", "a.",
		"a_b", "*.", "a.*.b", "**.a", "x,1::2::3", "mx,MX",
		"a/b", "a;b",
		/* 64-character label */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.t",
	};
	char dir[600], err[256], longname[300];

	(void)state;
	snprintf(dir, sizeof dir, "%s/bad", topdir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(gen1(dir, bad[i], NULL, err, sizeof err),
				 MXLAB_ERR_USAGE);
		assert_true(strncmp(err, "host spec '", 11) == 0);
	}
	assert_int_equal(gen1(dir, "a b", NULL, err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_string_equal(err, "host spec 'a b': invalid name 'a b'");
	memset(longname, 'a', sizeof longname);
	for (size_t i = 60; i < sizeof longname; i += 61)
		longname[i] = '.';
	longname[254] = '\0';
	assert_int_equal(gen1(dir, longname, NULL, err, sizeof err),
			 MXLAB_ERR_USAGE);
	if (strstr(err, "longer than 253") == NULL)
		fprintf(stderr, "# err: %s\n", err);
	assert_non_null(strstr(err, "longer than 253"));
	assert_int_equal(gen1(dir, "mx", "bad name", err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "wrong name 'bad name'"));
	assert_int_equal(gen1(NULL, "mx", NULL, err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_int_equal(mxlab_pki_generate(NULL, err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_int_equal(access(dir, F_OK), -1);	/* nothing written */
}

/* Unwritable: a regular file in the way; a read-only dir when not root. */
static void
test_unwritable(void **state)
{
	char file[600], dir[700], err[512];
	FILE *fp;

	(void)state;
	snprintf(file, sizeof file, "%s/plainfile", topdir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(dir, sizeof dir, "%s/sub", file);
	err[0] = '\0';
	assert_int_equal(gen1(dir, NULL, NULL, err, sizeof err), MXLAB_ERR_IO);
	assert_non_null(strstr(err, strerror(ENOTDIR)));
	if (geteuid() != 0) {
		snprintf(dir, sizeof dir, "%s/ro", topdir);
		assert_int_equal(mkdir(dir, 0500), 0);
		assert_int_equal(gen1(dir, NULL, NULL, err, sizeof err),
				 MXLAB_ERR_IO);
		assert_non_null(strstr(err, strerror(EACCES)));
	}
	/* a NULL err buffer is allowed */
	assert_int_equal(gen1(dir, NULL, NULL, NULL, 0), MXLAB_ERR_IO);
}

/* Writing again over an existing PKI works and replaces the files. */
static void
test_regenerate(void **state)
{
	char dir[600], err[256];
	struct stat a, b;

	(void)state;
	snprintf(dir, sizeof dir, "%s/again", topdir);
	assert_int_equal(gen1(dir, "again.test", NULL, err, sizeof err),
			 MXLAB_OK);
	snprintf(dir, sizeof dir, "%s/again/again.test/good/leaf.key", topdir);
	assert_int_equal(stat(dir, &a), 0);
	assert_int_equal(chmod(dir, 0644), 0);	/* a wrong mode is undone */
	snprintf(dir, sizeof dir, "%s/again", topdir);
	assert_int_equal(gen1(dir, "again.test", NULL, err, sizeof err),
			 MXLAB_OK);
	snprintf(dir, sizeof dir, "%s/again/again.test/good/leaf.key", topdir);
	assert_int_equal(stat(dir, &b), 0);
	assert_int_equal(b.st_mode & 07777, 0600);
	assert_int_not_equal(a.st_ino, b.st_ino);	/* renamed into place */
}

/* RSA-2048: one host; the good chain verifies, the key is RSA. */
static void
test_rsa(void **state)
{
	const char *hosts[1] = { "rsa.example.test" };
	struct mxlab_pki_options o;
	char dir[600], f[700], err[256];
	mbedtls_x509_crt c, ca;
	mbedtls_pk_context k;
	uint32_t flags;

	(void)state;
	snprintf(dir, sizeof dir, "%s/rsa", topdir);
	memset(&o, 0, sizeof o);
	o.dir = dir;
	o.hosts = hosts;
	o.nhosts = 1;
	o.key_type = MXLAB_PKI_KEY_RSA2048;
	assert_int_equal(mxlab_pki_generate(&o, err, sizeof err), MXLAB_OK);
	snprintf(f, sizeof f, "%s/ca/root.crt", dir);
	load_crt(&ca, f, 1);
	snprintf(f, sizeof f, "%s/rsa.example.test/good/fullchain.pem", dir);
	load_crt(&c, f, 2);
	assert_int_equal(mbedtls_pk_get_type(&c.pk), MBEDTLS_PK_RSA);
	assert_int_equal(mbedtls_pk_get_bitlen(&c.pk), 2048);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca, NULL,
				"rsa.example.test", &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	mbedtls_pk_init(&k);
	snprintf(f, sizeof f, "%s/rsa.example.test/good/leaf.key", dir);
	assert_int_equal(certs_compat_parse_keyfile(&k, f, &drbg), 0);
	assert_int_equal(certs_compat_check_pair(&c.pk, &k, &drbg), 0);
	mbedtls_pk_free(&k);
	mbedtls_x509_crt_free(&c);
	mbedtls_x509_crt_free(&ca);
	snprintf(f, sizeof f, "%s/manifest.json", dir);
	manifest = slurp(f);
	assert_non_null(strstr(manifest, "\"key_type\":\"rsa-2048\""));
	free(manifest);
}

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define CRT_SIG_MD(c) ((c).MBEDTLS_PRIVATE(sig_md))
#define CRT_SIG(c) ((c).MBEDTLS_PRIVATE(sig))
#else
#define CRT_SIG_MD(c) ((c).sig_md)
#define CRT_SIG(c) ((c).sig)
#endif

/* Keys made ahead (mxlab_pki_keys): two PKIs share the CA keys and the
 * first host's key, not the second host's (one key in the set); their
 * certificates are their own (serials) and verify. */
static void
test_keys(void **state)
{
	const char *hosts[2] = { "a.example.test", "b.example.test" };
	static const char *const same[] = {
		"ca/root.key", "ca/intermediate.key", "ca/other-root.key",
		"a.example.test/good/leaf.key",
	};
	struct mxlab_pki_options o;
	mxlab_pki_keys *keys = NULL;
	char dir[2][600], f[2][1300], err[256], *t[2];
	mbedtls_x509_crt c, ca, root[2];
	uint32_t flags;

	(void)state;
	assert_int_equal(mxlab_pki_keys_new(MXLAB_PKI_KEY_EC_P256, 1, &keys,
					    err, sizeof err), MXLAB_OK);
	for (int i = 0; i < 2; i++) {
		snprintf(dir[i], sizeof dir[i], "%s/keys%d", topdir, i);
		memset(&o, 0, sizeof o);
		o.dir = dir[i];
		o.hosts = hosts;
		o.nhosts = 2;
		o.keys = keys;
		assert_int_equal(mxlab_pki_generate(&o, err, sizeof err), MXLAB_OK);
	}
	for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
		for (int i = 0; i < 2; i++) {
			snprintf(f[i], sizeof f[i], "%s/%s", dir[i], same[k]);
			t[i] = slurp(f[i]);
		}
		assert_string_equal(t[0], t[1]);
		free(t[0]);
		free(t[1]);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(f[i], sizeof f[i], "%s/b.example.test/good/leaf.key", dir[i]);
		t[i] = slurp(f[i]);
	}
	assert_string_not_equal(t[0], t[1]);	/* beyond the set: fresh */
	free(t[0]);
	free(t[1]);
	for (int i = 0; i < 2; i++) {
		snprintf(f[i], sizeof f[i], "%s/ca/root.crt", dir[i]);
		load_crt(&root[i], f[i], 1);
	}
	assert_false(root[0].serial.len == root[1].serial.len &&
		     memcmp(root[0].serial.p, root[1].serial.p, root[0].serial.len) == 0);
	for (int i = 0; i < 2; i++) {
		const char *h[2] = { "a.example.test", "b.example.test" };

		for (int j = 0; j < 2; j++) {
			snprintf(f[0], sizeof f[0], "%s/%s/good/fullchain.pem", dir[i], h[j]);
			load_crt(&c, f[0], 2);
			assert_int_equal(mbedtls_x509_crt_verify(&c, &root[i], NULL, h[j],
								 &flags, NULL, NULL), 0);
			mbedtls_x509_crt_free(&c);
		}
		snprintf(f[0], sizeof f[0], "%s/a.example.test/self-signed/leaf.crt", dir[i]);
		load_crt(&ca, f[0], 1);
		{	/* signed by its own key, the first host's from the set
			 * (checked by hand: as its own trust anchor mbedTLS
			 * would take it without looking at the signature) */
			unsigned char hash[MBEDTLS_MD_MAX_SIZE];
			const mbedtls_md_info_t *md = mbedtls_md_info_from_type(CRT_SIG_MD(ca));

			assert_non_null(md);
			assert_int_equal(mbedtls_md(md, ca.tbs.p, ca.tbs.len, hash), 0);
			assert_int_equal(mbedtls_pk_verify(&ca.pk, CRT_SIG_MD(ca), hash, 0,
							   CRT_SIG(ca).p, CRT_SIG(ca).len), 0);
		}
		mbedtls_x509_crt_free(&ca);
	}
	mbedtls_x509_crt_free(&root[0]);
	mbedtls_x509_crt_free(&root[1]);
	/* the set must be of the type asked for */
	memset(&o, 0, sizeof o);
	o.dir = dir[0];
	o.keys = keys;
	o.key_type = MXLAB_PKI_KEY_RSA2048;
	assert_int_equal(mxlab_pki_generate(&o, err, sizeof err), MXLAB_ERR_USAGE);
	assert_string_equal(err, "the keys given are not of the key type asked for");
	mxlab_pki_keys_free(keys);
	mxlab_pki_keys_free(NULL);
	keys = (mxlab_pki_keys *)&o;
	assert_int_equal(mxlab_pki_keys_new(MXLAB_PKI_KEY_EC_P256, 65, &keys,
					    err, sizeof err), MXLAB_ERR_USAGE);
	assert_null(keys);
	assert_string_equal(err, "65 host keys asked for, at most 64");
	assert_int_equal(mxlab_pki_keys_new((enum mxlab_pki_key_type)7, 0, &keys,
					    err, sizeof err), MXLAB_ERR_USAGE);
	assert_int_equal(mxlab_pki_keys_new(MXLAB_PKI_KEY_EC_P256, 0, NULL,
					    NULL, 0), MXLAB_ERR_USAGE);
}

static void
test_path(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(mxlab_pki_path(buf, sizeof buf, "/p", "mx.test",
					"good", "leaf.crt"), MXLAB_OK);
	assert_string_equal(buf, "/p/mx.test/good/leaf.crt");
	assert_int_equal(mxlab_pki_path(buf, sizeof buf, "d", "*.w.test,::1",
					"expired", "leaf.key"), MXLAB_OK);
	assert_string_equal(buf, "d/_.w.test/expired/leaf.key");
	assert_int_equal(mxlab_pki_path(buf, 10, "/p", "mx.test", "good",
					"leaf.crt"), MXLAB_ERR_USAGE);
	assert_string_equal(buf, "");
	assert_int_equal(mxlab_pki_path(buf, sizeof buf, NULL, "h", "good",
					"leaf.crt"), MXLAB_ERR_USAGE);
	assert_int_equal(mxlab_pki_path(buf, sizeof buf, "d", "h", NULL,
					"leaf.crt"), MXLAB_ERR_USAGE);
	assert_int_equal(mxlab_pki_path(buf, sizeof buf, "d", "", "good",
					"leaf.crt"), MXLAB_ERR_USAGE);
	assert_int_equal(mxlab_pki_path(NULL, 0, "d", "h", "good", "x"),
			 MXLAB_ERR_USAGE);
}

static void
test_profile_lookup(void **state)
{
	(void)state;
	for (int i = 0; i < MXLAB_PKI_PROFILE_COUNT; i++) {
		const char *n = mxlab_pki_profile_name(i);

		assert_non_null(n);
		assert_int_equal(mxlab_pki_profile_lookup(n), i);
		assert_non_null(mxlab_pki_profile_summary(i));
	}
	assert_string_equal(mxlab_pki_profile_name(MXLAB_PKI_NOT_YET_VALID),
			    "not-yet-valid");
	assert_int_equal(mxlab_pki_profile_lookup("ca-true"),
			 MXLAB_PKI_CA_TRUE);
	assert_int_equal(mxlab_pki_profile_lookup("nope"), -1);
	assert_int_equal(mxlab_pki_profile_lookup(NULL), -1);
	assert_int_equal(mxlab_pki_profile_lookup("GOOD"), -1);
	assert_null(mxlab_pki_profile_name(MXLAB_PKI_PROFILE_COUNT));
	assert_int_equal(mxlab_pki_file_count(0), mxlab_pki_file_count(1));
	assert_int_equal(mxlab_pki_file_count(1), 6 + 9 * 5 + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_verify_profiles),
		cmocka_unit_test(test_verify_names),
		cmocka_unit_test(test_ip_san),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_validity_serial),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_regenerate),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_profile_lookup),
	};

	return cmocka_run_group_tests_name("certs", tests, setup, teardown);
}
