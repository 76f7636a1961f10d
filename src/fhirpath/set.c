/*
 * set.c: hash sets of items, so that union, distinct, intersect, exclude,
 * subsetOf and repeat stay linear on large collections.
 *
 * A set indexes the items of one collection (which may grow while the set
 * is in use). Membership is FHIRPath equality (fp_equal() == 1); the hash
 * (fp_item_hash in value.c) is built so that equal items hash alike (1 and
 * 1.0, a Date and a day-precision DateTime, nodes with the same members in
 * any order). Small sets are searched linearly and get a table only when
 * they grow past SMALL items.
 */
#include "fhirpath/fhirpath_int.h"

#include <string.h>

#define SMALL 16

struct slot { uint32_t idx1; uint32_t h; };  /* idx1: index + 1, 0 = empty */
typedef struct slot slot;

/* Whether byte strings a (an bytes) and b (bn) are the same; the last bytes first, where ids that share a
 * prefix ("proc-001", "proc-002") differ, before the call to memcmp. */
static inline bool same_bytes(const char *a, const char *b, size_t an, size_t bn)
{
	return an == bn && (an == 0 || (a[an - 1] == b[an - 1] && memcmp(a, b, an) == 0));
}

/* Whether two distinct JSON values certainly differ as fp_equal compares nodes (json_same, not
 * equivalence): other JSON types; objects with another number of members; or, b's keys unique, a
 * member among the first few at the same place in both under the same key whose values are of other
 * types or are other strings (json_same takes b's member at that place, and strings compare as bytes).
 * The usual pair in a union of resources differs in its id, the second member. false: not known. */
static bool node_differs(const mn_json *a, const mn_json *b)
{
	if (a->type != b->type)
		return true;
	if (a->type != MN_JSON_OBJECT)
		return false;
	if (a->n != b->n)
		return true;
	if (!(b->flags & MN_JSON_F_UNIQUE))
		return false;
	uint32_t k = a->n < 4 ? a->n : 4;
	/* json_same compares each member of a with b's one member of that key, so a place whose keys agree
	 * and whose values differ says so on its own, whatever the other places hold. With a's keys unique
	 * too, the second place is looked at first (a resource's id, after the resourceType a union's
	 * resources often share); otherwise the places in order, as always */
	bool swap = (a->flags & MN_JSON_F_UNIQUE) && k > 1;
	for (uint32_t j = 0; j < k; j++) {
		uint32_t i = swap && j < 2 ? 1 - j : j;
		const mn_json_member *m = &a->u.members[i], *o = &b->u.members[i];
		if (!same_bytes(m->key, o->key, m->key_len, o->key_len))
			return false;
		if (m->value.type != o->value.type)
			return true;
		if (m->value.type == MN_JSON_STRING && !same_bytes(m->value.u.s, o->value.u.s, m->value.n, o->value.n))
			return true;
	}
	return false;
}

static bool item_eq(const mn_fp_item *a, const mn_fp_item *b)
{
	if (a->kind == MN_FP_NODE && b->kind == MN_FP_NODE && a->node && b->node) {
		if (a->node == b->node)
			return true;
		if (!((a->flags | b->flags) & FPI_NOVALUE) && node_differs(a->node, b->node))
			return false;
	}
	return fp_equal(a, b) == 1;
}

static void put(fp_set *s, uint32_t idx, uint32_t h)
{
	uint32_t mask = s->cap - 1, i = h & mask;
	slot *t = s->slots;
	while (t[i].idx1)
		i = (i + 1) & mask;
	t[i].idx1 = idx + 1;
	t[i].h = h;
}

static int grow(fp_ctx *x, fp_set *s, uint32_t want)
{
	uint32_t cap = 64;
	while (cap < want * 2)
		cap *= 2;
	slot *t = mn_arena_calloc(x->a, cap, sizeof *t);
	if (!t)
		return fp_fail(x, MN_ENOMEM, NULL, "out of memory");
	slot *old = s->slots;
	uint32_t oldcap = s->cap;
	s->slots = t;
	s->cap = cap;
	if (old) {
		for (uint32_t i = 0; i < oldcap; i++)
			if (old[i].idx1)
				put(s, old[i].idx1 - 1, old[i].h);
	} else {
		for (uint32_t i = 0; i < s->n; i++)
			put(s, i, (uint32_t)fp_item_hash(&s->c->v[i]));
	}
	return 0;
}

int fp_set_init(fp_ctx *x, fp_set *s, const fp_coll *c)
{
	memset(s, 0, sizeof *s);
	s->c = c;
	s->n = c->n;
	if (c->n > SMALL)
		return grow(x, s, c->n);
	return 0;
}

int fp_set_find(fp_ctx *x, const fp_set *s, const mn_fp_item *it)
{
	if (!s->slots) {
		x->work += s->n;
		for (uint32_t i = 0; i < s->n; i++)
			if (item_eq(&s->c->v[i], it))
				return 1;
		return 0;
	}
	uint32_t h = (uint32_t)fp_item_hash(it), mask = s->cap - 1;
	for (uint32_t i = h & mask; s->slots[i].idx1; i = (i + 1) & mask) {
		x->work++;
		if (s->slots[i].h == h && item_eq(&s->c->v[s->slots[i].idx1 - 1], it))
			return 1;
	}
	return 0;
}

int fp_set_push_unique(fp_ctx *x, fp_set *s, fp_coll *c, const mn_fp_item *it)
{
	if (fp_set_find(x, s, it))
		return 0;
	if (fp_push(x, c, it))
		return -1;
	s->c = c;
	s->n = c->n;
	if (!s->slots) {
		if (s->n > SMALL)
			return grow(x, s, s->n);
		return 0;
	}
	if (s->n * 2 > s->cap && grow(x, s, s->n))
		return -1;
	put(s, s->n - 1, (uint32_t)fp_item_hash(it));
	return 0;
}
