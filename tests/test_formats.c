/*
 * test_formats.c: the HTML and PDF writers of letters (mednec/render.h) on
 * a document built by hand, with every block kind and text that tries to
 * inject markup, as a record's free text could.
 */
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

int main(void)
{
	test_html();
	TEST_END();
}
