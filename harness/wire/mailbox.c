/*
 * mailbox.c: the fake server's message store (see mailbox.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "jsonw.h"
#include "mailbox.h"
#include "transcript.h"

struct mx_mailbox {
	char *dir;
	unsigned long next;
	pthread_mutex_t lock;
};

struct mx_mailbox *
mx_mailbox_open(const char *dir, char *err, size_t errlen)
{
	struct mx_mailbox *mb;
	DIR *d;
	struct dirent *e;

	if (mx_mkdir_p(dir) < 0 || !(d = opendir(dir))) {
		snprintf(err, errlen, "mailbox %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!(mb = calloc(1, sizeof *mb)) || !(mb->dir = strdup(dir))) {
		free(mb);
		closedir(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mb->next = 1;
	while ((e = readdir(d)) != NULL) {
		char *end;
		unsigned long n = strtoul(e->d_name, &end, 10);

		if (end != e->d_name && n >= mb->next)
			mb->next = n + 1;
	}
	closedir(d);
	pthread_mutex_init(&mb->lock, NULL);
	return mb;
}

void
mx_mailbox_close(struct mx_mailbox *mb)
{
	if (!mb)
		return;
	pthread_mutex_destroy(&mb->lock);
	free(mb->dir);
	free(mb);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create DIR/STEM.eml exclusively, taking the next free number. */
static int
create_eml(struct mx_mailbox *mb, char *stem, size_t stemlen, char *path, size_t plen)
{
	for (int tries = 0; tries < 1000; tries++) {
		unsigned long n;
		int fd;

		pthread_mutex_lock(&mb->lock);
		n = mb->next++;
		pthread_mutex_unlock(&mb->lock);
		snprintf(stem, stemlen, "%06lu", n);
		snprintf(path, plen, "%s/%s.eml", mb->dir, stem);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

mxlab_err
mx_mailbox_store(struct mx_mailbox *mb, const struct mx_envelope *env,
		 const unsigned char *data, size_t len,
		 char *name, size_t namelen, char *err, size_t errlen)
{
	char stem[32], path[4200], now[40];
	struct jw w;
	int fd;

	if ((fd = create_eml(mb, stem, sizeof stem, path, sizeof path)) < 0) {
		snprintf(err, errlen, "mailbox %s: %s", mb->dir, strerror(errno));
		return MXLAB_ERR_IO;
	}
	if (write_all(fd, data, len) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return MXLAB_ERR_IO;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MXLAB_ERR_IO;
	}
	jw_init(&w);
	mx_time_iso(now, sizeof now);
	jw_obj_begin(&w);
	jw_kstr(&w, "time", now);
	jw_kint(&w, "conn", (long long)env->conn);
	jw_kstr(&w, "client", env->client);
	jw_kstr(&w, "helo", env->helo);
	jw_kbool(&w, "tls", env->tls);
	jw_kstr(&w, "from", env->from);
	jw_key(&w, "rcpt");
	jw_arr_begin(&w);
	for (size_t i = 0; i < env->nrcpt; i++)
		jw_str(&w, env->rcpt[i]);
	jw_arr_end(&w);
	jw_kint(&w, "size", (long long)len);
	jw_kstr(&w, "file", stem);
	jw_obj_end(&w);
	jw_raw(&w, "\n");
	snprintf(path, sizeof path, "%s/%s.json", mb->dir, stem);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || w.failed || write_all(fd, w.buf, w.len) < 0) {
		snprintf(err, errlen, "%s: %s", path, w.failed ? "out of memory" : strerror(errno));
		if (fd >= 0)
			close(fd);
		jw_free(&w);
		return MXLAB_ERR_IO;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		jw_free(&w);
		return MXLAB_ERR_IO;
	}
	jw_free(&w);
	snprintf(name, namelen, "%s", stem);
	return MXLAB_OK;
}
