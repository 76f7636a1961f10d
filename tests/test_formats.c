/*
 * test_formats.c: the HTML and PDF writers of letters (mednec/render.h) on
 * a document built by hand, with every block kind and text that tries to
 * inject markup, as a record's free text could.
 */
#include <unistd.h>

#include "test.h"

#include "mednec/render.h"

static const int cites12[] = {1, 2};
static const int cite9[] = {9};      /* outside the reference list: no link */
static const int recs1[] = {1};
static const int recs12[] = {1, 2};

static mn_block blocks[] = {
	{MN_BLOCK_TITLE, NULL, "Letter <b>of</b> necessity & \"more\"", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_FIELD, "Member", "Dana <Example> & 'Co'", NULL, 0, NULL, 1, recs1},
	{MN_BLOCK_FIELD, "Plan", "Gold \"PPO\"", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_HEADING, NULL, "Summary", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_PARAGRAPH, "Lead <i>", "Note: <script>alert(1)</script> & </p></main>", NULL, 2, cites12, 2, recs12},
	{MN_BLOCK_HEADING, NULL, "The policy's criteria", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_CRITERION, "Pain <= 5 & \"rated\"", "Budapest <img src=x onerror=alert(1)>", "Met", 1, cites12, 1, recs1},
	{MN_BLOCK_SUBITEM, NULL, "2026-11-05: sub <entry>", NULL, 0, NULL, 1, recs1},
	{MN_BLOCK_CRITERION, "Second", NULL, "Not documented", 1, cite9, 0, NULL},
	{MN_BLOCK_ITEM, "Item", "text", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_SUBITEM, NULL, "subitem", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_REFERENCES, NULL, "References", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_RECORDS, NULL, "Record entries", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_TITLE, NULL, "Appendix", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_REFERENCES, NULL, "References again", NULL, 0, NULL, 0, NULL},
	{MN_BLOCK_FIELD, "Signature", "........", NULL, 0, NULL, 0, NULL},
};

static mn_doc_ref refs[] = {
	{"a", "Smith J. <Title> & \"quotes\". J Pain. 2020;1:1-2.", NULL},
	{"b", "Payer policy 7.01.25", "third-party <summary>"},
};

static mn_entry records[] = {
	{NULL, "Observation/x\"><script>", "2026-11-05", "Pain <9> & 'worst'"},
	{NULL, "Condition/crps", NULL, "CRPS II"},
};

static mn_doc make_doc(void)
{
	mn_doc d = {sizeof blocks / sizeof blocks[0], blocks, 2, refs, 2, records, 0, NULL, NULL};
	return d;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_html(void)
{
	mn_doc d = make_doc();
	mn_buf b = MN_BUF_INIT;
	CHECK_INT(mn_doc_write_html(&d, &b), MN_OK);
	const char *h = mn_buf_cstr(&b);
	/* nothing from the text became markup */
	CHECK(!strstr(h, "<script"));
	CHECK(!strstr(h, "<img"));
	CHECK(!strstr(h, "<b>"));
	CHECK(!strstr(h, "<i>"));
	CHECK(!strstr(h, "<Example>"));
	CHECK(!strstr(h, "x\"><"));
	CHECK(strstr(h, "Note: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/p&gt;&lt;/main&gt;") != NULL);
	CHECK(strstr(h, "Budapest &lt;img src=x onerror=alert(1)&gt;") != NULL);
	CHECK(strstr(h, "<title>Letter &lt;b&gt;of&lt;/b&gt; necessity &amp; &quot;more&quot;</title>") != NULL);
	CHECK(strstr(h, "<code>Observation/x&quot;&gt;&lt;script&gt;</code>") != NULL);
	CHECK(strstr(h, "Dana &lt;Example&gt; &amp; &#39;Co&#39;") != NULL);
	/* structure: one h1 (the second title is a part heading), fields as one list, criteria as one table */
	CHECK_INT(count(h, "<h1"), 1);
	CHECK(strstr(h, "<h2 class=\"part\">Appendix</h2>") != NULL);
	CHECK(strstr(h, "<h3>References again</h3>") != NULL);
	CHECK_INT(count(h, "<dl class=\"fields\">"), 2);  /* the letterhead, and the signature after the appendix */
	CHECK(strstr(h, "<dt>Member</dt><dd>Dana &lt;Example&gt; &amp; &#39;Co&#39; <span class=\"marks\">"
	                "[<a href=\"#rec-1\">R1</a>]</span></dd>\n<dt>Plan</dt>") != NULL);
	CHECK_INT(count(h, "<table"), 1);
	CHECK_INT(count(h, "<tr><th scope=\"row\">"), 2);
	CHECK(strstr(h, "<th scope=\"row\">Pain &lt;= 5 &amp; &quot;rated&quot;</th><td>Met</td>") != NULL);
	CHECK(strstr(h, "<caption>") != NULL);
	CHECK_INT(count(h, "<th scope=\"col\">"), 3);
	/* the subitem nests in the criterion's last cell, the item's subitem in the item */
	CHECK(strstr(h, "<ul>\n<li>2026-11-05: sub &lt;entry&gt; <span class=\"marks\">[<a href=\"#rec-1\">R1</a>]</span>"
	                "</li>\n</ul></td></tr>") != NULL);
	CHECK(strstr(h, "<li><strong>Item:</strong> text\n<ul>\n<li>subitem</li>\n</ul></li>") != NULL);
	/* links: each [n] to ref-n, each [Rn] to rec-n; a number with no entry is plain text; ids once */
	CHECK(strstr(h, "[<a href=\"#ref-1\">1</a>, <a href=\"#ref-2\">2</a>] [<a href=\"#rec-1\">R1</a>, "
	                "<a href=\"#rec-2\">R2</a>]") != NULL);
	CHECK(strstr(h, "[9]") != NULL);
	CHECK(!strstr(h, "#ref-9"));
	CHECK_INT(count(h, "id=\"ref-1\""), 1);
	CHECK_INT(count(h, "id=\"rec-2\""), 1);
	CHECK(strstr(h, "<li id=\"ref-2\">Payer policy 7.01.25 (third-party &lt;summary&gt;)</li>") != NULL);
	CHECK(strstr(h, "<li id=\"rec-1\">R1. <code>") != NULL);
	CHECK(!strstr(h, "<script"));
	CHECK(strstr(h, "@media print") != NULL);
	mn_buf_free(&b);

	/* no reference list in the document: a citation is not a link to nowhere */
	mn_block two[] = {
		{MN_BLOCK_TITLE, NULL, "T", NULL, 0, NULL, 0, NULL},
		{MN_BLOCK_PARAGRAPH, NULL, "p", NULL, 1, cites12, 1, recs1},
	};
	mn_doc d2 = {2, two, 2, refs, 2, records, 0, NULL, NULL};
	CHECK_INT(mn_doc_write_html(&d2, &b), MN_OK);
	CHECK(strstr(mn_buf_cstr(&b), "<p>p <span class=\"marks\">[1] [R1]</span></p>") != NULL);
	CHECK(!strstr(mn_buf_cstr(&b), "href"));
	mn_buf_free(&b);
}

/* Whether the bytes hold s (a PDF holds NUL bytes: no strstr). */
static bool has_bytes(const mn_buf *b, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return true;
	return false;
}

/* The PDF's text as pdftotext prints it (NULL when pdftotext is not there). */
static char *pdf_text(const mn_buf *pdf)
{
	char path[] = "/tmp/mn-test-formats-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "wb");
	fwrite(pdf->data, 1, pdf->len, f);
	fclose(f);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "pdftotext -layout %s - 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	mn_buf t = MN_BUF_INIT;
	char chunk[4096];
	size_t n;
	while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
		mn_buf_put(&t, chunk, n);
	int rc = p ? pclose(p) : -1;
	if (getenv("MN_FORMATS_KEEP"))
		fprintf(stderr, "PDF kept at %s\n", path);
	else
		remove(path);
	if (rc != 0) {
		mn_buf_free(&t);
		return NULL;
	}
	return mn_buf_detach(&t, NULL);
}

static void test_pdf(void)
{
	mn_doc d = make_doc();
	mn_buf a4 = MN_BUF_INIT, a4again = MN_BUF_INIT, letter = MN_BUF_INIT;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_doc_write_pdf(&d, MN_PAPER_A4, &a4, &err), MN_OK);
	CHECK_INT(mn_doc_write_pdf(&d, MN_PAPER_A4, &a4again, &err), MN_OK);
	CHECK_INT(mn_doc_write_pdf(&d, MN_PAPER_LETTER, &letter, &err), MN_OK);
	CHECK(a4.len > 1000 && memcmp(a4.data, "%PDF-", 5) == 0);
	CHECK(a4.len > 6 && memcmp(a4.data + a4.len - 6, "%%EOF\n", 6) == 0);
	/* same document, same bytes: no creation date, nothing from the clock or an address */
	CHECK(a4.len == a4again.len && memcmp(a4.data, a4again.data, a4.len) == 0);
	CHECK(has_bytes(&a4, "/Producer") && !has_bytes(&a4, "/CreationDate"));
	CHECK(!has_bytes(&a4, "/ModDate"));
	/* the paper: 8.5 x 11 in = 612 x 792 pt; A4 210 x 297 mm = 595.28 x 841.89 pt */
	CHECK(has_bytes(&letter, "/MediaBox [ 0 0 612 792 ]"));
	CHECK(has_bytes(&a4, "/MediaBox [ 0 0 595.2756 841.8898 ]"));
	char *text = pdf_text(&a4);
	if (!text) {
		fprintf(stderr, "test_formats: pdftotext not available; PDF text not checked\n");
	} else {
		/* the record's markup characters are printed as text, not taken as pango markup */
		CHECK(strstr(text, "Note: <script>alert(1)</script> & </p></main>") != NULL);
		CHECK(strstr(text, "Dana <Example> & 'Co'") != NULL);
		CHECK(strstr(text, "Letter <b>of</b> necessity & \"more\"") != NULL);
		CHECK(strstr(text, "Observation/x\"><script>") != NULL);
		/* the table's header row and the criteria with their status */
		CHECK(strstr(text, "Criterion") && strstr(text, "Status") && strstr(text, "Finding and sources"));
		CHECK(strstr(text, "Not documented") != NULL);
		CHECK(strstr(text, "Page 1 of 2") != NULL);  /* the appendix title starts page 2 */
		CHECK(strstr(text, "Page 2 of 2") != NULL);
		free(text);
	}
	mn_buf_free(&a4);
	mn_buf_free(&a4again);
	mn_buf_free(&letter);

	/* a failing output buffer: an error, never half a PDF reported as written */
	mn_buf small = MN_BUF_INIT;
	small.max = 100;
	mn_error_clear(&err);
	CHECK(mn_doc_write_pdf(&d, MN_PAPER_A4, &small, &err) != MN_OK);
	CHECK(err.code != MN_OK);
	mn_buf_free(&small);
}

/* A criteria table longer than a page: each page it runs onto starts with the header row again. */
static void test_pdf_long_table(void)
{
	enum { ROWS = 90 };
	mn_block bl[ROWS + 1];
	char titles[ROWS][48];
	bl[0] = (mn_block){MN_BLOCK_TITLE, NULL, "Long table", NULL, 0, NULL, 0, NULL};
	for (int i = 0; i < ROWS; i++) {
		snprintf(titles[i], sizeof titles[i], "Criterion %d", i + 1);
		bl[i + 1] = (mn_block){MN_BLOCK_CRITERION, titles[i], "A finding that takes a line or two in its cell.",
		                       "Met", 0, NULL, 0, NULL};
	}
	mn_doc d = {ROWS + 1, bl, 0, NULL, 0, NULL, 0, NULL, NULL};
	mn_buf pdf = MN_BUF_INIT;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_doc_write_pdf(&d, MN_PAPER_LETTER, &pdf, &err), MN_OK);
	char *text = pdf_text(&pdf);
	if (text) {
		/* 90 rows of at least two table lines do not fit on one page */
		CHECK(strstr(text, "Page 1 of 1") == NULL);
		CHECK(strstr(text, "Criterion 90") != NULL);
		int pages = 0;
		for (char *p = strstr(text, "Page "); p; p = strstr(p + 1, "Page "))
			pages++;
		CHECK(pages >= 2);
		CHECK_INT(count(text, "Finding and sources"), pages);  /* the header row on every page */
		free(text);
	}
	mn_buf_free(&pdf);
}

/* The hand-built document's HTML through the parser check of tests/cli/html_check.py. */
static void test_html_parser_check(void)
{
	if (system("python3 -c '' 2>/dev/null") != 0) {
		fprintf(stderr, "test_formats: python3 not available; html_check.py not run\n");
		return;
	}
	mn_doc d = make_doc();
	mn_buf b = MN_BUF_INIT;
	CHECK_INT(mn_doc_write_html(&d, &b), MN_OK);
	char path[] = "/tmp/mn-test-formats-html-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "wb");
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "python3 %s/tests/cli/html_check.py %s --table", MN_SOURCE_DIR, path);
	CHECK_INT(system(cmd), 0);
	remove(path);
	mn_buf_free(&b);
}

int main(void)
{
	test_html();
	test_pdf();
	test_pdf_long_table();
	test_html_parser_check();
	/* the thread's font map and fontconfig's configuration: freed, so valgrind shows only real leaks */
	mn_doc_pdf_shutdown();
	TEST_END();
}
