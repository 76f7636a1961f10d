/*
 * module.c: optional parts of the program as shared modules beside it,
 * loaded on first use.
 *
 * Every shared library a program links is mapped, relocated and initialized
 * at every start, used or not: with the PDF writer's (pango, cairo,
 * fontconfig, harfbuzz, freetype, glib and X11's client libraries, 35 of
 * them) linked in, `mednec eval` paid for them on every run
 * (docs/PERFORMANCE.md, session 18). A part that only some commands use is
 * built as a module from the project's own sources instead and loaded by
 * the command that needs it. The module is found relative to the running
 * program, not through the library path: the one built beside this program
 * is the one that matches it.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

/* The folder of the running program, with its final '/'; 0 when unknown. */
static size_t exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0 || (size_t)n >= size - 1)
		return 0;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return 0;
	slash[1] = '\0';
	return (size_t)(slash + 1 - buf);
}

void *mn_cli_module_symbol(const char *file, const char *symbol, char *why, size_t whysz)
{
	char dir[4096], path[4096 + 256];
	if (!exe_dir(dir, sizeof dir)) {
		snprintf(why, whysz, "%s: the program's own folder is unknown (/proc/self/exe)", file);
		return NULL;
	}
	static const char *const places[] = {"", "../lib/mednec/"};
	for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
		if (snprintf(path, sizeof path, "%s%s%s", dir, places[i], file) >= (int)sizeof path ||
		    access(path, F_OK) != 0)
			continue;
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			const char *e = dlerror();
			snprintf(why, whysz, "%s", e ? e : path);
			return NULL;
		}
		void *sym = dlsym(h, symbol);
		if (!sym) {
			snprintf(why, whysz, "%s: no %s in it", path, symbol);
			return NULL;  /* left loaded: a module may not be unloaded safely once its libraries ran */
		}
		return sym;
	}
	snprintf(why, whysz, "%s is neither in %s nor in %s../lib/mednec/", file, dir, dir);
	return NULL;
}

/* pthread_once passes nothing to its routine: the module being loaded, per thread (loads do not nest). */
static _Thread_local mn_cli_module *S_loading;

static void load(void)
{
	mn_cli_module *m = S_loading;
	const void *(*entry)(const void *);
	void *sym = mn_cli_module_symbol(m->file, m->entry, m->why, sizeof m->why);
	if (!sym)
		return;
	/* a function's address from dlsym: POSIX requires the conversion to work */
	memcpy(&entry, &sym, sizeof entry);
	const void *table = entry(m->host);
	/* every module's table begins with its version (a struct's address is its first member's) */
	if (!table || *(const int *)table != m->version) {
		snprintf(m->why, sizeof m->why, "%s is of another version than this program (rebuild both)", m->file);
		return;
	}
	atomic_store(&m->table, table);
}

const void *mn_cli_module_get(mn_cli_module *m)
{
	const void *t = atomic_load(&m->table);
	if (t)
		return t;
	S_loading = m;
	pthread_once(&m->once, load);
	S_loading = NULL;
	return atomic_load(&m->table);
}

mn_status mn_cli_module_need(mn_cli_module *m, const char *what, mn_error *err)
{
	if (mn_cli_module_get(m))
		return MN_OK;
	return mn_error_set(err, MN_EIO, "%s is not available: %s", what, m->why);
}
