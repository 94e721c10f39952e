#!/usr/bin/env bash
# SGEMM benchmark: tt_sgemm vs OpenBLAS cblas_sgemm, one thread each (then two-thread scaling).
#   bench/run.sh sgemm            the comparison; last line is one JSON object
#   bench/run.sh sgemm steps [N]  the module-17 progression (naive -> loop order -> blocking ->
#                                 packing -> SIMD -> threads) on N x N x N, default 512
# Needs MLSB_ROOT and MLSB_BUILD (set by bench/run.sh); builds the tree there if it is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/sgemm_bench"
bench_compile "$exe" "$here/sgemm_bench.c" -lopenblas

# One thread on both sides; the program raises both to two for the scaling lines only.
# The anchor (OpenBLAS, in this process) runs without forced core types (bench_anchor), or under
# TT_ISA=avx2|portable with the same cap as our kernels (its Haswell or Prescott core); our kernels
# never read OPENBLAS_CORETYPE.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
bench_anchor "$exe" "$@"
