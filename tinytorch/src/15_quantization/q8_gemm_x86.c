/* q8_gemm_x86.c - the x86 int8 product kernels (chosen at run time from CPUID by q8_gemm.c).
 *
 * All three compute the same register tile: MR rows of A times one 32-column block of Bp.
 * Per pair of k: the block's Bp row is loaded once (2 zmm, or 2 ymm per 16-column half on AVX2), each
 * row's int16 pair {A[m,2p], A[m,2p+1]} is broadcast as one 32-bit value, and
 *   avx2 / avx512:  acc += vpmaddwd(a, b)        (two int16 products summed into each int32 lane)
 *   vnni:           acc = vpdpwssd(acc, a, b)     (the same, fused into one instruction)
 * Register budget: AVX-512 MR = 8 rows x 2 zmm = 16 accumulators (+2 B, +1 A of 32 zmm); AVX2 MR = 6
 * rows x 2 ymm = 12 accumulators (+2 B, +1 A of 16 ymm). The row count of a tile is a compile-time
 * constant in each instantiation (a switch on M's remainder), so the loops over rows unroll.
 * Compiled with function-level target attributes: the library builds for baseline x86-64.
 */
#include "q8_internal.h"

#ifdef TT_Q8_X86
#include <immintrin.h>
#include <string.h>

static inline int32_t pair_at(const int16_t *a)
{
    int32_t v;
    memcpy(&v, a, sizeof v);
    return v;
}

#define ADD_MADD512(acc, a, b) acc = _mm512_add_epi32(acc, _mm512_madd_epi16(a, b))
#define DPWSSD512(acc, a, b) acc = _mm512_dpwssd_epi32(acc, a, b)

/* C[0:mr, 0:32] of one column block (b = Bp + n0*2, C at column n0). */
#define DEF_TILE512(NAME, TARGET, STEP)                                                                  \
    static inline __attribute__((always_inline, target(TARGET))) void NAME(                              \
        const int mr, int64_t kp, const int16_t *A, const int16_t *b, int64_t np, int32_t *C, int64_t ldc) \
    {                                                                                                    \
        __m512i acc[8][2];                                                                               \
        for (int r = 0; r < mr; r++) {                                                                   \
            acc[r][0] = _mm512_setzero_si512();                                                          \
            acc[r][1] = _mm512_setzero_si512();                                                          \
        }                                                                                                \
        for (int64_t p = 0; p < kp / 2; p++) {                                                           \
            const int16_t *bp = b + p * np * 2;                                                          \
            const __m512i b0 = _mm512_loadu_si512((const void *)bp);                                     \
            const __m512i b1 = _mm512_loadu_si512((const void *)(bp + 32));                              \
            for (int r = 0; r < mr; r++) {                                                               \
                const __m512i a = _mm512_set1_epi32(pair_at(A + r * kp + 2 * p));                        \
                STEP(acc[r][0], a, b0);                                                                  \
                STEP(acc[r][1], a, b1);                                                                  \
            }                                                                                            \
        }                                                                                                \
        for (int r = 0; r < mr; r++) {                                                                   \
            _mm512_storeu_si512((void *)(C + r * ldc), acc[r][0]);                                       \
            _mm512_storeu_si512((void *)(C + r * ldc + 16), acc[r][1]);                                  \
        }                                                                                                \
    }

DEF_TILE512(tile_avx512, "avx512f,avx512bw", ADD_MADD512)
DEF_TILE512(tile_vnni, "avx512f,avx512bw,avx512vnni", DPWSSD512)

/* The driver: every 32-column block, rows in tiles of MR; the tail tile's row count is a constant. */
#define DEF_KERNEL(NAME, TARGET, TILE, MR)                                                               \
    __attribute__((target(TARGET))) void NAME(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, \
                                              int64_t np, int32_t *C, int64_t ldc)                       \
    {                                                                                                    \
        for (int64_t n0 = 0; n0 < np; n0 += 32) {                                                        \
            const int16_t *b = Bp + n0 * 2;                                                              \
            for (int64_t m0 = 0; m0 < M; m0 += MR) {                                                     \
                const int16_t *a = A + m0 * kp;                                                          \
                int32_t *c = C + m0 * ldc + n0;                                                          \
                switch (M - m0 >= MR ? MR : (int)(M - m0)) {                                             \
                case 1: TILE(1, kp, a, b, np, c, ldc); break;                                            \
                case 2: TILE(2, kp, a, b, np, c, ldc); break;                                            \
                case 3: TILE(3, kp, a, b, np, c, ldc); break;                                            \
                case 4: TILE(4, kp, a, b, np, c, ldc); break;                                            \
                case 5: TILE(5, kp, a, b, np, c, ldc); break;                                            \
                case 6: TILE(6, kp, a, b, np, c, ldc); break;                                            \
                case 7: TILE(7, kp, a, b, np, c, ldc); break;                                            \
                default: TILE(MR, kp, a, b, np, c, ldc); break;                                          \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

DEF_KERNEL(tt_q8_kernel_avx512, "avx512f,avx512bw", tile_avx512, 8)
DEF_KERNEL(tt_q8_kernel_vnni, "avx512f,avx512bw,avx512vnni", tile_vnni, 8)

/* AVX2: the 32-column block as two 16-column halves (2 ymm each), MR = 6. */
__attribute__((always_inline, target("avx2"))) static inline void tile_avx2(const int mr, int64_t kp,
                                                                            const int16_t *A, const int16_t *b,
                                                                            int64_t np, int32_t *C, int64_t ldc)
{
    for (int h = 0; h < 2; h++) {
        __m256i acc[6][2];
        for (int r = 0; r < mr; r++) {
            acc[r][0] = _mm256_setzero_si256();
            acc[r][1] = _mm256_setzero_si256();
        }
        for (int64_t p = 0; p < kp / 2; p++) {
            const int16_t *bp = b + p * np * 2 + h * 32;
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 16));
            for (int r = 0; r < mr; r++) {
                const __m256i a = _mm256_set1_epi32(pair_at(A + r * kp + 2 * p));
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, b0));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, b1));
            }
        }
        for (int r = 0; r < mr; r++) {
            _mm256_storeu_si256((__m256i *)(C + r * ldc + h * 16), acc[r][0]);
            _mm256_storeu_si256((__m256i *)(C + r * ldc + h * 16 + 8), acc[r][1]);
        }
    }
}

__attribute__((target("avx2"))) void tt_q8_kernel_avx2(int64_t M, int64_t kp, const int16_t *A,
                                                       const int16_t *Bp, int64_t np, int32_t *C, int64_t ldc)
{
    for (int64_t n0 = 0; n0 < np; n0 += 32) {
        const int16_t *b = Bp + n0 * 2;
        for (int64_t m0 = 0; m0 < M; m0 += 6) {
            const int16_t *a = A + m0 * kp;
            int32_t *c = C + m0 * ldc + n0;
            switch (M - m0 >= 6 ? 6 : (int)(M - m0)) {
            case 1: tile_avx2(1, kp, a, b, np, c, ldc); break;
            case 2: tile_avx2(2, kp, a, b, np, c, ldc); break;
            case 3: tile_avx2(3, kp, a, b, np, c, ldc); break;
            case 4: tile_avx2(4, kp, a, b, np, c, ldc); break;
            case 5: tile_avx2(5, kp, a, b, np, c, ldc); break;
            default: tile_avx2(6, kp, a, b, np, c, ldc); break;
            }
        }
    }
}

#else
typedef int tt_q8_no_x86_kernels; /* ISO C forbids an empty translation unit */
#endif
