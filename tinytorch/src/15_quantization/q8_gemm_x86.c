/* q8_gemm_x86.c - the x86 int8 product kernels (chosen at run time from CPUID by q8_gemm.c).
 *
 * The three int16-pair kernels compute the same register tile: MR rows of A times one 32-column block
 * of Bp. Per pair of k: the block's Bp row is loaded once (2 zmm, or 2 ymm per 16-column half on AVX2), each
 * row's int16 pair {A[m,2p], A[m,2p+1]} is broadcast as one 32-bit value, and
 *   avx2 / avx512:  acc += vpmaddwd(a, b)        (two int16 products summed into each int32 lane)
 *   vnni:           acc = vpdpwssd(acc, a, b)     (the same, fused into one instruction)
 * Register budget: AVX-512 MR = 8 rows x 2 zmm = 16 accumulators (+2 B, +1 A of 32 zmm); AVX2 MR = 6
 * rows x 2 ymm = 12 accumulators (+2 B, +1 A of 16 ymm). The row count of a tile is a compile-time
 * constant in each instantiation (a switch on M's remainder), so the loops over rows unroll.
 * The vnni path's byte-quad kernels (vpdpbusd, u8 x s8, four products per lane) use the same 8 x 32
 * tile on quads of bytes, and a channels-in-lanes form (16 output channels per zmm, a broadcast input
 * quad per output position); the AVX-512 epilogues (requantization, pools, input conversion, quad
 * interleave) follow them.
 * Compiled with function-level target attributes: the library builds for baseline x86-64.
 */
#include "q8_internal.h"

#ifdef TT_Q8_X86
#include <immintrin.h>
#include <string.h>
#include "tinytorch/quant.h"

/* Four bytes of A as one 32-bit value (an int16 pair or a byte quad), for a broadcast. */
static inline int32_t word_at(const uint8_t *a)
{
    int32_t v;
    memcpy(&v, a, sizeof v);
    return v;
}

/* One tile and one driver serve both products, since they read the same bytes: A's row m starts at
 * byte m * lda, each reduction step is its next four bytes (an int16 pair, or a byte quad) broadcast,
 * and B's row of step s starts at byte 4 * boff[s], 128 bytes for the block's 32 columns (2 zmm).
 * Only the multiply-add differs:
 *   int16 pairs (avx512 / vnni):  acc += vpmaddwd(a, b)  /  acc = vpdpwssd(acc, a, b)
 *   byte quads (vnni):            acc = vpdpbusd(acc, u8, s8), the first source unsigned: A's when
 *                                 a_unsigned (AU), else B's (BU) -- 64 products per instruction */
#define ADD_MADD512(acc, a, b) acc = _mm512_add_epi32(acc, _mm512_madd_epi16(a, b))
#define DPWSSD512(acc, a, b) acc = _mm512_dpwssd_epi32(acc, a, b)
#define DPBUSD_AU(acc, a, b) acc = _mm512_dpbusd_epi32(acc, a, b)
#define DPBUSD_BU(acc, a, b) acc = _mm512_dpbusd_epi32(acc, b, a)

/* C[0:mr, 0:32] of one column block (b at the block's first column, C at column n0). The
 * accumulators are named variables and every row is guarded by a test on the constant mr, so after
 * inlining the tile is straight-line code with all 2*mr accumulators in registers. */
#define T512_DECL(r) __m512i a##r##0 = _mm512_setzero_si512(), a##r##1 = _mm512_setzero_si512()
#define T512_STEP(r, STEP)                                                                \
    if (mr > r) {                                                                         \
        const __m512i a = _mm512_set1_epi32(word_at(A + r * lda + 4 * s));                \
        STEP(a##r##0, a, b0);                                                             \
        STEP(a##r##1, a, b1);                                                             \
    }
#define T512_STORE(r)                                                                     \
    if (mr > r) {                                                                         \
        _mm512_storeu_si512((void *)(C + r * ldc), a##r##0);                              \
        _mm512_storeu_si512((void *)(C + r * ldc + 16), a##r##1);                         \
    }
#define DEF_TILE512(NAME, TARGET, STEP)                                                                  \
    static inline __attribute__((always_inline, target(TARGET))) void NAME(                              \
        const int mr, int64_t nsteps, const uint8_t *A, int64_t lda, const uint8_t *b, const int64_t *boff, \
        int32_t *C, int64_t ldc)                                                                         \
    {                                                                                                    \
        T512_DECL(0); T512_DECL(1); T512_DECL(2); T512_DECL(3);                                          \
        T512_DECL(4); T512_DECL(5); T512_DECL(6); T512_DECL(7);                                          \
        for (int64_t s = 0; s < nsteps; s++) {                                                           \
            const uint8_t *bs = b + boff[s] * 4;                                                         \
            const __m512i b0 = _mm512_loadu_si512((const void *)bs);                                     \
            const __m512i b1 = _mm512_loadu_si512((const void *)(bs + 64));                              \
            T512_STEP(0, STEP) T512_STEP(1, STEP) T512_STEP(2, STEP) T512_STEP(3, STEP)                  \
            T512_STEP(4, STEP) T512_STEP(5, STEP) T512_STEP(6, STEP) T512_STEP(7, STEP)                  \
        }                                                                                                \
        T512_STORE(0) T512_STORE(1) T512_STORE(2) T512_STORE(3)                                          \
        T512_STORE(4) T512_STORE(5) T512_STORE(6) T512_STORE(7)                                          \
    }

/* The driver: every 32-column block, rows in tiles of 8; the tail tile's row count is a constant. */
#define DEF_KERNEL(NAME, TARGET, TILE)                                                                   \
    static __attribute__((target(TARGET))) void NAME(int64_t M, int64_t nsteps, const uint8_t *A, int64_t lda, \
                                                     const uint8_t *B, const int64_t *boff, int64_t np,  \
                                                     int32_t *C, int64_t ldc)                            \
    {                                                                                                    \
        for (int64_t n0 = 0; n0 < np; n0 += 32) {                                                        \
            const uint8_t *b = B + n0 * 4;                                                               \
            for (int64_t m0 = 0; m0 < M; m0 += 8) {                                                      \
                const uint8_t *a = A + m0 * lda;                                                         \
                int32_t *c = C + m0 * ldc + n0;                                                          \
                switch (M - m0 >= 8 ? 8 : (int)(M - m0)) {                                               \
                case 1: TILE(1, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 2: TILE(2, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 3: TILE(3, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 4: TILE(4, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 5: TILE(5, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 6: TILE(6, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                case 7: TILE(7, nsteps, a, lda, b, boff, c, ldc); break;                                 \
                default: TILE(8, nsteps, a, lda, b, boff, c, ldc); break;                                \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }

DEF_TILE512(tile_avx512, "avx512f,avx512bw", ADD_MADD512)
DEF_TILE512(tile_vnni, "avx512f,avx512bw,avx512vnni", DPWSSD512)
DEF_TILE512(tileq_au, "avx512f,avx512bw,avx512vnni", DPBUSD_AU)
DEF_TILE512(tileq_bu, "avx512f,avx512bw,avx512vnni", DPBUSD_BU)
DEF_KERNEL(kernel_avx512, "avx512f,avx512bw", tile_avx512)
DEF_KERNEL(kernel_vnni, "avx512f,avx512bw,avx512vnni", tile_vnni)
DEF_KERNEL(kernelq_au, "avx512f,avx512bw,avx512vnni", tileq_au)
DEF_KERNEL(kernelq_bu, "avx512f,avx512bw,avx512vnni", tileq_bu)

/* int16 pairs: A's row stride and B's pair rows in bytes */
void tt_q8_kernel_avx512(TT_Q8_KERNEL_ARGS)
{
    kernel_avx512(M, npairs, (const uint8_t *)A, 2 * lda, (const uint8_t *)B, boff, np, C, ldc);
}

void tt_q8_kernel_vnni(TT_Q8_KERNEL_ARGS)
{
    kernel_vnni(M, npairs, (const uint8_t *)A, 2 * lda, (const uint8_t *)B, boff, np, C, ldc);
}

void tt_q8q_kernel_vnni(TT_Q8Q_KERNEL_ARGS)
{
    if (a_unsigned) {
        kernelq_au(M, nquads, A, lda, B, boff, np, C, ldc);
    } else {
        kernelq_bu(M, nquads, A, lda, B, boff, np, C, ldc);
    }
}

/* Channels in lanes: one zmm of 16 output channels' weight quads per tap, each of up to 8 positions'
 * input quads broadcast against it (8 accumulators). */
#define TC_DECL(r) __m512i c##r = _mm512_setzero_si512(); const uint8_t *x##r = X + 4 * pos[mr > r ? r : 0]
#define TC_STEP(r)                                                                                      \
    if (mr > r) {                                                                                       \
        c##r = _mm512_dpbusd_epi32(c##r, _mm512_set1_epi32(word_at(x##r + o)), w);                      \
    }
#define TC_STORE(r)                                                                                     \
    if (mr > r) {                                                                                       \
        _mm512_storeu_si512((void *)(C + r * ldc), c##r);                                               \
    }
static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vnni"))) void tilec(
    const int mr, const int64_t *pos, int64_t ntaps, const int64_t *off, const uint8_t *X, const uint8_t *W,
    int64_t ncb, int32_t *C, int64_t ldc)
{
    TC_DECL(0); TC_DECL(1); TC_DECL(2); TC_DECL(3); TC_DECL(4); TC_DECL(5); TC_DECL(6); TC_DECL(7);
    for (int64_t t = 0; t < ntaps; t++) {
        const int64_t o = 4 * off[t];
        const __m512i w = _mm512_loadu_si512((const void *)(W + t * ncb * 64));
        TC_STEP(0) TC_STEP(1) TC_STEP(2) TC_STEP(3) TC_STEP(4) TC_STEP(5) TC_STEP(6) TC_STEP(7)
    }
    TC_STORE(0) TC_STORE(1) TC_STORE(2) TC_STORE(3) TC_STORE(4) TC_STORE(5) TC_STORE(6) TC_STORE(7)
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tt_q8c_kernel_vnni(TT_Q8C_KERNEL_ARGS)
{
    for (int64_t cb = 0; cb < ncb; cb++) {
        for (int64_t r0 = 0; r0 < R; r0 += 8) {
            const int64_t *p = pos + r0;
            int32_t *c = C + r0 * ldc + 16 * cb;
            const uint8_t *w = W + cb * 64;
            switch (R - r0 >= 8 ? 8 : (int)(R - r0)) {
            case 1: tilec(1, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 2: tilec(2, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 3: tilec(3, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 4: tilec(4, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 5: tilec(5, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 6: tilec(6, p, ntaps, off, X, w, ncb, c, ldc); break;
            case 7: tilec(7, p, ntaps, off, X, w, ncb, c, ldc); break;
            default: tilec(8, p, ntaps, off, X, w, ncb, c, ldc); break;
            }
        }
    }
}

/* 64 quads per step: byte pairs (p0, p1) and (p2, p3) by vpunpck{l,h}bw, quads by vpunpck{l,h}wd
 * (each 128-bit lane holds 16 consecutive positions, spread over four registers), then a 4 x 4
 * transpose of the 128-bit lanes (vshufi64x2) puts them in order. The last n % 64 in plain C. */
__attribute__((target("avx512f,avx512bw"))) void tt_q8_quads_avx512(const uint8_t *p0, const uint8_t *p1,
                                                                   const uint8_t *p2, const uint8_t *p3, int64_t n,
                                                                   uint8_t *out)
{
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i a = _mm512_loadu_si512((const void *)(p0 + i)), b = _mm512_loadu_si512((const void *)(p1 + i));
        const __m512i c = _mm512_loadu_si512((const void *)(p2 + i)), d = _mm512_loadu_si512((const void *)(p3 + i));
        const __m512i ablo = _mm512_unpacklo_epi8(a, b), abhi = _mm512_unpackhi_epi8(a, b);
        const __m512i cdlo = _mm512_unpacklo_epi8(c, d), cdhi = _mm512_unpackhi_epi8(c, d);
        const __m512i q0 = _mm512_unpacklo_epi16(ablo, cdlo), q1 = _mm512_unpackhi_epi16(ablo, cdlo);
        const __m512i q2 = _mm512_unpacklo_epi16(abhi, cdhi), q3 = _mm512_unpackhi_epi16(abhi, cdhi);
        const __m512i t0 = _mm512_shuffle_i64x2(q0, q1, 0x44), t1 = _mm512_shuffle_i64x2(q2, q3, 0x44);
        const __m512i t2 = _mm512_shuffle_i64x2(q0, q1, 0xEE), t3 = _mm512_shuffle_i64x2(q2, q3, 0xEE);
        uint8_t *o = out + 4 * i;
        _mm512_storeu_si512((void *)o, _mm512_shuffle_i64x2(t0, t1, 0x88));
        _mm512_storeu_si512((void *)(o + 64), _mm512_shuffle_i64x2(t0, t1, 0xDD));
        _mm512_storeu_si512((void *)(o + 128), _mm512_shuffle_i64x2(t2, t3, 0x88));
        _mm512_storeu_si512((void *)(o + 192), _mm512_shuffle_i64x2(t2, t3, 0xDD));
    }
    tt_q8_quads_portable(p0 + i, p1 + i, p2 + i, p3 + i, n - i, out + 4 * i);
}

/* AVX2: the 32-column block as two 16-column halves (2 ymm each), MR = 6, named accumulators. */
#define T256_DECL(r) __m256i a##r##0 = _mm256_setzero_si256(), a##r##1 = _mm256_setzero_si256()
#define T256_STEP(r)                                                                      \
    if (mr > r) {                                                                         \
        const __m256i a = _mm256_set1_epi32(word_at((const uint8_t *)(A + r * lda + 2 * p))); \
        a##r##0 = _mm256_add_epi32(a##r##0, _mm256_madd_epi16(a, b0));                    \
        a##r##1 = _mm256_add_epi32(a##r##1, _mm256_madd_epi16(a, b1));                    \
    }
#define T256_STORE(r)                                                                     \
    if (mr > r) {                                                                         \
        _mm256_storeu_si256((__m256i *)(C + r * ldc + h * 16), a##r##0);                  \
        _mm256_storeu_si256((__m256i *)(C + r * ldc + h * 16 + 8), a##r##1);              \
    }
__attribute__((always_inline, target("avx2"))) static inline void tile_avx2(const int mr, int64_t npairs,
                                                                            const int16_t *A, int64_t lda,
                                                                            const int16_t *b, const int64_t *boff,
                                                                            int32_t *C, int64_t ldc)
{
    for (int h = 0; h < 2; h++) {
        T256_DECL(0); T256_DECL(1); T256_DECL(2); T256_DECL(3); T256_DECL(4); T256_DECL(5);
        for (int64_t p = 0; p < npairs; p++) {
            const int16_t *bp = b + boff[p] * 2 + h * 32;
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 16));
            T256_STEP(0) T256_STEP(1) T256_STEP(2) T256_STEP(3) T256_STEP(4) T256_STEP(5)
        }
        T256_STORE(0) T256_STORE(1) T256_STORE(2) T256_STORE(3) T256_STORE(4) T256_STORE(5)
    }
}

__attribute__((target("avx2"))) void tt_q8_kernel_avx2(TT_Q8_KERNEL_ARGS)
{
    for (int64_t n0 = 0; n0 < np; n0 += 32) {
        const int16_t *b = B + n0 * 2;
        for (int64_t m0 = 0; m0 < M; m0 += 6) {
            const int16_t *a = A + m0 * lda;
            int32_t *c = C + m0 * ldc + n0;
            switch (M - m0 >= 6 ? 6 : (int)(M - m0)) {
            case 1: tile_avx2(1, npairs, a, lda, b, boff, c, ldc); break;
            case 2: tile_avx2(2, npairs, a, lda, b, boff, c, ldc); break;
            case 3: tile_avx2(3, npairs, a, lda, b, boff, c, ldc); break;
            case 4: tile_avx2(4, npairs, a, lda, b, boff, c, ldc); break;
            case 5: tile_avx2(5, npairs, a, lda, b, boff, c, ldc); break;
            default: tile_avx2(6, npairs, a, lda, b, boff, c, ldc); break;
            }
        }
    }
}

/* 16 accumulators at a time: the 64-bit products of even and odd lanes (vpmuldq), rounding term,
 * arithmetic shift (vpsravq), the two halves merged, + zero point, clamped, narrowed with signed
 * saturation (vpmovsdb). Same arithmetic as tt_requant, lane by lane. The shift counts and rounding
 * terms depend on the shifts only: once per call when they are shared (stride 0). */
typedef struct rq_consts {
    __m512i b, m, ne, no, re, ro; /* bias, multiplier, shift counts and rounding terms (even, odd lanes) */
} rq_consts;

static inline __attribute__((always_inline, target("avx512f"))) rq_consts rq_make(__m512i b, __m512i m, __m512i sh)
{
    const __m512i one = _mm512_set1_epi64(1), v31 = _mm512_set1_epi64(31);
    rq_consts k;
    k.b = b;
    k.m = m;
    /* shift counts n = 31 + shift, per 64-bit lane: even lanes from the low halves, odd from the high */
    k.ne = _mm512_add_epi64(_mm512_srai_epi64(_mm512_slli_epi64(sh, 32), 32), v31);
    k.no = _mm512_add_epi64(_mm512_srai_epi64(sh, 32), v31);
    k.re = _mm512_sllv_epi64(one, _mm512_sub_epi64(k.ne, one));
    k.ro = _mm512_sllv_epi64(one, _mm512_sub_epi64(k.no, one));
    return k;
}

static inline __attribute__((always_inline, target("avx512f"))) __m512i rq_apply(__m512i acc, const rq_consts *k,
                                                                               __m512i vzp, __m512i vlo,
                                                                               __m512i vhi)
{
    const __m512i a = _mm512_add_epi32(acc, k->b);
    __m512i pe = _mm512_mul_epi32(a, k->m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(k->m, 32));
    pe = _mm512_srav_epi64(_mm512_add_epi64(pe, k->re), k->ne);
    po = _mm512_srav_epi64(_mm512_add_epi64(po, k->ro), k->no);
    const __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, _mm512_slli_epi64(po, 32));
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, vzp), vlo), vhi);
}

__attribute__((target("avx512f"))) void tt_q8_requant_avx512(const int32_t *acc, int64_t n, const int32_t *bias,
                                                            const int32_t *mult, const int32_t *shift, int stride,
                                                            int32_t zp, int32_t lo, int8_t *out)
{
    if (stride) { /* per-element constants: one row of the per-channel form */
        tt_q8_requant_rows_avx512(acc, n, 1, n, bias, mult, shift, zp, lo, out, n);
        return;
    }
    const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(127);
    const rq_consts k = rq_make(_mm512_set1_epi32(bias[0]), _mm512_set1_epi32(mult[0]), _mm512_set1_epi32(shift[0]));
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i r = rq_apply(_mm512_loadu_si512((const void *)(acc + i)), &k, vzp, vlo, vhi);
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtsepi32_epi8(r));
    }
    if (i < n) { /* the last n - i < 16 values: the same arithmetic under a mask (no scalar tail) */
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        const __m512i r = rq_apply(_mm512_maskz_loadu_epi32(m, acc + i), &k, vzp, vlo, vhi);
        _mm512_mask_cvtsepi32_storeu_epi8(out + i, m, r);
    }
}

/* Per 16-channel block: the constants once, then every row. */
__attribute__((target("avx512f"))) void tt_q8_requant_rows_avx512(const int32_t *acc, int64_t lda, int64_t rows,
                                                                 int64_t n, const int32_t *bias, const int32_t *mult,
                                                                 const int32_t *shift, int32_t zp, int32_t lo,
                                                                 int8_t *out, int64_t ldo)
{
    const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(127);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const rq_consts k = rq_make(_mm512_maskz_loadu_epi32(m, bias + i), _mm512_maskz_loadu_epi32(m, mult + i),
                                    _mm512_maskz_loadu_epi32(m, shift + i));
        for (int64_t r = 0; r < rows; r++) {
            const __m512i v = rq_apply(_mm512_maskz_loadu_epi32(m, acc + r * lda + i), &k, vzp, vlo, vhi);
            _mm512_mask_cvtsepi32_storeu_epi8(out + r * ldo + i, m, v);
        }
    }
}

/* The same requantization on AVX2, 8 accumulators at a time. AVX2 has no 64-bit arithmetic shift, so
 * x >> n (signed) is taken as the logical shift of x with its sign bit flipped, less 2^(63 - n):
 * flipping the sign bit adds 2^63, which 2^n divides, so floor((x + 2^63) / 2^n) = floor(x / 2^n) +
 * 2^(63 - n) exactly. Same arithmetic as tt_requant, lane by lane. */
typedef struct rq2_consts {
    __m256i b, m, ne, no, re, ro, oe, oo; /* bias, multiplier; shift counts, rounding terms and the
                                           * 2^(63 - n) offsets of even and odd lanes */
} rq2_consts;

static inline __attribute__((always_inline, target("avx2"))) rq2_consts rq2_make(__m256i b, __m256i m, __m256i sh)
{
    const __m256i one = _mm256_set1_epi64x(1), v31 = _mm256_set1_epi32(31);
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    const __m256i n = _mm256_add_epi32(sh, v31); /* 32-bit counts; even lanes in the low halves */
    rq2_consts k;
    k.b = b;
    k.m = m;
    k.ne = _mm256_and_si256(n, _mm256_set1_epi64x(0xFFFFFFFF));
    k.no = _mm256_srli_epi64(n, 32);
    k.re = _mm256_sllv_epi64(one, _mm256_sub_epi64(k.ne, one));
    k.ro = _mm256_sllv_epi64(one, _mm256_sub_epi64(k.no, one));
    k.oe = _mm256_srlv_epi64(sign, k.ne);
    k.oo = _mm256_srlv_epi64(sign, k.no);
    return k;
}

static inline __attribute__((always_inline, target("avx2"))) __m256i rq2_apply(__m256i acc, const rq2_consts *k,
                                                                             __m256i vzp, __m256i vlo, __m256i vhi)
{
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    const __m256i a = _mm256_add_epi32(acc, k->b);
    __m256i pe = _mm256_mul_epi32(a, k->m);
    __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(k->m, 32));
    pe = _mm256_xor_si256(_mm256_add_epi64(pe, k->re), sign);
    po = _mm256_xor_si256(_mm256_add_epi64(po, k->ro), sign);
    pe = _mm256_sub_epi64(_mm256_srlv_epi64(pe, k->ne), k->oe);
    po = _mm256_sub_epi64(_mm256_srlv_epi64(po, k->no), k->oo);
    const __m256i r = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
    return _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, vzp), vlo), vhi);
}

/* 8 int32 values already within [-128, 127] -> 8 bytes at out. */
static inline __attribute__((always_inline, target("avx2"))) void rq2_store8(int8_t *out, __m256i r)
{
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storel_epi64((__m128i *)out, _mm_packs_epi16(w, w));
}

__attribute__((target("avx2"))) void tt_q8_requant_avx2(const int32_t *acc, int64_t n, const int32_t *bias,
                                                       const int32_t *mult, const int32_t *shift, int stride,
                                                       int32_t zp, int32_t lo, int8_t *out)
{
    if (stride) { /* per-element constants: one row of the per-channel form */
        tt_q8_requant_rows_avx2(acc, n, 1, n, bias, mult, shift, zp, lo, out, n);
        return;
    }
    const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(127);
    const rq2_consts k = rq2_make(_mm256_set1_epi32(bias[0]), _mm256_set1_epi32(mult[0]), _mm256_set1_epi32(shift[0]));
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        rq2_store8(out + i, rq2_apply(_mm256_loadu_si256((const __m256i *)(acc + i)), &k, vzp, vlo, vhi));
    }
    if (i < n) { /* the last n - i < 8 values */
        tt_q8_requant_portable(acc + i, n - i, bias, mult, shift, 0, zp, lo, out + i);
    }
}

/* Per 8-channel block: the constants once, then every row. */
__attribute__((target("avx2"))) void tt_q8_requant_rows_avx2(const int32_t *acc, int64_t lda, int64_t rows, int64_t n,
                                                            const int32_t *bias, const int32_t *mult,
                                                            const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                                                            int64_t ldo)
{
    const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(127);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const rq2_consts k = rq2_make(_mm256_loadu_si256((const __m256i *)(bias + i)),
                                      _mm256_loadu_si256((const __m256i *)(mult + i)),
                                      _mm256_loadu_si256((const __m256i *)(shift + i)));
        for (int64_t r = 0; r < rows; r++) {
            rq2_store8(out + r * ldo + i, rq2_apply(_mm256_loadu_si256((const __m256i *)(acc + r * lda + i)), &k, vzp,
                                                    vlo, vhi));
        }
    }
    if (i < n) {
        for (int64_t r = 0; r < rows; r++) {
            tt_q8_requant_portable(acc + r * lda + i, n - i, bias + i, mult + i, shift + i, 1, zp, lo, out + r * ldo + i);
        }
    }
}

/* The 2x2 max pool of a stride-1 convolution's accumulators: row[oy * wq + ox] = the max of
 * a[2oy][2ox], a[2oy][2ox+1], a[2oy+1][2ox], a[2oy+1][2ox+1] (rows lda apart). 16 outputs at a time
 * (pool2_16): the two input rows' maxima over 32 columns, then even and odd lanes gathered (vpermt2d)
 * and compared; a row's tail is loaded under a mask, so nothing past the row's 2 wq values is read.
 * pool2_16: those 16 values from rows r0 and r1, `left` of their columns still to read (lanes past
 * them are 0; the caller stores only its outputs). */
static inline __attribute__((always_inline, target("avx512f"))) __m512i pool2_16(const int32_t *r0,
                                                                               const int32_t *r1, int64_t left)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __mmask16 k0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    const __mmask16 k1 = left >= 32 ? (__mmask16)0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1u);
    const __m512i v0 = _mm512_max_epi32(_mm512_maskz_loadu_epi32(k0, r0), _mm512_maskz_loadu_epi32(k0, r1));
    const __m512i v1 = _mm512_max_epi32(_mm512_maskz_loadu_epi32(k1, r0 + 16), _mm512_maskz_loadu_epi32(k1, r1 + 16));
    return _mm512_max_epi32(_mm512_permutex2var_epi32(v0, even, v1), _mm512_permutex2var_epi32(v0, odd, v1));
}

__attribute__((target("avx512f"))) void tt_q8_pool2_avx512(const int32_t *a, int64_t lda, int64_t hq, int64_t wq,
                                                          int32_t *row)
{
    for (int64_t oy = 0; oy < hq; oy++) {
        const int32_t *r0 = a + 2 * oy * lda, *r1 = r0 + lda;
        int32_t *d = row + oy * wq;
        for (int64_t ox = 0; ox < wq; ox += 16) {
            const int64_t nout = wq - ox < 16 ? wq - ox : 16;
            _mm512_mask_storeu_epi32(d + ox, (__mmask16)((1u << nout) - 1u),
                                     pool2_16(r0 + 2 * ox, r1 + 2 * ox, 2 * (wq - ox)));
        }
    }
}

/* tt_q8_pool2_avx512 and tt_q8_requant_avx512 of one channel in one pass: each 16 pooled values go
 * straight to the requantization and out as bytes, with no int32 row in between. */
__attribute__((target("avx512f"))) void tt_q8_pool2rq_avx512(const int32_t *a, int64_t lda, int64_t hq, int64_t wq,
                                                            const int32_t *bias, const int32_t *mult,
                                                            const int32_t *shift, int32_t zp, int32_t lo, int8_t *out)
{
    const __m512i vzp = _mm512_set1_epi32(zp), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(127);
    const rq_consts k = rq_make(_mm512_set1_epi32(bias[0]), _mm512_set1_epi32(mult[0]), _mm512_set1_epi32(shift[0]));
    for (int64_t ox = 0; ox < wq; ox += 16) {
        const int64_t nout = wq - ox < 16 ? wq - ox : 16;
        const __mmask16 ko = (__mmask16)((1u << nout) - 1u);
        for (int64_t oy = 0; oy < hq; oy++) {
            const int32_t *r0 = a + 2 * oy * lda + 2 * ox;
            _mm512_mask_cvtsepi32_storeu_epi8(out + oy * wq + ox, ko,
                                              rq_apply(pool2_16(r0, r0 + lda, 2 * (wq - ox)), &k, vzp, vlo, vhi));
        }
    }
}

/* Channels-in-lanes pooling: one zmm of 16 channels per position, three vpmaxsd per pooled one. */
__attribute__((target("avx512f"))) void tt_q8_pool2c_avx512(int32_t *a, int64_t wo, int64_t hq, int64_t wq, int64_t C)
{
    for (int64_t py = 0; py < hq; py++) {
        for (int64_t px = 0; px < wq; px++) {
            const int32_t *a0 = a + (2 * py * wo + 2 * px) * C, *a2 = a0 + wo * C;
            int32_t *d = a + (py * wq + px) * C;
            for (int64_t c = 0; c < C; c += 16) {
                const __m512i m0 = _mm512_max_epi32(_mm512_loadu_si512((const void *)(a0 + c)),
                                                    _mm512_loadu_si512((const void *)(a0 + C + c)));
                const __m512i m1 = _mm512_max_epi32(_mm512_loadu_si512((const void *)(a2 + c)),
                                                    _mm512_loadu_si512((const void *)(a2 + C + c)));
                _mm512_storeu_si512((void *)(d + c), _mm512_max_epi32(m0, m1));
            }
        }
    }
}

/* tt_quantize_i8 sixteen values at a time (two halves of eight doubles), in double as it is:
 * v = x * (1 / scale), clamped to +-1000, rounded half away from zero as sign(v) * trunc(|v| + 0.5)
 * (for v < 0, 0.5 - v == |v| + 0.5 exactly), + zero point, clamped to [-128, 127]. A NaN fails both
 * ordered compares, as in the scalar loop, and ends at -1000 there and here. AVX-512F only (the tail
 * is a masked load and a masked narrowing store). */
static inline __attribute__((always_inline, target("avx512f"))) __m256i quantize8(__m512d v, __m512d inv, __mmask8 *neg)
{
    const __m512d hi = _mm512_set1_pd(1000.0), lo = _mm512_set1_pd(-1000.0);
    v = _mm512_mul_pd(v, inv);
    v = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, hi, _CMP_GT_OQ), v, hi); /* v > 1000 ? 1000 : v */
    v = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, lo, _CMP_GE_OQ), lo, v); /* v >= -1000 ? v : -1000 */
    *neg = _mm512_cmp_pd_mask(v, _mm512_setzero_pd(), _CMP_LT_OQ);
    return _mm512_cvttpd_epi32(_mm512_add_pd(_mm512_abs_pd(v), _mm512_set1_pd(0.5)));
}

/* First in float: v = x * (1 / scale) in float is within 1.5e-7 |v| of the double product, so over the
 * range that is not clamped (|v| <= 1000: 1.5e-4) it rounds the same way unless |v| is within 1e-3 of
 * a half; a vector with such a lane (ties, as the tests make them) is done again in double. */
__attribute__((target("avx512f"))) void tt_q8_quantize_avx512(const float *x, int64_t n, tt_qparams q, int8_t *out)
{
    const __m512d inv = _mm512_set1_pd(1.0 / (double)q.scale);
    const __m512 invf = _mm512_set1_ps((float)(1.0 / (double)q.scale));
    const __m512 hi = _mm512_set1_ps(1000.0f), lo = _mm512_set1_ps(-1000.0f), half = _mm512_set1_ps(0.5f);
    const __m512 band = _mm512_set1_ps(1e-3f);
    const __m512i vzp = _mm512_set1_epi32(q.zero_point), vmin = _mm512_set1_epi32(-128), vmax = _mm512_set1_epi32(127);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512 xf = _mm512_maskz_loadu_ps(k, x + i);
        __m512 v = _mm512_mul_ps(xf, invf);
        v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), v, hi);
        v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ), lo, v);
        const __m512 a = _mm512_abs_ps(v);
        const __m512 frac = _mm512_sub_ps(a, _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
        __m512i r;
        if (_mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(frac, half)), band, _CMP_LT_OQ) == 0) {
            r = _mm512_cvttps_epi32(_mm512_add_ps(a, half));
            r = _mm512_mask_sub_epi32(r, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_si512(), r);
        } else {
            __mmask8 n0, n1;
            const __m256i r0 = quantize8(_mm512_cvtps_pd(_mm512_castps512_ps256(xf)), inv, &n0);
            const __m256i r1 = quantize8(
                _mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(xf), 1))), inv, &n1);
            r = _mm512_inserti64x4(_mm512_castsi256_si512(r0), r1, 1);
            r = _mm512_mask_sub_epi32(r, (__mmask16)(n0 | (unsigned)n1 << 8), _mm512_setzero_si512(), r);
        }
        r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, vzp), vmin), vmax);
        _mm512_mask_cvtsepi32_storeu_epi8(out + i, k, r);
    }
}

/* The 2x2 max pool on AVX2, 8 pooled values at a time: the two input rows' maximum over 16 columns,
 * then even against odd columns (vshufps picks them within 128-bit lanes; vpermq puts the four pairs
 * back in order). The last wq % 8 values as the portable pool does them. */
__attribute__((target("avx2"))) void tt_q8_pool2_avx2(const int32_t *a, int64_t lda, int64_t hq, int64_t wq,
                                                      int32_t *row)
{
    for (int64_t oy = 0; oy < hq; oy++) {
        const int32_t *r0 = a + 2 * oy * lda, *r1 = r0 + lda;
        int32_t *d = row + oy * wq;
        int64_t ox = 0;
        for (; ox + 8 <= wq; ox += 8) {
            const __m256i v0 = _mm256_max_epi32(_mm256_loadu_si256((const __m256i *)(r0 + 2 * ox)),
                                                _mm256_loadu_si256((const __m256i *)(r1 + 2 * ox)));
            const __m256i v1 = _mm256_max_epi32(_mm256_loadu_si256((const __m256i *)(r0 + 2 * ox + 8)),
                                                _mm256_loadu_si256((const __m256i *)(r1 + 2 * ox + 8)));
            const __m256 f0 = _mm256_castsi256_ps(v0), f1 = _mm256_castsi256_ps(v1);
            const __m256i ev = _mm256_castps_si256(_mm256_shuffle_ps(f0, f1, 0x88)); /* 0 2 8 10 | 4 6 12 14 */
            const __m256i od = _mm256_castps_si256(_mm256_shuffle_ps(f0, f1, 0xDD)); /* 1 3 9 11 | 5 7 13 15 */
            _mm256_storeu_si256((__m256i *)(d + ox), _mm256_permute4x64_epi64(_mm256_max_epi32(ev, od), 0xD8));
        }
        for (; ox < wq; ox++) {
            const int32_t v0 = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
            const int32_t v1 = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
            d[ox] = v0 > v1 ? v0 : v1;
        }
    }
}

/* tt_quantize_i8 eight values at a time, as the AVX-512 conversion above does it: in float, with a
 * vector holding a value within 1e-3 of a half (where the float product might round the other way
 * from the double one) converted by tt_quantize_i8 itself; so is the tail. */
__attribute__((target("avx2"))) void tt_q8_quantize_avx2(const float *x, int64_t n, tt_qparams q, int8_t *out)
{
    const __m256 invf = _mm256_set1_ps((float)(1.0 / (double)q.scale));
    const __m256 hi = _mm256_set1_ps(1000.0f), lo = _mm256_set1_ps(-1000.0f), half = _mm256_set1_ps(0.5f);
    const __m256 band = _mm256_set1_ps(1e-3f), zero = _mm256_setzero_ps();
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256i vzp = _mm256_set1_epi32(q.zero_point), vmin = _mm256_set1_epi32(-128), vmax = _mm256_set1_epi32(127);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), invf);
        v = _mm256_blendv_ps(v, hi, _mm256_cmp_ps(v, hi, _CMP_GT_OQ));
        v = _mm256_blendv_ps(lo, v, _mm256_cmp_ps(v, lo, _CMP_GE_OQ)); /* NaN -> -1000, as the scalar loop */
        const __m256 a = _mm256_and_ps(v, absmask);
        const __m256 frac = _mm256_sub_ps(a, _mm256_floor_ps(a));
        if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(_mm256_sub_ps(frac, half), absmask), band, _CMP_LT_OQ))) {
            tt_quantize_i8(x + i, 8, q, out + i);
            continue;
        }
        __m256i r = _mm256_cvttps_epi32(_mm256_add_ps(a, half));
        const __m256i neg = _mm256_castps_si256(_mm256_cmp_ps(v, zero, _CMP_LT_OQ));
        r = _mm256_sub_epi32(_mm256_xor_si256(r, neg), neg);
        rq2_store8(out + i, _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, vzp), vmin), vmax));
    }
    if (i < n) {
        tt_quantize_i8(x + i, n - i, q, out + i);
    }
}

#else
typedef int tt_q8_no_x86_kernels; /* ISO C forbids an empty translation unit */
#endif
