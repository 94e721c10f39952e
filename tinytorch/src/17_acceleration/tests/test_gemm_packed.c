/* test_gemm_packed.c - the whole of test_gemm.c again with TT_GEMM_PACK_A=1, so that the packed-A
 * code path is checked on every shape (by default full A panels are read in place unless A's
 * stride is a multiple of 2 KiB, which the padded test matrices never are). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#define TT_TEST_GEMM_SETUP() setenv("TT_GEMM_PACK_A", "1", 1)
#include "test_gemm.c"
