/*
 * decide_int.h: private declarations shared by the files of src/decide.
 */
#ifndef MN_DECIDE_INT_H
#define MN_DECIDE_INT_H

#include "mednec/decide.h"

/* What mn_letter_parts_read finds, for the determination's warnings about the parts a letter lacks: each
 * resource, name, member id, NPI (and npi_valid) as it finds them; plan the value of the first class that
 * gives the plan text (not the text: NULL exactly when that text is); ncodes and ndiagnoses 1 when it finds
 * any, codes and diagnoses NULL; no address, physician name or credentials. MN_ENOMEM only. */
mn_status mn_letter_parts_check(const mn_determination *d, mn_arena *a, mn_letter_parts *out);

#endif
