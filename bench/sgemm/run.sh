#!/usr/bin/env bash
# SGEMM benchmark: tt_sgemm vs OpenBLAS cblas_sgemm, one thread each (then two-thread scaling).
#   bench/run.sh sgemm            the comparison; last line is one JSON object
#   bench/run.sh sgemm steps [N]  the module-17 progression (naive -> loop order -> blocking ->
#                                 packing -> SIMD -> threads) on N x N x N, default 512
# Needs MLSB_ROOT and MLSB_BUILD (set by bench/run.sh); builds the tree there if it is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${MLSB_ROOT:-$(cd "$here/../.." && pwd)}"
build="${MLSB_BUILD:-$root/build-bench}"
lib="$build/tinytorch/libtinytorch.a"
if [[ ! -f "$lib" ]]; then
  BUILD_TYPE=Release "$root/scripts/build.sh" "$build" -DMLSB_BUILD_TESTS=OFF >&2
fi
exe="$build/sgemm_bench"
${CC:-cc} -O2 -std=c11 -Wall -Wextra -Wpedantic -I"$root/tinytorch/include" \
  "$here/sgemm_bench.c" "$lib" -fopenmp -lopenblas -lz -lm -o "$exe"

# One thread on both sides; the program raises both to two for the scaling lines only.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
exec "$exe" "$@"
