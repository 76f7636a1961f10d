/*
 * html.c: the HTML writer for letters: one self-contained, accessible HTML5
 * page (mednec/render.h).
 *
 * The page has a language, a character set and a title; the first title is
 * the one h1 (a later title, such as the reviewer's appendix, is an h2 and
 * the headings after it h3, so the outline stays one tree). Consecutive
 * FIELD blocks are one definition list, consecutive CRITERION rows one
 * table (caption, column headers, the criterion as the row header), items
 * and subitems nested lists. Each citation [n] links to the reference
 * list's item id="ref-n" and each record mark [Rn] to the record list's
 * item id="rec-n"; the first list of each kind carries the ids, so an id is
 * never given twice. The stylesheet is inline (with a print stylesheet);
 * there is no script and no external resource. Every text from the record
 * or from data files is escaped, so none of it can become markup.
 */
#include <string.h>

#include "mednec/render.h"

static const char html_style[] =
	"body{font-family:Georgia,'DejaVu Serif',serif;line-height:1.45;max-width:46rem;margin:2rem auto;"
	"padding:0 1rem;color:#111;background:#fff}\n"
	"h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.6rem}h3{font-size:1.05rem}\n"
	"dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:1rem 0}\n"
	"dl.fields dt{font-weight:bold}dl.fields dd{margin:0}\n"
	"table.criteria{border-collapse:collapse;width:100%;margin:1rem 0}\n"
	"table.criteria caption{text-align:left;font-weight:bold;padding:.3rem 0}\n"
	"table.criteria th,table.criteria td{border:1px solid #777;padding:.3rem .4rem;text-align:left;"
	"vertical-align:top}\n"
	"table.criteria thead th{background:#eee}table.criteria tbody th{font-weight:normal}\n"
	"a{color:#0645ad}a:focus{outline:2px solid #000}\n"
	"ol.records{list-style:none;padding-left:0}ol.records li{padding-left:3rem;text-indent:-3rem}\n"
	"code{font-family:'DejaVu Sans Mono',monospace;font-size:.9em}\n"
	"@media print{\n"
	"@page{size:auto;margin:2cm}\n"
	"body{max-width:none;margin:0;padding:0;font-size:11pt;line-height:1.3}\n"
	"a{color:inherit;text-decoration:none}\n"
	"h1,h2,h3{break-after:avoid}tr,li,dl.fields{break-inside:avoid}\n"
	"thead{display:table-header-group}table.criteria thead th{background:none}\n"
	"}\n";

/* Text as HTML character data or an attribute value, on one line (mn_buf_put_html). */
static void put_esc(mn_buf *b, const char *s)
{
	if (s)
		mn_buf_put_html(b, s, strlen(s), true);
}

/* The container open at the current block. */
enum html_open { OPEN_NONE, OPEN_FIELDS, OPEN_LIST, OPEN_TABLE };

typedef struct html_state {
	mn_buf *b;
	const mn_doc *doc;
	bool link_refs, link_records;  /* the document lists its references / record entries */
	enum html_open open;
	bool in_entry;   /* a list item or a table row is open (its subitems may follow) */
	bool sub_open;   /* a nested list of subitems is open inside it */
} html_state;

/* "[1, 2]" or "[R1, R2]": each number a link to the list item id="ID-n"
 * when link is set and the number is in 1..max, else plain text (it has no
 * entry to link to). */
static void put_numbers(mn_buf *b, const int *nums, size_t n, const char *id, const char *label, bool link, size_t max)
{
	mn_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (link && nums[i] >= 1 && (size_t)nums[i] <= max)
			mn_buf_printf(b, "%s<a href=\"#%s-%d\">%s%d</a>", i ? ", " : "", id, nums[i], label, nums[i]);
		else
			mn_buf_printf(b, "%s%s%d", i ? ", " : "", label, nums[i]);
	}
	mn_buf_putc(b, ']');
}

/* " [1, 2] [R3]": citations link to the reference list, record marks to
 * the record list (when the document has that list). */
static void put_marks(const html_state *s, const mn_block *bl)
{
	if (!bl->ncites && !bl->nrecords)
		return;
	mn_buf_puts(s->b, " <span class=\"marks\">");
	if (bl->ncites)
		put_numbers(s->b, bl->cites, bl->ncites, "ref", "", s->link_refs, s->doc->nrefs);
	if (bl->ncites && bl->nrecords)
		mn_buf_putc(s->b, ' ');
	if (bl->nrecords)
		put_numbers(s->b, bl->records, bl->nrecords, "rec", "R", s->link_records, s->doc->nrecords);
	mn_buf_puts(s->b, "</span>");
}

/* The lead in bold (with a colon unless it ends in punctuation), the text,
 * the marks. */
static void put_inline(const html_state *s, const mn_block *bl)
{
	mn_buf *b = s->b;
	if (bl->lead) {
		size_t n = strlen(bl->lead);
		mn_buf_puts(b, "<strong>");
		put_esc(b, bl->lead);
		if (n && !strchr(".:?!", bl->lead[n - 1]))
			mn_buf_putc(b, ':');
		mn_buf_puts(b, "</strong> ");
	}
	put_esc(b, bl->text);
	put_marks(s, bl);
}

static void close_entry(html_state *s)
{
	if (s->sub_open)
		mn_buf_puts(s->b, "</ul>");
	s->sub_open = false;
	if (s->in_entry)
		mn_buf_puts(s->b, s->open == OPEN_TABLE ? "</td></tr>\n" : "</li>\n");
	s->in_entry = false;
}

static void close_open(html_state *s)
{
	close_entry(s);
	switch (s->open) {
	case OPEN_FIELDS: mn_buf_puts(s->b, "</dl>\n"); break;
	case OPEN_LIST: mn_buf_puts(s->b, "</ul>\n"); break;
	case OPEN_TABLE: mn_buf_puts(s->b, "</tbody>\n</table>\n"); break;
	case OPEN_NONE: break;
	}
	s->open = OPEN_NONE;
}

static void open_container(html_state *s, enum html_open want)
{
	if (s->open == want) {
		close_entry(s);
		return;
	}
	close_open(s);
	switch (want) {
	case OPEN_FIELDS: mn_buf_puts(s->b, "<dl class=\"fields\">\n"); break;
	case OPEN_LIST: mn_buf_puts(s->b, "<ul>\n"); break;
	case OPEN_TABLE:
		mn_buf_puts(s->b, "<table class=\"criteria\">\n<caption>Criteria: status, finding and sources</caption>\n"
		                  "<thead><tr><th scope=\"col\">Criterion</th><th scope=\"col\">Status</th>"
		                  "<th scope=\"col\">Finding and sources</th></tr></thead>\n<tbody>\n");
		break;
	case OPEN_NONE: break;
	}
	s->open = want;
}

static void put_references(mn_buf *b, const mn_doc *doc, bool ids)
{
	if (!doc->nrefs) {
		mn_buf_puts(b, "<p>None.</p>\n");
		return;
	}
	mn_buf_puts(b, "<ol class=\"references\">\n");
	for (size_t k = 0; k < doc->nrefs; k++) {
		if (ids)
			mn_buf_printf(b, "<li id=\"ref-%zu\">", k + 1);
		else
			mn_buf_puts(b, "<li>");
		put_esc(b, doc->refs[k].text);
		if (doc->refs[k].note) {
			mn_buf_puts(b, " (");
			put_esc(b, doc->refs[k].note);
			mn_buf_puts(b, ")");
		}
		mn_buf_puts(b, "</li>\n");
	}
	mn_buf_puts(b, "</ol>\n");
}

static void put_records(mn_buf *b, const mn_doc *doc, bool ids)
{
	if (!doc->nrecords) {
		mn_buf_puts(b, "<p>None.</p>\n");
		return;
	}
	mn_buf_puts(b, "<ol class=\"records\">\n");
	for (size_t k = 0; k < doc->nrecords; k++) {
		const mn_entry *e = &doc->records[k];
		if (ids)
			mn_buf_printf(b, "<li id=\"rec-%zu\">", k + 1);
		else
			mn_buf_puts(b, "<li>");
		mn_buf_printf(b, "R%zu. <code>", k + 1);
		put_esc(b, e->reference);
		mn_buf_puts(b, "</code>");
		if (e->date) {
			mn_buf_puts(b, ", ");
			put_esc(b, e->date);
		}
		mn_buf_puts(b, ": ");
		put_esc(b, e->summary);
		mn_buf_puts(b, "</li>\n");
	}
	mn_buf_puts(b, "</ol>\n");
}

static void put_heading(mn_buf *b, int level, const char *cls, const char *text)
{
	mn_buf_printf(b, "<h%d%s%s%s>", level, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	put_esc(b, text);
	mn_buf_printf(b, "</h%d>\n", level);
}

mn_status mn_doc_write_html(const mn_doc *doc, mn_buf *b)
{
	const char *title = NULL;
	for (size_t i = 0; i < doc->nblocks && !title; i++)
		if (doc->blocks[i].kind == MN_BLOCK_TITLE)
			title = doc->blocks[i].text;
	mn_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	put_esc(b, title ? title : "Letter");
	mn_buf_puts(b, "</title>\n<style>\n");
	mn_buf_puts(b, html_style);
	mn_buf_puts(b, "</style>\n</head>\n<body>\n<main>\n");

	html_state s = {b, doc, false, false, OPEN_NONE, false, false};
	for (size_t i = 0; i < doc->nblocks; i++) {
		s.link_refs |= doc->blocks[i].kind == MN_BLOCK_REFERENCES;
		s.link_records |= doc->blocks[i].kind == MN_BLOCK_RECORDS;
	}
	bool had_title = false, refs_done = false, records_done = false;
	int section = 2;  /* heading level of a HEADING: 3 after a second title */
	for (size_t i = 0; i < doc->nblocks; i++) {
		const mn_block *bl = &doc->blocks[i];
		switch (bl->kind) {
		case MN_BLOCK_TITLE:
			close_open(&s);
			put_heading(b, had_title ? 2 : 1, had_title ? "part" : NULL, bl->text);
			if (had_title)
				section = 3;
			had_title = true;
			break;
		case MN_BLOCK_HEADING:
			close_open(&s);
			put_heading(b, section, NULL, bl->text);
			break;
		case MN_BLOCK_PARAGRAPH:
			close_open(&s);
			mn_buf_puts(b, "<p>");
			put_inline(&s, bl);
			mn_buf_puts(b, "</p>\n");
			break;
		case MN_BLOCK_FIELD:
			open_container(&s, OPEN_FIELDS);
			mn_buf_puts(b, "<dt>");
			put_esc(b, bl->lead ? bl->lead : "");
			mn_buf_puts(b, "</dt><dd>");
			put_esc(b, bl->text);
			put_marks(&s, bl);
			mn_buf_puts(b, "</dd>\n");
			break;
		case MN_BLOCK_ITEM:
		case MN_BLOCK_SUBITEM:
			if (bl->kind == MN_BLOCK_ITEM || !s.in_entry) {  /* a subitem with nothing to nest in: an item */
				open_container(&s, OPEN_LIST);
				mn_buf_puts(b, "<li>");
				put_inline(&s, bl);
				s.in_entry = true;
				break;
			}
			mn_buf_puts(b, s.sub_open ? "<li>" : "\n<ul>\n<li>");
			s.sub_open = true;
			put_inline(&s, bl);
			mn_buf_puts(b, "</li>\n");
			break;
		case MN_BLOCK_CRITERION:
			open_container(&s, OPEN_TABLE);
			mn_buf_puts(b, "<tr><th scope=\"row\">");
			put_esc(b, bl->lead ? bl->lead : "");
			mn_buf_puts(b, "</th><td>");
			put_esc(b, bl->status ? bl->status : "");
			mn_buf_puts(b, "</td><td>");
			put_esc(b, bl->text);
			put_marks(&s, bl);
			s.in_entry = true;
			break;
		case MN_BLOCK_REFERENCES:
			close_open(&s);
			put_heading(b, section, NULL, bl->text);
			put_references(b, doc, !refs_done);
			refs_done = true;
			break;
		case MN_BLOCK_RECORDS:
			close_open(&s);
			put_heading(b, section, NULL, bl->text);
			put_records(b, doc, !records_done);
			records_done = true;
			break;
		}
	}
	close_open(&s);
	mn_buf_puts(b, "</main>\n</body>\n</html>\n");
	return b->failed ? MN_ENOMEM : MN_OK;
}
