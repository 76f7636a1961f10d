/*
 * json.c: writing a parsed JSON tree back out (compact or pretty).
 */
#include <string.h>

#include "dtr_int.h"

static void pad(mn_buf *b, int n)
{
	mn_buf_putc(b, '\n');
	for (int i = 0; i < n; i++)
		mn_buf_puts(b, "  ");
}

void mn_dtr_json_write(mn_buf *b, const mn_json *v, int indent)
{
	switch (v->type) {
	case MN_JSON_NULL: mn_buf_puts(b, "null"); return;
	case MN_JSON_TRUE: mn_buf_puts(b, "true"); return;
	case MN_JSON_FALSE: mn_buf_puts(b, "false"); return;
	case MN_JSON_NUMBER: mn_buf_put(b, v->u.s, v->n); return;
	case MN_JSON_STRING: mn_buf_put_json_string(b, v->u.s, v->n); return;
	case MN_JSON_ARRAY:
		if (!v->n) {
			mn_buf_puts(b, "[]");
			return;
		}
		mn_buf_putc(b, '[');
		for (uint32_t i = 0; i < v->n; i++) {
			if (i)
				mn_buf_putc(b, ',');
			if (indent >= 0)
				pad(b, indent + 1);
			mn_dtr_json_write(b, &v->u.items[i], indent >= 0 ? indent + 1 : -1);
		}
		if (indent >= 0)
			pad(b, indent);
		mn_buf_putc(b, ']');
		return;
	case MN_JSON_OBJECT:
		if (!v->n) {
			mn_buf_puts(b, "{}");
			return;
		}
		mn_buf_putc(b, '{');
		for (uint32_t i = 0; i < v->n; i++) {
			const mn_json_member *m = &v->u.members[i];
			if (i)
				mn_buf_putc(b, ',');
			if (indent >= 0)
				pad(b, indent + 1);
			mn_buf_put_json_string(b, m->key, m->key_len);
			mn_buf_puts(b, indent >= 0 ? ": " : ":");
			mn_dtr_json_write(b, &m->value, indent >= 0 ? indent + 1 : -1);
		}
		if (indent >= 0)
			pad(b, indent);
		mn_buf_putc(b, '}');
		return;
	default:
		return;
	}
}

mn_status mn_dtr_pretty(const mn_buf *src, mn_buf *out, mn_error *err)
{
	if (src->failed)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_arena *a = mn_arena_new();
	mn_json *root;
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_status rc = mn_json_parse(a, "questionnaire", src->data ? src->data : "", src->len, &root, err);
	if (rc == MN_OK) {
		mn_dtr_json_write(out, root, 0);
		mn_buf_putc(out, '\n');
		if (out->failed)
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	mn_arena_free(a);
	return rc;
}

void mn_dtr_jstr(mn_buf *b, const char *s)
{
	if (s)
		mn_buf_put_json_string(b, s, strlen(s));
	else
		mn_buf_puts(b, "null");
}
