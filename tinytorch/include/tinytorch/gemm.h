/* gemm.h - the one SGEMM every TinyTorch layer calls (module 17, acceleration).
 *
 * Row-major, BLAS-style:  C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C
 *   op(A) = A      (A stored [M,K], leading dimension lda >= K)   when transa == 0
 *   op(A) = A^T    (A stored [K,M], lda >= M)                     when transa != 0
 *   likewise for B (stored [K,N] or, transposed, [N,K]).
 * beta == 0 overwrites C without reading it (NaNs in C do not propagate).
 *
 * Paths (see src/17_acceleration/ABOUT.md): "naive" (the triple loop), "portable" (packed,
 * cache-blocked, plain C micro-kernel), "avx2" (AVX2/FMA micro-kernel), "avx512" (AVX-512
 * micro-kernel), and "openblas" when built with -DTT_USE_OPENBLAS=ON. The default is the
 * environment variable TT_GEMM_KERNEL when set (read at the first call), else the fastest path the
 * CPU supports (or OpenBLAS in a TT_USE_OPENBLAS build).
 */
#ifndef TINYTORCH_GEMM_H
#define TINYTORCH_GEMM_H

#include <stdint.h>

void tt_sgemm(int transa, int transb, int64_t M, int64_t N, int64_t K,
              float alpha, const float *A, int64_t lda,
              const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);

/* y[o] = W[o, :] . x + bias[o] for o in [0, out): W row-major [out, in], bias may be NULL. The
 * decode-step GEMV: reads each weight once, no packing (for one row; a batch goes to tt_sgemm). */
void tt_sgemv(const float *W, const float *x, const float *bias, float *y, int64_t out, int64_t in);

/* The textbook triple loop: the reference every fast path is tested against. */
void tt_sgemm_naive(int transa, int transb, int64_t M, int64_t N, int64_t K,
                    float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb,
                    float beta, float *C, int64_t ldc);

/* Threads used by tt_sgemm (1 = single-threaded). Default: OpenMP's default. */
void tt_set_num_threads(int n);
int tt_get_num_threads(void);

/* --- choosing and inspecting the path (tests, benchmarks, learners comparing steps) --- */

/* 1 if this build and this CPU can run the named path, else 0. */
int tt_sgemm_kernel_supported(const char *name);
/* Forces the path used by tt_sgemm ("auto" = the default choice). Returns 0, or -1 (path
 * unchanged) for an unknown name or one this CPU/build cannot run. Not thread-safe: call it
 * before starting work. */
int tt_sgemm_set_kernel(const char *name);
/* Name of the path tt_sgemm uses now. */
const char *tt_sgemm_kernel(void);
/* Problems below this many flops (2*M*N*K), or with fewer than 128 rows, run on one thread;
 * default 2*224^3 (a parallel product costs tens of microseconds on a small virtual machine).
 * 0 = always use tt_get_num_threads() threads (tests); negative = the default again. */
void tt_sgemm_set_thread_threshold(double flops);

/* Cache blocking in use for the current path (floats): KC (depth of a packed panel), MC (rows of
 * the packed A block, sized for L2), NC (columns of the packed B panel), and the register tile. */
typedef struct {
    int64_t kc, mc, nc;
    int mr, nr;
    int64_t l1d_bytes, l2_bytes;   /* the caches they were sized from */
} tt_sgemm_blocking;
tt_sgemm_blocking tt_sgemm_get_blocking(void);

/* --- the module's progression, kept runnable (C = A @ B, row-major, no transposes) --- */
/* Step 1: i-j-k triple loop, one float accumulator per C element. */
void tt_sgemm_step_ijk(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C);
/* Step 2: i-k-j loop order: the inner loop walks rows of B and C with unit stride. */
void tt_sgemm_step_ikj(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C);
/* Step 3: i-k-j inside cache tiles (tile x tile blocks of A, B and C stay in cache). */
void tt_sgemm_step_blocked(int64_t M, int64_t N, int64_t K, const float *A, const float *B,
                           float *C, int64_t tile);

#endif
