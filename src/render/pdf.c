/*
 * pdf.c: the PDF writer for letters (in progress: cairo and pango).
 */
#include "mednec/render.h"

mn_status mn_doc_write_pdf(const mn_doc *doc, mn_paper paper, mn_buf *out, mn_error *err)
{
	(void)doc;
	(void)paper;
	(void)out;
	return mn_error_set(err, MN_EINTERNAL, "the PDF writer is not built yet");
}
