/*
 * main.c: the mxlab program, a thin client of libmxlab.
 *
 * Dispatches to one subcommand per file (cmd_*.c). Subcommands print their
 * own --help.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/version.h>

#include "mxlab.h"

#ifndef MXLAB_VERSION
#define MXLAB_VERSION "0.2.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "certs", cmd_certs, "write a test PKI: CAs, good leaves and every broken profile" },
	{ "diagnose", cmd_diagnose, "read a Postfix maillog: TLS failures per destination, cause, fix" },
	{ "init", cmd_init, "write a starter suite of scenarios from a Postfix configuration" },
	{ "lab", cmd_lab, "training labs: a broken configuration to fix, checked by its goals" },
	{ "probe", cmd_probe, "check one SMTP server's TLS: chain, SNI, names, protocols, AUTH" },
	{ "run", cmd_run, "run scenarios against a private Postfix in namespaces" },
	{ "send", cmd_send, "run an SMTP session with the fake client: TLS verdict, chain, replies" },
	{ "serve", cmd_serve, "run the fake SMTP server (STARTTLS, SMTPS, SNI, faults)" },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mxlab COMMAND [OPTIONS]\n"
	    "\n"
	    "mxlab reproduces the ways TLS between mail servers goes wrong.\n"
	    "\n"
	    "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp,
	    "\n"
	    "Run `mxlab COMMAND --help` for the options of a command.\n"
	    "  mxlab --version   print the version and the mbedTLS it uses\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MXLAB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MXLAB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		char v[32];
		mbedtls_version_get_string(v);
		printf("mxlab %s (mbedTLS %s)\n", MXLAB_VERSION, v);
		return MXLAB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mxlab: unknown command '%s' (try mxlab --help)\n", argv[1]);
	return MXLAB_EXIT_USAGE;
}
