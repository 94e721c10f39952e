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

#ifdef TT_GEMM_X86
#include <immintrin.h>

#include "../common/transpose16.h"

#define TT_AVX512 __attribute__((target("avx512f")))

/* Row i of op(A) at column k lives at a[i*rs_a + k*cs_a]; rows are addressed from five base
 * pointers (rows 3q, 3q+1, 3q+2 = pq, pq + rs, pq + 2*rs) so that the address of every broadcast is
 * one x86 addressing mode and the pointers fit in registers. */
#define ROW_FMA(i, p, r)                                        \
    do {                                                        \
        __m512 ai = _mm512_set1_ps(p[(r) * rs_a]);              \
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
#define ALL_FMAS ROW_FMA(0, p0, 0); ROW_FMA(1, p0, 1); ROW_FMA(2, p0, 2); \
                 ROW_FMA(3, p1, 0); ROW_FMA(4, p1, 1); ROW_FMA(5, p1, 2); \
                 ROW_FMA(6, p2, 0); ROW_FMA(7, p2, 1); ROW_FMA(8, p2, 2); \
                 ROW_FMA(9, p3, 0); ROW_FMA(10, p3, 1); ROW_FMA(11, p3, 2); \
                 ROW_FMA(12, p4, 0); ROW_FMA(13, p4, 1)
#define DECL_ROW(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps()
#define PREFETCH_ROW(i) _mm_prefetch((const char *)(c + (i) * ldc), _MM_HINT_T0); \
                        _mm_prefetch((const char *)(c + (i) * ldc + 16), _MM_HINT_T0)

TT_AVX512 static void kernel_avx512_14x32(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                          const float *bp, int64_t ldb_p, float *c, int64_t ldc,
                                          float alpha, float beta)
{
    ALL_ROWS(DECL_ROW);
    const float *p0 = a, *p1 = a + 3 * rs_a, *p2 = a + 6 * rs_a, *p3 = a + 9 * rs_a,
                *p4 = a + 12 * rs_a;
    /* C's 28 lines are fetched 16 iterations (~220 cycles) before the end: early enough to arrive,
     * late enough not to be evicted again by the A and B streams (rows of C 4 KiB apart all fall
     * into the same L1 set). */
    int64_t kpre = kc > 16 ? kc - 16 : 0;
    /* A is prefetched 16 steps ahead: a packed panel (cs_a = 14) or A^T read in place (cs_a = lda)
     * keeps the 14 values of one k together, so one line per step covers them; for A read in place
     * by rows (cs_a = 1) it touches row 0's next line only, which costs one instruction. At 1024^3
     * on a Skylake-SP core: 71.7 -> 73.9 GFLOP/s (median of 5, BENCH_CPU_TIME=1). */
    for (int64_t k = 0; k < kc; k++) {
        if (k == kpre) { ALL_ROWS(PREFETCH_ROW); }
        _mm_prefetch((const char *)(bp + ldb_p * 8), _MM_HINT_T0);     /* B, 8 steps ahead */
        _mm_prefetch((const char *)(bp + ldb_p * 8 + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(p0 + cs_a * 16), _MM_HINT_T0);    /* A, 16 steps ahead */
        __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
        ALL_FMAS;
        p0 += cs_a; p1 += cs_a; p2 += cs_a; p3 += cs_a; p4 += cs_a;
        bp += ldb_p;
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    ALL_ROWS(ROW_STORE);
}

/* bp[k*32 + j] = b[j*ldb + k], j < 32, k < kc: 16 x 16 blocks through transpose16. */
TT_AVX512 static void pack_bt_avx512(const float *b, int64_t ldb, int64_t kc, float *bp)
{
    int64_t k0 = 0;
    for (; k0 + 16 <= kc; k0 += 16) {
        for (int h = 0; h < 2; h++) {
            __m512 r[16];
            for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(b + (16 * h + j) * ldb + k0);
            tt__transpose16(r);
            for (int k = 0; k < 16; k++) _mm512_store_ps(bp + (k0 + k) * 32 + 16 * h, r[k]);
        }
    }
    for (int j = 0; j < 32; j++)
        for (int64_t k = k0; k < kc; k++) bp[k * 32 + j] = b[j * ldb + k];
}

/* Edge tiles, m <= 14 rows x n <= 32 columns, stored straight to C under a column mask.
 * The tile runs R rows, R the even count at or above m (a packed edge panel is zero-padded to 14
 * rows, so rows m..R-1 read zeros): the last 8 rows of a 64-row product cost 8/14 of a full tile,
 * not all of one (a 64 x 128 x 784 product: 71.8 -> 66 us). n <= 16 runs one vector per row
 * (half the FMAs): narrow outputs such as the 10 classes of an MLP's last layer. */
TT_AVX512 __attribute__((always_inline)) static inline void edge_rows(int64_t kc, const float *a, int64_t rs_a,
                                                           int64_t cs_a, const float *bp, int64_t ldb_p,
                                                           float *c, int64_t ldc, float alpha, float beta,
                                                           int m, int n, const int R)
{
    __m512 c0[14], c1[14];
#pragma GCC unroll 14
    for (int i = 0; i < R; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    /* columns of C (and of b) that exist: masked loads never touch b past column n */
    const __mmask16 mask0 = (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1u);
    const __mmask16 mask1 = (__mmask16)(n <= 16 ? 0 : n >= 32 ? 0xffff : (1u << (n - 16)) - 1u);
    if (n <= 16) {
        for (int64_t k = 0; k < kc; k++) {
            __m512 b0 = _mm512_maskz_loadu_ps(mask0, bp);
#pragma GCC unroll 14
            for (int i = 0; i < R; i++) c0[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i * rs_a]), b0, c0[i]);
            a += cs_a;
            bp += ldb_p;
        }
    } else {
        for (int64_t k = 0; k < kc; k++) {
            __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_maskz_loadu_ps(mask1, bp + 16);
#pragma GCC unroll 14
            for (int i = 0; i < R; i++) {
                __m512 ai = _mm512_set1_ps(a[i * rs_a]);
                c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
            }
            a += cs_a;
            bp += ldb_p;
        }
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int i = 0; i < R; i++) {
        if (i < m) {
            float *ci = c + i * ldc;
            __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
            if (beta != 0.0f) {
                r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, ci), r0);
                r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, ci + 16), r1);
            }
            _mm512_mask_storeu_ps(ci, mask0, r0);
            _mm512_mask_storeu_ps(ci + 16, mask1, r1);
        }
    }
}

TT_GEMM_EDGE_ROWS(TT_AVX512, 2)
TT_GEMM_EDGE_ROWS(TT_AVX512, 4)
TT_GEMM_EDGE_ROWS(TT_AVX512, 6)
TT_GEMM_EDGE_ROWS(TT_AVX512, 8)
TT_GEMM_EDGE_ROWS(TT_AVX512, 10)
TT_GEMM_EDGE_ROWS(TT_AVX512, 12)
TT_GEMM_EDGE_ROWS(TT_AVX512, 14)

TT_AVX512 static void edge_avx512(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                  const float *bp, int64_t ldb_p, float *c, int64_t ldc,
                                  float alpha, float beta, int m, int n)
{
    static void (*const by_rows[7])(int64_t, const float *, int64_t, int64_t, const float *, int64_t,
                                    float *, int64_t, float, float, int, int) = {
        edge_rows_2, edge_rows_4, edge_rows_6, edge_rows_8, edge_rows_10, edge_rows_12, edge_rows_14};
    by_rows[(m - 1) / 2](kc, a, rs_a, cs_a, bp, ldb_p, c, ldc, alpha, beta, m, n);
}

/* ap[k*14 + i] = a[i*lda + k], i < 14, k < kc: 14 rows (+ 2 zero rows) x 16 k through
 * transpose16; each column is written as 14 floats under a mask, the next one right after it. */
TT_AVX512 static void pack_an_avx512(const float *a, int64_t lda, int64_t kc, float *ap)
{
    int64_t k0 = 0;
    for (; k0 + 16 <= kc; k0 += 16) {
        __m512 r[16];
        for (int i = 0; i < 14; i++) r[i] = _mm512_loadu_ps(a + i * lda + k0);
        r[14] = r[15] = _mm512_setzero_ps();
        tt__transpose16(r);
        for (int k = 0; k < 16; k++) _mm512_mask_storeu_ps(ap + (k0 + k) * 14, 0x3fff, r[k]);
    }
    for (int i = 0; i < 14; i++)
        for (int64_t k = k0; k < kc; k++) ap[k * 14 + i] = a[i * lda + k];
}

const tt_gemm_kernel tt_gemm_kernel_avx512 = { "avx512", 14, 32, kernel_avx512_14x32,
                                               pack_bt_avx512, edge_avx512, pack_an_avx512 };

#else
typedef int tt_gemm_kernel_avx512_unused;
#endif
