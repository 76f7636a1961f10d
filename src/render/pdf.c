/*
 * pdf.c: the PDF writer for letters (mednec/render.h), typeset with pango
 * on a cairo PDF surface.
 *
 * Two passes. Layout: every block becomes pango layouts, and each line of
 * them (and each rule of the criteria table) is placed on a page as an
 * item; a paragraph breaks between lines, a heading keeps with the lines
 * after it, a table row never breaks and a table continued on a new page
 * repeats its header row. Drawing: page by page, the items, then the page
 * number ("Page n of N", known only after the layout). The letterhead and
 * signature fields are a two-column block (label, value), list items and
 * references hang from their bullet or number, the title of a later part
 * (the reviewer's appendix) starts a new page.
 *
 * Fonts: DejaVu Serif for text, DejaVu Sans for headings, tables and page
 * numbers, DejaVu Sans Mono for record references (Debian fonts-dejavu-core);
 * cairo embeds a subset of each. The font map is pango's default for the
 * calling thread (one per thread, so nothing is shared between threads),
 * kept for the thread's next document.
 *
 * Deterministic bytes: cairo 1.16 writes no creation date unless one is
 * set, and the title is the document's; no time or address goes into the
 * file (tests/cli/formats.sh checks two runs give the same bytes).
 *
 * Text from the record or from data files is escaped before it becomes
 * pango markup, and made valid UTF-8, so none of it can change the markup.
 *
 * Built twice: into the static library mednec_pdf (programs and tests that
 * link pango themselves), and with MN_PDF_MODULE=1 as the shared module
 * mednec-pdf.so that the mednec program loads when a command first writes a
 * PDF (src/cli/pdf_module.c), so that its other commands do not load pango,
 * cairo, fontconfig and their 35 libraries at every start. In the module the
 * two calls into the rest of mednec (mn_buf_put, mn_error_set) go through
 * the program's table (src/cli/pdf_module.h), not a second copy of util.
 */
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "mednec/render.h"

#if MN_PDF_MODULE
#include <stdarg.h>

#include "cli/pdf_module.h"

static const mn_pdf_host *S_host;

static int S_buf_put(mn_buf *b, const void *p, size_t n)
{
	return S_host->buf_put(b, p, n);
}

static mn_status S_error_set(mn_error *err, mn_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static mn_status S_error_set(mn_error *err, mn_status code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mn_status st = S_host->error_setv(err, code, fmt, ap);
	va_end(ap);
	return st;
}

#define mn_buf_put S_buf_put
#define mn_error_set S_error_set
#endif

/* Points (1/72 inch). */
#define PDF_MARGIN_X 64.0
#define PDF_MARGIN_TOP 60.0
#define PDF_MARGIN_BOTTOM 64.0
#define PDF_FOOTER_Y 36.0      /* baseline of the page number above the paper's bottom edge */
#define PDF_PARA_GAP 6.0       /* space after a paragraph */
#define PDF_CELL_PAD 3.5       /* table cell padding */
#define PDF_HANG_ITEM 14.0     /* list item: text indent after the bullet */
#define PDF_SUB_INDENT 14.0    /* a subitem's bullet indent */

enum pdf_item_kind { ITEM_LINE, ITEM_RULE, ITEM_FILL };

typedef struct pdf_item {
	enum pdf_item_kind kind;
	int page;
	double x, y;            /* a line's start and baseline; a rule's or fill's top-left */
	double w, h;            /* a rule from (x, y) to (x + w, y + h); a fill's size */
	PangoLayoutLine *line;  /* ITEM_LINE (a reference held) */
} pdf_item;

typedef struct pdf_ctx {
	PangoContext *pc;
	PangoFontDescription *serif, *sans, *sans_bold, *heading, *title, *table, *small;
	double paper_w, paper_h, left, width, top, bottom;
	double y;               /* the next free position on the page */
	int page;               /* 0-based */
	bool page_used;         /* something is placed on the current page */
	pdf_item *items;
	size_t nitems, cap;
	PangoLayout **layouts;  /* every layout made, unreferenced at the end */
	size_t nlayouts, lcap;
	double col[3];          /* the criteria table's column widths */
	bool nomem;
} pdf_ctx;

/* ---- markup --------------------------------------------------------------- */

/* Append text as pango markup character data: valid UTF-8, a control
 * character a space, the markup characters escaped. */
static void markup_text(GString *m, const char *s)
{
	if (!s)
		return;
	gchar *valid = g_utf8_make_valid(s, -1);
	for (const char *p = valid; *p; p++) {
		switch (*p) {
		case '&': g_string_append(m, "&amp;"); break;
		case '<': g_string_append(m, "&lt;"); break;
		case '>': g_string_append(m, "&gt;"); break;
		case '"': g_string_append(m, "&quot;"); break;
		case '\'': g_string_append(m, "&apos;"); break;
		default:
			g_string_append_c(m, (unsigned char)*p < 0x20 ? ' ' : *p);
		}
	}
	g_free(valid);
}

static void markup_marks(GString *m, const mn_block *bl)
{
	if (bl->ncites) {
		g_string_append(m, " [");
		for (size_t i = 0; i < bl->ncites; i++)
			g_string_append_printf(m, "%s%d", i ? ", " : "", bl->cites[i]);
		g_string_append(m, "]");
	}
	if (bl->nrecords) {
		g_string_append(m, " [");
		for (size_t i = 0; i < bl->nrecords; i++)
			g_string_append_printf(m, "%sR%d", i ? ", " : "", bl->records[i]);
		g_string_append(m, "]");
	}
}

/* "<b>lead:</b> text [1] [R1]" */
static void markup_inline(GString *m, const mn_block *bl)
{
	if (bl->lead) {
		size_t n = strlen(bl->lead);
		g_string_append(m, "<b>");
		markup_text(m, bl->lead);
		if (n && !strchr(".:?!", bl->lead[n - 1]))
			g_string_append_c(m, ':');
		g_string_append(m, "</b> ");
	}
	markup_text(m, bl->text);
	markup_marks(m, bl);
}

/* ---- layout ----------------------------------------------------------------- */

static bool push_item(pdf_ctx *c, pdf_item it)
{
	if (c->nitems == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		pdf_item *p = realloc(c->items, cap * sizeof *p);
		if (!p) {
			c->nomem = true;
			if (it.line)
				pango_layout_line_unref(it.line);
			return false;
		}
		c->items = p;
		c->cap = cap;
	}
	c->items[c->nitems++] = it;
	c->page_used = true;
	return true;
}

/* A layout of markup in font, width points wide (-1: one line; wrapping at words, or
 * inside a word too long for the line), justified or left. */
static PangoLayout *make_layout(pdf_ctx *c, const PangoFontDescription *font, double width, const char *markup,
                                bool justify)
{
	if (c->nlayouts == c->lcap) {
		size_t cap = c->lcap ? c->lcap * 2 : 128;
		PangoLayout **p = realloc(c->layouts, cap * sizeof *p);
		if (!p) {
			c->nomem = true;
			return NULL;
		}
		c->layouts = p;
		c->lcap = cap;
	}
	PangoLayout *l = pango_layout_new(c->pc);
	pango_layout_set_font_description(l, font);
	pango_layout_set_width(l, width < 0 ? -1 : (int)(width * PANGO_SCALE));  /* -1: one line, no wrapping */
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_justify(l, justify);
	pango_layout_set_markup(l, markup, -1);
	/* a word broken because it is longer than the line (a URL, a DOI) gets no hyphen that is not in it */
	PangoAttrList *attrs = pango_layout_get_attributes(l);
	attrs = attrs ? pango_attr_list_copy(attrs) : pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	c->layouts[c->nlayouts++] = l;
	return l;
}

static void new_page(pdf_ctx *c)
{
	c->page++;
	c->y = c->top;
	c->page_used = false;
}

static double layout_height(PangoLayout *l)
{
	int w, h;
	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* The height of the first n lines of a layout. */
static double lines_height(PangoLayout *l, int n)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle r;
	double bottom = 0;
	for (int i = 0; i < n; i++) {
		pango_layout_iter_get_line_extents(it, NULL, &r);
		bottom = (double)(r.y + r.height) / PANGO_SCALE;
		if (!pango_layout_iter_next_line(it))
			break;
	}
	pango_layout_iter_free(it);
	return bottom;
}

/* Place the layout's lines at x from the current position, breaking to a
 * new page between lines where the page is full. The page and baseline of
 * the first line go to *page0 and *base0 (for a bullet or number). */
static void place_lines(pdf_ctx *c, PangoLayout *l, double x, int *page0, double *base0)
{
	int n = pango_layout_get_line_count(l);
	PangoLayoutIter *it = pango_layout_get_iter(l);
	double off = 0, start = c->y, end = c->y, prev_top = 0, prev_base = 0;
	size_t prev_item = (size_t)-1;  /* the item of the line before, on the current page */
	for (int i = 0; i < n; i++, pango_layout_iter_next_line(it)) {
		PangoRectangle r;
		pango_layout_iter_get_line_extents(it, NULL, &r);
		double top = (double)r.y / PANGO_SCALE, bottom = (double)(r.y + r.height) / PANGO_SCALE;
		double base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
		if (start + (bottom - off) > c->bottom && c->page_used) {
			/* no widow: the last line does not go to a page alone when the line before it can go along
			 * and leave two lines behind */
			bool widow = i == n - 1 && i >= 3 && prev_item == c->nitems - 1;
			new_page(c);
			start = c->y;
			off = widow ? prev_top : top;
			if (widow) {
				pdf_item *p = &c->items[prev_item];
				p->page = c->page;
				p->y = start + (prev_base - off);
				c->page_used = true;
			}
		}
		pdf_item item = {ITEM_LINE, c->page, x, start + (base - off), 0, 0,
		                 pango_layout_line_ref(pango_layout_iter_get_line_readonly(it))};
		if (i == 0 && page0)
			*page0 = c->page, *base0 = item.y;
		prev_item = push_item(c, item) ? c->nitems - 1 : (size_t)-1;
		prev_top = top;
		prev_base = base;
		end = start + (bottom - off);
	}
	pango_layout_iter_free(it);
	c->y = end;
}

/* The first line of a layout at a given page and baseline (a bullet, a
 * number, a field's label). */
static void place_first_line(pdf_ctx *c, PangoLayout *l, double x, int page, double base)
{
	bool used = c->page_used;
	pdf_item item = {ITEM_LINE, page, x, base, 0, 0, pango_layout_line_ref(pango_layout_get_line_readonly(l, 0))};
	push_item(c, item);
	c->page_used = used;
}

/* Start a new page unless need points fit below the current position. */
static void need_space(pdf_ctx *c, double need)
{
	if (c->page_used && c->y + need > c->bottom)
		new_page(c);
}

static void place_text(pdf_ctx *c, const PangoFontDescription *font, const char *markup, double indent, bool justify,
                       double gap)
{
	PangoLayout *l = make_layout(c, font, c->width - indent, markup, justify);
	if (!l)
		return;
	place_lines(c, l, c->left + indent, NULL, NULL);
	c->y += gap;
}

/* A heading: space before it, and it stays with the two lines after it. */
static void place_heading(pdf_ctx *c, const PangoFontDescription *font, const char *text, double before)
{
	GString *m = g_string_new(NULL);
	markup_text(m, text);
	PangoLayout *l = make_layout(c, font, c->width, m->str, false);
	g_string_free(m, TRUE);
	if (!l)
		return;
	if (c->page_used)
		c->y += before;
	need_space(c, layout_height(l) + 30.0);
	place_lines(c, l, c->left, NULL, NULL);
	c->y += 4.0;
}

/* A label (bullet, number, field name) at indent and the text hanging at
 * indent + hang; the label and the first two lines of the text stay on
 * one page. */
static void place_hanging(pdf_ctx *c, const PangoFontDescription *label_font, const char *label_markup,
                          const char *markup, double indent, double hang, double gap)
{
	PangoLayout *text = make_layout(c, c->serif, c->width - indent - hang, markup, false);
	PangoLayout *label = make_layout(c, label_font, -1, label_markup, false);
	if (!text || !label)
		return;
	need_space(c, lines_height(text, 2));
	int page = c->page;
	double base = c->y;
	place_lines(c, text, c->left + indent + hang, &page, &base);
	place_first_line(c, label, c->left + indent, page, base);
	c->y += gap;
}

/* Consecutive FIELD blocks from i: label and value in two columns, the
 * label column as wide as the widest label (at most 40% of the width).
 * Returns the index after the last field. */
static size_t place_fields(pdf_ctx *c, const mn_doc *doc, size_t i)
{
	size_t end = i;
	double widest = 0;
	for (; end < doc->nblocks && doc->blocks[end].kind == MN_BLOCK_FIELD; end++) {
		GString *m = g_string_new("<b>");
		markup_text(m, doc->blocks[end].lead);
		g_string_append(m, "</b>");
		PangoLayout *l = make_layout(c, c->serif, -1, m->str, false);
		g_string_free(m, TRUE);
		if (!l)
			return end + 1;
		int w, h;
		pango_layout_get_size(l, &w, &h);
		if ((double)w / PANGO_SCALE > widest)
			widest = (double)w / PANGO_SCALE;
	}
	double hang = widest + 14.0;
	if (hang > c->width * 0.4)
		hang = c->width * 0.4;
	for (size_t k = i; k < end; k++) {
		const mn_block *bl = &doc->blocks[k];
		GString *label = g_string_new("<b>"), *value = g_string_new(NULL);
		markup_text(label, bl->lead);
		g_string_append(label, "</b>");
		markup_text(value, bl->text);
		markup_marks(value, bl);
		place_hanging(c, c->serif, label->str, value->str, 0, hang, 2.0);
		g_string_free(label, TRUE);
		g_string_free(value, TRUE);
	}
	c->y += PDF_PARA_GAP;
	return end;
}

/* ---- the criteria table ------------------------------------------------------ */

#define PDF_TABLE_COLS 3

static void rule(pdf_ctx *c, double x, double y, double w, double h)
{
	pdf_item item = {ITEM_RULE, c->page, x, y, w, h, NULL};
	push_item(c, item);
}

/* One row: cells' layouts side by side, ruled; a new page (with the header
 * row again) when it does not fit. */
static void place_row(pdf_ctx *c, PangoLayout **cells, bool header, PangoLayout **head)
{
	double h = 0;
	for (int k = 0; k < PDF_TABLE_COLS; k++)
		if (cells[k] && layout_height(cells[k]) > h)
			h = layout_height(cells[k]);
	h += 2 * PDF_CELL_PAD;
	if (!header && c->y + h > c->bottom && c->page_used) {
		new_page(c);
		place_row(c, head, true, head);
	}
	double x = c->left, top = c->y;
	if (header) {
		pdf_item fill = {ITEM_FILL, c->page, c->left, top, c->width, h, NULL};
		push_item(c, fill);
	}
	rule(c, c->left, top, c->width, 0);
	for (int k = 0; k < PDF_TABLE_COLS; k++) {
		double w = c->col[k];
		rule(c, x, top, 0, h);
		if (cells[k]) {
			double save = c->y, bottom = c->bottom;
			c->y = top + PDF_CELL_PAD;
			c->bottom = 1e9;  /* a row never breaks */
			place_lines(c, cells[k], x + PDF_CELL_PAD, NULL, NULL);
			c->y = save;
			c->bottom = bottom;
		}
		x += w;
	}
	rule(c, c->left + c->width, top, 0, h);
	rule(c, c->left, top + h, c->width, 0);
	c->y = top + h;
}

/* The width of text on one line. */
static double text_width(pdf_ctx *c, const PangoFontDescription *font, const char *text)
{
	GString *m = g_string_new(NULL);
	markup_text(m, text);
	PangoLayout *l = make_layout(c, font, -1, m->str, false);
	g_string_free(m, TRUE);
	int w = 0, h;
	if (l)
		pango_layout_get_size(l, &w, &h);
	return (double)w / PANGO_SCALE;
}

static PangoLayout *cell_layout(pdf_ctx *c, int col, const PangoFontDescription *font, const char *markup)
{
	return make_layout(c, font, c->col[col] - 2 * PDF_CELL_PAD, markup, false);
}

static PangoLayout *cell_text(pdf_ctx *c, int col, const PangoFontDescription *font, const char *text)
{
	GString *m = g_string_new(NULL);
	markup_text(m, text);
	PangoLayout *l = cell_layout(c, col, font, m->str);
	g_string_free(m, TRUE);
	return l;
}

/* Consecutive CRITERION rows from i (each with the SUBITEMs after it, as
 * lines of its last cell) as one table. Returns the index after it. */
static size_t place_table(pdf_ctx *c, const mn_doc *doc, size_t i)
{
	/* the status column as wide as its widest status (one line each), a third for the criterion */
	double status_w = text_width(c, c->sans_bold, "Status");
	for (size_t k = i; k < doc->nblocks; k++) {
		const mn_block *bl = &doc->blocks[k];
		if (bl->kind != MN_BLOCK_CRITERION && bl->kind != MN_BLOCK_SUBITEM)
			break;
		double w = bl->kind == MN_BLOCK_CRITERION ? text_width(c, c->table, bl->status) : 0;
		if (w > status_w)
			status_w = w;
	}
	status_w += 2 * PDF_CELL_PAD + 2;
	if (status_w > c->width * 0.25)
		status_w = c->width * 0.25;
	c->col[0] = c->width * 0.34;
	c->col[1] = status_w;
	c->col[2] = c->width - c->col[0] - status_w;
	PangoLayout *head[PDF_TABLE_COLS] = {
		cell_text(c, 0, c->sans_bold, "Criterion"), cell_text(c, 1, c->sans_bold, "Status"),
		cell_text(c, 2, c->sans_bold, "Finding and sources")};
	c->y += 2.0;
	need_space(c, 60.0);
	place_row(c, head, true, head);
	while (i < doc->nblocks && doc->blocks[i].kind == MN_BLOCK_CRITERION) {
		const mn_block *bl = &doc->blocks[i++];
		GString *m = g_string_new(NULL);
		markup_text(m, bl->text);
		markup_marks(m, bl);
		if (!bl->text && m->len)
			g_string_erase(m, 0, 1);  /* marks alone: no space before them */
		for (; i < doc->nblocks && doc->blocks[i].kind == MN_BLOCK_SUBITEM; i++) {
			g_string_append(m, m->len ? "\n\xe2\x80\xa2 " : "\xe2\x80\xa2 ");  /* a bullet */
			markup_inline(m, &doc->blocks[i]);
		}
		PangoLayout *row[PDF_TABLE_COLS] = {
			cell_text(c, 0, c->table, bl->lead), cell_text(c, 1, c->table, bl->status),
			cell_layout(c, 2, c->table, m->str)};
		g_string_free(m, TRUE);
		place_row(c, row, false, head);
	}
	c->y += PDF_PARA_GAP + 2.0;
	return i;
}

/* ---- lists ---------------------------------------------------------------------- */

static void place_references(pdf_ctx *c, const mn_doc *doc)
{
	if (!doc->nrefs) {
		place_text(c, c->serif, "None.", 0, false, PDF_PARA_GAP);
		return;
	}
	for (size_t k = 0; k < doc->nrefs; k++) {
		char num[32];
		snprintf(num, sizeof num, "%zu.", k + 1);
		GString *m = g_string_new(NULL);
		markup_text(m, doc->refs[k].text);
		if (doc->refs[k].note) {
			g_string_append(m, " (");
			markup_text(m, doc->refs[k].note);
			g_string_append(m, ")");
		}
		place_hanging(c, c->serif, num, m->str, 0, 22.0, 3.0);
		g_string_free(m, TRUE);
	}
	c->y += PDF_PARA_GAP;
}

static void place_records(pdf_ctx *c, const mn_doc *doc)
{
	if (!doc->nrecords) {
		place_text(c, c->serif, "None.", 0, false, PDF_PARA_GAP);
		return;
	}
	for (size_t k = 0; k < doc->nrecords; k++) {
		const mn_entry *e = &doc->records[k];
		char num[32];
		snprintf(num, sizeof num, "R%zu.", k + 1);
		GString *m = g_string_new("<span font_family=\"DejaVu Sans Mono\" size=\"smaller\">");
		markup_text(m, e->reference);
		g_string_append(m, "</span>");
		if (e->date) {
			g_string_append(m, ", ");
			markup_text(m, e->date);
		}
		g_string_append(m, ": ");
		markup_text(m, e->summary);
		place_hanging(c, c->serif, num, m->str, 0, 34.0, 2.0);
		g_string_free(m, TRUE);
	}
	c->y += PDF_PARA_GAP;
}

static void layout_doc(pdf_ctx *c, const mn_doc *doc)
{
	bool had_title = false;
	for (size_t i = 0; i < doc->nblocks && !c->nomem;) {
		const mn_block *bl = &doc->blocks[i];
		GString *m = g_string_new(NULL);
		switch (bl->kind) {
		case MN_BLOCK_TITLE:
			if (had_title && c->page_used)
				new_page(c);  /* a later part (the reviewer's appendix) starts a page */
			place_heading(c, c->title, bl->text, 0);
			c->y += 6.0;
			had_title = true;
			i++;
			break;
		case MN_BLOCK_HEADING:
			place_heading(c, c->heading, bl->text, 8.0);
			i++;
			break;
		case MN_BLOCK_PARAGRAPH:
			markup_inline(m, bl);
			place_text(c, c->serif, m->str, 0, true, PDF_PARA_GAP);
			i++;
			break;
		case MN_BLOCK_FIELD:
			i = place_fields(c, doc, i);
			break;
		case MN_BLOCK_CRITERION:
			i = place_table(c, doc, i);
			break;
		case MN_BLOCK_ITEM:
		case MN_BLOCK_SUBITEM: {
			bool sub = bl->kind == MN_BLOCK_SUBITEM;
			markup_inline(m, bl);
			place_hanging(c, c->serif, sub ? "\xe2\x80\x93" : "\xe2\x80\xa2", m->str, sub ? PDF_SUB_INDENT : 0,
			              PDF_HANG_ITEM, 2.0);
			i++;
			if (i == doc->nblocks || (doc->blocks[i].kind != MN_BLOCK_ITEM && doc->blocks[i].kind != MN_BLOCK_SUBITEM))
				c->y += PDF_PARA_GAP;
			break;
		}
		case MN_BLOCK_REFERENCES:
			place_heading(c, c->heading, bl->text, 8.0);
			place_references(c, doc);
			i++;
			break;
		case MN_BLOCK_RECORDS:
			place_heading(c, c->heading, bl->text, 8.0);
			place_records(c, doc);
			i++;
			break;
		default:
			i++;
		}
		g_string_free(m, TRUE);
	}
}

/* ---- drawing ------------------------------------------------------------------------ */

static cairo_status_t write_to_buf(void *closure, const unsigned char *data, unsigned int length)
{
	mn_buf *out = closure;
	return mn_buf_put(out, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void draw_pages(pdf_ctx *c, cairo_t *cr)
{
	int npages = c->page + 1;
	for (int page = 0; page < npages; page++) {
		/* a label is placed after its text's lines, which may run onto the next page: every item, by page */
		for (size_t k = 0; k < c->nitems; k++) {
			const pdf_item *it = &c->items[k];
			if (it->page != page)
				continue;
			if (it->kind == ITEM_LINE) {
				cairo_set_source_rgb(cr, 0, 0, 0);
				cairo_move_to(cr, it->x, it->y);
				pango_cairo_show_layout_line(cr, it->line);
			} else if (it->kind == ITEM_FILL) {
				cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
				cairo_rectangle(cr, it->x, it->y, it->w, it->h);
				cairo_fill(cr);
			} else {
				cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
				cairo_set_line_width(cr, 0.5);
				cairo_move_to(cr, it->x, it->y);
				cairo_line_to(cr, it->x + it->w, it->y + it->h);
				cairo_stroke(cr);
			}
		}
		char text[64];
		snprintf(text, sizeof text, "Page %d of %d", page + 1, npages);
		PangoLayout *l = pango_layout_new(c->pc);
		pango_layout_set_font_description(l, c->small);
		pango_layout_set_text(l, text, -1);
		int w, h;
		pango_layout_get_size(l, &w, &h);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_move_to(cr, (c->paper_w - (double)w / PANGO_SCALE) / 2, c->paper_h - PDF_FOOTER_Y);
		pango_cairo_show_layout_line(cr, pango_layout_get_line_readonly(l, 0));
		g_object_unref(l);
		cairo_show_page(cr);
	}
}

mn_status mn_doc_write_pdf(const mn_doc *doc, mn_paper paper, mn_buf *out, mn_error *err)
{
	pdf_ctx c;
	memset(&c, 0, sizeof c);
	c.paper_w = paper == MN_PAPER_LETTER ? 612.0 : 595.2756;   /* 8.5 in; 210 mm */
	c.paper_h = paper == MN_PAPER_LETTER ? 792.0 : 841.8898;   /* 11 in; 297 mm */
	c.left = PDF_MARGIN_X;
	c.width = c.paper_w - 2 * PDF_MARGIN_X;
	c.top = c.y = PDF_MARGIN_TOP;
	c.bottom = c.paper_h - PDF_MARGIN_BOTTOM;
	size_t start = out->len;

	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(write_to_buf, out, c.paper_w, c.paper_h);
	cairo_t *cr = cairo_create(surface);
	/* the calling thread's font map (pango makes one per thread: font maps are not thread-safe),
	 * kept for the thread's next document: fontconfig is loaded once, not per document */
	PangoFontMap *fm = pango_cairo_font_map_get_default();
	c.pc = pango_font_map_create_context(fm);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(c.pc, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_update_context(cr, c.pc);
	c.serif = pango_font_description_from_string("DejaVu Serif 10");
	c.sans = pango_font_description_from_string("DejaVu Sans 10");
	c.sans_bold = pango_font_description_from_string("DejaVu Sans Bold 8.5");
	c.heading = pango_font_description_from_string("DejaVu Sans Bold 12");
	c.title = pango_font_description_from_string("DejaVu Sans Bold 15");
	c.table = pango_font_description_from_string("DejaVu Sans 8.5");
	c.small = pango_font_description_from_string("DejaVu Sans 8");

	const char *title = NULL;
	for (size_t i = 0; i < doc->nblocks && !title; i++)
		if (doc->blocks[i].kind == MN_BLOCK_TITLE)
			title = doc->blocks[i].text;
	if (title) {
		gchar *valid = g_utf8_make_valid(title, -1);
		cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, valid);
		g_free(valid);
	}
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "mednec");
	/* cairo 1.16 stamps the clock's time as /CreationDate unless told otherwise; a value
	 * that is not an ISO 8601 date clears it (no date is written), which is what the
	 * contract asks: same document, same bytes. tests/cli/formats.sh checks there is none. */
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "");
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, "");

	layout_doc(&c, doc);
	if (!c.nomem)
		draw_pages(&c, cr);
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	cairo_status_t cst = cairo_surface_status(surface);
	cairo_surface_destroy(surface);

	for (size_t k = 0; k < c.nitems; k++)
		if (c.items[k].line)
			pango_layout_line_unref(c.items[k].line);
	for (size_t k = 0; k < c.nlayouts; k++)
		g_object_unref(c.layouts[k]);
	free(c.items);
	free(c.layouts);
	PangoFontDescription *fonts[] = {c.serif, c.sans, c.sans_bold, c.heading, c.title, c.table, c.small};
	for (size_t k = 0; k < sizeof fonts / sizeof fonts[0]; k++)
		pango_font_description_free(fonts[k]);
	g_object_unref(c.pc);

	if (out->over) {
		out->len = start;
		return mn_error_set(err, MN_ELIMIT, "the PDF is larger than the output's size limit");
	}
	if (c.nomem || out->failed || cst == CAIRO_STATUS_NO_MEMORY) {
		out->len = start;
		return mn_error_set(err, MN_ENOMEM, "out of memory while typesetting the PDF");
	}
	if (cst != CAIRO_STATUS_SUCCESS) {
		out->len = start;
		return mn_error_set(err, MN_EIO, "cannot write the PDF: %s", cairo_status_to_string(cst));
	}
	return MN_OK;
}

void mn_doc_pdf_release(void)
{
	pango_cairo_font_map_set_default(NULL);
}

void mn_doc_pdf_shutdown(void)
{
	mn_doc_pdf_release();
	FcFini();
}

#if MN_PDF_MODULE
/* The module's one exported symbol (pdf_module.h); everything else in it is hidden. */
__attribute__((visibility("default"))) const void *mn_pdf_module_v1(const void *host_table);

/* Typeless, as the program calls every module's entry (mn_cli_module_get). */
const void *mn_pdf_module_v1(const void *host_table)
{
	const mn_pdf_host *host = host_table;
	static const mn_pdf_module module = {MN_PDF_MODULE_VERSION, mn_doc_write_pdf, mn_doc_pdf_release,
	                                     mn_doc_pdf_shutdown};
	if (!host || host->version != MN_PDF_MODULE_VERSION)
		return NULL;
	S_host = host;
	return &module;
}
#endif
