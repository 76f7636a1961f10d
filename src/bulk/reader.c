/*
 * reader.c: the population index (mn_bulk_open) and one patient's record
 * (mn_bulk_load); docs/BULK.md.
 *
 * One pass parses every line (or Bundle file) once with the JSON parser to
 * find its resource type, id and patient, and keeps per record only where it
 * is (struct unit, 24 bytes). Shared reference data (resources outside the
 * patient compartment) is kept whole. mn_bulk_load reads a patient's lines
 * again with pread, so several threads may load at once.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mednec/bulk.h"
#include "bulk_int.h"

/* ---- a string -> index hash table ---------------------------------------- */

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Index of key in t, or (size_t)-1; keys[] holds the strings of the values. */
static size_t map_find(const bulk_map *t, const char *const *keys, const char *s, size_t n)
{
	if (!t->cap)
		return (size_t)-1;
	for (size_t h = hash_str(s, n) & (t->cap - 1);; h = (h + 1) & (t->cap - 1)) {
		size_t v = t->slots[h];
		if (v == (size_t)-1)
			return v;
		if (strncmp(keys[v], s, n) == 0 && keys[v][n] == '\0')
			return v;
	}
}

static int map_grow(bulk_map *t, const char *const *keys)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	size_t *slots = malloc(cap * sizeof *slots);
	if (!slots)
		return -1;
	memset(slots, 0xff, cap * sizeof *slots);
	for (size_t i = 0; i < t->cap; i++) {
		size_t v = t->slots[i];
		if (v == (size_t)-1)
			continue;
		size_t h = hash_str(keys[v], strlen(keys[v])) & (cap - 1);
		while (slots[h] != (size_t)-1)
			h = (h + 1) & (cap - 1);
		slots[h] = v;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/* Add value v (keys[v] already set) to t. */
static int map_add(bulk_map *t, const char *const *keys, size_t v)
{
	if ((t->count + 1) * 2 > t->cap && map_grow(t, keys) != 0)
		return -1;
	size_t h = hash_str(keys[v], strlen(keys[v])) & (t->cap - 1);
	while (t->slots[h] != (size_t)-1)
		h = (h + 1) & (t->cap - 1);
	t->slots[h] = v;
	t->count++;
	return 0;
}

/* ---- growable arrays ---------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* memmem (a GNU extension): the first n2 bytes of s2 in s1[0..n1), or NULL. */
static const char *find_bytes(const char *s1, size_t n1, const char *s2, size_t n2)
{
	for (const char *p = s1; n2 <= n1 && p <= s1 + (n1 - n2); p++) {
		p = memchr(p, s2[0], (size_t)(s1 + (n1 - n2) - p) + 1);
		if (!p)
			return NULL;
		if (memcmp(p, s2, n2) == 0)
			return p;
	}
	return NULL;
}

/* ---- the patient compartment ------------------------------------------------ */

/* The resource types of FHIR R4's CompartmentDefinition/patient
 * (http://hl7.org/fhir/R4/compartmentdefinition-patient.html): a resource of
 * one of these types belongs to a patient, so one that names none is a bad
 * record. Types not listed (Practitioner, Organization, Location,
 * Medication, Substance, Device without a patient, ...) are shared
 * reference data. Sorted for bsearch. */
static const char *const compartment_types[] = {
	"Account", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse", "AuditEvent", "Basic",
	"BodyStructure", "CarePlan", "CareTeam", "ChargeItem", "Claim", "ClaimResponse", "ClinicalImpression",
	"Communication", "CommunicationRequest", "Composition", "Condition", "Consent", "Coverage",
	"CoverageEligibilityRequest", "CoverageEligibilityResponse", "DetectedIssue", "DeviceRequest",
	"DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference", "Encounter",
	"EnrollmentRequest", "EpisodeOfCare", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal", "Group",
	"ImagingStudy", "Immunization", "ImmunizationEvaluation", "ImmunizationRecommendation", "Invoice", "List",
	"MeasureReport", "Media", "MedicationAdministration", "MedicationDispense", "MedicationRequest",
	"MedicationStatement", "MolecularSequence", "NutritionOrder", "Observation", "Patient", "Person", "Procedure",
	"Provenance", "QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchSubject", "RiskAssessment",
	"Schedule", "ServiceRequest", "Specimen", "SupplyDelivery", "SupplyRequest", "VisionPrescription",
};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_compartment(const char *type)
{
	return bsearch(&type, compartment_types, sizeof compartment_types / sizeof *compartment_types,
	               sizeof *compartment_types, cmp_cstr) != NULL;
}

/* The id in a reference to a Patient ("Patient/p1", ".../Patient/p1",
 * "Patient/p1/_history/2"), or NULL. */
static const char *patient_ref_id(const char *ref, size_t *len)
{
	const char *p = NULL;
	if (strncmp(ref, "Patient/", 8) == 0)
		p = ref + 8;
	else if ((p = strstr(ref, "/Patient/")))
		p += 9;
	if (!p || !*p)
		return NULL;
	*len = strcspn(p, "/");
	return p;
}

/* The patient a resource belongs to by its subject, patient or beneficiary
 * reference (the compartment's common parameters). *other: it has such a
 * reference, but not to a Patient. */
static const char *resource_patient(const mn_json *r, size_t *len, bool *other)
{
	static const char *const keys[] = {"subject", "patient", "beneficiary"};
	*other = false;
	for (size_t k = 0; k < 3; k++) {
		const mn_json *v = mn_json_get(r, keys[k]);
		const char *ref = v ? mn_json_get_string(v, "reference") : NULL;
		if (!ref)
			continue;
		const char *id = patient_ref_id(ref, len);
		if (id)
			return id;
		*other = true;
	}
	return NULL;
}

/* A corrupt line's patient, by the first "Patient/ID" in its bytes. */
static const char *scan_patient(const char *s, size_t n, size_t *len)
{
	for (const char *p = s; (p = find_bytes(p, n - (size_t)(p - s), "Patient/", 8)); p += 8) {
		const char *id = p + 8, *e = id;
		while (e < s + n && e - id < 64 &&
		       ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') || *e == '-' || *e == '.'))
			e++;
		if (e > id) {
			*len = (size_t)(e - id);
			return id;
		}
	}
	return NULL;
}

/* Visit every "reference": "..." string in text (a scan of the bytes, not
 * a parse: a reference with an escape in it is not seen, and then resolves
 * to nothing, as a reference outside the export does). */
static void scan_references(const char *s, size_t n, void (*fn)(void *, const char *, size_t), void *ctx)
{
	for (const char *p = s; (p = find_bytes(p, n - (size_t)(p - s), "\"reference\"", 11)); ) {
		p += 11;
		while (p < s + n && (*p == ' ' || *p == '\t' || *p == ':'))
			p++;
		if (p >= s + n || *p != '"')
			continue;
		const char *v = ++p;
		while (p < s + n && *p != '"' && *p != '\\')
			p++;
		if (p < s + n && *p == '"')
			fn(ctx, v, (size_t)(p - v));
	}
}

/* "Type/id" of a relative or absolute reference: its last two segments
 * before any "/_history". */
static bool ref_key(const char *v, size_t n, const char **key, size_t *klen)
{
	const char *h = find_bytes(v, n, "/_history/", 10);
	if (h)
		n = (size_t)(h - v);
	const char *slash = NULL, *prev = NULL;
	for (const char *p = v; p < v + n; p++)
		if (*p == '/')
			prev = slash, slash = p;
	if (!slash)
		return false;
	*key = prev ? prev + 1 : v;
	*klen = (size_t)(v + n - *key);
	return true;
}

/* ---- problems ---------------------------------------------------------------- */

static int add_problem(mn_bulk *b, uint16_t file, long line, const char *cand, size_t cand_len, bool any,
                       const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int add_problem(mn_bulk *b, uint16_t file, long line, const char *cand, size_t cand_len, bool any,
                       const char *fmt, ...)
{
	if (grow((void **)&b->probs, &b->capprobs, b->nprobs + 1, sizeof *b->probs) != 0)
		return -1;
	bulk_prob *p = &b->probs[b->nprobs];
	memset(p, 0, sizeof *p);
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	mn_vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->pub.file = b->files[file].name;
	p->pub.line = line;
	p->pub.message = mn_arena_strdup(b->arena, msg);
	p->cand = cand ? mn_arena_strndup(b->arena, cand, cand_len) : NULL;
	p->any = any;
	p->file = file;
	if (!p->pub.message || (cand && !p->cand))
		return -1;
	b->nprobs++;
	return 0;
}

/* ---- the pass ------------------------------------------------------------------ */

static size_t patient_intern(mn_bulk *b, const char *id, size_t len)
{
	size_t v = map_find(&b->pmap, (const char *const *)b->pids, id, len);
	if (v != (size_t)-1)
		return v;
	if (grow((void **)&b->pids, &b->cappids, b->npids + 1, sizeof *b->pids) != 0 ||
	    grow((void **)&b->pinfo, &b->cappinfo, b->npids + 1, sizeof *b->pinfo) != 0)
		return (size_t)-1;
	if (!(b->pids[b->npids] = mn_arena_strndup(b->arena, id, len)))
		return (size_t)-1;
	memset(&b->pinfo[b->npids], 0, sizeof *b->pinfo);
	if (map_add(&b->pmap, (const char *const *)b->pids, b->npids) != 0)
		return (size_t)-1;
	return b->npids++;
}

static int add_unit(mn_bulk *b, uint16_t file, uint64_t off, size_t len, long line, size_t patient, uint8_t kind)
{
	if (grow((void **)&b->units, &b->capunits, b->nunits + 1, sizeof *b->units) != 0)
		return -1;
	bulk_unit *u = &b->units[b->nunits++];
	u->off = off;
	u->len = (uint32_t)len;
	u->line = (uint32_t)line;
	u->patient = (uint32_t)patient;
	u->file = file;
	u->kind = kind;
	u->pad = 0;
	if (kind == UNIT_BUNDLE || kind == UNIT_PATIENT)
		b->pinfo[patient].has_record = true;
	return 0;
}

static int add_shared(mn_bulk *b, uint16_t file, long line, const char *type, const char *id, const char *text,
                      size_t len)
{
	char *key = mn_arena_printf(b->arena, "%s/%s", type, id);
	if (!key)
		return -1;
	if (map_find(&b->smap, (const char *const *)b->skeys, key, strlen(key)) != (size_t)-1)
		return add_problem(b, file, line, NULL, 0, false, "%s is given twice; this one is skipped", key);
	if (grow((void **)&b->skeys, &b->capskeys, b->nshared + 1, sizeof *b->skeys) != 0 ||
	    grow((void **)&b->shared, &b->capshared, b->nshared + 1, sizeof *b->shared) != 0)
		return -1;
	bulk_shared *s = &b->shared[b->nshared];
	memset(s, 0, sizeof *s);
	s->text = mn_arena_strndup(b->arena, text, len);
	s->len = len;
	s->file = file;
	s->line = line;
	b->skeys[b->nshared] = key;
	if (!s->text || map_add(&b->smap, (const char *const *)b->skeys, b->nshared) != 0)
		return -1;
	b->nshared++;
	return 0;
}

/* One record: a line of an NDJSON file or a whole JSON file. */
static int index_record(mn_bulk *b, uint16_t file, uint64_t off, const char *text, size_t len, long line)
{
	mn_error err;
	mn_error_clear(&err);
	mn_json *root = NULL;
	size_t clen = 0;
	const char *cand;
	mn_arena_reset(b->scratch);
	if (mn_json_parse(b->scratch, b->files[file].name, text, len, &root, &err) != MN_OK) {
		if (err.code == MN_ENOMEM)
			return -1;
		cand = scan_patient(text, len, &clen);
		return add_problem(b, file, line, cand, clen, !cand, "not valid JSON (column %d: %s); skipped", err.column,
		                   err.message);
	}
	const char *type = mn_json_get_string(root, "resourceType");
	if (!type || !mn_fhir_is_resource_type(type, strlen(type))) {
		cand = scan_patient(text, len, &clen);
		return add_problem(b, file, line, cand, clen, !cand, "not a FHIR resource (%s); skipped",
		                   type ? "unknown resourceType" : "no resourceType");
	}
	if (strcmp(type, "Bundle") == 0) {
		/* one patient's record: the Bundle's one Patient resource names it */
		const mn_json *entries = mn_json_get(root, "entry");
		const char *pid = NULL;
		size_t npat = 0;
		for (uint32_t i = 0; entries && entries->type == MN_JSON_ARRAY && i < entries->n; i++) {
			const mn_json *r = mn_json_get(&entries->u.items[i], "resource");
			if (r && mn_json_is_string(mn_json_get(r, "resourceType"), "Patient")) {
				npat++;
				pid = mn_json_get_string(r, "id");
			}
		}
		if (npat != 1 || !pid || !*pid)
			return add_problem(b, file, line, NULL, 0, true, "a Bundle must hold exactly one Patient with an id "
			                   "(it holds %zu%s); skipped", npat, npat == 1 ? ", without id" : "");
		size_t p = patient_intern(b, pid, strlen(pid));
		return p == (size_t)-1 ? -1 : add_unit(b, file, off, len, line, p, UNIT_BUNDLE);
	}
	const char *id = mn_json_get_string(root, "id");
	bool other = false;
	const char *pid = strcmp(type, "Patient") == 0 ? id : resource_patient(root, &clen, &other);
	if (pid && strcmp(type, "Patient") == 0)
		clen = strlen(pid);
	if (!id || !*id) {
		bool shared = !pid && !in_compartment(type);
		if (!pid && !shared)
			cand = scan_patient(text, len, &clen), pid = cand;
		return add_problem(b, file, line, pid, clen, !pid && !shared, "%s without id; skipped", type);
	}
	if (pid) {
		size_t p = patient_intern(b, pid, clen);
		if (p == (size_t)-1)
			return -1;
		return add_unit(b, file, off, len, line, p, strcmp(type, "Patient") == 0 ? UNIT_PATIENT : UNIT_RESOURCE);
	}
	if (in_compartment(type))
		return add_problem(b, file, line, NULL, 0, true, "%s/%s belongs to the patient compartment but its %s; skipped",
		                   type, id, other ? "subject/patient reference names no Patient" : "names no patient");
	return add_shared(b, file, line, type, id, text, len);
}

static int add_file(mn_bulk *b, const char *path, bool ndjson, mn_error *err)
{
	if (b->nfiles >= 65535) {
		mn_error_set(err, MN_ELIMIT, "more than 65535 input files");
		return -1;
	}
	if (grow((void **)&b->files, &b->capfiles, b->nfiles + 1, sizeof *b->files) != 0)
		return -1;
	bulk_file *f = &b->files[b->nfiles];
	f->name = mn_arena_strdup(b->arena, path);
	f->ndjson = ndjson;
	f->fd = open(path, O_RDONLY);
	if (!f->name)
		return -1;
	if (f->fd < 0) {
		mn_error_set(err, MN_EIO, "cannot open %s", path);
		mn_error_locate(err, path, 0, 0);
		return -1;
	}
	b->nfiles++;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int add_input(mn_bulk *b, const char *path, mn_error *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		mn_error_set(err, MN_EIO, "cannot read %s", path);
		mn_error_locate(err, path, 0, 0);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(b, path, ends_with(path, ".ndjson"), err);
	DIR *d = opendir(path);
	if (!d) {
		mn_error_set(err, MN_EIO, "cannot read directory %s", path);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".ndjson"))
			continue;
		if (grow((void **)&names, &cap, n + 1, sizeof *names) != 0 ||
		    !(names[n] = mn_arena_printf(b->arena, "%s/%s", path, e->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n)
		qsort(names, n, sizeof *names, cmp_cstr);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_file(b, names[i], true, err);
	free(names);
	return rc;
}

static int index_file(mn_bulk *b, uint16_t fi, mn_error *err)
{
	bulk_file *f = &b->files[fi];
	if (!f->ndjson) {
		char *text;
		size_t len;
		if (mn_read_file(f->name, &text, &len, err) != MN_OK)
			return -1;
		int rc = len > UINT32_MAX ? add_problem(b, fi, 1, NULL, 0, true, "larger than 4 GiB; skipped")
		                          : index_record(b, fi, 0, text, len, 1);
		free(text);
		return rc;
	}
	int fd = dup(f->fd);
	FILE *in = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!in) {
		if (fd >= 0)
			close(fd);
		mn_error_set(err, MN_EIO, "cannot read %s", f->name);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	uint64_t off = 0;
	long lineno = 0;
	int rc = 0;
	for (ssize_t n; rc == 0 && (n = getline(&line, &cap, in)) > 0; off += (uint64_t)n) {
		lineno++;
		size_t len = (size_t)n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t k = 0;
		while (k < len && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == len)
			continue;  /* an empty line is no record */
		rc = len > UINT32_MAX ? add_problem(b, fi, lineno, NULL, 0, true, "line longer than 4 GiB; skipped")
		                      : index_record(b, fi, off, line, len, lineno);
	}
	if (rc == 0 && ferror(in)) {
		mn_error_set(err, MN_EIO, "cannot read %s", f->name);
		rc = -1;
	}
	free(line);
	fclose(in);
	return rc;
}

/* ---- after the pass ---------------------------------------------------------- */

static const mn_bulk *sort_ctx;

static int cmp_pid(const void *a, const void *b)
{
	return strcmp(sort_ctx->pids[*(const uint32_t *)a], sort_ctx->pids[*(const uint32_t *)b]);
}

static int cmp_unit(const void *pa, const void *pb)
{
	const bulk_unit *a = pa, *b = pb;
	if (a->patient != b->patient)
		return a->patient < b->patient ? -1 : 1;
	bool fa = a->kind != UNIT_RESOURCE, fb = b->kind != UNIT_RESOURCE;
	if (fa != fb)
		return fa ? -1 : 1;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

static int cmp_prob(const void *pa, const void *pb)
{
	const bulk_prob *a = pa, *b = pb;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return a->pub.line < b->pub.line ? -1 : a->pub.line > b->pub.line;
}

struct refs_ctx {
	mn_bulk *b;
	size_t n, cap;
	uint32_t *out;
	int failed;
};

static void collect_ref(void *p, const char *v, size_t n)
{
	struct refs_ctx *x = p;
	const char *key;
	size_t klen;
	if (!ref_key(v, n, &key, &klen))
		return;
	size_t s = map_find(&x->b->smap, (const char *const *)x->b->skeys, key, klen);
	if (s == (size_t)-1)
		return;
	if (grow((void **)&x->out, &x->cap, x->n + 1, sizeof *x->out) != 0) {
		x->failed = 1;
		return;
	}
	x->out[x->n++] = (uint32_t)s;
}

static int finish(mn_bulk *b)
{
	/* the shared resources each shared resource references */
	for (size_t i = 0; i < b->nshared; i++) {
		struct refs_ctx x = {b, 0, 0, NULL, 0};
		scan_references(b->shared[i].text, b->shared[i].len, collect_ref, &x);
		b->shared[i].refs = x.out;
		b->shared[i].nrefs = x.n;
		if (x.failed)
			return -1;
	}
	/* patients in id order: rank[] maps an interned index to its place */
	uint32_t *order = malloc((b->npids + 1) * sizeof *order);
	uint32_t *rank = malloc((b->npids + 1) * sizeof *rank);
	if (!order || !rank) {
		free(order);
		free(rank);
		return -1;
	}
	size_t np = 0;
	for (size_t i = 0; i < b->npids; i++)
		if (b->pinfo[i].has_record)
			order[np++] = (uint32_t)i;
	sort_ctx = b;
	qsort(order, np, sizeof *order, cmp_pid);
	for (size_t i = 0; i < b->npids; i++)
		rank[i] = UINT32_MAX;
	for (size_t i = 0; i < np; i++)
		rank[order[i]] = (uint32_t)i;
	int rc = 0;
	/* records of a patient with no Patient resource or Bundle: not in the population */
	size_t kept = 0;
	for (size_t i = 0; i < b->nunits && rc == 0; i++) {
		bulk_unit u = b->units[i];
		if (rank[u.patient] == UINT32_MAX) {
			rc = add_problem(b, u.file, u.line, NULL, 0, false, "refers to Patient/%s, which is not in the input; "
			                 "skipped", b->pids[u.patient]);
			continue;
		}
		u.patient = rank[u.patient];
		b->units[kept++] = u;
	}
	b->nunits = kept;
	/* bad records: the patient each may belong to */
	b->npatients = np;
	b->patients = calloc(np + 1, sizeof *b->patients);
	b->start = calloc(np + 1, sizeof *b->start);
	if (!b->patients || !b->start)
		rc = -1;
	for (size_t i = 0; i < np && rc == 0; i++)
		b->patients[i].id = b->pids[order[i]];
	if (rc == 0 && b->nunits)
		qsort(b->units, b->nunits, sizeof *b->units, cmp_unit);
	/* a patient's first record must be its only Patient or Bundle; a Bundle stands alone */
	for (size_t i = 0, first = 0; i < b->nunits && rc == 0; i++) {
		bulk_unit *u = &b->units[i];
		if (i == 0 || u->patient != b->units[i - 1].patient) {
			first = i;
			b->start[u->patient] = i;
			continue;
		}
		bool extra = u->kind != UNIT_RESOURCE || b->units[first].kind == UNIT_BUNDLE;
		if (!extra)
			continue;
		rc = add_problem(b, u->file, u->line, b->patients[u->patient].id, strlen(b->patients[u->patient].id), false,
		                 "a second record for Patient/%s (the first is %s:%u); skipped",
		                 b->patients[u->patient].id, b->files[b->units[first].file].name, b->units[first].line);
		u->kind = UNIT_DROPPED;
	}
	if (rc == 0)
		b->start[np] = b->nunits;
	if (rc == 0 && b->nprobs)
		qsort(b->probs, b->nprobs, sizeof *b->probs, cmp_prob);
	for (size_t i = 0; i < b->nprobs && rc == 0; i++) {
		bulk_prob *p = &b->probs[i];
		if (p->any) {
			p->pub.held_all = true;
			b->hold_all++;
			if (!b->hold_all_at)
				b->hold_all_at = mn_arena_printf(b->arena, "%s:%ld", p->pub.file, p->pub.line);
			continue;
		}
		if (!p->cand)
			continue;
		size_t v = map_find(&b->pmap, (const char *const *)b->pids, p->cand, strlen(p->cand));
		if (v == (size_t)-1 || rank[v] == UINT32_MAX)
			continue;
		bulk_patient *pt = &b->patients[rank[v]];
		p->pub.patient = pt->id;
		if (!pt->held++)
			pt->held_at = mn_arena_printf(b->arena, "%s:%ld", p->pub.file, p->pub.line);
	}
	free(order);
	free(rank);
	if (rc == 0 && !(b->pubprobs = calloc(b->nprobs + 1, sizeof *b->pubprobs)))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < b->nprobs; i++)
		b->pubprobs[i] = b->probs[i].pub;
	return rc;
}

mn_status mn_bulk_open(const char *const *inputs, size_t ninputs, mn_bulk **out, mn_error *err)
{
	*out = NULL;
	mn_bulk *b = calloc(1, sizeof *b);
	if (!b || !(b->arena = mn_arena_new()) || !(b->scratch = mn_arena_new())) {
		if (b)
			mn_arena_free(b->arena);
		free(b);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	mn_error_clear(err);
	int rc = 0;
	for (size_t i = 0; i < ninputs && rc == 0; i++)
		rc = add_input(b, inputs[i], err);
	for (size_t i = 0; i < b->nfiles && rc == 0; i++)
		rc = index_file(b, (uint16_t)i, err);
	if (rc == 0)
		rc = finish(b);
	mn_arena_free(b->scratch);
	b->scratch = NULL;
	if (rc != 0) {
		mn_status st = err && err->code ? err->code : MN_ENOMEM;
		if (st == MN_ENOMEM)
			mn_error_set(err, st, "out of memory while indexing the population");
		mn_bulk_free(b);
		return st;
	}
	*out = b;
	return MN_OK;
}

void mn_bulk_free(mn_bulk *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nfiles; i++)
		if (b->files[i].fd >= 0)
			close(b->files[i].fd);
	for (size_t i = 0; i < b->nshared; i++)
		free(b->shared[i].refs);
	free(b->files);
	free(b->units);
	free(b->pids);
	free(b->pinfo);
	free(b->pmap.slots);
	free(b->smap.slots);
	free(b->skeys);
	free(b->shared);
	free(b->probs);
	free(b->pubprobs);
	free(b->patients);
	free(b->start);
	mn_arena_free(b->scratch);
	mn_arena_free(b->arena);
	free(b);
}

size_t mn_bulk_count(const mn_bulk *b) { return b->npatients; }
const char *mn_bulk_patient_id(const mn_bulk *b, size_t i) { return i < b->npatients ? b->patients[i].id : NULL; }
size_t mn_bulk_resource_count(const mn_bulk *b) { return b->nunits; }
size_t mn_bulk_shared_count(const mn_bulk *b) { return b->nshared; }
size_t mn_bulk_problem_count(const mn_bulk *b) { return b->nprobs; }
bool mn_bulk_holds_all(const mn_bulk *b) { return b->hold_all != 0; }

const mn_bulk_problem *mn_bulk_problem_at(const mn_bulk *b, size_t i)
{
	return i < b->nprobs ? &b->pubprobs[i] : NULL;
}

/* ---- one patient's record --------------------------------------------------- */

static int read_at(int fd, uint64_t off, size_t len, char *out)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, out + done, len - done, (off_t)(off + done));
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

struct closure {
	const mn_bulk *b;
	unsigned char *seen;
	uint32_t *list;
	size_t n;
};

static void close_ref(void *p, const char *v, size_t n)
{
	struct closure *x = p;
	const char *key;
	size_t klen;
	if (!ref_key(v, n, &key, &klen))
		return;
	size_t s = map_find(&x->b->smap, (const char *const *)x->b->skeys, key, klen);
	if (s == (size_t)-1 || x->seen[s])
		return;
	x->seen[s] = 1;
	x->list[x->n++] = (uint32_t)s;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The entry an error points at: "/entry/K/..." in its path, else its line
 * (entry K is on line K + 2 of the assembled Bundle). */
static long error_entry(const mn_error *e)
{
	if (strncmp(e->path, "/entry/", 7) == 0)
		return strtol(e->path + 7, NULL, 10);
	return e->line >= 2 ? e->line - 2 : -1;
}

static mn_status record_problem(mn_bulk_record *out, mn_arena *arena, const char *file, long line,
                                const mn_error *e)
{
	mn_bulk_problem *np = mn_arena_alloc(arena, (out->nproblems + 1) * sizeof *np);
	if (!np)
		return MN_ENOMEM;
	if (out->nproblems)
		memcpy(np, out->problems, out->nproblems * sizeof *np);
	char msg[1400];
	mn_snprintf(msg, sizeof msg, "%s%s%s [%s]; left out of Patient/%s's record", e->path, e->path[0] ? ": " : "",
	            e->message, mn_status_name(e->code), out->id);
	np[out->nproblems] = (mn_bulk_problem){file, line, mn_arena_strdup(arena, msg), out->id, false};
	out->problems = np;
	if (!out->held++ && !out->held_at)
		out->held_at = mn_arena_printf(arena, "%s:%ld", file, line);
	out->nproblems++;
	return np[out->nproblems - 1].message ? MN_OK : MN_ENOMEM;
}

mn_status mn_bulk_load(const mn_bulk *b, size_t i, unsigned flags, mn_arena *arena, mn_bulk_record *out,
                       mn_error *err)
{
	memset(out, 0, sizeof *out);
	mn_error_clear(&out->error);
	if (i >= b->npatients)
		return mn_error_set(err, MN_EUSAGE, "no patient %zu", i);
	const bulk_patient *pt = &b->patients[i];
	out->index = i;
	out->id = pt->id;
	out->held = pt->held + b->hold_all;
	out->held_at = pt->held_at ? pt->held_at : b->hold_all ? b->hold_all_at : NULL;
	char *name = mn_arena_printf(arena, "Patient/%s", pt->id);
	if (!name)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	size_t u0 = b->start[i], u1 = b->start[i + 1];
	const bulk_unit *units = b->units + u0;
	size_t nu = u1 - u0;
	mn_status st = MN_OK;
	if (units[0].kind == UNIT_BUNDLE) {
		char *text = malloc((size_t)units[0].len + 1);
		if (!text)
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		if (read_at(b->files[units[0].file].fd, units[0].off, units[0].len, text) != 0) {
			free(text);
			mn_error_set(err, MN_EIO, "cannot read %s", b->files[units[0].file].name);
			return MN_EIO;
		}
		st = mn_case_load_ex(name, text, units[0].len, flags, &out->kase, &out->error);
		free(text);
		if (st == MN_ENOMEM)
			return mn_error_set(err, st, "out of memory");
		if (st != MN_OK)
			st = record_problem(out, arena, b->files[units[0].file].name, units[0].line, &out->error);
		return st == MN_OK ? MN_OK : mn_error_set(err, st, "out of memory");
	}
	/* the patient's lines, then the shared resources they reference */
	size_t total = 0;
	for (size_t k = 0; k < nu; k++)
		total += units[k].kind == UNIT_DROPPED ? 0 : units[k].len + 1;
	char *text = malloc(total + 1);
	char **at = malloc((nu + 1) * sizeof *at);
	unsigned char *skip = calloc(nu + b->nshared + 1, 1);
	unsigned char *seen = calloc(b->nshared + 1, 1);
	uint32_t *list = malloc((b->nshared + 1) * sizeof *list);
	mn_buf doc = MN_BUF_INIT;
	doc.max = (size_t)UINT32_MAX;
	if (!text || !at || !skip || !seen || !list) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	/* lines that follow each other in one file (a patient's lines usually do) are read with one pread:
	 * each line and its '\n' land where the layout below puts them (line, one byte, next line) */
	for (size_t k = 0, pos = 0; k < nu;) {
		at[k] = text + pos;
		if (units[k].kind == UNIT_DROPPED) {
			skip[k++] = 1;
			continue;
		}
		size_t end = k + 1, run = units[k].len;
		while (end < nu && units[end].kind != UNIT_DROPPED && units[end].file == units[k].file &&
		       units[end].off == units[end - 1].off + units[end - 1].len + 1) {
			run += 1 + units[end].len;
			end++;
		}
		if (read_at(b->files[units[k].file].fd, units[k].off, run, at[k]) != 0) {
			st = mn_error_set(err, MN_EIO, "cannot read %s", b->files[units[k].file].name);
			goto done;
		}
		for (size_t j = k; j < end; j++) {
			at[j] = text + pos;
			pos += units[j].len + 1;
		}
		k = end;
	}
	struct closure x = {b, seen, list, 0};
	for (size_t k = 0; k < nu; k++)
		if (!skip[k])
			scan_references(at[k], units[k].len, close_ref, &x);
	for (size_t q = 0; q < x.n; q++) {
		const bulk_shared *s = &b->shared[x.list[q]];
		for (size_t r = 0; r < s->nrefs; r++)
			if (!seen[s->refs[r]]) {
				seen[s->refs[r]] = 1;
				list[x.n++] = s->refs[r];
			}
	}
	if (x.n)
		qsort(list, x.n, sizeof *list, cmp_u32);
	/* load; a resource the loader refuses is left out and the load tried again */
	for (size_t attempt = 0; attempt <= nu + x.n; attempt++) {
		mn_buf_reset(&doc);
		mn_buf_puts(&doc, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
		size_t nentries = 0;
		for (size_t k = 0; k < nu + x.n; k++) {
			if (skip[k])
				continue;
			mn_buf_puts(&doc, nentries ? ",\n{\"resource\":" : "\n{\"resource\":");
			if (k < nu)
				mn_buf_put(&doc, at[k], units[k].len);
			else
				mn_buf_put(&doc, b->shared[list[k - nu]].text, b->shared[list[k - nu]].len);
			mn_buf_putc(&doc, '}');
			nentries++;
		}
		mn_buf_puts(&doc, "\n]}");
		if (doc.failed) {
			st = mn_error_set(err, doc.over ? MN_ELIMIT : MN_ENOMEM, "Patient/%s: record too large", pt->id);
			goto done;
		}
		mn_error_clear(&out->error);
		st = mn_case_load_ex(name, doc.data, doc.len, flags, &out->kase, &out->error);
		if (st == MN_OK || st == MN_ENOMEM)
			break;
		long e = error_entry(&out->error);
		size_t k = 0, seen_entries = 0;
		for (; e >= 0 && k < nu + x.n; k++) {
			if (skip[k])
				continue;
			if ((long)seen_entries++ == e)
				break;
		}
		if (e < 0 || k >= nu + x.n) {
			out->kase = NULL;
			st = MN_OK;  /* the record cannot be loaded: out->error says why */
			break;
		}
		skip[k] = 1;
		const bulk_shared *sh = k < nu ? NULL : &b->shared[list[k - nu]];
		const char *file = b->files[sh ? sh->file : units[k].file].name;
		long line = sh ? sh->line : (long)units[k].line;
		if ((st = record_problem(out, arena, file, line, &out->error)) != MN_OK)
			break;
		st = MN_OK;
	}
	if (st == MN_ENOMEM)
		mn_error_set(err, st, "out of memory");
done:
	mn_buf_free(&doc);
	free(text);
	free(at);
	free(skip);
	free(seen);
	free(list);
	return st;
}
