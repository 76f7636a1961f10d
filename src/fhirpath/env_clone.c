/*
 * env_clone.c: a copy of an environment that can be changed without
 * changing the original (the letter binds %item in its own copy of a
 * determination's environment; the determination stays as it was).
 */
#include <stdlib.h>
#include <string.h>

#include "fhirpath/fhirpath_int.h"

mn_fp_env *mn_fp_env_clone(const mn_fp_env *src)
{
	if (!src)
		return NULL;
	mn_fp_env *env = mn_fp_env_new();
	if (!env)
		return NULL;
	env->has_now = src->has_now;
	env->now = src->now;
	env->kase = src->kase;
	env->case_items = src->case_items;  /* in src's arena, like the variables */
	env->case_n = src->case_n;
	env->member = src->member;
	env->codes = src->codes;
	env->member_payload = src->member_payload;
	env->trace = src->trace;
	env->trace_payload = src->trace_payload;
	env->valuesets = src->valuesets;
	env->valuesets_payload = src->valuesets_payload;
	if (src->nvars) {
		/* names and values stay in src's arena: shared, read-only here */
		env->vars = malloc(src->nvars * sizeof *env->vars);
		if (!env->vars) {
			mn_fp_env_free(env);
			return NULL;
		}
		memcpy(env->vars, src->vars, src->nvars * sizeof *env->vars);
		env->nvars = env->capvars = src->nvars;
	}
	return env;
}
