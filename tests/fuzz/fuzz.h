/*
 * tests/fuzz/fuzz.h: the libFuzzer entry point shared by the fuzz targets
 * and the standalone replay driver (replay.c).
 *
 * A target defines LLVMFuzzerTestOneInput; built with clang
 * -fsanitize=fuzzer it is a libFuzzer binary, linked with replay.c it is a
 * plain program that runs every file of the directories it is given once
 * (the ctest corpus replay, any compiler). docs/FUZZING.md has the commands.
 */
#ifndef MN_FUZZ_H
#define MN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
