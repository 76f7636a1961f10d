/*
 * pdf_module.c: the PDF writer of mednec/render.h in this program, as a
 * module loaded on first use (module.c): mednec-pdf.so, src/render/pdf.c
 * built with MN_PDF_MODULE=1 and linked with pango, cairo and fontconfig,
 * which the program itself does not link. The server's reviewer page
 * (src/serve/review.c) and letter, appeal and brief --format pdf come here;
 * nothing else loads those libraries.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "module.h"
#include "pdf_module.h"

static const mn_pdf_host S_host = {MN_PDF_MODULE_VERSION, mn_buf_put, mn_error_setv};
static mn_cli_module S_pdf = MN_CLI_MODULE_INIT(MN_PDF_MODULE_FILE, MN_PDF_MODULE_ENTRY, &S_host,
                                                MN_PDF_MODULE_VERSION);

mn_status mn_cli_pdf_load(mn_error *err)
{
	return mn_cli_module_need(&S_pdf, "the PDF writer", err);
}

mn_status mn_doc_write_pdf(const mn_doc *doc, mn_paper paper, mn_buf *out, mn_error *err)
{
	mn_status st = mn_cli_pdf_load(err);
	return st != MN_OK ? st : ((const mn_pdf_module *)mn_cli_module_get(&S_pdf))->write_pdf(doc, paper, out, err);
}

/* Both only when the module was loaded: nothing to free otherwise. */
void mn_doc_pdf_release(void)
{
	const mn_pdf_module *m = atomic_load(&S_pdf.table);
	if (m)
		m->release();
}

void mn_doc_pdf_shutdown(void)
{
	const mn_pdf_module *m = atomic_load(&S_pdf.table);
	if (m)
		m->shutdown();
}
