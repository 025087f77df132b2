/*
 * mta_exim_etc.c: the files a sandbox shows in its /etc for Exim
 * (mta_exim.h): the host's passwd and group with the Debian-exim user
 * and group added at a free ID, and exim4/trusted_configs naming the
 * instance's -C file. Written on the host, into the scenario directory,
 * before the sandbox starts; the host's own /etc is only read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "mta_exim.h"

/* A copy of the host's /etc/NAME with line added (line has no newline). */
static int
copy_with(const char *name, const char *dst, const char *line, char *err, size_t errlen)
{
	char src[64];
	FILE *in, *out;
	char buf[4096];
	size_t n;
	int bad = 0, last = '\n';

	snprintf(src, sizeof src, "/etc/%s", name);
	if (!(in = fopen(src, "r"))) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		return -1;
	}
	if (!(out = fopen(dst, "w"))) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
		bad |= fwrite(buf, 1, n, out) != n;
		last = buf[n - 1];
	}
	bad |= ferror(in);
	fclose(in);
	if (last != '\n')
		bad |= fputc('\n', out) == EOF;
	bad |= fprintf(out, "%s\n", line) < 0;
	if ((fclose(out) != 0) | bad) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/* The first ID from 990 down that the host's passwd (or group) does not use. */
static unsigned
free_id(const char *file)
{
	char line[1024];
	unsigned id = 990;
	int used;

	do {
		FILE *fp = fopen(file, "r");

		used = 0;
		while (fp && !used && fgets(line, sizeof line, fp)) {
			char *f = strchr(line, ':');

			if (f && (f = strchr(f + 1, ':')))
				used = strtoul(f + 1, NULL, 10) == id;
		}
		if (fp)
			fclose(fp);
	} while (used && --id > 100);
	return id;
}

int
mta_exim_etc(const char *dir, const char *conf, char *own[7], uid_t *uid, gid_t *gid,
	     char *err, size_t errlen)
{
	static const char *const names[] = { "passwd", "group", "exim4/trusted_configs" };
	static const char *const files[] = { "exim-passwd", "exim-group", "exim-trusted_configs" };
	char line[300];

	memset(own, 0, 7 * sizeof *own);
	*uid = free_id("/etc/passwd");
	*gid = free_id("/etc/group");
	for (size_t i = 0; i < 3; i++) {
		if (!(own[2 * i] = strdup(names[i])) ||
		    asprintf(&own[2 * i + 1], "%s/%s", dir, files[i]) < 0) {
			own[2 * i + 1] = NULL;
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	snprintf(line, sizeof line, "%s:x:%u:%u:Exim (mxlab):/nonexistent:/usr/sbin/nologin",
		 MTA_EXIM_USER, (unsigned)*uid, (unsigned)*gid);
	if (copy_with("passwd", own[1], line, err, errlen) < 0)
		return -1;
	snprintf(line, sizeof line, "%s:x:%u:", MTA_EXIM_USER, (unsigned)*gid);
	if (copy_with("group", own[3], line, err, errlen) < 0)
		return -1;
	/* Root-owned, not writable by group or others: Exim checks. */
	if (asprintf(&own[6], "%s\n", conf) < 0 || mx_write_text(own[5], own[6], 0644) < 0) {
		snprintf(err, errlen, "%s: %s", own[5], strerror(errno));
		return -1;
	}
	free(own[6]);
	own[6] = NULL;
	return 0;
}

void
mta_exim_etc_free(char *own[7])
{
	for (size_t i = 0; i < 7; i++) {
		free(own[i]);
		own[i] = NULL;
	}
}
