/*
 * opts.c: the option splitting every subcommand shares.
 *
 * Long options only: "--key value" or "--key=value"; "--" ends options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mxlab.h"

void
mx_warn(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mxlab %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
mx_opt_next(const char *sub, int argc, char **argv, int *i,
	    const char *const *flags, char *keybuf, size_t keylen,
	    const char **key, const char **value)
{
	const char *a = argv[*i];
	const char *eq;
	size_t n;

	if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
		return 1;
	a += 2;
	eq = strchr(a, '=');
	n = eq ? (size_t)(eq - a) : strlen(a);
	if (n + 1 > keylen) {
		mx_warn(sub, "option '--%.40s...' is too long", a);
		return -1;
	}
	memcpy(keybuf, a, n);
	keybuf[n] = '\0';
	*key = keybuf;
	for (const char *const *f = flags; f && *f; f++) {
		if (strcmp(*f, keybuf) == 0) {
			if (eq) {
				mx_warn(sub, "option '--%s' takes no value", keybuf);
				return -1;
			}
			*value = "yes";
			(*i)++;
			return 0;
		}
	}
	if (eq) {
		*value = eq + 1;
		(*i)++;
		return 0;
	}
	if (*i + 1 >= argc) {
		mx_warn(sub, "option '--%s' needs a value", keybuf);
		return -1;
	}
	*value = argv[*i + 1];
	*i += 2;
	return 0;
}
