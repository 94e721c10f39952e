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
    const float *p0 = a, *p1 = a + 3 * rs_a;
    const int64_t kpre = kc > 16 ? kc - 16 : 0;
    for (int64_t k = 0; k < kc; k++) {
        if (k == kpre) {
            for (int i = 0; i < 6; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        }
        _mm_prefetch((const char *)(bp + ldb_p * 8), _MM_HINT_T0);   /* B, 8 steps ahead */
        _mm_prefetch((const char *)(p0 + cs_a * 16), _MM_HINT_T0);   /* A, 16 steps ahead */
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

/* Edge tiles, m <= 6 rows x n <= 16 columns, straight to C: the rows the panel has, rounded up to
 * even (a packed edge panel is zero-padded to 6 rows), B and C under a column mask (vmaskmovps,
 * which does not fault on the masked-off lanes, so B can be read in place); n <= 8 runs one vector
 * per row. Before, an edge ran the full 6 x 16 kernel into a scratch tile and copied m x n of it. */
#define COL_MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
TT_AVX2 __attribute__((always_inline)) static inline void edge_rows(int64_t kc, const float *a, int64_t rs_a,
                                                                   int64_t cs_a, const float *bp, int64_t ldb_p,
                                                                   float *c, int64_t ldc, float alpha,
                                                                   float beta, int m, int n, const int R)
{
    __m256 c0[6], c1[6];
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) c0[i] = c1[i] = _mm256_setzero_ps();
    const __m256i mask0 = COL_MASK(n), mask1 = COL_MASK(n - 8);
    if (n <= 8) {
        for (int64_t k = 0; k < kc; k++) {
            __m256 b0 = _mm256_maskload_ps(bp, mask0);
#pragma GCC unroll 6
            for (int i = 0; i < R; i++) c0[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i * rs_a), b0, c0[i]);
            a += cs_a;
            bp += ldb_p;
        }
    } else {
        for (int64_t k = 0; k < kc; k++) {
            __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_maskload_ps(bp + 8, mask1);
#pragma GCC unroll 6
            for (int i = 0; i < R; i++) {
                __m256 ai = _mm256_broadcast_ss(a + i * rs_a);
                c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
                c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
            }
            a += cs_a;
            bp += ldb_p;
        }
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) {
        if (i < m) {
            float *ci = c + i * ldc;
            __m256 r0 = _mm256_mul_ps(va, c0[i]), r1 = _mm256_mul_ps(va, c1[i]);
            if (beta != 0.0f) {
                r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, mask0), r0);
                r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, mask1), r1);
            }
            _mm256_maskstore_ps(ci, mask0, r0);
            _mm256_maskstore_ps(ci + 8, mask1, r1);
        }
    }
}

TT_GEMM_EDGE_ROWS(TT_AVX2, 2)
TT_GEMM_EDGE_ROWS(TT_AVX2, 4)
TT_GEMM_EDGE_ROWS(TT_AVX2, 6)

TT_AVX2 static void edge_avx2(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a, const float *bp,
                              int64_t ldb_p, float *c, int64_t ldc, float alpha, float beta, int m, int n)
{
    static void (*const by_rows[3])(int64_t, const float *, int64_t, int64_t, const float *, int64_t, float *,
                                    int64_t, float, float, int, int) = {edge_rows_2, edge_rows_4, edge_rows_6};
    by_rows[(m - 1) / 2](kc, a, rs_a, cs_a, bp, ldb_p, c, ldc, alpha, beta, m, n);
}

/* r[0..7] <- the transpose of the 8 x 8 block in r[0..7] (row i, lane j -> row j, lane i): unpacks,
 * shuffles, then 128-bit lane swaps. */
TT_AVX2 __attribute__((always_inline)) static inline void transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* bp[k*16 + j] = b[j*ldb + k], j < 16, k < kc: 8 x 8 blocks transposed in registers; the last
 * kc % 8 in plain C. */
TT_AVX2 static void pack_bt_avx2(const float *b, int64_t ldb, int64_t kc, float *bp)
{
    int64_t k0 = 0;
    for (; k0 + 8 <= kc; k0 += 8) {
        for (int h = 0; h < 2; h++) {
            const float *s = b + 8 * h * ldb + k0;
            __m256 r[8];
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(s + j * ldb);
            transpose8(r);
            float *o = bp + k0 * 16 + 8 * h;
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) _mm256_storeu_ps(o + k * 16, r[k]);
        }
    }
    for (int j = 0; j < 16; j++)
        for (int64_t k = k0; k < kc; k++) bp[k * 16 + j] = b[j * ldb + k];
}

/* ap[k*6 + i] = a[i*lda + k], i < 6, k < kc: 6 rows (+ 2 zero rows) x 8 k transposed in registers;
 * column k goes out as 8 floats at ap + 6k, whose last 2 the next column overwrites; the block's
 * last column is stored under a 6-lane mask, so nothing is written past the panel. */
TT_AVX2 static void pack_an_avx2(const float *a, int64_t lda, int64_t kc, float *ap)
{
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    int64_t k0 = 0;
    for (; k0 + 8 <= kc; k0 += 8) {
        __m256 r[8];
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) r[i] = _mm256_loadu_ps(a + i * lda + k0);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8(r);
        float *o = ap + k0 * 6;
#pragma GCC unroll 7
        for (int k = 0; k < 7; k++) _mm256_storeu_ps(o + k * 6, r[k]);
        _mm256_maskstore_ps(o + 7 * 6, six, r[7]);
    }
    for (int i = 0; i < 6; i++)
        for (int64_t k = k0; k < kc; k++) ap[k * 6 + i] = a[i * lda + k];
}

const tt_gemm_kernel tt_gemm_kernel_avx2 = { "avx2", 6, 16, kernel_avx2_6x16, pack_bt_avx2, edge_avx2, pack_an_avx2 };

#else
/* Not x86-64: nothing to build here (ISO C forbids an empty translation unit). */
typedef int tt_gemm_kernel_avx2_unused;
#endif
