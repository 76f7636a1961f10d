/*
 * mednec/render.h: writing determinations and letters.
 *
 * A determination is written as JSON (for machines) or text (for a person).
 * A letter is first built as a document tree (mn_doc: headings, paragraphs
 * and list items, each with its citations) by applying the policy's letter
 * sections to the determination; a writer then prints the tree in one
 * format: Markdown, HTML (one self-contained page) or PDF (typeset with
 * cairo and pango). Every writer prints every block kind; a writer that
 * has no better form for a kind prints it as the Markdown writer does.
 * A statement with no source (no citation and no record entry) or with an
 * empty slot is never written.
 */
#ifndef MEDNEC_RENDER_H
#define MEDNEC_RENDER_H

#include "mednec/decide.h"

#ifdef __cplusplus
extern "C" {
#endif

mn_status mn_render_json(const mn_determination *d, mn_buf *out);
mn_status mn_render_text(const mn_determination *d, mn_buf *out);

typedef enum mn_block_kind {
	MN_BLOCK_TITLE = 1, MN_BLOCK_HEADING, MN_BLOCK_PARAGRAPH, MN_BLOCK_ITEM, MN_BLOCK_SUBITEM,
	MN_BLOCK_REFERENCES,  /* heading text; the writer lists mn_doc.refs */
	MN_BLOCK_RECORDS,     /* heading text; the writer lists mn_doc.records */
	/* A labelled field of the letter's header (letterhead: addressee,
	 * member, requesting physician, service and codes, diagnoses) or of
	 * its signature block: lead = label, text = value. Markdown prints it
	 * as a paragraph with a bold lead; PDF and HTML set consecutive fields
	 * as one block (a definition list). */
	MN_BLOCK_FIELD,
	/* One criterion as a row of the criteria table: lead = the criterion's
	 * title, status = its status in words ("Met", "Not met", "Not
	 * documented", ...), text = the rest (label, finding), or NULL.
	 * Markdown prints it as a list item "**lead:** text" where text already
	 * holds the status as the prose states it; PDF and HTML set
	 * consecutive rows as a table (criterion, status, finding and marks). */
	MN_BLOCK_CRITERION
} mn_block_kind;

typedef struct mn_block {
	mn_block_kind kind;
	const char *lead;      /* bold lead-in, or NULL */
	const char *text;
	const char *status;    /* MN_BLOCK_CRITERION: the status in words; NULL otherwise */
	size_t ncites;         /* literature / policy citations: numbers into mn_doc.refs */
	const int *cites;
	size_t nrecords;       /* record entries: numbers into mn_doc.records */
	const int *records;
} mn_block;

typedef struct mn_doc_ref {
	const char *id;
	const char *text;      /* formatted citation */
	const char *note;      /* e.g. "third-party summary", or NULL */
} mn_doc_ref;

typedef struct mn_doc {
	size_t nblocks;
	mn_block *blocks;
	size_t nrefs;
	mn_doc_ref *refs;      /* 1-based numbers in blocks: refs[n - 1] */
	size_t nrecords;
	mn_entry *records;     /* 1-based numbers in blocks: records[n - 1] */
	size_t nwarnings;      /* statements left out and why */
	const char **warnings;
	mn_arena *arena;
} mn_doc;

mn_status mn_letter_build(const mn_determination *d, mn_doc **out, mn_error *err);
/* An appeal of a denial: the determination under the policy, then each
 * reason given for the denial with the criteria it concerns (their status
 * and record entries) and the policy statements that answer it; a reason
 * that matches nothing is named as unanswered. The denial must have been
 * matched against d's policy (mn_denial_match). */
mn_status mn_appeal_build(const mn_determination *d, const mn_denial *denial, mn_doc **out, mn_error *err);
/* A one-page brief for the peer-to-peer conversation with the payer's
 * medical director: the decision at stake (service and codes, policy,
 * determination, open criteria); up to five strongest points (met criteria
 * with record entries, those stated by the most payer sources first, each
 * with its latest entry); the anticipated objections with a one-sentence
 * answer each (the denial's reasons when denial is not NULL, then the
 * policy's appeal rules live on this record: a criterion they concern is
 * open, or an answer statement applies); what documentation would settle
 * each open criterion; references and record entries. An open criterion is
 * conceded, never argued. A denial must have been matched against d's
 * policy (mn_denial_match). Out of memory anywhere: MN_ENOMEM, no document. */
mn_status mn_brief_build(const mn_determination *d, const mn_denial *denial, mn_doc **out, mn_error *err);
void mn_doc_free(mn_doc *doc);
mn_status mn_doc_write_markdown(const mn_doc *doc, mn_buf *out);

/* One self-contained, accessible HTML5 page (inline stylesheet with a
 * print stylesheet, no script, no external resource): semantic headings,
 * the criteria as a table, each [n] and [Rn] a link to its entry in the
 * reference list or the record list. Text is escaped. */
mn_status mn_doc_write_html(const mn_doc *doc, mn_buf *out);

typedef enum mn_paper { MN_PAPER_A4 = 0, MN_PAPER_LETTER } mn_paper;
/* A PDF typeset with cairo and pango: letterhead block, headings, wrapped
 * paragraphs, the criteria as a table, reference list with hanging
 * indents, page numbers, fonts embedded. The bytes go to out.
 * Deterministic: same document, same bytes (no creation date). */
mn_status mn_doc_write_pdf(const mn_doc *doc, mn_paper paper, mn_buf *out, mn_error *err);
/* The PDF writer keeps the calling thread's font map (pango's, one per
 * thread, freed when the thread ends) for the thread's next document.
 * mn_doc_pdf_release frees it now; mn_doc_pdf_shutdown also frees
 * fontconfig's configuration: call it once, at the end of a program, when
 * no other thread typesets. Neither is needed; both let a leak checker see
 * only real leaks. */
void mn_doc_pdf_release(void);
void mn_doc_pdf_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
