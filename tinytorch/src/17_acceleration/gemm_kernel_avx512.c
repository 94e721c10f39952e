/* gemm_kernel_avx512.c - the AVX-512 micro-kernel (x86-64 only, chosen at run time by CPUID).
 *
 * Register tile MR x NR = 14 x 32: 28 zmm accumulators (14 rows x 2 vectors of 16 floats),
 * 2 zmm for the row of Bp, 1 for the broadcast of op(A)[i, k]: 31 of the 32 zmm registers.
 * Per k: 2 loads + 14 broadcasts feed 28 FMAs (= 896 flops); with two FMA ports that is
 * 14 cycles, long enough to hide the 4-cycle FMA latency 7 times over.
 * Compiled with a function-level target attribute; runs only where CPUID reports avx512f.
 * Contract: see gemm_internal.h.
 */
#include "gemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TT_AVX512 __attribute__((target("avx512f")))

#define ROW_FMA(i)                                              \
    do {                                                        \
        __m512 ai = _mm512_set1_ps(ap[(i)]);                    \
        c##i##_0 = _mm512_fmadd_ps(ai, b0, c##i##_0);           \
        c##i##_1 = _mm512_fmadd_ps(ai, b1, c##i##_1);           \
    } while (0)

#define ROW_STORE(i)                                                                \
    do {                                                                            \
        float *ci = c + (i) * ldc;                                                  \
        __m512 r0 = _mm512_mul_ps(va, c##i##_0), r1 = _mm512_mul_ps(va, c##i##_1);  \
        if (beta != 0.0f) {                                                         \
            r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), r0);                      \
            r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), r1);                 \
        }                                                                           \
        _mm512_storeu_ps(ci, r0);                                                   \
        _mm512_storeu_ps(ci + 16, r1);                                              \
    } while (0)

#define ALL_ROWS(X) X(0); X(1); X(2); X(3); X(4); X(5); X(6); X(7); X(8); X(9); \
                    X(10); X(11); X(12); X(13)
#define DECL_ROW(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps()
#define PREFETCH_ROW(i) _mm_prefetch((const char *)(c + (i) * ldc), _MM_HINT_T0); \
                        _mm_prefetch((const char *)(c + (i) * ldc + 16), _MM_HINT_T0)

TT_AVX512 static void kernel_avx512_14x32(int64_t kc, const float *ap, const float *bp,
                                          float *c, int64_t ldc, float alpha, float beta)
{
    ALL_ROWS(DECL_ROW);
    ALL_ROWS(PREFETCH_ROW);
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        ALL_ROWS(ROW_FMA);
        ap += 14;
        bp += 32;
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    ALL_ROWS(ROW_STORE);
}

const tt_gemm_kernel tt_gemm_kernel_avx512 = { "avx512", 14, 32, kernel_avx512_14x32 };

#else
typedef int tt_gemm_kernel_avx512_unused;
#endif
