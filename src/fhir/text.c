/*
 * text.c: readable text of common FHIR data types, shared by everything
 * that shows record entries to a person (summaries, letters).
 */
#include <string.h>

#include "mednec/fhir.h"

const char *mn_fhir_concept_text(const mn_json *cc)
{
	const char *t = mn_json_get_string(cc, "text");
	if (t)
		return t;
	const mn_json *codings = mn_json_get(cc, "coding");
	if (!codings || codings->type != MN_JSON_ARRAY)
		return NULL;
	for (uint32_t i = 0; i < codings->n; i++)
		if ((t = mn_json_get_string(&codings->u.items[i], "display")) != NULL)
			return t;
	for (uint32_t i = 0; i < codings->n; i++)
		if ((t = mn_json_get_string(&codings->u.items[i], "code")) != NULL)
			return t;
	return NULL;
}

const char *mn_fhir_name_text(mn_arena *a, const mn_json *name)
{
	if (!name)
		return NULL;
	if (name->type == MN_JSON_STRING)
		return name->u.s;
	if (name->type == MN_JSON_ARRAY)
		name = name->n ? &name->u.items[0] : NULL;
	if (!name || name->type != MN_JSON_OBJECT)
		return NULL;
	const char *text = mn_json_get_string(name, "text");
	if (text)
		return text;
	mn_buf b = MN_BUF_INIT;
	const mn_json *given = mn_json_get(name, "given");
	for (uint32_t i = 0; given && given->type == MN_JSON_ARRAY && i < given->n; i++)
		if (given->u.items[i].type == MN_JSON_STRING)
			mn_buf_printf(&b, "%s ", given->u.items[i].u.s);
	const char *family = mn_json_get_string(name, "family");
	if (family)
		mn_buf_puts(&b, family);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	const char *s = b.len && !b.failed ? mn_arena_strndup(a, b.data, b.len) : NULL;
	mn_buf_free(&b);
	return s;
}
