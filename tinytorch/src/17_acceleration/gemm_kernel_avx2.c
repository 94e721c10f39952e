/* gemm_kernel_avx2.c - the AVX2/FMA micro-kernel (x86-64 only, chosen at run time by CPUID).
 *
 * Register tile MR x NR = 6 x 16: 12 ymm accumulators (6 rows x 2 vectors of 8 floats),
 * 2 ymm for the row of Bp, 1 for the broadcast of op(A)[i, k]: 15 of the 16 ymm registers.
 * Per k: 2 loads + 6 broadcasts feed 12 FMAs (= 192 flops).
 * Compiled with a function-level target attribute, so the library builds for baseline x86-64
 * and this code only runs where __builtin_cpu_supports("avx2") && ("fma") said yes.
 * Contract: see gemm_internal.h.
 */
#include "gemm_internal.h"

#include <stddef.h>

#ifdef TT_GEMM_X86
#include <immintrin.h>

#define TT_AVX2 __attribute__((target("avx2,fma")))

/* One row i of the tile: c[i][0:16] += a[i] * b[0:16]. */
/* Row i of op(A) at column k is a[i*rs_a + k*cs_a]; rows 0-2 from p0, 3-5 from p1. */
#define ROW_FMA(i, p, r)                                        \
    do {                                                        \
        __m256 ai = _mm256_broadcast_ss(p + (r) * rs_a);        \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);             \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);             \
    } while (0)

/* C row i = alpha * acc + beta * C (C not read when beta == 0). */
#define ROW_STORE(i)                                                            \
    do {                                                                        \
        float *ci = c + (i) * ldc;                                              \
        __m256 r0 = _mm256_mul_ps(va, c##i##0), r1 = _mm256_mul_ps(va, c##i##1); \
        if (beta != 0.0f) {                                                     \
            r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);                  \
            r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);              \
        }                                                                       \
        _mm256_storeu_ps(ci, r0);                                               \
        _mm256_storeu_ps(ci + 8, r1);                                           \
    } while (0)

TT_AVX2 static void kernel_avx2_6x16(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                     const float *bp, int64_t ldb_p, float *c, int64_t ldc,
                                     float alpha, float beta)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int i = 0; i < 6; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    const float *p0 = a, *p1 = a + 3 * rs_a;
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        ROW_FMA(0, p0, 0); ROW_FMA(1, p0, 1); ROW_FMA(2, p0, 2);
        ROW_FMA(3, p1, 0); ROW_FMA(4, p1, 1); ROW_FMA(5, p1, 2);
        p0 += cs_a;
        p1 += cs_a;
        bp += ldb_p;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    ROW_STORE(0); ROW_STORE(1); ROW_STORE(2); ROW_STORE(3); ROW_STORE(4); ROW_STORE(5);
}

const tt_gemm_kernel tt_gemm_kernel_avx2 = { "avx2", 6, 16, kernel_avx2_6x16, NULL, NULL, NULL };

#else
/* Not x86-64: nothing to build here (ISO C forbids an empty translation unit). */
typedef int tt_gemm_kernel_avx2_unused;
#endif
