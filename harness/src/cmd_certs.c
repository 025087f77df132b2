#include "mxlab.h"
int cmd_certs(int argc, char **argv) { (void)argc; (void)argv; return MXLAB_EXIT_USAGE; }
