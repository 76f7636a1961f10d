/*
 * policy.c: load a policy file (docs/POLICY-FORMAT.md), check it strictly and
 * compile every FHIRPath expression and letter template once.
 *
 * Everything a policy holds lives in the policy's arena, except compiled
 * expressions, which are tracked in exprs_ and freed with the policy. Errors
 * name the file, the YAML line:column and the key path; an expression error
 * adds the column inside the expression.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knowledge_int.h"
#include "yaml_int.h"

typedef struct loader {
	ydoc y;
	mn_policy *p;
	const mn_library *lib;
	mn_error *err;
	char key[256];  /* current key path for errors */
} loader;

#define ARENA (L->p->arena)

bool k_valid_id(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static mn_status nomem(loader *L)
{
	return mn_error_set(L->err, MN_ENOMEM, "out of memory");
}

static void set_key(loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_key(loader *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->key, sizeof L->key, fmt, ap);
	va_end(ap);
}

static int track_expr(loader *L, mn_fp_expr *e)
{
	mn_policy *p = L->p;
	if (p->nexprs_ == p->capexprs_) {
		size_t cap = p->capexprs_ ? p->capexprs_ * 2 : 64;
		mn_fp_expr **n = realloc(p->exprs_, cap * sizeof *n);
		if (!n)
			return -1;
		p->exprs_ = n;
		p->capexprs_ = cap;
	}
	p->exprs_[p->nexprs_++] = e;
	return 0;
}

static const mn_valueset *policy_valueset(const mn_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nvaluesets; i++)
		if (strcmp(p->valuesets[i].name, name) == 0)
			return &p->valuesets[i];
	return NULL;
}

/* Every memberOf('NAME') of an expression names a value set of the policy
 * or of the shared ones: a misspelt name is a load error, not a criterion
 * that is silently never met. */
static mn_status check_member_of(loader *L, const yaml_node_t *node, const char *src, size_t len)
{
	static const char fn[] = "memberOf";
	for (size_t i = 0; i + sizeof fn - 1 < len; i++) {
		if (memcmp(src + i, fn, sizeof fn - 1) != 0)
			continue;
		size_t j = i + sizeof fn - 1;
		while (j < len && (src[j] == ' ' || src[j] == '\t'))
			j++;
		if (j >= len || src[j] != '(')
			continue;
		j++;
		while (j < len && (src[j] == ' ' || src[j] == '\t'))
			j++;
		if (j >= len || src[j] != '\'')
			continue;
		size_t start = ++j;
		while (j < len && src[j] != '\'' && src[j] != '\\')
			j++;
		if (j >= len || src[j] != '\'')
			continue;
		char name[128];
		if (j - start >= sizeof name)
			return y_fail(&L->y, node, L->key, "memberOf() names an over-long value set");
		memcpy(name, src + start, j - start);
		name[j - start] = '\0';
		if (!policy_valueset(L->p, name) && !mn_library_valueset(L->lib, name))
			return y_fail(&L->y, node, L->key, "memberOf('%s'): no value set '%s' in valueSets or in the shared "
			              "value sets (knowledge/valuesets)", name, name);
	}
	return MN_OK;
}

/* Compile the expression text of a YAML scalar node. */
static mn_status compile_text(loader *L, const yaml_node_t *node, const char *src, size_t len,
                              mn_fp_expr **out)
{
	mn_status mrc = check_member_of(L, node, src, len);
	if (mrc != MN_OK)
		return mrc;
	mn_error e;
	mn_error_clear(&e);
	mn_fp_expr *x = mn_fp_compile(src, (long)len, &e);
	if (!x && e.code == MN_ENOMEM)
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	if (!x)
		return y_fail(&L->y, node, L->key, "FHIRPath %s at column %d of \"%.*s\": %s",
		              e.code == MN_ESYNTAX ? "syntax error" : "error", e.column,
		              (int)(len > 200 ? 200 : len), src, e.message);
	if (track_expr(L, x)) {
		mn_fp_expr_free(x);
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	}
	*out = x;
	return MN_OK;
}

/* The expression at map's key (missing: an error when required). constant_why, when not NULL: the expression
 * must read the record, and is refused when it reads nothing of it (mn_fp_expr_constant); constant_why says
 * what such a constant would do for every patient. load_criteria asks it of notApplicable (a constant makes
 * the criterion met without any record entry for every patient, or never applies) and evidence (a constant
 * can name no record entry: never met); a constant met or documented is allowed, the status still resting
 * on the record through documented and evidence (docs/POLICY-FORMAT.md, "criteria"). */
static mn_status compile_key_ex(loader *L, const yaml_node_t *map, const char *key, bool required,
                                const char *constant_why, mn_fp_expr **out)
{
	*out = NULL;
	yaml_node_t *v = y_get(&L->y, map, key);
	size_t klen = strlen(L->key);
	snprintf(L->key + klen, sizeof L->key - klen, ".%s", key);
	mn_status rc = MN_OK;
	if (!v) {
		if (required)
			rc = y_fail(&L->y, map, L->key, "missing required key '%s'", key);
	} else if (v->type != YAML_SCALAR_NODE) {
		rc = y_fail(&L->y, v, L->key, "expected a FHIRPath expression");
	} else {
		rc = compile_text(L, v, (const char *)v->data.scalar.value, v->data.scalar.length, out);
		if (rc == MN_OK && constant_why && mn_fp_expr_constant(*out)) {
			int n = (int)v->data.scalar.length;
			rc = y_fail(&L->y, v, L->key, "the expression \"%.*s\"%s does not read the record: %s",
			            n > 200 ? 200 : n, (const char *)v->data.scalar.value, n > 200 ? "..." : "",
			            constant_why);
		}
	}
	L->key[klen] = '\0';
	return rc;
}

static mn_status compile_key(loader *L, const yaml_node_t *map, const char *key, bool required,
                             mn_fp_expr **out)
{
	return compile_key_ex(L, map, key, required, NULL, out);
}

/* {@id} or {@id.field}: a finding's statement or one of its fields. */
static mn_status finding_slot(loader *L, const yaml_node_t *node, const char *s, size_t n, mn_template_part *part)
{
	char id[128], field[64] = "statement";
	const char *dot = memchr(s, '.', n);
	size_t idlen = dot ? (size_t)(dot - s) : n;
	if (idlen == 0 || idlen >= sizeof id || (dot && (size_t)(s + n - dot - 1) >= sizeof field))
		return y_fail(&L->y, node, L->key, "malformed evidence slot '{@%.*s}'", (int)n, s);
	memcpy(id, s, idlen);
	id[idlen] = '\0';
	if (dot) {
		memcpy(field, dot + 1, (size_t)(s + n - dot - 1));
		field[s + n - dot - 1] = '\0';
	}
	const mn_finding *f = mn_library_finding(L->lib, id);
	if (!f)
		return y_fail(&L->y, node, L->key, "evidence slot names unknown finding '%s'", id);
	if (!mn_verification_citable(f->verification))
		return y_fail(&L->y, node, L->key, "finding '%s' is %s and may not be quoted", id,
		              mn_verification_name(f->verification));
	const char *v = NULL;
	if (strcmp(field, "statement") == 0) v = f->statement;
	else if (strcmp(field, "population") == 0) v = f->population;
	else if (strcmp(field, "intervention") == 0) v = f->intervention;
	else if (strcmp(field, "comparator") == 0) v = f->comparator;
	else if (strcmp(field, "outcome") == 0) v = f->outcome;
	else if (strcmp(field, "followUp") == 0) v = f->follow_up;
	else if (strcmp(field, "result") == 0) v = f->result;
	else
		return y_fail(&L->y, node, L->key, "unknown finding field '%s'", field);
	if (!v)
		return y_fail(&L->y, node, L->key, "finding '%s' has no %s", id, field);
	part->finding = f;
	part->field = v;
	return MN_OK;
}

/* template -> (literal | '{' fhirpath '}' | '{@' finding ['.' field] '}')* ;
 * '{{' and '}}' are literal braces. */
static mn_status parse_template(loader *L, const yaml_node_t *node, mn_template *t)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return y_fail(&L->y, node, L->key, "expected a text template");
	const char *s = (const char *)node->data.scalar.value;
	size_t n = node->data.scalar.length;
	size_t cap = 8;
	t->nparts = 0;
	t->parts = mn_arena_calloc(ARENA, cap, sizeof *t->parts);
	if (!t->parts)
		return nomem(L);
	mn_buf lit = MN_BUF_INIT;
	mn_status rc = MN_OK;
	for (size_t i = 0; i <= n && rc == MN_OK; i++) {
		bool end = i == n;
		if (!end && s[i] == '{' && i + 1 < n && s[i + 1] == '{') {
			mn_buf_putc(&lit, '{');
			i++;
			continue;
		}
		if (!end && s[i] == '}' && i + 1 < n && s[i + 1] == '}') {
			mn_buf_putc(&lit, '}');
			i++;
			continue;
		}
		if (!end && s[i] == '}') {
			rc = y_fail(&L->y, node, L->key, "unmatched '}' in template (write '}}' for a brace)");
			break;
		}
		if (!end && s[i] != '{') {
			mn_buf_putc(&lit, s[i]);
			continue;
		}
		/* flush the literal before a slot or at the end */
		if (t->nparts + 2 > cap) {
			mn_template_part *np = mn_arena_calloc(ARENA, cap * 2, sizeof *np);
			if (!np) {
				rc = mn_error_set(L->err, MN_ENOMEM, "out of memory");
				break;
			}
			memcpy(np, t->parts, t->nparts * sizeof *np);
			t->parts = np;
			cap *= 2;
		}
		if (lit.len) {
			/* a literal lost to out-of-memory would be a part with neither text nor slot */
			if (lit.failed || !(t->parts[t->nparts].text = mn_arena_strndup(ARENA, mn_buf_cstr(&lit), lit.len))) {
				rc = nomem(L);
				break;
			}
			t->parts[t->nparts++].slot = NULL;
			mn_buf_reset(&lit);
		}
		if (end)
			break;
		/* find the closing brace, skipping quoted strings and nested braces */
		size_t j = i + 1;
		int depth = 1;
		char quote = 0;
		for (; j < n; j++) {
			char c = s[j];
			if (quote) {
				if (c == '\\')
					j++;
				else if (c == quote)
					quote = 0;
			} else if (c == '\'' || c == '`') {
				quote = c;
			} else if (c == '{') {
				depth++;
			} else if (c == '}' && --depth == 0) {
				break;
			}
		}
		if (j >= n) {
			rc = y_fail(&L->y, node, L->key, "unterminated '{' slot in template");
			break;
		}
		if (s[i + 1] == '@') {
			rc = finding_slot(L, node, s + i + 2, j - i - 2, &t->parts[t->nparts]);
			if (rc == MN_OK)
				t->nparts++;
			i = j;
			continue;
		}
		mn_fp_expr *x;
		rc = compile_text(L, node, s + i + 1, j - i - 1, &x);
		if (rc == MN_OK) {
			t->parts[t->nparts].text = NULL;
			t->parts[t->nparts++].slot = x;
		}
		i = j;
	}
	if (lit.failed && rc == MN_OK)
		rc = mn_error_set(L->err, MN_ENOMEM, "out of memory");
	mn_buf_free(&lit);
	return rc;
}

static const mn_source *find_source(const mn_policy *p, const char *id)
{
	return k_find_source(p->sources, p->nsources, id);
}

/* cite: [id, ...] -> resolved citations; unverifiable ones are errors. */
static mn_status load_cites(loader *L, const yaml_node_t *map, size_t *n, mn_cite **out)
{
	yaml_node_t *seq = y_get(&L->y, map, "cite");
	*n = 0;
	*out = NULL;
	if (!seq)
		return MN_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq, L->key, "cite must be a list of ids");
	size_t count = y_seq_len(seq);
	mn_cite *c = mn_arena_calloc(ARENA, count ? count : 1, sizeof *c);
	if (!c)
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = y_seq_item(&L->y, seq, i);
		const char *id = y_str(&L->y, item, L->key);
		if (!id)
			return MN_EPOLICY;
		c[i].id = id;
		mn_verification v;
		if ((c[i].source = find_source(L->p, id)) != NULL)
			v = c[i].source->verification;
		else if ((c[i].finding = mn_library_finding(L->lib, id)) != NULL)
			v = c[i].finding->verification;
		else if ((c[i].reference = mn_library_reference(L->lib, id)) != NULL)
			v = c[i].reference->verification;
		else
			return y_fail(&L->y, item, L->key, "citation '%s' does not resolve to a policy source, "
			              "an evidence finding or a reference", id);
		if (!mn_verification_citable(v))
			return y_fail(&L->y, item, L->key, "citation '%s' is marked %s and may not be cited", id,
			              mn_verification_name(v));
	}
	*n = count;
	*out = c;
	return MN_OK;
}

static mn_status load_code(loader *L, const yaml_node_t *n, mn_code *c)
{
	static const char *const keys[] = {"system", "code", "display", NULL};
	mn_status rc = y_check_keys(&L->y, n, L->key, keys);
	if (rc != MN_OK)
		return rc;
	bool bad = false;
	c->system = y_req_str(&L->y, n, "system");
	c->code = y_req_str(&L->y, n, "code");
	c->display = y_opt_str(&L->y, n, "display", &bad);
	return !c->system || !c->code || bad ? MN_EPOLICY : MN_OK;
}

static mn_status load_codes(loader *L, const yaml_node_t *seq, size_t *n, mn_code **out, bool nonempty)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE || (nonempty && y_seq_len(seq) == 0))
		return y_fail(&L->y, seq, L->key, nonempty ? "expected a non-empty list of codes" : "expected a list of codes");
	*n = y_seq_len(seq);
	if (!(*out = mn_arena_calloc(ARENA, *n ? *n : 1, sizeof **out)))
		return nomem(L);
	for (size_t i = 0; i < *n; i++) {
		mn_status rc = load_code(L, y_seq_item(&L->y, seq, i), &(*out)[i]);
		if (rc != MN_OK)
			return rc;
	}
	return MN_OK;
}

static mn_status load_sources(loader *L, const yaml_node_t *seq)
{
	return k_load_sources(&L->y, seq, "sources", true, &L->p->nsources, &L->p->sources);
}

static int cmp_vs(const void *a, const void *b)
{
	return strcmp((*(const mn_valueset *const *)a)->name, (*(const mn_valueset *const *)b)->name);
}

/* valueSets: {NAME: {title, codes: [...], exclude: [...], note}}; a name
 * may not also be a shared value set. Then the sorted lookup memberOf uses:
 * the policy's sets and the shared ones. */
static mn_status load_valuesets(loader *L, const yaml_node_t *map)
{
	static const char *const keys[] = {"title", "codes", "exclude", "note", NULL};
	mn_policy *p = L->p;
	if (map && map->type != YAML_MAPPING_NODE)
		return y_fail(&L->y, map, "valueSets", "expected a mapping of name: value set");
	p->nvaluesets = y_map_len(map);
	p->valuesets = mn_arena_calloc(ARENA, p->nvaluesets ? p->nvaluesets : 1, sizeof *p->valuesets);
	if (!p->valuesets)
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nvaluesets; i++) {
		yaml_node_pair_t *pair = y_map_pair(map, i);
		mn_valueset *vs = &p->valuesets[i];
		yaml_node_t *kn = y_node(&L->y, pair->key);
		vs->name = y_str(&L->y, kn, "valueSets");
		if (!vs->name)
			return MN_EPOLICY;
		set_key(L, "valueSets.%s", vs->name);
		const mn_valueset *shared = mn_library_valueset(L->lib, vs->name);
		if (shared)
			return y_fail(&L->y, kn, L->key, "value set '%s' is also a shared value set (%s): rename one",
			              vs->name, shared->path);
		yaml_node_t *v = y_node(&L->y, pair->value);
		mn_status rc = y_check_keys(&L->y, v, L->key, keys);
		bool bad = false;
		if (rc != MN_OK)
			return rc;
		vs->title = y_opt_str(&L->y, v, "title", &bad);
		if (bad)
			return MN_EPOLICY;
		if ((rc = k_load_valueset_entries(&L->y, v, L->key, p->sources, p->nsources, false, vs)) != MN_OK)
			return rc;
	}
	size_t nshared = L->lib ? L->lib->nvaluesets : 0;
	p->nvsindex_ = p->nvaluesets + nshared;
	p->vsindex_ = mn_arena_calloc(ARENA, p->nvsindex_ ? p->nvsindex_ : 1, sizeof *p->vsindex_);
	if (!p->vsindex_)
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nvaluesets; i++)
		p->vsindex_[i] = &p->valuesets[i];
	for (size_t i = 0; i < nshared; i++)
		p->vsindex_[p->nvaluesets + i] = &L->lib->valuesets[i];
	qsort(p->vsindex_, p->nvsindex_, sizeof *p->vsindex_, cmp_vs);
	return MN_OK;
}

static mn_status load_definitions(loader *L, const yaml_node_t *seq)
{
	static const char *const keys[] = {"name", "expr", "note", NULL};
	mn_policy *p = L->p;
	if (!seq)
		return MN_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq, "definitions", "expected a list");
	p->ndefinitions = y_seq_len(seq);
	p->definitions = mn_arena_calloc(ARENA, p->ndefinitions ? p->ndefinitions : 1, sizeof *p->definitions);
	if (!p->definitions)
		return nomem(L);
	for (size_t i = 0; i < p->ndefinitions; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		mn_definition *d = &p->definitions[i];
		set_key(L, "definitions[%zu]", i);
		mn_status rc = y_check_keys(&L->y, n, L->key, keys);
		if (rc != MN_OK)
			return rc;
		d->name = y_req_str(&L->y, n, "name");
		if (!d->name)
			return MN_EPOLICY;
		set_key(L, "definitions.%s", d->name);
		if ((rc = compile_key(L, n, "expr", true, &d->expr)) != MN_OK)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->definitions[j].name, d->name) == 0)
				return y_fail(&L->y, n, L->key, "duplicate definition '%s'", d->name);
	}
	return MN_OK;
}

static bool same_text(const mn_fp_expr *a, const mn_fp_expr *b)
{
	return a && b && strcmp(mn_fp_expr_source(a), mn_fp_expr_source(b)) == 0;
}

static const mn_fp_expr *truth_expr(const mn_criterion *c, size_t t)
{
	return t == 0 ? c->not_applicable : t == 1 ? c->documented : c->met;
}

/* Criteria's expressions written alike (documented and met both "%crps.exists()", the same evidence in
 * several criteria): each marked with the first of them (mn_criterion.same_truth_, same_evidence_); the
 * request written as a definition (mn_policy.request_same_). */
static void mark_same_texts(mn_policy *p)
{
	for (size_t i = 0; i < p->ncriteria; i++) {
		mn_criterion *c = &p->criteria[i];
		for (size_t t = 0; t < 3; t++) {
			c->same_truth_[t] = 0;
			for (size_t k = 0; k < 3 * i + t && !c->same_truth_[t]; k++)
				if (same_text(truth_expr(&p->criteria[k / 3], k % 3), truth_expr(c, t)))
					c->same_truth_[t] = k + 1;
		}
		c->same_evidence_ = 0;
		for (size_t j = 0; j < i && !c->same_evidence_; j++)
			if (same_text(p->criteria[j].evidence, c->evidence))
				c->same_evidence_ = j + 1;
	}
	/* the request written as a definition (each policy has one): the same result only when nothing in it
	 * depends on the variables bound so far */
	p->request_same_ = 0;
	const char *rq = p->request ? mn_fp_expr_source(p->request) : NULL;
	if (rq && !strchr(rq, '%') && !strstr(rq, "defineVariable"))
		for (size_t i = 0; i < p->ndefinitions && !p->request_same_; i++)
			if (same_text(p->definitions[i].expr, p->request))
				p->request_same_ = i + 1;
}

static mn_status load_criteria(loader *L, const yaml_node_t *seq)
{
	static const char *const keys[] = {"id", "title", "documented", "met", "evidence", "satisfiedBy",
	                                   "cite", "authorRequirement", "notApplicable", "notApplicableText", "note",
	                                   NULL};
	mn_policy *p = L->p;
	if (!seq || seq->type != YAML_SEQUENCE_NODE || !y_seq_len(seq))
		return y_fail(&L->y, seq, "criteria", "expected a non-empty list of criteria");
	p->ncriteria = y_seq_len(seq);
	p->criteria = mn_arena_calloc(ARENA, p->ncriteria, sizeof *p->criteria);
	if (!p->criteria)
		return nomem(L);
	for (size_t i = 0; i < p->ncriteria; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		mn_criterion *c = &p->criteria[i];
		set_key(L, "criteria[%zu]", i);
		mn_status rc = y_check_keys(&L->y, n, L->key, keys);
		if (rc != MN_OK)
			return rc;
		c->id = y_req_str(&L->y, n, "id");
		if (!c->id)
			return MN_EPOLICY;
		set_key(L, "criteria.%s", c->id);
		if (!k_valid_id(c->id))
			return y_fail(&L->y, n, L->key, "criterion id must be lowercase letters, digits and '-'");
		bool bad = false;
		c->title = y_req_str(&L->y, n, "title");
		c->satisfied_by = y_req_str(&L->y, n, "satisfiedBy");
		c->author_requirement = y_opt_str(&L->y, n, "authorRequirement", &bad);
		if (!c->title || !c->satisfied_by || bad)
			return MN_EPOLICY;
		if (c->author_requirement && !*c->author_requirement)
			return y_fail(&L->y, y_get(&L->y, n, "authorRequirement"), L->key,
			              "authorRequirement must say why the policy's author requires this");
		/* notApplicable and notApplicableText come together: the text is what the
		 * determination and the letter say when the situation does not arise */
		c->not_applicable_text = y_opt_str(&L->y, n, "notApplicableText", &bad);
		if (bad)
			return MN_EPOLICY;
		if ((c->not_applicable_text != NULL) != (y_get(&L->y, n, "notApplicable") != NULL) ||
		    (c->not_applicable_text && !*c->not_applicable_text))
			return y_fail(&L->y, n, L->key, "notApplicable and a non-empty notApplicableText come together");
		if ((rc = compile_key(L, n, "documented", false, &c->documented)) != MN_OK ||
		    (rc = compile_key_ex(L, n, "notApplicable", false, "the criterion would be not applicable, and so "
		                         "met, for every patient or for none", &c->not_applicable)) != MN_OK ||
		    (rc = compile_key(L, n, "met", true, &c->met)) != MN_OK ||
		    (rc = compile_key_ex(L, n, "evidence", true, "it can name no record entry, so the criterion could "
		                         "never be met", &c->evidence)) != MN_OK ||
		    (rc = load_cites(L, n, &c->ncites, &c->cites)) != MN_OK)
			return rc;
		if (!c->ncites && !c->author_requirement)
			return y_fail(&L->y, n, L->key, "a criterion must cite at least one source that states it, "
			              "or be marked as the policy author's with authorRequirement");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->criteria[j].id, c->id) == 0)
				return y_fail(&L->y, n, L->key, "duplicate criterion id");
	}
	mark_same_texts(p);
	return MN_OK;
}

static const char *const determinations[] = {"meets-criteria", "does-not-meet", "insufficient-documentation",
                                             "not-covered", NULL};

static mn_status load_statement(loader *L, const yaml_node_t *n, mn_statement *st)
{
	static const char *const keys[] = {"id", "heading", "when", "each", "text", "record", "cite", "onlyWhen", "note", NULL};
	mn_status rc = y_check_keys(&L->y, n, L->key, keys);
	bool bad = false;
	if (rc != MN_OK)
		return rc;
	st->id = y_opt_str(&L->y, n, "id", &bad);
	if (st->id && !k_valid_id(st->id))
		return y_fail(&L->y, y_get(&L->y, n, "id"), L->key, "a statement id must be lowercase letters, digits and '-'");
	st->heading = y_opt_str(&L->y, n, "heading", &bad);
	st->only_when = y_opt_str(&L->y, n, "onlyWhen", &bad);
	if (bad)
		return MN_EPOLICY;
	if (st->only_when) {
		bool ok = false;
		for (const char *const *d = determinations; *d; d++)
			ok |= strcmp(*d, st->only_when) == 0;
		if (!ok)
			return y_fail(&L->y, y_get(&L->y, n, "onlyWhen"), L->key, "onlyWhen must be a determination name");
	}
	if ((rc = compile_key(L, n, "when", false, &st->when)) != MN_OK ||
	    (rc = compile_key(L, n, "each", false, &st->each)) != MN_OK ||
	    (rc = compile_key(L, n, "record", false, &st->record)) != MN_OK ||
	    (rc = load_cites(L, n, &st->ncites, &st->cites)) != MN_OK)
		return rc;
	yaml_node_t *text = y_get(&L->y, n, "text");
	if (!text)
		return y_fail(&L->y, n, L->key, "a statement needs text");
	return parse_template(L, text, &st->text);
}

static const char *const builtins[] = {"determination", "header", "conclusion", "basis", "criteria", "outcomes",
                                       "missing", "signature", "warnings", "references", "record", NULL};

static mn_status load_letter(loader *L, const yaml_node_t *map)
{
	static const char *const keys[] = {"title", "sections", NULL};
	static const char *const skeys[] = {"id", "title", "builtin", "statements", "always", "entries", "note", NULL};
	mn_policy *p = L->p;
	mn_status rc = y_check_keys(&L->y, map, "letter", keys);
	if (rc != MN_OK)
		return rc;
	set_key(L, "letter.title");
	if ((rc = parse_template(L, y_get(&L->y, map, "title"), &p->letter_title)) != MN_OK)
		return rc;
	yaml_node_t *seq = y_get(&L->y, map, "sections");
	if (!seq || seq->type != YAML_SEQUENCE_NODE || !y_seq_len(seq))
		return y_fail(&L->y, seq ? seq : map, "letter.sections", "expected a non-empty list of sections");
	p->nsections = y_seq_len(seq);
	p->sections = mn_arena_calloc(ARENA, p->nsections, sizeof *p->sections);
	if (!p->sections)
		return nomem(L);
	for (size_t i = 0; i < p->nsections; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		mn_section *s = &p->sections[i];
		bool bad = false;
		set_key(L, "letter.sections[%zu]", i);
		if ((rc = y_check_keys(&L->y, n, L->key, skeys)) != MN_OK)
			return rc;
		s->builtin = y_opt_str(&L->y, n, "builtin", &bad);
		s->id = y_opt_str(&L->y, n, "id", &bad);
		s->title = y_opt_str(&L->y, n, "title", &bad);
		const char *always = y_opt_str(&L->y, n, "always", &bad);
		const char *entries = y_opt_str(&L->y, n, "entries", &bad);
		if (bad)
			return MN_EPOLICY;
		s->always = always && strcmp(always, "true") == 0;
		if (entries) {
			if (!s->builtin || strcmp(s->builtin, "criteria") != 0)
				return y_fail(&L->y, n, L->key, "entries applies to the builtin section 'criteria' only");
			if (strcmp(entries, "all") != 0 && strcmp(entries, "strongest") != 0)
				return y_fail(&L->y, y_get(&L->y, n, "entries"), L->key, "entries must be 'all' or 'strongest'");
			s->strongest = strcmp(entries, "strongest") == 0;
		}
		if (s->builtin) {
			bool ok = false;
			for (const char *const *b = builtins; *b; b++)
				ok |= strcmp(*b, s->builtin) == 0;
			if (!ok)
				return y_fail(&L->y, n, L->key, "unknown builtin section '%s'", s->builtin);
			if (y_get(&L->y, n, "statements"))
				return y_fail(&L->y, n, L->key, "a builtin section has no statements");
			if (!s->id)
				s->id = s->builtin;
			continue;
		}
		if (!s->id || !s->title)
			return y_fail(&L->y, n, L->key, "a section needs an id and a title (or builtin)");
		yaml_node_t *sts = y_get(&L->y, n, "statements");
		if (!sts || sts->type != YAML_SEQUENCE_NODE || !y_seq_len(sts))
			return y_fail(&L->y, n, L->key, "a section needs a non-empty list of statements");
		s->nstatements = y_seq_len(sts);
		s->statements = mn_arena_calloc(ARENA, s->nstatements, sizeof *s->statements);
		if (!s->statements)
			return nomem(L);
		for (size_t j = 0; j < s->nstatements; j++) {
			set_key(L, "letter.%s[%zu]", s->id, j);
			if ((rc = load_statement(L, y_seq_item(&L->y, sts, j), &s->statements[j])) != MN_OK)
				return rc;
		}
	}
	/* every citation number and record number in a letter must resolve */
	bool refs = false, recs = false;
	for (size_t i = 0; i < p->nsections; i++) {
		refs |= p->sections[i].builtin && strcmp(p->sections[i].builtin, "references") == 0;
		recs |= p->sections[i].builtin && strcmp(p->sections[i].builtin, "record") == 0;
	}
	if (!refs || !recs)
		return y_fail(&L->y, seq, "letter.sections", "a letter needs the builtin sections 'references' and 'record'");
	/* the references and the record list follow the signature: the body's numbers resolve in the appendix */
	for (size_t i = 0, sig = 0; i < p->nsections; i++) {
		const char *b = p->sections[i].builtin;
		if (b && strcmp(b, "signature") == 0 && sig++)
			return y_fail(&L->y, seq, "letter.sections", "a letter has at most one builtin section 'signature'");
		if (b && (strcmp(b, "references") == 0 || strcmp(b, "record") == 0) && !sig) {
			for (size_t j = i + 1; j < p->nsections; j++)
				if (p->sections[j].builtin && strcmp(p->sections[j].builtin, "signature") == 0)
					return y_fail(&L->y, seq, "letter.sections", "the builtin sections 'references' and "
					              "'record' come after the builtin 'signature'");
		}
	}
	return MN_OK;
}

static const mn_statement *find_statement(const mn_policy *p, const char *id)
{
	for (size_t i = 0; i < p->nsections; i++)
		for (size_t j = 0; j < p->sections[i].nstatements; j++)
			if (p->sections[i].statements[j].id && strcmp(p->sections[i].statements[j].id, id) == 0)
				return &p->sections[i].statements[j];
	return NULL;
}

static const mn_criterion *find_criterion(const mn_policy *p, const char *id)
{
	for (size_t i = 0; i < p->ncriteria; i++)
		if (strcmp(p->criteria[i].id, id) == 0)
			return &p->criteria[i];
	return NULL;
}

/* A list of scalars as an arena array. */
static mn_status str_list(loader *L, const yaml_node_t *seq, size_t *n, const char ***out)
{
	*n = 0;
	*out = NULL;
	if (!seq)
		return MN_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq, L->key, "expected a list");
	*n = y_seq_len(seq);
	if (!(*out = mn_arena_calloc(ARENA, *n ? *n : 1, sizeof **out)))
		return nomem(L);
	for (size_t i = 0; i < *n; i++)
		if (!((*out)[i] = y_str(&L->y, y_seq_item(&L->y, seq, i), L->key)))
			return MN_EPOLICY;
	return MN_OK;
}

/* appeal: {reasons: [{id, title, match: [...], codes: [...], criteria: [...], answers: [...]}]} */
static mn_status load_appeal(loader *L, const yaml_node_t *map)
{
	static const char *const keys[] = {"reasons", "note", NULL};
	static const char *const rkeys[] = {"id", "title", "match", "codes", "criteria", "answers", "note", NULL};
	mn_policy *p = L->p;
	if (!map)
		return MN_OK;
	mn_status rc = y_check_keys(&L->y, map, "appeal", keys);
	if (rc != MN_OK)
		return rc;
	yaml_node_t *seq = y_get(&L->y, map, "reasons");
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq ? seq : map, "appeal.reasons", "expected a list of denial reasons");
	p->nappeal_rules = y_seq_len(seq);
	p->appeal_rules = mn_arena_calloc(ARENA, p->nappeal_rules ? p->nappeal_rules : 1, sizeof *p->appeal_rules);
	if (!p->appeal_rules)
		return nomem(L);
	for (size_t i = 0; i < p->nappeal_rules; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		mn_appeal_rule *r = &p->appeal_rules[i];
		set_key(L, "appeal.reasons[%zu]", i);
		if ((rc = y_check_keys(&L->y, n, L->key, rkeys)) != MN_OK)
			return rc;
		r->id = y_req_str(&L->y, n, "id");
		r->title = y_req_str(&L->y, n, "title");
		if (!r->id || !r->title)
			return MN_EPOLICY;
		set_key(L, "appeal.%s", r->id);
		const char **crit, **ans;
		size_t ncrit, nans;
		if ((rc = str_list(L, y_get(&L->y, n, "match"), &r->nmatch, &r->match)) != MN_OK ||
		    (rc = str_list(L, y_get(&L->y, n, "criteria"), &ncrit, &crit)) != MN_OK ||
		    (rc = str_list(L, y_get(&L->y, n, "answers"), &nans, &ans)) != MN_OK)
			return rc;
		yaml_node_t *codes = y_get(&L->y, n, "codes");
		if (codes && (rc = load_codes(L, codes, &r->ncodes, &r->codes, false)) != MN_OK)
			return rc;
		if (!r->nmatch && !r->ncodes)
			return y_fail(&L->y, n, L->key, "a denial reason needs match phrases or codes");
		if (!ncrit && !nans)
			return y_fail(&L->y, n, L->key, "a denial reason needs criteria or answers");
		for (size_t k = 0; k < r->nmatch; k++) {
			char *m = (char *)r->match[k];
			for (; *m; m++)
				if (*m >= 'A' && *m <= 'Z')
					*m = (char)(*m - 'A' + 'a');
		}
		r->ncriteria = ncrit;
		r->criteria = mn_arena_calloc(ARENA, ncrit ? ncrit : 1, sizeof *r->criteria);
		if (!r->criteria)
			return nomem(L);
		for (size_t k = 0; k < ncrit; k++)
			if (!(r->criteria[k] = find_criterion(p, crit[k])))
				return y_fail(&L->y, n, L->key, "no criterion '%s' in this policy", crit[k]);
		r->nanswers = nans;
		r->answers = mn_arena_calloc(ARENA, nans ? nans : 1, sizeof *r->answers);
		if (!r->answers)
			return nomem(L);
		for (size_t k = 0; k < nans; k++)
			if (!(r->answers[k] = find_statement(p, ans[k])))
				return y_fail(&L->y, n, L->key, "no letter statement with id '%s'", ans[k]);
	}
	return MN_OK;
}

static mn_status load_aliases(loader *L, const yaml_node_t *seq)
{
	mn_policy *p = L->p;
	if (!seq)
		return MN_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq, "aliases", "expected a list of ids");
	p->naliases = y_seq_len(seq);
	p->aliases = mn_arena_calloc(ARENA, p->naliases ? p->naliases : 1, sizeof *p->aliases);
	if (!p->aliases)
		return nomem(L);
	for (size_t i = 0; i < p->naliases; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		if (!(p->aliases[i] = y_str(&L->y, n, "aliases")))
			return MN_EPOLICY;
		if (!k_valid_id(p->aliases[i]))
			return y_fail(&L->y, n, "aliases", "an alias must be lowercase letters, digits and '-'");
	}
	return MN_OK;
}

static bool valid_status(const char *s)
{
	return !strcmp(s, "met") || !strcmp(s, "not-met") || !strcmp(s, "not-documented");
}

/* tests: [{case, asOf, expect, criteria: {id: status}}] */
static mn_status load_tests(loader *L, const yaml_node_t *seq)
{
	static const char *const keys[] = {"case", "asOf", "expect", "criteria", "note", NULL};
	mn_policy *p = L->p;
	if (!seq)
		return MN_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return y_fail(&L->y, seq, "tests", "expected a list of example cases");
	p->ntests = y_seq_len(seq);
	p->tests = mn_arena_calloc(ARENA, p->ntests ? p->ntests : 1, sizeof *p->tests);
	if (!p->tests)
		return nomem(L);
	for (size_t i = 0; i < p->ntests; i++) {
		yaml_node_t *n = y_seq_item(&L->y, seq, i);
		mn_policy_test *t = &p->tests[i];
		bool bad = false;
		set_key(L, "tests[%zu]", i);
		mn_status rc = y_check_keys(&L->y, n, L->key, keys);
		if (rc != MN_OK)
			return rc;
		t->case_path = y_req_str(&L->y, n, "case");
		t->as_of = y_req_str(&L->y, n, "asOf");
		t->expect = y_req_str(&L->y, n, "expect");
		t->note = y_opt_str(&L->y, n, "note", &bad);
		if (!t->case_path || !t->as_of || !t->expect || bad)
			return MN_EPOLICY;
		mn_datetime d;
		if (mn_datetime_parse(t->as_of, strlen(t->as_of), MN_DT_DATE, &d, NULL) != MN_OK || d.precision != MN_DT_DAY)
			return y_fail(&L->y, y_get(&L->y, n, "asOf"), L->key, "asOf must be a date YYYY-MM-DD");
		if (!mn_policy_in_force(p, &d))
			return y_fail(&L->y, y_get(&L->y, n, "asOf"), L->key, "asOf %s is outside the policy's effective period "
			              "(%s to %s): the case would test a version not in force", t->as_of, p->effective_start,
			              p->effective_end ? p->effective_end : "open");
		bool ok = false;
		for (const char *const *dn = determinations; *dn; dn++)
			ok |= strcmp(*dn, t->expect) == 0;
		if (!ok)
			return y_fail(&L->y, y_get(&L->y, n, "expect"), L->key, "expect must be a determination name");
		yaml_node_t *crit = y_get(&L->y, n, "criteria");
		if (!crit)
			continue;
		if (crit->type != YAML_MAPPING_NODE)
			return y_fail(&L->y, crit, L->key, "criteria must map criterion ids to statuses");
		t->ncriteria = y_map_len(crit);
		t->criterion_ids = mn_arena_calloc(ARENA, t->ncriteria ? t->ncriteria : 1, sizeof *t->criterion_ids);
		t->statuses = mn_arena_calloc(ARENA, t->ncriteria ? t->ncriteria : 1, sizeof *t->statuses);
		if (!t->criterion_ids || !t->statuses)
			return nomem(L);
		for (size_t j = 0; j < t->ncriteria; j++) {
			yaml_node_pair_t *pair = y_map_pair(crit, j);
			yaml_node_t *kn = y_node(&L->y, pair->key);
			const char *id = y_str(&L->y, kn, L->key);
			const char *st = y_str(&L->y, y_node(&L->y, pair->value), L->key);
			if (!id || !st)
				return MN_EPOLICY;
			bool known = false;
			for (size_t k = 0; k < p->ncriteria; k++)
				known |= strcmp(p->criteria[k].id, id) == 0;
			if (!known)
				return y_fail(&L->y, kn, L->key, "no criterion '%s' in this policy", id);
			if (!valid_status(st))
				return y_fail(&L->y, y_node(&L->y, pair->value), L->key,
				              "status must be met, not-met or not-documented");
			t->criterion_ids[j] = id;
			t->statuses[j] = st;
		}
	}
	return MN_OK;
}

/* effective.start or .end: YYYY, YYYY-MM or YYYY-MM-DD as one day, the
 * first day of the period for a start, the last for an end. */
static mn_status effective_day(loader *L, const yaml_node_t *map, const char *key, bool end, const char **out)
{
	yaml_node_t *v = y_get(&L->y, map, key);
	*out = NULL;
	set_key(L, "effective.%s", key);
	if (!v)
		return end ? MN_OK : y_fail(&L->y, map, L->key, "missing required key 'start' (the first day the policy is in force)");
	const char *s = y_str(&L->y, v, L->key);
	if (!s)
		return MN_EPOLICY;
	mn_datetime d;
	if (mn_datetime_parse(s, strlen(s), MN_DT_DATE, &d, NULL) != MN_OK || d.kind != MN_DT_DATE || d.precision > MN_DT_DAY)
		return y_fail(&L->y, v, L->key, "'%s' is not a date YYYY, YYYY-MM or YYYY-MM-DD", s);
	int month = d.precision >= MN_DT_MONTH ? d.month : end ? 12 : 1;
	int day = d.precision >= MN_DT_DAY ? d.day : end ? mn_days_in_month(d.year, month) : 1;
	char buf[32];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, month, day);
	if (!(*out = mn_arena_strdup(ARENA, buf)))
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	return MN_OK;
}

/* effective: {start, end, note}: the period the policy is in force. */
static mn_status load_effective(loader *L, const yaml_node_t *root)
{
	static const char *const keys[] = {"start", "end", "note", NULL};
	mn_policy *p = L->p;
	yaml_node_t *eff = y_get(&L->y, root, "effective");
	if (!eff)
		return y_fail(&L->y, root, "effective", "missing required key 'effective' ({start, end, note}: the period "
		              "the policy is in force)");
	mn_status rc = y_check_keys(&L->y, eff, "effective", keys);
	bool bad = false;
	if (rc == MN_OK)
		p->effective_note = y_opt_str(&L->y, eff, "note", &bad);
	if (rc == MN_OK && bad)
		rc = MN_EPOLICY;
	if (rc == MN_OK)
		rc = effective_day(L, eff, "start", false, &p->effective_start);
	if (rc == MN_OK)
		rc = effective_day(L, eff, "end", true, &p->effective_end);
	if (rc == MN_OK && p->effective_end && strcmp(p->effective_end, p->effective_start) < 0)
		rc = y_fail(&L->y, y_get(&L->y, eff, "end"), "effective.end", "the period ends (%s) before it starts (%s)",
		            p->effective_end, p->effective_start);
	return rc;
}

static mn_status load_policy(loader *L)
{
	static const char *const keys[] = {"mednec-policy", "id", "title", "version", "effective", "service", "coverage",
	                                   "modeledOn", "sources", "valueSets", "definitions", "criteria",
	                                   "letter", "aliases", "tests", "appeal", "note", NULL};
	static const char *const svc_keys[] = {"display", "kind", "codes", "sharedCodes", "terms", "request", NULL};
	static const char *const mod_keys[] = {"source", "note", NULL};
	mn_policy *p = L->p;
	yaml_node_t *root = y_root(&L->y);
	mn_status rc = y_check_keys(&L->y, root, "", keys);
	if (rc != MN_OK)
		return rc;
	const char *fmt = y_req_str(&L->y, root, "mednec-policy");
	if (!fmt)
		return MN_EPOLICY;
	if (strcmp(fmt, "1") != 0)
		return y_fail(&L->y, y_get(&L->y, root, "mednec-policy"), "mednec-policy", "unsupported format version '%s'", fmt);
	p->id = y_req_str(&L->y, root, "id");
	p->title = y_req_str(&L->y, root, "title");
	p->version = y_req_str(&L->y, root, "version");
	const char *coverage = y_req_str(&L->y, root, "coverage");
	if (!p->id || !p->title || !p->version || !coverage)
		return MN_EPOLICY;
	if (!k_valid_id(p->id))
		return y_fail(&L->y, y_get(&L->y, root, "id"), "id", "policy id must be lowercase letters, digits and '-'");
	if (strcmp(coverage, "covered") && strcmp(coverage, "not-covered"))
		return y_fail(&L->y, y_get(&L->y, root, "coverage"), "coverage", "coverage must be covered or not-covered");
	p->covered = strcmp(coverage, "covered") == 0;
	if ((rc = load_effective(L, root)) != MN_OK)
		return rc;

	/* sources and value sets first: expressions are checked against the value sets */
	if ((rc = load_sources(L, y_get(&L->y, root, "sources"))) != MN_OK ||
	    (rc = load_valuesets(L, y_get(&L->y, root, "valueSets"))) != MN_OK)
		return rc;
	yaml_node_t *svc = y_get(&L->y, root, "service");
	if ((rc = y_check_keys(&L->y, svc, "service", svc_keys)) != MN_OK)
		return rc;
	bool badkind = false;
	p->service_display = y_req_str(&L->y, svc, "display");
	p->service_kind = y_opt_str(&L->y, svc, "kind", &badkind);
	if (!p->service_display || badkind)
		return MN_EPOLICY;
	set_key(L, "service.codes");
	if ((rc = load_codes(L, y_get(&L->y, svc, "codes"), &p->nservice_codes, &p->service_codes, true)) != MN_OK)
		return rc;
	if (y_get(&L->y, svc, "sharedCodes")) {
		set_key(L, "service.sharedCodes");
		if ((rc = load_codes(L, y_get(&L->y, svc, "sharedCodes"), &p->nservice_shared_codes,
		                     &p->service_shared_codes, true)) != MN_OK)
			return rc;
	}
	set_key(L, "service.terms");
	if ((rc = str_list(L, y_get(&L->y, svc, "terms"), &p->nservice_terms, &p->service_terms)) != MN_OK)
		return rc;
	if (p->nservice_shared_codes && !p->nservice_terms)
		return y_fail(&L->y, svc, "service", "sharedCodes need terms: the words that tell this service apart");
	set_key(L, "service");
	if ((rc = compile_key(L, svc, "request", false, &p->request)) != MN_OK)
		return rc;

	yaml_node_t *mod = y_get(&L->y, root, "modeledOn");
	if (!mod || mod->type != YAML_SEQUENCE_NODE || !y_seq_len(mod))
		return y_fail(&L->y, mod ? mod : root, "modeledOn", "say what the policy is modeled on (a non-empty list)");
	p->nmodeled_on = y_seq_len(mod);
	p->modeled_on = mn_arena_calloc(ARENA, p->nmodeled_on, sizeof *p->modeled_on);
	p->modeled_on_notes = mn_arena_calloc(ARENA, p->nmodeled_on, sizeof *p->modeled_on_notes);
	if (!p->modeled_on || !p->modeled_on_notes)
		return nomem(L);
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		yaml_node_t *n = y_seq_item(&L->y, mod, i);
		bool bad = false;
		set_key(L, "modeledOn[%zu]", i);
		if ((rc = y_check_keys(&L->y, n, L->key, mod_keys)) != MN_OK)
			return rc;
		const char *sid = y_req_str(&L->y, n, "source");
		p->modeled_on_notes[i] = y_opt_str(&L->y, n, "note", &bad);
		if (!sid || bad)
			return MN_EPOLICY;
		if (!(p->modeled_on[i] = find_source(p, sid)))
			return y_fail(&L->y, n, L->key, "unknown source '%s'", sid);
	}
	if ((rc = load_definitions(L, y_get(&L->y, root, "definitions"))) != MN_OK ||
	    (rc = load_criteria(L, y_get(&L->y, root, "criteria"))) != MN_OK)
		return rc;
	yaml_node_t *letter = y_get(&L->y, root, "letter");
	if (!letter)
		return y_fail(&L->y, root, "letter", "missing required key 'letter'");
	if ((rc = load_letter(L, letter)) != MN_OK || (rc = load_aliases(L, y_get(&L->y, root, "aliases"))) != MN_OK ||
	    (rc = load_appeal(L, y_get(&L->y, root, "appeal"))) != MN_OK ||
	    (rc = load_tests(L, y_get(&L->y, root, "tests"))) != MN_OK)
		return rc;
	/* $this: a determination binds JSON trees (%scores, the tables) by evaluating it over them */
	mn_error e;
	mn_error_clear(&e);
	mn_fp_expr *self = mn_fp_compile("$this", -1, &e);
	if (!self || track_expr(L, self)) {
		mn_fp_expr_free(self);
		return mn_error_set(L->err, MN_ENOMEM, "out of memory");
	}
	L->p->self_ = self;
	return MN_OK;
}

/* ---- the members of %scores the policy reads ------------------------------ */

static void count_use(void *payload, const char *name, size_t len)
{
	(void)name;
	(void)len;
	(*(size_t *)payload)++;
}

typedef struct score_names {
	mn_policy *p;
	bool oom;
} score_names;

static void note_score(void *payload, const char *name, size_t len)
{
	score_names *S = payload;
	mn_policy *p = S->p;
	for (size_t i = 0; i < p->nscores_read; i++)
		if (strlen(p->scores_read[i]) == len && memcmp(p->scores_read[i], name, len) == 0)
			return;
	const char *copy = mn_arena_strndup(p->arena, name, len);
	if (copy)
		p->scores_read[p->nscores_read++] = copy;
	S->oom |= !copy;
}

/* Over every expression the policy compiled (each is tracked in exprs_): the
 * uses counted first, which bounds the distinct names. */
static mn_status find_scores_read(mn_policy *p, mn_error *err)
{
	size_t uses = 0;
	for (size_t i = 0; i < p->nexprs_; i++)
		if (!mn_fp_expr_var_members(p->exprs_[i], "scores", count_use, &uses))
			p->scores_whole = true;
	if (!uses)
		return MN_OK;
	score_names S = {p, false};
	if (!(p->scores_read = mn_arena_calloc(p->arena, uses, sizeof *p->scores_read)))
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nexprs_; i++)
		mn_fp_expr_var_members(p->exprs_[i], "scores", note_score, &S);
	return S.oom ? mn_error_set(err, MN_ENOMEM, "out of memory") : MN_OK;
}

/* A file named ID@TAG.yaml is version TAG of policy ID: the id must be the
 * policy's. */
static mn_status file_version(mn_policy *p, mn_error *err)
{
	const char *base = strrchr(p->path, '/');
	base = base ? base + 1 : p->path;
	const char *at = strchr(base, '@');
	size_t len = strlen(base);
	if (!at || len < 5 || strcmp(base + len - 5, ".yaml") != 0)
		return MN_OK;
	if ((size_t)(at - base) != strlen(p->id) || strncmp(base, p->id, strlen(p->id)) != 0) {
		mn_error_locate(err, p->path, 0, 0);
		return mn_error_set(err, MN_EPOLICY, "a file named ID@VERSION.yaml must start with the policy's id '%s'",
		                    p->id);
	}
	p->file_version = mn_arena_strndup(p->arena, at + 1, (size_t)(base + len - 5 - at - 1));
	return p->file_version ? MN_OK : mn_error_set(err, MN_ENOMEM, "out of memory");
}

mn_status mn_policy_load_file(const char *path, const mn_library *lib, mn_policy **out, mn_error *err)
{
	*out = NULL;
	loader L;
	memset(&L, 0, sizeof L);
	L.lib = lib;
	L.err = err;
	L.p = calloc(1, sizeof *L.p);
	if (!L.p || !(L.p->arena = mn_arena_new())) {
		free(L.p);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	L.p->path = mn_arena_strdup(L.p->arena, path);
	L.p->library = lib;
	mn_status rc = L.p->path ? y_load(&L.y, path, L.p->arena, err) : nomem(&L);
	if (rc == MN_OK)
		rc = load_policy(&L);
	y_free(&L.y);
	if (rc == MN_OK)
		rc = file_version(L.p, err);
	if (rc == MN_OK)
		rc = find_scores_read(L.p, err);
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(L.p->arena, path, rc, err);
	if (rc != MN_OK) {
		if (err && !err->source[0])
			mn_error_locate(err, path, 0, 0);
		mn_policy_free(L.p);
		return rc;
	}
	*out = L.p;
	return MN_OK;
}

/* The policy in policies_dir that lists id among its aliases. */
static mn_status load_alias(const char *policies_dir, const char *id, const mn_library *lib, mn_policy **out,
                            mn_error *err)
{
	mn_arena *a = mn_arena_new();
	const char **ids;
	mn_error e;
	mn_error_clear(&e);
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	if (mn_policy_list(policies_dir, a, &ids, &e) == MN_OK) {
		for (size_t i = 0; ids[i]; i++) {
			char path[4096];
			mn_policy *p;
			snprintf(path, sizeof path, "%s/%s.yaml", policies_dir, ids[i]);
			if (mn_policy_load_file(path, lib, &p, &e) != MN_OK) {
				if (e.code == MN_ENOMEM)
					break;  /* not "no such policy": the search could not be made */
				continue;
			}
			for (size_t k = 0; k < p->naliases; k++) {
				if (strcmp(p->aliases[k], id) == 0) {
					*out = p;
					mn_arena_free(a);
					return MN_OK;
				}
			}
			mn_policy_free(p);
		}
	}
	mn_arena_free(a);
	if (e.code == MN_ENOMEM)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	return mn_error_set(err, MN_ENOTFOUND, "no policy '%s' in %s (mednec policies lists them)", id, policies_dir);
}

mn_status mn_policy_load(const char *policies_dir, const char *id, const mn_library *lib, mn_policy **out,
                         mn_error *err)
{
	*out = NULL;
	const char *at = strchr(id, '@');
	size_t idlen = at ? (size_t)(at - id) : strlen(id);
	if (!k_valid_stem(id))
		return mn_error_set(err, MN_ENOTFOUND, "no policy '%s' (ids are lowercase letters, digits and '-'; "
		                    "a version file ID@VERSION)", id);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.yaml", policies_dir, id);
	FILE *f = fopen(path, "rb");
	if (!f && at)
		return mn_error_set(err, MN_ENOTFOUND, "no policy file %s", path);
	if (!f)
		return load_alias(policies_dir, id, lib, out, err);
	fclose(f);
	mn_status rc = mn_policy_load_file(path, lib, out, err);
	if (rc == MN_OK && (strlen((*out)->id) != idlen || strncmp((*out)->id, id, idlen) != 0)) {
		mn_error_locate(err, path, 0, 0);
		rc = mn_error_set(err, MN_EPOLICY, "file declares id '%s', expected '%.*s'", (*out)->id, (int)idlen, id);
		mn_policy_free(*out);
		*out = NULL;
	}
	return rc;
}

void mn_policy_free(mn_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nexprs_; i++)
		mn_fp_expr_free(p->exprs_[i]);
	free(p->exprs_);
	mn_arena_free(p->arena);
	free(p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mn_status mn_policy_list(const char *policies_dir, mn_arena *arena, const char ***ids, mn_error *err)
{
	DIR *d = opendir(policies_dir);
	if (!d) {
		mn_error_locate(err, policies_dir, 0, 0);
		return mn_error_set(err, MN_EIO, "cannot open policies directory");
	}
	size_t n = 0, cap = 16;
	const char **list = mn_arena_calloc(arena, cap + 1, sizeof *list);
	struct dirent *e;
	while (list && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0 || e->d_name[0] == '.')
			continue;
		if (n == cap) {
			const char **nl = mn_arena_calloc(arena, cap * 2 + 1, sizeof *nl);
			if (nl)
				memcpy(nl, list, n * sizeof *nl);
			list = nl;
			cap *= 2;
			if (!list)
				break;
		}
		if (!(list[n++] = mn_arena_strndup(arena, e->d_name, len - 5))) {
			list = NULL;
			break;
		}
	}
	closedir(d);
	if (!list)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	qsort(list, n, sizeof *list, cmp_str);
	list[n] = NULL;
	*ids = list;
	return MN_OK;
}

/* The value set named name that memberOf() finds (the policy's own and the shared ones), or NULL. One
 * expression asks for the same names, set by set, resource after resource, each name at one address (its
 * compiled literal): this thread's last finds are kept by (policy, name's address), 16 of them, and one is
 * taken only when the set at its position in p has that name (so an address or a policy reused for other
 * names is never a wrong find). Otherwise a binary search. */
static const mn_valueset *member_set(const mn_policy *p, const char *name)
{
	static _Thread_local struct {
		const mn_policy *p;
		const char *name;
		size_t at;
	} seen[16];
	size_t h = ((uintptr_t)name >> 3 ^ (uintptr_t)name >> 7) & 15;
	if (seen[h].name == name && seen[h].p == p && seen[h].at < p->nvsindex_ &&
	    strcmp(p->vsindex_[seen[h].at]->name, name) == 0)
		return p->vsindex_[seen[h].at];
	size_t lo = 0, hi = p->nvsindex_;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->vsindex_[mid]->name, name);
		if (c == 0) {
			seen[h].p = p;
			seen[h].name = name;
			seen[h].at = mid;
			return p->vsindex_[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int mn_policy_member_of(void *payload, const char *valueset, const char *system, const char *code)
{
	const mn_valueset *vs = member_set(payload, valueset);
	return vs ? mn_valueset_contains(vs, system, code) : -1;
}

static const char *exact_code(const void *list, size_t i)
{
	return ((const mn_vs_entry *const *)list)[i]->code;
}

/* The codes of a value set for mn_fp_env_set_terminology_codes (payload = policy): a set without prefix or
 * range entries has as members only codes equal to one of its exact entries' (mn_valueset_contains:
 * included by an exact entry and not excluded). */
int mn_policy_codes_of(void *payload, const char *valueset, mn_fp_codes *out)
{
	const mn_valueset *vs = member_set(payload, valueset);
	if (!vs)
		return -1;
	if (vs->inc_.nother)
		return 0;
	out->n = vs->inc_.nexact;
	out->list = vs->inc_.exact;
	out->code = exact_code;
	return 1;
}
