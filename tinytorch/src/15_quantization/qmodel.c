/* qmodel.c - the quantized model: conversion of a trained float Sequential (calibration included)
 * and int8 inference (module 15).
 *
 * Conversion walks the Sequential once, grouping layers into int8 ops: Conv2d [ReLU] [MaxPool2d(2)]
 * -> one conv op, Linear [ReLU] -> one linear op, and lone ReLU / MaxPool2d(2) / Flatten ops. The
 * float model then runs on the calibration images (no gradient, arena released per batch) and the
 * output of every op is recorded; each op's output range comes from tt_calib_range, its input range is
 * the previous op's output (the model input's own range for the first).
 *
 * Inference, one conv op on one image x [Cin, H, W] (int8, zero point zx): a direct convolution, no
 * im2col copy.
 *   1. xp = x - zx as int16, zero-padded by `padding` (a real 0 quantizes to zx exactly, so padding
 *      with 0 after the subtraction is exact), flattened: position q = (c * Hp + h) * Wp + w;
 *   2. pairs: with an even Cin, xe[c/2][q] = {xp[c][q], xp[c + 1][q]} (channel pairs), else
 *      xe[q] = {xp[q], xp[q + 1]} (each position with its right neighbour);
 *   3. the convolution at stride 1 over the flattened grid, n = oh * Wp + ow: tap (c-pair, i, j) reads
 *      xe[n + (c/2 * Hp + i) * Wp + j] against {w[o,c,i,j], w[o,c+1,i,j]} (or tap (c, i, j-pair) reads
 *      xe[n + (c * Hp + i) * Wp + 2 jp] against {w[o,c,i,2jp], w[o,c,i,2jp+1]}, 0 past the kernel's
 *      width), so every tap is a contiguous row of xe and the product is tt_q8_gemm's kernel with one
 *      row offset per tap: acc[Cout, Ho1 * Wp] (columns ow >= Wout are computed and ignored: the price
 *      of contiguous rows);
 *   4. epilogue per channel c at the outputs (oh * stride, ow * stride): max over the 2x2 window when
 *      pooled, + bias[c], requantized with multiplier[c] / shift[c], + zp_out, clamped to
 *      [relu ? zp_out : -128, 127].
 * A depthwise conv op (one kh x kw filter per channel) runs tt_q8_depthwise into acc [C, Ho, Wo] and
 * the same epilogue. A global average pool sums each channel's int8 values and divides by H * W,
 * rounding half away from zero (input and output share scale and zero point, so no requantization).
 * A linear op widens its batch of inputs to int16 (x - zx) and runs one product against the weight
 * packed at load time. Every buffer lives in the model's scratch, grown only when the batch grows.
 */
#define _POSIX_C_SOURCE 200809L
/* The widening, pairing and epilogue loops are written for the auto-vectoriser; gcc's -O2 cost model
 * leaves them scalar, so this file asks for -O3 (clang vectorises them at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "tinytorch/quant.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"
#include "q8_internal.h"
#include "quant_internal.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/* ---- derived data and shapes ---------------------------------------------------------------------- */


bool tt_qlayer_depthwise(const tt_qlayer *l) { return l->kind == TT_QOP_CONV && l->groups > 1; }

int64_t tt_qlayer_k(const tt_qlayer *l)
{
    return (tt_qlayer_depthwise(l) ? 1 : l->cin) * l->kh * l->kw;
}

void tt_qlayer_free_derived(tt_qlayer *l)
{
    free(l->wa);
    free(l->wb);
    free(l->boff);
    free(l->qoff);
    free(l->wq);
    free(l->qbias);
    free(l->wcl);
    free(l->qpos);
    l->wa = NULL;
    l->wb = NULL;
    l->boff = NULL;
    l->qoff = NULL;
    l->wq = NULL;
    l->qbias = NULL;
    l->wcl = NULL;
    l->qpos = NULL;
    l->nqs = 0;
    l->pos_major = false;
}

/* ---- the byte quads of a conv op (the vnni path) ----------------------------------------------------
 * vpdpbusd multiplies four input bytes by four weight bytes per lane, so each step of the product takes
 * a quad: four (channel, row, column) taps of the kernel whose inputs sit side by side in the expanded
 * input. A quad type says which four: byte k is the tap at (c + dc, ky + dy, kx + dx) of the quad's
 * first tap (c, ky, kx). Taps past the kernel get weight 0, so a quad may overhang it; every such
 * overhang costs a wasted product. */
enum { QS_C4, QS_PX, QS_PY, QS_V4, QS_H4, QS_S22, QS_NTYPES };
static const int8_t qs_off[QS_NTYPES][4][3] = {
    {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}, {3, 0, 0}}, /* C4: four channels, one tap */
    {{0, 0, 0}, {1, 0, 0}, {0, 0, 1}, {1, 0, 1}}, /* PX: a channel pair x a column pair */
    {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}}, /* PY: a channel pair x a row pair */
    {{0, 0, 0}, {0, 1, 0}, {0, 2, 0}, {0, 3, 0}}, /* V4: one channel, four rows */
    {{0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}}, /* H4: one channel, four columns */
    {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1}}, /* S22: one channel, a 2x2 block */
};
static const int qs_fy[QS_NTYPES] = {1, 1, 2, 4, 1, 2}, qs_fx[QS_NTYPES] = {1, 2, 1, 1, 4, 2};

/* The plan of a conv op: groups of four channels take C4 quads (no waste); a remaining channel pair and
 * a remaining single channel each cover their kh x kw taps with the fewest quads of their types (one
 * type, or one above and one below a row, or one left and one right of a column: a small search).
 * 5x5 kernels: 25 quads per four channels, 13 for a pair (PX on columns 0-3, PY down column 4), 7 for
 * one channel (V4 on rows 0-3, H4 along row 4), where one 2x2 layout for everything took 9 per channel. */
typedef struct quad_rect {
    int type;
    int64_t y0, y1, x0, x1;
} quad_rect;

static int64_t rect_quads(int type, int64_t y0, int64_t y1, int64_t x0, int64_t x1)
{
    if (y1 <= y0 || x1 <= x0) {
        return 0;
    }
    return (y1 - y0 + qs_fy[type] - 1) / qs_fy[type] * ((x1 - x0 + qs_fx[type] - 1) / qs_fx[type]);
}

/* The best cover of [0, kh) x [0, kw) by at most two rectangles of the given types: r[0..1] (r[1]
 * empty when one suffices). Returns the quad count. */
static int64_t best_cover(const int *types, int nt, int64_t kh, int64_t kw, quad_rect *r)
{
    int64_t best = -1;
    for (int a = 0; a < nt; a++) {
        for (int b = 0; b < nt; b++) {
            /* split after row y (y == kh: no split), then after column x */
            for (int64_t y = 1; y <= kh; y++) {
                const int64_t n = rect_quads(types[a], 0, y, 0, kw) + rect_quads(types[b], y, kh, 0, kw);
                if (best < 0 || n < best) {
                    best = n;
                    r[0] = (quad_rect){types[a], 0, y, 0, kw};
                    r[1] = (quad_rect){types[b], y, kh, 0, kw};
                }
            }
            for (int64_t x = 1; x < kw; x++) {
                const int64_t n = rect_quads(types[a], 0, kh, 0, x) + rect_quads(types[b], 0, kh, x, kw);
                if (n < best) {
                    best = n;
                    r[0] = (quad_rect){types[a], 0, kh, 0, x};
                    r[1] = (quad_rect){types[b], 0, kh, x, kw};
                }
            }
        }
    }
    return best;
}

/* The stream of (type, first channel), added if new; returns its index. */
static int quad_stream(tt_qlayer *l, int type, int64_t c0, int64_t cstep, int64_t ng)
{
    for (int s = 0; s < l->nqs; s++) {
        if (l->qs[s].type == type && l->qs[s].c0 == c0) {
            return s;
        }
    }
    l->qs[l->nqs] = (tt_qstream){type, c0, cstep, ng, 0};
    return l->nqs++;
}

/* Appends the quads of rectangle r of the channel group at c (stream s) to the plan: qstream[t] and
 * the quad's first tap. */
static void plan_rect(tt_qlayer *l, const quad_rect *r, int s, int64_t c, int *qstream, int64_t (*tap)[3])
{
    for (int64_t y = r->y0; y < r->y1; y += qs_fy[r->type]) {
        for (int64_t x = r->x0; x < r->x1; x += qs_fx[r->type]) {
            qstream[l->nquads] = s;
            tap[l->nquads][0] = c;
            tap[l->nquads][1] = y;
            tap[l->nquads][2] = x;
            l->nquads++;
        }
    }
}

/* The conv op's streams (l->qs), quads (qoff, wq) and the expanded input's length. */
static int plan_conv_quads(tt_qlayer *l)
{
    const int64_t C = l->cin, kh = l->kh, kw = l->kw, K = tt_qlayer_k(l), plane = l->hp * l->wp;
    const int64_t cap = C * kh * kw; /* every quad covers at least one tap */
    int *qstream = malloc((size_t)cap * sizeof *qstream);
    int64_t(*tap)[3] = malloc((size_t)cap * sizeof *tap);
    l->wq = calloc((size_t)(l->cout * cap * 4), 1); /* room for cap; filled [cout][nquads][4] */
    l->qoff = malloc((size_t)cap * sizeof(int64_t));
    if (!qstream || !tap || !l->wq || !l->qoff) {
        free(qstream);
        free(tap);
        return -1;
    }
    l->nqs = 0;
    l->nquads = 0;
    const quad_rect whole = {QS_C4, 0, kh, 0, kw};
    for (int64_t c = 0; c + 4 <= C; c += 4) {
        plan_rect(l, &whole, quad_stream(l, QS_C4, 0, 4, C / 4), c, qstream, tap);
    }
    int64_t c = C / 4 * 4;
    quad_rect r[2];
    if (C - c >= 2) {
        static const int pair[2] = {QS_PX, QS_PY};
        best_cover(pair, 2, kh, kw, r);
        for (int i = 0; i < 2; i++) {
            if (r[i].y1 > r[i].y0 && r[i].x1 > r[i].x0) {
                plan_rect(l, &r[i], quad_stream(l, r[i].type, c, 2, 1), c, qstream, tap);
            }
        }
        c += 2;
    }
    if (c < C) {
        static const int single[3] = {QS_V4, QS_H4, QS_S22};
        best_cover(single, 3, kh, kw, r);
        for (int i = 0; i < 2; i++) {
            if (r[i].y1 > r[i].y0 && r[i].x1 > r[i].x0) {
                plan_rect(l, &r[i], quad_stream(l, r[i].type, c, 1, 1), c, qstream, tap);
            }
        }
    }
    int64_t at = 0;
    for (int s = 0; s < l->nqs; s++) {
        l->qs[s].at = at;
        at += l->qs[s].ng * plane;
    }
    int64_t maxoff = 0;
    for (int64_t t = 0; t < l->nquads; t++) {
        const tt_qstream *q = &l->qs[qstream[t]];
        const int64_t c0 = tap[t][0], y = tap[t][1], x = tap[t][2];
        l->qoff[t] = q->at + (c0 - q->c0) / q->cstep * plane + y * l->wp + x;
        maxoff = l->qoff[t] > maxoff ? l->qoff[t] : maxoff;
        for (int k = 0; k < 4; k++) {
            const int8_t *o = qs_off[q->type][k];
            const int64_t ci = c0 + o[0], yi = y + o[1], xi = x + o[2];
            for (int64_t o = 0; o < l->cout; o++) {
                l->wq[(o * l->nquads + t) * 4 + k] =
                    ci < C && yi < kh && xi < kw ? (uint8_t)l->weight[o * K + (ci * kh + yi) * kw + xi] : 0;
            }
        }
    }
    free(qstream);
    free(tap);
    /* the kernel reads up to np positions past a quad's start; the streams' quads end at `at` */
    l->xq_len = maxoff + l->np > at ? maxoff + l->np : at;
    /* the streams read up to three rows and three columns past the last plane */
    l->xu_len = C * plane + 3 * l->wp + 4;
    return 0;
}

/* The vnni path's byte quads of a conv or linear op (the layout above), its compensated bias. A
 * linear op fed by a pos_major conv op (pc_c channels) takes its features in that order: feature
 * p * pc_c + c of the quads is c * P + p of the weight. */
static int prepare_quads(tt_qlayer *l, int64_t pc_c)
{
    const int64_t K = tt_qlayer_k(l);
    const int32_t u0 = l->in.zero_point + 128; /* x - zx == (x + 128) - u0 */
    l->qbias = malloc((size_t)l->cout * sizeof(int32_t));
    if (!l->qbias) {
        return -1;
    }
    for (int64_t o = 0; o < l->cout; o++) {
        int64_t sw = 0;
        for (int64_t k = 0; k < K; k++) {
            sw += l->weight[o * K + k];
        }
        l->qbias[o] = (int32_t)(l->bias[o] - u0 * sw);
    }
    if (l->kind == TT_QOP_LINEAR) {
        l->nquads = (K + 3) / 4;
        l->wq = calloc((size_t)(l->nquads * l->np * 4), 1);
        l->qoff = malloc((size_t)l->nquads * sizeof(int64_t));
        if (!l->wq || !l->qoff) {
            return -1;
        }
        for (int64_t q = 0; q < l->nquads; q++) {
            l->qoff[q] = q * l->np;
            for (int64_t o = 0; o < l->cout; o++) {
                for (int k = 0; k < 4 && 4 * q + k < K; k++) {
                    const int64_t f = 4 * q + k, P = pc_c ? K / pc_c : 0;
                    const int64_t from = pc_c ? f % pc_c * P + f / pc_c : f;
                    l->wq[(q * l->np + o) * 4 + k] = (uint8_t)l->weight[o * K + from];
                }
            }
        }
        return 0;
    }
    if (plan_conv_quads(l) != 0) {
        return -1;
    }
    if (l->cout % 16 == 0) { /* the channels-in-lanes copy and the output positions */
        const int64_t ho = (l->hp - l->kh) / l->stride + 1, wo = (l->wp - l->kw) / l->stride + 1;
        l->wcl = malloc((size_t)(l->nquads * l->cout * 4));
        l->qpos = malloc((size_t)(ho * wo) * sizeof(int64_t));
        if (!l->wcl || !l->qpos) {
            return -1;
        }
        for (int64_t q = 0; q < l->nquads; q++) {
            for (int64_t o = 0; o < l->cout; o++) {
                memcpy(l->wcl + (q * l->cout + o) * 4, l->wq + (o * l->nquads + q) * 4, 4);
            }
        }
        for (int64_t oh = 0; oh < ho; oh++) {
            for (int64_t ow = 0; ow < wo; ow++) {
                l->qpos[oh * wo + ow] = oh * l->stride * l->wp + ow * l->stride;
            }
        }
    }
    return 0;
}

/* Per-image output shape of each op, the int16 weight copies and the multipliers. Returns 0, or -1
 * with a message naming layer i. Used after conversion and after loading. */

int tt_qmodel_prepare(tt_qmodel *m, char *err, size_t errlen)
{
    int64_t s[3] = {m->in_shape[0], m->in_shape[1], m->in_shape[2]};
    m->in_numel = s[0] * s[1] * s[2];
    for (int i = 0; i < m->n; i++) {
        tt_qlayer *l = &m->layers[i];
        memcpy(l->in_shape, s, sizeof s);
        switch (l->kind) {
        case TT_QOP_CONV: {
            if (s[0] != l->cin) {
                snprintf(err, errlen, "layer %d (conv2d): input has %lld channels, weight wants %lld", i,
                         (long long)s[0], (long long)l->cin);
                return -1;
            }
            if (l->groups < 0 || (l->groups > 1 && (l->groups != l->cin || l->cout != l->cin))) {
                snprintf(err, errlen, "layer %d (conv2d): groups %d with %lld input and %lld output channels: only "
                         "ungrouped (groups 1) or depthwise (groups == in == out channels) convolutions have an int8 "
                         "version", i, l->groups, (long long)l->cin, (long long)l->cout);
                return -1;
            }
            int64_t ho = tt_conv_out_size(s[1], l->kh, l->stride, l->padding, 1);
            int64_t wo = tt_conv_out_size(s[2], l->kw, l->stride, l->padding, 1);
            if (ho <= 0 || wo <= 0 || (l->pool && (ho < 2 || wo < 2))) {
                snprintf(err, errlen, "layer %d (conv2d): kernel %lldx%lld does not fit the %lldx%lld input", i,
                         (long long)l->kh, (long long)l->kw, (long long)s[1], (long long)s[2]);
                return -1;
            }
            s[0] = l->cout;
            s[1] = l->pool ? ho / 2 : ho;
            s[2] = l->pool ? wo / 2 : wo;
            break;
        }
        case TT_QOP_LINEAR:
            if (s[0] * s[1] * s[2] != l->cin || s[1] != 1 || s[2] != 1) {
                snprintf(err, errlen, "layer %d (linear): input [%lld, %lld, %lld] is not %lld features (flatten first)",
                         i, (long long)s[0], (long long)s[1], (long long)s[2], (long long)l->cin);
                return -1;
            }
            s[0] = l->cout;
            break;
        case TT_QOP_MAXPOOL2:
            if (s[1] < 2 || s[2] < 2) {
                snprintf(err, errlen, "layer %d (maxpool2): input %lldx%lld is smaller than the window", i,
                         (long long)s[1], (long long)s[2]);
                return -1;
            }
            s[1] /= 2;
            s[2] /= 2;
            break;
        case TT_QOP_FLATTEN:
            s[0] = s[0] * s[1] * s[2];
            s[1] = s[2] = 1;
            break;
        case TT_QOP_AVGPOOL:
            s[1] = s[2] = 1;
            break;
        case TT_QOP_RELU:
            break;
        }
        memcpy(l->out_shape, s, sizeof s);
        if (l->kind != TT_QOP_CONV && l->kind != TT_QOP_LINEAR) {
            continue;
        }
        const int64_t K = tt_qlayer_k(l);
        for (int64_t c = 0; c < l->cout; c++) {
            double real = (double)l->in.scale * l->weight_scale[c] / l->out.scale;
            if (tt_requant_multiplier(real, &l->multiplier[c], &l->shift[c]) != 0) {
                snprintf(err, errlen, "layer %d: channel %lld: input_scale * weight_scale / output_scale = %g has no "
                         "fixed-point multiplier", i, (long long)c, real);
                return -1;
            }
        }
        tt_qlayer_free_derived(l);
        if (tt_qlayer_depthwise(l)) {
            /* tt_q8_depthwise reads the int8 weights as they are: only the accumulator size is needed */
            l->hp = l->in_shape[1] + 2 * l->padding;
            l->wp = l->in_shape[2] + 2 * l->padding;
            l->np = ((l->hp - l->kh) / l->stride + 1) * ((l->wp - l->kw) / l->stride + 1);
            l->kp = l->npairs = l->xe_len = l->xp_len = 0;
        } else if (l->kind == TT_QOP_CONV) {
            /* pairs over input channels (2c, 2c+1) when Cin is even: Cin/2*kh*kw taps, none wasted;
             * else over kernel columns (j, j+1): Cin*kh*ceil(kw/2) taps, the last of an odd-width row
             * paired with a zero weight */
            const int64_t jpairs = (l->kw + 1) / 2;
            l->hp = l->in_shape[1] + 2 * l->padding;
            l->wp = l->in_shape[2] + 2 * l->padding;
            const int64_t plane = l->hp * l->wp;
            l->chan_pairs = l->cin % 2 == 0;
            l->npairs = l->chan_pairs ? l->cin / 2 * l->kh * l->kw : l->cin * l->kh * jpairs;
            l->kp = 2 * l->npairs;
            l->np = round_up((l->hp - l->kh + 1) * l->wp, TT_Q8_NP);
            l->wa = calloc((size_t)(l->cout * l->kp), sizeof(int16_t));
            l->boff = malloc((size_t)l->npairs * sizeof(int64_t));
            if (!l->wa || !l->boff) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            int64_t t = 0, maxoff = 0;
            if (l->chan_pairs) {
                for (int64_t cp = 0; cp < l->cin / 2; cp++) {
                    for (int64_t ki = 0; ki < l->kh; ki++) {
                        for (int64_t kj = 0; kj < l->kw; kj++, t++) {
                            l->boff[t] = cp * plane + ki * l->wp + kj;
                            maxoff = l->boff[t] > maxoff ? l->boff[t] : maxoff;
                            for (int64_t o = 0; o < l->cout; o++) {
                                const int8_t *w = l->weight + ((o * l->cin + 2 * cp) * l->kh + ki) * l->kw + kj;
                                l->wa[o * l->kp + 2 * t] = w[0];
                                l->wa[o * l->kp + 2 * t + 1] = w[l->kh * l->kw]; /* channel 2cp + 1 */
                            }
                        }
                    }
                }
            } else {
                for (int64_t c = 0; c < l->cin; c++) {
                    for (int64_t ki = 0; ki < l->kh; ki++) {
                        for (int64_t jp = 0; jp < jpairs; jp++, t++) {
                            l->boff[t] = (c * l->hp + ki) * l->wp + 2 * jp;
                            maxoff = l->boff[t] > maxoff ? l->boff[t] : maxoff;
                            for (int64_t o = 0; o < l->cout; o++) {
                                const int8_t *w = l->weight + ((o * l->cin + c) * l->kh + ki) * l->kw;
                                l->wa[o * l->kp + 2 * t] = w[2 * jp];
                                l->wa[o * l->kp + 2 * t + 1] = 2 * jp + 1 < l->kw ? w[2 * jp + 1] : 0;
                            }
                        }
                    }
                }
            }
            l->xe_len = maxoff + l->np;
            /* the padded input; column pairs read one value past each pair's position */
            l->xp_len = l->chan_pairs ? l->cin * plane : l->xe_len + 1;
        } else {
            /* B[k, o] = W[o, k]: transpose to int16, then pack in pairs */
            l->kp = K + (K & 1);
            l->npairs = l->kp / 2;
            l->np = round_up(l->cout, TT_Q8_NP);
            int16_t *tr = malloc((size_t)(K * l->cout) * sizeof(int16_t));
            l->wb = calloc((size_t)(l->kp * l->np), sizeof(int16_t));
            l->boff = malloc((size_t)l->npairs * sizeof(int64_t));
            if (!tr || !l->wb || !l->boff) {
                free(tr);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            for (int64_t o = 0; o < l->cout; o++) {
                for (int64_t k = 0; k < K; k++) {
                    tr[k * l->cout + o] = l->weight[o * K + k];
                }
            }
            tt_q8_pack_b(tr, K, l->cout, l->cout, l->wb, l->np);
            free(tr);
            for (int64_t p = 0; p < l->npairs; p++) {
                l->boff[p] = p * l->np;
            }
        }
        /* a linear right after flatten after a conv with channels in lanes reads that conv's output
         * position-major on the vnni path (no transposition in between) */
        tt_qlayer *feed = i >= 2 && l->kind == TT_QOP_LINEAR && m->layers[i - 1].kind == TT_QOP_FLATTEN
                              ? &m->layers[i - 2] : NULL;
        feed = feed && feed->kind == TT_QOP_CONV && feed->wcl ? feed : NULL;
        if (feed) {
            feed->pos_major = true;
        }
        if (!tt_qlayer_depthwise(l) && prepare_quads(l, feed ? feed->cout : 0) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    m->out_numel = s[0] * s[1] * s[2];
    return 0;
}

void tt_qmodel_free(tt_qmodel *m)
{
    if (!m) {
        return;
    }
    for (int i = 0; i < m->n; i++) {
        tt_qlayer *l = &m->layers[i];
        tt_qlayer_free_derived(l);
        free(l->weight);
        free(l->bias);
        free(l->weight_scale);
        free(l->multiplier);
        free(l->shift);
    }
    free(m->layers);
    free(m->scratch);
    free(m);
}

tt_qparams tt_qmodel_input_params(const tt_qmodel *m) { return m->layers[0].in; }
tt_qparams tt_qmodel_output_params(const tt_qmodel *m) { return m->layers[m->n - 1].out; }

size_t tt_qmodel_param_bytes(const tt_qmodel *m)
{
    size_t b = 0;
    for (int i = 0; i < m->n; i++) {
        const tt_qlayer *l = &m->layers[i];
        if (l->kind == TT_QOP_CONV || l->kind == TT_QOP_LINEAR) {
            b += (size_t)(l->cout * tt_qlayer_k(l)) + (size_t)l->cout * (4 + 4);
        }
    }
    return b + (size_t)(m->n + 1) * 8; /* activation scales and zero points */
}

/* ---- inference ------------------------------------------------------------------------------------ */

typedef struct scratch_plan {
    size_t act, xp, bp, acc, a16, total;
} scratch_plan;

static scratch_plan plan_scratch(const tt_qmodel *m, int64_t batch)
{
    scratch_plan p = {0, 0, 0, 0, 0, 0};
    int64_t act = m->in_numel;
    for (int i = 0; i < m->n; i++) {
        const tt_qlayer *l = &m->layers[i];
        int64_t o = l->out_shape[0] * l->out_shape[1] * l->out_shape[2];
        act = o > act ? o : act;
        if (tt_qlayer_depthwise(l)) {
            size_t acc = (size_t)(l->cout * l->np) * 4, row = (size_t)l->np * 4; /* row: a pooled channel */
            p.acc = acc > p.acc ? acc : p.acc;
            p.bp = row > p.bp ? row : p.bp;
        } else if (l->kind == TT_QOP_CONV) {
            /* the pair path's int16 buffers, or the quad path's bytes in the same places */
            size_t xp = (size_t)l->xp_len * 2, bp = (size_t)l->xe_len * 4;
            xp = (size_t)l->xu_len > xp ? (size_t)l->xu_len : xp;
            if (l->wcl) { /* channels in lanes: y staged in the same place */
                xp = (size_t)(l->cout * l->np) > xp ? (size_t)(l->cout * l->np) : xp;
            }
            bp = (size_t)l->xq_len * 4 > bp ? (size_t)l->xq_len * 4 : bp;
            size_t acc = (size_t)(l->cout * l->np) * 4;
            p.xp = xp > p.xp ? xp : p.xp;
            p.bp = bp > p.bp ? bp : p.bp;
            p.acc = acc > p.acc ? acc : p.acc;
        } else if (l->kind == TT_QOP_LINEAR) {
            size_t a16 = (size_t)(batch * l->kp) * 2, acc = (size_t)(batch * l->np) * 4;
            a16 = (size_t)(batch * l->nquads) * 4 > a16 ? (size_t)(batch * l->nquads) * 4 : a16;
            p.a16 = a16 > p.a16 ? a16 : p.a16;
            p.acc = acc > p.acc ? acc : p.acc;
        }
    }
    p.act = ALIGN64((size_t)(batch * act));
    p.xp = ALIGN64(p.xp);
    p.bp = ALIGN64(p.bp);
    p.acc = ALIGN64(p.acc);
    p.a16 = ALIGN64(p.a16);
    p.total = 2 * p.act + p.xp + p.bp + p.acc + p.a16;
    return p;
}

/* Steps 1 and 2 of a conv op on one image: x [Cin, H, W] -> the pair rows xe (xp: the padded int16
 * input). One body, compiled twice: for the baseline (SSE2 on x86-64) and, where the CPU has it, with
 * AVX2 (the same integer operations on wider vectors, so the same bits). */
static inline __attribute__((always_inline)) void prep_body(const tt_qlayer *l, const int8_t *x, int16_t *xp,
                                                            int16_t *xe)
{
    const int64_t C = l->cin, H = l->in_shape[1], W = l->in_shape[2], pad = l->padding;
    const int64_t hp = l->hp, wp = l->wp, n_xe = l->xe_len;
    const int16_t zx = (int16_t)l->in.zero_point;
    /* 1. widen, subtract the zero point, pad (and zero the tail the last taps read) */
    memset(xp, 0, (size_t)l->xp_len * sizeof *xp);
    for (int64_t c = 0; c < C; c++) {
        for (int64_t i = 0; i < H; i++) {
            const int8_t *s = x + (c * H + i) * W;
            int16_t *d = xp + (c * hp + i + pad) * wp + pad;
            for (int64_t j = 0; j < W; j++) {
                d[j] = (int16_t)(s[j] - zx);
            }
        }
    }
    /* 2. the pairs: channel 2c with channel 2c+1 at the same position, or each position with its right
     *    neighbour (as one 32-bit word where the compiler can vectorise it: the low half is the
     *    first int16 in memory on a little-endian machine) */
    const int64_t plane = hp * wp;
    int64_t done = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint16_t *u = (const uint16_t *)xp;
    uint32_t *xe32 = (uint32_t *)xe;
    if (l->chan_pairs) {
        for (int64_t cp = 0; cp < C / 2; cp++) {
            const uint16_t *u0 = u + 2 * cp * plane, *u1 = u0 + plane;
            uint32_t *d = xe32 + cp * plane;
            for (int64_t q = 0; q < plane; q++) {
                d[q] = (uint32_t)u0[q] | ((uint32_t)u1[q] << 16);
            }
        }
        done = C / 2 * plane;
    } else {
        for (int64_t q = 0; q < n_xe; q++) {
            xe32[q] = (uint32_t)u[q] | ((uint32_t)u[q + 1] << 16);
        }
        done = n_xe;
    }
#else
    if (l->chan_pairs) {
        for (int64_t cp = 0; cp < C / 2; cp++) {
            for (int64_t q = 0; q < plane; q++) {
                xe[2 * (cp * plane + q)] = xp[2 * cp * plane + q];
                xe[2 * (cp * plane + q) + 1] = xp[(2 * cp + 1) * plane + q];
            }
        }
        done = C / 2 * plane;
    } else {
        for (int64_t q = 0; q < n_xe; q++) {
            xe[2 * q] = xp[q];
            xe[2 * q + 1] = xp[q + 1];
        }
        done = n_xe;
    }
#endif
    memset(xe + 2 * done, 0, (size_t)(n_xe - done) * 2 * sizeof *xe); /* what the last taps read past the input */
}

typedef void (*prep_fn)(const tt_qlayer *l, const int8_t *x, int16_t *xp, int16_t *xe);
static void prep_baseline(const tt_qlayer *l, const int8_t *x, int16_t *xp, int16_t *xe) { prep_body(l, x, xp, xe); }
#ifdef TT_Q8_X86
__attribute__((target("avx2"))) static void prep_avx2(const tt_qlayer *l, const int8_t *x, int16_t *xp, int16_t *xe)
{
    prep_body(l, x, xp, xe);
}
#endif

/* d[j] = s[j] + 128 as a byte (the sign bit flipped), j < n: 32 bytes per step while they last
 * (a vector of the target's width, or two), then eight, the last eight overlapping (a conv's rows are
 * short: LeNet's 28 and 14). */
typedef uint8_t u8x32 __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) void to_u8(const int8_t *s, int64_t n, uint8_t *d)
{
    if (n < 8) {
        for (int64_t j = 0; j < n; j++) {
            d[j] = (uint8_t)((uint8_t)s[j] ^ 0x80u);
        }
        return;
    }
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        u8x32 v;
        memcpy(&v, s + j, 32);
        v ^= 0x80;
        memcpy(d + j, &v, 32);
    }
    for (; j < n; j += 8) {
        const int64_t at = j + 8 <= n ? j : n - 8;
        uint64_t v;
        memcpy(&v, s + at, 8);
        v ^= 0x8080808080808080u;
        memcpy(d + at, &v, 8);
    }
}

/* The vnni path's steps 1 and 2: x [Cin, H, W] -> u = x + 128 as bytes, padded with zx + 128 (the
 * byte of a real 0), flattened as xp is; then each stream's quads (plan_conv_quads), four bytes per
 * position from four byte streams. */
static inline __attribute__((always_inline)) void prepq_body(const tt_qlayer *l, const int8_t *x, uint8_t *u,
                                                             uint8_t *xq, tt_q8_quads_fn quads)
{
    const int64_t C = l->cin, H = l->in_shape[1], W = l->in_shape[2], pad = l->padding;
    const int64_t hp = l->hp, wp = l->wp, plane = hp * wp;
    const uint8_t u0 = (uint8_t)(l->in.zero_point + 128);
    if (pad == 0) { /* the rows are contiguous on both sides: one run; only the slack is set */
        to_u8(x, C * H * W, u);
        memset(u + C * plane, u0, (size_t)(l->xu_len - C * plane));
    } else {
        memset(u, u0, (size_t)l->xu_len);
        for (int64_t c = 0; c < C; c++) {
            for (int64_t i = 0; i < H; i++) {
                to_u8(x + (c * H + i) * W, W, u + (c * hp + i + pad) * wp + pad);
            }
        }
    }
    int64_t done = 0;
    for (int s = 0; s < l->nqs; s++) {
        const tt_qstream *q = &l->qs[s];
        const int8_t(*o)[3] = qs_off[q->type];
        for (int64_t g = 0; g < q->ng; g++) {
            const uint8_t *b = u + (q->c0 + g * q->cstep) * plane;
            quads(b + o[0][0] * plane + o[0][1] * wp + o[0][2], b + o[1][0] * plane + o[1][1] * wp + o[1][2],
                  b + o[2][0] * plane + o[2][1] * wp + o[2][2], b + o[3][0] * plane + o[3][1] * wp + o[3][2], plane,
                  xq + 4 * (q->at + g * plane));
        }
        done = q->at + q->ng * plane;
    }
    memset(xq + 4 * done, u0, (size_t)(l->xq_len - done) * 4); /* what the last taps read past the input */
}

typedef void (*prepq_fn)(const tt_qlayer *l, const int8_t *x, uint8_t *u, uint8_t *xq);
static void prepq_baseline(const tt_qlayer *l, const int8_t *x, uint8_t *u, uint8_t *xq)
{
    prepq_body(l, x, u, xq, tt_q8_quads_portable);
}
#ifdef TT_Q8_X86
/* the vnni path's (the quad kernels run on AVX-512 VNNI CPUs only) */
__attribute__((target("avx2"))) static void prepq_vnni(const tt_qlayer *l, const int8_t *x, uint8_t *u, uint8_t *xq)
{
    prepq_body(l, x, u, xq, tt_q8_quads_avx512);
}
#endif

/* The functions of the path in use: the quad kernel (qkernel, with prepq) where the path has one,
 * else the int16-pair kernel (with prep). */
typedef struct q8_run {
    tt_q8_kernel_fn kernel;
    tt_q8q_kernel_fn qkernel;
    tt_q8c_kernel_fn ckernel;
    tt_q8_requant_fn requant;
    tt_q8_requant_rows_fn requant_rows;
    tt_q8_pool2_fn pool2;
    tt_q8_pool2rq_fn pool2rq;
    tt_q8_pool2c_fn pool2c;
    prep_fn prep;
    prepq_fn prepq;
} q8_run;

/* A conv op with its output channels in the vector lanes (cout a multiple of 16, the vnni path):
 * acc[position][Cout] at the output positions only, pooled in place (tt_q8_pool2c), requantized one
 * position (Cout values, per-channel bias, multiplier and shift) at a time: into y position-major
 * when a flatten and linear follow (pos_major), else into the staging rows ys, transposed into
 * y [Cout, Ho', Wo']. */
static void conv_image_cl(const tt_qlayer *l, const int8_t *x, int8_t *y, void *xp, void *xe, int32_t *acc,
                          const q8_run *r)
{
    const int64_t C = l->cout, ho = (l->hp - l->kh) / l->stride + 1, wo = (l->wp - l->kw) / l->stride + 1;
    r->prepq(l, x, xp, xe);
    r->ckernel(ho * wo, l->qpos, l->nquads, l->qoff, xe, l->wcl, C / 16, acc, C);
    const int64_t hq = l->pool ? ho / 2 : ho, wq = l->pool ? wo / 2 : wo, P = hq * wq;
    if (l->pool) {
        r->pool2c(acc, wo, hq, wq, C);
    }
    const int32_t zo = l->out.zero_point, lo = l->relu ? zo : -128;
    if (l->pos_major) { /* the linear after the flatten reads this order */
        r->requant_rows(acc, C, P, C, l->qbias, l->multiplier, l->shift, zo, lo, y, C);
        return;
    }
    int8_t *ys = xp;
    r->requant_rows(acc, C, P, C, l->qbias, l->multiplier, l->shift, zo, lo, ys, C);
    for (int64_t c = 0; c < C; c++) {
        for (int64_t p = 0; p < P; p++) {
            y[c * P + p] = ys[p * C + c];
        }
    }
}

/* One image through a conv op: x [Cin, H, W] -> y [Cout, Ho', Wo']. xp and xe: the padded input and
 * its pairs (or quads) */
static void conv_image(const tt_qlayer *l, const int8_t *x, int8_t *y, void *xp, void *xe, int32_t *acc,
                       const q8_run *r)
{
    const int64_t st = l->stride, hp = l->hp, wp = l->wp;
    const int64_t ho = (hp - l->kh) / st + 1, wo = (wp - l->kw) / st + 1;
    const int32_t *bias = l->bias;
    if (r->ckernel && l->wcl) {
        conv_image_cl(l, x, y, xp, xe, acc, r);
        return;
    }
    /* 3. acc[Cout, np] = sum over taps */
    if (r->qkernel) {
        r->prepq(l, x, xp, xe);
        r->qkernel(l->cout, l->nquads, l->wq, 4 * l->nquads, xe, l->qoff, l->np, acc, l->np, 0);
        bias = l->qbias;
    } else {
        r->prep(l, x, xp, xe);
        r->kernel(l->cout, l->npairs, l->wa, l->kp, xe, l->boff, l->np, acc, l->np);
    }
    /* 4. epilogue: the int32 outputs of channel c (pooled: the max of each 2x2 window) gathered into a
     *    row, then requantized in one call (the pair buffer xe is free again and holds the row) */
    const int32_t zo = l->out.zero_point, lo = l->relu ? zo : -128;
    int32_t *row = (int32_t *)xe;
    const int64_t hq = l->pool ? ho / 2 : ho, wq = l->pool ? wo / 2 : wo;
    for (int64_t c = 0; c < l->cout; c++) {
        const int32_t *a = acc + c * l->np;
        if (l->pool && st == 1 && r->pool2rq) {
            r->pool2rq(a, wp, hq, wq, bias + c, l->multiplier + c, l->shift + c, zo, lo, y + c * hq * wq);
            continue;
        }
        if (l->pool && st == 1) {
            r->pool2(a, wp, hq, wq, row);
        } else if (l->pool) {
            for (int64_t oy = 0; oy < hq; oy++) {
                const int32_t *r0 = a + 2 * oy * st * wp, *r1 = r0 + st * wp;
                for (int64_t ox = 0; ox < wq; ox++) {
                    const int64_t c0 = 2 * ox * st, c1 = c0 + st;
                    int32_t v0 = r0[c0] > r0[c1] ? r0[c0] : r0[c1];
                    int32_t v1 = r1[c0] > r1[c1] ? r1[c0] : r1[c1];
                    row[oy * wq + ox] = v0 > v1 ? v0 : v1;
                }
            }
        } else {
            for (int64_t oh = 0; oh < ho; oh++) {
                for (int64_t ow = 0; ow < wo; ow++) {
                    row[oh * wo + ow] = a[oh * st * wp + ow * st];
                }
            }
        }
        r->requant(row, hq * wq, bias + c, l->multiplier + c, l->shift + c, 0, zo, lo, y + c * hq * wq);
    }
}

/* One image through a depthwise conv op: acc [C, Ho, Wo] from tt_q8_depthwise, then (pooled: the max
 * of each 2x2 window) + bias, requantized per channel. */
static void dwconv_image(const tt_qlayer *l, const int8_t *x, int8_t *y, int32_t *acc, int32_t *row,
                         tt_q8_requant_fn requant)
{
    const int64_t ho = (l->hp - l->kh) / l->stride + 1, wo = (l->wp - l->kw) / l->stride + 1;
    tt_q8_depthwise(x, l->cin, l->in_shape[1], l->in_shape[2], l->in.zero_point, l->weight, l->kh, l->kw, l->stride,
                    l->padding, acc);
    const int32_t zo = l->out.zero_point, lo = l->relu ? zo : -128;
    const int64_t hq = l->pool ? ho / 2 : ho, wq = l->pool ? wo / 2 : wo;
    for (int64_t c = 0; c < l->cout; c++) {
        const int32_t *a = acc + c * ho * wo;
        if (l->pool) {
            for (int64_t oy = 0; oy < hq; oy++) {
                const int32_t *r0 = a + 2 * oy * wo, *r1 = r0 + wo;
                for (int64_t ox = 0; ox < wq; ox++) {
                    int32_t v0 = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                    int32_t v1 = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                    row[oy * wq + ox] = v0 > v1 ? v0 : v1;
                }
            }
            a = row;
        }
        requant(a, hq * wq, l->bias + c, l->multiplier + c, l->shift + c, 0, zo, lo, y + c * hq * wq);
    }
}

/* Global average pool of one image: y[c] = round(sum of x[c, :, :] / (H * W)), half away from zero. */
static void avgpool_image(const int8_t *x, int64_t C, int64_t hw, int8_t *y)
{
    for (int64_t c = 0; c < C; c++) {
        int64_t s = 0;
        for (int64_t k = 0; k < hw; k++) {
            s += x[c * hw + k];
        }
        y[c] = (int8_t)(s >= 0 ? (s + hw / 2) / hw : -((-s + hw / 2) / hw));
    }
}

static void linear_batch(const tt_qlayer *l, const int8_t *x, int64_t batch, int8_t *y, void *abuf, int32_t *acc,
                         const q8_run *r)
{
    const int64_t K = l->cin, kp = l->kp;
    const int16_t zx = (int16_t)l->in.zero_point;
    const int32_t *bias = l->bias;
    if (r->qkernel) { /* rows of u8 quads x + 128 (the padding meets zero weights) */
        const int64_t lda = 4 * l->nquads;
        uint8_t *a8 = abuf;
        for (int64_t b = 0; b < batch; b++) {
            uint8_t *d = a8 + b * lda;
            to_u8(x + b * K, K, d);
            memset(d + K, 0x80, (size_t)(lda - K));
        }
        r->qkernel(batch, l->nquads, a8, lda, l->wq, l->qoff, l->np, acc, l->np, 1);
        bias = l->qbias;
    } else {
        int16_t *a16 = abuf;
        for (int64_t b = 0; b < batch; b++) {
            int16_t *d = a16 + b * kp;
            const int8_t *s = x + b * K;
            for (int64_t k = 0; k < K; k++) {
                d[k] = (int16_t)(s[k] - zx);
            }
            if (kp > K) {
                d[K] = 0;
            }
        }
        r->kernel(batch, l->npairs, a16, kp, l->wb, l->boff, l->np, acc, l->np);
    }
    const int32_t zo = l->out.zero_point, lo = l->relu ? zo : -128;
    r->requant_rows(acc, l->np, batch, l->cout, bias, l->multiplier, l->shift, zo, lo, y, l->cout);
}

static void maxpool2_image(const int8_t *x, int64_t C, int64_t H, int64_t W, int8_t *y)
{
    const int64_t hq = H / 2, wq = W / 2;
    for (int64_t c = 0; c < C; c++) {
        for (int64_t oy = 0; oy < hq; oy++) {
            const int8_t *r0 = x + (c * H + 2 * oy) * W, *r1 = r0 + W;
            for (int64_t ox = 0; ox < wq; ox++) {
                int8_t v0 = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                int8_t v1 = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                y[(c * hq + oy) * wq + ox] = v0 > v1 ? v0 : v1;
            }
        }
    }
}

int tt_qmodel_forward_q(tt_qmodel *m, const int8_t *xq, int64_t batch, int8_t *yq)
{
    if (batch <= 0) {
        return 0;
    }
    scratch_plan p = plan_scratch(m, batch);
    if (p.total > m->scratch_bytes) {
        void *s = NULL;
        if (posix_memalign(&s, 64, p.total) != 0) {
            return -1;
        }
        free(m->scratch);
        m->scratch = s;
        m->scratch_bytes = p.total;
    }
    char *base = m->scratch;
    int8_t *buf[2] = {(int8_t *)base, (int8_t *)(base + p.act)};
    int16_t *xp = (int16_t *)(base + 2 * p.act);
    int16_t *bp = (int16_t *)(base + 2 * p.act + p.xp);
    int32_t *acc = (int32_t *)(base + 2 * p.act + p.xp + p.bp);
    int16_t *a16 = (int16_t *)(base + 2 * p.act + p.xp + p.bp + p.acc);
    const int8_t *cur = xq;
    q8_run r = {tt_q8_kernel_fn_current(),  tt_q8q_kernel_fn_current(),      tt_q8c_kernel_fn_current(),
                tt_q8_requant_fn_current(), tt_q8_requant_rows_fn_current(), tt_q8_pool2_fn_current(),
                tt_q8_pool2rq_fn_current(), tt_q8_pool2c_fn_current(),       prep_baseline,
                prepq_baseline};
#ifdef TT_Q8_X86
    if (strcmp(tt_q8_kernel(), "portable") != 0) { /* the avx2, avx512 and vnni paths */
        r.prep = prep_avx2;
    }
    if (r.qkernel) {
        r.prepq = prepq_vnni;
    }
#endif
    for (int i = 0; i < m->n; i++) {
        const tt_qlayer *l = &m->layers[i];
        const int64_t in_n = l->in_shape[0] * l->in_shape[1] * l->in_shape[2];
        const int64_t out_n = l->out_shape[0] * l->out_shape[1] * l->out_shape[2];
        int8_t *out = i == m->n - 1 ? yq : buf[i & 1];
        switch (l->kind) {
        case TT_QOP_CONV:
            for (int64_t b = 0; b < batch; b++) {
                if (tt_qlayer_depthwise(l)) {
                    dwconv_image(l, cur + b * in_n, out + b * out_n, acc, (int32_t *)(void *)bp, r.requant);
                } else {
                    conv_image(l, cur + b * in_n, out + b * out_n, xp, bp, acc, &r);
                }
            }
            break;
        case TT_QOP_AVGPOOL:
            for (int64_t b = 0; b < batch; b++) {
                avgpool_image(cur + b * in_n, l->in_shape[0], l->in_shape[1] * l->in_shape[2], out + b * out_n);
            }
            break;
        case TT_QOP_LINEAR:
            linear_batch(l, cur, batch, out, a16, acc, &r);
            break;
        case TT_QOP_MAXPOOL2:
            for (int64_t b = 0; b < batch; b++) {
                maxpool2_image(cur + b * in_n, l->in_shape[0], l->in_shape[1], l->in_shape[2], out + b * out_n);
            }
            break;
        case TT_QOP_RELU:
            for (int64_t e = 0; e < batch * in_n; e++) {
                out[e] = cur[e] > l->in.zero_point ? cur[e] : (int8_t)l->in.zero_point;
            }
            break;
        case TT_QOP_FLATTEN:
            if (out != cur) {
                memcpy(out, cur, (size_t)(batch * in_n));
            }
            break;
        }
        cur = out;
    }
    return 0;
}

int tt_qmodel_forward(tt_qmodel *m, const float *x, int64_t batch, float *y)
{
    int8_t *xq = malloc((size_t)(batch * m->in_numel) + 1), *yq = malloc((size_t)(batch * m->out_numel) + 1);
    int rc = -1;
    if (xq && yq) {
        tt_q8_quantize_fn_current()(x, batch * m->in_numel, tt_qmodel_input_params(m), xq);
        rc = tt_qmodel_forward_q(m, xq, batch, yq);
        if (rc == 0) {
            tt_dequantize_i8(yq, batch * m->out_numel, tt_qmodel_output_params(m), y);
        }
    }
    free(xq);
    free(yq);
    return rc;
}

double tt_qmodel_accuracy(tt_qmodel *m, const tt_dataset *ds, int64_t batch)
{
    if (ds->sample_numel != m->in_numel || batch < 1) {
        return -1.0;
    }
    float *x = malloc((size_t)(batch * m->in_numel) * sizeof(float));
    float *y = malloc((size_t)(batch * m->out_numel) * sizeof(float));
    int32_t *lab = malloc((size_t)batch * sizeof(int32_t));
    int64_t correct = 0;
    double acc = -1.0;
    if (x && y && lab) {
        int64_t i0 = 0;
        for (; i0 < ds->len; i0 += batch) {
            int64_t b = ds->len - i0 < batch ? ds->len - i0 : batch;
            for (int64_t i = 0; i < b; i++) {
                tt_dataset_get(ds, i0 + i, x + i * m->in_numel, lab + i);
            }
            if (tt_qmodel_forward(m, x, b, y) != 0) {
                break;
            }
            for (int64_t i = 0; i < b; i++) {
                const float *r = y + i * m->out_numel;
                int64_t best = 0;
                for (int64_t c = 1; c < m->out_numel; c++) {
                    best = r[c] > r[best] ? c : best;
                }
                correct += best == lab[i];
            }
        }
        if (i0 >= ds->len) {
            acc = (double)correct / (double)ds->len;
        }
    }
    free(x);
    free(y);
    free(lab);
    return acc;
}
