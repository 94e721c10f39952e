/* pool_avx512.c - the 2x2 / stride-2 max pool, forward and backward, with AVX-512 (x86-64 only,
 * chosen at run time by pool.c).
 *
 * Same rule as the plain loop in pool.c, lane for lane: of the window (a b / c e) the winner is
 * picked with '>' comparisons (ties go to the left, then to the top row; NaN never wins) and kept as
 * a one-byte code 0..3 (top-left, top-right, bottom-left, bottom-right). 16 outputs per step: two
 * rows of 32 inputs are split into even and odd columns with one permute each. The backward pass
 * OVERWRITES gx (every cell: the winner's gradient or 0), for a gradient buffer nothing has written
 * yet: no zero-filling first, and no load of gx (a load that overlaps the masked-off tail of the
 * previous row's store would wait for that store to reach the cache).
 */
#include <string.h>
#include "conv_internal.h"

#ifdef TT_CONV_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

static inline __attribute__((always_inline, target("avx512f"))) __mmask16 lanes_mask(int64_t n)
{
    return (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}

/* The rule above for 16 windows (a b / c e): the winners' values, and their codes in *code. */
static inline __attribute__((always_inline, target("avx512f"))) __m512 window_max(__m512 a, __m512 b, __m512 c,
                                                                                __m512 e, __m512i *code)
{
    const __mmask16 top = _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ);
    const __mmask16 bot = _mm512_cmp_ps_mask(e, c, _CMP_GT_OQ);
    const __m512 mt = _mm512_mask_blend_ps(top, a, b), mb = _mm512_mask_blend_ps(bot, c, e);
    const __mmask16 down = _mm512_cmp_ps_mask(mb, mt, _CMP_GT_OQ);
    const __m512i ct = _mm512_maskz_mov_epi32(top, _mm512_set1_epi32(1));
    const __m512i cb = _mm512_mask_mov_epi32(_mm512_set1_epi32(2), bot, _mm512_set1_epi32(3));
    *code = _mm512_mask_blend_epi32(down, ct, cb);
    return _mm512_mask_blend_ps(down, mt, mb);
}

AVX512 void tt_pool_avx512_max2x2(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho,
                                  int64_t Wo, float *y, uint8_t *code)
{
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *r0 = x + (pl * H + 2 * oh) * W, *r1 = r0 + W;
            float *yr = y + (pl * Ho + oh) * Wo;
            for (int64_t ow = 0; ow < Wo; ow += 16) {
                const int64_t cnt = Wo - ow < 16 ? Wo - ow : 16;
                const __mmask16 m0 = lanes_mask(2 * cnt), m1 = lanes_mask(2 * cnt - 16 > 0 ? 2 * cnt - 16 : 0);
                const __mmask16 m = lanes_mask(cnt);
                const __m512 t0 = _mm512_maskz_loadu_ps(m0, r0 + 2 * ow);
                const __m512 t1 = _mm512_maskz_loadu_ps(m1, r0 + 2 * ow + 16);
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, r1 + 2 * ow);
                const __m512 b1 = _mm512_maskz_loadu_ps(m1, r1 + 2 * ow + 16);
                const __m512 a = _mm512_permutex2var_ps(t0, even, t1), b = _mm512_permutex2var_ps(t0, odd, t1);
                const __m512 c = _mm512_permutex2var_ps(b0, even, b1), e = _mm512_permutex2var_ps(b0, odd, b1);
                __m512i k;
                _mm512_mask_storeu_ps(yr + ow, m, window_max(a, b, c, e, &k));
                if (code) {
                    _mm512_mask_cvtepi32_storeu_epi8(code + (pl * Ho + oh) * Wo + ow, m, k);
                }
            }
        }
    }
}

/* The same pool of a convolution with its channels in the lanes, t[b][oh * Wo + ow][16]: one window's
 * four cells are four vectors of 16 channels (window_max). The pooled values and codes of up to
 * 64 positions are kept position-major, then written channel by channel into y and code [C][Ho2][Wo2]
 * (a quarter of the values a transposition of the whole convolution into planes would move). */
AVX512 void tt_pool_avx512_lanes(const float *t, int64_t C, int64_t Ho, int64_t Wo, float *y, uint8_t *code)
{
    enum { CHUNK = 64 };
    const int64_t Ho2 = Ho / 2, Wo2 = Wo / 2, Q = Ho2 * Wo2, P = Ho * Wo;
    float tv[CHUNK * 16];
    uint8_t tk[CHUNK * 16];
    for (int64_t b = 0; b < (C + 15) / 16; b++) {
        const int64_t nl = C - 16 * b < 16 ? C - 16 * b : 16;
        const __mmask16 m = lanes_mask(nl);
        const float *tb = t + b * P * 16;
        for (int64_t q0 = 0; q0 < Q; q0 += CHUNK) {
            const int64_t qn = Q - q0 < CHUNK ? Q - q0 : CHUNK;
            for (int64_t j = 0; j < qn; j++) {
                const int64_t ph = (q0 + j) / Wo2, pw = (q0 + j) % Wo2;
                const float *r0 = tb + (2 * ph * Wo + 2 * pw) * 16, *r1 = r0 + Wo * 16;
                const __m512 a = _mm512_maskz_loadu_ps(m, r0), bb = _mm512_maskz_loadu_ps(m, r0 + 16);
                const __m512 c = _mm512_maskz_loadu_ps(m, r1), e = _mm512_maskz_loadu_ps(m, r1 + 16);
                __m512i k;
                _mm512_storeu_ps(tv + j * 16, window_max(a, bb, c, e, &k));
                _mm_storeu_si128((__m128i *)(tk + j * 16), _mm512_cvtepi32_epi8(k));
            }
            for (int64_t l = 0; l < nl; l++) {
                float *yl = y + (16 * b + l) * Q + q0;
                uint8_t *kl = code + (16 * b + l) * Q + q0;
                for (int64_t j = 0; j < qn; j++) {
                    yl[j] = tv[j * 16 + l];
                    kl[j] = tk[j * 16 + l];
                }
            }
        }
    }
}

/* conv2d.c's pool_grad_to_lanes with 16 pooled positions of a channel per vector: the gradients
 * (zero where a ReLU before the pool left the window's max <= 0) are scattered to their winners'
 * cells of dyn [Ho*Wo][16] (vscatterdps; each winner is one cell, so no two lanes collide), and the
 * bias gradient is their sum. The codes are read 16 at a time (the buffer's 16 bytes of slack). */
AVX512 void tt_pool_avx512_grad_lanes(const float *gy, const uint8_t *code, const float *y, int64_t C, int64_t Ho,
                                      int64_t Wo, float *dyn, double *gbs)
{
    const int64_t Ho2 = Ho / 2, Wo2 = Wo / 2, Q = Ho2 * Wo2;
    const __m512i one = _mm512_set1_epi32(1), row = _mm512_set1_epi32((int)(Wo * 16));
    const __m512 zero = _mm512_setzero_ps();
    memset(dyn, 0, (size_t)(Ho * Wo * 16) * sizeof(float));
    for (int64_t q0 = 0; q0 < Q; q0 += 16) {
        const int64_t n = Q - q0 < 16 ? Q - q0 : 16;
        const __mmask16 m = lanes_mask(n);
        int32_t at[16] = {0}; /* each position's window corner in dyn, in floats */
        for (int64_t j = 0; j < n; j++) {
            const int64_t q = q0 + j;
            at[j] = (int32_t)((2 * (q / Wo2) * Wo + 2 * (q % Wo2)) * 16);
        }
        const __m512i corner = _mm512_loadu_si512((const void *)at);
        for (int64_t c = 0; c < C; c++) {
            __mmask16 live = m;
            if (y) {
                live = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + c * Q + q0), zero, _CMP_GT_OQ);
            }
            const __m512 g = _mm512_maskz_loadu_ps(live, gy + c * Q + q0);
            const __m512i k = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(code + c * Q + q0)));
            const __m512i cell = _mm512_add_epi32(
                _mm512_add_epi32(corner, _mm512_set1_epi32((int)c)),
                _mm512_add_epi32(_mm512_mullo_epi32(_mm512_srli_epi32(k, 1), row),
                                 _mm512_slli_epi32(_mm512_and_si512(k, one), 4)));
            _mm512_mask_i32scatter_ps(dyn, live, cell, g, 4);
            if (gbs) {
                gbs[c] += _mm512_reduce_add_ps(g);
            }
        }
    }
}

AVX512 float tt_pool_avx512_max2x2_backward(const float *gy, const uint8_t *code, const float *pos,
                                            int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                            float *gx, int64_t gplane, int64_t grow)
{
    /* interleave two 16-lane vectors p, q into p0 q0 p1 q1 ... (low 16 and high 16 outputs) */
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    const __m512i zero_i = _mm512_setzero_si512();
    const __m512 zero = _mm512_setzero_ps();
    __m512 sum = zero;
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            float *g0 = gx + pl * gplane + 2 * oh * grow, *g1 = g0 + grow;
            const float *gr = gy + (pl * Ho + oh) * Wo;
            const uint8_t *cr = code + (pl * Ho + oh) * Wo;
            for (int64_t ow = 0; ow < Wo; ow += 16) {
                const int64_t cnt = Wo - ow < 16 ? Wo - ow : 16;
                const __mmask16 m0 = lanes_mask(2 * cnt), m1 = lanes_mask(2 * cnt - 16 > 0 ? 2 * cnt - 16 : 0);
                /* 16 code bytes even at the end of a row: the buffer has 16 bytes of slack, and the
                 * lanes past cnt have g = 0 */
                const __m512i k = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(cr + ow)));
                __mmask16 live = lanes_mask(cnt);
                if (pos) { /* a ReLU before the pool: no gradient where the window's max is <= 0 */
                    live = _mm512_mask_cmp_ps_mask(live, _mm512_maskz_loadu_ps(live, pos + (pl * Ho + oh) * Wo + ow),
                                                   zero, _CMP_GT_OQ);
                }
                const __m512 g = _mm512_maskz_loadu_ps(live, gr + ow);
                sum = _mm512_add_ps(sum, g);
                const __m512 tl = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, zero_i), g);
                const __m512 tr = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(1)), g);
                const __m512 bl = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(2)), g);
                const __m512 br = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(3)), g);
                float *p0 = g0 + 2 * ow, *p1 = g1 + 2 * ow;
                _mm512_mask_storeu_ps(p0, m0, _mm512_permutex2var_ps(tl, lo, tr));
                _mm512_mask_storeu_ps(p0 + 16, m1, _mm512_permutex2var_ps(tl, hi, tr));
                _mm512_mask_storeu_ps(p1, m0, _mm512_permutex2var_ps(bl, lo, br));
                _mm512_mask_storeu_ps(p1 + 16, m1, _mm512_permutex2var_ps(bl, hi, br));
            }
            for (int64_t w = 2 * Wo; w < W; w++) { /* odd width: the last column is in no window */
                g0[w] = g1[w] = 0.0f;
            }
        }
        if (2 * Ho < H) { /* odd height: neither is the last row */
            memset(gx + pl * gplane + 2 * Ho * grow, 0, (size_t)W * sizeof(float));
        }
    }
    return _mm512_reduce_add_ps(sum);
}

#else
typedef int tt_pool_avx512_unused; /* ISO C forbids an empty translation unit */
#endif
