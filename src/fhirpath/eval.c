/*
 * eval.c: the evaluator, typed navigation of FHIR JSON, the environment and
 * the public evaluation and result API.
 *
 * Evaluation walks the AST; every node turns the current scope ($this,
 * $index, $total) into an output collection allocated in the caller's arena.
 * Navigation reads the JSON tree directly, typed by the FHIR model (fhir.h):
 * a member's element gives its type, choice elements match their suffixed
 * JSON names (value -> valueQuantity, typed Quantity), resources get their
 * type from resourceType, and primitives become System values (date ->
 * Date, code -> String, ...) that keep their node, their "_name" extension
 * sibling and their resource for provenance. Asking a typed node for an
 * element its type does not have is a semantic error (so that a misspelt
 * path in a policy is reported, not silently empty).
 *
 * Errors carry the column of the AST node that failed. Recursion depth,
 * collection sizes, the work of one evaluation (FP_WORK_BUDGET) and its
 * memory (FP_MEMORY_BUDGET) are capped (MN_ELIMIT). Collections may share
 * storage (a literal, a slice of another collection) as long as nothing
 * writes into it: cap == n makes the next push copy. The final result is
 * copied into the caller's arena so that it outlives the expression.
 */
#include "fhirpath/fhirpath_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mn_status fp_parse_datetime(const char *s, size_t n, int want, mn_datetime *out);
size_t fp_format_datetime(const mn_datetime *d, char *o, size_t sz);

/* ---- collections and errors --------------------------------------------- */

/* Record the first error (x->err is never NULL: run() supplies one) and
 * return -1, which every caller passes up. */
int fp_fail(fp_ctx *x, mn_status code, const fp_node *at, const char *fmt, ...)
{
	if (x->err->code == MN_OK) {
		va_list ap;
		va_start(ap, fmt);
		mn_error_setv(x->err, code, fmt, ap);
		va_end(ap);
		mn_error_locate(x->err, NULL, 1, at ? at->pos : 0);
		if (x->err->code == MN_OK)
			x->err->code = code;
	}
	return -1;
}

static int nomem(fp_ctx *x)
{
	return fp_fail(x, MN_ENOMEM, NULL, "out of memory");
}

int fp_check_memory(fp_ctx *x, const fp_node *at)
{
	if (mn_arena_used(x->a) - x->mem0 > FP_MEMORY_BUDGET)
		return fp_fail(x, MN_ELIMIT, at, "evaluation needs more than %zu MB",
		               FP_MEMORY_BUDGET >> 20);
	return 0;
}

int fp_push(fp_ctx *x, fp_coll *c, const mn_fp_item *it)
{
	if (c->n >= MN_FP_MAX_ITEMS)
		return fp_fail(x, MN_ELIMIT, NULL, "more than %d items in a collection", MN_FP_MAX_ITEMS);
	if (++x->work > FP_WORK_BUDGET)
		return fp_fail(x, MN_ELIMIT, NULL, "evaluation takes more than %llu steps",
		               (unsigned long long)FP_WORK_BUDGET);
	if (c->n == c->cap) {
		/* most collections hold one item: start with one, then double */
		uint32_t cap = c->cap ? c->cap * 2 : 1;
		if (cap > MN_FP_MAX_ITEMS)
			cap = MN_FP_MAX_ITEMS;
		if (cap >= 1024 && fp_check_memory(x, NULL))
			return -1;
		mn_fp_item *v = mn_arena_alloc(x->a, cap * sizeof *v);
		if (!v)
			return nomem(x);
		if (c->n)
			memcpy(v, c->v, c->n * sizeof *v);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *it;
	return 0;
}

/* Room for `more` items after c's: one allocation instead of doubling
 * (the pushes still count against the limits). A few more items for a
 * collection that has storage are left to doubling; an empty one gets
 * exactly what it needs. */
static int reserve_grow(fp_ctx *x, fp_coll *c, uint32_t more) __attribute__((noinline));
static inline int reserve(fp_ctx *x, fp_coll *c, uint32_t more)
{
	if (c->cap - c->n >= more || (more <= 4 && c->cap))
		return 0;
	return reserve_grow(x, c, more);
}

static int reserve_grow(fp_ctx *x, fp_coll *c, uint32_t more)
{
	uint64_t want = (uint64_t)c->n + more;
	if (want > MN_FP_MAX_ITEMS)
		return 0;  /* fp_push reports it */
	if (want >= 1024 && fp_check_memory(x, NULL))
		return -1;
	mn_fp_item *v = mn_arena_alloc(x->a, (size_t)want * sizeof *v);
	if (!v)
		return nomem(x);
	if (c->n)
		memcpy(v, c->v, c->n * sizeof *v);
	c->v = v;
	c->cap = (uint32_t)want;
	return 0;
}

/* fp_push when c has room and the work budget one more step: the same
 * checks, counting and result, inlined where items are made. */
static inline int push_item(fp_ctx *x, fp_coll *c, const mn_fp_item *it)
{
	if (c->n < c->cap && c->n < MN_FP_MAX_ITEMS && x->work < FP_WORK_BUDGET) {
		x->work++;
		c->v[c->n++] = *it;
		return 0;
	}
	return fp_push(x, c, it);
}

int fp_push_shared(fp_ctx *x, fp_coll *c, const mn_fp_item *it)
{
	if (c->n == 0) {
		/* share: cap == n makes the next push copy, nothing writes in place */
		c->v = (mn_fp_item *)it;
		c->n = c->cap = 1;
		return 0;
	}
	return fp_push(x, c, it);
}

static const mn_fp_item FP_TRUE = {.kind = MN_FP_BOOLEAN, .v.b = true};
static const mn_fp_item FP_FALSE = {.kind = MN_FP_BOOLEAN, .v.b = false};

int fp_push_bool(fp_ctx *x, fp_coll *c, bool b)
{
	return fp_push_shared(x, c, b ? &FP_TRUE : &FP_FALSE);
}

int fp_append(fp_ctx *x, fp_coll *c, const fp_coll *more)
{
	x->work += more->n / 8;
	if (c->n == 0 && more->n) {
		*c = *more;
		c->cap = c->n;  /* shared storage: the next push copies */
		return 0;
	}
	for (uint32_t i = 0; i < more->n; i++)
		if (fp_push(x, c, &more->v[i]))
			return -1;
	return 0;
}

int fp_truth(fp_ctx *x, const fp_node *at, const fp_coll *c)
{
	if (c->n == 0)
		return -1;
	if (c->n > 1) {
		fp_fail(x, MN_EEVAL, at, "expected a single boolean, got %u items", c->n);
		return -2;
	}
	if (c->v[0].kind == MN_FP_BOOLEAN)
		return c->v[0].v.b;
	return 1;  /* a single non-boolean item counts as true */
}

int fp_singleton(fp_ctx *x, const fp_node *at, const fp_coll *c, const mn_fp_item **out)
{
	*out = NULL;
	if (c->n > 1)
		return fp_fail(x, MN_EEVAL, at, "expected a single item, got %u", c->n);
	if (c->n == 1 && !(c->v[0].flags & FPI_NOVALUE))
		*out = &c->v[0];
	return 0;
}

/* ---- typed navigation --------------------------------------------------- */

/* The type named by a resourceType; the last answer is kept per thread
 * (evaluations over one resource type ask for the same name again and
 * again), checked by the name itself so it can never be stale. */
static const mn_fhir_type *resource_type(const char *name, size_t n)
{
	static _Thread_local const mn_fhir_type *last;
	static _Thread_local size_t last_len;
	if (last && last_len == n && fp_same_bytes(last->name, name, n))
		return last;
	const mn_fhir_type *t = mn_fhir_type_find(name, n);
	if (t) {
		last = t;
		last_len = strlen(t->name);
	}
	return t;
}

const mn_fhir_type *fp_node_type(const mn_json *node, const mn_fhir_type *declared)
{
	if (node && node->type == MN_JSON_OBJECT) {
		/* resourceType is nearly always the first member */
		const mn_json *rt = node->n && node->u.members[0].key_len == 12 &&
		                            memcmp(node->u.members[0].key, "resourceType", 12) == 0
		                        ? &node->u.members[0].value
		                        : mn_json_get(node, "resourceType");
		if (rt && rt->type == MN_JSON_STRING) {
			const mn_fhir_type *t = resource_type(rt->u.s, rt->n);
			if (t)
				return t;
		}
	}
	return declared;
}

static mn_fp_kind system_kind(const char *sys)
{
	if (!sys)
		return 0;
	switch (sys[0]) {
	case 'B': return MN_FP_BOOLEAN;
	case 'I': return MN_FP_INTEGER;
	case 'S': return MN_FP_STRING;
	case 'T': return MN_FP_TIME;
	case 'Q': return MN_FP_QUANTITY;
	case 'D':
		/* "Date", "Decimal" or else DateTime, as strcmp would tell them */
		if (sys[1] == 'a' && sys[2] == 't' && sys[3] == 'e' && sys[4] == '\0')
			return MN_FP_DATE;
		if (sys[1] == 'e' && strcmp(sys, "Decimal") == 0)
			return MN_FP_DECIMAL;
		return MN_FP_DATETIME;
	default: return 0;
	}
}

/* An item for JSON value v (an object, a primitive, or null when only the
 * extension sibling exists). */
static int make_item(fp_ctx *x, const mn_json *v, const mn_json *ext, const mn_fhir_type *type,
                     const mn_resource *res, fp_coll *out)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_NODE);
	it.ext = ext && ext->type == MN_JSON_OBJECT ? ext : NULL;
	it.res = res;
	it.node = v;
	if (x->nav_static)
		it.flags |= FPI_STATIC;
	if (!v || v->type == MN_JSON_NULL) {
		if (!it.ext)
			return 0;
		mn_fp_kind k = type ? system_kind(type->system_type) : 0;
		it.kind = (uint8_t)(k ? k : MN_FP_STRING);
		it.flags |= FPI_NOVALUE;
		it.ftype = type;
		it.node = NULL;
		return push_item(x, out, &it);
	}
	if (v->type == MN_JSON_OBJECT) {
		/* only Resource-typed (or untyped) elements can hold a resource;
		 * without a model (x->plain, where type is always NULL) none is typed */
		const mn_resource *r = NULL;
		if (type && type->kind != MN_FHIR_RESOURCE) {
			it.ftype = type;
		} else if (x->plain) {
			it.ftype = NULL;
		} else {
			/* a resource of the case: its type was resolved at load */
			r = x->kase ? mn_case_find_json(x->kase, v) : NULL;
			it.ftype = r && r->type ? r->type : fp_node_type(v, type);
		}
		if (it.ftype != type)
			it.flags &= (uint8_t)~FPI_STATIC;  /* the type came from the data (resourceType) */
		if (it.ftype != type && r)
			it.res = r;
		it.ext = NULL;
		return push_item(x, out, &it);
	}
	if (v->type == MN_JSON_ARRAY)
		return 0;
	it.ftype = type && type->kind == MN_FHIR_PRIMITIVE ? type : NULL;
	mn_fp_kind k = it.ftype ? system_kind(type->system_type) : 0;
	switch (v->type) {
	case MN_JSON_TRUE:
	case MN_JSON_FALSE:
		it.kind = MN_FP_BOOLEAN;
		it.v.b = v->type == MN_JSON_TRUE;
		if (k && k != MN_FP_BOOLEAN)
			it.ftype = NULL;
		break;
	case MN_JSON_NUMBER: {
		double d;
		int scale;
		bool is_int;
		int64_t iv = 0;
		if (!fp_parse_decimal(v->u.s, v->n, &d, &scale, &is_int, &iv)) {
			/* exponent forms: let strtod read them */
			char buf[64];
			size_t n = v->n < 63 ? v->n : 63;
			memcpy(buf, v->u.s, n);
			buf[n] = 0;
			d = mn_strtod(buf, NULL);
			scale = fp_decimal_scale(v->u.s, v->n);
			is_int = false;
		}
		if ((k == MN_FP_INTEGER || (!k && is_int)) && is_int) {
			it.kind = MN_FP_INTEGER;
			it.v.i = iv;
		} else {
			it.kind = MN_FP_DECIMAL;
			it.v.d = d;
			it.scale = (int8_t)scale;
			if (k && k != MN_FP_DECIMAL)
				it.ftype = NULL;
		}
		break;
	}
	case MN_JSON_STRING:
		if (k == MN_FP_DATE || k == MN_FP_DATETIME || k == MN_FP_TIME) {
			mn_datetime dt;
			int want = k == MN_FP_DATE ? MN_DT_DATE : k == MN_FP_TIME ? MN_DT_TIME : MN_DT_DATETIME;
			if (fp_parse_datetime(v->u.s, v->n, want, &dt) == MN_OK) {
				it.kind = (uint8_t)k;
				it.v.dt = dt;
				break;
			}
		}
		it.kind = MN_FP_STRING;
		it.v.str.s = v->u.s;
		it.v.str.n = v->n;
		if (k && k != MN_FP_STRING)
			it.ftype = NULL;
		break;
	default:
		return 0;
	}
	return push_item(x, out, &it);
}

/* Model none: the items of array v, nested arrays flattened (make_item
 * itself never recurses, so that it stays inlinable in typed navigation). */
static int plain_array(fp_ctx *x, const mn_json *v, const mn_resource *res, fp_coll *out)
{
	if (++x->depth > MN_JSON_MAX_DEPTH) {
		x->depth--;
		return fp_fail(x, MN_ELIMIT, NULL, "arrays nested deeper than %d", MN_JSON_MAX_DEPTH);
	}
	int rc = 0;
	for (uint32_t i = 0; i < v->n && rc == 0; i++) {
		const mn_json *e = &v->u.items[i];
		rc = e->type == MN_JSON_ARRAY ? plain_array(x, e, res, out) : make_item(x, e, NULL, NULL, res, out);
	}
	x->depth--;
	return rc;
}

/* Model none: the items of JSON value v (an array flattened). */
static int plain_value(fp_ctx *x, const mn_json *v, const mn_resource *res, fp_coll *out)
{
	return v->type == MN_JSON_ARRAY ? plain_array(x, v, res, out) : make_item(x, v, NULL, NULL, res, out);
}

/* add_member's common case: the items of array v, of a typed element with no
 * extension sibling, when out has room for them all and no limit is near.
 * The strings of a String primitive (given, line) and the objects of a
 * complex type (name, coding) are written in place, what make_item and
 * push_item would write, with the same work counted; any other value goes
 * through make_item. */
static int add_array_typed(fp_ctx *x, const mn_json *v, const mn_fhir_type *type, const mn_resource *res,
                           fp_coll *out)
{
	bool string = type->kind == MN_FHIR_PRIMITIVE && system_kind(type->system_type) == MN_FP_STRING;
	bool object = type->kind != MN_FHIR_RESOURCE;
	uint8_t flags = x->nav_static ? FPI_STATIC : 0;
	for (uint32_t i = 0; i < v->n; i++) {
		const mn_json *e = &v->u.items[i];
		mn_fp_item *it = &out->v[out->n];
		if (string && e->type == MN_JSON_STRING) {
			fp_item_init(it, MN_FP_STRING);
			it->v.str.s = e->u.s;
			it->v.str.n = e->n;
		} else if (object && e->type == MN_JSON_OBJECT) {
			fp_item_init(it, MN_FP_NODE);
		} else {
			if (make_item(x, e, NULL, type, res, out))
				return -1;
			continue;
		}
		it->flags = flags;
		it->ftype = type;
		it->node = e;
		it->res = res;
		out->n++;
		x->work++;
	}
	return 0;
}

/* Items of member value v (an array or a single value) with sibling ext. */
static int add_member(fp_ctx *x, const mn_json *v, const mn_json *ext, const mn_fhir_type *type,
                      const mn_resource *res, fp_coll *out)
{
	if (v && v->type == MN_JSON_ARRAY) {
		if (reserve(x, out, v->n))
			return -1;
		if (!ext && type && v->n && (uint64_t)out->n + v->n <= MN_FP_MAX_ITEMS &&
		    x->work + v->n <= FP_WORK_BUDGET) {
			/* room for them all, doubling at least (appending many short arrays) */
			if (out->cap - out->n < v->n && reserve_grow(x, out, v->n > out->cap ? v->n : out->cap))
				return -1;
			if (out->cap - out->n >= v->n)
				return add_array_typed(x, v, type, res, out);
		}
		for (uint32_t i = 0; i < v->n; i++) {
			const mn_json *e = ext && ext->type == MN_JSON_ARRAY && i < ext->n ? &ext->u.items[i] : NULL;
			if (make_item(x, &v->u.items[i], e, type, res, out))
				return -1;
		}
		return 0;
	}
	if (!v && ext && ext->type == MN_JSON_ARRAY) {
		for (uint32_t i = 0; i < ext->n; i++)
			if (make_item(x, NULL, &ext->u.items[i], type, res, out))
				return -1;
		return 0;
	}
	return make_item(x, v, ext, type, res, out);
}

/* Whether obj has any "_name" member (primitive extensions are rare, so
 * most objects skip the sibling lookups). */
static bool has_underscore(const mn_json *obj)
{
	if (obj->flags & MN_JSON_F_KNOWN)
		return (obj->flags & MN_JSON_F_UNDERSCORE) != 0;
	for (uint32_t i = 0; i < obj->n; i++)
		if (obj->u.members[i].key_len && obj->u.members[i].key[0] == '_')
			return true;
	return false;
}

static const mn_json *sibling(const mn_json *obj, const char *key, size_t len)
{
	char buf[128];
	if (len + 1 >= sizeof buf)
		return NULL;
	buf[0] = '_';
	memcpy(buf + 1, key, len);
	return mn_json_getn(obj, buf, len + 1);
}

static const mn_fhir_type *guess_choice_type(const char *suffix, size_t n)
{
	const mn_fhir_type *t = mn_fhir_type_find(suffix, n);
	if (t)
		return t;
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return NULL;
	memcpy(buf, suffix, n);
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return mn_fhir_type_find(buf, n);
}

/* Model none (MN_FP_MODEL_NONE): the members named exactly name, as plain
 * JSON; no choice suffixes, no "_name" siblings, no types. */
static int plain_member(fp_ctx *x, const mn_json *obj, const char *name, size_t len,
                        const mn_resource *res, fp_coll *out)
{
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		if (m->key_len == len && memcmp(m->key, name, len) == 0 &&
		    plain_value(x, &m->value, res, out))
			return -1;
	}
	return 0;
}

/* Lenient mode (MN_FP_LENIENT): name is the JSON name of a choice element of
 * T ("valueQuantity" of Observation.value[x]): the member of that exact name,
 * typed by its suffix. 0 done, -1 error, 1 not such a name (go on as usual). */
static int lenient_choice(fp_ctx *x, const mn_fp_item *it, const mn_fhir_type *T, const char *name,
                          size_t len, fp_coll *out)
{
	const mn_fhir_type *ct = NULL;
	const mn_fhir_element *ce = mn_fhir_element_for_json(T, name, len, &ct);
	if (!ce || !ce->choice || !ct)
		return 1;
	const mn_json *obj = it->node;
	const mn_json *v = mn_json_getn(obj, name, len);
	const mn_json *ext = has_underscore(obj) ? sibling(obj, name, len) : NULL;
	if (!v && !ext)
		return 0;
	return add_member(x, v, ext, ct->kind == MN_FHIR_RESOURCE ? NULL : ct, it->res, out);
}

/* Whether ofType(T) keeps none of the items make_item makes for a member of type ct (not NULL,
 * not a resource type): they are typed ct, or untyped primitives (a value that does not read as
 * ct, or any value where ct is complex), or NOVALUE typed ct; fp_type_matches keeps a typed item
 * only when ct is T or derives from it, and an untyped primitive only for a System type (T's
 * syskind). */
static bool pruned(const mn_fhir_type *ct, const fp_typespec *T)
{
	return ct && ct->kind != MN_FHIR_RESOURCE && !T->syskind && !mn_fhir_type_is_a(ct, T->ftype);
}

/* How many items add_member(v, ext) pushes (make_item's cases). */
static uint64_t pushes_of(const mn_json *v, const mn_json *ext)
{
	if (v->type != MN_JSON_ARRAY)
		return v->type != MN_JSON_NULL || (ext && ext->type == MN_JSON_OBJECT);
	uint64_t k = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		const mn_json *e = ext && ext->type == MN_JSON_ARRAY && i < ext->n ? &ext->u.items[i] : NULL;
		uint8_t t = v->u.items[i].type;
		k += t != MN_JSON_ARRAY && (t != MN_JSON_NULL || (e && e->type == MN_JSON_OBJECT));
	}
	return k;
}

/* mn_fhir_element_find(T, name) for member node at (name being at's own): the node remembers the last
 * element found among a type's own elements, and a type whose own elements hold it has it as its
 * element of that name (a type's own names are unique and come before its bases'). */
static inline const mn_fhir_element *node_element(const fp_node *at, const mn_fhir_type *T, const char *name,
                                                  size_t len)
{
	if (!at || at->name != name || at->name_len != len)
		return mn_fhir_element_find(T, name, len);
	fp_node *m = (fp_node *)at;
	const mn_fhir_element *el = atomic_load_explicit(&m->own_el, memory_order_relaxed);
	if (el && el >= T->elements && el < T->elements + T->nelements)
		return el;
	el = mn_fhir_element_find(T, name, len);
	if (el && el >= T->elements && el < T->elements + T->nelements)
		atomic_store_explicit(&m->own_el, el, memory_order_relaxed);
	return el;
}

int fp_member(fp_ctx *x, const fp_node *at, const mn_fp_item *it, const char *name, size_t len,
              fp_coll *out)
{
	if (it->kind != MN_FP_NODE) {
		/* a primitive: its id and extensions live in the "_name" sibling */
		if (it->ext && ((len == 9 && memcmp(name, "extension", 9) == 0) ||
		                (len == 2 && memcmp(name, "id", 2) == 0))) {
			const mn_json *v = mn_json_getn(it->ext, name, len);
			const mn_fhir_type *t = len == 2 ? mn_fhir_type_find("string", 6)
			                                 : mn_fhir_type_find("Extension", 9);
			return v ? add_member(x, v, NULL, t, it->res, out) : 0;
		}
		return 0;
	}
	const mn_json *obj = it->node;
	if (!obj || obj->type != MN_JSON_OBJECT)
		return 0;
	const mn_fhir_type *T = it->ftype;
	const mn_fhir_element *el;
	if (!T) {
		if (x->plain)  /* without a model every item is untyped */
			return plain_member(x, obj, name, len, it->res, out);
		el = NULL;
	} else {
		el = at && at->st_type == T ? at->st_el : node_element(at, T, name, len);
		if (!el && x->lenient) {
			int rc = lenient_choice(x, it, T, name, len, out);
			if (rc <= 0)
				return rc;
		}
	}
	bool found = false;
	bool under = has_underscore(obj);
	bool choice_ok = !T || !el || el->choice;  /* can a longer JSON name match? */
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		const mn_fhir_type *ct = NULL;
		/* most members differ in length: one comparison when no longer name can match */
		if (choice_ok ? m->key_len < len : m->key_len != len)
			continue;
		if (len && m->key[0] != name[0])
			continue;
		if (m->key_len == len && fp_same_bytes(m->key, name, len)) {
			if (el && el->choice)
				continue;  /* "value" itself is not a valid JSON name for value[x] */
			ct = el && el->ntypes == 1 ? el->types[0] : NULL;
			if (el && el->ntypes == 1 && ct && ct->kind == MN_FHIR_RESOURCE)
				ct = NULL;
		} else if (m->key_len > len && memcmp(m->key, name, len) == 0 &&
		           isupper((unsigned char)m->key[len])) {
			if (T && el && el->choice) {
				if (!mn_fhir_element_for_json(T, m->key, m->key_len, &ct))
					continue;
			} else if (!T || !el) {
				/* untyped JSON (knowledge tables, scores): a longer name is a
				 * choice only when its suffix names a FHIR type and the object
				 * has no member of exactly this name ("drgPosition" is not a
				 * variant of "drg") */
				if (T || mn_json_getn(obj, name, len))
					continue;
				ct = guess_choice_type(m->key + len, m->key_len - len);
				if (!ct)
					continue;
			} else {
				continue;
			}
		} else {
			continue;
		}
		found = true;
		const mn_json *ext = under ? sibling(obj, m->key, m->key_len) : NULL;
		if (x->prune && pruned(ct, x->prune)) {
			x->work += pushes_of(&m->value, ext);  /* as many steps as making them would count */
			continue;
		}
		x->nav_static = (it->flags & FPI_STATIC) && el && !el->choice;
		int rc = add_member(x, &m->value, ext, ct, it->res, out);
		x->nav_static = false;
		if (rc)
			return -1;
		if (!choice_ok && (obj->flags & MN_JSON_F_UNIQUE))
			break;  /* only this name matches, and no other member has it */
	}
	if (!found && under) {
		/* only an extension sibling ("_given" without "given") */
		const mn_json *ext = sibling(obj, name, len);
		if (ext) {
			found = true;
			const mn_fhir_type *ct = el && el->ntypes == 1 ? el->types[0] : NULL;
			if (add_member(x, NULL, ext, ct, it->res, out))
				return -1;
		}
	}
	/* "resourceType" is no element, and no choice element's name either (no
	 * type has a resource[x]; test_fhir checks it): skip the search */
	bool resource_type = len == 12 && T && T->kind == MN_FHIR_RESOURCE && memcmp(name, "resourceType", 12) == 0;
	if (T && !el && at && !(it->flags & FPI_TYPEINFO) && !resource_type) {
		const mn_fhir_type *ct;
		const mn_fhir_element *ce = mn_fhir_element_for_json(T, name, len, &ct);
		if (ce && ce->choice)
			return fp_fail(x, MN_ESEMANTIC, at,
			               "'%.*s' is not an element of %s; use '%s' (a choice element)",
			               (int)len, name, T->name, ce->name);
		if (!found && (it->flags & FPI_STATIC))
			return 1;  /* unknown element: an error when no item of the input knows it */
	}
	return 0;
}

int fp_children(fp_ctx *x, const mn_fp_item *it, fp_coll *out)
{
	if (it->kind != MN_FP_NODE) {
		if (it->ext)
			for (uint32_t i = 0; i < it->ext->n; i++) {
				const mn_json_member *m = &it->ext->u.members[i];
				if (fp_member(x, NULL, it, m->key, m->key_len, out) < 0)
					return -1;
			}
		return 0;
	}
	const mn_json *obj = it->node;
	if (!obj || obj->type != MN_JSON_OBJECT)
		return 0;
	if (x->plain) {
		/* model none: every member's value, as plain JSON */
		for (uint32_t i = 0; i < obj->n; i++)
			if (plain_value(x, &obj->u.members[i].value, it->res, out))
				return -1;
		return 0;
	}
	bool under = has_underscore(obj);
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		if (m->key_len == 12 && memcmp(m->key, "resourceType", 12) == 0)
			continue;
		const mn_json *ext = NULL;
		const mn_json *v = &m->value;
		if (!under) {
			/* the common case: no primitive extensions in this object */
		} else if (m->key[0] == '_') {
			if (mn_json_getn(obj, m->key + 1, m->key_len - 1))
				continue;  /* handled with its value */
			ext = v;
			v = NULL;
		} else {
			ext = sibling(obj, m->key, m->key_len);
		}
		const char *key = m->key[0] == '_' ? m->key + 1 : m->key;
		size_t klen = m->key[0] == '_' ? m->key_len - 1 : m->key_len;
		const mn_fhir_type *ct = NULL;
		if (it->ftype) {
			const mn_fhir_element *e = mn_fhir_element_for_json(it->ftype, key, klen, &ct);
			if (!e)
				continue;  /* an element the model does not know is absent from typed navigation */
			if (e && !e->choice && e->ntypes != 1)
				ct = NULL;
			if (ct && ct->kind == MN_FHIR_RESOURCE)
				ct = NULL;
		}
		if (add_member(x, v, ext, ct, it->res, out))
			return -1;
	}
	return 0;
}

/* ---- types ---------------------------------------------------------------- */

static const char *const SYS_NAMES[] = {NULL, "Boolean", "Integer", "Decimal", "String",
                                        "Date", "DateTime", "Time", "Quantity"};

static uint8_t sys_kind_of_name(const char *n)
{
	for (int k = MN_FP_BOOLEAN; k <= MN_FP_QUANTITY; k++)
		if (strcmp(SYS_NAMES[k], n) == 0)
			return (uint8_t)k;
	return strcmp(n, "Long") == 0 ? FP_SYS_LONG : 0;
}

void fp_typespec_resolve(fp_typespec *t)
{
	bool sys = !t->ns || strcmp(t->ns, "System") == 0;
	bool fhir = !t->ns || strcmp(t->ns, "FHIR") == 0;
	t->ftype = fhir ? mn_fhir_type_find(t->name, strlen(t->name)) : NULL;
	t->syskind = sys ? sys_kind_of_name(t->name) : 0;
	/* System.Patient is a valid question that is never true */
	t->unknown = (!sys && !fhir) || (!t->ftype && !t->syskind && !(t->ns && sys));
}

int fp_resolve_type(fp_ctx *x, const fp_node *at, const fp_typespec *t)
{
	if (t->unknown)
		return fp_fail(x, MN_EEVAL, at, "unknown type '%s%s%s'", t->ns ? t->ns : "",
		               t->ns ? "." : "", t->name);
	return 0;
}

bool fp_type_matches(const mn_fp_item *it, const fp_typespec *t, bool exact)
{
	if (it->ftype) {
		if (!t->ftype)
			return false;
		if (exact && it->ftype->kind == MN_FHIR_PRIMITIVE)
			return it->ftype == t->ftype;
		return mn_fhir_type_is_a(it->ftype, t->ftype);
	}
	if (it->kind == MN_FP_NODE) {
		if (t->ftype && it->node && it->node->type == MN_JSON_OBJECT) {
			const char *rt = mn_json_get_string(it->node, "resourceType");
			return rt && strcmp(rt, t->ftype->name) == 0;
		}
		return false;
	}
	if (t->syskind == FP_SYS_LONG || (t->syskind == MN_FP_INTEGER && it->kind == MN_FP_INTEGER))
		return it->kind == MN_FP_INTEGER &&
		       ((it->flags & FPI_LONG) != 0) == (t->syskind == FP_SYS_LONG);
	return t->syskind && t->syskind == it->kind;
}

/* ---- operators ------------------------------------------------------------- */

static int eval_in(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	if (n)
		return fp_eval(x, n, s, out);
	*out = s->self;
	return 0;
}

static int push_bool(fp_ctx *x, fp_coll *out, bool b)
{
	return fp_push_bool(x, out, b);
}

static bool coll_contains(fp_ctx *x, const fp_coll *c, const mn_fp_item *it)
{
	x->work += c->n;
	for (uint32_t i = 0; i < c->n; i++)
		if (fp_equal(&c->v[i], it) == 1)
			return true;
	return false;
}

int fp_union(fp_ctx *x, const fp_coll *a, const fp_coll *b, fp_coll *out)
{
	fp_set s;
	if (fp_set_init(x, &s, out))
		return -1;
	for (int side = 0; side < 2; side++) {
		const fp_coll *c = side ? b : a;
		for (uint32_t i = 0; c && i < c->n; i++)
			if (fp_set_push_unique(x, &s, out, &c->v[i]))
				return -1;
	}
	return 0;
}

static int op_equality(fp_ctx *x, const fp_node *n, const fp_coll *a, const fp_coll *b,
                       fp_coll *out)
{
	bool neg = n->op == OP_NE || n->op == OP_NEQUIV;
	if (n->op == OP_EQ || n->op == OP_NE) {
		if (a->n == 0 || b->n == 0)
			return 0;
		if (a->n != b->n)
			return push_bool(x, out, neg);
		bool unknown = false;
		for (uint32_t i = 0; i < a->n; i++) {
			int r = fp_equal(&a->v[i], &b->v[i]);
			if (r == 0)
				return push_bool(x, out, neg);
			if (r < 0)
				unknown = true;
		}
		if (unknown)
			return 0;
		return push_bool(x, out, !neg);
	}
	/* equivalence: order does not matter */
	bool eq = a->n == b->n;
	for (uint32_t i = 0; eq && i < a->n; i++) {
		bool any = false;
		for (uint32_t j = 0; j < b->n && !any; j++)
			any = fp_equivalent(&a->v[i], &b->v[j]);
		eq = any;
	}
	return push_bool(x, out, eq != neg);
}

static int op_compare(fp_ctx *x, const fp_node *n, const fp_coll *a, const fp_coll *b,
                      fp_coll *out)
{
	const mn_fp_item *l, *r;
	if (fp_singleton(x, n, a, &l) || fp_singleton(x, n, b, &r))
		return -1;
	if (!l || !r)
		return 0;
	int cmp, st = fp_compare(l, r, &cmp);
	if (st < 0)
		return fp_fail(x, MN_EEVAL, n, "cannot compare %s with %s", mn_fp_item_type(l),
		               mn_fp_item_type(r));
	if (st > 0)
		return 0;
	bool res = n->op == OP_LT ? cmp < 0 : n->op == OP_GT ? cmp > 0 : n->op == OP_LE ? cmp <= 0
	                                                                               : cmp >= 0;
	return push_bool(x, out, res);
}

static int op_logic(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	fp_coll a = {0}, b = {0};
	if (fp_eval(x, n->left, s, &a))
		return -1;
	int l = fp_truth(x, n->left, &a);
	if (l < -1)
		return -1;
	/* short cuts that do not need the right side */
	if ((n->op == OP_AND && l == 0) || (n->op == OP_OR && l == 1))
		return push_bool(x, out, l == 1);
	if (n->op == OP_IMPLIES && l == 0)
		return push_bool(x, out, true);
	if (fp_eval(x, n->right, s, &b))
		return -1;
	int r = fp_truth(x, n->right, &b);
	if (r < -1)
		return -1;
	switch (n->op) {
	case OP_AND:
		if (r == 0)
			return push_bool(x, out, false);
		if (l == 1 && r == 1)
			return push_bool(x, out, true);
		return 0;
	case OP_OR:
		if (r == 1)
			return push_bool(x, out, true);
		if (l == 0 && r == 0)
			return push_bool(x, out, false);
		return 0;
	case OP_XOR:
		if (l < 0 || r < 0)
			return 0;
		return push_bool(x, out, l != r);
	default: /* implies, l is true or empty */
		if (r == 1)
			return push_bool(x, out, true);
		if (l == 1 && r == 0)
			return push_bool(x, out, false);
		return 0;
	}
}

static bool is_num(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER || it->kind == MN_FP_DECIMAL;
}

static double numv(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER ? (double)it->v.i : it->v.d;
}

static int nscale(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER ? 0 : it->scale;
}

static int div_scale(double d)
{
	for (int s = 0; s < 8; s++)
		if (fabs(fp_round_scale(d, s) - fp_round_scale(d, 8)) < 1e-12)
			return s;
	return 8;
}

/* Date/time + or - quantity. */
static int datetime_arith(fp_ctx *x, const fp_node *n, const mn_fp_item *d, const mn_fp_item *q,
                          int sign, fp_coll *out)
{
	int prec = 0;
	if (q->flags & FPI_CALENDAR) {
		prec = fp_calendar_unit(q->unit, strlen(q->unit));
	} else {
		static const struct { const char *u; int p; } U[] = {
			{"wk", 8}, {"d", MN_DT_DAY}, {"h", MN_DT_HOUR}, {"min", MN_DT_MINUTE},
			{"s", MN_DT_SECOND}, {"ms", MN_DT_MILLISECOND}};
		for (size_t i = 0; i < sizeof U / sizeof U[0]; i++)
			if (strcmp(q->unit, U[i].u) == 0)
				prec = U[i].p;
		if (!prec && fp_calendar_unit(q->unit, strlen(q->unit)))
			prec = fp_calendar_unit(q->unit, strlen(q->unit));  /* 1 'month' */
		if (!prec)
			return fp_fail(x, MN_EEVAL, n,
			               "cannot add '%s' to a date; use a calendar duration (year, month, ...)",
			               q->unit);
	}
	/* Only seconds and milliseconds keep a fraction (FHIRPath 3.0.0 "Date/Time
	 * Arithmetic": the decimal portion is ignored for the other units);
	 * a fraction of a second is added in milliseconds: 42.53 seconds is
	 * 42530 ms. The UCUM 's' keeps the FHIR R4 rule instead (the official R4
	 * suite, testPlusDate19: + 0.1 's' adds nothing; the R5 suite expects
	 * .100, and HAPI's R4 and R5 engines differ the same way), see
	 * docs/FHIRPATH.md. A week is 7 days. */
	double amount = q->v.d * sign;
	if (prec == 8) {
		prec = MN_DT_DAY;
		amount *= 7;
	}
	if (prec == MN_DT_SECOND && amount != trunc(amount) && (q->flags & FPI_CALENDAR)) {
		prec = MN_DT_MILLISECOND;
		amount = round(amount * 1000);
	}
	int64_t whole;
	if (!fp_double_to_int(trunc(amount), &whole) || whole > 1000000000000LL ||
	    whole < -1000000000000LL)
		return fp_fail(x, MN_EEVAL, n, "date out of range");
	mn_fp_item r = *d;
	r.node = NULL;
	r.ftype = NULL;
	r.ext = NULL;
	r.res = NULL;
	r.kind = d->kind;
	int vp = r.v.dt.precision;
	if (d->kind == MN_FP_TIME && prec < MN_DT_HOUR)
		return fp_fail(x, MN_EEVAL, n, "cannot add %s to a time", q->unit);
	/* the spec's table: a Date takes years, months, weeks and days only
	 * (a dateTime given to the day is a partial value and converts) */
	if (d->kind == MN_FP_DATE && prec > MN_DT_DAY)
		return fp_fail(x, MN_EEVAL, n, "cannot add %s to a date (a Date takes years to days)", q->unit);
	/* finer than the value: convert to the value's precision, truncating
	 * (months to years by 12, days to months by 30 and to years by 365);
	 * seconds and milliseconds are one precision, as in comparisons */
	if (prec > vp && vp < MN_DT_SECOND) {
		static const double ms[] = {0, 0, 0, 86400000.0, 3600000.0, 60000.0, 1000.0, 1.0};
		double v = amount;
		if (prec == MN_DT_MONTH) {
			v = amount / 12;
			prec = MN_DT_YEAR;
		} else if (prec >= MN_DT_DAY && vp >= MN_DT_DAY) {
			v = amount * ms[prec] / ms[vp];
			prec = vp;
		} else if (prec >= MN_DT_DAY) {
			double days = amount * ms[prec] / ms[MN_DT_DAY];
			v = vp == MN_DT_MONTH ? days / 30 : days / 365;
			prec = vp == MN_DT_MONTH ? MN_DT_MONTH : MN_DT_YEAR;
		}
		if (!fp_double_to_int(trunc(v), &whole))
			return fp_fail(x, MN_EEVAL, n, "date out of range");
	}
	if (prec == MN_DT_MILLISECOND && vp == MN_DT_SECOND)
		r.v.dt.precision = MN_DT_MILLISECOND;
	if (fp_datetime_add(&r.v.dt, prec, whole))
		return fp_fail(x, MN_EEVAL, n, "date out of range");
	if (vp == MN_DT_SECOND && r.v.dt.precision == MN_DT_MILLISECOND && r.v.dt.millisecond == 0)
		r.v.dt.precision = MN_DT_SECOND;
	return fp_push(x, out, &r);
}

/* The String ls[0..ln) followed by rs[0..rn), in the arena (as `&` makes it). */
static int concat_str(fp_ctx *x, const char *ls, size_t ln, const char *rs, size_t rn, mn_fp_item *it)
{
	char *s = mn_arena_alloc(x->a, ln + rn + 1);
	if (!s)
		return nomem(x);
	if (ln)
		memcpy(s, ls, ln);
	if (rn)
		memcpy(s + ln, rs, rn);
	s[ln + rn] = 0;
	*it = fp_make_str(s, ln + rn);
	return 0;
}

static int op_arith(fp_ctx *x, const fp_node *n, const fp_coll *a, const fp_coll *b, fp_coll *out)
{
	if (n->op == OP_CONCAT) {
		const mn_fp_item *l, *r;
		if (fp_singleton(x, n, a, &l) || fp_singleton(x, n, b, &r))
			return -1;
		if ((l && l->kind != MN_FP_STRING) || (r && r->kind != MN_FP_STRING))
			return fp_fail(x, MN_EEVAL, n, "'&' needs strings");
		size_t ln = l ? l->v.str.n : 0, rn = r ? r->v.str.n : 0;
		if (ln + rn > MN_FP_MAX_STRING)
			return fp_fail(x, MN_ELIMIT, n, "string longer than %u bytes", MN_FP_MAX_STRING);
		x->work += (ln + rn) / 64;
		if (ln + rn > 4096 && fp_check_memory(x, n))
			return -1;
		mn_fp_item it;
		if (concat_str(x, l ? l->v.str.s : NULL, ln, r ? r->v.str.s : NULL, rn, &it))
			return -1;
		return fp_push(x, out, &it);
	}
	const mn_fp_item *l, *r;
	if (fp_singleton(x, n, a, &l) || fp_singleton(x, n, b, &r))
		return -1;
	if (!l || !r)
		return 0;
	mn_fp_item ql, qr;
	int op = n->op;
	if (is_num(l) && is_num(r)) {
		if (l->kind == MN_FP_INTEGER && r->kind == MN_FP_INTEGER && op != OP_DIV) {
			int64_t u = l->v.i, v = r->v.i, w = 0;
			bool ovf = false;
			switch (op) {
			case OP_ADD: ovf = __builtin_add_overflow(u, v, &w); break;
			case OP_SUB: ovf = __builtin_sub_overflow(u, v, &w); break;
			case OP_MUL: ovf = __builtin_mul_overflow(u, v, &w); break;
			case OP_IDIV:
				if (v == 0 || (u == INT64_MIN && v == -1))
					return 0;
				w = u / v;
				break;
			case OP_MOD:
				if (v == 0 || (u == INT64_MIN && v == -1))
					return 0;
				w = u % v;
				break;
			}
			if (ovf)
				return fp_fail(x, MN_EEVAL, n, "integer overflow");
			/* Integer op Long: the Integer converts to Long */
			mn_fp_item it = (l->flags | r->flags) & FPI_LONG ? fp_make_long(w) : fp_make_int(w);
			return fp_push(x, out, &it);
		}
		double u = numv(l), v = numv(r), w;
		int sl = nscale(l), sr = nscale(r), sc;
		switch (op) {
		case OP_ADD: w = u + v; sc = sl > sr ? sl : sr; break;
		case OP_SUB: w = u - v; sc = sl > sr ? sl : sr; break;
		case OP_MUL: w = u * v; sc = sl + sr; break;
		case OP_DIV:
			if (v == 0)
				return 0;
			w = u / v;
			sc = div_scale(w);
			break;
		case OP_IDIV: {
			if (v == 0)
				return 0;
			int64_t q;
			if (!fp_double_to_int(trunc(u / v), &q))
				return fp_fail(x, MN_EEVAL, n, "integer overflow");
			mn_fp_item it = fp_make_int(q);
			return fp_push(x, out, &it);
		}
		default: /* mod */
			if (v == 0)
				return 0;
			w = fmod(u, v);
			sc = sl > sr ? sl : sr;
			break;
		}
		if (!isfinite(w))
			return fp_fail(x, MN_EEVAL, n, "arithmetic overflow");
		mn_fp_item it = fp_make_dec(fp_round_scale(w, sc > 15 ? 15 : sc), sc);
		return fp_push(x, out, &it);
	}
	if (l->kind == MN_FP_STRING && r->kind == MN_FP_STRING && op == OP_ADD) {
		fp_coll tmp = {0};
		fp_node fake = *n;
		fake.op = OP_CONCAT;
		if (op_arith(x, &fake, a, b, &tmp))
			return -1;
		return fp_append(x, out, &tmp);
	}
	bool ldt = l->kind == MN_FP_DATE || l->kind == MN_FP_DATETIME || l->kind == MN_FP_TIME;
	if (ldt && (op == OP_ADD || op == OP_SUB) && fp_as_quantity(r, &qr))
		return datetime_arith(x, n, l, &qr, op == OP_ADD ? 1 : -1, out);
	if (ldt && is_num(r))
		return fp_fail(x, MN_ESEMANTIC, n, "cannot add a number to a date; use a quantity such as 7 days");
	bool lq = fp_as_quantity(l, &ql), rq = fp_as_quantity(r, &qr);
	if ((lq || rq) && op != OP_IDIV && op != OP_MOD) {
		/* implicit conversion of Integer, Long and Decimal to Quantity with
		 * the UCUM default unit '1' */
		if (!lq && is_num(l)) {
			ql = fp_make_quantity(numv(l), nscale(l), "1", false);
			lq = true;
		}
		if (!rq && is_num(r)) {
			qr = fp_make_quantity(numv(r), nscale(r), "1", false);
			rq = true;
		}
		if (!lq || !rq)
			return fp_fail(x, MN_EEVAL, n, "cannot combine %s and %s", mn_fp_item_type(l),
			               mn_fp_item_type(r));
		if (op == OP_ADD || op == OP_SUB) {
			mn_fp_item it;
			if (fp_quantity_add(&ql, &qr, op == OP_ADD ? 1 : -1, &it))
				return 0;  /* not commensurable, special units, or overflow: empty */
			return fp_push(x, out, &it);
		}
		/* * and /: calendar units only with the default unit '1' */
		bool lc = (ql.flags & FPI_CALENDAR) != 0, rc = (qr.flags & FPI_CALENDAR) != 0;
		bool l1 = !lc && strcmp(ql.unit, "1") == 0, r1 = !rc && strcmp(qr.unit, "1") == 0;
		if (op == OP_DIV && qr.v.d == 0)
			return 0;
		const char *unit;
		bool cal = false;
		if ((lc || rc) && !((lc && r1) || (rc && l1 && op == OP_MUL)))
			return 0;
		if ((!lc && fp_ucum_nonratio(ql.unit, strlen(ql.unit))) ||
		    (!rc && fp_ucum_nonratio(qr.unit, strlen(qr.unit))))
			return 0;  /* no algebra on units of a non-ratio scale */
		if (lc || rc) {
			unit = lc ? ql.unit : qr.unit;
			cal = true;
		} else {
			unit = fp_ucum_product(x->a, ql.unit, qr.unit, op == OP_DIV);
			if (!unit)
				return mn_arena_failed(x->a) ? nomem(x) : 0;
		}
		double w = op == OP_MUL ? ql.v.d * qr.v.d : ql.v.d / qr.v.d;
		if (!isfinite(w))
			return 0;
		int sc = op == OP_MUL ? ql.scale + qr.scale : div_scale(w);
		mn_fp_item it = fp_make_quantity(w, sc, unit, cal);
		return fp_push(x, out, &it);
	}
	return fp_fail(x, MN_EEVAL, n, "operator cannot be applied to %s and %s", mn_fp_item_type(l),
	               mn_fp_item_type(r));
}

static int op_membership(fp_ctx *x, const fp_node *n, const fp_coll *a, const fp_coll *b,
                         fp_coll *out)
{
	const fp_coll *one = n->op == OP_IN ? a : b, *all = n->op == OP_IN ? b : a;
	const mn_fp_item *it;
	if (fp_singleton(x, n, one, &it))
		return -1;
	if (!it)
		return 0;
	return push_bool(x, out, coll_contains(x, all, it));
}

static int eq_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out);
static int in_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out) __attribute__((noinline));

static int eval_binop(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	if (n->op >= OP_AND)
		return op_logic(x, n, s, out);
	if (n->eqfast) {
		int r = n->eqfast == 3 ? in_fast(x, n, s, out) : eq_fast(x, n, s, out);
		if (r)
			return r < 0 ? -1 : 0;
	}
	fp_coll a = {0}, b = {0};
	if (fp_eval(x, n->left, s, &a) || fp_eval(x, n->right, s, &b))
		return -1;
	switch (n->op) {
	case OP_UNION: return fp_union(x, &a, &b, out);
	case OP_EQ: case OP_NE: case OP_EQUIV: case OP_NEQUIV: return op_equality(x, n, &a, &b, out);
	case OP_LT: case OP_GT: case OP_LE: case OP_GE: return op_compare(x, n, &a, &b, out);
	case OP_IN: case OP_CONTAINS: return op_membership(x, n, &a, &b, out);
	default: return op_arith(x, n, &a, &b, out);
	}
}

/* A name at the start of a path: a type name filters the focus by type. */
static int eval_first_member(fp_ctx *x, const fp_node *n, const fp_coll *in, fp_coll *out,
                             bool *handled)
{
	*handled = false;
	if (n->fast == FP_FAST_TYPE && in == &x->context && x->case_list && !x->plain && x->kase &&
	    in->n == mn_case_count(x->kase)) {
		/* the context is the case's resources in order (mn_fp_eval_case): those of
		 * the type are listed by the case */
		size_t k;
		const uint32_t *idx = mn_case_of_type(x->kase, n->first_type, &k);
		*handled = true;
		if (reserve(x, out, (uint32_t)k))
			return -1;
		for (size_t i = 0; i < k; i++)
			if (fp_push(x, out, &in->v[idx[i]]))
				return -1;
		return 0;
	}
	bool any_match = false;
	for (uint32_t i = 0; i < in->n; i++) {
		const mn_fp_item *it = &in->v[i];
		bool match = false;
		if (it->kind == MN_FP_NODE) {
			if (it->ftype && n->first_type)
				match = it->ftype == n->first_type || mn_fhir_type_is_a(it->ftype, n->first_type);
			else if (it->node && it->node->type == MN_JSON_OBJECT) {
				const char *rt = mn_json_get_string(it->node, "resourceType");
				match = rt && strlen(rt) == n->name_len && memcmp(rt, n->name, n->name_len) == 0;
			}
		}
		if (match) {
			any_match = true;
			if (fp_push(x, out, it))
				return -1;
		}
	}
	if (any_match || (!x->plain && n->first_type && (n->first_type->kind == MN_FHIR_RESOURCE))) {
		*handled = true;
		if (!any_match && !x->case_context && in == &x->context && in->n == 1 &&
		    in->v[0].ftype && in->v[0].ftype->kind == MN_FHIR_RESOURCE)
			return fp_fail(x, MN_ESEMANTIC, n, "the expression is for %.*s but the context is %s",
			               (int)n->name_len, n->name, in->v[0].ftype->name);
	}
	return 0;
}

static int eval_var(fp_ctx *x, const fp_node *n, fp_coll *out)
{
	if ((n->name_len == 8 && memcmp(n->name, "resource", 8) == 0) ||
	    (n->name_len == 7 && memcmp(n->name, "context", 7) == 0) ||
	    (n->name_len == 12 && memcmp(n->name, "rootResource", 12) == 0))
		return fp_append(x, out, &x->context);
	int dv = fp_defvar_get(x, n->name, n->name_len, out);
	if (dv)
		return dv < 0 ? -1 : 0;
	long vi = fp_env_find_hashed(x->env, n->name, n->name_len, n->name_hash);
	if (vi >= 0)
		return fp_append(x, out, &x->env->vars[vi].value);  /* shared; run() copies results */
	if (n->name_len == 13 && memcmp(n->name, "terminologies", 13) == 0)
		return fp_push_shared(x, out, &fp_terminologies_item);
	return fp_fail(x, MN_EEVAL, n, "unknown variable '%%%.*s'", (int)n->name_len, n->name);
}

/* A path step: the members named n->name of the items of src (or, for a
 * type name at the start of a path, the items of that type). */
static int eval_member(fp_ctx *x, const fp_node *n, const fp_coll *src, fp_coll *out)
{
	int rc = 0;
	if (n->type_first) {
		bool handled;
		const fp_coll *tsrc = src->v == x->context.v && src->n == x->context.n ? &x->context : src;
		if ((rc = eval_first_member(x, n, tsrc, out, &handled)) || handled)
			return rc;
	}
	/* most steps give at least one item per input item */
	if (src->n > 1 && reserve(x, out, src->n))
		return -1;
	uint32_t unknown = 0;
	for (uint32_t i = 0; i < src->n && rc == 0; i++) {
		int r = fp_member(x, n, &src->v[i], n->name, n->name_len, out);
		if (r < 0)
			rc = r;
		else
			unknown += (uint32_t)r;
	}
	if (rc == 0 && unknown && unknown == src->n)
		rc = fp_fail(x, MN_ESEMANTIC, n, "'%.*s' is not an element of %s", (int)n->name_len,
		             n->name, mn_fp_item_type(&src->v[0]));
	return rc;
}

/* The items of the case's top-level resources idx[0..k) (all k of them, in
 * order, when idx is NULL) as Bundle.entry.resource makes them (make_item: the
 * type from the resource, not static, the resource as provenance). */
static int push_case_resources(fp_ctx *x, const uint32_t *idx, size_t k, fp_coll *out)
{
	if (reserve(x, out, (uint32_t)k))
		return -1;
	x->work += k;  /* the entries the general path would have stepped through */
	/* When no push can fail (the room is there, the item limit and the work budget hold k more), the items are
	 * written in place: what fp_push would do for each, its checks made once. Otherwise one by one, so that a
	 * limit is met where it would be. */
	if (out->cap - out->n >= k && (uint64_t)out->n + k <= MN_FP_MAX_ITEMS && x->work + k <= FP_WORK_BUDGET) {
		mn_fp_item *v = out->v + out->n;
		for (size_t i = 0; i < k; i++) {
			const mn_resource *r = mn_case_get(x->kase, idx ? idx[i] : i);
			fp_item_init(&v[i], MN_FP_NODE);
			v[i].ftype = r->type;
			v[i].node = r->json;
			v[i].res = r;
		}
		out->n += (uint32_t)k;
		x->work += k;
		return 0;
	}
	for (size_t i = 0; i < k; i++) {
		const mn_resource *r = mn_case_get(x->kase, idx ? idx[i] : i);
		mn_fp_item it;
		fp_item_init(&it, MN_FP_NODE);
		it.ftype = r->type;
		it.node = r->json;
		it.res = r;
		if (fp_push(x, out, &it))
			return -1;
	}
	return 0;
}

/* rn is "Bundle.entry.resource" (FP_FAST_BUNDLE_RES). Evaluates "Bundle";
 * when that is the root Bundle of the case, whose entries' resources are the
 * case's top-level resources (mn_case_bundle_exact), sets *exact and leaves
 * out alone: the caller reads the case's lists. Otherwise evaluates the rest
 * of the path into out as usual and clears *exact. */
/* Whether b, the value of "Bundle" (the node bundle) at the start of a path, is the case's root Bundle,
 * whose entries' resources are the case's top-level resources, in order (mn_case_bundle_exact). */
static bool case_bundle(const fp_ctx *x, const fp_node *bundle, const fp_coll *b)
{
	return !x->plain && x->kase && b->n == 1 && b->v[0].kind == MN_FP_NODE && b->v[0].ftype == bundle->first_type &&
	       b->v[0].node && b->v[0].node == mn_case_root(x->kase) && mn_case_bundle_exact(x->kase);
}

static int bundle_resources(fp_ctx *x, const fp_node *rn, const fp_scope *s, fp_coll *out, bool *exact)
{
	const fp_node *entry = rn->left, *bundle = entry->left;
	fp_coll b = {0}, e = {0};
	*exact = false;
	x->work += 2;
	if (fp_eval(x, bundle, s, &b))
		return -1;
	if (case_bundle(x, bundle, &b)) {
		*exact = true;
		return 0;
	}
	if (eval_member(x, entry, &b, &e))
		return -1;
	return eval_member(x, rn, &e, out);
}

/* The position of the item of entries, from i on, that is an object with one "resource" member, r; entries->n
 * when there is none. */
static uint32_t entry_of(const mn_json *entries, uint32_t i, const mn_json *r)
{
	for (; i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i];
		unsigned k = 0;
		bool has = false;
		for (uint32_t m = 0; e->type == MN_JSON_OBJECT && m < e->n; m++)
			if (e->u.members[m].key_len == 8 && memcmp(e->u.members[m].key, "resource", 8) == 0) {
				k++;
				has = has || &e->u.members[m].value == r;
			}
		if (has)
			return k == 1 ? i : entries->n;
	}
	return entries->n;
}

/* FP_FAST_ENTRY_RT: Bundle.entry.where(resource.resourceType = 'X'). Over the case's root Bundle (case_bundle)
 * the entries whose resource.resourceType is 'X' are those of the case's resources of type X
 * (mn_case_of_type): each entry holds one resource (the load refuses a second "resource"), so resource p's
 * entry is at p or after, after the entry of the resource before it, and no further after p than the
 * entries before it without a resource (found from the guess on: entry_of). The items are those fp_member
 * makes for "entry" of the Bundle item. Otherwise (or an entry not found where it must be) evaluated as
 * usual. */
static int where_entries(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	const fp_node *entry = n->left, *bundle = entry->left;
	fp_coll b = {0}, e = {0};
	x->work++;  /* the entry step, evaluated here */
	if (fp_eval(x, bundle, s, &b))
		return -1;
	const mn_json *entries = case_bundle(x, bundle, &b) ? mn_json_getn(b.v[0].node, "entry", 5) : NULL;
	const mn_fhir_element *el = entries ? mn_fhir_element_find(bundle->first_type, "entry", 5) : NULL;
	const mn_fhir_type *ct = el && !el->choice && el->ntypes == 1 ? el->types[0] : NULL;
	if (ct && ct->kind != MN_FHIR_RESOURCE && entries->type == MN_JSON_ARRAY && entries->n <= MN_FP_MAX_ITEMS) {
		size_t k;
		const uint32_t *idx = mn_case_of_type(x->kase, n->fast_type, &k);
		uint32_t *at = k ? mn_arena_alloc(x->a, k * sizeof *at) : NULL;
		if (k && !at)
			return nomem(x);
		size_t i = 0;
		for (uint32_t shift = 0; i < k; i++) {
			uint32_t from = idx[i] + shift;
			if (i && from <= at[i - 1])
				from = at[i - 1] + 1;
			if ((at[i] = entry_of(entries, from, mn_case_get(x->kase, idx[i])->json)) == entries->n)
				break;
			shift = at[i] - idx[i];
		}
		if (i == k) {
			x->work += entries->n;  /* the entries the general path would have made and tested */
			if (reserve(x, out, (uint32_t)k))
				return -1;
			int rc = 0;
			x->nav_static = (b.v[0].flags & FPI_STATIC) != 0;  /* as fp_member sets it for "entry" */
			for (i = 0; i < k && !rc; i++)
				rc = make_item(x, &entries->u.items[at[i]], NULL, ct, b.v[0].res, out);
			x->nav_static = false;
			return rc;
		}
	}
	if (eval_member(x, entry, &b, &e))
		return -1;
	return n->fn->impl(x, n, &e, s, out);
}

static bool name_is(const fp_node *n, const char *name)
{
	size_t l = strlen(name);
	return n && n->kind == FN_MEMBER && n->name_len == l && memcmp(n->name, name, l) == 0;
}

/* An exact resource type: is-a it is the same as being it. */
static bool exact_resource_type(const mn_fhir_type *t)
{
	return t && t->kind == MN_FHIR_RESOURCE && !mn_fhir_type_has_subtypes(t);
}

/* c is `m = 'lit'` or `'lit' = m` (lit a string literal): m, and the literal in *lit; else NULL. */
static const fp_node *eq_string(const fp_node *c, const fp_node **lit)
{
	if (!c || c->kind != FN_BINOP || c->op != OP_EQ)
		return NULL;
	const fp_node *m = c->left, *l = c->right;
	if (m && m->kind == FN_LITERAL)
		m = c->right, l = c->left;
	if (!m || !l || l->kind != FN_LITERAL || l->lit.kind != MN_FP_STRING || (l->lit.flags & FPI_NOVALUE))
		return NULL;
	*lit = l;
	return m;
}

/* n is "Bundle.entry" at the start of a path (Bundle a type name). */
static bool bundle_entry(const fp_node *n)
{
	return name_is(n, "entry") && !n->type_first && n->left && name_is(n->left, "Bundle") && n->left->type_first &&
	       !n->left->left && n->left->first_type && n->left->first_type->kind == MN_FHIR_RESOURCE;
}

void fp_mark_fast(fp_node *n)
{
	if (!n)
		return;
	fp_mark_fast(n->left);
	fp_mark_fast(n->right);
	for (unsigned i = 0; n->kind == FN_CALL && i < n->nargs; i++)
		fp_mark_fast(n->args[i]);
	if (n->kind == FN_MEMBER && n->type_first && !n->left && exact_resource_type(n->first_type)) {
		n->fast = FP_FAST_TYPE;
		n->fast_type = n->first_type;
	}
	if (name_is(n, "resource") && bundle_entry(n->left))
		n->fast = FP_FAST_BUNDLE_RES;
	if (n->kind != FN_CALL || !n->left || !n->fn)
		return;
	bool where = strcmp(n->fn->name, "where") == 0 && n->nargs == 1;
	const fp_node *lit = NULL, *m = where ? eq_string(n->args[0], &lit) : NULL;
	if (m && bundle_entry(n->left) && name_is(m, "resourceType") && m->left && name_is(m->left, "resource") &&
	    !m->left->left) {
		/* Bundle.entry.where(resource.resourceType = 'X'); no X (NULL) when no type has that name */
		n->fast = FP_FAST_ENTRY_RT;
		n->fast_type = mn_fhir_type_find(lit->lit.v.str.s, lit->lit.v.str.n);
	}
	if (n->left->fast != FP_FAST_BUNDLE_RES)
		return;
	if (strcmp(n->fn->name, "ofType") == 0 && n->nargs == 1 && n->type && !n->type->unknown &&
	    exact_resource_type(n->type->ftype)) {
		n->fast = FP_FAST_OFTYPE;
		n->fast_type = n->type->ftype;
	} else if (m && name_is(m, "resourceType") && !m->left) {
		n->fast = FP_FAST_WHERE_RT;
		/* NULL when no type has that name: no resource matches */
		n->fast_type = mn_fhir_type_find(lit->lit.v.str.s, lit->lit.v.str.n);
	}
}

/* A literal or a constant of several items (fp_fold_constants): its items, without evaluation. */
static bool const_coll(const fp_node *n, fp_coll *c)
{
	if (n && n->kind == FN_LITERAL) {
		c->v = (mn_fp_item *)&n->lit;
		c->n = c->cap = 1;
		return true;
	}
	if (n && n->kind == FN_CONST) {
		*c = *n->folded;
		return true;
	}
	return false;
}

/* A member of $this or a chain of members from $this (code.coding.code). */
static bool member_path(const fp_node *n)
{
	if (!n)
		return false;
	for (const fp_node *p = n; p; p = p->left) {
		if (p->kind != FN_MEMBER || p->fast || !p->name_len)
			return false;
		/* where the parser knows the element, it must be what member_string
		 * walks: complex steps ending in a String (else it would only fall back) */
		const mn_fhir_element *el = p->st_type ? p->st_el : NULL;
		if (!el)
			continue;
		const mn_fhir_type *ct = el->choice || el->ntypes != 1 ? NULL : el->types[0];
		if (!ct || (p == n ? ct->kind != MN_FHIR_PRIMITIVE || system_kind(ct->system_type) != MN_FP_STRING
		                   : ct->kind != MN_FHIR_COMPLEX))
			return false;
	}
	return true;
}

/* Adds the conjuncts of c (`name = 'lit'`, `'lit' = name`, joined by and) to q;
 * false when c is anything else. */
static bool collect_eqs(const fp_node *c, fp_eqs *q)
{
	if (!c || c->kind != FN_BINOP)
		return false;
	if (c->op == OP_AND)
		return collect_eqs(c->left, q) && collect_eqs(c->right, q);
	const fp_node *l = NULL, *m = q->n < FP_EQS_MAX ? eq_string(c, &l) : NULL;
	if (!m || !member_path(m))
		return false;
	q->t[q->n].member = m;
	q->t[q->n].lit = &l->lit;
	q->n++;
	return true;
}

/* ---- X.where(... and code.coding.where(code = 'C').exists()) over a case (FP_FAST_WHERE_CODE) ---- */

/* Whether n is the member name on $this (no path before it, no index answers it). */
static bool own_member(const fp_node *n, const char *name)
{
	return n && n->kind == FN_MEMBER && !n->left && !n->fast && name_is(n, name);
}

/* The codes a criterion k over one Coding implies: 1 when k true means the
 * coding's code is one of set[0..*n) (added there), 0 when k says nothing of
 * the code, -1 when k is not made only of `code`/`system` `=` a string or `in`
 * strings, joined by and/or (over a Coding whose code and system are at most
 * one string each, such a k is true, false or empty, never an error). */
static int coding_codes(const fp_node *k, fp_codes *set)
{
	if (!k || k->kind != FN_BINOP)
		return -1;
	if (k->op == OP_AND || k->op == OP_OR) {
		fp_codes a = {0}, b = {0};
		int l = coding_codes(k->left, &a), r = coding_codes(k->right, &b);
		if (l < 0 || r < 0)
			return -1;
		if (k->op == OP_AND) {
			/* either side's codes hold for the conjunction */
			const fp_codes *q = l ? &a : r ? &b : NULL;
			if (!q)
				return 0;
			memcpy(set->code, q->code, q->ncodes * sizeof q->code[0]);
			set->ncodes = q->ncodes;
			return 1;
		}
		if (!l || !r)
			return 0;  /* one side says nothing of the code: neither does the disjunction */
		if (a.ncodes + b.ncodes > FP_CODES_MAX)
			return -1;
		memcpy(set->code, a.code, a.ncodes * sizeof a.code[0]);
		memcpy(set->code + a.ncodes, b.code, b.ncodes * sizeof b.code[0]);
		set->ncodes = a.ncodes + b.ncodes;
		return 1;
	}
	const fp_node *m = k->left, *v = k->right;
	if (k->op == OP_EQ && m && m->kind == FN_LITERAL)
		m = k->right, v = k->left;
	fp_coll lits;
	if ((k->op != OP_EQ && k->op != OP_IN) || !const_coll(v, &lits) || lits.n == 0 ||
	    (k->op == OP_EQ && lits.n != 1))
		return -1;
	for (uint32_t i = 0; i < lits.n; i++)
		if (lits.v[i].kind != MN_FP_STRING || (lits.v[i].flags & FPI_NOVALUE))
			return -1;
	if (own_member(m, "system"))
		return 0;
	if (!own_member(m, "code") || lits.n > FP_CODES_MAX)
		return -1;
	for (uint32_t i = 0; i < lits.n; i++) {
		set->code[i].s = lits.v[i].v.str.s;
		set->code[i].n = lits.v[i].v.str.n;
	}
	set->ncodes = lits.n;
	return 1;
}

/* The element name of type t when it is a plain (not choice) element of the one type named tn. */
static bool plain_element(const mn_fhir_type *t, const char *name, const char *tn)
{
	const mn_fhir_element *el = t ? mn_fhir_element_find(t, name, strlen(name)) : NULL;
	return el && !el->choice && el->ntypes == 1 && el->types[0] && strcmp(el->types[0]->name, tn) == 0;
}

/* When n is E.coding (E code or category, a CodeableConcept of t, on $this): E; else NULL. */
static const char *coding_of(const fp_node *n, const mn_fhir_type *t)
{
	if (!n || n->kind != FN_MEMBER || n->fast || !name_is(n, "coding"))
		return NULL;
	static const char *const elements[] = {"code", "category"};
	for (unsigned i = 0; i < 2; i++)
		if (own_member(n->left, elements[i]) && plain_element(t, elements[i], "CodeableConcept"))
			return elements[i];
	return NULL;
}

/* Whether c is E.coding.code = 'C' (either way round; E as coding_of reads it): E and C in *q. Over a
 * resource whose E has no coding with the code C (as the index reads it) it is false (other codes) or empty
 * (none), never true and never an error. */
static bool equals_conjunct(const fp_node *c, fp_codes *q)
{
	const fp_node *lit = NULL, *code = eq_string(c, &lit);
	const char *element = code && !code->fast && name_is(code, "code") ? coding_of(code->left, q->type) : NULL;
	if (!element)
		return false;
	q->element = element;
	q->code[0].s = lit->lit.v.str.s;
	q->code[0].n = lit->lit.v.str.n;
	q->ncodes = 1;
	q->equals = true;
	return true;
}

/* Whether c is E.coding.where(k).exists() (E code or category, a CodeableConcept of q->type) with k
 * as coding_codes reads it: the codes and E in *q. */
static bool coded_conjunct(const fp_node *c, fp_codes *q)
{
	if (!c || c->kind != FN_CALL || !c->fn || strcmp(c->fn->name, "exists") != 0 || c->nargs != 0 || c->fast)
		return false;
	const fp_node *w = c->left;
	if (!w || w->kind != FN_CALL || !w->fn || strcmp(w->fn->name, "where") != 0 || w->nargs != 1 || w->fast)
		return false;
	const char *element = coding_of(w->left, q->type);
	fp_codes set = {0};
	if (!element || coding_codes(w->args[0], &set) != 1)
		return false;
	q->element = element;
	memcpy(q->code, set.code, set.ncodes * sizeof set.code[0]);
	q->ncodes = set.ncodes;
	return true;
}

/* Whether c is code.memberOf('vs') (code a CodeableConcept of q->type, vs a string literal): vs in *q. */
static bool member_conjunct(const fp_node *c, fp_codes *q)
{
	if (!c || c->kind != FN_CALL || !c->fn || strcmp(c->fn->name, "memberOf") != 0 || c->nargs != 1 || c->fast ||
	    !own_member(c->left, "code") || !plain_element(q->type, "code", "CodeableConcept"))
		return false;
	const fp_node *a = c->args[0];
	if (!a || a->kind != FN_LITERAL || a->lit.kind != MN_FP_STRING || (a->lit.flags & FPI_NOVALUE))
		return false;
	q->element = "code";
	q->vs = a->lit.v.str.s;  /* NUL-terminated, as fn_memberOf reads it */
	q->ncodes = 0;
	return true;
}

/* The conjuncts of c (an and-tree) in the order the evaluation meets them, up to
 * the first coded one: false when there is none (or too many before it). */
static int find_coded(const fp_node *c, fp_codes *q)
{
	if (c && c->kind == FN_BINOP && c->op == OP_AND) {
		int r = find_coded(c->left, q);
		return r ? r : find_coded(c->right, q);
	}
	if (coded_conjunct(c, q) || member_conjunct(c, q))
		return 1;
	if (q->npre == FP_CODES_PRE_MAX)
		return -1;
	q->pre[q->npre++] = c;
	return 0;
}


/* At compile time: mark n FP_FAST_WHERE_CODE when it is X.where(c), X a type name FP_FAST_TYPE answers
 * or Bundle.entry.resource.ofType(X) (or .where(resourceType = 'X'), X an exact type), c an and-tree with a
 * conjunct coded_conjunct or member_conjunct reads, or c as a whole what equals_conjunct reads. 0, or -1 out
 * of memory. */
static int mark_coded(mn_fp_expr *e, fp_node *n)
{
	const fp_node *x = n->left;
	bool bundle = x && (x->fast == FP_FAST_OFTYPE || x->fast == FP_FAST_WHERE_RT);
	if (strcmp(n->fn->name, "where") != 0 || n->nargs != 1 || n->fast || !x ||
	    !(bundle || (x->fast == FP_FAST_TYPE && !x->left && x->type_first)) || !exact_resource_type(x->fast_type))
		return 0;
	const mn_fhir_type *cc = mn_fhir_type_find("CodeableConcept", 15), *coding = mn_fhir_type_find("Coding", 6);
	if (!plain_element(cc, "coding", "Coding") || !plain_element(coding, "code", "code") ||
	    !plain_element(coding, "system", "uri"))
		return 0;
	fp_codes q = {0};
	q.type = x->fast_type;
	q.bundle = bundle;
	if (!equals_conjunct(n->args[0], &q) && find_coded(n->args[0], &q) != 1)
		return 0;
	q.element_len = (uint32_t)strlen(q.element);
	if (!q.equals && !q.vs && coded_conjunct(n->args[0], &(fp_codes){.type = q.type}))
		q.k = n->args[0]->left->args[0];  /* E.coding.where(k).exists() is all of c */
	fp_codes *qa = mn_arena_alloc(e->arena, sizeof *qa);
	if (!qa)
		return -1;
	*qa = q;
	n->codes = qa;
	n->fast = FP_FAST_WHERE_CODE;
	return 0;
}

/* c over the one item of s, as a where() criterion: fp_truth's answer (1, 0, -1 empty; < -1 error). */
static int truth_of(fp_ctx *x, const fp_node *c, const fp_scope *s)
{
	fp_coll r = {0};
	return fp_eval(x, c, s, &r) ? -2 : fp_truth(x, c, &r);
}

/* code.memberOf(vs) (member_conjunct) over nt resources: a byte per case position, 1 where the index by
 * code lists a resource with one of vs's codes in code.coding, or cannot read its code; NULL when the
 * environment does not list vs's codes (no hook; not a list of codes; unknown: the general path says so),
 * when there are more than 4 per resource (a lookup per code would cost more than memberOf on each), or
 * out of memory. */
static const uint8_t *member_marks(fp_ctx *x, const char *vs, size_t nt)
{
	const mn_fp_env *env = x->env;
	mn_fp_codes list;
	if (!env || !env->member || !env->codes || env->codes(env->member_payload, vs, &list) != 1 || !list.code ||
	    list.n > 4 * nt)
		return NULL;
	size_t np = mn_case_count(x->kase);
	uint8_t *mark = mn_arena_calloc(x->a, np ? np : 1, 1);
	const uint32_t *pos, *unread;
	size_t k, nu;
	if (!mark || !mn_case_coded(x->kase, "code", "", 0, &pos, &k, &unread, &nu))
		return NULL;
	for (size_t j = 0; j < nu; j++)
		mark[unread[j]] = 1;
	for (size_t i = 0; i < list.n; i++) {
		const char *code = list.code(list.list, i);
		if (!code || !mn_case_coded(x->kase, "code", code, strlen(code), &pos, &k, &unread, &nu))
			return NULL;
		for (size_t j = 0; j < k; j++)
			mark[pos[j]] = 1;
	}
	return mark;
}

/* Whether code.memberOf() over resource r, which the index read plainly and does not list, is false
 * without error: its code one CodeableConcept (alone, or the one item of an array) with a coding (an
 * array of codings, as the index read it, none with a code of the set: a member has one of those codes).
 * Not so, the whole criterion is evaluated: no code (memberOf is empty, and `and` then evaluates what
 * follows), several CodeableConcepts (memberOf's error), a concept without coding (memberOf reads its own
 * system and code). */
static bool member_false(const mn_json *r)
{
	if (!r || r->type != MN_JSON_OBJECT)
		return false;
	const mn_json *v = NULL;
	for (uint32_t i = 0; i < r->n && !v; i++)
		if (r->u.members[i].key_len == 4 && memcmp(r->u.members[i].key, "code", 4) == 0)
			v = &r->u.members[i].value;
	if (v && v->type == MN_JSON_ARRAY)
		v = v->n == 1 ? &v->u.items[0] : NULL;
	return v && v->type == MN_JSON_OBJECT && mn_json_getn(v, "coding", 6) != NULL;
}

/* The members of object o named name (len bytes): their values in turn, from *i on (start at 0); NULL after
 * the last (at once after the first when the parser found o's keys unique). */
static const mn_json *next_named(const mn_json *o, const char *name, size_t len, uint32_t *i)
{
	const mn_json_member *m = o->u.members;
	for (uint32_t k = *i; k < o->n; k++)
		if (m[k].key_len == len && m[k].key[0] == name[0] && memcmp(m[k].key, name, len) == 0) {
			bool unique = (o->flags & (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE)) == (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE);
			*i = unique ? o->n : k + 1;
			return &m[k].value;
		}
	*i = o->n;
	return NULL;
}

/* Whether coding object k's code and system members are at most one string each: its code's position among
 * its members, k->n when it has none, -1 when not (given twice, an array, a number: `in` over several items
 * fails). */
static long coding_plain(const mn_json *k)
{
	unsigned ncode = 0, nsys = 0;
	long at = k->n;
	for (uint32_t i = 0; i < k->n; i++) {
		const mn_json_member *m = &k->u.members[i];
		bool code = m->key_len == 4 && memcmp(m->key, "code", 4) == 0;
		bool sys = m->key_len == 6 && memcmp(m->key, "system", 6) == 0;
		if ((code || sys) && m->value.type != MN_JSON_STRING)
			return -1;
		if ((code && ++ncode > 1) || (sys && ++nsys > 1))
			return -1;
		if (code)
			at = i;
	}
	return at;
}

/* k (coding_codes's form) over a plain coding object (coding_plain): 1 true, 0 false, -1 empty, as the
 * evaluation gives it (never an error there). */
static int k_value(const fp_node *k, const mn_json *coding)
{
	if (k->op == OP_AND || k->op == OP_OR) {
		int l = k_value(k->left, coding), r = k_value(k->right, coding);
		if (k->op == OP_AND)
			return l == 0 || r == 0 ? 0 : l == 1 && r == 1 ? 1 : -1;
		return l == 1 || r == 1 ? 1 : l == 0 && r == 0 ? 0 : -1;
	}
	const fp_node *m = k->left, *v = k->right;
	if (k->op == OP_EQ && m && m->kind == FN_LITERAL)
		m = k->right, v = k->left;
	fp_coll lits;
	if (!const_coll(v, &lits))
		return -1;  /* not met: coding_codes accepted k */
	const mn_json *s = mn_json_getn(coding, m->name, m->name_len);
	if (!s)
		return -1;
	for (uint32_t i = 0; i < lits.n; i++)
		if (lits.v[i].v.str.n == s->n && memcmp(lits.v[i].v.str.s, s->u.s, s->n) == 0)
			return 1;
	return 0;
}

/* Reads resource object r (an item typed q->type) for the coded conjunct: 0 when r is plain and none of its
 * codings (in its element q->element) has one of q's codes: E.coding.code has none of them (E.coding.code = 'C'
 * is false or empty) and E.coding.where(k).exists() is false (k is true only with one of them), without
 * error (the elements are the model's, the values plain strings); 1 when plain with one of them; -1 when not
 * plain: evaluate. Plain: no "_" members (a primitive's id and extensions, which the evaluation reads too) in
 * r, in each of r's members named E (an object or an array of objects) and in each of their "coding" members
 * (an array of objects, or one), whose code and system are plain (coding_plain). value (when the coded
 * conjunct is all of c: fp_codes.equals or k), plain: c's value there, 1 true, 0 false or empty. */
static int coded_scan(const mn_json *r, const fp_codes *q, int *value)
{
	if (!r || r->type != MN_JSON_OBJECT || has_underscore(r))
		return -1;
	unsigned codes = 0, has = 0, any = 0;
	uint32_t i = 0;
	for (const mn_json *e; (e = next_named(r, q->element, q->element_len, &i));) {
		uint32_t ne = e->type == MN_JSON_ARRAY ? e->n : 1;
		for (uint32_t a = 0; a < ne; a++) {
			const mn_json *cc = e->type == MN_JSON_ARRAY ? &e->u.items[a] : e;
			if (cc->type != MN_JSON_OBJECT || has_underscore(cc))
				return -1;
			uint32_t j = 0;
			for (const mn_json *cd; (cd = next_named(cc, "coding", 6, &j));) {
				uint32_t nk = cd->type == MN_JSON_ARRAY ? cd->n : 1;
				for (uint32_t b = 0; b < nk; b++) {
					const mn_json *k = cd->type == MN_JSON_ARRAY ? &cd->u.items[b] : cd;
					long at;
					if (k->type != MN_JSON_OBJECT || has_underscore(k) || (at = coding_plain(k)) < 0)
						return -1;
					const mn_json *code = at < k->n ? &k->u.members[at].value : NULL;
					unsigned h = 0;
					for (unsigned c = 0; code && c < q->ncodes; c++)
						h += code->n == q->code[c].n && memcmp(code->u.s, q->code[c].s, code->n) == 0;
					codes += code != NULL;
					has += h;
					any += h && value && q->k && k_value(q->k, k) == 1;  /* k needs one of the codes */
				}
			}
		}
	}
	if (value)
		*value = q->k ? any > 0 : codes == 1 && has == 1;
	return has > 0;
}

/* The scope of an iteration over *cur, the item at index of its input, within s. */
static fp_scope item_scope(mn_fp_item *cur, int64_t index, const fp_scope *s)
{
	fp_scope s1;
	s1.self.v = cur;
	s1.self.n = s1.self.cap = 1;
	s1.index = index;
	s1.total = s->total;
	return s1;
}

/* where()'s criterion over it, the item at index of its input, as filter() evaluates it: 1 true, 0 not
 * (false or empty), -1 error. */
static int where_one(fp_ctx *x, const fp_node *n, const mn_fp_item *it, int64_t index, const fp_scope *s)
{
	int f = n->eqs ? fp_where_fast(x, n, it) : -1;
	if (f >= 0)
		return f;
	mn_fp_item cur = *it;
	fp_scope s1 = item_scope(&cur, index, s);
	int t = truth_of(x, n->args[0], &s1);
	return t < -1 ? -1 : t == 1;
}

static int member_string(const fp_ctx *x, const fp_node *m, const mn_fp_item *it, const mn_json **v);

/* When conjunct c is `member = 'lit'`, `!=` or `member in ('a' | 'b')` (eqfast 1 or 2, the literals Strings
 * with values): the member; else NULL. */
static const fp_node *eq_member(const fp_node *c)
{
	if (c->kind != FN_BINOP || (c->eqfast != 1 && c->eqfast != 2) || !c->eqstr)
		return NULL;
	return c->eqfast == 1 ? c->left : c->right;
}

/* Whether conjunct c over item it certainly evaluates without error: c is of eq_member's form and
 * member_string decides the member there (at most one plain string): eq_fast then answers true, false or
 * empty. */
static bool cannot_fail(const fp_ctx *x, const fp_node *c, const mn_fp_item *it)
{
	const mn_json *v;
	const fp_node *m = eq_member(c);
	return m && member_string(x, m, it, &v) == 1;
}

/* where(c) (FP_FAST_WHERE_CODE) over it, the item at index of its input: when it may pass (listed), all of c, as
 * filter() evaluates it, it pushed onto out when true; otherwise (the coded conjunct is not true there, without
 * error, so neither is c) the conjuncts before the coded one, for their errors (stopping at the first false,
 * as `and` does), unless none of them can fail there (cannot_fail). 0, or -1 on error. */
static int coded_one(fp_ctx *x, const fp_node *n, const mn_fp_item *it, int64_t index, const fp_scope *s, bool listed,
                     fp_coll *out)
{
	if (listed) {
		int t = where_one(x, n, it, index, s);
		return t < 0 || (t == 1 && fp_push(x, out, it)) ? -1 : 0;
	}
	/* none of the conjuncts before can fail here: whichever stops `and`, nothing is raised and nothing kept */
	unsigned j = 0;
	while (j < n->codes->npre && cannot_fail(x, n->codes->pre[j], it))
		j++;
	x->work += j;
	if (j == n->codes->npre)
		return 0;
	mn_fp_item cur = *it;
	fp_scope s1 = item_scope(&cur, index, s);
	for (j = 0; j < n->codes->npre; j++) {
		int t = truth_of(x, n->codes->pre[j], &s1);
		if (t < -1)
			return -1;
		if (t == 0)
			break;
	}
	return 0;
}

/* X.where(c) (FP_FAST_WHERE_CODE) over the case's nt resources of type X, at the case positions idx[0..nt), item i
 * being items[idx[i]] (mapped) or items[i]: a resource the case's index by code does not list for any of the
 * codes (and reads plainly) has no coding the coded conjunct accepts, so that conjunct is false there (or
 * empty, for equals_conjunct, which is then all of c), without error, and c is not true; only the conjuncts
 * before it are evaluated there, for their errors (and stop at the first false, as `and` does). Every
 * resource listed gets the whole of c, as filter() evaluates it ($index its position among the X). The coded
 * conjunct code.memberOf('vs'): the codes are vs's (member_marks), and a resource not listed gets the whole
 * of c too unless member_false says the conjunct is false there. 1 when the index cannot answer (evaluate as
 * usual), else 0 or -1. */
static int coded_filter(fp_ctx *x, const fp_node *n, const fp_scope *s, const mn_fp_item *items, bool mapped,
                        const uint32_t *idx, size_t nt, fp_coll *out)
{
	const fp_codes *q = n->codes;
	const uint32_t *lp[FP_CODES_MAX + 1];
	size_t ln[FP_CODES_MAX + 1];
	const uint8_t *mark = NULL;
	if (q->vs && !(mark = member_marks(x, q->vs, nt)))
		return 1;
	for (unsigned i = 0; i < q->ncodes; i++)
		if (!mn_case_coded(x->kase, q->element, q->code[i].s, q->code[i].n, &lp[i], &ln[i], &lp[q->ncodes],
		                   &ln[q->ncodes]))
			return 1;
	x->work += nt;  /* the items the general path would have stepped through */
	/* the conjuncts before the coded one all of eq_member's form (`status in (...)`): over a resource not
	 * listed, whether none can fail (cannot_fail) is their members read, here (coded_one asks again when
	 * one can) */
	const fp_node *pm[FP_CODES_PRE_MAX];
	bool eqs = true;
	for (unsigned j = 0; j < q->npre; j++)
		eqs = eqs && (pm[j] = eq_member(q->pre[j])) != NULL;
	for (size_t i = 0; i < nt; i++) {
		uint32_t p = idx[i];
		const mn_fp_item *it = &items[mapped ? p : i];
		bool listed = false;
		for (unsigned l = 0; l <= q->ncodes && !mark; l++) {
			while (ln[l] && *lp[l] < p)
				lp[l]++, ln[l]--;
			listed = listed || (ln[l] && *lp[l] == p);
		}
		if (mark)
			listed = mark[p] || !member_false(it->node);
		if (!listed && eqs) {
			unsigned j = 0;
			const mn_json *v;
			while (j < q->npre && member_string(x, pm[j], it, &v) == 1)
				j++;
			if (j == q->npre) {
				x->work += j;  /* as coded_one counts them */
				continue;
			}
		}
		if (coded_one(x, n, it, (int64_t)i, s, listed, out))
			return -1;
	}
	return 0;
}

/* FP_FAST_WHERE_CODE: X.where(c) when X is the case's resources of type X (as eval_first_member's index
 * answers it): coded_filter over the context's items. 1 when the input is not that (evaluate as usual), else
 * coded_filter's answer. */
static int where_coded(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	const fp_coll *ctx = &x->context;
	if (!n->codes || s->self.v != ctx->v || s->self.n != ctx->n || !x->case_list || x->plain || !x->kase ||
	    ctx->n != mn_case_count(x->kase))
		return 1;
	size_t nt;
	const uint32_t *idx = mn_case_of_type(x->kase, n->codes->type, &nt);
	return coded_filter(x, n, s, ctx->v, true, idx, nt, out);
}

/* FP_FAST_WHERE_CODE with fp_codes.bundle: X.where(c) over in (Bundle.entry.resource.ofType(X), evaluated as
 * usual). With the expression's codes, no index: an item typed X whose JSON coded_scan clears gets only
 * the conjuncts before the coded one (coded_one), any other item all of c; where the coded conjunct is all
 * of c, a plain item's value is coded_scan's. With code.memberOf('vs') (the
 * codes from the environment: member_marks reads the index), when in is item by item the case's resources
 * of type X, in case order (their nodes, typed X; from the case's root Bundle, or any tree whose resources
 * of type X are the case's: an as-of view that leaves none of them out): coded_filter over in. 1 when in is
 * anything else (evaluate as usual), else 0 or -1. */
static int where_listed(fp_ctx *x, const fp_node *n, const fp_scope *s, const fp_coll *in, fp_coll *out)
{
	const fp_codes *q = n->codes;
	if (x->plain)
		return 1;
	if (!q->vs) {
		/* the codes are the expression's: each item's JSON says whether it may have one (no index to make) */
		x->work += in->n;  /* the items the general path would have stepped through */
		for (uint32_t i = 0; i < in->n; i++) {
			const mn_fp_item *it = &in->v[i];
			int v = 0, plain = it->kind == MN_FP_NODE && it->ftype == q->type
			                   ? coded_scan(it->node, q, q->equals || q->k ? &v : NULL) : -1;
			if (plain >= 0 && (q->equals || q->k)) {
				/* c is all the coded conjunct: its value from the JSON */
				if (v == 1 && fp_push(x, out, it))
					return -1;
				continue;
			}
			if (coded_one(x, n, it, (int64_t)i, s, plain != 0, out))
				return -1;
		}
		return 0;
	}
	if (!x->kase)
		return 1;
	size_t nt;
	const uint32_t *idx = mn_case_of_type(x->kase, q->type, &nt);
	if (in->n != nt)
		return 1;
	for (size_t i = 0; i < nt; i++)
		if (in->v[i].kind != MN_FP_NODE || in->v[i].ftype != q->type ||
		    in->v[i].node != mn_case_get(x->kase, idx[i])->json)
			return 1;
	return coded_filter(x, n, s, in->v, false, idx, nt, out);
}

/* ---- constant subexpressions ------------------------------------------------ */

/* What a subexpression's value depends on besides the literals in it (const_deps). With none of
 * these it is the same at every evaluation: fp_fold_constants computes it once, when compiled. */
enum {
	DEP_THIS = 1,   /* the $this of the scope it is evaluated in: $this, or a member or function
	                   with nothing written before it (name, exists()) */
	DEP_INDEX = 2,  /* $index */
	DEP_OTHER = 4   /* anything else: $total, a variable, a function that is not FPF_PURE, an error */
};

static unsigned const_deps(const fp_node *n)
{
	if (!n)
		return 0;  /* a type argument (is, as, ofType) */
	switch (n->kind) {
	case FN_LITERAL:
	case FN_EMPTY:
	case FN_CONST:
		return 0;
	case FN_THIS:
		return DEP_THIS;
	case FN_INDEX:
		return DEP_INDEX;
	case FN_MEMBER:
		return n->left ? const_deps(n->left) : DEP_THIS;
	case FN_CALL: {
		if (!n->fn || !(n->fn->flags & FPF_PURE))
			return DEP_OTHER;
		if (!n->left)
			return DEP_THIS;  /* its input is $this */
		unsigned d = const_deps(n->left);
		for (unsigned i = 0; i < n->nargs && !(d & DEP_OTHER); i++) {
			unsigned a = const_deps(n->args[i]);
			if (n->fn->flags & FPF_ITEMS)
				a &= ~(unsigned)(DEP_THIS | DEP_INDEX);  /* $this and $index are the input's items */
			else if (n->fn->flags & FPF_INPUT)
				a &= ~(unsigned)DEP_THIS;  /* $this is the input */
			d |= a;
		}
		return d;
	}
	case FN_INDEXER:
	case FN_BINOP:
		return const_deps(n->left) | const_deps(n->right);
	case FN_NEG:
	case FN_POS:
	case FN_IS:
	case FN_AS:
		return const_deps(n->left);
	default:  /* FN_TOTAL, FN_VAR, FN_ERROR */
		return DEP_OTHER;
	}
}

/* The most evaluation steps and arena bytes one constant subexpression may take when compiled: one that
 * needs more (which every evaluation would pay for) is left to the evaluations, as written. */
#define FOLD_WORK 100000
#define FOLD_MEMORY ((size_t)1 << 20)

/* n (its value c, computed) becomes the node of that value: {}, a literal or FN_CONST, its items' strings
 * copied into the expression's arena. 1 done, 0 left as written (an item that is not plain System data:
 * read from nowhere, as a literal is), -1 out of memory. */
static int set_value(mn_fp_expr *e, fp_node *n, const fp_coll *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		const mn_fp_item *it = &c->v[i];
		if (it->kind == MN_FP_NODE || it->node || it->ext || it->res || it->ftype || (it->flags & FPI_NOVALUE))
			return 0;
	}
	mn_fp_item *v = c->n ? mn_arena_alloc(e->arena, c->n * sizeof *v) : NULL;
	if (c->n && !v)
		return -1;
	for (uint32_t i = 0; i < c->n; i++) {
		v[i] = c->v[i];
		if (v[i].kind == MN_FP_STRING && !(v[i].v.str.s = mn_arena_strndup(e->arena, c->v[i].v.str.s, c->v[i].v.str.n)))
			return -1;  /* NUL-terminated, as the parser's string literals (fn_memberOf reads them so) */
		if (v[i].kind == MN_FP_QUANTITY && v[i].unit && !(v[i].unit = mn_arena_strdup(e->arena, v[i].unit)))
			return -1;
	}
	fp_coll *k = NULL;
	if (c->n > 1) {
		if (!(k = mn_arena_alloc(e->arena, sizeof *k)))
			return -1;
		k->v = v;
		k->n = k->cap = c->n;  /* shared: a push onto it copies */
	}
	/* what the node was is gone: nothing evaluates or inspects it again */
	n->kind = c->n == 0 ? FN_EMPTY : c->n == 1 ? FN_LITERAL : FN_CONST;
	if (c->n == 1)
		n->lit = v[0];
	n->folded = k;
	n->op = 0;
	n->nargs = 0;
	n->left = n->right = NULL;
	n->args = NULL;
	n->name = NULL;
	n->name_len = 0;
	n->fn = NULL;
	n->type = NULL;
	n->type_first = false;
	n->first_type = n->st_type = NULL;
	n->st_el = NULL;
	n->re = NULL;
	n->need = NULL;
	return 1;
}

/* Evaluate the constant subexpression n once (no input, no environment; in tmp, the pass's arena) and make
 * it its value: 1 done, 0 left as written (an error, which each evaluation then reports as before; more
 * than FOLD_WORK steps or FOLD_MEMORY bytes; a value set_value keeps as written), -1 out of memory. */
static int fold_node(mn_fp_expr *e, mn_arena *tmp, fp_node *n)
{
	mn_error err;
	mn_error_clear(&err);
	fp_ctx x;
	memset(&x, 0, sizeof x);
	x.a = tmp;
	x.err = &err;
	x.expr = e;
	x.plain = (e->flags & MN_FP_MODEL_NONE) != 0;
	x.lenient = (e->flags & MN_FP_LENIENT) != 0;
	x.work = FP_WORK_BUDGET - FOLD_WORK;
	/* fp_check_memory fails past FP_MEMORY_BUDGET bytes over mem0: this one past FOLD_MEMORY (size_t
	 * arithmetic wraps alike on both sides of the subtraction) */
	x.mem0 = mn_arena_used(tmp) - (FP_MEMORY_BUDGET - FOLD_MEMORY);
	fp_scope s;
	memset(&s, 0, sizeof s);
	s.index = -1;
	fp_coll c = {0};
	if (fp_eval(&x, n, &s, &c) == 0)
		return set_value(e, n, &c);
	return err.code == MN_ENOMEM ? -1 : 0;
}

/* *tmp: the pass's arena, made at the first constant */
static int fold_constants(mn_fp_expr *e, mn_arena **tmp, fp_node *n)
{
	if (!n || n->kind == FN_LITERAL || n->kind == FN_EMPTY || n->kind == FN_CONST)
		return 0;
	if (const_deps(n) == 0) {
		if (!*tmp && !(*tmp = mn_arena_new()))
			return -1;
		int r = fold_node(e, *tmp, n);
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (fold_constants(e, tmp, n->left) || fold_constants(e, tmp, n->right))
		return -1;
	for (unsigned i = 0; n->kind == FN_CALL && i < n->nargs; i++)
		if (fold_constants(e, tmp, n->args[i]))
			return -1;
	return 0;
}

int fp_fold_constants(mn_fp_expr *e)
{
	mn_arena *tmp = NULL;
	int rc = fold_constants(e, &tmp, e->root);
	mn_arena_free(tmp);
	return rc;
}

/* Whether n is a plain member step on $this (no path before it, no index or variable answers it). */
static bool own_step(const fp_node *n)
{
	return n && n->kind == FN_MEMBER && !n->left && !n->fast && !n->invar && n->name_len;
}

int fp_fold(mn_fp_expr *e, fp_node *n)
{
	if (!n)
		return 0;
	if (fp_fold(e, n->left) || fp_fold(e, n->right))
		return -1;
	for (unsigned i = 0; n->kind == FN_CALL && i < n->nargs; i++)
		if (fp_fold(e, n->args[i]))
			return -1;
	if (n->kind == FN_MEMBER && n->st_type && n->st_el) {
		const mn_fhir_element *el = n->st_el;
		const mn_fhir_type *ct = !el->choice && el->ntypes == 1 ? el->types[0] : NULL;
		n->st_string = ct && ct->kind == MN_FHIR_PRIMITIVE && system_kind(ct->system_type) == MN_FP_STRING;
	}
	if (n->kind == FN_MEMBER && !n->fast && n->left &&
	    (n->left->kind == FN_VAR || (n->left->kind == FN_MEMBER && n->left->invar))) {
		/* %v.a.b: only the longest path is remembered */
		n->invar = true;
		n->left->invar = false;
		return 0;
	}
	if (n->kind == FN_CALL && n->fn && n->nargs == 0 && strcmp(n->fn->name, "exists") == 0 && !n->fast &&
	    !(e->flags & (MN_FP_MODEL_NONE | MN_FP_LENIENT))) {
		/* E.coding.where(k).exists(): coding_exists_fast */
		const fp_node *w = n->left;
		fp_codes q = {0};
		if (w && w->kind == FN_CALL && w->fn && w->nargs == 1 && !w->fast && strcmp(w->fn->name, "where") == 0 &&
		    w->left && w->left->kind == FN_MEMBER && !w->left->fast && !w->left->invar &&
		    name_is(w->left, "coding") && own_step(w->left->left) && coding_codes(w->args[0], &q) == 1) {
			const fp_node *m = w->left->left;
			fp_codes *qa = mn_arena_alloc(e->arena, sizeof *qa);
			char *name = mn_arena_strndup(e->arena, m->name, m->name_len);
			if (!qa || !name)
				return -1;
			q.element = name;
			q.element_len = m->name_len;
			q.k = w->args[0];
			*qa = q;
			n->codes = qa;
			n->mfast = 3;
		}
		return 0;
	}
	if (n->kind == FN_CALL && n->fn && n->nargs == 1 && strcmp(n->fn->name, "memberOf") == 0 && !n->fast &&
	    n->args[0]->kind == FN_LITERAL && n->args[0]->lit.kind == MN_FP_STRING &&
	    !(n->args[0]->lit.flags & FPI_NOVALUE) && !(e->flags & (MN_FP_MODEL_NONE | MN_FP_LENIENT))) {
		/* code.memberOf('vs'), medication.ofType(CodeableConcept).memberOf('vs'): member_of_fast */
		const fp_node *l = n->left;
		if (own_step(l))
			n->mfast = 1;
		else if (l && l->kind == FN_CALL && l->fn && l->nargs == 1 && l->type && !l->fast &&
		         strcmp(l->fn->name, "ofType") == 0 && own_step(l->left))
			n->mfast = 2;
		return 0;
	}
	if (n->kind == FN_CALL && n->fn && n->nargs == 1 && n->type && !n->type->unknown &&
	    strcmp(n->fn->name, "ofType") == 0 && n->left && n->left->kind == FN_MEMBER && !n->left->fast &&
	    !n->left->invar && !n->left->type_first && !(e->flags & MN_FP_MODEL_NONE)) {
		/* x.effective.ofType(dateTime): the member step makes only what ofType can keep */
		n->prune_left = true;
		return 0;
	}
	if (n->kind == FN_CALL && n->fn && n->nargs == 1 && !(e->flags & MN_FP_MODEL_NONE) &&
	    (strcmp(n->fn->name, "where") == 0 || strcmp(n->fn->name, "exists") == 0)) {
		fp_eqs q = {0};
		if (!collect_eqs(n->args[0], &q))
			return mark_coded(e, n);
		fp_eqs *qa = mn_arena_alloc(e->arena, sizeof *qa);
		if (!qa)
			return -1;
		*qa = q;
		n->eqs = qa;
		return mark_coded(e, n);  /* where(code.coding.code = 'C') */
	}
	fp_coll a, b;
	if (n->kind == FN_BINOP && (n->op == OP_EQ || n->op == OP_NE || n->op == OP_IN) &&
	    !(e->flags & MN_FP_MODEL_NONE)) {
		const fp_node *l = n->left, *r = n->right;
		bool lm = member_path(l), rm = member_path(r);
		if (lm && const_coll(r, &b))
			n->eqfast = 1;
		else if (rm && n->op != OP_IN && const_coll(l, &a))
			n->eqfast = 2;
		if (n->eqfast == 1 || n->eqfast == 2) {
			const fp_coll *k = n->eqfast == 1 ? &b : &a;
			n->eqstr = true;
			for (uint32_t i = 0; i < k->n; i++)
				n->eqstr &= k->v[i].kind == MN_FP_STRING && !(k->v[i].flags & FPI_NOVALUE);
		}
		else if (n->op == OP_IN && l && l->kind == FN_BINOP && l->op == OP_CONCAT && l->left &&
		         l->left->kind == FN_LITERAL && l->left->lit.kind == MN_FP_STRING && member_path(l->right))
			n->eqfast = 3;  /* ('Observation/' & id) in %list: in_fast */
		return 0;
	}
	return 0;
}

/* Path m (a member of $this, or a chain of members from $this: code.coding.code)
 * over item it, when fp_member would make at most one String item: 1 with *v
 * the JSON string (NULL when the path gives nothing); 0 when it is anything
 * else (not a typed object, a "_name" sibling, a choice, a resource-typed
 * step, a type that is not a string at the end or not complex before it, a
 * null, several strings, a type name that may filter by type): evaluate as
 * usual. */
#define PATH_OBJECTS 16
static int path_objects(const fp_ctx *x, const fp_node *m, const mn_fp_item *it, const mn_json **objs,
                        const mn_fhir_type **types, unsigned *cnt);

/* The element of the typed object obj that member node m names, when it is no
 * choice and has one type; NULL otherwise (or when obj has "_name" siblings). */
/* Whether member node m is a type name that may filter $this, typed T, by type (eval_first_member). */
static inline bool type_filter(const fp_node *m, const mn_fhir_type *T)
{
	return !m->left && m->type_first && (!m->first_type || m->first_type->kind == MN_FHIR_RESOURCE ||
	                                     T == m->first_type || mn_fhir_type_is_a(T, m->first_type));
}

static inline const mn_fhir_element *path_element(const fp_node *m, const mn_json *obj,
                                                  const mn_fhir_type *T)
{
	if (has_underscore(obj) || type_filter(m, T))
		return NULL;
	const mn_fhir_element *el = m->st_type == T ? m->st_el : node_element(m, T, m->name, m->name_len);
	return el && !el->choice && el->ntypes == 1 && el->types[0] ? el : NULL;
}

static inline bool named(const mn_json_member *mm, const fp_node *m)
{
	return mm->key_len == m->name_len && mm->key[0] == m->name[0] && memcmp(mm->key, m->name, m->name_len) == 0;
}

/* $this as the one typed object of a path: 1, or 0 when it is not one. */
static inline bool typed_object(const fp_ctx *x, const mn_fp_item *it)
{
	return !x->plain && it->kind == MN_FP_NODE && it->ftype && !(it->flags & (FPI_TYPEINFO | FPI_NOVALUE)) &&
	       it->node && it->node->type == MN_JSON_OBJECT;
}

static inline int this_object(const fp_ctx *x, const mn_fp_item *it, const mn_json **objs,
                              const mn_fhir_type **types, unsigned *cnt)
{
	if (!typed_object(x, it))
		return 0;
	objs[0] = it->node;
	types[0] = it->ftype;
	*cnt = 1;
	return 1;
}

static int path_objects(const fp_ctx *x, const fp_node *m, const mn_fp_item *it, const mn_json **objs,
                        const mn_fhir_type **types, unsigned *cnt)
{
	*cnt = 0;
	if (!m)
		return this_object(x, it, objs, types, cnt);
	if (m->kind != FN_MEMBER || m->fast || !m->name_len)
		return 0;
	const mn_json *po[PATH_OBJECTS];
	const mn_fhir_type *pt[PATH_OBJECTS];
	unsigned pn;
	if (!path_objects(x, m->left, it, po, pt, &pn))
		return 0;
	for (unsigned j = 0; j < pn; j++) {
		const mn_fhir_element *el = path_element(m, po[j], pt[j]);
		const mn_fhir_type *ct = el ? el->types[0] : NULL;
		if (!ct || ct->kind != MN_FHIR_COMPLEX)
			return 0;  /* primitives and resources (typed from the data): as usual */
		for (uint32_t i = 0; i < po[j]->n; i++) {
			const mn_json_member *mm = &po[j]->u.members[i];
			if (!named(mm, m))
				continue;
			const mn_json *v = &mm->value;
			uint32_t k = v->type == MN_JSON_ARRAY ? v->n : 1;
			for (uint32_t a = 0; a < k; a++) {
				const mn_json *o = v->type == MN_JSON_ARRAY ? &v->u.items[a] : v;
				if (o->type != MN_JSON_OBJECT || *cnt == PATH_OBJECTS)
					return 0;
				objs[*cnt] = o;
				types[*cnt] = ct;
				(*cnt)++;
			}
			if (po[j]->flags & MN_JSON_F_UNIQUE)
				break;  /* no other member has the name */
		}
	}
	return 1;
}

/* The String member m of the typed object obj into *v (fp_member: not a
 * choice, no "_name" siblings; each JSON string makes one String item): 1, or
 * 0 when it is not that or *v is already set (several strings). */
static inline int object_string(const fp_node *m, const mn_json *obj, const mn_fhir_type *T, const mn_json **v)
{
	if (m->st_string && m->st_type == T) {
		/* path_element's element is st_el, a String (fp_fold) */
		if (has_underscore(obj) || type_filter(m, T))
			return 0;
	} else {
		const mn_fhir_element *el = path_element(m, obj, T);
		const mn_fhir_type *ct = el ? el->types[0] : NULL;
		if (!ct || ct->kind != MN_FHIR_PRIMITIVE || system_kind(ct->system_type) != MN_FP_STRING)
			return 0;
	}
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *mm = &obj->u.members[i];
		if (!named(mm, m))
			continue;
		const mn_json *sv = &mm->value;
		if (sv->type == MN_JSON_ARRAY && sv->n == 1)
			sv = &sv->u.items[0];
		if (*v || sv->type != MN_JSON_STRING)
			return 0;  /* several strings, not a string, null: as usual */
		*v = sv;
		if (obj->flags & MN_JSON_F_UNIQUE)
			break;  /* no other member has the name */
	}
	return 1;
}

static int member_string(const fp_ctx *x, const fp_node *m, const mn_fp_item *it, const mn_json **v)
{
	*v = NULL;
	if (m->kind != FN_MEMBER || m->fast || !m->name_len)
		return 0;
	if (!m->left) {
		/* a member of $this (the common case) */
		return typed_object(x, it) && object_string(m, it->node, it->ftype, v);
	}
	const mn_json *po[PATH_OBJECTS];
	const mn_fhir_type *pt[PATH_OBJECTS];
	unsigned pn;
	if (!path_objects(x, m->left, it, po, pt, &pn))
		return 0;
	for (unsigned j = 0; j < pn; j++)
		if (!object_string(m, po[j], pt[j], v))
			return 0;
	return 1;
}

static bool same_string(const mn_json *v, const mn_fp_item *lit)
{
	return v->n == lit->v.str.n && memcmp(v->u.s, lit->v.str.s, v->n) == 0;
}

int fp_where_fast(fp_ctx *x, const fp_node *call, const mn_fp_item *it)
{
	const fp_eqs *q = call->eqs;
	if (!q || x->work + q->n > FP_WORK_BUDGET)
		return -1;
	bool all_true = true;
	for (unsigned k = 0; k < q->n; k++) {
		const mn_json *v;
		if (!member_string(x, q->t[k].member, it, &v))
			return -1;
		x->work++;
		if (!v)
			all_true = false;  /* empty = 'x' is empty: not true */
		else if (!same_string(v, q->t[k].lit))
			return 0;  /* false: the conjunction is false */
	}
	return all_true;
}

/* Whether t is CodeableConcept: the type found by its name once is then known by its address (the model is
 * static data, so threads share it with relaxed loads and stores, as fp_node.own_el). */
static bool is_concept(const mn_fhir_type *t)
{
	static _Atomic(const mn_fhir_type *) concept;
	if (t && t == atomic_load_explicit(&concept, memory_order_relaxed))
		return true;
	if (!t || strcmp(t->name, "CodeableConcept") != 0)
		return false;
	atomic_store_explicit(&concept, t, memory_order_relaxed);
	return true;
}

/* n is E.memberOf('vs') (n->mfast 1: E a member of $this that is no choice and has the one type
 * CodeableConcept) or E.ofType(CodeableConcept).memberOf('vs') (2: E a choice element of $this with
 * CodeableConcept among its types, its JSON name E + "CodeableConcept"): when $this is one typed object
 * without "_" members and E gives at most one JSON object there (an object, or an array of one, or
 * nothing), memberOf's answer over that object as fn_memberOf gives it (fp_member_of_concept), without
 * making the items; nothing when E gives nothing (memberOf over an empty input). Anything else (several
 * concepts: memberOf's error; a value that is no object; no terminology; a type name that may filter
 * $this; no model or the lenient names): 1, evaluate as usual. 0 done, -1 error. */
static int member_of_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out) __attribute__((noinline));
static int member_of_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	if (x->plain || x->lenient || s->self.n != 1 || !x->env || !x->env->member || !typed_object(x, &s->self.v[0]))
		return 1;
	const mn_json *obj = s->self.v[0].node, *cc = NULL;
	const mn_fhir_type *T = s->self.v[0].ftype;
	const fp_node *m = n->mfast == 1 ? n->left : n->left->left;
	if (n->mfast == 1) {
		const mn_fhir_element *el = path_element(m, obj, T);
		if (!el || !is_concept(el->types[0]))
			return 1;
		for (uint32_t i = 0; i < obj->n; i++) {
			const mn_json_member *mm = &obj->u.members[i];
			if (!named(mm, m))
				continue;
			const mn_json *v = &mm->value;
			uint32_t k = v->type == MN_JSON_ARRAY ? v->n : 1;
			for (uint32_t a = 0; a < k; a++) {
				const mn_json *o = v->type == MN_JSON_ARRAY ? &v->u.items[a] : v;
				if (o->type != MN_JSON_OBJECT || cc)
					return 1;
				cc = o;
			}
			if (obj->flags & MN_JSON_F_UNIQUE)
				break;  /* no other member has the name */
		}
	} else {
		const fp_typespec *t = n->left->type;
		if (t->unknown || !is_concept(t->ftype) || has_underscore(obj) || type_filter(m, T))
			return 1;
		const mn_fhir_element *el = node_element(m, T, m->name, m->name_len);
		bool has = false;
		for (unsigned i = 0; el && el->choice && i < el->ntypes && !has; i++)
			has = is_concept(el->types[i]);
		if (!has)
			return 1;
		for (uint32_t i = 0; i < obj->n; i++) {
			const mn_json_member *mm = &obj->u.members[i];
			if (mm->key_len != m->name_len + 15 || memcmp(mm->key, m->name, m->name_len) != 0 ||
			    memcmp(mm->key + m->name_len, "CodeableConcept", 15) != 0)
				continue;
			if (mm->value.type != MN_JSON_OBJECT || cc)
				return 1;
			cc = &mm->value;
		}
	}
	x->work += 2;
	return cc && fp_member_of_concept(x, n, n->args[0]->lit.v.str.s, cc, out) ? -1 : 0;
}

/* n is E.coding.where(k).exists() (n->mfast 3), E a member of $this, k over a Coding's code and system only
 * implying the code is one of some (coding_codes 1; n->codes: E and k, fp_fold): when $this is one typed
 * object, E an element that is no choice and has the one type CodeableConcept (path_element: no "_" members,
 * no type name that may filter $this) and coded_scan reads $this plainly (E's values objects without "_"
 * members, their "coding" members objects or arrays of them without "_" members, whose code and system
 * are at most one string each), k is true, false or empty on each coding without error (k_value) and
 * exists() is whether it is true on one: coded_scan's value. Anything else: 1, evaluate as usual. 0 done,
 * -1 error. */
static int coding_exists_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out) __attribute__((noinline));
static int coding_exists_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	if (x->plain || x->lenient || s->self.n != 1 || !typed_object(x, &s->self.v[0]))
		return 1;
	const mn_json *obj = s->self.v[0].node;
	const mn_fhir_element *el = path_element(n->left->left->left, obj, s->self.v[0].ftype);
	int v = 0;
	if (!el || !is_concept(el->types[0]) || coded_scan(obj, n->codes, &v) < 0)
		return 1;
	x->work += 2;
	return push_bool(x, out, v == 1) ? -1 : 0;
}

/* n is `member = 'lit'`, `member != 'lit'` or `member in ('a' | 'b')` with the
 * member on $this (n->eqfast): the answer from the JSON string when $this is
 * one object member_string decides, as op_equality and op_membership give it.
 * 1 done, 0 not decided here, -1 error. */
static int eq_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	const fp_node *m = n->eqfast == 1 ? n->left : n->right;
	fp_coll k;
	const mn_json *v;
	if (s->self.n != 1 || !n->eqstr || !const_coll(n->eqfast == 1 ? n->right : n->left, &k) ||
	    !member_string(x, m, &s->self.v[0], &v))
		return 0;
	x->work += 2;
	if (!v || (n->op != OP_IN && k.n != 1))
		return v || k.n == 0 ? 0 : 1;  /* empty operand: empty */
	bool any = false;
	for (uint32_t i = 0; i < k.n && !any; i++)
		any = same_string(v, &k.v[i]);
	return push_bool(x, out, n->op == OP_NE ? !any : any) ? -1 : 1;
}

/* n is `('lit' & member) in E` with the member on $this (n->eqfast == 3: picking resources by id from a
 * list of references, `('Observation/' & id) in %scores.budapest.entries`): when member_string reads the
 * member as one JSON string, the left side is the literal's bytes and then the member's, without evaluating
 * the path; E is evaluated as usual, and the answer is op_membership's: E's Strings compared byte for byte
 * with those two parts, its other items with the String op_arith's `&` makes (fp_equal). The member absent or not plainly one string, or a long result (the general path's
 * limits and memory check): 0, nothing evaluated, the general path runs. 1 done, -1 error. */
static int in_fast(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	const mn_fp_item *lit = &n->left->left->lit;
	const mn_json *v;
	if (s->self.n != 1 || !member_string(x, n->left->right, &s->self.v[0], &v) || !v ||
	    (size_t)lit->v.str.n + v->n > 4096)
		return 0;
	/* E an invar path this evaluation has computed (one per item of a where(), the same every time): its
	 * value as eval_invar gives it, counted as that evaluation counts (a step, and fp_append's) */
	fp_coll b = {0};
	const fp_coll *known = NULL;
	for (unsigned i = 0; n->right->invar && i < x->ninv && !known; i++)
		if (x->inv[i].n == n->right)
			known = &x->inv[i].v;
	if (known) {
		b = *known;
		x->work += 1 + b.n / 8;
	} else if (fp_eval(x, n->right, s, &b)) {
		return -1;
	}
	x->work += 2 + b.n;
	/* a String of E equals the left side when its bytes are the literal's and then the member's; E's other
	 * items are compared with the left side made as `&` makes it (fp_equal, as coll_contains does) */
	size_t ln = lit->v.str.n, vn = v->n;
	bool any = false, made = false;
	mn_fp_item it;
	for (uint32_t i = 0; i < b.n && !any; i++) {
		const mn_fp_item *c = &b.v[i];
		if (c->kind == MN_FP_STRING && !(c->flags & FPI_NOVALUE)) {
			/* the member's bytes first, the last one before them: the literal is the same in every item
			 * of a list of references, the ids differ, mostly at their end */
			const char *cs = c->v.str.s;
			any = c->v.str.n == ln + vn && (vn == 0 || cs[ln + vn - 1] == v->u.s[vn - 1]) &&
			      memcmp(cs + ln, v->u.s, vn) == 0 && memcmp(cs, lit->v.str.s, ln) == 0;
			continue;
		}
		if (!made && concat_str(x, lit->v.str.s, ln, v->u.s, vn, &it))
			return -1;
		made = true;
		any = fp_equal(c, &it) == 1;
	}
	return push_bool(x, out, any) ? -1 : 1;
}

int fp_where_in(fp_ctx *x, const fp_node *call, const mn_fp_item *it, int64_t index, const fp_scope *s)
{
	const fp_node *c = call->args[0];
	if (c->kind != FN_BINOP || c->eqfast != 3)
		return -1;
	mn_fp_item cur = *it;
	fp_scope s1 = item_scope(&cur, index, s);
	fp_coll r = {0};
	int rc = in_fast(x, c, &s1, &r);
	if (rc <= 0)
		return rc < 0 ? -2 : -1;
	return r.n == 1 && r.v[0].kind == MN_FP_BOOLEAN && r.v[0].v.b;
}

/* An invar path (%v.a.b) into out: from x->inv when this evaluation has computed it, else computed
 * (as a path of members, its left first) and, when %v is the environment's variable (which no
 * defineVariable() can shadow, and which stays as it is while the evaluation runs) and there is room,
 * remembered. */
static int eval_invar(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	for (unsigned i = 0; i < x->ninv; i++)
		if (x->inv[i].n == n)
			return fp_append(x, out, &x->inv[i].v);
	fp_coll in = {0}, v = {0};
	if (fp_eval(x, n->left, s, &in) || eval_member(x, n, &in, &v))
		return -1;
	const fp_node *var = n->left;
	while (var->kind == FN_MEMBER)
		var = var->left;
	if (x->ninv < FP_INV_MAX && fp_env_find_hashed(x->env, var->name, var->name_len, var->name_hash) >= 0) {
		v.cap = v.n;  /* shared from now on: a push copies */
		x->inv[x->ninv].n = n;
		x->inv[x->ninv++].v = v;
	}
	return fp_append(x, out, &v);
}

/* The depth at which fp_eval stops with MN_ELIMIT. */
#define FP_EVAL_DEPTH (MN_FP_MAX_DEPTH * 4 + 64)

static int eval_node(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out) __attribute__((noinline));

/* The commonest leaves (a literal, $this, a member of $this) are evaluated
 * here, in a function small enough to need no stack frame for them, when
 * none of eval_node's limits is near; everything else by eval_node. The
 * same steps either way: the work and depth counted as eval_node counts
 * them (these leaves define no variable and evaluate no other node). */
int fp_eval(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	uint64_t w = x->work + 1;
	if (((1u << n->kind) & (1u << FN_LITERAL | 1u << FN_THIS | 1u << FN_MEMBER)) && (w & 1023) != 0 &&
	    w <= FP_WORK_BUDGET && x->depth < FP_EVAL_DEPTH) {
		switch (n->kind) {
		case FN_LITERAL:
			x->work = w;
			return fp_push_shared(x, out, &n->lit);
		case FN_THIS:
			x->work = w;
			return fp_append(x, out, &s->self);
		case FN_MEMBER:
			if (!n->left && !n->invar && n->fast != FP_FAST_BUNDLE_RES) {
				x->work = w;
				x->depth++;
				int rc = eval_member(x, n, &s->self, out);  /* under the ofType() that set x->prune */
				x->prune = NULL;
				x->depth--;
				return rc;
			}
			break;
		default:
			break;
		}
	}
	return eval_node(x, n, s, out);
}

static int eval_node(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out)
{
	if ((++x->work & 1023) == 0 && fp_check_memory(x, n))
		return -1;
	if (x->work > FP_WORK_BUDGET) {
		return fp_fail(x, MN_ELIMIT, n, "evaluation takes more than %llu steps",
		               (unsigned long long)FP_WORK_BUDGET);
	}
	if (++x->depth > FP_EVAL_DEPTH) {
		x->depth--;
		return fp_fail(x, MN_ELIMIT, n, "evaluation nested deeper than %d", FP_EVAL_DEPTH);
	}
	int rc = 0;
	fp_coll in = {0};
	const fp_defvar *defvars = x->defvars;
	switch (n->kind) {
	case FN_LITERAL:
		rc = fp_push_shared(x, out, &n->lit);
		break;
	case FN_EMPTY:
		break;
	case FN_CONST:
		rc = fp_append(x, out, n->folded);
		break;
	case FN_ERROR:
		rc = fp_fail(x, MN_EEVAL, n, "%s", n->name);
		break;
	case FN_THIS:
		rc = fp_append(x, out, &s->self);
		break;
	case FN_INDEX:
		if (s->index >= 0) {
			mn_fp_item it = fp_make_int(s->index);
			rc = fp_push(x, out, &it);
		}
		break;
	case FN_TOTAL:
		if (s->total)
			rc = fp_append(x, out, s->total);
		break;
	case FN_VAR:
		rc = eval_var(x, n, out);
		break;
	case FN_MEMBER: {
		/* set by the ofType() this step is the left of (prune_left), for this step only */
		const fp_typespec *prune = x->prune;
		x->prune = NULL;
		if (n->invar) {
			rc = eval_invar(x, n, s, out);
			break;
		}
		if (n->fast == FP_FAST_BUNDLE_RES) {
			bool exact;
			if (!(rc = bundle_resources(x, n, s, out, &exact)) && exact)
				rc = push_case_resources(x, NULL, mn_case_count(x->kase), out);
			break;
		}
		const fp_coll *src;
		if (n->left) {
			if ((rc = fp_eval(x, n->left, s, &in)))
				break;
			src = &in;
		} else {
			src = &s->self;
		}
		x->prune = prune;
		rc = eval_member(x, n, src, out);
		x->prune = NULL;
		break;
	}
	case FN_CALL:
		if (n->fast == FP_FAST_WHERE_CODE && !n->codes->bundle && (rc = where_coded(x, n, s, out)) <= 0)
			break;
		if (n->fast == FP_FAST_ENTRY_RT) {
			rc = where_entries(x, n, s, out);
			break;
		}
		rc = 0;
		if (n->fast == FP_FAST_OFTYPE || n->fast == FP_FAST_WHERE_RT) {
			/* Bundle.entry.resource.ofType(X) / .where(resourceType = 'X') */
			bool exact;
			if ((rc = bundle_resources(x, n->left, s, &in, &exact)))
				break;
			if (exact) {
				size_t k;
				const uint32_t *idx = mn_case_of_type(x->kase, n->fast_type, &k);
				rc = push_case_resources(x, idx, k, out);
				break;
			}
		} else if (n->left) {
			if (n->mfast &&
			    (rc = n->mfast == 3 ? coding_exists_fast(x, n, s, out) : member_of_fast(x, n, s, out)) <= 0)
				break;
			rc = 0;
			x->prune = n->prune_left ? n->type : NULL;
			rc = fp_eval(x, n->left, s, &in);
			x->prune = NULL;
			if (rc)
				break;
		} else {
			in = s->self;
		}
		if (n->fast == FP_FAST_WHERE_CODE && n->codes->bundle && (rc = where_listed(x, n, s, &in, out)) <= 0)
			break;
		rc = n->fn->impl(x, n, &in, s, out);
		break;
	case FN_INDEXER: {
		fp_coll idx = {0};
		const mn_fp_item *i;
		if ((rc = fp_eval(x, n->left, s, &in)) || (rc = fp_eval(x, n->right, s, &idx)) ||
		    (rc = fp_singleton(x, n, &idx, &i)))
			break;
		if (i && i->kind != MN_FP_INTEGER) {
			rc = fp_fail(x, MN_EEVAL, n, "an index must be an integer");
			break;
		}
		if (i && i->v.i >= 0 && (uint64_t)i->v.i < in.n)
			rc = fp_push(x, out, &in.v[i->v.i]);
		break;
	}
	case FN_NEG:
	case FN_POS: {
		const mn_fp_item *v;
		if ((rc = fp_eval(x, n->left, s, &in)) || (rc = fp_singleton(x, n, &in, &v)) || !v)
			break;
		mn_fp_item r = *v;
		r.node = NULL;
		r.ftype = NULL;
		r.ext = NULL;
		r.res = NULL;
		if (v->kind == MN_FP_INTEGER && n->kind == FN_NEG && v->v.i == INT64_MIN) {
			rc = fp_fail(x, MN_EEVAL, n, "integer overflow");
			break;
		}
		if (v->kind == MN_FP_INTEGER)
			r.v.i = n->kind == FN_NEG ? -v->v.i : v->v.i;
		else if (v->kind == MN_FP_DECIMAL || v->kind == MN_FP_QUANTITY)
			r.v.d = n->kind == FN_NEG ? -v->v.d : v->v.d;
		else if (fp_as_quantity(v, &r))
			r.v.d = n->kind == FN_NEG ? -r.v.d : r.v.d;
		else {
			rc = fp_fail(x, MN_EEVAL, n, "unary %c needs a number", n->kind == FN_NEG ? '-' : '+');
			break;
		}
		rc = fp_push(x, out, &r);
		break;
	}
	case FN_BINOP:
		rc = eval_binop(x, n, s, out);
		break;
	case FN_IS:
	case FN_AS: {
		const mn_fp_item *v;
		if ((rc = eval_in(x, n->left, s, &in)) || (rc = fp_singleton(x, n, &in, &v)) ||
		    (rc = fp_resolve_type(x, n, n->type)))
			break;
		if (!v && in.n == 0)
			break;
		v = &in.v[0];
		bool m = fp_type_matches(v, n->type, n->kind == FN_AS);
		if (n->kind == FN_IS)
			rc = push_bool(x, out, m);
		else if (m)
			rc = fp_push(x, out, v);
		break;
	}
	default:
		rc = fp_fail(x, MN_EINTERNAL, n, "bad AST node %d", n->kind);
	}
	if (!n->chain_left)
		x->defvars = defvars;  /* defineVariable(): the end of the path that defined them */
	x->depth--;
	return rc;
}

/* ---- environment ---------------------------------------------------------- */

static void default_trace(void *payload, const char *name, const mn_fp_result *value)
{
	(void)payload;
	mn_buf b = MN_BUF_INIT;
	for (size_t i = 0; i < mn_fp_result_count(value); i++) {
		if (i)
			mn_buf_puts(&b, ", ");
		mn_fp_item_write_text(mn_fp_result_item(value, i), &b);
	}
	fprintf(stderr, "trace %s: [%s]\n", name, mn_buf_cstr(&b));
	mn_buf_free(&b);
}

mn_fp_env *mn_fp_env_new(void)
{
	mn_fp_env *env = calloc(1, sizeof *env);
	if (!env)
		return NULL;
	env->arena = mn_arena_new();
	if (!env->arena) {
		free(env);
		return NULL;
	}
	env->trace = default_trace;
	return env;
}

void mn_fp_env_free(mn_fp_env *env)
{
	if (!env)
		return;
	mn_arena_free(env->arena);
	free(env->vars);
	free(env->vhash);
	free(env->case_own);
	free(env);
}

void mn_fp_env_set_now(mn_fp_env *env, const mn_datetime *now)
{
	if (!env)
		return;
	env->has_now = now != NULL;
	if (now)
		env->now = *now;
}

/* The context of mn_fp_eval_case over c: each resource of c as a typed item
 * (the resource's type, FPI_STATIC, the resource as provenance). */
static void case_context_items(const mn_case *c, mn_fp_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const mn_resource *r = mn_case_get(c, i);
		mn_fp_item *it = &v[i];
		it->kind = MN_FP_NODE;
		it->flags = FPI_STATIC;
		it->scale = 0;
		it->node = r->json;
		it->ftype = r->type ? r->type : fp_node_type(r->json, NULL);
		it->ext = NULL;
		it->res = r;
		it->unit = NULL;
	}
}

void mn_fp_env_set_case(mn_fp_env *env, const mn_case *c)
{
	if (!env)
		return;
	env->kase = c;
	env->case_items = NULL;
	env->case_n = 0;
	/* every mn_fp_eval_case over c with this env shares one context (a
	 * decision evaluates a hundred expressions over the same case); without
	 * memory, each evaluation makes its own as before */
	size_t n = c ? mn_case_count(c) : 0;
	if (n > env->case_cap) {
		/* one buffer for the env's life, grown to the largest case: setting
		 * case after case (mednec eval over many files, again and again)
		 * neither grows memory nor touches new pages */
		mn_fp_item *v = realloc(env->case_own, n * sizeof *v);
		if (!v)
			return;
		env->case_own = v;
		env->case_cap = n;
	}
	if (n) {
		case_context_items(c, env->case_own, n);
		env->case_items = env->case_own;
		env->case_n = n;
	}
}

/* A hash of a variable's name: its length and its first and last 8 bytes (or all of it). */
static uint32_t var_hash(const char *name, size_t len)
{
	uint64_t a = 0, b = 0;
	if (len >= 8) {
		memcpy(&a, name, 8);
		memcpy(&b, name + len - 8, 8);
	} else {
		memcpy(&a, name, len);
	}
	uint64_t h = (a * 0x9e3779b97f4a7c15u) ^ (b * 0xff51afd7ed558ccdu) ^ len;
	return (uint32_t)(h ^ h >> 29 ^ h >> 41);
}

/* The position in env->vars of the variable name[0..len) whose var_hash is h, or -1. */
static long env_find_h(const mn_fp_env *env, const char *name, size_t len, uint32_t h)
{
	if (!env->vhash) {
		for (size_t i = 0; i < env->nvars; i++)
			if (env->vars[i].hash == h && env->vars[i].len == len && memcmp(fp_var_name(&env->vars[i]), name, len) == 0)
				return (long)i;
		return -1;
	}
	for (size_t k = h & (env->nvhash - 1);; k = (k + 1) & (env->nvhash - 1)) {
		uint32_t e = env->vhash[k];
		if (!e)
			return -1;
		const struct fp_var *v = &env->vars[e - 1];
		if (v->hash == h && v->len == len && memcmp(fp_var_name(v), name, len) == 0)
			return (long)(e - 1);
	}
}

long fp_env_find(const mn_fp_env *env, const char *name, size_t len)
{
	if (!env || (!env->nvars))
		return -1;
	return env_find_h(env, name, len, var_hash(name, len));
}

long fp_env_find_hashed(const mn_fp_env *env, const char *name, size_t len, uint32_t h)
{
	if (!env || (!env->nvars))
		return -1;
	return env_find_h(env, name, len, h);
}

uint32_t fp_var_hash(const char *name, size_t len)
{
	return var_hash(name, len);
}

/* env->vhash made again for the variables there are, want slots (a power of two, more than twice
 * nvars); false when out of memory (then it is dropped and fp_env_find searches linearly). */
static bool vhash_make(mn_fp_env *env, size_t want)
{
	free(env->vhash);
	env->nvhash = 0;
	if (!(env->vhash = calloc(want, sizeof *env->vhash)))
		return false;
	env->nvhash = want;
	for (size_t i = 0; i < env->nvars; i++) {
		size_t k = env->vars[i].hash & (want - 1);
		while (env->vhash[k])
			k = (k + 1) & (want - 1);
		env->vhash[k] = (uint32_t)i + 1;
	}
	return true;
}

/* The first binding makes room for this many variables (the table twice as many slots). */
#define FP_ENV_VARS0 64

static struct fp_var *env_slot(mn_fp_env *env, const char *name)
{
	size_t len = strlen(name);
	if (len > UINT32_MAX)
		return NULL;
	uint32_t h = var_hash(name, len);
	long at = env->nvars ? env_find_h(env, name, len, h) : -1;
	if (at >= 0)
		return &env->vars[at];
	if (env->nvars == env->capvars) {
		size_t cap = env->capvars ? env->capvars * 2 : FP_ENV_VARS0;
		struct fp_var *v = realloc(env->vars, cap * sizeof *v);
		if (!v)
			return NULL;
		env->vars = v;
		env->capvars = cap;
	}
	struct fp_var *v = &env->vars[env->nvars];
	if (len <= FP_VAR_INLINE)
		memcpy(v->name.inl, name, len);  /* no copy in the arena for a name this short */
	else if (!(v->name.p = mn_arena_strndup(env->arena, name, len)))
		return NULL;
	v->len = (uint32_t)len;
	v->hash = h;
	memset(&v->value, 0, sizeof v->value);
	env->nvars++;
	if (!env->vhash || env->nvars * 2 + 2 > env->nvhash) {
		/* as many slots as the room for variables makes more than twice as many */
		size_t want = 16;
		while (want < env->capvars * 2 + 2)
			want *= 2;
		vhash_make(env, want);  /* out of memory: linear searches */
	} else {
		size_t k = h & (env->nvhash - 1);
		while (env->vhash[k])
			k = (k + 1) & (env->nvhash - 1);
		env->vhash[k] = (uint32_t)env->nvars;
	}
	return v;
}

mn_status mn_fp_env_set_string(mn_fp_env *env, const char *name, const char *value)
{
	if (!env || !name || !value)
		return MN_EUSAGE;
	struct fp_var *v = env_slot(env, name);
	if (!v)
		return MN_ENOMEM;
	mn_fp_item *it = mn_arena_alloc(env->arena, sizeof *it);
	char *s = mn_arena_strdup(env->arena, value);
	if (!it || !s)
		return MN_ENOMEM;
	*it = fp_make_str(s, strlen(s));
	v->value.v = it;
	v->value.n = v->value.cap = 1;
	return MN_OK;
}

mn_status mn_fp_env_set_result(mn_fp_env *env, const char *name, const mn_fp_result *value)
{
	if (!env || !name)
		return MN_EUSAGE;
	struct fp_var *v = env_slot(env, name);
	if (!v)
		return MN_ENOMEM;
	size_t n = value ? value->c.n : 0;
	mn_fp_item *items = n ? mn_arena_alloc(env->arena, n * sizeof *items) : NULL;
	if (n && !items)
		return MN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		items[i] = value->c.v[i];
		if (items[i].kind == MN_FP_STRING && !items[i].node) {
			char *s = mn_arena_strndup(env->arena, items[i].v.str.s, items[i].v.str.n);
			if (!s)
				return MN_ENOMEM;
			items[i].v.str.s = s;
		} else if (items[i].kind == MN_FP_QUANTITY && items[i].unit && !items[i].node) {
			items[i].unit = mn_arena_strdup(env->arena, items[i].unit);
		}
	}
	v->value.v = items;
	v->value.n = v->value.cap = (uint32_t)n;
	return MN_OK;
}

void mn_fp_env_set_terminology(mn_fp_env *env, mn_fp_member_fn fn, void *payload)
{
	mn_fp_env_set_terminology_codes(env, fn, NULL, payload);
}

void mn_fp_env_set_terminology_codes(mn_fp_env *env, mn_fp_member_fn fn, mn_fp_codes_fn codes, void *payload)
{
	if (!env)
		return;
	env->member = fn;
	env->codes = fn ? codes : NULL;
	env->member_payload = payload;
}

void mn_fp_env_set_valuesets(mn_fp_env *env, mn_fp_valueset_fn fn, void *payload)
{
	if (!env)
		return;
	env->valuesets = fn;
	env->valuesets_payload = payload;
}

void mn_fp_env_set_trace(mn_fp_env *env, mn_fp_trace_fn fn, void *payload)
{
	if (!env)
		return;
	env->trace = fn;
	env->trace_payload = payload;
}

/* ---- evaluate ------------------------------------------------------------- */

/* The result of an evaluation whose value is c (passed by value: the loop below keeps it in registers).
 * It must not depend on the expression (literals, constants, their slices), the environment (variables)
 * or the caller's context array: the items and the computed strings are copied into the arena. Record
 * nodes stay referenced (they live with the case). The result and its items: one allocation. */
static inline mn_status make_result(mn_arena *arena, fp_coll c, mn_fp_result **out, mn_error *err)
{
	size_t head = (sizeof(mn_fp_result) + _Alignof(mn_fp_item) - 1) / _Alignof(mn_fp_item) * _Alignof(mn_fp_item);
	if (c.n > (SIZE_MAX - head) / sizeof *c.v)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_fp_result *r = mn_arena_alloc(arena, head + c.n * sizeof *c.v);
	if (!r)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	r->c.v = NULL;
	r->c.n = r->c.cap = 0;
	if (c.n) {
		r->c.v = (mn_fp_item *)(void *)((char *)r + head);
		r->c.cap = r->c.n = c.n;
		for (uint32_t i = 0; i < c.n; i++) {
			mn_fp_item *it = &r->c.v[i];
			*it = c.v[i];  /* not memcpy: mostly one item */
			if (it->kind == MN_FP_STRING && !it->node && !(it->flags & FPI_NOVALUE)) {
				char *str = mn_arena_strndup(arena, it->v.str.s, it->v.str.n);
				if (!str)
					return mn_error_set(err, MN_ENOMEM, "out of memory");
				it->v.str.s = str;
			} else if (it->kind == MN_FP_QUANTITY && it->unit) {
				if (!(it->unit = mn_arena_strdup(arena, it->unit)))
					return mn_error_set(err, MN_ENOMEM, "out of memory");
			}
		}
	}
	*out = r;
	return MN_OK;
}

/* Whether e's value was computed when compiled (fp_fold_constants): it needs no context. */
static inline bool constant_expr(const mn_fp_expr *e)
{
	unsigned k = e->root->kind;
	return k == FN_LITERAL || k == FN_CONST || k == FN_EMPTY;
}

bool mn_fp_expr_constant(const mn_fp_expr *e)
{
	return e && constant_expr(e);
}

static mn_status run(const mn_fp_expr *e, const mn_fp_env *env, fp_coll *context, bool case_ctx,
                     const mn_case *kase, mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	mn_error local;
	if (!err)
		err = &local;
	/* the same as mn_error_clear, without clearing 1.3 KB on every call */
	err->code = MN_OK;
	err->source[0] = err->path[0] = err->message[0] = 0;
	err->line = err->column = 0;
	if (out)
		*out = NULL;
	if (!e || !arena || !out)
		return mn_error_set(err, MN_EUSAGE, "missing expression, arena or output");
	if (constant_expr(e)) {
		/* its value, as evaluating the node would give it */
		const fp_node *n = e->root;
		fp_coll v = n->kind == FN_CONST ? *n->folded : (fp_coll){0};
		if (n->kind == FN_LITERAL)
			v = (fp_coll){(mn_fp_item *)&n->lit, 1, 1};
		return make_result(arena, v, out, err);
	}
	fp_ctx x;
	memset(&x, 0, offsetof(fp_ctx, inv));  /* inv[] is read only below ninv */
	x.env = env;
	x.a = arena;
	x.err = err;
	x.expr = e;
	x.context = *context;
	x.kase = kase ? kase : env ? env->kase : NULL;
	x.case_context = case_ctx;
	x.case_list = case_ctx && kase;  /* mn_fp_eval_case; eval_items passes no case */
	x.plain = (e->flags & MN_FP_MODEL_NONE) != 0;
	x.lenient = (e->flags & MN_FP_LENIENT) != 0;
	x.mem0 = mn_arena_used(arena);
	fp_scope s;
	memset(&s, 0, sizeof s);
	s.self = x.context;
	s.index = -1;
	fp_coll c = {0};
	if (fp_eval(&x, e->root, &s, &c)) {
		if (err->code == MN_OK)
			err->code = MN_EINTERNAL;
		return err->code;
	}
	return make_result(arena, c, out, err);
}

/* Model none over a JSON value that is not an object: the context is the
 * value as System items (an array flattened, null empty). */
static mn_status eval_plain_value(const mn_fp_expr *e, const mn_fp_env *env, const mn_json *value,
                                  mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	fp_ctx x;
	mn_error local;
	memset(&x, 0, sizeof x);
	mn_error_clear(&local);
	x.a = arena;
	x.err = &local;
	x.plain = true;
	x.mem0 = mn_arena_used(arena);
	fp_coll ctx = {0};
	if (plain_value(&x, value, NULL, &ctx)) {
		if (out)
			*out = NULL;
		return mn_error_set(err, local.code ? local.code : MN_ENOMEM, "%s", local.message);
	}
	return run(e, env, &ctx, false, NULL, arena, out, err);
}

/* The resource of env's case whose JSON is resource, or NULL. A case of a few resources (an
 * evaluation over one file) is searched in its context items first, which costs less than the
 * case's hash; contained resources, which are not there, are found by the hash. */
static const mn_resource *case_find(const mn_fp_env *env, const mn_json *resource)
{
	if (env->case_items && env->case_n <= 8)
		for (size_t i = 0; i < env->case_n; i++)
			if (env->case_items[i].node == resource)
				return env->case_items[i].res;
	return mn_case_find_json(env->kase, resource);
}

/* mn_fp_eval over resource; res: its mn_resource in env's case when the caller has it (type and
 * provenance taken from it, not looked up) */
static mn_status eval_one(const mn_fp_expr *e, const mn_fp_env *env, const mn_json *resource,
                          const mn_resource *res, mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	fp_coll ctx = {0};
	const mn_case *kase = env ? env->kase : NULL;
	/* the context item may live here: run() copies the result's items into
	 * the arena, and nothing else outlives it */
	mn_fp_item it;
	if (resource && e && !constant_expr(e)) {
		if (!arena)
			return mn_error_set(err, MN_EUSAGE, "no arena or out of memory");
		if (!kase)
			res = NULL;
		else if (!res)
			res = case_find(env, resource);
		fp_item_init(&it, MN_FP_NODE);
		it.node = resource;
		/* the case's type for its resource, as mn_fp_eval_resource takes it */
		it.ftype = res && res->type ? res->type : fp_node_type(resource, NULL);
		it.flags |= FPI_STATIC;
		it.res = res;
		ctx.v = &it;
		ctx.n = ctx.cap = 1;
		if (e && (e->flags & MN_FP_MODEL_NONE) && resource->type != MN_JSON_OBJECT)
			return eval_plain_value(e, env, resource, arena, out, err);
		if (e && (e->flags & MN_FP_MODEL_NONE)) {
			it.ftype = NULL;
			it.flags = 0;
		}
	}
	return run(e, env, &ctx, false, kase, arena, out, err);
}

mn_status mn_fp_eval(const mn_fp_expr *e, const mn_fp_env *env, const mn_json *resource,
                     mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	return eval_one(e, env, resource, NULL, arena, out, err);
}

mn_status mn_fp_eval_resource(const mn_fp_expr *e, const mn_fp_env *env, const mn_resource *res,
                              mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	return eval_one(e, env, res ? res->json : NULL, res, arena, out, err);
}

mn_status mn_fp_eval_case(const mn_fp_expr *e, const mn_fp_env *env, const mn_case *c,
                          mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	fp_coll ctx = {0};
	size_t n = c && !(e && constant_expr(e)) ? mn_case_count(c) : 0;  /* a constant needs no context */
	if (n) {
		if (!arena)
			return mn_error_set(err, MN_EUSAGE, "no arena");
		bool plain = e && (e->flags & MN_FP_MODEL_NONE);
		if (!plain && env && c == env->kase && env->case_items && env->case_n == n) {
			/* made once by mn_fp_env_set_case; nothing writes into a context
			 * (cap == n: a push copies) */
			ctx.v = (mn_fp_item *)env->case_items;
		} else {
			ctx.v = mn_arena_alloc(arena, n * sizeof *ctx.v);
			if (!ctx.v)
				return mn_error_set(err, MN_ENOMEM, "out of memory");
			case_context_items(c, ctx.v, n);
			for (size_t i = 0; plain && i < n; i++) {
				ctx.v[i].ftype = NULL;  /* no model: plain objects */
				ctx.v[i].flags = 0;
			}
		}
		ctx.n = ctx.cap = (uint32_t)n;
	}
	return run(e, env, &ctx, true, c, arena, out, err);
}

mn_status mn_fp_eval_items(const mn_fp_expr *e, const mn_fp_env *env, const mn_fp_result *in,
                           mn_arena *arena, mn_fp_result **out, mn_error *err)
{
	fp_coll ctx = {0};
	if (in)
		ctx = in->c;
	if (e && (e->flags & MN_FP_MODEL_NONE) && ctx.n) {
		/* no model: the items' nodes as plain objects */
		mn_fp_item *v = arena ? mn_arena_alloc(arena, ctx.n * sizeof *v) : NULL;
		if (!v)
			return mn_error_set(err, arena ? MN_ENOMEM : MN_EUSAGE, "no arena or out of memory");
		memcpy(v, ctx.v, ctx.n * sizeof *v);
		for (uint32_t i = 0; i < ctx.n; i++) {
			v[i].ftype = NULL;
			v[i].flags &= (uint8_t)~FPI_STATIC;
		}
		ctx.v = v;
		ctx.cap = ctx.n;
	}
	return run(e, env, &ctx, true, NULL, arena, out, err);
}

/* ---- results -------------------------------------------------------------- */

size_t mn_fp_result_count(const mn_fp_result *r)
{
	return r ? r->c.n : 0;
}

const mn_fp_item *mn_fp_result_item(const mn_fp_result *r, size_t i)
{
	return r && i < r->c.n ? &r->c.v[i] : NULL;
}

int mn_fp_result_truth(const mn_fp_result *r)
{
	if (!r || r->c.n == 0)
		return -1;
	if (r->c.n > 1 || r->c.v[0].kind != MN_FP_BOOLEAN)
		return MN_EEVAL;
	return r->c.v[0].v.b ? 1 : 0;
}

mn_fp_kind mn_fp_item_kind(const mn_fp_item *it)
{
	return it ? (mn_fp_kind)it->kind : 0;
}

const char *mn_fp_item_type(const mn_fp_item *it)
{
	if (!it)
		return "";
	if (it->ftype)
		return it->ftype->name;
	if (it->kind == MN_FP_NODE) {
		if (it->node && it->node->type == MN_JSON_OBJECT) {
			const char *rt = mn_json_get_string(it->node, "resourceType");
			if (rt)
				return rt;
		}
		return it->flags & FPI_TYPEINFO ? "TypeInfo" : "Element";
	}
	if (it->kind == MN_FP_INTEGER && (it->flags & FPI_LONG))
		return "Long";
	return it->kind <= MN_FP_QUANTITY ? SYS_NAMES[it->kind] : "";
}

bool mn_fp_item_boolean(const mn_fp_item *it)
{
	return it && it->kind == MN_FP_BOOLEAN && it->v.b;
}

int64_t mn_fp_item_integer(const mn_fp_item *it)
{
	if (!it)
		return 0;
	if (it->kind == MN_FP_INTEGER)
		return it->v.i;
	int64_t v;
	if ((it->kind == MN_FP_DECIMAL || it->kind == MN_FP_QUANTITY) && fp_double_to_int(it->v.d, &v))
		return v;
	if (it->kind == MN_FP_DECIMAL || it->kind == MN_FP_QUANTITY)
		return it->v.d < 0 ? INT64_MIN : INT64_MAX;
	return 0;
}

double mn_fp_item_number(const mn_fp_item *it)
{
	if (!it)
		return 0;
	if (it->kind == MN_FP_INTEGER)
		return (double)it->v.i;
	if (it->kind == MN_FP_DECIMAL || it->kind == MN_FP_QUANTITY)
		return it->v.d;
	mn_fp_item q;
	if (fp_as_quantity(it, &q))
		return q.v.d;
	return 0;
}

const char *mn_fp_item_string(const mn_fp_item *it, size_t *len)
{
	size_t dummy;
	if (!len)
		len = &dummy;
	*len = 0;
	if (!it || (it->flags & FPI_NOVALUE))
		return NULL;
	if (it->kind == MN_FP_STRING) {
		*len = it->v.str.n;
		return it->v.str.s;
	}
	if (it->node && (it->node->type == MN_JSON_STRING || it->node->type == MN_JSON_NUMBER)) {
		*len = it->node->n;
		return it->node->u.s;
	}
	if (it->kind == MN_FP_BOOLEAN) {
		*len = it->v.b ? 4 : 5;
		return it->v.b ? "true" : "false";
	}
	return NULL;
}

const mn_datetime *mn_fp_item_datetime(const mn_fp_item *it)
{
	if (!it || (it->flags & FPI_NOVALUE))
		return NULL;
	if (it->kind == MN_FP_DATE || it->kind == MN_FP_DATETIME || it->kind == MN_FP_TIME)
		return &it->v.dt;
	return NULL;
}

const char *mn_fp_item_unit(const mn_fp_item *it)
{
	return it && it->kind == MN_FP_QUANTITY ? it->unit : NULL;
}

const mn_json *mn_fp_item_node(const mn_fp_item *it)
{
	return it ? it->node : NULL;
}

const mn_resource *mn_fp_item_resource(const mn_fp_item *it)
{
	return it ? it->res : NULL;
}

static int write_value(const mn_fp_item *it, mn_buf *out, bool json)
{
	if (it->flags & FPI_NOVALUE)
		return json ? mn_buf_puts(out, "null") : 0;
	char tmp[96];
	switch (it->kind) {
	case MN_FP_BOOLEAN:
		return mn_buf_puts(out, it->v.b ? "true" : "false");
	case MN_FP_INTEGER:
		return mn_buf_printf(out, "%lld", (long long)it->v.i);
	case MN_FP_DECIMAL:
		if (it->node && it->node->type == MN_JSON_NUMBER)
			return mn_buf_put(out, it->node->u.s, it->node->n);
		return fp_write_decimal(out, it->v.d, it->scale);
	case MN_FP_STRING:
		return json ? mn_buf_put_json_string(out, it->v.str.s, it->v.str.n)
		            : mn_buf_put(out, it->v.str.s, it->v.str.n);
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME: {
		size_t n = 0;
		tmp[n++] = '@';
		if (it->kind == MN_FP_TIME)
			tmp[n++] = 'T';
		n += fp_format_datetime(&it->v.dt, tmp + n, sizeof tmp - n);
		return json ? mn_buf_put_json_string(out, tmp, n) : mn_buf_put(out, tmp, n);
	}
	case MN_FP_QUANTITY: {
		mn_buf b = MN_BUF_INIT;
		fp_write_decimal(&b, it->v.d, it->scale);
		mn_buf_putc(&b, ' ');
		fp_write_quantity_unit(&b, it);
		int rc = json ? mn_buf_put_json_string(out, mn_buf_cstr(&b), b.len)
		              : mn_buf_put(out, mn_buf_cstr(&b), b.len);
		mn_buf_free(&b);
		return rc;
	}
	case MN_FP_NODE:
		return it->node ? mn_json_write(out, it->node) : mn_buf_puts(out, "null");
	default:
		return -1;
	}
}

int mn_fp_item_write_text(const mn_fp_item *it, mn_buf *out)
{
	return it && out ? write_value(it, out, false) : -1;
}

int mn_fp_item_write_json(const mn_fp_item *it, mn_buf *out)
{
	return it && out ? write_value(it, out, true) : -1;
}

mn_fp_result *mn_fp_result_slice(const mn_fp_result *r, size_t start, size_t count, mn_arena *arena)
{
	if (!arena)
		return NULL;
	mn_fp_result *s = mn_arena_calloc(arena, 1, sizeof *s);
	if (!s || !r)
		return s;
	size_t n = r->c.n;
	if (start > n)
		start = n;
	if (count > n - start)
		count = n - start;
	if (count) {
		s->c.v = mn_arena_alloc(arena, count * sizeof *s->c.v);
		if (!s->c.v)
			return NULL;
		memcpy(s->c.v, r->c.v + start, count * sizeof *s->c.v);
		s->c.n = s->c.cap = (uint32_t)count;
	}
	return s;
}
