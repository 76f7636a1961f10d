/*
 * cite.c: citations, formatted in one place and checked for completeness.
 *
 * The evidence library's references (CSL-JSON items) and the policies'
 * sources (payer documents) are formatted once at load in one style, AMA
 * (11th edition) with NLM's PMID: authors, title, journal abbreviation,
 * year;volume(issue):pages, doi and PMID for articles; publisher, title,
 * number, effective or review date, "Accessed <date>" and the URL for payer
 * documents and web pages. Renderers print the strings.
 *
 * The rule (docs/POLICY-FORMAT.md, "Citations"): an item that may be cited
 * (confirmed or secondary) is a full citation. A loader rejects one that is
 * not, naming the file, the place and the missing parts; the data then either
 * completes it or marks it incomplete, and an incomplete item is never cited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mednec/knowledge.h"
#include "knowledge_int.h"

/* Phrases about how the project keeps its files. None may reach a letter. */
static const char *const housekeeping[] = {
	"facts.md", "shared/clinical", "not recorded", "not seen", "not found", "title not", "see evidence",
	"evidence file", "placeholder", "todo:", "exact title", NULL,
};

const char *mn_housekeeping_phrase(const char *text)
{
	if (!text)
		return NULL;
	for (size_t i = 0; housekeeping[i]; i++) {
		size_t n = strlen(housekeeping[i]);
		for (const char *p = text; *p; p++)
			if (strncasecmp(p, housekeeping[i], n) == 0)
				return housekeeping[i];
	}
	return NULL;
}

static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"};

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* year, month (1-12 or 0) and day (1-31 or 0) of "YYYY", "YYYY-MM" or
 * "YYYY-MM-DD"; false for anything else. */
static bool parse_date(const char *s, int *y, int *m, int *d)
{
	size_t n = s ? strlen(s) : 0;
	*y = *m = *d = 0;
	if ((n != 4 && n != 7 && n != 10) || !all_digits(s, 4))
		return false;
	*y = atoi(s);
	if (n >= 7) {
		if (s[4] != '-' || !all_digits(s + 5, 2))
			return false;
		*m = atoi(s + 5);
		if (*m < 1 || *m > 12)
			return false;
	}
	if (n == 10) {
		if (s[7] != '-' || !all_digits(s + 8, 2))
			return false;
		*d = atoi(s + 8);
		if (*d < 1 || *d > 31)
			return false;
	}
	return true;
}

bool k_valid_date(const char *s)
{
	int y, m, d;
	return parse_date(s, &y, &m, &d);
}

/* AMA dates: "2024", "May 2024", "January 1, 2026". */
static void put_date(mn_buf *b, int y, int m, int d)
{
	if (m && d)
		mn_buf_printf(b, "%s %d, %d", months[m - 1], d, y);
	else if (m)
		mn_buf_printf(b, "%s %d", months[m - 1], y);
	else
		mn_buf_printf(b, "%d", y);
}

static void put_iso_date(mn_buf *b, const char *iso)
{
	int y, m, d;
	if (parse_date(iso, &y, &m, &d))
		put_date(b, y, m, d);
}

/* ---- references (CSL-JSON) ------------------------------------------------ */

static const char *jstr(const mn_json *o, const char *key)
{
	const char *s = mn_json_get_string(o, key);
	return s && *s ? s : NULL;
}

/* The n-th number of a CSL date ({"date-parts": [[y, m, d]]}), or 0. */
static int date_part(const mn_json *date, uint32_t n)
{
	const mn_json *parts = mn_json_get(date, "date-parts");
	if (!parts || parts->type != MN_JSON_ARRAY || !parts->n || parts->u.items[0].type != MN_JSON_ARRAY)
		return 0;
	const mn_json *first = &parts->u.items[0];
	if (n >= first->n || first->u.items[n].type != MN_JSON_NUMBER)
		return 0;
	char tmp[16];
	size_t len = first->u.items[n].n < sizeof tmp - 1 ? first->u.items[n].n : sizeof tmp - 1;
	memcpy(tmp, first->u.items[n].u.s, len);
	tmp[len] = '\0';
	return atoi(tmp);
}

static void put_csl_date(mn_buf *b, const mn_json *date)
{
	int y = date_part(date, 0), m = date_part(date, 1), d = date_part(date, 2);
	if (m < 1 || m > 12)
		m = d = 0;
	if (y)
		put_date(b, y, m, d);
}

/* Initials of a given name: "Robert N" -> "RN", "Timothy R" -> "TR"; a
 * word written as initials already ("RN", "RSGM") is kept whole. A word's
 * first letter is copied as a whole UTF-8 character. */
static void put_initials(mn_buf *b, const char *given)
{
	const unsigned char *g = (const unsigned char *)given;
	while (*g) {
		while (*g == ' ' || *g == '-' || *g == '.')
			g++;
		const unsigned char *w = g;
		bool upper = true;
		while (*g && *g != ' ' && *g != '-' && *g != '.') {
			upper &= *g >= 'A' && *g <= 'Z';
			g++;
		}
		if (g == w)
			break;
		if (upper) {  /* already initials */
			mn_buf_put(b, (const char *)w, (size_t)(g - w));
			continue;
		}
		size_t n = 1;
		while (w + n < g && (w[n] & 0xC0) == 0x80)  /* UTF-8 continuation bytes */
			n++;
		mn_buf_put(b, (const char *)w, n);
	}
}

/* "Deer TR, Levy RM, Kramer J, et al. ": every author up to six; past six
 * (an "et al" literal counts as more), the first three and "et al". */
static void put_authors(mn_buf *b, const mn_json *authors)
{
	if (!authors || authors->type != MN_JSON_ARRAY || authors->n == 0)
		return;
	uint32_t shown = authors->n > 6 ? 3 : authors->n;
	for (uint32_t i = 0; i < shown; i++) {
		const mn_json *a = &authors->u.items[i];
		const char *family = jstr(a, "family"), *given = jstr(a, "given"), *lit = jstr(a, "literal");
		if (i)
			mn_buf_puts(b, ", ");
		if (lit) {
			mn_buf_puts(b, lit);
			continue;
		}
		mn_buf_puts(b, family ? family : "");
		if (given) {
			mn_buf_putc(b, ' ');
			put_initials(b, given);
		}
	}
	if (shown < authors->n)
		mn_buf_puts(b, ", et al");
	mn_buf_puts(b, ". ");
}

/* "text. " unless text already ends a sentence. */
static void put_part(mn_buf *b, const char *text)
{
	if (!text)
		return;
	mn_buf_puts(b, text);
	size_t n = strlen(text);
	if (n && text[n - 1] != '.' && text[n - 1] != '?' && text[n - 1] != '!')
		mn_buf_putc(b, '.');
	mn_buf_putc(b, ' ');
}

static bool is_article(const mn_json *item)
{
	const char *type = jstr(item, "type");
	return !type || strcmp(type, "article-journal") == 0;
}

static bool is_epub(const mn_json *item)
{
	const char *status = jstr(item, "status");
	return status && strcmp(status, "epub ahead of print") == 0;
}

static bool has_authors(const mn_json *item)
{
	const mn_json *a = mn_json_get(item, "author");
	if (!a || a->type != MN_JSON_ARRAY || !a->n)
		return false;
	const mn_json *first = &a->u.items[0];
	return jstr(first, "family") || jstr(first, "literal");
}

const char *k_format_reference(mn_arena *a, const mn_json *item)
{
	mn_buf b = MN_BUF_INIT;
	if (has_authors(item))
		put_authors(&b, mn_json_get(item, "author"));
	else if (jstr(item, "publisher"))
		put_part(&b, jstr(item, "publisher"));
	put_part(&b, jstr(item, "title"));
	const char *container = jstr(item, "container-title-short");
	if (!container)
		container = jstr(item, "container-title");
	put_part(&b, container);
	const mn_json *issued = mn_json_get(item, "issued");
	if (is_article(item)) {
		if (is_epub(item)) {
			mn_buf_puts(&b, "Published online ");
			put_csl_date(&b, issued);
			mn_buf_puts(&b, ". ");
		} else {
			int year = date_part(issued, 0);
			const char *vol = jstr(item, "volume"), *iss = jstr(item, "issue"), *page = jstr(item, "page");
			if (year)
				mn_buf_printf(&b, "%d", year);
			if (vol)
				mn_buf_printf(&b, ";%s", vol);
			if (iss)
				mn_buf_printf(&b, "%s(%s)", vol ? "" : ";", iss);
			if (page)
				mn_buf_printf(&b, ":%s", page);
			if (year || vol || iss || page)
				mn_buf_puts(&b, ". ");
		}
	} else {
		put_part(&b, jstr(item, "number"));
		if (date_part(issued, 0)) {
			mn_buf_puts(&b, "Published ");
			put_csl_date(&b, issued);
			mn_buf_puts(&b, ". ");
		}
	}
	const char *doi = jstr(item, "DOI"), *pmid = jstr(item, "PMID"), *url = jstr(item, "URL");
	const mn_json *accessed = mn_json_get(item, "accessed");
	if (!doi && url && date_part(accessed, 0)) {
		mn_buf_puts(&b, "Accessed ");
		put_csl_date(&b, accessed);
		mn_buf_puts(&b, ". ");
	}
	if (doi)
		mn_buf_printf(&b, "doi:%s%s", doi, pmid ? ". " : "");
	if (pmid)
		mn_buf_printf(&b, "PMID: %s", pmid);
	if (!doi && url)
		mn_buf_puts(&b, url);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	char *s = b.failed ? NULL : mn_arena_strndup(a, mn_buf_cstr(&b), b.len);
	mn_buf_free(&b);
	return s;
}

static void missing(mn_buf *b, const char *what)
{
	mn_buf_printf(b, "%s%s", b->len ? ", " : "", what);
}

size_t k_reference_missing(const mn_json *item, mn_buf *out)
{
	size_t before = out->len;
	static const char *const texts[] = {"title", "container-title", "container-title-short", "publisher", NULL};
	if (!jstr(item, "title"))
		missing(out, "title");
	if (is_article(item)) {
		if (!has_authors(item))
			missing(out, "author");
		if (!jstr(item, "container-title"))
			missing(out, "container-title (journal)");
		if (!date_part(mn_json_get(item, "issued"), 0))
			missing(out, "issued (year)");
		if (!jstr(item, "page") && !(is_epub(item) && jstr(item, "DOI")))
			missing(out, "page (or, for an epub ahead of print, its DOI)");
	} else {
		if (!has_authors(item) && !jstr(item, "publisher"))
			missing(out, "author or publisher");
		if (!jstr(item, "URL"))
			missing(out, "URL");
		if (!date_part(mn_json_get(item, "accessed"), 0))
			missing(out, "accessed (date)");
	}
	for (size_t i = 0; texts[i]; i++) {
		const char *phrase = mn_housekeeping_phrase(jstr(item, texts[i]));
		if (phrase) {
			mn_buf_printf(out, "%s%s without project notes (has '%s')", out->len > before ? ", " : "", texts[i],
			              phrase);
		}
	}
	return out->len - before;
}

/* ---- payer documents (policy sources) --------------------------------------- */

const char *k_format_source(mn_arena *a, const mn_source *s)
{
	mn_buf b = MN_BUF_INIT;
	put_part(&b, s->publisher);
	put_part(&b, s->document_title ? s->document_title : s->title);
	put_part(&b, s->number);
	if (s->effective) {
		mn_buf_puts(&b, "Effective ");
		put_iso_date(&b, s->effective);
		mn_buf_puts(&b, ". ");
	} else if (s->reviewed) {
		mn_buf_puts(&b, "Reviewed ");
		put_iso_date(&b, s->reviewed);
		mn_buf_puts(&b, ". ");
	}
	if (s->via)
		mn_buf_printf(&b, "Third-party summary: %s. ", s->via);
	if (s->accessed) {
		mn_buf_puts(&b, "Accessed ");
		put_iso_date(&b, s->accessed);
		mn_buf_puts(&b, ". ");
	}
	if (s->url)
		mn_buf_puts(&b, s->url);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	char *out = b.failed ? NULL : mn_arena_strndup(a, mn_buf_cstr(&b), b.len);
	mn_buf_free(&b);
	return out;
}

size_t k_source_missing(const mn_source *s, mn_buf *out)
{
	size_t before = out->len;
	if (!s->publisher)
		missing(out, "publisher");
	if (!s->number && !s->unnumbered)
		missing(out, "number (or unnumbered: why the publisher gives none)");
	if (!s->effective && !s->reviewed && !s->undated)
		missing(out, "effective or reviewed (or undated: why the copy shows no date)");
	if (!s->url)
		missing(out, "url");
	if (!s->accessed)
		missing(out, "accessed");
	const char *texts[] = {s->title, s->document_title, s->publisher, s->number, s->via};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		const char *phrase = mn_housekeeping_phrase(texts[i]);
		if (phrase)
			mn_buf_printf(out, "%stext without project notes (has '%s')", out->len > before ? ", " : "", phrase);
	}
	return out->len - before;
}
