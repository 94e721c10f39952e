/* conv2d_avx512.c - AVX-512 kernels for stride-1 convolutions (x86-64 only, chosen at run time).
 *
 * Both kernels are the im2col product with the im2col left implicit: the column of output pixel
 * (oh, ow) for weight (c, i, j) is in[c, oh + i, ow + j], so 16 neighbouring pixels of a row read 16
 * neighbouring floats of a padded input row, one unaligned load. No column matrix is written.
 *
 * tt_conv_avx512_planes (forward, and the input gradient as a "full" convolution): a register tile
 * of CB output channels x NV row vectors (<= 6 x 4, or 3 x 8, = 24 zmm accumulators); per weight
 * (c, i, j): CB broadcasts of the weight, NV loads of input (each kept in a register for its CB
 * FMAs), CB*NV FMAs. The epilogue adds the bias, applies ReLU
 * and stores with a lane mask at the end of a row (or adds into the output).
 *
 * tt_conv_avx512_wgrad (weight gradient): for one (c, i), a tile of CB output channels x JB
 * horizontal taps j (<= 4 x 5 = 20 accumulators) runs over every row vector of a chunk of images:
 * CB loads of dy, JB loads of input, CB*JB FMAs. Each lane keeps its own partial sum; the 16 lanes are
 * added into acc16 once per chunk (the caller sums them at the end).
 *
 * For short rows the same sums run with output channels in the lanes (tt_conv_avx512_planes_cvec,
 * _wgrad_cvec, _dx_cvec), and from a batch of 16 images the input gradient runs with images in the
 * lanes (tt_conv_avx512_dx_nvec); each section below says how.
 *
 * Contract and layouts: conv_internal.h.
 */
#include "conv_internal.h"

#ifdef TT_CONV_X86
#include <immintrin.h>
#include <string.h>

#include "../common/transpose16.h"

#define INL static inline __attribute__((always_inline, target("avx512f")))
#define AVX512 __attribute__((target("avx512f")))
/* GCC's predictive commoning sees that pixel t's input at tap j is pixel t+1's at tap j-1 and keeps
 * the floats in registers across taps, spilling them: the broadcast-from-memory FMAs of the
 * channel-lane kernels become scalar loads, register broadcasts and stack traffic (2x slower). */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_PCOM __attribute__((optimize("no-predictive-commoning")))
#else
#define NO_PCOM
#endif
/* The tile loops must be fully unrolled so that the accumulator arrays live in registers (tile sizes
 * are constants once a tile function is instantiated). GCC needs to be told; clang unrolls most of
 * them by itself (and its plain "unroll" pragma fails on some), but not the 5x5 nest of cw_tile. */
#if defined(__clang__)
#define UNROLL
#define UNROLL_FULL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 16")
#define UNROLL_FULL _Pragma("GCC unroll 16")
#else
#define UNROLL
#define UNROLL_FULL
#endif

/* Forward tiles: up to 6 channels x 4 row vectors; tiles of 1-3 channels (a conv with few output
 * channels, as after pruning) take up to 8 row vectors, so that each input vector loaded feeds as
 * many FMAs as possible (3 x 8 = 24 accumulators, like 6 x 4). */
enum { FWD_CB = 6, FWD_NV = 8, FWD_NV_WIDE_CB = 3, WG_CB = 4, WG_JB = 5 };
static inline int fwd_nv_max(int cb) { return cb <= FWD_NV_WIDE_CB ? FWD_NV : 4; }

/* ---- forward / full convolution ---------------------------------------------------------------- */

INL void fwd_tile(const int CB, const int NV, const float *in, int64_t Cin, int64_t plane, int64_t Wp,
                  const float *w, int64_t wco, int64_t i0, int64_t i1, int64_t kh, int64_t kw,
                  const int64_t *ioff, float *out,
                  int64_t oplane, const int64_t *ooff, const __mmask16 *mask, const float *bias, int relu,
                  int accumulate)
{
    __m512 acc[FWD_CB][FWD_NV];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int r = 0; r < NV; r++) {
            acc[a][r] = _mm512_setzero_ps();
        }
    }
    for (int64_t c = 0; c < Cin; c++) {
        for (int64_t i = i0; i < i1; i++) {
            const float *ir = in + c * plane + i * Wp;
            const float *wr = w + (c * kh + i) * kw;
            const float *p[FWD_NV];
            UNROLL
            for (int r = 0; r < NV; r++) {
                p[r] = ir + ioff[r];
            }
            for (int64_t j = 0; j < kw; j++) {
                /* the CB weights first, then each input vector loaded once for its CB FMAs:
                 * CB + CB * NV + 1 registers (31 at 6 x 4, 28 at 3 x 8), so no input vector is
                 * reloaded as a memory operand of each FMA (GCC folds it into every FMA
                 * otherwise: CB loads per vector, and the loads, not the FMAs, set the pace) */
                __m512 wv[FWD_CB];
                UNROLL
                for (int a = 0; a < CB; a++) {
                    wv[a] = _mm512_set1_ps(wr[a * wco + j]);
                }
                UNROLL
                for (int r = 0; r < NV; r++) {
                    __m512 xv = _mm512_loadu_ps(p[r] + j);
                    KEEP_IN_REG(xv);
                    UNROLL
                    for (int a = 0; a < CB; a++) {
                        acc[a][r] = _mm512_fmadd_ps(wv[a], xv, acc[a][r]);
                    }
                }
            }
        }
    }
    if (accumulate) {
        /* every load before any store: a load overlapping the masked-off tail of a store still in
         * flight (the next row starts Wo floats on) cannot be forwarded and waits for it */
        __m512 old[FWD_CB][FWD_NV];
        UNROLL
        for (int a = 0; a < CB; a++) {
            UNROLL
            for (int r = 0; r < NV; r++) {
                old[a][r] = _mm512_maskz_loadu_ps(mask[r], out + a * oplane + ooff[r]);
            }
        }
        UNROLL
        for (int a = 0; a < CB; a++) {
            UNROLL
            for (int r = 0; r < NV; r++) {
                _mm512_mask_storeu_ps(out + a * oplane + ooff[r], mask[r], _mm512_add_ps(acc[a][r], old[a][r]));
            }
        }
        return;
    }
    const __m512 zero = _mm512_setzero_ps();
    UNROLL
    for (int a = 0; a < CB; a++) {
        const __m512 bv = bias ? _mm512_set1_ps(bias[a]) : zero;
        UNROLL
        for (int r = 0; r < NV; r++) {
            __m512 v = _mm512_add_ps(acc[a][r], bv);
            if (relu) {
                v = _mm512_max_ps(v, zero);
            }
            _mm512_mask_storeu_ps(out + a * oplane + ooff[r], mask[r], v);
        }
    }
}

#define FWD_FN(cb, nv)                                                                               \
    static AVX512 void fwd_##cb##_##nv(const float *in, int64_t Cin, int64_t plane, int64_t Wp,      \
                                       const float *w, int64_t wco, int64_t i0, int64_t i1,          \
                                       int64_t kh, int64_t kw, const int64_t *ioff, float *out,      \
                                       int64_t oplane,                                               \
                                       const int64_t *ooff, const __mmask16 *mask, const float *bias, \
                                       int relu, int accumulate)                                     \
    {                                                                                                \
        fwd_tile(cb, nv, in, Cin, plane, Wp, w, wco, i0, i1, kh, kw, ioff, out, oplane, ooff, mask,  \
                 bias, relu, accumulate);                                                            \
    }
#define FWD_ROW(cb) FWD_FN(cb, 1) FWD_FN(cb, 2) FWD_FN(cb, 3) FWD_FN(cb, 4)
#define FWD_ROW8(cb) FWD_ROW(cb) FWD_FN(cb, 5) FWD_FN(cb, 6) FWD_FN(cb, 7) FWD_FN(cb, 8)
FWD_ROW8(1) FWD_ROW8(2) FWD_ROW8(3) FWD_ROW(4) FWD_ROW(5) FWD_ROW(6)

typedef void (*fwd_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t,
                       int64_t, int64_t, int64_t, const int64_t *, float *, int64_t, const int64_t *, const __mmask16 *,
                       const float *, int, int);
#define FWD_ENT(cb) {fwd_##cb##_1, fwd_##cb##_2, fwd_##cb##_3, fwd_##cb##_4}
#define FWD_ENT8(cb) {fwd_##cb##_1, fwd_##cb##_2, fwd_##cb##_3, fwd_##cb##_4, \
                      fwd_##cb##_5, fwd_##cb##_6, fwd_##cb##_7, fwd_##cb##_8}
static const fwd_fn fwd_table[FWD_CB][FWD_NV] = {FWD_ENT8(1), FWD_ENT8(2), FWD_ENT8(3),
                                                 FWD_ENT(4), FWD_ENT(5), FWD_ENT(6)};

AVX512 void tt_conv_avx512_planes(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                                  int64_t rhi, const float *w, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho,
                                  int64_t Wo, const float *bias, int relu, int accumulate, float *out)
{
    const int64_t V = tt_conv_row_vecs(Wo), nvec = Ho * V, wco = Cin * kh * kw, oplane = Ho * Wo;
    for (int64_t co0 = 0; co0 < Cout; co0 += FWD_CB) {
        const int cb = (int)(Cout - co0 < FWD_CB ? Cout - co0 : FWD_CB), nvm = fwd_nv_max(cb);
        for (int64_t q0 = 0; q0 < nvec; q0 += nvm) {
            const int nv = (int)(nvec - q0 < nvm ? nvec - q0 : nvm);
            int64_t ioff[FWD_NV], ooff[FWD_NV];
            __mmask16 mask[FWD_NV];
            UNROLL
            for (int r = 0; r < nv; r++) {
                const int64_t oh = (q0 + r) / V, col = 16 * ((q0 + r) % V);
                const int64_t lanes = Wo - col < 16 ? Wo - col : 16;
                ioff[r] = oh * Wp + col;
                ooff[r] = oh * Wo + col;
                mask[r] = (__mmask16)((1u << lanes) - 1u);
            }
            /* kernel rows i that reach a nonzero input row r = oh + i (rlo <= r < rhi) for some row
             * oh of the tile; the others would only multiply zeros */
            const int64_t oh_lo = q0 / V, oh_hi = (q0 + nv - 1) / V;
            int64_t i0 = rlo - oh_hi, i1 = rhi - oh_lo;
            i0 = i0 < 0 ? 0 : i0;
            i1 = i1 > kh ? kh : i1;
            if (i1 <= i0 && !accumulate) {
                i0 = i1 = 0; /* all zero: the epilogue still stores bias / ReLU */
            } else if (i1 <= i0) {
                continue;
            }
            fwd_table[cb - 1][nv - 1](in, Cin, plane, Wp, w + co0 * wco, wco, i0, i1, kh, kw, ioff,
                                      out + co0 * oplane, oplane, ooff, mask, bias ? bias + co0 : NULL,
                                      relu, accumulate);
        }
    }
}

/* ---- input gradient, output channels in the lanes ------------------------------------------------ */

/* The 16-lane sums of a, b, c, d in lanes 0, 4, 8 and 12 (halves, then quarters, then within each
 * 128-bit quarter: 6 shuffles and 5 adds for four sums). */
INL __m512 hsum4(__m512 a, __m512 b, __m512 c, __m512 d)
{
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
    q = _mm512_add_ps(q, _mm512_permute_ps(q, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm512_add_ps(q, _mm512_permute_ps(q, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* CB input channels x NP neighbouring pixels of one row of dx: 16 output channels per FMA in the
 * lanes, one 16-lane sum per output at the end. Tap (i, j) of pixel t reads dyp's row rbase - i,
 * column cbase + t - j. */
INL void dxc_tile(const int CB, const int NP, const float *dyp, int64_t Wp2, const float *wl, int64_t kh,
                  int64_t kw, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t rbase, int64_t cbase,
                  float *dx, int64_t dplane, int accumulate)
{
    __m512 acc[FWD_CB][4];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int t = 0; t < NP; t++) {
            acc[a][t] = _mm512_setzero_ps();
        }
    }
    for (int64_t i = i0; i < i1; i++) {
        const float *row = dyp + (rbase - i) * Wp2 * 16;
        for (int64_t j = j0; j < j1; j++) {
            const float *px = row + (cbase - j) * 16;
            __m512 wv[FWD_CB];
            UNROLL
            for (int a = 0; a < CB; a++) {
                wv[a] = _mm512_loadu_ps(wl + ((a * kh + i) * kw + j) * 16);
            }
            UNROLL
            for (int t = 0; t < NP; t++) {
                __m512 xv = _mm512_loadu_ps(px + t * 16);
                KEEP_IN_REG(xv);
                UNROLL
                for (int a = 0; a < CB; a++) {
                    acc[a][t] = _mm512_fmadd_ps(wv[a], xv, acc[a][t]);
                }
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    const __mmask16 m = (__mmask16)((1u << NP) - 1u), spread = (__mmask16)(0x1111u & ((1u << (4 * NP)) - 1u));
    UNROLL
    for (int a = 0; a < CB; a++) {
        __m512 v = _mm512_maskz_compress_ps(spread, hsum4(acc[a][0], NP > 1 ? acc[a][1] : zero,
                                                          NP > 2 ? acc[a][2] : zero, NP > 3 ? acc[a][3] : zero));
        float *o = dx + a * dplane;
        if (accumulate) {
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, o));
        }
        _mm512_mask_storeu_ps(o, m, v);
    }
}

#define DXC_FN(cb, np)                                                                                  \
    static AVX512 void dxc_##cb##_##np(const float *dyp, int64_t Wp2, const float *wl, int64_t kh,      \
                                       int64_t kw, int64_t i0, int64_t i1, int64_t j0, int64_t j1,      \
                                       int64_t rbase, int64_t cbase, float *dx, int64_t dplane,         \
                                       int accumulate)                                                  \
    {                                                                                                   \
        dxc_tile(cb, np, dyp, Wp2, wl, kh, kw, i0, i1, j0, j1, rbase, cbase, dx, dplane, accumulate);   \
    }
#define DXC_ROW(cb) DXC_FN(cb, 1) DXC_FN(cb, 2) DXC_FN(cb, 3) DXC_FN(cb, 4)
DXC_ROW(1) DXC_ROW(2) DXC_ROW(3) DXC_ROW(4) DXC_ROW(5) DXC_ROW(6)
typedef void (*dxc_fn)(const float *, int64_t, const float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, float *, int64_t, int);
#define DXC_ENT(cb) {dxc_##cb##_1, dxc_##cb##_2, dxc_##cb##_3, dxc_##cb##_4}
static const dxc_fn dxc_table[FWD_CB][4] = {DXC_ENT(1), DXC_ENT(2), DXC_ENT(3),
                                            DXC_ENT(4), DXC_ENT(5), DXC_ENT(6)};

AVX512 void tt_conv_avx512_dx_cvec(const float *dyp, int64_t Wp2, const float *wl, int64_t C, int64_t kh,
                                   int64_t kw, int64_t ph, int64_t pw, int64_t Ho, int64_t Wo, int64_t H,
                                   int64_t W, int accumulate, float *dx)
{
    for (int64_t c0 = 0; c0 < C; c0 += FWD_CB) {
        const int cb = (int)(C - c0 < FWD_CB ? C - c0 : FWD_CB);
        for (int64_t h = 0; h < H; h++) {
            /* kernel rows that reach a row of dy: oh = h + ph - i in [0, Ho) */
            const int64_t i0 = h + ph - Ho + 1 > 0 ? h + ph - Ho + 1 : 0, i1 = h + ph + 1 < kh ? h + ph + 1 : kh;
            for (int64_t w0 = 0; w0 < W; w0 += 4) {
                const int np = (int)(W - w0 < 4 ? W - w0 : 4);
                /* kernel columns that reach a column of dy for some pixel of the block */
                const int64_t j0 = w0 + pw - Wo + 1 > 0 ? w0 + pw - Wo + 1 : 0;
                const int64_t j1 = w0 + np + pw < kw ? w0 + np + pw : kw;
                float *o = dx + (c0 * H + h) * W + w0;
                if (i1 <= i0 || j1 <= j0) { /* no tap meets dy: nothing to add */
                    for (int a = 0; !accumulate && a < cb; a++) {
                        memset(o + a * H * W, 0, (size_t)np * sizeof(float));
                    }
                    continue;
                }
                dxc_table[cb - 1][np - 1](dyp, Wp2, wl + c0 * kh * kw * 16, kh, kw, i0, i1, j0, j1, h + ph,
                                          w0 + pw + kw - 1, o, H * W, accumulate);
            }
        }
    }
}

/* ---- input gradient, images in the lanes -------------------------------------------------------
 *
 * The same sums with 16 images in the lanes: dx[n, c, h, w] for 16 images n is one accumulator, and
 * each term is a broadcast weight times a vector of 16 images' dy at one (oh, ow, co). Every pixel
 * takes exactly its own taps (no zero columns at a row's ends) and no lane is ever summed, at the
 * price of two transposes: dy into [pixel][co][group][16 images] on the way in, dx back to the
 * images' planes on the way out (16 x 16 blocks, tt__transpose16). Tile: CB input channels x G
 * groups of 16 images (<= 6 x 4 = 24 accumulators) for one dx pixel; per (i, j, co): G loads of
 * dy, CB broadcasts of a weight, CB*G FMAs. */

enum { DXN_CB = 6, DXN_G = 4 };

INL void dxn_tile(const int CB, const int G, const float *dyt, int64_t Cout, int64_t Wo, const float *wt,
                  int64_t C, int64_t kw, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t ohb, int64_t owb,
                  float *out)
{
    __m512 acc[DXN_CB][DXN_G];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int g = 0; g < G; g++) {
            acc[a][g] = _mm512_setzero_ps();
        }
    }
    for (int64_t i = i0; i < i1; i++) {
        for (int64_t j = j0; j < j1; j++) {
            const float *dv = dyt + ((ohb - i) * Wo + owb - j) * Cout * G * 16;
            const float *wv = wt + (i * kw + j) * Cout * C;
            for (int64_t co = 0; co < Cout; co++) {
                __m512 yv[DXN_G];
                UNROLL
                for (int g = 0; g < G; g++) {
                    yv[g] = _mm512_loadu_ps(dv + (co * G + g) * 16);
                    KEEP_IN_REG(yv[g]);
                }
                UNROLL
                for (int a = 0; a < CB; a++) {
                    const __m512 b = _mm512_set1_ps(wv[co * C + a]);
                    UNROLL
                    for (int g = 0; g < G; g++) {
                        acc[a][g] = _mm512_fmadd_ps(b, yv[g], acc[a][g]);
                    }
                }
            }
        }
    }
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int g = 0; g < G; g++) {
            _mm512_storeu_ps(out + (a * G + g) * 16, acc[a][g]);
        }
    }
}

#define DXN_FN(cb, g)                                                                                   \
    static AVX512 NO_PCOM void dxn_##cb##_##g(const float *dyt, int64_t Cout, int64_t Wo, const float *wt,   \
                                              int64_t C, int64_t kw, int64_t i0, int64_t i1, int64_t j0,     \
                                              int64_t j1, int64_t ohb, int64_t owb, float *out)              \
    {                                                                                                   \
        dxn_tile(cb, g, dyt, Cout, Wo, wt, C, kw, i0, i1, j0, j1, ohb, owb, out);                       \
    }
#define DXN_ROW(cb) DXN_FN(cb, 1) DXN_FN(cb, 2) DXN_FN(cb, 3) DXN_FN(cb, 4)
DXN_ROW(1) DXN_ROW(2) DXN_ROW(3) DXN_ROW(4) DXN_ROW(5) DXN_ROW(6)
typedef void (*dxn_fn)(const float *, int64_t, int64_t, const float *, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, int64_t, float *);
#define DXN_ENT(cb) {dxn_##cb##_1, dxn_##cb##_2, dxn_##cb##_3, dxn_##cb##_4}
static const dxn_fn dxn_table[DXN_CB][DXN_G] = {DXN_ENT(1), DXN_ENT(2), DXN_ENT(3),
                                                DXN_ENT(4), DXN_ENT(5), DXN_ENT(6)};

int64_t tt_conv_avx512_dx_nvec_work(int64_t Cout, int64_t Ho, int64_t Wo)
{
    return Ho * Wo * Cout * DXN_G * 16 + 16 * DXN_CB * DXN_G * 16;
}

AVX512 void tt_conv_avx512_dx_nvec(const float *dyn, int64_t m, const float *wt, int64_t C, int64_t Cout,
                                   int64_t kh, int64_t kw, int64_t ph, int64_t pw, int64_t Ho, int64_t Wo,
                                   int64_t H, int64_t W, int accumulate, float *dx, float *work)
{
    const int64_t P = Ho * Wo, HW = H * W;
    float *dyt = work, *blk = work + P * Cout * DXN_G * 16;
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t s0 = 0; s0 < m; s0 += 16 * DXN_G) {
        const int64_t ms = m - s0 < 16 * DXN_G ? m - s0 : 16 * DXN_G;
        const int G = (int)((ms + 15) / 16);
        /* dy of these images: dyt[((p*Cout + co)*G + g)*16 + l] = dyn[(s0 + 16g + l)*P*16 + p*16 + co] */
        for (int g = 0; g < G; g++) {
            const int64_t ng = ms - 16 * g < 16 ? ms - 16 * g : 16;
            const float *src = dyn + (s0 + 16 * g) * P * 16;
            for (int64_t p = 0; p < P; p++) {
                __m512 r[16];
                UNROLL
                for (int k = 0; k < 16; k++) {
                    r[k] = k < ng ? _mm512_loadu_ps(src + (k * P + p) * 16) : zero;
                }
                tt__transpose16(r);
                UNROLL
                for (int co = 0; co < 16; co++) { /* constant indices: r stays in registers */
                    if (co < Cout) {
                        _mm512_storeu_ps(dyt + ((p * Cout + co) * G + g) * 16, r[co]);
                    }
                }
            }
        }
        for (int64_t c0 = 0; c0 < C; c0 += DXN_CB) {
            const int cb = (int)(C - c0 < DXN_CB ? C - c0 : DXN_CB);
            for (int64_t p0 = 0; p0 < HW; p0 += 16) {
                const int np = (int)(HW - p0 < 16 ? HW - p0 : 16);
                for (int q = 0; q < np; q++) {
                    const int64_t h = (p0 + q) / W, w = (p0 + q) % W;
                    /* the taps that meet dy: oh = h + ph - i in [0, Ho), ow = w + pw - j in [0, Wo) */
                    const int64_t i0 = h + ph - Ho + 1 > 0 ? h + ph - Ho + 1 : 0, i1 = h + ph + 1 < kh ? h + ph + 1 : kh;
                    const int64_t j0 = w + pw - Wo + 1 > 0 ? w + pw - Wo + 1 : 0, j1 = w + pw + 1 < kw ? w + pw + 1 : kw;
                    float *o = blk + q * cb * G * 16;
                    if (i1 <= i0 || j1 <= j0) {
                        memset(o, 0, (size_t)(cb * G * 16) * sizeof(float));
                        continue;
                    }
                    dxn_table[cb - 1][G - 1](dyt, Cout, Wo, wt + c0, C, kw, i0, i1, j0, j1, h + ph, w + pw, o);
                }
                /* back to the planes: for each channel and group, [16 pixels][16 images] turned around */
                const __mmask16 pm = (__mmask16)(np == 16 ? 0xFFFFu : (1u << np) - 1u);
                for (int a = 0; a < cb; a++) {
                    for (int g = 0; g < G; g++) {
                        __m512 r[16];
                        UNROLL
                        for (int q = 0; q < 16; q++) {
                            r[q] = q < np ? _mm512_loadu_ps(blk + ((q * cb + a) * G + g) * 16) : zero;
                        }
                        tt__transpose16(r);
                        const int64_t ng = ms - 16 * g < 16 ? ms - 16 * g : 16;
                        UNROLL
                        for (int k = 0; k < 16; k++) {
                            if (k < ng) {
                                float *dst = dx + (s0 + 16 * g + k) * C * HW + (c0 + a) * HW + p0;
                                __m512 v = r[k];
                                if (accumulate) {
                                    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(pm, dst));
                                }
                                _mm512_mask_storeu_ps(dst, pm, v);
                            }
                        }
                    }
                }
            }
        }
    }
}

/* ---- weight gradient --------------------------------------------------------------------------- */

INL void wg_tile(const int CB, const int JB, const float *dy, int64_t dimg, int64_t dplane, int64_t dWp,
                 const float *in, int64_t img, int64_t Wp, int64_t nb, int64_t Ho, int64_t V, float *acc16,
                 int64_t astride)
{
    __m512 acc[WG_CB][WG_JB];
    UNROLL
    for (int a = 0; a < CB; a++) {
        UNROLL
        for (int j = 0; j < JB; j++) {
            acc[a][j] = _mm512_setzero_ps();
        }
    }
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *xr = in + n * img + oh * Wp;
            const float *dr = dy + n * dimg + oh * dWp;
            for (int64_t v = 0; v < V; v++) {
                __m512 xv[WG_JB];
                UNROLL
                for (int j = 0; j < JB; j++) {
                    xv[j] = _mm512_loadu_ps(xr + 16 * v + j);
                    KEEP_IN_REG(xv[j]); /* JB loads, not CB * JB folded into the FMAs */
                }
                UNROLL
                for (int a = 0; a < CB; a++) {
                    __m512 dv = _mm512_loadu_ps(dr + a * dplane + 16 * v);
                    KEEP_IN_REG(dv); /* and one load of dy, not JB */
                    UNROLL
                    for (int j = 0; j < JB; j++) {
                        acc[a][j] = _mm512_fmadd_ps(dv, xv[j], acc[a][j]);
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
            _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[a][j]));
        }
    }
}

#define WG_FN(cb, jb)                                                                                \
    static AVX512 void wg_##cb##_##jb(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp,    \
                                      const float *in, int64_t img, int64_t Wp, int64_t nb,          \
                                      int64_t Ho, int64_t V, float *acc16, int64_t astride)          \
    {                                                                                                \
        wg_tile(cb, jb, dy, dimg, dplane, dWp, in, img, Wp, nb, Ho, V, acc16, astride);              \
    }
#define WG_ROW(cb) WG_FN(cb, 1) WG_FN(cb, 2) WG_FN(cb, 3) WG_FN(cb, 4) WG_FN(cb, 5)
WG_ROW(1) WG_ROW(2) WG_ROW(3) WG_ROW(4)

typedef void (*wg_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t,
                      int64_t, int64_t, float *, int64_t);
#define WG_ENT(cb) {wg_##cb##_1, wg_##cb##_2, wg_##cb##_3, wg_##cb##_4, wg_##cb##_5}
static const wg_fn wg_table[WG_CB][WG_JB] = {WG_ENT(1), WG_ENT(2), WG_ENT(3), WG_ENT(4)};

AVX512 void tt_conv_avx512_wgrad(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp, const float *in,
                                 int64_t img, int64_t Cin, int64_t plane, int64_t Wp, int64_t Cout,
                                 int64_t kh, int64_t kw, int64_t Ho, int64_t Wo, int64_t nb, float *acc16)
{
    const int64_t V = tt_conv_row_vecs(Wo), astride = Cin * kh * kw * 16;
    for (int64_t co0 = 0; co0 < Cout; co0 += WG_CB) {
        const int cb = (int)(Cout - co0 < WG_CB ? Cout - co0 : WG_CB);
        for (int64_t c = 0; c < Cin; c++) {
            for (int64_t i = 0; i < kh; i++) {
                for (int64_t j0 = 0; j0 < kw; j0 += WG_JB) {
                    const int jb = (int)(kw - j0 < WG_JB ? kw - j0 : WG_JB);
                    wg_table[cb - 1][jb - 1](dy + co0 * dplane, dimg, dplane, dWp,
                                             in + c * plane + i * Wp + j0, img, Wp, nb, Ho, V,
                                             acc16 + (((co0 * Cin + c) * kh + i) * kw + j0) * 16,
                                             astride);
                }
            }
        }
    }
}

/* ---- channels in the lanes: for rows too short to fill a vector ---------------------------------
 *
 * The same products with the roles turned: 16 output channels in the lanes, pixels in registers, the
 * input value broadcast. A row of 10 pixels then costs 10 FMAs per weight vector instead of one
 * 16-lane vector of which 6 lanes are wasted. The broadcasts read the padded input in place (one
 * memory operand per FMA, consecutive pixels at consecutive addresses).
 *
 * Forward tile: RB rows x R pixels (<= 2 x 12); per weight (c, i, j): one load of 16 weights, RB*R
 * broadcast FMAs. Weight gradient tile: I kernel rows x J = kw taps (<= 25) for one input channel;
 * per pixel: one load of 16 output-gradient values, I*J broadcast FMAs; lane l of each accumulator
 * is output channel l, so no lane sums are needed. */

enum { CF_RB = 2, CF_R = 12, CW_I = 5, CW_J = 6 };

INL NO_PCOM void cf_tile(const int RB, const int R, const float *x, int64_t Cin, int64_t plane, int64_t Wp,
                 const float *wv, int64_t i0, int64_t i1, int64_t kh, int64_t kw, float *tile)
{
    __m512 acc[CF_RB][CF_R];
    UNROLL
    for (int r = 0; r < RB; r++) {
        UNROLL
        for (int t = 0; t < R; t++) {
            acc[r][t] = _mm512_setzero_ps();
        }
    }
    for (int64_t c = 0; c < Cin; c++) {
        for (int64_t i = i0; i < i1; i++) {
            const float *x0 = x + c * plane + i * Wp, *x1 = x0 + Wp;
            const float *wr = wv + (c * kh + i) * kw * 16;
            for (int64_t j = 0; j < kw; j++) {
                const __m512 w = _mm512_loadu_ps(wr + j * 16);
                UNROLL
                for (int t = 0; t < R; t++) {
                    acc[0][t] = _mm512_fmadd_ps(_mm512_set1_ps(x0[j + t]), w, acc[0][t]);
                }
                if (RB > 1) {
                    UNROLL
                    for (int t = 0; t < R; t++) {
                        acc[RB - 1][t] = _mm512_fmadd_ps(_mm512_set1_ps(x1[j + t]), w, acc[RB - 1][t]);
                    }
                }
            }
        }
    }
    UNROLL
    for (int r = 0; r < RB; r++) {
        UNROLL
        for (int t = 0; t < R; t++) {
            _mm512_storeu_ps(tile + (r * CF_R + t) * 16, acc[r][t]);
        }
    }
}

#define CF_FN(rb, r)                                                                                 \
    static AVX512 NO_PCOM void cf_##rb##_##r(const float *x, int64_t Cin, int64_t plane, int64_t Wp,         \
                                     const float *wv, int64_t i0, int64_t i1, int64_t kh, int64_t kw, \
                                     float *tile)                                                    \
    {                                                                                                \
        cf_tile(rb, r, x, Cin, plane, Wp, wv, i0, i1, kh, kw, tile);                                 \
    }
#define CF_ROW(rb) CF_FN(rb, 1) CF_FN(rb, 2) CF_FN(rb, 3) CF_FN(rb, 4) CF_FN(rb, 5) CF_FN(rb, 6)      \
    CF_FN(rb, 7) CF_FN(rb, 8) CF_FN(rb, 9) CF_FN(rb, 10) CF_FN(rb, 11) CF_FN(rb, 12)
CF_ROW(1) CF_ROW(2)

typedef void (*cf_fn)(const float *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t, int64_t,
                      int64_t, float *);
#define CF_ENT(rb) {cf_##rb##_1, cf_##rb##_2, cf_##rb##_3, cf_##rb##_4, cf_##rb##_5, cf_##rb##_6,     \
                    cf_##rb##_7, cf_##rb##_8, cf_##rb##_9, cf_##rb##_10, cf_##rb##_11, cf_##rb##_12}
static const cf_fn cf_table[CF_RB][CF_R] = {CF_ENT(1), CF_ENT(2)};

AVX512 void tt_conv_avx512_planes_cvec(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                                       int64_t rhi, const float *wv, int64_t Cout, int64_t kh, int64_t kw,
                                       int64_t Ho, int64_t Wo, const float *bias, int relu, int lanes, float *out)
{
    const int64_t CKK = Cin * kh * kw, P = Ho * Wo;
    float tile[CF_RB * CF_R * 16];
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t co0 = 0; co0 < Cout; co0 += 16) {
        const int64_t cb = Cout - co0 < 16 ? Cout - co0 : 16;
        __m512 bv = zero;
        if (bias) {
            bv = _mm512_maskz_loadu_ps((__mmask16)((1u << cb) - 1u), bias + co0);
        }
        const float *wb = wv + co0 / 16 * CKK * 16;
        for (int64_t oh = 0; oh < Ho; oh += CF_RB) {
            const int rb = (int)(Ho - oh < CF_RB ? Ho - oh : CF_RB);
            int64_t i0 = rlo - (oh + rb - 1), i1 = rhi - oh; /* kernel rows that meet nonzero input */
            i0 = i0 < 0 ? 0 : i0;
            i1 = i1 > kh ? kh : i1;
            if (i1 < i0) {
                i1 = i0;
            }
            for (int64_t ow = 0; ow < Wo; ow += CF_R) {
                const int r = (int)(Wo - ow < CF_R ? Wo - ow : CF_R);
                cf_table[rb - 1][r - 1](in + oh * Wp + ow, Cin, plane, Wp, wb, i0, i1, kh, kw, tile);
                for (int q = 0; q < rb; q++) {
                    float *lane_out = lanes ? out + (co0 / 16 * P + (oh + q) * Wo + ow) * 16 : NULL;
                    for (int t = 0; t < r; t++) {
                        float *tv = tile + (q * CF_R + t) * 16;
                        __m512 v = _mm512_add_ps(_mm512_loadu_ps(tv), bv);
                        if (relu) {
                            v = _mm512_max_ps(v, zero);
                        }
                        _mm512_storeu_ps(lanes ? lane_out + t * 16 : tv, v);
                    }
                    if (lanes) {
                        continue;
                    }
                    /* transpose the tile's pixels x channels into the NCHW planes */
                    for (int64_t co = 0; co < cb; co++) {
                        float *dst = out + (co0 + co) * P + (oh + q) * Wo + ow;
                        for (int t = 0; t < r; t++) {
                            dst[t] = tile[(q * CF_R + t) * 16 + co];
                        }
                    }
                }
            }
        }
    }
}

INL NO_PCOM void cw_tile(const int I, const int J, const float *dyn, int64_t dimg, const float *x, int64_t img,
                 int64_t Wp, int64_t nb, int64_t Ho, int64_t Wo, float *acc16)
{
    __m512 acc[CW_I][CW_J];
    UNROLL_FULL
    for (int i = 0; i < I; i++) {
        UNROLL_FULL
        for (int j = 0; j < J; j++) {
            acc[i][j] = _mm512_setzero_ps();
        }
    }
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *xr = x + n * img + oh * Wp;
            const float *dr = dyn + n * dimg + oh * Wo * 16;
            for (int64_t ow = 0; ow < Wo; ow++) {
                const __m512 dv = _mm512_loadu_ps(dr + ow * 16);
                UNROLL_FULL
                for (int i = 0; i < I; i++) {
                    const float *xi = xr + i * Wp + ow;
                    UNROLL_FULL
                    for (int j = 0; j < J; j++) {
                        acc[i][j] = _mm512_fmadd_ps(_mm512_set1_ps(xi[j]), dv, acc[i][j]);
                    }
                }
            }
        }
    }
    UNROLL_FULL
    for (int i = 0; i < I; i++) {
        UNROLL_FULL
        for (int j = 0; j < J; j++) {
            float *p = acc16 + (i * J + j) * 16;
            _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[i][j]));
        }
    }
}

#define CW_FN(i, j)                                                                                  \
    static AVX512 NO_PCOM void cw_##i##_##j(const float *dyn, int64_t dimg, const float *x, int64_t img,     \
                                    int64_t Wp, int64_t nb, int64_t Ho, int64_t Wo, float *acc16)    \
    {                                                                                                \
        cw_tile(i, j, dyn, dimg, x, img, Wp, nb, Ho, Wo, acc16);                                     \
    }
#define CW_ROW(i) CW_FN(i, 1) CW_FN(i, 2) CW_FN(i, 3) CW_FN(i, 4) CW_FN(i, 5)
CW_ROW(1) CW_ROW(2) CW_ROW(3) CW_ROW(4) CW_ROW(5) CW_FN(1, 6) CW_FN(2, 6) CW_FN(3, 6) CW_FN(4, 6)

typedef void (*cw_fn)(const float *, int64_t, const float *, int64_t, int64_t, int64_t, int64_t, int64_t,
                      float *);
#define CW_ENT(i) {cw_##i##_1, cw_##i##_2, cw_##i##_3, cw_##i##_4, cw_##i##_5, cw_##i##_6}
static const cw_fn cw_table[CW_I][CW_J] = {CW_ENT(1), CW_ENT(2), CW_ENT(3), CW_ENT(4),
                                           {cw_5_1, cw_5_2, cw_5_3, cw_5_4, cw_5_5, NULL}};

AVX512 void tt_conv_avx512_wgrad_cvec(const float *dyn, int64_t dimg, const float *in, int64_t img,
                                      int64_t Cin, int64_t plane, int64_t Wp, int64_t kh, int64_t kw,
                                      int64_t Ho, int64_t Wo, int64_t nb, float *acc16)
{
    const int imax = kw == CW_J ? CW_I - 1 : CW_I; /* at most 25 accumulators */
    for (int64_t c = 0; c < Cin; c++) {
        for (int64_t i0 = 0; i0 < kh; i0 += imax) {
            const int ib = (int)(kh - i0 < imax ? kh - i0 : imax);
            cw_table[ib - 1][kw - 1](dyn, dimg, in + c * plane + i0 * Wp, img, Wp, nb, Ho, Wo,
                                     acc16 + (c * kh + i0) * kw * 16);
        }
    }
}

/* ---- dy into the padded buffer ------------------------------------------------------------------ */

AVX512 float tt_conv_avx512_gather(const float *gy, const float *y, int relu, int64_t Ho, int64_t Wo,
                                   float *dst, int64_t Wd)
{
    __m512 sum = _mm512_setzero_ps();
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t oh = 0; oh < Ho; oh++) {
        for (int64_t ow = 0; ow < Wo; ow += 16) {
            const __mmask16 m = (__mmask16)(Wo - ow >= 16 ? 0xFFFFu : (1u << (Wo - ow)) - 1u);
            __m512 g = _mm512_maskz_loadu_ps(m, gy + oh * Wo + ow);
            if (relu) {
                const __mmask16 pos = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + oh * Wo + ow),
                                                              zero, _CMP_GT_OQ);
                g = _mm512_maskz_mov_ps(pos, g);
            }
            _mm512_mask_storeu_ps(dst + oh * Wd + ow, m, g);
            sum = _mm512_add_ps(sum, g);
        }
    }
    return _mm512_reduce_add_ps(sum);
}

#else
typedef int tt_conv_avx512_unused; /* ISO C forbids an empty translation unit */
#endif
