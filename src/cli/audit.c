/*
 * audit.c: the audit trail from the command line (docs/CLI.md, docs/SERVICE.md "Audit trail"):
 *   mednec audit verify --store URL       check the hash chain; "audit chain intact: N rows"
 *   mednec audit show ID|KEY --store URL  one stored decision as JSON
 * and the row `mednec determine --store URL` stores before it prints its determination.
 */
#include "cli.h"
#include "module.h"

#include "mednec/audit.h"
#include "mednec/decide.h"
#include "mednec/knowledge.h"
#include "mednec/render.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "mednec: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nusage: mednec audit verify --store URL\n       mednec audit show ID --store URL\n");
	return EXIT_USAGE;
}

/* Open an existing store: verify and show never create one (a mistyped sqlite path is an error, not an empty,
 * intact chain). */
static int open_existing(const char *url, mn_audit **out)
{
	mn_error err;
	mn_error_clear(&err);
	if (strncmp(url, "sqlite:", 7) == 0 && url[7] && access(url + 7, F_OK) != 0) {
		mn_error_set(&err, MN_EIO, "audit store %s does not exist", url + 7);
		return mn_cli_report(&err);
	}
	return mn_audit_open(url, out, &err) == MN_OK ? EXIT_OK : mn_cli_report(&err);
}

int mn_cli_audit(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL, *store = NULL, *id = NULL;
	if (!sub || (strcmp(sub, "verify") != 0 && strcmp(sub, "show") != 0))
		return usage("audit: '%s' is not verify or show", sub ? sub : "");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--store") == 0) {
			if (i + 1 >= argc)
				return usage("option '%s' needs a value", argv[i]);
			store = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage("unknown option '%s'", argv[i]);
		} else if (id || strcmp(sub, "verify") == 0) {
			return usage("'%s' is extra", argv[i]);
		} else {
			id = argv[i];
		}
	}
	if (!store)
		return usage("%s", "--store URL is required (sqlite:PATH or postgresql://...)");
	if (strcmp(sub, "show") == 0 && !id)
		return usage("%s", "audit show needs the ID (or the lookup key) of a row");
	int rc = mn_cli_store_check(store);  /* a postgresql:// store without mednec-pg.so */
	if (rc != EXIT_OK)
		return rc;
	mn_audit *a = NULL;
	rc = open_existing(store, &a);
	if (rc != EXIT_OK)
		return rc;
	mn_error err;
	mn_error_clear(&err);
	if (strcmp(sub, "verify") == 0) {
		long rows = 0;
		if (mn_audit_verify(a, &rows, &err) != MN_OK) {
			rc = mn_cli_report(&err);
		} else {
			printf("audit chain intact: %ld row%s\n", rows, rows == 1 ? "" : "s");
			rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
		}
	} else {
		mn_buf out = MN_BUF_INIT;
		if (mn_audit_show(a, id, &out, &err) != MN_OK) {
			rc = mn_cli_report(&err);
		} else {
			mn_buf_putc(&out, '\n');
			rc = mn_cli_write(&out);
		}
		mn_buf_free(&out);
	}
	mn_audit_close(a);
	return rc;
}

int mn_cli_audit_store(const char *url, const char *case_path, const mn_determination *det)
{
	mn_error err;
	mn_error_clear(&err);
	char *input = NULL, input_sha[65] = "", id[64], received[32];
	size_t len = 0;
	unsigned char rnd[12];
	mn_buf json = MN_BUF_INIT;
	mn_audit *a = NULL;
	struct timespec now;
	struct tm tm;
	int rc = EXIT_OK;
	if (mn_read_file(case_path, &input, &len, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	mn_sha256_hex(input, len, input_sha);
	if (mn_render_json(det, &json) != MN_OK || json.failed || !input_sha[0] || mn_crypto_random(rnd, sizeof rnd) != 0 ||
	    clock_gettime(CLOCK_REALTIME, &now) != 0 || !gmtime_r(&now.tv_sec, &tm)) {
		fprintf(stderr, "mednec: audit: cannot make the row (out of memory, or no random numbers or clock)\n");
		rc = EXIT_NOMEM;
		goto done;
	}
	/* the id: "cli-" and 96 random bits; the received time: the real clock (UTC), not --as-of */
	int k = snprintf(id, sizeof id, "cli-");
	for (size_t i = 0; i < sizeof rnd; i++)
		k += snprintf(id + k, sizeof id - (size_t)k, "%02x", rnd[i]);
	size_t n = strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(received + n, sizeof received - n, ".%03ldZ", now.tv_nsec / 1000000);
	mn_audit_record rec = {id, received, "cli/determine", det->policy->id, det->policy->version, input_sha,
	                       mn_outcome_name(det->outcome), "", mn_buf_cstr(&json)};
	if (mn_audit_open(url, &a, &err) != MN_OK || mn_audit_append(a, &rec, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	fprintf(stderr, "mednec: audit: stored as %s\n", id);
done:
	mn_audit_close(a);
	mn_buf_free(&json);
	free(input);
	return rc;
}
