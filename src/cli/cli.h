/*
 * cli.h: commands of the mednec program that live outside main.c.
 */
#ifndef MN_CLI_H
#define MN_CLI_H

/* mednec score CASE --as-of YYYY-MM-DD [--format text|json] [--home DIR]
 * argv[0] is "score". Returns the exit code (docs/CLI.md). */
int mn_cli_score(int argc, char **argv);

#endif
