#include "mxlab.h"
int cmd_serve(int argc, char **argv) { (void)argc; (void)argv; return MXLAB_EXIT_USAGE; }
