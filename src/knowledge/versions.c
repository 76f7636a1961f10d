/*
 * versions.c: policy versions. Several files may hold one policy id
 * (ID.yaml, ID@VERSION.yaml), each with the period it is in force
 * (effective); the version used for a determination is the one in force
 * on the as-of day. None in force, or two, is an error: the engine never
 * guesses which payer text applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knowledge_int.h"

bool k_valid_stem(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at)
		return k_valid_id(s);
	char id[256];
	size_t n = (size_t)(at - s);
	if (n == 0 || n >= sizeof id || !at[1])
		return false;
	memcpy(id, s, n);
	id[n] = '\0';
	if (!k_valid_id(id))
		return false;
	for (const char *t = at + 1; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '.' ||
		      *t == '_' || *t == '-'))
			return false;
	return true;
}

static void day_text(const mn_datetime *d, char out[32])
{
	snprintf(out, 32, "%04d-%02d-%02d", d->year, d->month, d->day);
}

bool mn_policy_in_force(const mn_policy *p, const mn_datetime *as_of)
{
	char day[32];
	day_text(as_of, day);
	return p->effective_start && strcmp(p->effective_start, day) <= 0 &&
	       (!p->effective_end || strcmp(day, p->effective_end) <= 0);
}

/* Length of the id part of a file stem ("ID" or "ID@VERSION"). */
static size_t id_len(const char *stem)
{
	const char *at = strchr(stem, '@');
	return at ? (size_t)(at - stem) : strlen(stem);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mn_status mn_policy_ids(const char *policies_dir, mn_arena *arena, const char ***ids, mn_error *err)
{
	const char **stems;
	mn_status rc = mn_policy_list(policies_dir, arena, &stems, err);
	if (rc != MN_OK)
		return rc;
	size_t n = 0;
	for (size_t i = 0; stems[i]; i++) {
		const char *id = mn_arena_strndup(arena, stems[i], id_len(stems[i]));
		if (!id)
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		stems[n++] = id;
	}
	qsort(stems, n, sizeof *stems, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(stems[u - 1], stems[i]) != 0)
			stems[u++] = stems[i];
	stems[u] = NULL;
	*ids = stems;
	return MN_OK;
}

/* The files of every version of policy id, or of the policy files that list
 * id among their aliases; MN_ENOTFOUND when there are none. */
static mn_status versions(const char *dir, const char *id, const mn_library *lib, mn_arena *arena,
                          const char ***out, size_t *n, mn_error *err)
{
	const char **stems;
	*n = 0;
	mn_status rc = mn_policy_list(dir, arena, &stems, err);
	if (rc != MN_OK)
		return rc;
	size_t len = strlen(id), k = 0;
	for (size_t i = 0; stems[i]; i++)
		if (id_len(stems[i]) == len && strncmp(stems[i], id, len) == 0)
			stems[k++] = stems[i];
	if (!k) {
		/* an alias: the files that list it */
		for (size_t i = 0; stems[i]; i++) {
			mn_policy *p;
			mn_error e;
			mn_error_clear(&e);
			if (mn_policy_load(dir, stems[i], lib, &p, &e) != MN_OK) {
				if (e.code == MN_ENOMEM)  /* not "no such policy": the search could not be made */
					return mn_error_set(err, MN_ENOMEM, "out of memory");
				continue;
			}
			for (size_t a = 0; a < p->naliases; a++) {
				if (strcmp(p->aliases[a], id) == 0) {
					stems[k++] = stems[i];
					break;
				}
			}
			mn_policy_free(p);
		}
	}
	if (!k)
		return mn_error_set(err, MN_ENOTFOUND, "no policy '%s' in %s (mednec policies lists them)", id, dir);
	*out = stems;
	*n = k;
	return MN_OK;
}

/* "ID@VERSION.yaml (2026-01-01 to 2026-06-30)" */
static void describe(mn_buf *b, const mn_policy *p)
{
	const char *base = strrchr(p->path, '/');
	mn_buf_printf(b, "%s (%s to %s)", base ? base + 1 : p->path, p->effective_start,
	              p->effective_end ? p->effective_end : "open");
}

mn_status mn_policy_load_in_force_ex(const char *policies_dir, const char *id, const mn_datetime *as_of,
                                     const mn_library *lib, unsigned flags, mn_policy **out, mn_error *err)
{
	*out = NULL;
	if (!k_valid_id(id) && !k_valid_stem(id))
		return mn_error_set(err, MN_ENOTFOUND, "no policy '%s' (ids are lowercase letters, digits and '-')", id);
	mn_arena *arena = mn_arena_new();
	if (!arena)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	const char **stems;
	size_t n;
	mn_status rc;
	if (strchr(id, '@')) {
		/* one named version file */
		stems = mn_arena_calloc(arena, 1, sizeof *stems);
		if (!stems) {
			mn_arena_free(arena);
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		}
		stems[0] = id;
		n = 1;
		rc = MN_OK;
	} else {
		rc = versions(policies_dir, id, lib, arena, &stems, &n, err);
	}
	mn_policy *chosen = NULL;
	mn_buf seen = MN_BUF_INIT;
	char day[32];
	day_text(as_of, day);
	for (size_t i = 0; rc == MN_OK && i < n; i++) {
		mn_policy *p;
		if ((rc = mn_policy_load(policies_dir, stems[i], lib, &p, err)) != MN_OK)
			break;
		mn_buf_puts(&seen, i ? ", " : "");
		describe(&seen, p);
		if (!mn_policy_in_force(p, as_of)) {
			mn_policy_free(p);
			continue;
		}
		if (chosen) {
			mn_buf b = MN_BUF_INIT;
			describe(&b, chosen);
			mn_buf_puts(&b, " and ");
			describe(&b, p);
			mn_error_locate(err, policies_dir, 0, 0);
			rc = mn_error_set(err, MN_EPOLICY, "two versions of policy '%s' are in force on %s: %s; their "
			                  "effective periods must not overlap", chosen->id, day, mn_buf_cstr(&b));
			mn_buf_free(&b);
			mn_policy_free(p);
			break;
		}
		chosen = p;
	}
	if (rc == MN_OK && !chosen && !(flags & MN_POLICY_NONE_IN_FORCE_OK)) {
		mn_error_locate(err, policies_dir, 0, 0);
		rc = mn_error_set(err, MN_EPOLICY, "no version of policy '%s' is in force on %s (%s)", id, day,
		                  mn_buf_cstr(&seen));
	}
	if (rc == MN_OK && seen.failed)
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_buf_free(&seen);
	mn_arena_free(arena);
	if (rc != MN_OK) {
		mn_policy_free(chosen);
		return rc;
	}
	*out = chosen;
	return MN_OK;
}

mn_status mn_policy_load_in_force(const char *policies_dir, const char *id, const mn_datetime *as_of,
                                  const mn_library *lib, mn_policy **out, mn_error *err)
{
	return mn_policy_load_in_force_ex(policies_dir, id, as_of, lib, 0, out, err);
}

mn_status mn_policy_versions(const char *policies_dir, const char *id, const mn_library *lib, mn_arena *arena,
                             const char ***stems, mn_error *err)
{
	size_t n;
	mn_status rc = versions(policies_dir, id, lib, arena, stems, &n, err);
	if (rc == MN_OK)
		(*stems)[n] = NULL;
	return rc;
}

mn_status mn_policy_check_versions(const char *policies_dir, const char *id, const mn_library *lib, mn_error *err)
{
	mn_arena *arena = mn_arena_new();
	if (!arena)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	const char **stems;
	size_t n;
	mn_status rc = versions(policies_dir, id, lib, arena, &stems, &n, err);
	mn_policy **ps = rc == MN_OK ? mn_arena_calloc(arena, n ? n : 1, sizeof *ps) : NULL;
	if (rc == MN_OK && !ps)
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	size_t loaded = 0;
	for (size_t i = 0; rc == MN_OK && i < n; i++)
		if ((rc = mn_policy_load(policies_dir, stems[i], lib, &ps[loaded], err)) == MN_OK)
			loaded++;
	/* two periods overlap when each starts no later than the other ends */
	for (size_t i = 0; rc == MN_OK && i < loaded; i++) {
		for (size_t j = i + 1; rc == MN_OK && j < loaded; j++) {
			const mn_policy *a = ps[i], *b = ps[j];
			bool overlap = (!a->effective_end || strcmp(b->effective_start, a->effective_end) <= 0) &&
			               (!b->effective_end || strcmp(a->effective_start, b->effective_end) <= 0);
			if (!overlap)
				continue;
			mn_buf m = MN_BUF_INIT;
			describe(&m, a);
			mn_buf_puts(&m, " and ");
			describe(&m, b);
			mn_error_locate(err, policies_dir, 0, 0);
			rc = mn_error_set(err, MN_EPOLICY, "versions of policy '%s' overlap: %s", a->id, mn_buf_cstr(&m));
			mn_buf_free(&m);
		}
	}
	for (size_t i = 0; i < loaded; i++)
		mn_policy_free(ps[i]);
	mn_arena_free(arena);
	return rc;
}
