#!/bin/sh
# tests/fuzz/build.sh: build the fuzz targets straight from the sources they
# need (src/util, src/json, src/fhir, src/fhirpath), without CMake and
# without the rest of the library.
#
#   tests/fuzz/build.sh [OUT_DIR]          libFuzzer binaries (clang), default build-fuzz/
#   MODE=replay tests/fuzz/build.sh [OUT]  standalone replay binaries (cc or $CC)
#
# libFuzzer mode compiles with -fsanitize=fuzzer,address,undefined and
# MN_ARENA_DEBUG=1 (one malloc per arena allocation, so AddressSanitizer
# sees each object's bounds). The CMake build (-DMN_LIBFUZZER=ON, see
# docs/FUZZING.md) gives the same binaries; this script is for a quick build
# and for when another part of the library does not compile.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build-fuzz}
mode=${MODE:-libfuzzer}
mkdir -p "$out"
srcs=$(ls "$root"/src/util/*.c "$root"/src/json/*.c "$root"/src/fhir/*.c "$root"/src/fhirpath/*.c)
common="-std=c11 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L -DMN_ARENA_DEBUG=1
        -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
        -I$root/include -I$root/src -I$here"
for t in fuzz_fhirpath_parse fuzz_fhirpath_eval; do
	if [ "$mode" = replay ]; then
		${CC:-cc} $common -fsanitize=address,undefined -fno-sanitize-recover=all \
			-o "$out/${t}_replay" "$here/$t.c" "$here/replay.c" $srcs -lm
		echo "built $out/${t}_replay"
	else
		${CC:-clang} $common -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			-o "$out/$t" "$here/$t.c" $srcs -lm
		echo "built $out/$t"
	fi
done
