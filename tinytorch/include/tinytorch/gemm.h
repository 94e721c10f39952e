/* gemm.h - the one SGEMM every TinyTorch layer calls (module 17, acceleration).
 *
 * Row-major, BLAS-style:  C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C
 *   op(A) = A      (A stored [M,K], leading dimension lda >= K)   when transa == 0
 *   op(A) = A^T    (A stored [K,M], lda >= M)                     when transa != 0
 *   likewise for B (stored [K,N] or, transposed, [N,K]).
 * beta == 0 overwrites C without reading it (NaNs in C do not propagate).
 */
#ifndef TINYTORCH_GEMM_H
#define TINYTORCH_GEMM_H

#include <stdint.h>

void tt_sgemm(int transa, int transb, int64_t M, int64_t N, int64_t K,
              float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);

/* The textbook triple loop: the reference every fast path is tested against. */
void tt_sgemm_naive(int transa, int transb, int64_t M, int64_t N, int64_t K,
                    float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb,
                    float beta, float *C, int64_t ldc);

/* Threads used by tt_sgemm (1 = single-threaded). Default: OpenMP's default. */
void tt_set_num_threads(int n);
int tt_get_num_threads(void);

#endif
