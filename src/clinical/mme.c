/*
 * mme.c: morphine milligram equivalents per day with a factor table loaded
 * from data (knowledge/mme-cdc-2022.yaml, facts.md §4).
 *
 * MME/day = mg/day x factor, except transdermal fentanyl: mcg/hr x factor.
 * A drug that is not in the table, or listed without a factor
 * (buprenorphine), is reported with its status; it is never given a factor.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clinical_int.h"

#define MME_MAX_AMOUNT 1e7   /* a numeric sanity bound, not a clinical limit */

const char *mn_mme_status_name(mn_mme_status s)
{
	switch (s) {
	case MN_MME_COMPUTED: return "computed";
	case MN_MME_NO_FACTOR: return "no-factor";
	case MN_MME_UNKNOWN_DRUG: return "not-in-table";
	case MN_MME_WRONG_BASIS: return "wrong-unit";
	case MN_MME_DOSE_NOT_STRUCTURED: return "dose-not-structured";
	case MN_MME_PERIOD_UNKNOWN: return "period-unknown";
	case MN_MME_POSSIBLE_DUPLICATE: return "possible-duplicate";
	}
	return "";
}

mn_status mn_clin_y_number(ydoc *y, const yaml_node_t *map, const char *key, const char *path, double *out)
{
	yaml_node_t *n = y_get(y, map, key);
	if (!n)
		return y_fail(y, map, path, "missing '%s'", key);
	const char *s = y_str(y, n, path);
	if (!s)
		return MN_EPOLICY;
	char *end = NULL;
	errno = 0;
	double v = mn_strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		return y_fail(y, n, path, "'%s' is not a number", s);
	*out = v;
	return MN_OK;
}

void mn_mme_table_free(mn_mme_table *t)
{
	if (t)
		mn_arena_free(t->arena);
}

static mn_status load_factor(ydoc *y, const yaml_node_t *m, size_t i, mn_mme_factor *f)
{
	static const char *const keys[] = {"drug", "display", "rxnorm", "factor", "basis", "note", NULL};
	char path[64];
	snprintf(path, sizeof path, "factors.%zu", i);
	if (y_check_keys(y, m, path, keys) != MN_OK)
		return MN_EPOLICY;
	bool failed = false;
	if (!(f->drug = y_req_str(y, m, "drug")) || !(f->display = y_req_str(y, m, "display")))
		return MN_EPOLICY;
	f->rxnorm = y_opt_str(y, m, "rxnorm", &failed);
	f->note = y_opt_str(y, m, "note", &failed);
	if (failed)
		return MN_EPOLICY;
	yaml_node_t *fn = y_get(y, m, "factor");
	if (!fn)
		return y_fail(y, m, path, "missing 'factor' (a number, or 'none' for a drug listed without one)");
	const char *fs = y_str(y, fn, path);
	if (!fs)
		return MN_EPOLICY;
	if (strcmp(fs, "none") == 0) {
		f->has_factor = false;
		if (!f->note)
			return y_fail(y, m, path, "a drug without a factor needs a 'note' saying why");
		if (y_get(y, m, "basis"))
			return y_fail(y, m, path, "'basis' given for a drug without a factor");
		return MN_OK;
	}
	snprintf(path, sizeof path, "factors.%zu.factor", i);
	if (mn_clin_y_number(y, m, "factor", path, &f->factor) != MN_OK)
		return MN_EPOLICY;
	if (f->factor <= 0 || f->factor > 1000)
		return y_fail(y, fn, path, "factor %g out of range", f->factor);
	f->has_factor = true;
	const char *basis = y_req_str(y, m, "basis");
	if (!basis)
		return MN_EPOLICY;
	snprintf(path, sizeof path, "factors.%zu.basis", i);
	if (strcmp(basis, "mg/day") == 0)
		f->basis = MN_MME_MG_PER_DAY;
	else if (strcmp(basis, "mcg/hr") == 0)
		f->basis = MN_MME_MCG_PER_HOUR;
	else
		return y_fail(y, y_get(y, m, "basis"), path, "basis '%s' is not mg/day or mcg/hr", basis);
	return MN_OK;
}

static mn_status load_product(ydoc *y, const yaml_node_t *m, size_t i, mn_mme_table *t, mn_mme_product *p)
{
	static const char *const keys[] = {"system", "code", "display", "drug", "strength", "unit", "dose-form",
	                                   "combination", NULL};
	char path[64];
	snprintf(path, sizeof path, "products.%zu", i);
	if (y_check_keys(y, m, path, keys) != MN_OK)
		return MN_EPOLICY;
	bool failed = false;
	if (!(p->system = y_req_str(y, m, "system")) || !(p->code = y_req_str(y, m, "code")) ||
	    !(p->display = y_req_str(y, m, "display")) || !(p->drug = y_req_str(y, m, "drug")) ||
	    !(p->unit = y_req_str(y, m, "unit")) || !(p->dose_form = y_req_str(y, m, "dose-form")))
		return MN_EPOLICY;
	const char *comb = y_opt_str(y, m, "combination", &failed);
	if (failed)
		return MN_EPOLICY;
	if (comb && strcmp(comb, "true") != 0 && strcmp(comb, "false") != 0)
		return y_fail(y, y_get(y, m, "combination"), path, "combination must be true or false");
	p->combination = comb && strcmp(comb, "true") == 0;
	snprintf(path, sizeof path, "products.%zu.strength", i);
	if (mn_clin_y_number(y, m, "strength", path, &p->strength) != MN_OK)
		return MN_EPOLICY;
	if (p->strength <= 0 || p->strength > MME_MAX_AMOUNT)
		return y_fail(y, y_get(y, m, "strength"), path, "strength %g out of range", p->strength);
	const mn_mme_factor *f = mn_mme_factor_find(t, p->drug);
	snprintf(path, sizeof path, "products.%zu.drug", i);
	if (!f)
		return y_fail(y, y_get(y, m, "drug"), path, "drug '%s' is not in factors", p->drug);
	snprintf(path, sizeof path, "products.%zu.unit", i);
	const char *want = f->has_factor && f->basis == MN_MME_MCG_PER_HOUR ? "ug/h" : "mg";
	if (strcmp(p->unit, want) != 0)
		return y_fail(y, y_get(y, m, "unit"), path, "unit '%s': %s strengths are in %s", p->unit, p->drug, want);
	return MN_OK;
}

mn_status mn_mme_table_load(const char *path, mn_mme_table **out, mn_error *err)
{
	*out = NULL;
	mn_arena *a = mn_arena_new();
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_mme_table *t = mn_arena_calloc(a, 1, sizeof *t);
	ydoc y;
	mn_status rc = y_load(&y, path, a, err);
	if (rc != MN_OK)
		goto fail;
	if (!t) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto fail;
	}
	t->arena = a;
	static const char *const keys[] = {"id", "title", "citation", "url", "verification", "checked", "factors",
	                                   "products", NULL};
	yaml_node_t *root = y_root(&y);
	rc = MN_EPOLICY;
	if (y_check_keys(&y, root, "", keys) != MN_OK || !(t->id = y_req_str(&y, root, "id")) ||
	    !(t->title = y_req_str(&y, root, "title")) || !(t->citation = y_req_str(&y, root, "citation")) ||
	    !(t->url = y_req_str(&y, root, "url")) || !(t->verification = y_req_str(&y, root, "verification")) ||
	    !(t->checked = y_req_str(&y, root, "checked")))
		goto fail;
	if (strcmp(t->verification, "confirmed") != 0) {
		y_fail(&y, y_get(&y, root, "verification"), "verification",
		       "a factor table must be confirmed against its source, not '%s'", t->verification);
		goto fail;
	}
	yaml_node_t *fs = y_get(&y, root, "factors"), *ps = y_get(&y, root, "products");
	if (!fs || fs->type != YAML_SEQUENCE_NODE || !y_seq_len(fs)) {
		y_fail(&y, fs ? fs : root, "factors", "'factors' must be a non-empty list");
		goto fail;
	}
	if (ps && ps->type != YAML_SEQUENCE_NODE) {
		y_fail(&y, ps, "products", "'products' must be a list");
		goto fail;
	}
	t->nfactors = y_seq_len(fs);
	t->nproducts = ps ? y_seq_len(ps) : 0;
	t->factors = mn_arena_calloc(a, t->nfactors, sizeof *t->factors);
	t->products = mn_arena_calloc(a, t->nproducts ? t->nproducts : 1, sizeof *t->products);
	if (!t->factors || !t->products) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < t->nfactors; i++) {
		yaml_node_t *m = y_seq_item(&y, fs, i);
		if (load_factor(&y, m, i, &t->factors[i]) != MN_OK)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->factors[j].drug, t->factors[i].drug) == 0) {
				y_fail(&y, m, "factors", "drug '%s' listed twice", t->factors[i].drug);
				goto fail;
			}
	}
	for (size_t i = 0; i < t->nproducts; i++) {
		yaml_node_t *m = y_seq_item(&y, ps, i);
		if (load_product(&y, m, i, t, &t->products[i]) != MN_OK)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->products[j].system, t->products[i].system) == 0 &&
			    strcmp(t->products[j].code, t->products[i].code) == 0) {
				y_fail(&y, m, "products", "product %s listed twice", t->products[i].code);
				goto fail;
			}
	}
	rc = MN_OK;
fail:
	y_free(&y);
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(a, path, rc, err);
	if (rc != MN_OK) {
		mn_arena_free(a);
		return rc;
	}
	*out = t;
	return MN_OK;
}

const mn_mme_factor *mn_mme_factor_find(const mn_mme_table *t, const char *drug)
{
	for (size_t i = 0; t && drug && i < t->nfactors; i++)
		if (t->factors[i].drug && strcmp(t->factors[i].drug, drug) == 0)
			return &t->factors[i];
	return NULL;
}

const mn_mme_product *mn_mme_product_find(const mn_mme_table *t, const char *system, const char *code)
{
	for (size_t i = 0; t && system && code && i < t->nproducts; i++)
		if (strcmp(t->products[i].system, system) == 0 && strcmp(t->products[i].code, code) == 0)
			return &t->products[i];
	return NULL;
}

static bool amount_ok(double v)
{
	return isfinite(v) && v >= 0 && v <= MME_MAX_AMOUNT;
}

mn_status mn_mme_daily(double dose, double per_day, double *out, mn_error *err)
{
	if (!out)
		return mn_error_set(err, MN_EUSAGE, "mme: no result");
	if (!amount_ok(dose) || !amount_ok(per_day))
		return mn_error_set(err, MN_EUSAGE, "mme: dose %g or doses per day %g out of range", dose, per_day);
	double v = dose * per_day;
	if (!amount_ok(v))
		return mn_error_set(err, MN_EUSAGE, "mme: daily amount %g out of range", v);
	*out = v;
	return MN_OK;
}

mn_status mn_mme_drug(const mn_mme_table *t, const char *drug, double amount, mn_mme_basis basis,
                      mn_mme_item *out, mn_error *err)
{
	if (!t || !drug || !out)
		return mn_error_set(err, MN_EUSAGE, "mme: no table, drug or result");
	if (basis != MN_MME_MG_PER_DAY && basis != MN_MME_MCG_PER_HOUR)
		return mn_error_set(err, MN_EUSAGE, "mme: unknown dose basis");
	if (!amount_ok(amount))
		return mn_error_set(err, MN_EUSAGE, "mme: amount %g of %s out of range", amount, drug);
	memset(out, 0, sizeof *out);
	out->drug = drug;
	out->amount = amount;
	out->basis = basis;
	const mn_mme_factor *f = mn_mme_factor_find(t, drug);
	if (!f) {
		out->status = MN_MME_UNKNOWN_DRUG;
		out->reason = "not in the factor table: no factor is guessed";
	} else if (!f->has_factor) {
		out->status = MN_MME_NO_FACTOR;
		out->reason = f->note;
	} else if (f->basis != basis) {
		out->status = MN_MME_WRONG_BASIS;
		out->reason = f->basis == MN_MME_MCG_PER_HOUR ? "the factor is per mcg/hr, the dose is in mg/day"
		                                              : "the factor is per mg/day, the dose is in mcg/hr";
	} else {
		out->status = MN_MME_COMPUTED;
		out->factor = f->factor;
		out->mme_per_day = amount * f->factor;
	}
	return MN_OK;
}

double mn_mme_total(const mn_mme_item *items, size_t n, bool *complete)
{
	double total = 0;
	bool all = true;
	for (size_t i = 0; i < n; i++) {
		if (items[i].status == MN_MME_COMPUTED)
			total += items[i].mme_per_day;
		else
			all = false;
	}
	if (complete)
		*complete = all;
	return total;
}
