/*
 * pdf_module.h: the interface between the program and its PDF writer, the
 * shared module mednec-pdf.so (src/render/pdf.c built with MN_PDF_MODULE=1;
 * loaded by src/cli/pdf_module.c). Both sides are built from the same tree
 * at the same time; the version guards against a stale module beside a new
 * program.
 */
#ifndef MN_PDF_MODULE_H
#define MN_PDF_MODULE_H

#include <stdarg.h>

#include "mednec/render.h"
#include "mednec/util.h"

#define MN_PDF_MODULE_FILE "mednec-pdf.so"
#define MN_PDF_MODULE_ENTRY "mn_pdf_module_v1"
#define MN_PDF_MODULE_VERSION 1

/* What the module calls in the program: the program's own buffer and error functions (one copy of util in
 * the process: one allocator, one out-of-memory test hook). */
typedef struct mn_pdf_host {
	int version;
	int (*buf_put)(mn_buf *b, const void *p, size_t n);
	mn_status (*error_setv)(mn_error *err, mn_status code, const char *fmt, va_list ap);
} mn_pdf_host;

/* What the module gives: the three functions of mednec/render.h's PDF writer. */
typedef struct mn_pdf_module {
	int version;
	mn_status (*write_pdf)(const mn_doc *doc, mn_paper paper, mn_buf *out, mn_error *err);
	void (*release)(void);
	void (*shutdown)(void);
} mn_pdf_module;

/* The module's one exported symbol (MN_PDF_MODULE_ENTRY): NULL when the host's version is not its own. */
typedef const void *mn_pdf_module_entry(const void *host);  /* host: a mn_pdf_host *; answer: a mn_pdf_module * */

#endif
