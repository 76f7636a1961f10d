/*
 * markdown.c: the Markdown writer for letters (CommonMark).
 *
 * Citations print as [1] (numbered reference list) and record entries as
 * [R1] (numbered list of record entries with their Type/id and date). Text
 * coming from the record or from data files is escaped so that it cannot
 * change the document's structure.
 */
#include <string.h>

#include "mednec/render.h"

/* Escape CommonMark punctuation that could start markup inside inline text:
 * emphasis, code, links and raw HTML anywhere; block markers ('>', '#', a
 * list bullet) only where a line could start. */
static void put_text(mn_buf *b, const char *s)
{
	const char *start = s;
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': case '`': case '*': case '_': case '[': case ']': case '<':
			mn_buf_putc(b, '\\');
			mn_buf_putc(b, *s);
			break;
		case '>': case '#': case '-': case '+':
			if (s == start)
				mn_buf_putc(b, '\\');
			mn_buf_putc(b, *s);
			break;
		case '\n':
			mn_buf_putc(b, ' ');
			break;
		default:
			mn_buf_putc(b, *s);
		}
	}
}

static void put_marks(mn_buf *b, const mn_block *bl)
{
	if (bl->ncites) {
		mn_buf_puts(b, " [");
		for (size_t i = 0; i < bl->ncites; i++)
			mn_buf_printf(b, "%s%d", i ? ", " : "", bl->cites[i]);
		mn_buf_puts(b, "]");
	}
	if (bl->nrecords) {
		mn_buf_puts(b, " [");
		for (size_t i = 0; i < bl->nrecords; i++)
			mn_buf_printf(b, "%sR%d", i ? ", " : "", bl->records[i]);
		mn_buf_puts(b, "]");
	}
}

static void put_inline(mn_buf *b, const mn_block *bl)
{
	if (bl->lead) {
		size_t n = strlen(bl->lead);
		mn_buf_puts(b, "**");
		put_text(b, bl->lead);
		if (n && !strchr(".:?!", bl->lead[n - 1]))
			mn_buf_putc(b, ':');
		mn_buf_puts(b, "** ");
	}
	put_text(b, bl->text);
	put_marks(b, bl);
	mn_buf_putc(b, '\n');
}

mn_status mn_doc_write_markdown(const mn_doc *doc, mn_buf *b)
{
	mn_block_kind prev = 0;
	for (size_t i = 0; i < doc->nblocks; i++) {
		const mn_block *bl = &doc->blocks[i];
		bool list = bl->kind == MN_BLOCK_ITEM || bl->kind == MN_BLOCK_SUBITEM || bl->kind == MN_BLOCK_CRITERION;
		bool prev_list = prev == MN_BLOCK_ITEM || prev == MN_BLOCK_SUBITEM || prev == MN_BLOCK_CRITERION;
		if (i && !(list && prev_list))
			mn_buf_putc(b, '\n');
		switch (bl->kind) {
		case MN_BLOCK_TITLE:
			mn_buf_puts(b, "# ");
			put_text(b, bl->text);
			mn_buf_putc(b, '\n');
			break;
		case MN_BLOCK_HEADING:
			mn_buf_puts(b, "## ");
			put_text(b, bl->text);
			mn_buf_putc(b, '\n');
			break;
		case MN_BLOCK_PARAGRAPH:
		case MN_BLOCK_FIELD:
			put_inline(b, bl);
			break;
		case MN_BLOCK_ITEM:
		case MN_BLOCK_CRITERION:
			mn_buf_puts(b, "- ");
			put_inline(b, bl);
			break;
		case MN_BLOCK_SUBITEM:
			mn_buf_puts(b, "  - ");
			put_inline(b, bl);
			break;
		case MN_BLOCK_REFERENCES:
			mn_buf_puts(b, "## ");
			put_text(b, bl->text);
			mn_buf_puts(b, "\n\n");
			for (size_t k = 0; k < doc->nrefs; k++) {
				mn_buf_printf(b, "%zu. ", k + 1);
				put_text(b, doc->refs[k].text);
				if (doc->refs[k].note) {
					mn_buf_puts(b, " (");
					put_text(b, doc->refs[k].note);
					mn_buf_puts(b, ")");
				}
				mn_buf_putc(b, '\n');
			}
			if (!doc->nrefs)
				mn_buf_puts(b, "None.\n");
			break;
		case MN_BLOCK_RECORDS:
			mn_buf_puts(b, "## ");
			put_text(b, bl->text);
			mn_buf_puts(b, "\n\n");
			for (size_t k = 0; k < doc->nrecords; k++) {
				const mn_entry *e = &doc->records[k];
				mn_buf_printf(b, "- R%zu. `%s`", k + 1, e->reference);
				if (e->date) {
					mn_buf_puts(b, ", ");
					put_text(b, e->date);
				}
				mn_buf_puts(b, ": ");
				put_text(b, e->summary);
				mn_buf_putc(b, '\n');
			}
			if (!doc->nrecords)
				mn_buf_puts(b, "None.\n");
			break;
		}
		prev = bl->kind;
	}
	return b->failed ? MN_ENOMEM : MN_OK;
}
