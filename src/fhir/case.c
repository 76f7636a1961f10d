/*
 * src/fhir/case.c: a patient record (a "case") loaded from FHIR R4 JSON.
 *
 * Loading runs in three linear steps over the parsed JSON tree:
 *
 * 1. index: the case's resources are listed (each Bundle entry's resource,
 *    or the single root resource, then the contained resources of each) and
 *    put in one hash table under "Type/id", fullUrl (plus the Type/id tail of
 *    an absolute fullUrl) and, for contained ones, their id scoped by the
 *    container. This step trusts nothing and skips what it does not
 *    understand: step 2 reports it.
 * 2. check: the whole tree is walked against the type model (model.c), in
 *    document order, keeping a JSON pointer path for errors. Every element
 *    typed Reference has its reference resolved as it is met; the first
 *    failure is kept and reported only when the walk finds no FHIR error, so
 *    structural errors win over dangling references. The walk also records
 *    each resource's byte span [start, last node] for mn_case_owner().
 * 3. nothing else: lookups afterwards are hash probes (references) or binary
 *    searches over the spans (owner), never scans. The index by code
 *    (mn_case_coded) is made on its first use, once per record.
 */
#include "fhir/model.h"
#include "fhir/case_memo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- internal types ---------------------------------------------------- */

typedef struct S_res {
	mn_resource pub;        /* first: an mn_resource * is an S_res * */
	uint32_t start, end;    /* offsets of the object's '{' and of its last node */
	struct S_res *kids;     /* contained resources, in document order */
	uint32_t nkids;
	/* a top-level resource with an absolute fullUrl ending in Type/id: the length of its base
	 * ("http://x/fhir/"), as S_url_base gives it; 0 otherwise. Set by S_index_key, so that resolving
	 * a reference does not read the referrer's or the target's fullUrl again. */
	uint32_t url_base;
	bool date_unreadable;   /* MN_CASE_LENIENT dropped one of its dates (see mn_resource_after) */
	/* its latest date for mn_resource_after, as S_date_after compares it (the first 10 bytes, a
	 * partial date completed to its earliest day), computed once the load has checked the tree:
	 * S_LATEST_UNKNOWN (read the members on each call), S_LATEST_NONE (no date), S_LATEST_SET */
	uint8_t latest_state;
	char latest[10];
} S_res;

enum { S_LATEST_UNKNOWN = 0, S_LATEST_NONE, S_LATEST_SET };

/* The dates that place a resource in time (mn_resource_after): when it was
 * recorded, issued, authored, asserted, prepared or handed over, and the
 * stems of the [x] choices of when it happened. */
typedef struct S_word {
	const char *s;
	size_t n;
} S_word;
#define S_WORD(lit) {lit, sizeof lit - 1}
static const S_word S_recorded_dates[] = {S_WORD("recordedDate"), S_WORD("issued"), S_WORD("authoredOn"),
                                          S_WORD("authored"), S_WORD("dateAsserted"), S_WORD("date"),
                                          S_WORD("created"), S_WORD("whenPrepared"), S_WORD("whenHandedOver")};
static const S_word S_clinical_dates[] = {S_WORD("effective"), S_WORD("performed"), S_WORD("onset"),
                                          S_WORD("occurrence")};
#define S_NRECORDED (sizeof S_recorded_dates / sizeof S_recorded_dates[0])
#define S_NCLINICAL (sizeof S_clinical_dates / sizeof S_clinical_dates[0])

/* The position of key[0..n) in S_recorded_dates, or -1. */
static int S_recorded_index(const char *key, size_t n)
{
	for (size_t k = 0; k < S_NRECORDED; k++)
		if (S_recorded_dates[k].n == n && S_recorded_dates[k].s[0] == key[0] &&
		    memcmp(S_recorded_dates[k].s, key, n) == 0)
			return (int)k;
	return -1;
}

/* The stem in S_clinical_dates that key[0..n) starts with and is longer than, or NULL. */
static const S_word *S_clinical_stem(const char *key, size_t n)
{
	for (size_t k = 0; k < S_NCLINICAL; k++)
		if (n > S_clinical_dates[k].n && S_clinical_dates[k].s[0] == key[0] &&
		    memcmp(S_clinical_dates[k].s, key, S_clinical_dates[k].n) == 0)
			return &S_clinical_dates[k];
	return NULL;
}

static bool S_is_date_key(const char *key, size_t n)
{
	return S_recorded_index(key, n) >= 0 || S_clinical_stem(key, n) != NULL;
}

/* One hash table holds every key; the scope tells the kinds apart. Its slots hold the number of an entry (1 for
 * the first, 0: empty), the entries (S_slot) are in the order put; only the slots are cleared when a table is
 * made, a sixth of its memory. */
typedef struct S_slot {
	const char *key;
	uint32_t len;
	uint32_t hash;
	const void *scope;
	S_res *res;
} S_slot;

/* The index by code (mn_case_coded), made once per record when first asked; idx NULL until then. */
typedef struct S_codes S_codes;
struct S_codes_box {
	_Atomic(void *) idx;    /* S_codes * */
	_Atomic(void *) memo;   /* struct S_memo * (mn_case_memo_get): made when first kept, NULL until then */
};

/* One value per top-level resource (mn_case_memo_get), each kept once: n the record's top-level count. */
struct S_memo {
	size_t n;
	_Atomic(void *) v[];
};

static const char S_SCOPE_TID = 'T';   /* "Type/id" */
static const char S_SCOPE_URL = 'U';   /* fullUrl */
static const char S_SCOPE_JSON = 'J';  /* resource object pointer (key = the pointer's bytes) */

struct mn_case {
	mn_arena *arena;
	char *name;
	char *text;
	size_t len;
	mn_json *root;
	S_res *res;             /* [0, ntop): top-level; [ntop, nres): contained */
	size_t ntop, nres;
	uint32_t *slots;        /* nslots: an entry's number, 0 empty; then the entries, at most nslots / 2 */
	S_slot *entries;
	size_t nslots, nused;   /* nslots is a power of two */
	size_t unresolved;      /* dangling references accepted by MN_CASE_ALLOW_UNRESOLVED */
	const char *unresolved_at[MN_CASE_UNRESOLVED_KEPT];  /* the first ones, for messages */
	size_t problems;        /* elements dropped by MN_CASE_LENIENT */
	const char *problem_at[MN_CASE_PROBLEMS_KEPT];       /* the first ones, for messages */
	unsigned flags;
	size_t left_out;        /* an as-of view: top-level resources of its source left out */
	/* the top-level resources by exact type (mn_case_of_type): by_type[type_start[k] ..
	 * type_start[k + 1]) are the positions of those of type mn_fhir__types[k], in case order */
	uint32_t *type_start, *by_type;
	bool bundle_exact;      /* mn_case_bundle_exact */
	/* an as-of view that leaves nothing out: res, slots, type_start and by_type are its source's
	 * (the same resources, read only), not freed with it */
	bool borrowed;
	/* the index by code (mn_case_coded), made when first asked; an as-of view that leaves nothing
	 * out shares its source's box (so the index is made once per record) */
	struct S_codes_box *codes;
	/* an as-of view that leaves some out: its source (which outlives it), and the view's position of each
	 * of the source's top-level resources (UINT32_MAX: left out), so that the view's index by code is
	 * the source's, filtered (made once per record), not made again from the resources */
	const mn_case *from;
	uint32_t *from_pos;
};

/* ---- hash table -------------------------------------------------------- */

/* A hash of the key and its scope, 8 bytes at a time. Only compared within one process: never stored. */
static uint32_t S_hash(const char *s, size_t n, const void *scope)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)scope ^ (uint64_t)n << 40;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	if (i < n) {
		/* the last 1 to 7 bytes: of a key of 8 or more, the last 8 (some hashed already) in one load */
		uint64_t w = 0;
		if (n >= 8) {
			memcpy(&w, s + n - 8, 8);
		} else {
			for (size_t k = 0; i + k < n; k++)
				w |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
		}
		h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

/* The slot of the key: its entry's, or the empty one where it would go. */
static uint32_t *S_probe(const mn_case *c, const char *key, size_t len, const void *scope, uint32_t h)
{
	size_t mask = c->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t *slot = &c->slots[i];
		if (!*slot)
			return slot;
		const S_slot *s = &c->entries[*slot - 1];
		if (s->hash == h && s->len == len && s->scope == scope && memcmp(s->key, key, len) == 0)
			return slot;
	}
}

static S_res *S_get(const mn_case *c, const char *key, size_t len, const void *scope)
{
	if (!c->nslots || len > UINT32_MAX)
		return NULL;
	uint32_t *slot = S_probe(c, key, len, scope, S_hash(key, len, scope));
	return *slot ? c->entries[*slot - 1].res : NULL;
}

/* Insert unless present (the first resource with a key wins). The key must
 * live as long as the case. The table is sized before inserting. */
static void S_put(mn_case *c, const char *key, size_t len, const void *scope, S_res *r)
{
	if (len > UINT32_MAX || c->nused * 2 >= c->nslots)
		return;
	uint32_t h = S_hash(key, len, scope);
	uint32_t *slot = S_probe(c, key, len, scope, h);
	if (*slot)
		return;
	S_slot *s = &c->entries[c->nused];
	s->key = key;
	s->len = (uint32_t)len;
	s->hash = h;
	s->scope = scope;
	s->res = r;
	*slot = (uint32_t)++c->nused;
}

/* An empty table for nres resources (per resource a json key, a Type/id, a fullUrl and its tail, at most
 * half the slots full); MN_ENOMEM or MN_OK. One allocation: the slots, then the entries. */
static mn_status S_table_new(mn_case *c, size_t nres)
{
	size_t want = 16;
	while (want < (nres * 4 + 1) * 2)
		want *= 2;
	c->slots = malloc(want * sizeof *c->slots + want / 2 * sizeof *c->entries);
	if (!c->slots)
		return MN_ENOMEM;
	memset(c->slots, 0, want * sizeof *c->slots);
	c->entries = (S_slot *)(void *)(c->slots + want);  /* want * 4 bytes: a multiple of 64 */
	c->nslots = want;
	c->nused = 0;
	return MN_OK;
}

/* ---- small helpers ----------------------------------------------------- */

static bool S_is(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && memcmp(s, lit, l) == 0;
}

/* mn_json_get with a literal key: its length is known. */
/* mn_json_getn(obj, lit, ...), the first two members tried inline: resourceType, reference, fullUrl and
 * resource usually come first or second, and the compare of a literal's length is a few loads */
#define S_member(obj, lit) S_member_n(obj, lit, sizeof(lit) - 1)
static inline __attribute__((always_inline)) const mn_json *S_member_n(const mn_json *obj, const char *key,
                                                                        size_t n)
{
	if (obj && obj->type == MN_JSON_OBJECT && obj->n) {
		if (obj->u.members[0].key_len == n && memcmp(obj->u.members[0].key, key, n) == 0)
			return &obj->u.members[0].value;
		/* the second: id after resourceType, resource after fullUrl */
		if (obj->n > 1 && obj->u.members[1].key_len == n && memcmp(obj->u.members[1].key, key, n) == 0)
			return &obj->u.members[1].value;
	}
	return mn_json_getn(obj, key, n);
}

static bool S_is_absolute_url(const char *s, size_t n)
{
	/* scheme "://" as in http://, https://; urn: is handled apart */
	for (size_t i = 0; i + 2 < n && i < 32; i++) {
		char ch = s[i];
		if (ch == ':')
			return i > 0 && s[i + 1] == '/' && s[i + 2] == '/';
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '-' || ch == '.'))
			return false;
	}
	return false;
}

/* Length of s without a trailing "/_history/<version>". */
static size_t S_strip_history(const char *s, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		if (s[i - 1] == '/') {
			if (i >= 10 && memcmp(s + i - 10, "/_history/", 10) == 0)
				return i - 10;
			/* only the last segment can be the version */
			if (i < n && i >= 9 && memcmp(s + i - 9, "/_history", 9) == 0)
				return i - 9;
			break;
		}
	}
	return n;
}

/* When s ends in "<ResourceType>/<id>", set *tail to where that starts and
 * return true. */
static bool S_type_id_tail(const char *s, size_t n, size_t *tail)
{
	size_t slash2 = n, slash1;
	while (slash2 > 0 && s[slash2 - 1] != '/')
		slash2--;
	if (slash2 == 0 || slash2 == n)
		return false; /* no slash, or empty id */
	slash1 = slash2 - 1;
	while (slash1 > 0 && s[slash1 - 1] != '/')
		slash1--;
	if (!mn_fhir_is_resource_type(s + slash1, slash2 - 1 - slash1))
		return false;
	*tail = slash1;
	return true;
}

static const char *S_json_kind(const mn_json *v)
{
	switch (v->type) {
	case MN_JSON_NULL: return "null";
	case MN_JSON_FALSE:
	case MN_JSON_TRUE: return "a boolean";
	case MN_JSON_NUMBER: return "a number";
	case MN_JSON_STRING: return "a string";
	case MN_JSON_ARRAY: return "an array";
	default: return "an object";
	}
}

/* ---- step 1: index ----------------------------------------------------- */

/* The resource object of a Bundle entry or NULL. */
static const mn_json *S_entry_resource(const mn_json *entry)
{
	const mn_json *r = S_member(entry, "resource");
	return r && r->type == MN_JSON_OBJECT ? r : NULL;
}

/* The resource type of obj when its resourceType is a string naming one (*rt: that member), else NULL. */
static const mn_fhir_type *S_usable_type(const mn_json *obj, const mn_json **rt)
{
	*rt = S_member(obj, "resourceType");
	if (!*rt || (*rt)->type != MN_JSON_STRING)
		return NULL;
	const mn_fhir_type *t = mn_fhir_type_find((*rt)->u.s, (*rt)->n);
	return t && t->kind == MN_FHIR_RESOURCE ? t : NULL;  /* mn_fhir_is_resource_type */
}

static bool S_usable_resource(const mn_json *obj)
{
	const mn_json *rt;
	return S_usable_type(obj, &rt) != NULL;
}

/* The usable resources of obj's "contained" array (*ct: that array, or NULL). */
static size_t S_count_contained(const mn_json *obj, const mn_json **ct_out)
{
	const mn_json *ct = S_member(obj, "contained");
	size_t n = 0;
	*ct_out = NULL;
	if (!ct || ct->type != MN_JSON_ARRAY)
		return 0;
	*ct_out = ct;
	for (uint32_t i = 0; i < ct->n; i++)
		if (ct->u.items[i].type == MN_JSON_OBJECT && S_usable_resource(&ct->u.items[i]))
			n++;
	return n;
}

/* obj: a usable resource (S_usable_type gave t and its resourceType member rt). */
static void S_init_res(S_res *r, const mn_json *obj, const mn_json *rt, const mn_fhir_type *t, int index,
                       const S_res *container)
{
	const mn_json *id = S_member(obj, "id");
	memset(r, 0, sizeof *r);
	r->pub.json = obj;
	r->pub.type = t;
	r->pub.type_name = rt->u.s;
	r->pub.id = id && id->type == MN_JSON_STRING ? id->u.s : NULL;
	r->pub.index = index;
	r->pub.container = container ? &container->pub : NULL;
	r->start = r->end = obj->offset;
}

static mn_status S_index_key(mn_case *c, S_res *r)
{
	const char *rt = r->pub.type_name, *id = r->pub.id;
	/* the object pointer's own bytes are the key */
	S_put(c, (const char *)&r->pub.json, sizeof r->pub.json, &S_SCOPE_JSON, r);
	if (r->pub.container) {
		if (id)
			S_put(c, id, strlen(id), r->pub.container, r);
		return MN_OK;
	}
	/* an absolute fullUrl's Type/id tail (u + tail, n - tail bytes), worked out first: when it is the
	 * resource's own "Type/id" (as usual), that key is the tail's bytes, not a copy */
	const char *u = r->pub.full_url;
	size_t ul = u ? strlen(u) : 0, tail = 0, n = 0;
	bool has_tail = false;
	if (u && S_is_absolute_url(u, ul)) {
		n = S_strip_history(u, ul);
		has_tail = S_type_id_tail(u, n, &tail);
	}
	bool tail_put = false;
	if (id) {
		size_t tl = strlen(rt), il = strlen(id);
		if (has_tail && n - tail == tl + 1 + il && memcmp(u + tail, rt, tl) == 0 && u[tail + tl] == '/' &&
		    memcmp(u + tail + tl + 1, id, il) == 0) {
			S_put(c, u + tail, n - tail, &S_SCOPE_TID, r);
			tail_put = true;  /* putting it again below would change nothing */
		} else {
			char *k = mn_arena_alloc(c->arena, tl + il + 2);
			if (!k)
				return MN_ENOMEM;
			memcpy(k, rt, tl);
			k[tl] = '/';
			memcpy(k + tl + 1, id, il + 1);
			S_put(c, k, tl + 1 + il, &S_SCOPE_TID, r);
		}
	}
	r->url_base = 0;
	if (u) {
		S_put(c, u, ul, &S_SCOPE_URL, r);
		if (has_tail) {
			if (!tail_put)
				S_put(c, u + tail, n - tail, &S_SCOPE_TID, r);
			r->url_base = tail <= UINT32_MAX ? (uint32_t)tail : 0;  /* S_url_base(u, ul) */
		}
	}
	return MN_OK;
}

/* A top-level resource as S_build_index's first pass found it, for its second. */
typedef struct S_top_found {
	const mn_json *obj, *rt, *full, *contained;  /* full: the entry's fullUrl; contained: NULL or an array */
	const mn_fhir_type *t;
} S_top_found;

static mn_status S_build_index(mn_case *c)
{
	const mn_json *root = c->root;
	const mn_json *entries = NULL;
	size_t ntop = 0, ncont = 0;
	bool bundle = root->type == MN_JSON_OBJECT && mn_json_is_string(S_member(root, "resourceType"), "Bundle");
	S_top_found one, *found = &one;

	/* first: the top-level resources, each looked up once, and how many contained ones they hold */
	if (bundle) {
		entries = S_member(root, "entry");
		if (entries && entries->type != MN_JSON_ARRAY)
			entries = NULL;
		size_t most = entries ? entries->n : 0;  /* top-level resources, at most */
		if (most > 1 && !(found = most <= SIZE_MAX / sizeof *found ? malloc(most * sizeof *found) : NULL))
			return MN_ENOMEM;
		for (uint32_t i = 0; entries && i < entries->n; i++) {
			const mn_json *entry = &entries->u.items[i];
			S_top_found *f = &found[ntop];
			if ((f->obj = S_entry_resource(entry)) && (f->t = S_usable_type(f->obj, &f->rt))) {
				f->full = S_member(entry, "fullUrl");
				ncont += S_count_contained(f->obj, &f->contained);
				ntop++;
			}
		}
	} else if (root->type == MN_JSON_OBJECT && (one.t = S_usable_type(root, &one.rt))) {
		one.obj = root;
		one.full = NULL;
		ntop = 1;
		ncont = S_count_contained(root, &one.contained);
	}
	mn_status st = MN_ENOMEM;
	c->ntop = ntop;
	c->nres = ntop + ncont;
	if (c->nres) {
		/* not cleared: S_init_res clears each one below (ntop and ncont count what is put there) */
		c->res = c->nres <= SIZE_MAX / sizeof *c->res ? mn_arena_alloc(c->arena, c->nres * sizeof *c->res) : NULL;
		if (!c->res)
			goto done;
	}
	if (S_table_new(c, c->nres) != MN_OK)
		goto done;

	size_t next = ntop;
	for (size_t top = 0; top < ntop; top++) {
		const S_top_found *f = &found[top];
		S_res *r = &c->res[top];
		S_init_res(r, f->obj, f->rt, f->t, (int)top, NULL);
		if (f->full && f->full->type == MN_JSON_STRING)
			r->pub.full_url = f->full->u.s;
		const mn_json *ct = f->contained;
		if (ct) {
			r->kids = &c->res[next];
			for (uint32_t k = 0; k < ct->n; k++) {
				const mn_json *co = &ct->u.items[k], *crt;
				const mn_fhir_type *ctype;
				if (co->type != MN_JSON_OBJECT || !(ctype = S_usable_type(co, &crt)))
					continue;
				S_init_res(&c->res[next], co, crt, ctype, (int)next, r);
				next++;
				r->nkids++;
			}
		}
	}
	st = MN_OK;
done:
	if (found != &one)
		free(found);
	for (size_t i = 0; st == MN_OK && i < c->nres; i++)
		st = S_index_key(c, &c->res[i]);
	return st;
}

/* ---- reference resolution ---------------------------------------------- */

static const S_res *S_top(const mn_resource *from)
{
	while (from && from->container)
		from = from->container;
	return (const S_res *)from;
}

/* Base of an absolute fullUrl ending in Type/id ("http://x/fhir/"), or 0: for a resource of the case, the
 * base of its fullUrl (S_index_key worked it out as it indexed the fullUrl's Type/id tail). */
static size_t S_url_base(const S_res *r)
{
	return r && r->pub.full_url ? r->url_base : 0;
}

const mn_resource *mn_case_resolve(const mn_case *c, const char *ref, size_t len,
                                   const mn_resource *from)
{
	S_res *r;
	size_t n, tail;
	if (!c || !ref || len == 0)
		return NULL;
	if (ref[0] == '#') {
		const S_res *top = S_top(from);
		if (!top)
			return NULL;
		if (len == 1)
			return &top->pub;
		r = S_get(c, ref + 1, len - 1, &top->pub);
		return r ? &r->pub : NULL;
	}
	if (memchr(ref, '?', len))
		return NULL; /* conditional: a search, not a reference */
	if (len > 4 && memcmp(ref, "urn:", 4) == 0) {
		r = S_get(c, ref, len, &S_SCOPE_URL);
		return r ? &r->pub : NULL;
	}
	/* S_is_absolute_url needs a ':' in the first 32 bytes; most references ("Type/id") have none, and
	 * memchr finds that sooner than the scheme scan */
	if (memchr(ref, ':', len < 32 ? len : 32) && S_is_absolute_url(ref, len)) {
		if ((r = S_get(c, ref, len, &S_SCOPE_URL)))
			return &r->pub;
		n = S_strip_history(ref, len);
		if (n != len && (r = S_get(c, ref, n, &S_SCOPE_URL)))
			return &r->pub;
		if (!S_type_id_tail(ref, n, &tail))
			return NULL;
		r = S_get(c, ref + tail, n - tail, &S_SCOPE_TID);
		if (!r)
			return NULL;
		/* the same server as the target's fullUrl, or as the referrer's */
		const S_res *top = S_top(from);
		const char *fu = r->pub.full_url;
		if (fu && S_url_base(r) == tail && memcmp(fu, ref, tail) == 0)
			return &r->pub;
		fu = top ? top->pub.full_url : NULL;
		if (fu && S_url_base(top) == tail && memcmp(fu, ref, tail) == 0)
			return &r->pub;
		return NULL;
	}
	/* relative: Type/id[/_history/v]; with one slash ("Type/id", most of them), no history (it has two
	 * more) and the type is all before it: what the scans below find, without them */
	const char *slash = memchr(ref, '/', len);
	if (slash && slash > ref && slash + 1 < ref + len && !memchr(slash + 1, '/', len - (size_t)(slash + 1 - ref))) {
		if (!mn_fhir_is_resource_type(ref, (size_t)(slash - ref)))
			return NULL;
		n = len;
	} else {
		n = S_strip_history(ref, len);
		if (!S_type_id_tail(ref, n, &tail) || tail != 0)
			return NULL;
	}
	const S_res *top = S_top(from);
	const char *fu = top ? top->pub.full_url : NULL;
	size_t base = S_url_base(top);
	if (base && base + n < 1024) {
		char buf[1024];
		memcpy(buf, fu, base);
		memcpy(buf + base, ref, n);
		if ((r = S_get(c, buf, base + n, &S_SCOPE_URL)))
			return &r->pub;
	}
	r = S_get(c, ref, n, &S_SCOPE_TID);
	return r ? &r->pub : NULL;
}

/* ---- step 2: check ----------------------------------------------------- */

/* The JSON pointer of the node being checked is kept as a stack of
 * segments (a key, or an array index when key is NULL) and written out only
 * for an error. */
#define S_DEPTH_MAX 1100 /* > 2 * MN_JSON_MAX_DEPTH: a key and an index per level */

typedef struct S_seg {
	const char *key;        /* NULL: an array index */
	uint32_t n;             /* key length or index */
} S_seg;

/* The answers of mn_fhir_element_for_json, by type and member name, per thread for all the checks it runs (the
 * model does not change): a record names the same few hundred (type, name) pairs over and over, and the next
 * record the same ones. Two-way (S_element_memo_for). A name is held as its length and its first and last 8
 * bytes (fewer for a shorter name, see mn_fhir__name_words), which are the whole name up to 16 bytes, and a
 * copy of the bytes between them up to S_MEMO_NAME_MAX; a longer name's answer is not kept. */
#define S_ELEMENT_CACHE 1024
#define S_MEMO_NAME_MAX 48
typedef struct S_element_memo {
	const mn_fhir_type *t;  /* NULL: empty */
	uint64_t head, tail;
	size_t len;
	char middle[S_MEMO_NAME_MAX - 16];  /* name[8 .. len - 8) */
	const mn_fhir_element *e;
	const mn_fhir_type *et;
	bool plain_string;      /* e holds one value of a primitive type whose FHIRPath type is String */
	bool complex;           /* et is a complex or backbone type (S_complex), not a primitive or a resource */
} S_element_memo;

static _Thread_local S_element_memo S_elements[S_ELEMENT_CACHE];
static _Thread_local S_element_memo S_element_long;  /* the answer for a name too long to keep; t NULL */

/* The answers of S_check_reference for relative references ("Type/id") during one check: a record names the
 * same few patients, practitioners and encounters over and over. mn_case_resolve reads nothing of the
 * referrer for one but the base of its top-level resource's fullUrl (S_url_base), so an answer holds for the
 * same reference text under the same base. Direct-mapped by a hash of the text. */
#define S_REF_CACHE 64
typedef struct S_ref_memo {
	const char *ref;        /* NULL: empty; the reference's text (a string of the tree, which outlives the check) */
	const char *fu;         /* the referrer's top-level fullUrl, of which the first base bytes count */
	uint32_t len, base;
	bool resolved;
} S_ref_memo;

/* The memo entries that answered the members of the last object of a type, by the member's position (S_object):
 * objects of one type mostly have the same keys in the same order, so the entry at the same position is tried
 * first, without the hash. An entry is checked against the name as in the hashed lookup (it may since have been
 * moved or replaced), so a stale hint only costs that lookup. Direct-mapped by the type's address; a slot
 * taken by another type starts empty. */
#define S_SHAPES 256
#define S_SHAPE_MEMBERS 15  /* with t, 128 bytes */
typedef struct S_shape {
	const mn_fhir_type *t;                      /* NULL: empty */
	const S_element_memo *at[S_SHAPE_MEMBERS];  /* NULL: none yet */
} S_shape;

/* The answers of S_resolves for "urn:..." references during one check: whether the text is a top-level
 * resource's fullUrl (which does not depend on the referrer). A transaction Bundle names the same few patients
 * and encounters by urn over and over. Direct-mapped by the text's last 8 bytes; only texts without '?' are
 * kept. */
#define S_URN_CACHE 64
typedef struct S_urn_memo {
	const char *ref;        /* NULL: empty; the reference's text (a string of the tree, which outlives the check) */
	uint32_t len;
	bool resolved;
} S_urn_memo;

typedef struct S_ctx {
	mn_case *c;
	mn_error *err;
	const mn_fhir_type *t_element, *t_reference, *t_resource, *t_domain;
	const mn_fhir_type *t_instant, *t_positive, *t_unsigned;
	S_res *cur;             /* innermost case resource being walked (NULL: Bundle level) */
	uint32_t last;          /* largest node offset seen */
	size_t depth;           /* segments on the path (may exceed S_DEPTH_MAX: not stored) */
	int in_contained;       /* walking inside a "contained" array */
	bool drop;              /* MN_CASE_LENIENT: the member being checked is to be removed */
	bool have_ref_err;
	mn_error ref_err;
	S_ref_memo refs[S_REF_CACHE];
	S_urn_memo urns[S_URN_CACHE];
	S_seg path[S_DEPTH_MAX];
	S_shape shapes[S_SHAPES];
} S_ctx;

/* mn_fhir_element_for_json(t, name, len, ...), remembered: the memo entry, valid until the next call. */
static inline bool S_memo_is(const S_element_memo *m, const mn_fhir_type *t, const char *name, size_t len,
                             uint64_t a, uint64_t b)
{
	return m->t == t && m->len == len && m->head == a && m->tail == b &&
	       (len <= 16 || memcmp(m->middle, name + 8, len - 16) == 0);
}

static const S_element_memo *S_element_memo_miss(S_element_memo *m, const mn_fhir_type *t, const char *name,
                                                 size_t len, uint64_t a, uint64_t b) __attribute__((noinline));

/* Inlined into its callers: a hit is a few compares; the miss (a model lookup) is out of line, so that the hit
 * does not pay its register saves. */
static inline __attribute__((always_inline)) const S_element_memo *
S_element_memo_find(const mn_fhir_type *t, const char *name, size_t len, uint64_t a, uint64_t b)
{
	/* two ways: the pair of entries 2k, 2k + 1; a new answer goes first, the older one second */
	size_t slot = (size_t)(mn_fhir__name_hash(a, b, len, (uintptr_t)t) & (S_ELEMENT_CACHE - 2));
	S_element_memo *m = &S_elements[slot];
	if (S_memo_is(m, t, name, len, a, b))
		return m;
	if (S_memo_is(m + 1, t, name, len, a, b))
		return m + 1;
	return S_element_memo_miss(m, t, name, len, a, b);
}

static inline __attribute__((always_inline)) const S_element_memo *
S_element_memo_for(const mn_fhir_type *t, const char *name, size_t len)
{
	uint64_t a, b;
	mn_fhir__name_words(name, len, &a, &b);
	return S_element_memo_find(t, name, len, a, b);
}

/* S_element_memo_for, trying *hint first (S_shape); *hint is then the answer. */
static inline __attribute__((always_inline)) const S_element_memo *
S_element_memo_hinted(const S_element_memo **hint, const mn_fhir_type *t, const char *name, size_t len)
{
	uint64_t a, b;
	mn_fhir__name_words(name, len, &a, &b);
	const S_element_memo *m = *hint;
	if (m && S_memo_is(m, t, name, len, a, b))
		return m;
	return *hint = S_element_memo_find(t, name, len, a, b);
}

static const S_element_memo *S_element_memo_miss(S_element_memo *m, const mn_fhir_type *t, const char *name,
                                                 size_t len, uint64_t a, uint64_t b)
{
	if (len > S_MEMO_NAME_MAX) {
		m = &S_element_long;
	} else {
		m[1] = m[0];
		m->t = t;
		if (len > 16)
			memcpy(m->middle, name + 8, len - 16);
	}
	m->e = mn_fhir_element_for_json(t, name, len, &m->et);
	m->head = a;
	m->tail = b;
	m->len = len;
	m->plain_string = m->e && !m->e->many && m->et && m->et->kind == MN_FHIR_PRIMITIVE && m->et->system_type &&
	                  strcmp(m->et->system_type, "String") == 0;
	m->complex = m->e && m->et && m->et->kind != MN_FHIR_PRIMITIVE && m->et->kind != MN_FHIR_RESOURCE;
	return m;
}

/* mn_fhir_element_for_json(t, name, len, et), remembered. */
static const mn_fhir_element *S_element(const mn_fhir_type *t, const char *name, size_t len,
                                        const mn_fhir_type **et)
{
	const S_element_memo *m = S_element_memo_for(t, name, len);
	*et = m->et;
	return m->e;
}

static inline size_t S_push(S_ctx *x, const char *key, size_t n)
{
	if (x->depth < S_DEPTH_MAX) {
		x->path[x->depth].key = key;
		x->path[x->depth].n = (uint32_t)n;
	}
	return x->depth++;
}

static inline size_t S_push_index(S_ctx *x, uint32_t i)
{
	if (x->depth < S_DEPTH_MAX) {
		x->path[x->depth].key = NULL;
		x->path[x->depth].n = i;
	}
	return x->depth++;
}

static inline void S_pop(S_ctx *x, size_t saved)
{
	x->depth = saved;
}

/* The path as a JSON pointer ("/entry/3/resource/code"), '~' and '/' in
 * keys escaped, cut to fit out. */
static void S_path_string(const S_ctx *x, char *out, size_t outsz)
{
	size_t n = 0, depth = x->depth < S_DEPTH_MAX ? x->depth : S_DEPTH_MAX;
	out[0] = 0;
	for (size_t d = 0; d < depth && n + 2 < outsz; d++) {
		const S_seg *sg = &x->path[d];
		out[n++] = '/';
		if (!sg->key) {
			int w = snprintf(out + n, outsz - n, "%u", (unsigned)sg->n);
			n = w < 0 ? n : n + (size_t)w >= outsz ? outsz - 1 : n + (size_t)w;
			continue;
		}
		for (uint32_t i = 0; i < sg->n && n + 2 < outsz; i++) {
			char ch = sg->key[i];
			if (ch == '~' || ch == '/') {
				out[n++] = '~';
				out[n++] = ch == '~' ? '0' : '1';
			} else {
				out[n++] = ch;
			}
		}
	}
	out[n < outsz ? n : outsz - 1] = 0;
}

static void S_locate(S_ctx *x, mn_error *e, const mn_json *at)
{
	int line = 0, col = 0;
	mn_json_position(x->c->text, x->c->len, at->offset, &line, &col);
	mn_error_locate(e, x->c->name, line, col);
	char path[sizeof e->path];
	S_path_string(x, path, sizeof path);
	mn_error_set_path(e, path);
}

static mn_status S_fail(S_ctx *x, const mn_json *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static mn_status S_fail(S_ctx *x, const mn_json *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mn_error_setv(x->err, MN_EFHIR, fmt, ap);
	va_end(ap);
	if (x->err)
		S_locate(x, x->err, at);
	return MN_EFHIR;
}

/* "Observation.effective[x] (dateTime)" into buf. */
static const char *S_label(char *buf, size_t sz, const mn_fhir_type *t, const mn_fhir_element *e,
                           const mn_fhir_type *et)
{
	if (e->choice)
		snprintf(buf, sz, "%s.%s[x] (%s)", t->name, e->name, et->name);
	else
		snprintf(buf, sz, "%s.%s (%s)", t->name, e->name, et->name);
	return buf;
}

/* A problem at the node at. Unless droppable, or without MN_CASE_LENIENT,
 * or at Bundle level (where removing members could move an indexed
 * resource object), it is S_fail. Otherwise it is a data-quality problem
 * inside a case resource: counted, the first ones kept with their JSON
 * pointer, and the member being checked is dropped from its object
 * (S_object), so nothing downstream reads it. */
static mn_status S_problem(S_ctx *x, bool droppable, const mn_json *at, const char *msg)
{
	if (!droppable || !(x->c->flags & MN_CASE_LENIENT) || !x->cur)
		return S_fail(x, at, "%s", msg);
	size_t k = x->c->problems++;
	if (k < MN_CASE_PROBLEMS_KEPT) {
		char path[400];
		S_path_string(x, path, sizeof path);
		/* NULL on out of memory: mn_case_load_ex then fails (a warning never lists fewer) */
		x->c->problem_at[k] = mn_arena_printf(x->c->arena, "%s: %s", path, msg);
	}
	x->drop = true;
	return MN_OK;
}

/* S_problem, droppable. */
static mn_status S_warn(S_ctx *x, const mn_json *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static mn_status S_warn(S_ctx *x, const mn_json *at, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return S_problem(x, true, at, msg);
}

/* S_problem with the element's label first: "Patient.gender (code): ...".
 * S_efail always fails; S_ewarn is droppable. */
static mn_status S_eproblem(S_ctx *x, bool droppable, const mn_json *at, const mn_fhir_type *t,
                            const mn_fhir_element *e, const mn_fhir_type *et, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static mn_status S_eproblem(S_ctx *x, bool droppable, const mn_json *at, const mn_fhir_type *t,
                            const mn_fhir_element *e, const mn_fhir_type *et, const char *fmt, ...)
{
	char lb[200], msg[600], all[820];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(all, sizeof all, "%s: %s", S_label(lb, sizeof lb, t, e, et), msg);
	return S_problem(x, droppable, at, all);
}
#define S_efail(x, at, t, e, et, ...) S_eproblem(x, false, at, t, e, et, __VA_ARGS__)
#define S_ewarn(x, at, t, e, et, ...) S_eproblem(x, true, at, t, e, et, __VA_ARGS__)

static inline void S_seen(S_ctx *x, const mn_json *v)
{
	if (v->offset > x->last)
		x->last = v->offset;
}

static mn_status S_object(S_ctx *x, const mn_json *obj, const mn_fhir_type *t, bool resource);
static mn_status S_resource(S_ctx *x, const mn_json *v, const mn_fhir_type *t,
                            const mn_fhir_element *e, const mn_fhir_type *et);

/* An integer's JSON text within [lo, hi]. */
static bool S_int_in(const char *s, size_t n, long long lo, long long hi)
{
	size_t i = 0;
	bool neg = false;
	long long v = 0;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > 4000000000LL)
			return false;
	}
	if (neg)
		v = -v;
	return v >= lo && v <= hi;
}

static bool S_is_integer_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return false;
	return true;
}

/* The bytes of a word w (8 bytes of text, as loaded) against form (8 bytes of text: '0' where a digit goes,
 * anything else where that byte goes): whether each digit place holds a digit and each other place its byte. */
static inline bool S_word_form(uint64_t w, const char *form)
{
	uint64_t f, ones, other;
	unsigned char o[8];
	for (int k = 0; k < 8; k++)  /* 0xff where form has no digit, as bytes (either byte order; folded) */
		o[k] = form[k] == '0' ? 0 : 0xff;
	memcpy(&f, form, 8);
	memcpy(&other, o, 8);
	memset(&ones, 0x01, 8);
	uint64_t d = w ^ f;  /* digits: 0x00-0x09 (or above if not digits); the other places: 0x00 if right */
	/* each byte at most 0x0f, then at most 0x09 (0x0f + 6 < 0x100: no carry into the next byte) */
	return !(d & ones * 0xf0) && !((d + ones * 6) & ones * 0x10) && !(d & other);
}

/* Whether s[0..n) is a dateTime to the second or finer with a zone that mn_datetime_parse reads as valid:
 * "YYYY-MM-DDThh:mm:ss", an optional fraction ".d...", then "Z" or "+hh:mm" / "-hh:mm" (hours of a zone at
 * most 14), month 1-12, day within the month (leap years), hh 0-23, mm and ss 0-59. Such a value is what a
 * dateTime and an instant need (S_primitive), so it is valid at once; anything else is left to the parse. */
static bool S_datetime_full(const char *s, size_t n)
{
	if (n < 20)
		return false;
	uint64_t w0, w1, w2;
	memcpy(&w0, s, 8);        /* YYYY-MM- */
	memcpy(&w1, s + 8, 8);    /* DDThh:mm */
	memcpy(&w2, s + 11, 8);   /* hh:mm:ss */
	if (!S_word_form(w0, "0000-00-") || !S_word_form(w1, "00T00:00") || !S_word_form(w2, "00:00:00"))
		return false;
#define S_D2(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
	int year = S_D2(0) * 100 + S_D2(2), month = S_D2(5), day = S_D2(8);
	if (month < 1 || month > 12 || day < 1 || day > mn_days_in_month(year, month) || S_D2(11) > 23 ||
	    S_D2(14) > 59 || S_D2(17) > 59)
		return false;
	size_t i = 19;
	if (s[i] == '.') {
		size_t j = ++i;
		while (i < n && (unsigned)(unsigned char)s[i] - '0' <= 9)
			i++;
		if (i == j)
			return false;
	}
	if (i + 1 == n)
		return s[i] == 'Z';
	if (i + 6 != n || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return false;
	for (size_t k = i + 1; k < n; k++)
		if (k != i + 3 && (unsigned)(unsigned char)s[k] - '0' > 9)
			return false;
	return S_D2(i + 1) <= 14 && S_D2(i + 4) <= 59;
#undef S_D2
}

static mn_status S_primitive(S_ctx *x, const mn_json *v, const mn_fhir_type *t,
                             const mn_fhir_element *e, const mn_fhir_type *et)
{
	const char *sys = et->system_type;
	if (!sys)
		return MN_OK; /* cannot happen: every primitive has one */
	switch (sys[0]) {
	case 'B': /* Boolean */
		if (v->type != MN_JSON_TRUE && v->type != MN_JSON_FALSE)
			return S_efail(x, v, t, e, et, "expected true or false, found %s", S_json_kind(v));
		return MN_OK;
	case 'I': /* Integer: integer, positiveInt, unsignedInt */
		if (v->type != MN_JSON_NUMBER)
			return S_efail(x, v, t, e, et, "expected a number, found %s", S_json_kind(v));
		if (!S_is_integer_text(v->u.s, v->n))
			return S_ewarn(x, v, t, e, et, "expected an integer, found %.*s", (int)v->n, v->u.s);
		{
			long long lo = -2147483648LL;
			if (et == x->t_positive)
				lo = 1;
			else if (et == x->t_unsigned)
				lo = 0;
			if (!S_int_in(v->u.s, v->n, lo, 2147483647LL))
				return S_ewarn(x, v, t, e, et, "%.*s is out of range (%lld to 2147483647)", (int)v->n, v->u.s, lo);
		}
		return MN_OK;
	case 'D':
		if (sys[1] == 'e') { /* Decimal */
			if (v->type != MN_JSON_NUMBER)
				return S_efail(x, v, t, e, et, "expected a number, found %s", S_json_kind(v));
			return MN_OK;
		}
		break; /* Date, DateTime: strings */
	default:
		break;
	}
	if (v->type != MN_JSON_STRING)
		return S_efail(x, v, t, e, et, "expected a string, found %s",
		              S_json_kind(v));
	/* left: String, Date, DateTime, Time (the System types of the 20 primitives, which test_model_types
	 * lists), told apart by a byte: no strcmp for each of them */
	if (sys[0] == 'S')
		return MN_OK;

	/* Date, DateTime (dateTime, instant), Time */
	mn_datetime dt;
	bool instant = et == x->t_instant;
	mn_dt_kind kind = sys[0] == 'T' ? MN_DT_TIME : sys[4] == '\0' ? MN_DT_DATE : MN_DT_DATETIME;
	if (kind == MN_DT_DATETIME && S_datetime_full(v->u.s, v->n))
		return MN_OK;  /* to the second, with a zone: what a dateTime and an instant need */
	const char *why = NULL;
	if (mn_datetime_parse(v->u.s, v->n, kind, &dt, NULL) != MN_OK)
		why = "";
	else if (kind == MN_DT_TIME && dt.precision < MN_DT_SECOND)
		why = ": seconds are required";
	else if (kind == MN_DT_DATETIME && dt.precision >= MN_DT_HOUR && dt.precision < MN_DT_SECOND)
		why = ": a time needs seconds";
	else if (kind == MN_DT_DATETIME && dt.precision >= MN_DT_HOUR && !dt.has_tz)
		why = ": a time needs a time zone";
	else if (instant && dt.precision < MN_DT_SECOND)
		why = ": an instant needs a date and a time with seconds and zone";
	if (why)
		return S_ewarn(x, v, t, e, et, "invalid %s \"%.*s\"%s", et->name,
		              (int)(v->n > 64 ? 64 : v->n), v->u.s, why);
	return MN_OK;
}

/* Whether mn_case_resolve(x->c, ref, len, from) finds a resource, remembered for relative references
 * (S_ref_memo): not "#...", no '?', and no ':' in the first 32 bytes (so neither "urn:" nor an absolute URL,
 * see S_is_absolute_url); anything else is resolved each time. */
static bool S_resolves(S_ctx *x, const char *ref, size_t len, const mn_resource *from)
{
	/* "urn:..." (most references of a transaction Bundle): mn_case_resolve's lookup of it as a fullUrl,
	 * remembered for the same text */
	if (len >= 8 && len <= UINT32_MAX && memcmp(ref, "urn:", 4) == 0) {
		uint64_t w;
		memcpy(&w, ref + len - 8, 8);
		S_urn_memo *u = &x->urns[(size_t)((w * 0x9e3779b97f4a7c15u) >> 58) % S_URN_CACHE];
		if (u->ref && u->len == len && memcmp(u->ref, ref, len) == 0)
			return u->resolved;
		if (!memchr(ref, '?', len)) {
			u->ref = ref;
			u->len = (uint32_t)len;
			u->resolved = S_get(x->c, ref, len, &S_SCOPE_URL) != NULL;
			return u->resolved;
		}
	}
	if (len == 0 || len > UINT32_MAX || ref[0] == '#' || memchr(ref, ':', len < 32 ? len : 32) ||
	    memchr(ref, '?', len))
		return mn_case_resolve(x->c, ref, len, from) != NULL;
	const S_res *top = S_top(from);
	size_t base = S_url_base(top);
	const char *fu = base ? top->pub.full_url : NULL;
	S_ref_memo *m = &x->refs[S_hash(ref, len, NULL) & (S_REF_CACHE - 1)];
	if (m->ref && m->len == len && m->base == base && memcmp(m->ref, ref, len) == 0 &&
	    (m->fu == fu || memcmp(m->fu, fu, base) == 0))
		return m->resolved;
	m->ref = ref;
	m->len = (uint32_t)len;
	m->base = (uint32_t)base;
	m->fu = fu;
	m->resolved = mn_case_resolve(x->c, ref, len, from) != NULL;
	return m->resolved;
}

/* A Reference's reference, resolved now; the first failure is kept. */
static void S_check_reference(S_ctx *x, const mn_json *obj)
{
	const mn_json *ref = S_member(obj, "reference");
	if (!ref || ref->type != MN_JSON_STRING)
		return;
	if (S_resolves(x, ref->u.s, ref->n, x->cur ? &x->cur->pub : NULL))
		return;
	size_t k = x->c->unresolved++;
	if (x->c->flags & MN_CASE_ALLOW_UNRESOLVED) {
		if (k < MN_CASE_UNRESOLVED_KEPT) {
			char path[400];
			size_t saved = S_push(x, "reference", 9);
			S_path_string(x, path, sizeof path);
			S_pop(x, saved);
			/* NULL on out of memory: mn_case_load_ex then fails (a warning never lists fewer) */
			x->c->unresolved_at[k] = mn_arena_printf(x->c->arena, "%.*s at %s",
			                                         (int)(ref->n > 200 ? 200 : ref->n), ref->u.s, path);
		}
		return;
	}
	if (x->have_ref_err)
		return;
	x->have_ref_err = true;
	mn_error_clear(&x->ref_err);
	int shown = (int)(ref->n > 200 ? 200 : ref->n);
	if (memchr(ref->u.s, '?', ref->n) && ref->u.s[0] != '#')
		mn_error_set(&x->ref_err, MN_EREF,
		             "conditional reference \"%.*s\" cannot be resolved within the case", shown,
		             ref->u.s);
	else if (ref->u.s[0] == '#')
		mn_error_set(&x->ref_err, MN_EREF, "reference \"%.*s\": no contained resource with that id",
		             shown, ref->u.s);
	else
		mn_error_set(&x->ref_err, MN_EREF, "reference \"%.*s\" does not resolve within the case",
		             shown, ref->u.s);
	size_t saved = S_push(x, "reference", 9);
	S_locate(x, &x->ref_err, ref);
	S_pop(x, saved);
}

/* Whether every member of v (an object of a complex or backbone type et) is a string for an element that holds
 * one primitive String and is no choice, each as the last object of et had it at the same place (S_shape), and
 * no key repeats: S_object would find v valid, mark its values seen and do nothing else, as done here. */
static inline bool S_leaf(S_ctx *x, const mn_json *v, const mn_fhir_type *et)
{
	const S_shape *shape = &x->shapes[((uintptr_t)et >> 4) % S_SHAPES];
	if (shape->t != et || v->n > S_SHAPE_MEMBERS ||
	    (v->flags & (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE)) != (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE))
		return false;
	uint32_t last = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		const mn_json_member *m = &v->u.members[i];
		const S_element_memo *em = shape->at[i];
		uint64_t a, b;
		if (!em || !em->plain_string || em->e->choice || m->value.type != MN_JSON_STRING || !m->key_len ||
		    m->key[0] == '_')
			return false;
		mn_fhir__name_words(m->key, m->key_len, &a, &b);
		if (!S_memo_is(em, et, m->key, m->key_len, a, b))
			return false;
		last = m->value.offset > last ? m->value.offset : last;
	}
	if (last > x->last)
		x->last = last;
	return true;
}

/* An object value of a complex or backbone type et: its members, and a Reference's reference. */
static inline mn_status S_complex(S_ctx *x, const mn_json *v, const mn_fhir_type *et)
{
	mn_status st = S_leaf(x, v, et) ? MN_OK : S_object(x, v, et, false);
	if (st == MN_OK && et == x->t_reference)
		S_check_reference(x, v);
	return st;
}

/* One value (not an array) of element e of t, of type et. */
static mn_status S_item(S_ctx *x, const mn_json *v, const mn_fhir_type *t,
                        const mn_fhir_element *e, const mn_fhir_type *et)
{
	S_seen(x, v);
	switch (et->kind) {
	case MN_FHIR_PRIMITIVE:
		return S_primitive(x, v, t, e, et);
	case MN_FHIR_RESOURCE:
		return S_resource(x, v, t, e, et);
	default:
		if (v->type != MN_JSON_OBJECT)
			return S_efail(x, v, t, e, et, "expected an object, found %s",
			              S_json_kind(v));
		return S_complex(x, v, et);
	}
}

/* The "_name" member of obj for member m ("name"), or NULL. */
static const mn_json *S_ext_sibling(const mn_json *obj, const mn_json_member *m)
{
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *o = &obj->u.members[i];
		if (o->key_len == m->key_len + 1 && o->key[0] == '_' &&
		    memcmp(o->key + 1, m->key, m->key_len) == 0)
			return &o->value;
	}
	return NULL;
}

/* The value of member key (element e of t, JSON type et) in obj. */
static mn_status S_value(S_ctx *x, const mn_json *obj, const mn_json_member *m,
                         const mn_fhir_type *t, const mn_fhir_element *e, const mn_fhir_type *et)
{
	const mn_json *v = &m->value;
	if (!e->many) {
		if (v->type == MN_JSON_ARRAY)
			return S_efail(x, v, t, e, et, "expected a single value, found an array");
		if (v->type == MN_JSON_NULL)
			return S_efail(x, v, t, e, et, "null is not a FHIR value");
		return S_item(x, v, t, e, et);
	}
	if (v->type != MN_JSON_ARRAY)
		return S_efail(x, v, t, e, et, "expected an array, found %s",
		              S_json_kind(v));
	if (v->n == 0)
		return S_efail(x, v, t, e, et, "an empty array is not allowed");
	const mn_json *ext = NULL; /* the "_name" sibling, looked up on the first null */
	bool ext_looked = false;
	for (uint32_t i = 0; i < v->n; i++) {
		const mn_json *it = &v->u.items[i];
		size_t saved = S_push_index(x, i);
		mn_status st = MN_OK;
		if (it->type == MN_JSON_NULL) {
			S_seen(x, it);
			if (!ext_looked) {
				ext_looked = true;
				ext = S_ext_sibling(obj, m);
			}
			/* null stands for a value that only has an id/extension */
			if (et->kind != MN_FHIR_PRIMITIVE || !ext || ext->type != MN_JSON_ARRAY ||
			    i >= ext->n || ext->u.items[i].type != MN_JSON_OBJECT)
				st = S_efail(x, it, t, e, et, "null is only allowed in an array of primitives where "
				            "\"_%.*s\" has an object at the same index", (int)m->key_len, m->key);
		} else {
			st = S_item(x, it, t, e, et);
		}
		S_pop(x, saved);
		if (st)
			return st;
	}
	return MN_OK;
}

/* "_name": the id/extension of primitive element name. */
static mn_status S_primitive_ext(S_ctx *x, const mn_json *obj, const mn_json_member *m,
                                 const mn_fhir_type *t, const mn_fhir_element *e,
                                 const mn_fhir_type *et)
{
	const mn_json *v = &m->value;
	if (!e)
		return S_warn(x, v, "%s: unknown element \"%.*s\"", t->name,
		              (int)(m->key_len > 100 ? 100 : m->key_len), m->key);
	if (et->kind != MN_FHIR_PRIMITIVE)
		return S_efail(x, v, t, e, et, "\"%.*s\" is only allowed for a primitive element", (int)m->key_len, m->key);
	S_seen(x, v);
	if (!e->many) {
		if (v->type != MN_JSON_OBJECT)
			return S_efail(x, v, t, e, et, "expected an object for \"%.*s\", found %s", (int)m->key_len, m->key, S_json_kind(v));
		return S_object(x, v, x->t_element, false);
	}
	if (v->type != MN_JSON_ARRAY)
		return S_efail(x, v, t, e, et, "expected an array for \"%.*s\", found %s", (int)m->key_len, m->key, S_json_kind(v));
	const mn_json *vals = mn_json_getn(obj, m->key + 1, m->key_len - 1);
	if (vals && vals->type == MN_JSON_ARRAY && v->n > vals->n)
		return S_efail(x, v, t, e, et, "\"%.*s\" has %u items but \"%.*s\" only %u", (int)m->key_len, m->key, (unsigned)v->n,
		              (int)m->key_len - 1, m->key + 1, (unsigned)vals->n);
	for (uint32_t i = 0; i < v->n; i++) {
		const mn_json *it = &v->u.items[i];
		size_t saved = S_push_index(x, i);
		mn_status st = MN_OK;
		S_seen(x, it);
		if (it->type == MN_JSON_OBJECT)
			st = S_object(x, it, x->t_element, false);
		else if (it->type != MN_JSON_NULL)
			st = S_efail(x, it, t, e, et, "expected an object or null, found %s", S_json_kind(it));
		S_pop(x, saved);
		if (st)
			return st;
	}
	return MN_OK;
}

static int S_cmp_key(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* Marks a member that S_warn dropped in S_object's keys; the duplicate
 * check skips it, as it skips 0. */
#define S_DROPPED ((uintptr_t)2)
#define S_KEYED(k) ((k) && (k) != S_DROPPED)

/* Two members of obj naming the same element (a repeated key, or two
 * choices such as valueString and valueQuantity)? Returns the index of the
 * later one, or -1. keys[i] identifies member i's element (0: skip). Small
 * objects compare pairwise (from 9 members, only where a 64-bit filter says the
 * key may have been seen); large ones sort a copy, so it stays n log n. */
static long S_duplicate(S_ctx *x, const uintptr_t *keys, uint32_t n)
{
	if (n <= 8) {
		for (uint32_t i = 1; i < n; i++) {
			if (!S_KEYED(keys[i]))
				continue;
			for (uint32_t k = 0; k < i; k++)
				if (keys[i] == keys[k])
					return (long)i;
		}
		return -1;
	}
	if (n <= 24) {
		/* a bit per key seen (of 64, from a hash of the key): the earlier keys are compared only when
		 * the bit was set already */
		uint64_t seen = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!S_KEYED(keys[i]))
				continue;
			uint64_t bit = (uint64_t)1 << ((uint64_t)keys[i] * 0x9e3779b97f4a7c15u >> 58);
			if (seen & bit)
				for (uint32_t k = 0; k < i; k++)
					if (keys[i] == keys[k])
						return (long)i;
			seen |= bit;
		}
		return -1;
	}
	uintptr_t *sorted = malloc(n * sizeof *sorted);
	long found = -1;
	if (!sorted)
		return -1; /* only a check: skip it rather than fail */
	memcpy(sorted, keys, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, S_cmp_key);
	for (uint32_t i = 1; i < n && found < 0; i++)
		if (S_KEYED(sorted[i]) && sorted[i] == sorted[i - 1])
			for (uint32_t k = 0, seen = 0; k < n; k++) /* the later of the two */
				if (keys[k] == sorted[i] && seen++ == 1)
					found = (long)k;
	free(sorted);
	return found;
}

/* Reports the later of two members naming the same element, if any. */
static mn_status S_report_duplicate(S_ctx *x, const mn_json *obj, const mn_fhir_type *t,
                                    const uintptr_t *keys)
{
	long d = S_duplicate(x, keys, obj->n);
	if (d < 0)
		return MN_OK;
	const mn_json_member *m = &obj->u.members[d];
	mn_status st;
	size_t saved = S_push(x, m->key, m->key_len);
	if (keys[d] == (uintptr_t)t) {
		st = S_fail(x, &m->value, "resourceType given twice");
	} else {
		const mn_fhir_element *e = (const mn_fhir_element *)(keys[d] & ~(uintptr_t)1);
		st = S_fail(x, &m->value, "%s.%s%s: given more than once in one object%s", t->name, e->name,
		            e->choice ? "[x]" : "", e->choice ? " (a choice element takes one type)" : "");
	}
	S_pop(x, saved);
	return st;
}

static mn_status S_member_check(S_ctx *x, const mn_json *obj, const mn_json_member *m,
                                const mn_fhir_type *t, bool resource, uintptr_t *key)
{
	const mn_fhir_type *et = NULL;
	const mn_fhir_element *e;
	*key = 0;
	if (resource && S_is(m->key, m->key_len, "resourceType")) {
		*key = (uintptr_t)t; /* a type's address is no element's */
		S_seen(x, &m->value);
		return MN_OK;
	}
	if (m->key_len > 1 && m->key[0] == '_') {
		e = S_element(t, m->key + 1, m->key_len - 1, &et);
		*key = (uintptr_t)e | 1u; /* elements are aligned: bit 0 marks "_name" */
		return S_primitive_ext(x, obj, m, t, e, et);
	}
	e = S_element(t, m->key, m->key_len, &et);
	*key = (uintptr_t)e;
	if (!e) {
		const mn_fhir_element *ce = mn_fhir_element_find(t, m->key, m->key_len);
		if (ce && ce->choice && ce->ntypes) {
			const char *tn = ce->types[0]->name;
			char c0 = tn[0] >= 'a' && tn[0] <= 'z' ? (char)(tn[0] - 'a' + 'A') : tn[0];
			return S_fail(x, &m->value, "%s.%s[x]: the property name needs a type suffix "
			              "(e.g. \"%s%c%s\")", t->name, ce->name, ce->name, c0, tn + 1);
		}
		return S_warn(x, &m->value, "%s: unknown element \"%.*s\"", t->name,
		              (int)(m->key_len > 100 ? 100 : m->key_len), m->key);
	}
	if (resource && S_is(m->key, m->key_len, "contained")) {
		if (x->in_contained)
			return S_fail(x, &m->value, "a contained resource must not contain resources");
		x->in_contained++;
		mn_status st = S_value(x, obj, m, t, e, et);
		x->in_contained--;
		return st;
	}
	return S_value(x, obj, m, t, e, et);
}

/* Removes the members marked S_DROPPED from obj, in place, keeping the
 * order of the others. obj is in the case's arena: S_warn only drops inside
 * a case resource, whose members hold no indexed resource object by value
 * (contained resources are array items, which do not move). */
static void S_remove_members(mn_json *obj, uintptr_t *keys)
{
	/* a dropped primitive's "_name" (its id and extensions) goes with it */
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		if (keys[i] != S_DROPPED || (m->key_len && m->key[0] == '_'))
			continue;
		for (uint32_t k = 0; k < obj->n; k++) {
			const mn_json_member *o = &obj->u.members[k];
			if (o->key_len == m->key_len + 1 && o->key[0] == '_' &&
			    memcmp(o->key + 1, m->key, m->key_len) == 0)
				keys[k] = S_DROPPED;
		}
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < obj->n; i++)
		if (keys[i] != S_DROPPED)
			obj->u.members[k++] = obj->u.members[i];
	obj->n = k;
}

/* S_value for element e of t whose type et is complex (S_element_memo.complex): one object, or an array of
 * objects, is walked here, as S_value and S_item would; anything else (a null, a value of another kind: an
 * error) is S_value's. */
static inline mn_status S_complex_value(S_ctx *x, const mn_json *obj, const mn_json_member *m,
                                        const mn_fhir_type *t, const mn_fhir_element *e, const mn_fhir_type *et)
{
	const mn_json *v = &m->value;
	if (!e->many) {
		if (v->type == MN_JSON_OBJECT) {
			S_seen(x, v);
			return S_complex(x, v, et);
		}
	} else if (v->type == MN_JSON_ARRAY && v->n) {
		uint32_t k = 0;
		while (k < v->n && v->u.items[k].type == MN_JSON_OBJECT)
			k++;
		if (k == v->n) {
			for (k = 0; k < v->n; k++) {
				size_t saved = S_push_index(x, k);
				S_seen(x, &v->u.items[k]);
				mn_status st = S_complex(x, &v->u.items[k], et);
				S_pop(x, saved);
				if (st)
					return st;
			}
			return MN_OK;
		}
	}
	return S_value(x, obj, m, t, e, et);
}

/* The members of obj as an instance of t (a complex, backbone or resource
 * type), then no element twice (a repeated key, or two choices such as
 * valueString and valueQuantity). Two members can name the same element only
 * with the same key or as two choices: an object whose keys the parser found
 * unique (MN_JSON_F_UNIQUE) and that has no choice element is not compared. */
static mn_status S_object(S_ctx *x, const mn_json *obj, const mn_fhir_type *t, bool resource)
{
	uintptr_t small[24], *keys = small;
	mn_status st = MN_OK;
	if (obj->n > 24 && !(keys = malloc(obj->n * sizeof *keys)))
		return mn_error_set(x->err, MN_ENOMEM, "out of memory");
	uint32_t dropped = 0;
	S_shape *shape = &x->shapes[((uintptr_t)t >> 4) % S_SHAPES];  /* the model's types are an array of 48-byte entries */
	const S_element_memo **hints = shape->at, *spare = NULL;
	if (shape->t != t) {
		shape->t = t;
		memset(shape->at, 0, sizeof shape->at);
	}
	bool compare = (obj->flags & (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE)) != (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE);
	for (uint32_t i = 0; i < obj->n && st == MN_OK; i++) {
		const mn_json_member *m = &obj->u.members[i];
		size_t saved;
		/* the common members, all but a resource's own (resourceType, contained): an element of t, named
		 * without '_', is S_member_check's S_value without its second lookup */
		if (m->key_len && m->key[0] != '_' &&
		    (!resource || !(S_is(m->key, m->key_len, "resourceType") || S_is(m->key, m->key_len, "contained")))) {
			const S_element_memo *em = S_element_memo_hinted(i < S_SHAPE_MEMBERS ? &hints[i] : &spare, t,
			                                                 m->key, m->key_len);
			const mn_fhir_element *e = em->e;
			if (e) {
				keys[i] = (uintptr_t)e;
				compare |= e->choice;
				/* a string for an element of t that holds one primitive String (code, uri, id, ...):
				 * valid; its value is marked seen, and there is nothing else to do */
				if (em->plain_string && m->value.type == MN_JSON_STRING) {
					S_seen(x, &m->value);
					continue;
				}
				const mn_fhir_type *et = em->et;  /* em may be replaced by the lookups below */
				saved = S_push(x, m->key, m->key_len);
				x->drop = false;
				if (em->complex)
					st = S_complex_value(x, obj, m, t, e, et);
				else if (!e->many && m->value.type != MN_JSON_ARRAY && m->value.type != MN_JSON_NULL)
					st = S_item(x, &m->value, t, e, et);  /* S_value's way for one value */
				else
					st = S_value(x, obj, m, t, e, et);
				S_pop(x, saved);
				goto member_done;
			}
		}
		saved = S_push(x, m->key, m->key_len);
		x->drop = false;
		st = S_member_check(x, obj, m, t, resource, &keys[i]);
		S_pop(x, saved);
		if (S_KEYED(keys[i]) && keys[i] != (uintptr_t)t) {
			const mn_fhir_element *e = (const mn_fhir_element *)(keys[i] & ~(uintptr_t)1);
			compare |= !e || e->choice;  /* NULL: an unknown "_name" */
		}
	member_done:
		if (x->drop) {
			/* MN_CASE_LENIENT: the member goes; its value is not read as valid.
			 * A resource whose date goes cannot be placed in time: the
			 * as-of view leaves it out (fail closed). */
			if (resource && x->cur && S_is_date_key(m->key, m->key_len))
				x->cur->date_unreadable = true;
			keys[i] = S_DROPPED;
			dropped++;
			x->drop = false;
		}
	}
	if (st == MN_OK && compare)
		st = S_report_duplicate(x, obj, t, keys);
	if (st == MN_OK && dropped)
		S_remove_members((mn_json *)obj, keys);
	if (keys != small)
		free(keys);
	return st;
}

static S_res *S_case_resource(S_ctx *x, const mn_json *obj)
{
	const mn_json *key = obj;
	return S_get(x->c, (const char *)&key, sizeof key, &S_SCOPE_JSON);
}

/* S_fail for a resource held by element e of t, or the document (t NULL). */
static mn_status S_rfail(S_ctx *x, const mn_json *at, const mn_fhir_type *t,
                         const mn_fhir_element *e, const mn_fhir_type *et, const char *msg,
                         const mn_json *what)
{
	char m[300];
	if (what)
		snprintf(m, sizeof m, msg, S_json_kind(what));
	else
		snprintf(m, sizeof m, "%s", msg);
	return t ? S_efail(x, at, t, e, et, "%s", m) : S_fail(x, at, "%s", m);
}

/* A resource object: the root (t NULL), a Bundle entry's, a contained one,
 * or one inside another element (Parameters.parameter.resource). */
static mn_status S_resource(S_ctx *x, const mn_json *v, const mn_fhir_type *t,
                            const mn_fhir_element *e, const mn_fhir_type *et)
{
	if (v->type != MN_JSON_OBJECT)
		return S_rfail(x, v, t, e, et, "expected a resource (a JSON object), found %s", v);
	const mn_json *rt = S_member(v, "resourceType");
	if (!rt)
		return S_rfail(x, v, t, e, et, "missing resourceType", NULL);
	const mn_fhir_type *rtype = NULL;
	if (rt->type == MN_JSON_STRING)
		rtype = mn_fhir_type_find(rt->u.s, rt->n);
	if (!rtype || rtype->kind != MN_FHIR_RESOURCE || rtype == x->t_resource || rtype == x->t_domain) {
		char m[200];
		size_t saved = S_push(x, "resourceType", 12);
		if (rt->type != MN_JSON_STRING)
			snprintf(m, sizeof m, "resourceType must be a string, found %s", S_json_kind(rt));
		else
			snprintf(m, sizeof m, "unknown resourceType \"%.*s\" (not a FHIR R4 resource type)",
			         (int)(rt->n > 100 ? 100 : rt->n), rt->u.s);
		mn_status st = S_rfail(x, rt, t, e, et, m, NULL);
		S_pop(x, saved);
		return st;
	}
	S_res *saved_cur = x->cur;
	S_res *r = S_case_resource(x, v);
	if (r)
		x->cur = r;
	S_seen(x, v);
	mn_status st = S_object(x, v, rtype, true);
	if (r)
		r->end = x->last;
	x->cur = saved_cur;
	return st;
}

/* ---- loading ----------------------------------------------------------- */

static mn_status S_check_root(S_ctx *x)
{
	const mn_json *root = x->c->root;
	if (root->type != MN_JSON_OBJECT)
		return S_fail(x, root, "expected a FHIR resource or Bundle (a JSON object), found %s",
		              S_json_kind(root));
	if (!mn_json_get(root, "resourceType")) {
		if (mn_json_get(root, "hook") || mn_json_get(root, "hookInstance"))
			return S_fail(x, root, "missing resourceType: this is a CDS Hooks request, not a "
			              "FHIR resource or Bundle");
		if (mn_json_get(root, "cards"))
			return S_fail(x, root, "missing resourceType: this is a CDS Hooks response, not a "
			              "FHIR resource or Bundle");
		return S_fail(x, root, "missing resourceType: not a FHIR resource or Bundle");
	}
	return S_resource(x, root, NULL, NULL, NULL);
}

/* ---- step 3: the index by resource type ---------------------------------- */

/* Counting sort of the top-level resources by type (their position in the
 * model's table); MN_ENOMEM or MN_OK. */
static mn_status S_type_index(mn_case *c)
{
	size_t nt = mn_fhir__ntypes;
	if (!(c->type_start = calloc(nt + 2, sizeof *c->type_start)) ||
	    (c->ntop && !(c->by_type = malloc(c->ntop * sizeof *c->by_type))))
		return MN_ENOMEM;
	for (size_t i = 0; i < c->ntop; i++)
		if (c->res[i].pub.type)
			c->type_start[(size_t)(c->res[i].pub.type - mn_fhir__types) + 2]++;
	for (size_t k = 2; k < nt + 2; k++)
		c->type_start[k] += c->type_start[k - 1];
	/* type_start[k + 1] is now where type k starts; filling moves it to where it ends */
	for (size_t i = 0; i < c->ntop; i++)
		if (c->res[i].pub.type)
			c->by_type[c->type_start[(size_t)(c->res[i].pub.type - mn_fhir__types) + 1]++] = (uint32_t)i;
	if (!(c->codes = calloc(1, sizeof *c->codes)))
		return MN_ENOMEM;
	return MN_OK;
}

/* Whether the root is a Bundle whose one "entry" array's items' "resource"
 * members are, in order, exactly the top-level resources: then
 * Bundle.entry.resource over the root is the case's resource list. */
static bool S_bundle_exact(const mn_case *c)
{
	const mn_json *root = c->root;
	if (!root || root->type != MN_JSON_OBJECT || !mn_json_is_string(S_member(root, "resourceType"), "Bundle"))
		return false;
	const mn_json *entries = NULL;
	for (uint32_t i = 0; i < root->n; i++)
		if (S_is(root->u.members[i].key, root->u.members[i].key_len, "entry")) {
			if (entries)
				return false;
			entries = &root->u.members[i].value;
		}
	if (!entries)
		return c->ntop == 0;
	if (entries->type != MN_JSON_ARRAY)
		return false;
	size_t top = 0;
	for (uint32_t i = 0; i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i];
		if (e->type != MN_JSON_OBJECT)
			continue;
		for (uint32_t k = 0; k < e->n; k++) {
			const mn_json_member *m = &e->u.members[k];
			if (!S_is(m->key, m->key_len, "resource"))
				continue;
			if (top >= c->ntop || &m->value != c->res[top].pub.json || !c->res[top].pub.type)
				return false;
			top++;
		}
	}
	return top == c->ntop;
}

static void S_note_latest(mn_case *c);

/* Index and check c->root (parsed from c->text); frees c on failure. */
static mn_status S_finish(mn_case *c, mn_case **out, mn_error *err)
{
	mn_status st = S_build_index(c);
	S_ctx *x = NULL;
	if (st) {
		st = mn_error_set(err, st, "out of memory");
		goto fail;
	}
	/* not calloc: the context is 50 KiB, most of it the path (written before it is read) and the hints,
	 * of which only each one's type (NULL: empty) needs clearing */
	x = malloc(sizeof *x);
	if (!x) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto fail;
	}
	memset(x, 0, offsetof(S_ctx, path));
	for (size_t i = 0; i < S_SHAPES; i++)
		x->shapes[i].t = NULL;
	x->c = c;
	x->err = err;
	x->t_element = mn_fhir_type_find("Element", 7);
	x->t_reference = mn_fhir_type_find("Reference", 9);
	x->t_resource = mn_fhir_type_find("Resource", 8);
	x->t_domain = mn_fhir_type_find("DomainResource", 14);
	x->t_instant = mn_fhir_type_find("instant", 7);
	x->t_positive = mn_fhir_type_find("positiveInt", 11);
	x->t_unsigned = mn_fhir_type_find("unsignedInt", 11);
	if (err)
		mn_error_clear(err);
	st = S_check_root(x);
	if (st)
		goto fail;
	if (x->have_ref_err) {
		if (err)
			*err = x->ref_err;
		st = MN_EREF;
		goto fail;
	}
	if (mn_arena_failed(c->arena) || S_type_index(c) != MN_OK) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto fail;
	}
	S_note_latest(c);
	c->bundle_exact = S_bundle_exact(c);
	free(x);
	*out = c;
	return MN_OK;
fail:
	free(x);
	mn_case_free(c);
	return st;
}

/* A case with its arena and name; NULL on out of memory. */
static mn_case *S_new_case(const char *name, unsigned flags)
{
	mn_case *c = calloc(1, sizeof *c);
	if (!c || !(c->arena = mn_arena_new())) {
		free(c);
		return NULL;
	}
	c->flags = flags;
	c->name = mn_arena_strdup(c->arena, name ? name : "");
	if (!c->name) {
		mn_case_free(c);
		return NULL;
	}
	return c;
}

/* Parses c->text[0..len) (the case's own copy, in its arena, NUL-terminated) in place and checks it; frees c
 * on failure. */
static mn_status S_parse_own_text(mn_case *c, size_t len, mn_case **out, mn_error *err)
{
	c->text[len] = 0;
	c->len = len;
	mn_status st = mn_json_parse_insitu(c->arena, c->name, c->text, len, &c->root, err);
	if (st) {
		mn_case_free(c);
		return st;
	}
	return S_finish(c, out, err);
}

mn_status mn_case_load_ex(const char *name, const char *text, size_t len, unsigned flags,
                          mn_case **out, mn_error *err)
{
	mn_case *c;

	if (out)
		*out = NULL;
	if (!out || (!text && len))
		return mn_error_set(err, MN_EUSAGE, "mn_case_load: no output or no text");
	if (len > UINT32_MAX - 1)
		return mn_error_set(err, MN_ELIMIT, "case too large (%zu bytes)", len);
	if (!(c = S_new_case(name, flags)) || !(c->text = mn_arena_alloc(c->arena, len + 1))) {
		mn_case_free(c);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	if (len)
		memcpy(c->text, text, len);
	return S_parse_own_text(c, len, out, err);
}

mn_status mn_case_load_tree(const char *name, const char *text, size_t len, mn_json *root, unsigned flags,
                            mn_case **out, mn_error *err)
{
	if (out)
		*out = NULL;
	if (!out || !root || (!text && len))
		return mn_error_set(err, MN_EUSAGE, "mn_case_load_tree: no output, tree or text");
	if (len > UINT32_MAX - 1)
		return mn_error_set(err, MN_ELIMIT, "case too large (%zu bytes)", len);
	mn_case *c = S_new_case(name, flags);
	if (!c)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	/* the caller's text and tree, not copied (like an as-of view's): they outlive the case */
	c->text = (char *)(text ? text : "");
	c->len = len;
	c->root = root;
	return S_finish(c, out, err);
}

mn_status mn_case_load(const char *name, const char *text, size_t len, mn_case **out,
                       mn_error *err)
{
	return mn_case_load_ex(name, text, len, 0, out, err);
}

/* Reads the regular file fd (its size by fstat) into a new case's arena: MN_OK and *cp, or MN_OK and *cp
 * NULL when it is not a regular file or did not have that size when read (the caller then reads it as a
 * stream, as before), or an error. */
static mn_status S_read_regular(int fd, const char *path, unsigned flags, mn_case **cp, size_t *len,
                                mn_error *err)
{
	struct stat sb;
	*cp = NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0 || (uintmax_t)sb.st_size > UINT32_MAX - 2)
		return MN_OK;
	size_t want = (size_t)sb.st_size, got = 0;
	mn_case *c = S_new_case(path, flags);
	/* one byte more than the size, to see a file that grew */
	if (!c || !(c->text = mn_arena_alloc(c->arena, want + 2))) {
		mn_case_free(c);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	while (got < want + 1) {
		ssize_t r = read(fd, c->text + got, want + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mn_case_free(c);
			mn_error_locate(err, path, 0, 0);
			return mn_error_set(err, MN_EIO, "read error");
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != want) {
		mn_case_free(c);
		return MN_OK;
	}
	*cp = c;
	*len = got;
	return MN_OK;
}

mn_status mn_case_load_file_ex(const char *path, unsigned flags, mn_case **out, mn_error *err)
{
	char *text = NULL;
	size_t len = 0;
	mn_status st;
	/* a regular file is read straight into the case's arena, where it is parsed in place */
	int fd = out && path ? open(path, O_RDONLY) : -1;
	if (fd >= 0) {
		mn_case *c;
		st = S_read_regular(fd, path, flags, &c, &len, err);
		close(fd);
		*out = NULL;
		if (st)
			return st;
		if (c)
			return S_parse_own_text(c, len, out, err);
	}
	/* anything else (a pipe, a file that changed while read, one that cannot be opened: the same error)
	 * read as a stream */
	st = mn_read_file(path, &text, &len, err);
	if (st) {
		if (out)
			*out = NULL;
		return st;
	}
	st = mn_case_load_ex(path, text, len, flags, out, err);
	free(text);
	return st;
}

mn_status mn_case_load_file(const char *path, mn_case **out, mn_error *err)
{
	return mn_case_load_file_ex(path, 0, out, err);
}

void mn_case_free(mn_case *c)
{
	if (!c)
		return;
	if (!c->borrowed) {
		free(c->slots);
		free(c->type_start);
		free(c->by_type);
		if (c->codes) {
			free(atomic_load_explicit(&c->codes->idx, memory_order_acquire));
			struct S_memo *m = atomic_load_explicit(&c->codes->memo, memory_order_acquire);
			for (size_t i = 0; m && i < m->n; i++)
				free(atomic_load_explicit(&m->v[i], memory_order_acquire));
			free(m);
			free(c->codes);
		}
	}
	mn_arena_free(c->arena);
	free(c);
}

/* ---- accessors --------------------------------------------------------- */

const char *mn_case_name(const mn_case *c)
{
	return c ? c->name : NULL;
}

size_t mn_case_count(const mn_case *c)
{
	return c ? c->ntop : 0;
}

const mn_resource *mn_case_get(const mn_case *c, size_t i)
{
	return c && i < c->ntop ? &c->res[i].pub : NULL;
}

size_t mn_case_unresolved(const mn_case *c)
{
	return c ? c->unresolved : 0;
}

const char *mn_case_unresolved_at(const mn_case *c, size_t i)
{
	return c && i < c->unresolved && i < MN_CASE_UNRESOLVED_KEPT ? c->unresolved_at[i] : NULL;
}

size_t mn_case_problems(const mn_case *c)
{
	return c ? c->problems : 0;
}

const char *mn_case_problem_at(const mn_case *c, size_t i)
{
	return c && i < c->problems && i < MN_CASE_PROBLEMS_KEPT ? c->problem_at[i] : NULL;
}

const mn_json *mn_case_root(const mn_case *c)
{
	return c ? c->root : NULL;
}

/* The resource among rs[0..n) (sorted by start, disjoint) whose span holds
 * offset, or NULL. */
static const S_res *S_span_find(const S_res *rs, size_t n, uint32_t off)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* first with start > off */
		size_t mid = lo + (hi - lo) / 2;
		if (rs[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const S_res *r = &rs[lo - 1];
	return off <= r->end ? r : NULL;
}

const mn_resource *mn_case_owner(const mn_case *c, const mn_json *node)
{
	if (!c || !node)
		return NULL;
	const S_res *r = S_span_find(c->res, c->ntop, node->offset);
	if (!r)
		return NULL;
	const S_res *k = S_span_find(r->kids, r->nkids, node->offset);
	return k ? &k->pub : &r->pub;
}

const mn_resource *mn_case_find_json(const mn_case *c, const mn_json *resource)
{
	const mn_json *key = resource;
	if (!c || !resource)
		return NULL;
	S_res *r = S_get(c, (const char *)&key, sizeof key, &S_SCOPE_JSON);
	return r ? &r->pub : NULL;
}

void mn_case_position(const mn_case *c, const mn_json *node, int *line, int *column)
{
	if (!c || !node) {
		if (line)
			*line = 0;
		if (column)
			*column = 0;
		return;
	}
	mn_json_position(c->text, c->len, node->offset, line, column);
}

mn_arena *mn_case_arena(const mn_case *c)
{
	return c ? c->arena : NULL;
}


/* ---- the record as of a date (docs/POLICY-FORMAT.md "Time") --------------- */

/* Is the date text s (a FHIR date, dateTime or instant, already checked at
 * load) after the day "YYYY-MM-DD"? Day precision: the date as written,
 * before any time and zone, so 2026-11-20T23:00:00-05:00 is 2026-11-20. A
 * partial date stands for its earliest day (2026-11 -> 2026-11-01). */
static bool S_date_after(const char *s, size_t n, const char day[10])
{
	char first[10] = {'0', '0', '0', '0', '-', '0', '1', '-', '0', '1'};
	if (n < 4)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	memcpy(first, s, n < 10 ? n : 10);
	return memcmp(first, day, 10) > 0;
}

static bool S_string_after(const mn_json *v, const char day[10])
{
	return v && v->type == MN_JSON_STRING && S_date_after(v->u.s, v->n, day);
}

static bool S_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The day as_of as "YYYY-MM-DD" in day[0..10), or false when as_of is not a full date in range. */
static bool S_as_of_day(const mn_datetime *as_of, char day[10])
{
	if (!as_of || as_of->precision < MN_DT_DAY || as_of->year < 1 || as_of->year > 9999 || as_of->month < 1 ||
	    as_of->month > 12 || as_of->day < 1 || as_of->day > 31)
		return false;
	/* "%04d-%02d-%02d" (the fields are in range, checked above) */
	int y = as_of->year, mo = as_of->month, d = as_of->day;
	const char digits[10] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
	                         (char)('0' + y % 10), '-', (char)('0' + mo / 10), (char)('0' + mo % 10), '-',
	                         (char)('0' + d / 10), (char)('0' + d % 10)};
	memcpy(day, digits, 10);
	return true;
}

/* A filter for S_each_date: a bit per (length, first byte) of the recorded dates, and per first byte of the
 * clinical stems. A member whose bits are not set names none of them (most members). */
/* A filter for the members that may name a date: a bit per (length, bytes 0 and 2) of the recorded dates and
 * per bytes 0 and 2 of the clinical stems, of 64 each, made once per walk over the resources. Every key of
 * either is 4 bytes or more (byte 2 is there). Byte 2 tells resourceType from recordedDate, encounter and
 * extension from effective..., patient and provider from performed...; the first byte alone did not. */
typedef struct S_date_filter {
	uint64_t recorded, clinical;
} S_date_filter;

static inline uint64_t S_recorded_bit(const char *key, size_t n)
{
	return (uint64_t)1 << ((n * 5u + (unsigned char)key[0] * 3u + (unsigned char)key[2]) & 63);
}

static inline uint64_t S_clinical_bit(const char *key)
{
	return (uint64_t)1 << (((unsigned char)key[0] * 3u + (unsigned char)key[2]) & 63);
}

static S_date_filter S_date_filter_make(void)
{
	S_date_filter df = {0, 0};
	for (size_t k = 0; k < S_NRECORDED; k++)
		df.recorded |= S_recorded_bit(S_recorded_dates[k].s, S_recorded_dates[k].n);
	for (size_t k = 0; k < S_NCLINICAL; k++)
		df.clinical |= S_clinical_bit(S_clinical_dates[k].s);
	return df;
}

/* Calls f(s, n, payload) for each date string that places r in time (mn_resource_after): a recorded
 * date (its first member only, as mn_json_get reads it), or the start of a clinical date[x] (a Period
 * by its start, or by its end when it has no start). Stops and returns true when f does. */
static bool S_each_date(const S_res *sr, const S_date_filter *df, bool (*f)(const mn_json *v, void *payload),
                        void *payload)
{
	const mn_resource *r = &sr->pub;
	const mn_json *j = r->json;
	/* a request's occurrence is when the service is wanted, not when
	 * something happened: a request authored by the as-of date is part of
	 * the record even when the service is planned for later */
	bool request = r->type_name && S_ends_with(r->type_name, "Request");
	unsigned recorded_seen = 0;
	for (uint32_t i = 0; i < j->n; i++) {
		const mn_json_member *m = &j->u.members[i];
		if (m->key_len < 4)
			continue;
		if (!(df->recorded & S_recorded_bit(m->key, m->key_len)) && !(df->clinical & S_clinical_bit(m->key)))
			continue;  /* neither a recorded date nor a clinical stem: see S_recorded_index, S_clinical_stem */
		int rk = S_recorded_index(m->key, m->key_len);
		if (rk >= 0) {
			if (!(recorded_seen & 1u << rk) && f(&m->value, payload))
				return true;
			recorded_seen |= 1u << rk;
			continue;
		}
		const S_word *stem = S_clinical_stem(m->key, m->key_len);
		if (!stem || (request && S_is(stem->s, stem->n, "occurrence")))
			continue;
		const char *type = m->key + stem->n;
		size_t tl = m->key_len - stem->n;
		if (S_is(type, tl, "DateTime") || S_is(type, tl, "Instant")) {
			if (f(&m->value, payload))
				return true;
		} else if (S_is(type, tl, "Period") && m->value.type == MN_JSON_OBJECT) {
			const mn_json *start = S_member(&m->value, "start");
			if (f(start ? start : S_member(&m->value, "end"), payload))
				return true;
		}
	}
	return false;
}

static bool S_after_cb(const mn_json *v, void *day)
{
	return S_string_after(v, day);
}

/* The general path: r's members read against day. */
static bool S_after_scan(const S_res *r, const char day[10])
{
	S_date_filter df = S_date_filter_make();
	return S_each_date(r, &df, S_after_cb, (void *)day);
}

typedef struct S_latest_acc {
	bool any;
	char latest[10];
} S_latest_acc;

/* Keeps the greatest date as S_date_after compares it: the first 10 bytes, a partial date
 * completed to its earliest day; text that does not begin with a 4-digit year is never after. */
static bool S_latest_cb(const mn_json *v, void *payload)
{
	S_latest_acc *acc = payload;
	if (!v || v->type != MN_JSON_STRING || v->n < 4)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (v->u.s[i] < '0' || v->u.s[i] > '9')
			return false;
	char first[10] = {'0', '0', '0', '0', '-', '0', '1', '-', '0', '1'};
	memcpy(first, v->u.s, v->n < 10 ? v->n : 10);
	if (!acc->any || memcmp(first, acc->latest, 10) > 0)
		memcpy(acc->latest, first, 10);
	acc->any = true;
	return false;
}

/* Records each resource's latest date (S_res.latest): some date of r is after a day exactly when
 * the greatest of them is. The tree must not change afterwards (it does not: the load is done). */
static void S_note_latest(mn_case *c)
{
	S_date_filter df = S_date_filter_make();
	for (size_t i = 0; i < c->nres; i++) {
		S_res *r = &c->res[i];
		if (!r->pub.json || r->pub.json->type != MN_JSON_OBJECT)
			continue;
		S_latest_acc acc = {0};
		S_each_date(r, &df, S_latest_cb, &acc);
		memcpy(r->latest, acc.latest, 10);
		r->latest_state = acc.any ? S_LATEST_SET : S_LATEST_NONE;
	}
}

/* mn_resource_after on a checked day; fast when the load recorded r's latest date. */
static bool S_after_day(const S_res *r, const char day[10])
{
	/* a date dropped as unreadable (MN_CASE_LENIENT): the entry cannot be placed in time, so it is
	 * not taken as part of the record on any date (it could be after it) */
	if (r->date_unreadable)
		return true;
	switch (r->latest_state) {
	case S_LATEST_NONE:
		return false;
	case S_LATEST_SET:
		return memcmp(r->latest, day, 10) > 0;
	default:
		return S_after_scan(r, day);
	}
}

bool mn_resource_after(const mn_resource *r, const mn_datetime *as_of)
{
	char day[10];
	if (!r || !r->json || r->json->type != MN_JSON_OBJECT || !S_as_of_day(as_of, day))
		return false;
	return S_after_day((const S_res *)r, day);
}

bool mn_resource_after_scan(const mn_resource *r, const mn_datetime *as_of)
{
	char day[10];
	if (!r || !r->json || r->json->type != MN_JSON_OBJECT || !S_as_of_day(as_of, day))
		return false;
	if (((const S_res *)r)->date_unreadable)
		return true;
	return S_after_scan((const S_res *)r, day);
}

mn_status mn_case_as_of(const mn_case *c, const mn_datetime *as_of, mn_case **out, mn_error *err)
{
	if (out)
		*out = NULL;
	if (!c || !as_of || !out || as_of->kind == MN_DT_TIME || as_of->precision < MN_DT_DAY)
		return mn_error_set(err, MN_EUSAGE, "mn_case_as_of: a case and a full date are required");
	mn_case *v = calloc(1, sizeof *v);
	if (!v || !(v->arena = mn_arena_new())) {
		free(v);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	/* the source's text and tree, shared: the view must not outlive it */
	v->name = c->name;
	v->text = c->text;
	v->len = c->len;
	v->root = c->root;
	v->flags = c->flags;
	v->unresolved = c->unresolved;
	memcpy(v->unresolved_at, c->unresolved_at, sizeof v->unresolved_at);
	v->problems = c->problems;
	memcpy(v->problem_at, c->problem_at, sizeof v->problem_at);

	bool *keep = c->ntop ? calloc(c->ntop, sizeof *keep) : NULL;
	if (c->ntop && !keep)
		goto nomem;
	size_t ntop = 0, nres = 0;
	char day[10];
	bool dated = S_as_of_day(as_of, day);
	for (size_t i = 0; i < c->ntop; i++) {
		const mn_json *j = c->res[i].pub.json;
		keep[i] = !(dated && j && j->type == MN_JSON_OBJECT && S_after_day(&c->res[i], day));
		if (keep[i]) {
			ntop++;
			nres += 1 + c->res[i].nkids;
		}
	}
	if (ntop == c->ntop) {
		/* nothing left out: the view is the source's record, shared (its resources, their
		 * index, the lookups), so it costs no copy; the general path below gives the same
		 * answers with copies of the resources */
		free(keep);
		mn_arena *own = v->arena;
		*v = *c;
		v->arena = own;
		v->left_out = 0;
		v->borrowed = true;
		*out = v;
		return MN_OK;
	}
	v->ntop = ntop;
	v->nres = nres;
	v->left_out = c->ntop - ntop;
	if (!(v->from_pos = mn_arena_calloc(v->arena, c->ntop, sizeof *v->from_pos)))
		goto nomem;
	for (size_t i = 0, t = 0; i < c->ntop; i++)
		v->from_pos[i] = keep[i] ? (uint32_t)t++ : UINT32_MAX;
	v->from = c;
	if (nres && !(v->res = mn_arena_calloc(v->arena, nres, sizeof *v->res)))
		goto nomem;
	if (S_table_new(v, nres) != MN_OK)
		goto nomem;
	/* the kept resources in the source's order (so spans stay sorted), their
	 * contained ones after all top-level ones, as mn_case_load lays them out */
	size_t top = 0, next = ntop;
	for (size_t i = 0; i < c->ntop; i++) {
		if (!keep[i])
			continue;
		const S_res *src = &c->res[i];
		S_res *r = &v->res[top];
		*r = *src;
		r->pub.index = (int)top;
		r->kids = src->nkids ? &v->res[next] : NULL;
		for (uint32_t k = 0; k < src->nkids; k++) {
			S_res *kid = &v->res[next];
			*kid = src->kids[k];
			kid->pub.index = (int)next;
			kid->pub.container = &r->pub;
			kid->kids = NULL;
			kid->nkids = 0;
			next++;
		}
		top++;
	}
	for (size_t i = 0; i < v->nres; i++)
		if (S_index_key(v, &v->res[i]) != MN_OK)
			goto nomem;
	if (S_type_index(v) != MN_OK)
		goto nomem;
	/* the same tree: Bundle.entry.resource is the view's list only when nothing is left out */
	v->bundle_exact = c->bundle_exact && v->left_out == 0;
	free(keep);
	*out = v;
	return MN_OK;
nomem:
	free(keep);
	mn_case_free(v);
	return mn_error_set(err, MN_ENOMEM, "out of memory");
}

const uint32_t *mn_case_of_type(const mn_case *c, const mn_fhir_type *t, size_t *n)
{
	*n = 0;
	if (!c || !c->type_start || !t || t < mn_fhir__types || t >= mn_fhir__types + mn_fhir__ntypes)
		return NULL;
	size_t k = (size_t)(t - mn_fhir__types);
	*n = c->type_start[k + 1] - c->type_start[k];
	return *n ? c->by_type + c->type_start[k] : NULL;
}

/* ---- the index by code (mn_case_coded) -------------------------------------- */

/* The elements indexed: CodeableConcepts of a resource (an object, or an array of them). */
static const S_word S_coded_elements[] = {S_WORD("code"), S_WORD("category")};
#define S_NCODED (sizeof S_coded_elements / sizeof S_coded_elements[0])

/* One code of a resource's element.coding: the string, the element (its position in S_coded_elements),
 * the resource's position and, once the index is made, the hash (S_code_hash; in what would be padding). */
typedef struct S_code_ent {
	const char *s;
	uint32_t elem;
	uint32_t n;
	uint32_t pos;
	uint32_t hash;
} S_code_ent;

/* The codes found so far (a growing array; oom when it could not grow). */
typedef struct S_code_list {
	S_code_ent *v;
	size_t n, cap;
	bool oom;
} S_code_list;

/* A distinct (element, code): its resources are pos[start .. start + count), in case order. */
typedef struct S_code_key {
	const char *s;
	uint32_t n, elem, hash, start, count, last;
} S_code_key;

struct S_codes {
	size_t nkeys, nslots;         /* nslots a power of two, at least twice nkeys */
	uint32_t *slots;              /* key position + 1, 0 empty */
	S_code_key *keys;
	uint32_t *pos;
	size_t nunread[S_NCODED];
	uint32_t *unread[S_NCODED];   /* [nunread[e]] each, in case order */
};

static uint32_t S_code_hash(uint32_t elem, const char *s, size_t n)
{
	return S_hash(s, n, (const void *)(uintptr_t)(elem + 1));
}

/* One scan of obj for the members named a and b (string literals; b "" for a only, so that each compare
 * is a load or two, not a call): cnt[j] how many there are, v[j] the last, under[j] whether a "_name"
 * sibling is there (an id or extensions beside a primitive). An object the parser read without a '_' key
 * (MN_JSON_F_KNOWN set, MN_JSON_F_UNDERSCORE clear) has no sibling to look for. */
#define S_pick(obj, a, b, cnt, v, under) S_pick_n(obj, a, sizeof a - 1, b, sizeof b - 1, cnt, v, under)
static inline __attribute__((always_inline)) void S_pick_n(const mn_json *obj, const char *a, size_t an,
                                                            const char *b, size_t bn, unsigned cnt[2],
                                                            const mn_json *v[2], bool under[2])
{
	bool unders = (obj->flags & (MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE)) != MN_JSON_F_KNOWN;
	cnt[0] = cnt[1] = 0;
	v[0] = v[1] = NULL;
	under[0] = under[1] = false;
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		const char *k = m->key;
		size_t kn = m->key_len;
		if (kn == an && memcmp(k, a, an) == 0)
			cnt[0]++, v[0] = &m->value;
		else if (bn && kn == bn && memcmp(k, b, bn) == 0)
			cnt[1]++, v[1] = &m->value;
		else if (unders && kn && k[0] == '_') {
			if (kn - 1 == an && memcmp(k + 1, a, an) == 0)
				under[0] = true;
			else if (bn && kn - 1 == bn && memcmp(k + 1, b, bn) == 0)
				under[1] = true;
		}
	}
}

/* What S_pick found for one name, as a member of JSON type type (or, with many, an array of them): 1
 * (v is it), 0 when absent, -1 when it is there more than once (an object's keys may repeat in its
 * text), of another type, or has a "_name" sibling. */
static int S_one(unsigned cnt, const mn_json *v, bool under, uint8_t type, bool many)
{
	if (under || cnt > 1)
		return -1;
	if (!cnt)
		return 0;
	if (many && v->type == MN_JSON_ARRAY) {
		for (uint32_t i = 0; i < v->n; i++)
			if (v->u.items[i].type != type)
				return -1;
		return 1;
	}
	return v->type == type ? 1 : -1;
}

static void S_code_add(S_code_list *l, uint32_t elem, const mn_json *v, uint32_t pos)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		S_code_ent *g = realloc(l->v, cap * sizeof *g);
		if (!g) {
			l->oom = true;
			return;
		}
		l->v = g;
		l->cap = cap;
	}
	l->v[l->n++] = (S_code_ent){v->u.s, elem, v->n, pos, 0};
}

/* The codes of one CodeableConcept object cc into l: false when they cannot be read plainly (at most
 * one "coding", an array of objects, each with at most one "code" and one "system", strings, the code
 * without a NUL, and no "_coding", "_code" or "_system" siblings). */
static bool S_concept_codes(const mn_json *cc, uint32_t elem, uint32_t pos, S_code_list *l)
{
	unsigned cnt[2];
	const mn_json *v[2];
	bool under[2];
	S_pick(cc, "coding", "", cnt, v, under);
	int k = S_one(cnt[0], v[0], under[0], MN_JSON_OBJECT, true);
	if (k <= 0)
		return k == 0;
	const mn_json *coding = v[0];
	if (coding->type != MN_JSON_ARRAY)
		return false;
	for (uint32_t i = 0; i < coding->n; i++) {
		S_pick(&coding->u.items[i], "code", "system", cnt, v, under);
		int kc = S_one(cnt[0], v[0], under[0], MN_JSON_STRING, false);
		if (kc < 0 || S_one(cnt[1], v[1], under[1], MN_JSON_STRING, false) < 0)
			return false;
		/* a code with a NUL ("\u0000" in the text): memberOf reads it as a C string, only up to
		 * the NUL, where the index would key it by all of it */
		if (kc && memchr(v[0]->u.s, 0, v[0]->n))
			return false;
		if (kc)
			S_code_add(l, elem, v[0], pos);
	}
	return true;
}

/* Whether type t has S_coded_elements[e] as a CodeableConcept (not a choice), asked of the model once per
 * record and type: *which is t's byte of answers, bit e set once asked, bit S_NCODED + e the answer. */
static bool S_coded_in(const mn_fhir_type *t, uint32_t e, uint8_t *which)
{
	if (!(*which & (1u << e))) {
		const mn_fhir_element *el = mn_fhir_element_find(t, S_coded_elements[e].s, S_coded_elements[e].n);
		*which |= (uint8_t)(1u << e);
		if (el && !el->choice && el->ntypes == 1 && el->types[0] &&
		    strcmp(el->types[0]->name, "CodeableConcept") == 0)
			*which |= (uint8_t)(1u << (S_NCODED + e));
	}
	return (*which >> (S_NCODED + e)) & 1;
}

/* The elements of resource object r (at position pos, of type t; which: t's byte for S_coded_in) that t has
 * as a CodeableConcept into l, element by element: each that can be read plainly (at most one member of
 * that name, an object or an array of objects, without a "_name" sibling, each read by S_concept_codes)
 * has its codes appended; without it the resource has no codes there. unread[e] is set for the others.
 * An element absent from r (no member, no "_name" sibling) gives no codes and is read whether t has it or
 * not: the model is asked only about those present. */
static void S_plain_codes(const mn_json *r, uint32_t pos, const mn_fhir_type *t, uint8_t *which, S_code_list *l,
                          bool unread[S_NCODED])
{
	unsigned cnt[S_NCODED];
	const mn_json *v[S_NCODED];
	bool under[S_NCODED];
	for (uint32_t e = 0; e < S_NCODED; e++)
		unread[e] = false;
	if (!t)
		return;
	if (!r || r->type != MN_JSON_OBJECT) {
		for (uint32_t e = 0; e < S_NCODED; e++)
			unread[e] = S_coded_in(t, e, which);
		return;
	}
	/* S_coded_elements, in its order */
	_Static_assert(S_NCODED == 2, "S_pick finds two names");
	S_pick(r, "code", "category", cnt, v, under);
	for (uint32_t e = 0; e < S_NCODED; e++) {
		if ((!cnt[e] && !under[e]) || !S_coded_in(t, e, which))
			continue;
		int k = S_one(cnt[e], v[e], under[e], MN_JSON_OBJECT, true);
		size_t n0 = l->n;
		uint32_t m = k <= 0 ? 0 : v[e]->type == MN_JSON_ARRAY ? v[e]->n : 1;
		unread[e] = k < 0;
		for (uint32_t i = 0; i < m && !unread[e]; i++)
			unread[e] = !S_concept_codes(v[e]->type == MN_JSON_ARRAY ? &v[e]->u.items[i] : v[e], e, pos, l);
		if (unread[e])
			l->n = n0;
	}
}

/* The key of (elem, s[0..n)) with hash h in ix, or NULL (*slot: where it is or would go). */
static S_code_key *S_code_find(const S_codes *ix, uint32_t elem, const char *s, size_t n, uint32_t h,
                               size_t *slot)
{
	size_t mask = ix->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		*slot = i;
		if (!ix->slots[i])
			return NULL;
		S_code_key *k = &ix->keys[ix->slots[i] - 1];
		if (k->hash == h && k->elem == elem && k->n == n && memcmp(k->s, s, n) == 0)
			return k;
	}
}

/* The index of c's top-level resources by code, in one block; NULL when out of memory. Each distinct
 * (element, code) is counted, then its resources listed, in case order (the codes are found resource by
 * resource), once each. */
static S_codes *S_codes_make(const mn_case *c)
{
	S_code_list l = {0};
	uint8_t *which = NULL;
	uint32_t *unread = malloc((c->ntop ? c->ntop : 1) * S_NCODED * sizeof *unread);
	size_t nunread[S_NCODED] = {0}, all = 0;
	S_codes *ix = NULL;
	if (!unread)
		goto out;
	/* only the elements the resource's type has as a CodeableConcept (per type: S_coded_in) */
	if (!(which = calloc(mn_fhir__ntypes, 1)))
		goto out;
	_Static_assert(2 * S_NCODED <= 8, "S_coded_in's bits fit a byte");
	for (size_t i = 0; i < c->ntop; i++) {
		bool un[S_NCODED];
		const mn_fhir_type *t = c->res[i].pub.type;
		size_t ti = t ? (size_t)(t - mn_fhir__types) : 0;
		S_plain_codes(c->res[i].pub.json, (uint32_t)i, t, &which[ti], &l, un);
		for (uint32_t e = 0; e < S_NCODED; e++)
			if (un[e])
				unread[e * c->ntop + nunread[e]++] = (uint32_t)i;
	}
	if (l.oom)
		goto out;
	for (uint32_t e = 0; e < S_NCODED; e++)
		all += nunread[e];
	size_t nslots = 16;
	while (nslots < l.n * 2 + 2)
		nslots *= 2;
	/* at most l.n keys and l.n positions */
	ix = calloc(1, sizeof *ix + nslots * sizeof *ix->slots + l.n * (sizeof *ix->keys + sizeof *ix->pos) +
	                   all * sizeof *ix->pos);
	if (!ix)
		goto out;
	ix->nslots = nslots;
	ix->keys = (S_code_key *)(ix + 1);
	ix->slots = (uint32_t *)(ix->keys + l.n);
	ix->pos = ix->slots + nslots;
	for (size_t i = 0; i < l.n; i++) {
		S_code_ent *t = &l.v[i];
		size_t slot;
		uint32_t h = t->hash = S_code_hash(t->elem, t->s, t->n);
		S_code_key *k = S_code_find(ix, t->elem, t->s, t->n, h, &slot);
		if (!k) {
			k = &ix->keys[ix->nkeys];
			*k = (S_code_key){t->s, t->n, t->elem, h, 0, 0, UINT32_MAX};
			ix->slots[slot] = (uint32_t)++ix->nkeys;
		}
		if (k->last != t->pos) {  /* a code twice in one resource's element: listed once */
			k->count++;
			k->last = t->pos;
		}
	}
	uint32_t at = 0;
	for (size_t i = 0; i < ix->nkeys; i++) {
		ix->keys[i].start = at;
		at += ix->keys[i].count;
		ix->keys[i].count = 0;
		ix->keys[i].last = UINT32_MAX;
	}
	for (size_t i = 0; i < l.n; i++) {
		const S_code_ent *t = &l.v[i];
		size_t slot;
		S_code_key *k = S_code_find(ix, t->elem, t->s, t->n, t->hash, &slot);
		if (k->last != t->pos) {
			ix->pos[k->start + k->count++] = t->pos;
			k->last = t->pos;
		}
	}
	uint32_t *u = ix->pos + at;
	for (uint32_t e = 0; e < S_NCODED; e++) {
		ix->nunread[e] = nunread[e];
		ix->unread[e] = u;
		if (nunread[e])
			memcpy(u, unread + e * c->ntop, nunread[e] * sizeof *u);
		u += nunread[e];
	}
out:
	free(which);
	free(l.v);
	free(unread);
	return ix;
}

static const S_codes *S_codes_get(const mn_case *c);

/* mine at *at unless a value is there first: the value there after (mine, or the other, mine then freed). */
static void *S_keep_once(_Atomic(void *) *at, void *mine)
{
	void *had = NULL;
	if (atomic_compare_exchange_strong_explicit(at, &had, mine, memory_order_acq_rel, memory_order_acquire))
		return mine;
	free(mine);
	return had;
}

/* The index of view v (an as-of view of v->from that leaves some out) by code, from its source's: the
 * same keys and slots, each key's resources and the unread ones those of the source that v keeps, as v's
 * positions (v keeps the source's order, so they stay in case order). A key none of whose resources is
 * kept stays, with none: found like an absent one. NULL when out of memory. */
static S_codes *S_codes_derive(const mn_case *v)
{
	const S_codes *b = S_codes_get(v->from);
	if (!b)
		return NULL;
	size_t npos = 0;
	for (size_t i = 0; i < b->nkeys; i++)
		npos += b->keys[i].count;
	for (uint32_t e = 0; e < S_NCODED; e++)
		npos += b->nunread[e];
	S_codes *ix = calloc(1, sizeof *ix + b->nslots * sizeof *ix->slots + b->nkeys * sizeof *ix->keys +
	                            npos * sizeof *ix->pos);
	if (!ix)
		return NULL;
	ix->nkeys = b->nkeys;
	ix->nslots = b->nslots;
	ix->keys = (S_code_key *)(ix + 1);
	ix->slots = (uint32_t *)(ix->keys + b->nkeys);
	ix->pos = ix->slots + b->nslots;
	memcpy(ix->slots, b->slots, b->nslots * sizeof *ix->slots);
	const uint32_t *map = v->from_pos;
	uint32_t at = 0;
	for (size_t i = 0; i < b->nkeys; i++) {
		const S_code_key *bk = &b->keys[i];
		S_code_key *k = &ix->keys[i];
		*k = *bk;
		k->start = at;
		for (uint32_t j = 0; j < bk->count; j++) {
			uint32_t p = map[b->pos[bk->start + j]];
			if (p != UINT32_MAX)
				ix->pos[at++] = p;
		}
		k->count = at - k->start;
	}
	for (uint32_t e = 0; e < S_NCODED; e++) {
		ix->unread[e] = ix->pos + at;
		for (size_t j = 0; j < b->nunread[e]; j++) {
			uint32_t p = map[b->unread[e][j]];
			if (p != UINT32_MAX)
				ix->pos[at++] = p;
		}
		ix->nunread[e] = (size_t)(ix->pos + at - ix->unread[e]);
	}
	return ix;
}

/* c's index by code, made (or, for a view that leaves some out, derived from its source's) when first
 * asked, once: a thread that loses the race frees its own copy. NULL when out of memory. */
static const S_codes *S_codes_get(const mn_case *c)
{
	S_codes *ix = atomic_load_explicit(&c->codes->idx, memory_order_acquire);
	if (!ix) {
		S_codes *mine = c->from ? S_codes_derive(c) : S_codes_make(c);
		if (!mine)
			return NULL;
		ix = S_keep_once(&c->codes->idx, mine);
	}
	return ix;
}

bool mn_case_coded(const mn_case *c, const char *element, const char *code, size_t n, const uint32_t **pos,
                   size_t *count, const uint32_t **unread, size_t *nunread)
{
	*pos = *unread = NULL;
	*count = *nunread = 0;
	uint32_t e = 0;
	while (e < S_NCODED && (!element || strcmp(element, S_coded_elements[e].s) != 0))
		e++;
	if (!c || !c->codes || !code || e == S_NCODED)
		return false;
	const S_codes *ix = atomic_load_explicit(&c->codes->idx, memory_order_acquire);
	if (!ix && !(ix = S_codes_get(c)))
		return false;
	size_t slot;
	const S_code_key *k = S_code_find(ix, e, code, n, S_code_hash(e, code, n), &slot);
	if (k && k->count) {
		*pos = ix->pos + k->start;
		*count = k->count;
	}
	*unread = ix->nunread[e] ? ix->unread[e] : NULL;
	*nunread = ix->nunread[e];
	return true;
}

/* ---- values kept per resource (fhir/case_memo.h) ------------------------------ */

/* r's position when it is one of c's top-level resources, else SIZE_MAX. */
static size_t S_top_of(const mn_case *c, const mn_resource *r)
{
	if (!c || !r || !c->codes || r->index < 0 || (size_t)r->index >= c->ntop || &c->res[r->index].pub != r)
		return SIZE_MAX;
	return (size_t)r->index;
}

const void *mn_case_memo_get(const mn_case *c, const mn_resource *r)
{
	size_t i = S_top_of(c, r);
	if (i == SIZE_MAX)
		return NULL;
	struct S_memo *m = atomic_load_explicit(&c->codes->memo, memory_order_acquire);
	return m ? atomic_load_explicit(&m->v[i], memory_order_acquire) : NULL;
}

const void *mn_case_memo_keep(const mn_case *c, const mn_resource *r, void *v)
{
	size_t i = S_top_of(c, r);
	if (i == SIZE_MAX || !v)
		return NULL;
	struct S_memo *m = atomic_load_explicit(&c->codes->memo, memory_order_acquire);
	if (!m) {
		struct S_memo *mine = calloc(1, sizeof *mine + c->ntop * sizeof mine->v[0]);
		if (!mine)
			return NULL;
		mine->n = c->ntop;
		for (size_t k = 0; k < c->ntop; k++)
			atomic_init(&mine->v[k], NULL);
		m = S_keep_once(&c->codes->memo, mine);
	}
	return S_keep_once(&m->v[i], v);
}

bool mn_case_bundle_exact(const mn_case *c)
{
	return c && c->bundle_exact;
}

size_t mn_case_left_out(const mn_case *c)
{
	return c ? c->left_out : 0;
}
