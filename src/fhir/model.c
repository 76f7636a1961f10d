/*
 * src/fhir/model.c: lookups in the generated FHIR R4 type model.
 *
 * Types are found by binary search in the sorted table mn_fhir__types; a
 * type's own elements are sorted by name and searched the same way, walking
 * the base links (Observation -> DomainResource -> Resource) for inherited
 * ones. JSON property names of choice elements ("valueQuantity") are split at
 * each capital letter and the prefix looked up as a choice element whose
 * types include the suffix with its first letter lowered ("Quantity",
 * "dateTime", "string").
 */
#include "fhir/model.h"

#include <string.h>

/* strcmp of a counted string against a NUL-terminated one. */
static int S_cmpn(const char *a, size_t alen, const char *b)
{
	size_t i;
	for (i = 0; i < alen; i++) {
		unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (cb == 0)
			return 1;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return b[i] == 0 ? 0 : -1;
}

/* The types found last, per thread, by the name's words and length (mn_fhir__name_words): a record names
 * the same resource types again and again (each resource, each reference). A hit is checked against the
 * type's own name (its words, which are the whole name up to 16 bytes, and the bytes between them beyond),
 * so it is never wrong; only found types are kept. */
#define S_TYPE_CACHE 128
static _Thread_local struct {
	const mn_fhir_type *t;
	size_t len;
	uint64_t head, tail;
} S_type_cache[S_TYPE_CACHE];

static const mn_fhir_type *S_type_search(const char *name, size_t len)
{
	size_t lo = 0, hi = mn_fhir__ntypes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = S_cmpn(name, len, mn_fhir__types[mid].name);
		if (c == 0)
			return &mn_fhir__types[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const mn_fhir_type *mn_fhir_type_find(const char *name, size_t len)
{
	uint64_t a, b;
	if (!name)
		return NULL;
	mn_fhir__name_words(name, len, &a, &b);
	size_t slot = (size_t)(mn_fhir__name_hash(a, b, len, 0) & (S_TYPE_CACHE - 1));
	const mn_fhir_type *t = S_type_cache[slot].t;
	if (t && S_type_cache[slot].len == len && S_type_cache[slot].head == a && S_type_cache[slot].tail == b &&
	    (len <= 16 || memcmp(t->name + 8, name + 8, len - 16) == 0))
		return t;  /* len is t's name's length: the bytes compared are the whole name */
	t = S_type_search(name, len);
	if (t) {
		S_type_cache[slot].t = t;
		S_type_cache[slot].len = len;
		S_type_cache[slot].head = a;
		S_type_cache[slot].tail = b;
	}
	return t;
}

/* The own element of t named name, or NULL. Most names searched differ in their first byte: that byte is
 * compared inline, S_cmpn called only past it. */
static const mn_fhir_element *S_own_element(const mn_fhir_type *t, const char *name, size_t len)
{
	size_t lo = 0, hi = t->nelements;
	unsigned char c0 = len ? (unsigned char)name[0] : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *en = t->elements[mid].name;
		unsigned char e0 = (unsigned char)en[0];
		int c = c0 != e0 ? (c0 < e0 ? -1 : 1) : !e0 ? S_cmpn(name, len, en) : S_cmpn(name + 1, len - 1, en + 1);
		if (c == 0)
			return &t->elements[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Evaluations ask for the same few (type, name) pairs again and again, with
 * the name at the same address (the compiled expression's): the last answers
 * are kept per thread in a small direct-mapped table. A hit is checked by
 * the element's own name, so a stale entry (the name's memory reused) is a
 * miss, never a wrong answer; only found elements are kept. */
#define S_CACHE 256
static _Thread_local struct {
	const mn_fhir_type *t;
	const char *name;
	const mn_fhir_element *e;
} S_cache[S_CACHE];

const mn_fhir_element *mn_fhir_element_find(const mn_fhir_type *t, const char *name, size_t len)
{
	if (!name || !t)
		return NULL;
	uintptr_t h = ((uintptr_t)t >> 4) ^ ((uintptr_t)name >> 1) ^ len;
	h ^= h >> 9;
	size_t slot = (size_t)(h & (S_CACHE - 1));
	if (S_cache[slot].t == t && S_cache[slot].name == name) {
		const mn_fhir_element *e = S_cache[slot].e;
		if (S_cmpn(name, len, e->name) == 0)
			return e;
	}
	for (const mn_fhir_type *b = t; b; b = b->base) {
		const mn_fhir_element *e = S_own_element(b, name, len);
		if (e) {
			S_cache[slot].t = t;
			S_cache[slot].name = name;
			S_cache[slot].e = e;
			return e;
		}
	}
	return NULL;
}

/* The type among e's types whose name is the JSON suffix s[0..n) with its
 * first letter lowered when the type name starts lowercase ("DateTime" ->
 * dateTime; "Quantity" -> Quantity). */
static const mn_fhir_type *S_choice_type(const mn_fhir_element *e, const char *s, size_t n)
{
	for (unsigned i = 0; i < e->ntypes; i++) {
		const char *tn = e->types[i]->name;
		size_t tl = strlen(tn);
		if (tl != n || tl == 0)
			continue;
		char c0 = tn[0];
		if (c0 >= 'a' && c0 <= 'z')
			c0 = (char)(c0 - 'a' + 'A');
		if (s[0] == c0 && memcmp(s + 1, tn + 1, n - 1) == 0)
			return e->types[i];
	}
	return NULL;
}

static const mn_fhir_element *S_element_for_json(const mn_fhir_type *t, const char *name, size_t len,
                                                 const mn_fhir_type **type)
{
	const mn_fhir_element *e = mn_fhir_element_find(t, name, len);
	if (e && !e->choice) {
		if (type)
			*type = e->ntypes ? e->types[0] : NULL;
		return e;
	}
	/* A choice: "valueQuantity" = "value" + "Quantity". Try each split
	 * before a capital letter. */
	for (size_t i = 1; i < len; i++) {
		if (name[i] < 'A' || name[i] > 'Z')
			continue;
		e = mn_fhir_element_find(t, name, i);
		if (!e || !e->choice)
			continue;
		const mn_fhir_type *ct = S_choice_type(e, name + i, len - i);
		if (ct) {
			if (type)
				*type = ct;
			return e;
		}
	}
	return NULL;
}

/* The answers of S_element_for_json, remembered per thread by the type and the name's text (the model is
 * constant, so the answer is too, found or not): a choice element's JSON name ("valueQuantity",
 * "effectiveDateTime") costs a lookup of every split before a capital letter otherwise. Found by the name's
 * words and length (mn_fhir__name_words: the whole name up to 16 bytes, the bytes between them compared
 * beyond). */
#define S_JSON_SLOTS 64
#define S_JSON_NAME_MAX 48
static _Thread_local struct {
	const mn_fhir_type *t;
	const mn_fhir_element *e;
	const mn_fhir_type *type;
	size_t len;
	uint64_t head, tail;
	char name[S_JSON_NAME_MAX];
} S_json_cache[S_JSON_SLOTS];

const mn_fhir_element *mn_fhir_element_for_json(const mn_fhir_type *t, const char *name,
                                                size_t len, const mn_fhir_type **type)
{
	const mn_fhir_type *ignore;
	if (!type)
		type = &ignore;
	*type = NULL;
	if (!t || !name || len == 0)
		return NULL;
	if (len > S_JSON_NAME_MAX)
		return S_element_for_json(t, name, len, type);
	uint64_t a, b;
	mn_fhir__name_words(name, len, &a, &b);
	unsigned slot = (unsigned)(mn_fhir__name_hash(a, b, len, (uintptr_t)t) & (S_JSON_SLOTS - 1));
	if (S_json_cache[slot].t == t && S_json_cache[slot].len == len && S_json_cache[slot].head == a &&
	    S_json_cache[slot].tail == b && (len <= 16 || memcmp(S_json_cache[slot].name + 8, name + 8, len - 16) == 0)) {
		*type = S_json_cache[slot].type;
		return S_json_cache[slot].e;
	}
	const mn_fhir_element *e = S_element_for_json(t, name, len, type);
	S_json_cache[slot].t = t;
	S_json_cache[slot].e = e;
	S_json_cache[slot].type = *type;
	S_json_cache[slot].len = len;
	S_json_cache[slot].head = a;
	S_json_cache[slot].tail = b;
	memcpy(S_json_cache[slot].name, name, len);
	return e;
}

bool mn_fhir_type_is_a(const mn_fhir_type *t, const mn_fhir_type *base)
{
	if (!base)
		return false;
	for (; t; t = t->base)
		if (t == base)
			return true;
	return false;
}

bool mn_fhir_type_has_subtypes(const mn_fhir_type *t)
{
	for (size_t i = 0; t && i < mn_fhir__ntypes; i++)
		if (mn_fhir__types[i].base == t)
			return true;
	return false;
}

bool mn_fhir_is_resource_type(const char *name, size_t len)
{
	const mn_fhir_type *t = mn_fhir_type_find(name, len);
	return t && t->kind == MN_FHIR_RESOURCE;
}
