/*
 * audit_int.h: what the audit trail's common part (audit.c: the hash chain, verify, show) shares with
 * its two storage backends (sqlite.c, pg.c). docs/SERVICE.md "Audit trail" describes the schema and the
 * canonical form of the row hash.
 */
#ifndef MN_AUDIT_INT_H
#define MN_AUDIT_INT_H

#include "mednec/audit.h"

#include <pthread.h>

/* The table, the same in both backends. */
#define MN_AUDIT_TABLE "mednec_audit"
/* The column list in canonical (hash) order after seq, for SELECT and INSERT. */
#define MN_AUDIT_COLUMNS "seq, id, received, endpoint, policy_id, policy_version, input_sha256, outcome, " \
	"lookup_key, determination, prev_hash, row_hash"

/* One stored row; the strings belong to the backend until the callback returns. */
typedef struct mn_audit_row {
	long long seq;
	const char *id, *received, *endpoint, *policy_id, *policy_version, *input_sha256, *outcome,
		*lookup_key, *determination, *prev_hash, *row_hash;
} mn_audit_row;

/* Called for each row in seq order; a non-MN_OK return stops the scan and is returned by it. */
typedef mn_status (*mn_audit_row_fn)(void *ctx, const mn_audit_row *row, mn_error *err);

typedef struct mn_audit_backend {
	const char *name;  /* "sqlite", "postgresql" */
	mn_status (*open)(const char *url, void **out, mn_error *err);
	void (*close)(void *h);
	/* Append n records (n >= 1) in one transaction that excludes every other appender (other threads,
	 * processes, servers): read the last row's seq and row_hash, insert the records in order, each hashed
	 * with mn_audit_row_hash over the previous one, commit durably. All or none. */
	mn_status (*append)(void *h, const mn_audit_record *const *recs, size_t n, mn_error *err);
	/* Every row in seq order, in one consistent snapshot. */
	mn_status (*scan)(void *h, mn_audit_row_fn fn, void *ctx, mn_error *err);
	/* The row with this id, else the newest row whose lookup_key is key: fn called once, or MN_ENOTFOUND. */
	mn_status (*find)(void *h, const char *id_or_key, mn_audit_row_fn fn, void *ctx, mn_error *err);
} mn_audit_backend;

extern const mn_audit_backend mn_audit_sqlite_backend;
extern const mn_audit_backend mn_audit_pg_backend;

/* The record with NULL optional fields as "" (the backends store what the hash covers). */
typedef struct mn_audit_fields {
	const char *f[9];  /* id, received, endpoint, policy_id, policy_version, input_sha256, outcome, lookup_key,
	                      determination */
} mn_audit_fields;
void mn_audit_fields_of(const mn_audit_record *rec, mn_audit_fields *out);

/* row_hash of a row: SHA-256 over the canonical form of seq, the nine fields and prev_hash. MN_ENOMEM when
 * OpenSSL cannot make a digest context. */
mn_status mn_audit_row_hash(long long seq, const mn_audit_fields *f, const char *prev_hash, char out[65],
                            mn_error *err);

/*
 * SHA-256 over the concatenation of n parts, and n random bytes: OpenSSL's libcrypto (digest.c, the static library
 * mednec_crypto), or in the mednec program the module mednec-crypto.so, loaded when first called
 * (src/cli/crypto_module.c). 0, or -1 when libcrypto fails (out of memory) or the module cannot be loaded: never a
 * wrong digest.
 */
int mn_crypto_sha256(size_t n, const void *const *parts, const size_t *lens, unsigned char md[32]);
int mn_crypto_random(void *buf, size_t n);

/* The module mednec-crypto.so: its entry mn_crypto_module_v1(NULL) answers this table. */
#define MN_CRYPTO_MODULE_VERSION 1
#define MN_CRYPTO_MODULE_FILE "mednec-crypto.so"
#define MN_CRYPTO_MODULE_ENTRY "mn_crypto_module_v1"
typedef struct mn_crypto_module {
	int version;
	int (*sha256)(size_t n, const void *const *parts, const size_t *lens, unsigned char md[32]);
	int (*random)(void *buf, size_t n);
} mn_crypto_module;

#endif
