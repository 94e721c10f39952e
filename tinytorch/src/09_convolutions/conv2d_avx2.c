/* conv2d_avx2.c - AVX2 + FMA kernels for stride-1 convolutions and the 2x2 max pool (x86-64 only,
 * chosen at run time when the CPU, or the TT_ISA=avx2 cap, offers AVX2 but not AVX-512).
 *
 * The same products as conv2d_avx512.c on the same buffers (conv_internal.h): the layouts are built
 * for 16-lane vectors, and these kernels work each 16-lane vector as two 8-lane halves. Every lane's
 * sum runs over the same terms in the same order as in the AVX-512 kernels (one FMA per term), so
 * the forward outputs and the weight-gradient partial sums (acc16) are bit-identical to theirs; only
 * the bias-gradient sums of gather / pool backward add their lanes in another order.
 *
 * AVX2 has 16 vector registers (AVX-512: 32), so the register tiles are smaller:
 *   planes       CB <= 6 output channels x NV <= 2 eight-pixel vectors (12 accumulators)
 *   wgrad        one 8-lane half: CB <= 2 output channels x JB <= 5 taps (10 accumulators)
 *   planes_cvec  one 8-channel half: R <= 12 pixels of one row (12 accumulators)
 *   wgrad_cvec   one 8-channel half: I <= 2 kernel rows x kw <= 6 taps (12 accumulators)
 * Masked row ends use vmaskmov (AVX2 has no mask registers); the loads past a row's end stay inside
 * the padded row, as for the AVX-512 kernels.
 */
#include <string.h>
#include "conv_internal.h"

#ifdef TT_CONV_X86
#include <immintrin.h>

#define INL static inline __attribute__((always_inline, target("avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))
#if defined(__GNUC__) && !defined(__clang__)
#define NO_PCOM __attribute__((optimize("no-predictive-commoning")))
#else
#define NO_PCOM
#endif
#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 16")
#else
#define UNROLL
#endif

enum { FWD_CB = 6, FWD_NV = 2, WG_CB = 2, WG_JB = 5, CF_R = 12, CW_I = 2, CW_J = 6 };

/* lane mask of the first n lanes (0 <= n <= 8), for vmaskmovps */
static const int32_t mask_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

INL __m256i lanes(int64_t n)
{
    n = n < 0 ? 0 : n > 8 ? 8 : n;
    return _mm256_loadu_si256((const __m256i *)(mask_src + 8 - n));
}

INL float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- forward / full convolution ---------------------------------------------------------------- */

INL void fwd_tile(const int CB, const int NV, const float *in, int64_t Cin, int64_t plane, int64_t Wp,
                  const float *w, int64_t wco, int64_t i0, int64_t i1, int64_t kh, int64_t kw,
                  const int64_t *ioff, float *out, int64_t oplane, const int64_t *ooff, const __m256i *mask,
                  const float *bias, int relu, int accumulate)
{
    __m256 acc[FWD_CB][FWD_NV];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int r = 0; r < NV; r++) {
            acc[a][r] = _mm256_setzero_ps();
        }
    }
    for (int64_t c = 0; c < Cin; c++) {
        for (int64_t i = i0; i < i1; i++) {
            const float *ir = in + c * plane + i * Wp;
            const float *wr = w + (c * kh + i) * kw;
            for (int64_t j = 0; j < kw; j++) {
                __m256 xv[FWD_NV];
                UNROLL
                for (int r = 0; r < NV; r++) {
                    xv[r] = _mm256_loadu_ps(ir + ioff[r] + j);
                }
                UNROLL
                for (int a = 0; a < CB; a++) {
                    const __m256 wv = _mm256_broadcast_ss(wr + a * wco + j);
                    UNROLL
                    for (int r = 0; r < NV; r++) {
                        acc[a][r] = _mm256_fmadd_ps(wv, xv[r], acc[a][r]);
                    }
                }
            }
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    UNROLL
    for (int a = 0; a < CB; a++) {
        const __m256 bv = bias && !accumulate ? _mm256_broadcast_ss(bias + a) : zero;
        UNROLL
        for (int r = 0; r < NV; r++) {
            float *o = out + a * oplane + ooff[r];
            __m256 v;
            if (accumulate) {
                v = _mm256_add_ps(acc[a][r], _mm256_maskload_ps(o, mask[r]));
            } else {
                v = _mm256_add_ps(acc[a][r], bv);
                if (relu) {
                    v = _mm256_max_ps(v, zero);
                }
            }
            _mm256_maskstore_ps(o, mask[r], v);
        }
    }
}

#define FWD_FN(cb, nv)                                                                               \
    static AVX2 void fwd_##cb##_##nv(const float *in, int64_t Cin, int64_t plane, int64_t Wp,        \
                                     const float *w, int64_t wco, int64_t i0, int64_t i1, int64_t kh, \
                                     int64_t kw, const int64_t *ioff, float *out, int64_t oplane,    \
                                     const int64_t *ooff, const __m256i *mask, const float *bias,    \
                                     int relu, int accumulate)                                       \
    {                                                                                                \
        fwd_tile(cb, nv, in, Cin, plane, Wp, w, wco, i0, i1, kh, kw, ioff, out, oplane, ooff, mask,  \
                 bias, relu, accumulate);                                                            \
    }
#define FWD_ROW(cb) FWD_FN(cb, 1) FWD_FN(cb, 2)
FWD_ROW(1) FWD_ROW(2) FWD_ROW(3) FWD_ROW(4) FWD_ROW(5) FWD_ROW(6)

typedef void (*fwd_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t,
                       int64_t, int64_t, const int64_t *, float *, int64_t, const int64_t *, const __m256i *,
                       const float *, int, int);
#define FWD_ENT(cb) {fwd_##cb##_1, fwd_##cb##_2}
static const fwd_fn fwd_table[FWD_CB][FWD_NV] = {FWD_ENT(1), FWD_ENT(2), FWD_ENT(3),
                                                 FWD_ENT(4), FWD_ENT(5), FWD_ENT(6)};

AVX2 void tt_conv_avx2_planes(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                              int64_t rhi, const float *w, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho,
                              int64_t Wo, const float *bias, int relu, int accumulate, float *out)
{
    /* eight-pixel vectors of a row: only those that hold output pixels */
    const int64_t V = (Wo + 7) / 8, nvec = Ho * V, wco = Cin * kh * kw, oplane = Ho * Wo;
    for (int64_t co0 = 0; co0 < Cout; co0 += FWD_CB) {
        const int cb = (int)(Cout - co0 < FWD_CB ? Cout - co0 : FWD_CB);
        for (int64_t q0 = 0; q0 < nvec; q0 += FWD_NV) {
            const int nv = (int)(nvec - q0 < FWD_NV ? nvec - q0 : FWD_NV);
            int64_t ioff[FWD_NV], ooff[FWD_NV];
            __m256i mask[FWD_NV];
            for (int r = 0; r < nv; r++) {
                const int64_t oh = (q0 + r) / V, col = 8 * ((q0 + r) % V);
                ioff[r] = oh * Wp + col;
                ooff[r] = oh * Wo + col;
                mask[r] = lanes(Wo - col);
            }
            /* kernel rows that reach a nonzero input row for some row of the tile (as AVX-512) */
            const int64_t oh_lo = q0 / V, oh_hi = (q0 + nv - 1) / V;
            int64_t i0 = rlo - oh_hi, i1 = rhi - oh_lo;
            i0 = i0 < 0 ? 0 : i0;
            i1 = i1 > kh ? kh : i1;
            if (i1 <= i0 && !accumulate) {
                i0 = i1 = 0;
            } else if (i1 <= i0) {
                continue;
            }
            fwd_table[cb - 1][nv - 1](in, Cin, plane, Wp, w + co0 * wco, wco, i0, i1, kh, kw, ioff,
                                      out + co0 * oplane, oplane, ooff, mask, bias ? bias + co0 : NULL,
                                      relu, accumulate);
        }
    }
}

/* ---- weight gradient (pixels in the lanes) ------------------------------------------------------ */

/* One 8-lane half: dy and in already offset by 8*half; acc16 too. */
INL void wg_tile(const int CB, const int JB, const float *dy, int64_t dimg, int64_t dplane, int64_t dWp,
                 const float *in, int64_t img, int64_t Wp, int64_t nb, int64_t Ho, int64_t V, float *acc16,
                 int64_t astride)
{
    __m256 acc[WG_CB][WG_JB];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int j = 0; j < JB; j++) {
            acc[a][j] = _mm256_setzero_ps();
        }
    }
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *xr = in + n * img + oh * Wp;
            const float *dr = dy + n * dimg + oh * dWp;
            for (int64_t v = 0; v < V; v++) {
                __m256 xv[WG_JB];
                UNROLL
                for (int j = 0; j < JB; j++) {
                    xv[j] = _mm256_loadu_ps(xr + 16 * v + j);
                    KEEP_IN_REG(xv[j]); /* JB loads, not CB * JB folded into the FMAs */
                }
                UNROLL
                for (int a = 0; a < CB; a++) {
                    __m256 dv = _mm256_loadu_ps(dr + a * dplane + 16 * v);
                    KEEP_IN_REG(dv); /* and one load of dy, not JB */
                    UNROLL
                    for (int j = 0; j < JB; j++) {
                        acc[a][j] = _mm256_fmadd_ps(dv, xv[j], acc[a][j]);
                    }
                }
            }
        }
    }
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int j = 0; j < JB; j++) {
            float *p = acc16 + a * astride + 16 * j;
            _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[a][j]));
        }
    }
}

#define WG_FN(cb, jb)                                                                                \
    static AVX2 void wg_##cb##_##jb(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp,      \
                                    const float *in, int64_t img, int64_t Wp, int64_t nb, int64_t Ho, \
                                    int64_t V, float *acc16, int64_t astride)                        \
    {                                                                                                \
        wg_tile(cb, jb, dy, dimg, dplane, dWp, in, img, Wp, nb, Ho, V, acc16, astride);              \
    }
#define WG_ROW(cb) WG_FN(cb, 1) WG_FN(cb, 2) WG_FN(cb, 3) WG_FN(cb, 4) WG_FN(cb, 5)
WG_ROW(1) WG_ROW(2)

typedef void (*wg_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t,
                      int64_t, int64_t, float *, int64_t);
#define WG_ENT(cb) {wg_##cb##_1, wg_##cb##_2, wg_##cb##_3, wg_##cb##_4, wg_##cb##_5}
static const wg_fn wg_table[WG_CB][WG_JB] = {WG_ENT(1), WG_ENT(2)};

AVX2 void tt_conv_avx2_wgrad(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp, const float *in,
                             int64_t img, int64_t Cin, int64_t plane, int64_t Wp, int64_t Cout, int64_t kh,
                             int64_t kw, int64_t Ho, int64_t Wo, int64_t nb, float *acc16)
{
    const int64_t V = tt_conv_row_vecs(Wo), astride = Cin * kh * kw * 16;
    /* the high half of a 16-lane vector holds pixels only when the last vector of a row reaches them
     * or when there are several vectors; with Wo <= 8 its lanes are all zero in dy (skip them) */
    const int halves = Wo > 8 ? 2 : 1;
    for (int h = 0; h < halves; h++) {
        for (int64_t co0 = 0; co0 < Cout; co0 += WG_CB) {
            const int cb = (int)(Cout - co0 < WG_CB ? Cout - co0 : WG_CB);
            for (int64_t c = 0; c < Cin; c++) {
                for (int64_t i = 0; i < kh; i++) {
                    for (int64_t j0 = 0; j0 < kw; j0 += WG_JB) {
                        const int jb = (int)(kw - j0 < WG_JB ? kw - j0 : WG_JB);
                        wg_table[cb - 1][jb - 1](dy + co0 * dplane + 8 * h, dimg, dplane, dWp,
                                                 in + c * plane + i * Wp + j0 + 8 * h, img, Wp, nb, Ho, V,
                                                 acc16 + (((co0 * Cin + c) * kh + i) * kw + j0) * 16 + 8 * h,
                                                 astride);
                    }
                }
            }
        }
    }
}

/* ---- output channels in the lanes ---------------------------------------------------------------- */

/* R pixels of one output row, one 8-channel half (wv offset to it): tile[t*8 + l]. */
INL NO_PCOM void cf_tile(const int R, const float *x, int64_t Cin, int64_t plane, int64_t Wp, const float *wv,
                         int64_t i0, int64_t i1, int64_t kh, int64_t kw, float *tile)
{
    __m256 acc[CF_R];
    UNROLL
    for (int t = 0; t < R; t++) {
        acc[t] = _mm256_setzero_ps();
    }
    for (int64_t c = 0; c < Cin; c++) {
        for (int64_t i = i0; i < i1; i++) {
            const float *x0 = x + c * plane + i * Wp;
            const float *wr = wv + (c * kh + i) * kw * 16;
            for (int64_t j = 0; j < kw; j++) {
                const __m256 w = _mm256_loadu_ps(wr + j * 16);
                UNROLL
                for (int t = 0; t < R; t++) {
                    acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + j + t), w, acc[t]);
                }
            }
        }
    }
    UNROLL
    for (int t = 0; t < R; t++) {
        _mm256_storeu_ps(tile + t * 8, acc[t]);
    }
}

#define CF_FN(r)                                                                                     \
    static AVX2 NO_PCOM void cf_##r(const float *x, int64_t Cin, int64_t plane, int64_t Wp,          \
                                    const float *wv, int64_t i0, int64_t i1, int64_t kh, int64_t kw, \
                                    float *tile)                                                     \
    {                                                                                                \
        cf_tile(r, x, Cin, plane, Wp, wv, i0, i1, kh, kw, tile);                                     \
    }
CF_FN(1) CF_FN(2) CF_FN(3) CF_FN(4) CF_FN(5) CF_FN(6) CF_FN(7) CF_FN(8) CF_FN(9) CF_FN(10) CF_FN(11) CF_FN(12)

typedef void (*cf_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t,
                      int64_t, float *);
static const cf_fn cf_table[CF_R] = {cf_1, cf_2, cf_3, cf_4, cf_5, cf_6, cf_7, cf_8, cf_9, cf_10, cf_11, cf_12};

AVX2 void tt_conv_avx2_planes_cvec(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                                   int64_t rhi, const float *wv, int64_t Cout, int64_t kh, int64_t kw,
                                   int64_t Ho, int64_t Wo, const float *bias, int relu, int in_lanes, float *out)
{
    const int64_t CKK = Cin * kh * kw, P = Ho * Wo;
    float tile[CF_R * 8];
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t co0 = 0; co0 < Cout; co0 += 8) {
        const int64_t cb = Cout - co0 < 8 ? Cout - co0 : 8;
        const __m256 bv = bias ? _mm256_maskload_ps(bias + co0, lanes(cb)) : zero;
        const float *wb = wv + co0 / 16 * CKK * 16 + co0 % 16; /* this half of its 16-channel block */
        for (int64_t oh = 0; oh < Ho; oh++) {
            int64_t i0 = rlo - oh, i1 = rhi - oh; /* kernel rows that meet nonzero input */
            i0 = i0 < 0 ? 0 : i0;
            i1 = i1 > kh ? kh : i1;
            if (i1 < i0) {
                i1 = i0;
            }
            for (int64_t ow = 0; ow < Wo; ow += CF_R) {
                const int r = (int)(Wo - ow < CF_R ? Wo - ow : CF_R);
                cf_table[r - 1](in + oh * Wp + ow, Cin, plane, Wp, wb, i0, i1, kh, kw, tile);
                /* lanes: this half's 8 lanes of the 16-channel block, in place */
                float *lane_out = in_lanes ? out + (co0 / 16 * P + oh * Wo + ow) * 16 + co0 % 16 : NULL;
                for (int t = 0; t < r; t++) {
                    __m256 v = _mm256_add_ps(_mm256_loadu_ps(tile + t * 8), bv);
                    if (relu) {
                        v = _mm256_max_ps(v, zero);
                    }
                    _mm256_storeu_ps(in_lanes ? lane_out + t * 16 : tile + t * 8, v);
                }
                for (int64_t co = 0; !in_lanes && co < cb; co++) { /* pixels x channels into the NCHW planes */
                    float *dst = out + (co0 + co) * P + oh * Wo + ow;
                    for (int t = 0; t < r; t++) {
                        dst[t] = tile[t * 8 + co];
                    }
                }
            }
        }
    }
}

/* I kernel rows x J taps for one 8-channel half (dyn and acc16 offset to it). */
INL NO_PCOM void cw_tile(const int I, const int J, const float *dyn, int64_t dimg, const float *x, int64_t img,
                         int64_t Wp, int64_t nb, int64_t Ho, int64_t Wo, float *acc16)
{
    __m256 acc[CW_I][CW_J];
    UNROLL
    for (int i = 0; i < I; i++) {
        UNROLL
        for (int j = 0; j < J; j++) {
            acc[i][j] = _mm256_setzero_ps();
        }
    }
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *xr = x + n * img + oh * Wp;
            const float *dr = dyn + n * dimg + oh * Wo * 16;
            for (int64_t ow = 0; ow < Wo; ow++) {
                const __m256 dv = _mm256_loadu_ps(dr + ow * 16);
                UNROLL
                for (int i = 0; i < I; i++) {
                    const float *xi = xr + i * Wp + ow;
                    UNROLL
                    for (int j = 0; j < J; j++) {
                        acc[i][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(xi + j), dv, acc[i][j]);
                    }
                }
            }
        }
    }
    UNROLL
    for (int i = 0; i < I; i++) {
        UNROLL
        for (int j = 0; j < J; j++) {
            float *p = acc16 + (i * J + j) * 16;
            _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[i][j]));
        }
    }
}

#define CW_FN(i, j)                                                                                  \
    static AVX2 NO_PCOM void cw_##i##_##j(const float *dyn, int64_t dimg, const float *x, int64_t img, \
                                          int64_t Wp, int64_t nb, int64_t Ho, int64_t Wo, float *acc16) \
    {                                                                                                \
        cw_tile(i, j, dyn, dimg, x, img, Wp, nb, Ho, Wo, acc16);                                     \
    }
#define CW_ROW(i) CW_FN(i, 1) CW_FN(i, 2) CW_FN(i, 3) CW_FN(i, 4) CW_FN(i, 5) CW_FN(i, 6)
CW_ROW(1) CW_ROW(2)

typedef void (*cw_fn)(const float *, int64_t, const float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                      float *);
#define CW_ENT(i) {cw_##i##_1, cw_##i##_2, cw_##i##_3, cw_##i##_4, cw_##i##_5, cw_##i##_6}
static const cw_fn cw_table[CW_I][CW_J] = {CW_ENT(1), CW_ENT(2)};

AVX2 void tt_conv_avx2_wgrad_cvec(const float *dyn, int64_t dimg, const float *in, int64_t img, int64_t Cin,
                                  int64_t plane, int64_t Wp, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                                  int64_t nb, float *acc16)
{
    for (int h = 0; h < 2; h++) {
        for (int64_t c = 0; c < Cin; c++) {
            for (int64_t i0 = 0; i0 < kh; i0 += CW_I) {
                const int ib = (int)(kh - i0 < CW_I ? kh - i0 : CW_I);
                cw_table[ib - 1][kw - 1](dyn + 8 * h, dimg, in + c * plane + i0 * Wp, img, Wp, nb, Ho, Wo,
                                         acc16 + (c * kh + i0) * kw * 16 + 8 * h);
            }
        }
    }
}

/* ---- dy into the padded buffer ------------------------------------------------------------------ */

AVX2 float tt_conv_avx2_gather(const float *gy, const float *y, int relu, int64_t Ho, int64_t Wo, float *dst,
                               int64_t Wd)
{
    __m256 sum = _mm256_setzero_ps();
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t oh = 0; oh < Ho; oh++) {
        for (int64_t ow = 0; ow < Wo; ow += 8) {
            const __m256i m = lanes(Wo - ow);
            __m256 g = _mm256_maskload_ps(gy + oh * Wo + ow, m);
            if (relu) {
                const __m256 pos = _mm256_cmp_ps(_mm256_maskload_ps(y + oh * Wo + ow, m), zero, _CMP_GT_OQ);
                g = _mm256_and_ps(g, pos);
            }
            _mm256_maskstore_ps(dst + oh * Wd + ow, m, g);
            sum = _mm256_add_ps(sum, g);
        }
    }
    return hsum(sum);
}

/* ---- 2x2 / stride-2 max pool ---------------------------------------------------------------------
 * pool.c's rule lane for lane (ties to the left, then to the top; NaN never wins), 8 outputs per
 * step: the two rows' 16 inputs are split into even and odd columns with a shuffle and a permute;
 * the winner codes are packed to bytes with one byte shuffle. Backward writes every cell of gx (the
 * winner's gradient or 0), as pool_avx512.c, and reads the codes 8 bytes at a time (the code buffer
 * has 16 bytes of slack). */

INL void even_odd(const float *p, __m256i m0, __m256i m1, __m256 *ev, __m256 *od)
{
    const __m256 lo = _mm256_maskload_ps(p, m0), hi = _mm256_maskload_ps(p + 8, m1);
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)); /* lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6 */
    const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    *ev = _mm256_permutevar8x32_ps(e, order);
    *od = _mm256_permutevar8x32_ps(o, order);
}

AVX2 void tt_pool_avx2_max2x2(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                              float *y, uint8_t *code)
{
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *r0 = x + (pl * H + 2 * oh) * W, *r1 = r0 + W;
            float *yr = y + (pl * Ho + oh) * Wo;
            uint8_t *cr = code ? code + (pl * Ho + oh) * Wo : NULL;
            for (int64_t ow = 0; ow < Wo; ow += 8) {
                const int64_t cnt = Wo - ow < 8 ? Wo - ow : 8;
                const __m256i m0 = lanes(2 * cnt), m1 = lanes(2 * cnt - 8);
                __m256 a, b, c, e;
                even_odd(r0 + 2 * ow, m0, m1, &a, &b);
                even_odd(r1 + 2 * ow, m0, m1, &c, &e);
                const __m256 top = _mm256_cmp_ps(b, a, _CMP_GT_OQ), bot = _mm256_cmp_ps(e, c, _CMP_GT_OQ);
                const __m256 mt = _mm256_blendv_ps(a, b, top), mb = _mm256_blendv_ps(c, e, bot);
                const __m256 down = _mm256_cmp_ps(mb, mt, _CMP_GT_OQ);
                _mm256_maskstore_ps(yr + ow, lanes(cnt), _mm256_blendv_ps(mt, mb, down));
                if (cr) { /* code = down ? 2 + bot : top, one byte per lane */
                    const __m256i one = _mm256_set1_epi32(1);
                    const __m256i ct = _mm256_and_si256(_mm256_castps_si256(top), one);
                    const __m256i cb = _mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(bot), one),
                                                       _mm256_set1_epi32(2));
                    const __m256i c = _mm256_castps_si256(
                        _mm256_blendv_ps(_mm256_castsi256_ps(ct), _mm256_castsi256_ps(cb), down));
                    /* the low byte of each 32-bit lane into the low 4 bytes of each 128-bit half */
                    const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                            -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                                            -1, -1, -1, -1);
                    const __m256i b = _mm256_shuffle_epi8(c, gather);
                    /* one 64-bit value, not two 32-bit stores read back as one (a failed store forward) */
                    const uint64_t w = (uint64_t)(uint32_t)_mm256_extract_epi32(b, 0) |
                                       (uint64_t)(uint32_t)_mm256_extract_epi32(b, 4) << 32;
                    if (cnt == 8) {
                        memcpy(cr + ow, &w, 8);
                    } else {
                        for (int64_t t = 0; t < cnt; t++) {
                            cr[ow + t] = (uint8_t)(w >> (8 * t));
                        }
                    }
                }
            }
        }
    }
}

AVX2 float tt_pool_avx2_max2x2_backward(const float *gy, const uint8_t *code, const float *pos, int64_t planes,
                                        int64_t H, int64_t W, int64_t Ho, int64_t Wo, float *gx, int64_t gplane,
                                        int64_t grow)
{
    __m256 sum = _mm256_setzero_ps();
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            float *g0 = gx + pl * gplane + 2 * oh * grow, *g1 = g0 + grow;
            const float *gr = gy + (pl * Ho + oh) * Wo;
            const uint8_t *cr = code + (pl * Ho + oh) * Wo;
            for (int64_t ow = 0; ow < Wo; ow += 8) {
                const int64_t cnt = Wo - ow < 8 ? Wo - ow : 8;
                const __m256i m = lanes(cnt);
                __m256 g = _mm256_maskload_ps(gr + ow, m);
                if (pos) { /* a ReLU before the pool: no gradient where the window's max is <= 0 */
                    g = _mm256_and_ps(g, _mm256_cmp_ps(_mm256_maskload_ps(pos + (pl * Ho + oh) * Wo + ow, m), zero,
                                                       _CMP_GT_OQ));
                }
                sum = _mm256_add_ps(sum, g);
                /* 8 code bytes even at the end of a row: the buffer has 16 bytes of slack, and the
                 * lanes past cnt have g = 0 */
                const __m256i k = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(cr + ow)));
                const __m256 tl = _mm256_and_ps(g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(0))));
                const __m256 tr = _mm256_and_ps(g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(1))));
                const __m256 bl = _mm256_and_ps(g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(2))));
                const __m256 br = _mm256_and_ps(g, _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(3))));
                /* interleave p, q into p0 q0 p1 q1 ...: unpack within 128-bit halves, then swap halves */
                const __m256 t0 = _mm256_unpacklo_ps(tl, tr), t1 = _mm256_unpackhi_ps(tl, tr);
                const __m256 u0 = _mm256_unpacklo_ps(bl, br), u1 = _mm256_unpackhi_ps(bl, br);
                const __m256i m0 = lanes(2 * cnt), m1 = lanes(2 * cnt - 8);
                float *p0 = g0 + 2 * ow, *p1 = g1 + 2 * ow;
                _mm256_maskstore_ps(p0, m0, _mm256_permute2f128_ps(t0, t1, 0x20));
                _mm256_maskstore_ps(p0 + 8, m1, _mm256_permute2f128_ps(t0, t1, 0x31));
                _mm256_maskstore_ps(p1, m0, _mm256_permute2f128_ps(u0, u1, 0x20));
                _mm256_maskstore_ps(p1 + 8, m1, _mm256_permute2f128_ps(u0, u1, 0x31));
            }
            for (int64_t w = 2 * Wo; w < W; w++) { /* odd width: the last column is in no window */
                g0[w] = g1[w] = 0.0f;
            }
        }
        if (2 * Ho < H) { /* odd height: neither is the last row */
            memset(gx + pl * gplane + 2 * Ho * grow, 0, (size_t)W * sizeof(float));
        }
    }
    return hsum(sum);
}

#else
typedef int tt_conv_avx2_unused; /* ISO C forbids an empty translation unit */
#endif
