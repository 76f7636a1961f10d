/*
 * src/fhir/case.h: additions to the case API of mednec/fhir.h, proposed for
 * that public header (kept here until its owner moves them there).
 *
 * - Loading with flags: MN_CASE_ALLOW_UNRESOLVED accepts references that do
 *   not resolve within the case (a single resource pointing at a Patient
 *   that is not in the file, as in the FHIRPath suite inputs and the Da Vinci
 *   examples); they are counted instead of failing with MN_EREF.
 *   Conditional references ("Patient?identifier=...") count as unresolved.
 * - The number of such references.
 * (mn_case_root, first proposed here, is now in mednec/fhir.h.)
 */
#ifndef MN_FHIR_CASE_H
#define MN_FHIR_CASE_H

#include "mednec/fhir.h"

#define MN_CASE_ALLOW_UNRESOLVED 0x1u

mn_status mn_case_load_ex(const char *name, const char *text, size_t len, unsigned flags,
                          mn_case **out, mn_error *err);
mn_status mn_case_load_file_ex(const char *path, unsigned flags, mn_case **out, mn_error *err);
/* References that did not resolve (only nonzero with MN_CASE_ALLOW_UNRESOLVED). */
size_t mn_case_unresolved(const mn_case *c);

#endif
