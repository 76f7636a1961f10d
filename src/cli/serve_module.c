/*
 * serve_module.c: `mednec serve` in this program, from the module mednec-serve.so (module.c): serve.c built
 * with MN_SERVE_MODULE=1, with the server (src/serve), libmicrohttpd with GnuTLS and the eight libraries under
 * it, and libcrypto, none of which the program links: they cost every other command about 160 page faults and
 * 5 ms at start (docs/PERFORMANCE.md, session 19). The module holds its own copy of the library and the
 * command's other modules' loaders; it runs the whole command. Without it `mednec serve` stops with
 * EXIT_UNAVAILABLE and the reason.
 */
#include <stdio.h>

#include "cli.h"
#include "module.h"

static mn_cli_module S_serve = MN_CLI_MODULE_INIT(MN_SERVE_MODULE_FILE, MN_SERVE_MODULE_ENTRY, NULL,
                                                  MN_SERVE_MODULE_VERSION);

int mn_cli_serve(int argc, char **argv)
{
	const mn_serve_module *m = mn_cli_module_get(&S_serve);
	if (!m) {
		fprintf(stderr, "mednec: serve is not available: %s [unavailable]\n", S_serve.why);
		return EXIT_UNAVAILABLE;
	}
	return m->serve(argc, argv);
}
