/* gemm_naive.c - reference SGEMM: the plain triple loop, no blocking, no SIMD.
 * Every optimised path is tested against this one. */
#include "tinytorch/gemm.h"
#include "tinytorch/tensor.h" /* tt_fatal, which the learner's stubs call */

void tt_sgemm_naive(int transa, int transb, int64_t M, int64_t N, int64_t K,
                    float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb,
                    float beta, float *C, int64_t ldc)
{
    /* TODO: C = alpha op(A) op(B) + beta C, op(X) = X or X^T (transa/transb), leading dimensions
     * lda/ldb/ldc; accumulate in double; with beta == 0, C's old values (even NaN) are ignored. */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            double acc = 0.0;
            for (int64_t k = 0; k < K; k++) {
                float a = transa ? A[k * lda + i] : A[i * lda + k];
                float b = transb ? B[j * ldb + k] : B[k * ldb + j];
                acc += (double)a * (double)b;
            }
            float prev = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
            C[i * ldc + j] = alpha * (float)acc + prev;
        }
    }
    /* END SOLUTION */
}
