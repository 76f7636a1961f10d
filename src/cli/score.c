/*
 * score.c: `mednec score`, every clinical score the record allows, with the
 * record entries each used and what could not be computed and why.
 *
 *   mednec score CASE --as-of YYYY-MM-DD [--format text|json] [--home DIR]
 *
 * Uses the public API only. The knowledge folder is DIR/knowledge (DIR from
 * --home, else $MEDNEC_HOME, else the source tree the program was built
 * from). Exit codes as in docs/CLI.md: 64 usage, 65 invalid case, 66
 * unreadable file, 71 out of memory, 74 output error, 78 invalid knowledge file.
 *
 * The scores are computed on the record as it stood on the as-of date
 * (mn_case_as_of: entries dated after it are left out, docs/POLICY-FORMAT.md
 * "Time"), as the determination computes %scores. A reference that does not
 * resolve within the record is a warning, as for `determine`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mednec/clinical.h"
#include "mednec/decide.h"

static int sc_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "mednec: score: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: mednec score CASE --as-of YYYY-MM-DD [--format text|json] [--home DIR]\n");
	return EXIT_USAGE;
}

/* ---- JSON, indented ------------------------------------------------------ */

static void indent(mn_buf *b, int depth)
{
	mn_buf_putc(b, '\n');
	for (int i = 0; i < depth; i++)
		mn_buf_puts(b, "  ");
}

static void write_pretty(mn_buf *b, const mn_json *v, int depth)
{
	switch (v->type) {
	case MN_JSON_OBJECT:
		if (!v->n) {
			mn_buf_puts(b, "{}");
			return;
		}
		mn_buf_putc(b, '{');
		for (uint32_t i = 0; i < v->n; i++) {
			indent(b, depth + 1);
			mn_buf_put_json_string(b, v->u.members[i].key, v->u.members[i].key_len);
			mn_buf_puts(b, ": ");
			write_pretty(b, &v->u.members[i].value, depth + 1);
			if (i + 1 < v->n)
				mn_buf_putc(b, ',');
		}
		indent(b, depth);
		mn_buf_putc(b, '}');
		return;
	case MN_JSON_ARRAY: {
		if (!v->n) {
			mn_buf_puts(b, "[]");
			return;
		}
		bool scalars = true;
		for (uint32_t i = 0; i < v->n; i++)
			scalars = scalars && v->u.items[i].type != MN_JSON_OBJECT && v->u.items[i].type != MN_JSON_ARRAY;
		mn_buf_putc(b, '[');
		for (uint32_t i = 0; i < v->n; i++) {
			if (scalars)
				mn_buf_puts(b, i ? ", " : "");
			else
				indent(b, depth + 1);
			write_pretty(b, &v->u.items[i], depth + 1);
			if (!scalars && i + 1 < v->n)
				mn_buf_putc(b, ',');
		}
		if (!scalars)
			indent(b, depth);
		mn_buf_putc(b, ']');
		return;
	}
	default:
		mn_json_write(b, v);
	}
}

/* ---- text ---------------------------------------------------------------- */

static void write_text(mn_buf *b, const mn_case *kase, const mn_scores *s, const char *case_path, mn_arena *a)
{
	mn_buf_printf(b, "Clinical scores for %s as of %s\n", case_path, s->as_of);
	size_t left = mn_case_left_out(kase);
	if (left)
		mn_buf_printf(b, "(%zu record entr%s dated after %s left out)\n", left, left == 1 ? "y" : "ies", s->as_of);
	for (size_t i = 0; i < s->nscores; i++) {
		const mn_score *sc = &s->scores[i];
		mn_buf_printf(b, "\n%s", sc->title);
		if (sc->variant && *sc->variant && strcmp(sc->variant, "none") != 0)
			mn_buf_printf(b, " (%s)", sc->variant);
		mn_buf_puts(b, "\n");
		if (sc->computed)
			mn_buf_printf(b, "  %s\n", sc->value);
		else
			mn_buf_printf(b, "  not computed: %s\n", sc->why_not ? sc->why_not : "");
		for (size_t k = 0; k < sc->ndetails; k++)
			mn_buf_printf(b, "  - %s\n", sc->details[k]);
		if (sc->nsources)
			mn_buf_puts(b, "  record entries used:\n");
		for (size_t k = 0; k < sc->nsources; k++) {
			mn_entry e;
			if (mn_entry_make(kase, sc->sources[k].resource, a, &e) != MN_OK) {
				b->failed = true;
				return;
			}
			mn_buf_printf(b, "    %s  %s  %s: %s\n", e.reference, e.date ? e.date : "(no date)",
			              sc->sources[k].role, e.summary);
		}
	}
}

/* ---- command ------------------------------------------------------------- */

int mn_cli_score(int argc, char **argv)
{
	const char *case_path = NULL, *as_of_text = NULL, *format = "text", *home = NULL;
	bool strict = false;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		if (strcmp(arg, "--strict") == 0) {
			strict = true;
			continue;
		}
		if (strcmp(arg, "--as-of") == 0) slot = &as_of_text;
		else if (strcmp(arg, "--format") == 0) slot = &format;
		else if (strcmp(arg, "--home") == 0) slot = &home;
		if (slot) {
			if (i + 1 >= argc)
				return sc_usage("%s needs a value", arg);
			*slot = argv[++i];
		} else if (arg[0] == '-' && arg[1]) {
			return sc_usage("unknown option '%s'", arg);
		} else if (case_path) {
			return sc_usage("one CASE only ('%s')", arg);
		} else {
			case_path = arg;
		}
	}
	if (!case_path)
		return sc_usage("%s", "CASE is required");
	if (!as_of_text)
		return sc_usage("%s", "--as-of YYYY-MM-DD is required: the evaluation date is an input, never the clock");
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return sc_usage("--format: '%s' is not text or json", format);
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	if (mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err) != MN_OK ||
	    as_of.precision != MN_DT_DAY)
		return sc_usage("--as-of: '%s' is not a valid date (YYYY-MM-DD)", as_of_text);
	home = mn_cli_home(home);
	size_t kn = strlen(home) + sizeof "/knowledge";
	char *kdir = malloc(kn);
	mn_arena *arena = mn_arena_new();
	mn_score_config *cfg = NULL;
	mn_case *record = NULL, *kase = NULL;
	mn_buf out = MN_BUF_INIT;
	int rc = EXIT_OK;
	if (!kdir || !arena) {
		fprintf(stderr, "mednec: out of memory\n");
		rc = EXIT_NOMEM;
		goto done;
	}
	snprintf(kdir, kn, "%s/knowledge", home);
	mn_scores *s = NULL;
	if (mn_score_config_load(kdir, &cfg, &err) != MN_OK ||
	    mn_case_load_file_ex(case_path, mn_cli_record_flags(strict), &record, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	mn_cli_warn_problems(case_path, record);
	size_t dangling = mn_case_unresolved(record);
	if (dangling) {
		fprintf(stderr, "mednec: warning: %s: %zu reference(s) do not resolve within the record and resolve to "
		        "nothing", case_path, dangling);
		for (size_t i = 0; mn_case_unresolved_at(record, i); i++)
			fprintf(stderr, "%s%s", i ? "; " : ": ", mn_case_unresolved_at(record, i));
		fprintf(stderr, "\n");
	}
	if (mn_case_as_of(record, &as_of, &kase, &err) != MN_OK ||
	    mn_scores_compute(cfg, kase, &as_of, arena, &s, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	if (strcmp(format, "json") == 0) {
		/* {"case": ..., then the scores object's members} */
		mn_buf_puts(&out, "{\n  \"case\": ");
		mn_buf_put_json_string(&out, case_path, strlen(case_path));
		mn_buf_printf(&out, ",\n  \"leftOut\": %zu", mn_case_left_out(kase));
		const mn_json *j = s->json;
		for (uint32_t i = 0; i < j->n; i++) {
			mn_buf_puts(&out, ",");
			indent(&out, 1);
			mn_buf_put_json_string(&out, j->u.members[i].key, j->u.members[i].key_len);
			mn_buf_puts(&out, ": ");
			write_pretty(&out, &j->u.members[i].value, 1);
		}
		mn_buf_puts(&out, "\n}\n");
	} else {
		write_text(&out, kase, s, case_path, arena);
	}
	rc = mn_cli_write(&out);
done:
	mn_buf_free(&out);
	mn_case_free(kase);  /* the view before its record */
	mn_case_free(record);
	mn_score_config_free(cfg);
	mn_arena_free(arena);
	free(kdir);
	return rc;
}
