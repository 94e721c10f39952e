/* gemm.c - tt_sgemm dispatch. Placeholder: calls the naive reference until the
 * blocked, packed, SIMD kernels land. */
#include "tinytorch/gemm.h"

static int tt_threads = 0;

void tt_set_num_threads(int n) { tt_threads = n; }
int tt_get_num_threads(void) { return tt_threads > 0 ? tt_threads : 1; }

void tt_sgemm(int transa, int transb, int64_t M, int64_t N, int64_t K,
              float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc)
{
    tt_sgemm_naive(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
