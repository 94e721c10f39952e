/* test_gemm_bdirect.c - the whole of test_gemm.c again with TT_GEMM_PACK_B=0, so that the AVX-512
 * path reads a non-transposed B in place on every shape (by default only when M <= 10 * MR). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#define TT_TEST_GEMM_SETUP() setenv("TT_GEMM_PACK_B", "0", 1)
#include "test_gemm.c"
