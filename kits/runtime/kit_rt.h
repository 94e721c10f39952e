/* kit_rt.h - the freestanding int8 runtime of an exported model (no malloc, no float, no libc).
 *
 * The arithmetic is the one of TinyTorch's module 15 (tinytorch/include/tinytorch/quant.h), op for op:
 *   acc   = sum (x - zx) * w                      (int32; padding contributes 0)
 *   pool  = max of the 2x2 window of acc          (before requantization: requantization is monotone)
 *   q_out = clamp(zo + ((acc + bias) * M + 2^(n-1)) >> n, lo, 127),  n = 31 + shift, 64-bit product
 * with lo = zo when a ReLU is fused, else -128. A depthwise convolution (one kh x kw filter per channel,
 * as in a depthwise-separable block) sums one channel only; the global average pool keeps its input's
 * scale and zero point and rounds the mean half away from zero. Each op is compiled only when the model
 * uses it (model.c defines KIT_OP_CONV, KIT_OP_DWCONV, KIT_OP_LINEAR, KIT_OP_MAXPOOL2, KIT_OP_AVGPOOL,
 * KIT_OP_RELU before including this).
 */
#ifndef KIT_RT_H
#define KIT_RT_H

#include <stdint.h>

static inline int32_t kit_requant(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int n = 31 + shift;
    const int64_t r = (int64_t)acc * multiplier + ((int64_t)1 << (n - 1));
    return (int32_t)(r >> n);
}

static inline int8_t kit_requant_out(int32_t acc, int32_t bias, int32_t mult, int32_t shift, int32_t zo,
                                     int32_t lo)
{
    const int32_t v = zo + kit_requant(acc + bias, mult, shift);
    return (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
}

typedef struct kit_conv {
    int32_t cin, h, w, cout, kh, kw, stride, pad, ho, wo; /* ho, wo: before the fused pool */
    int32_t pool, zx, zo, lo;
    const int8_t *weight;  /* [cout][cin][kh][kw] */
    const int32_t *bias, *mult, *shift;
} kit_conv;

typedef struct kit_dwconv {
    int32_t c, h, w, kh, kw, stride, pad, ho, wo; /* ho, wo: before the fused pool */
    int32_t pool, zx, zo, lo;
    const int8_t *weight;  /* [c][kh][kw] */
    const int32_t *bias, *mult, *shift;
} kit_dwconv;

typedef struct kit_linear {
    int32_t in, out, zx, zo, lo;
    const int8_t *weight;  /* [out][in] */
    const int32_t *bias, *mult, *shift;
} kit_linear;

#if defined(KIT_OP_CONV) || defined(KIT_OP_DWCONV)
/* The int32 sum of one output channel at output position (oy, ox) of a convolution: op is its
 * kit_conv or kit_dwconv, x the input it reads (a depthwise op: the channel's own plane), w the
 * output channel's filter. */
typedef int32_t (*kit_acc_fn)(const void *op, const int8_t *x, const int8_t *w, int32_t oy, int32_t ox);

/* The fused 2x2 max pool of a convolution, before requantization (requantization is monotone): the
 * largest of the four sums of the window whose top-left corner is (2 oy, 2 ox). The one pooling loop
 * of both convolutions. */
static int32_t kit_pool2_acc(kit_acc_fn acc, const void *op, const int8_t *x, const int8_t *w, int32_t oy,
                             int32_t ox)
{
    int32_t a = acc(op, x, w, 2 * oy, 2 * ox);
    for (int32_t k = 1; k < 4; k++) {
        const int32_t t = acc(op, x, w, 2 * oy + k / 2, 2 * ox + k % 2);
        a = t > a ? t : a;
    }
    return a;
}
#endif

#ifdef KIT_OP_CONV
/* kit_acc_fn of a convolution: w is output channel o's [cin][kh][kw] filter. */
static int32_t kit_conv_acc(const void *op, const int8_t *x, const int8_t *w, int32_t oy, int32_t ox)
{
    const kit_conv *c = (const kit_conv *)op;
    int32_t acc = 0;
    for (int32_t ci = 0; ci < c->cin; ci++) {
        const int8_t *xc = x + ci * c->h * c->w;
        for (int32_t i = 0; i < c->kh; i++) {
            const int32_t y = oy * c->stride + i - c->pad;
            if (y < 0 || y >= c->h) {
                w += c->kw;
                continue;
            }
            for (int32_t j = 0; j < c->kw; j++) {
                const int32_t xx = ox * c->stride + j - c->pad;
                if (xx >= 0 && xx < c->w) {
                    acc += ((int32_t)xc[y * c->w + xx] - c->zx) * (int32_t)w[j];
                }
            }
            w += c->kw;
        }
    }
    return acc;
}

/* A pointwise convolution (1x1 kernel, stride 1, no padding, no pool: the second half of a
 * depthwise-separable block): for each output channel and pixel, one dot product over the input
 * channels, without the general loop's bounds checks. The same integer sum, so the same bits. */
static void kit_pointwise_run(const kit_conv *c, const int8_t *x, int8_t *y)
{
    const int32_t hw = c->h * c->w;
    for (int32_t o = 0; o < c->cout; o++) {
        const int8_t *w = c->weight + o * c->cin;
        int32_t wsum = 0; /* sum (x - zx) * w = sum x * w - zx * sum w */
        for (int32_t ci = 0; ci < c->cin; ci++) {
            wsum += w[ci];
        }
        const int32_t corr = c->zx * wsum;
        for (int32_t p = 0; p < hw; p++) {
            const int8_t *xp = x + p;
            int32_t acc = 0;
            for (int32_t ci = 0; ci < c->cin; ci++) {
                acc += (int32_t)xp[ci * hw] * (int32_t)w[ci];
            }
            y[o * hw + p] = kit_requant_out(acc - corr, c->bias[o], c->mult[o], c->shift[o], c->zo, c->lo);
        }
    }
}

static void kit_conv_run(const kit_conv *c, const int8_t *x, int8_t *y)
{
    if (c->kh == 1 && c->kw == 1 && c->stride == 1 && c->pad == 0 && !c->pool) {
        kit_pointwise_run(c, x, y);
        return;
    }
    const int32_t hq = c->pool ? c->ho / 2 : c->ho, wq = c->pool ? c->wo / 2 : c->wo;
    for (int32_t o = 0; o < c->cout; o++) {
        const int8_t *w = c->weight + o * c->cin * c->kh * c->kw;
        for (int32_t oy = 0; oy < hq; oy++) {
            for (int32_t ox = 0; ox < wq; ox++) {
                const int32_t a =
                    c->pool ? kit_pool2_acc(kit_conv_acc, c, x, w, oy, ox) : kit_conv_acc(c, x, w, oy, ox);
                y[(o * hq + oy) * wq + ox] = kit_requant_out(a, c->bias[o], c->mult[o], c->shift[o], c->zo, c->lo);
            }
        }
    }
}
#endif

#ifdef KIT_OP_DWCONV
/* kit_acc_fn of a depthwise convolution: channel ch's own kh x kw filter w over its own plane xc. */
static int32_t kit_dwconv_acc(const void *op, const int8_t *xc, const int8_t *w, int32_t oy, int32_t ox)
{
    const kit_dwconv *d = (const kit_dwconv *)op;
    int32_t acc = 0;
    for (int32_t i = 0; i < d->kh; i++) {
        const int32_t y = oy * d->stride + i - d->pad;
        if (y < 0 || y >= d->h) {
            continue;
        }
        for (int32_t j = 0; j < d->kw; j++) {
            const int32_t xx = ox * d->stride + j - d->pad;
            if (xx >= 0 && xx < d->w) {
                acc += ((int32_t)xc[y * d->w + xx] - d->zx) * (int32_t)w[i * d->kw + j];
            }
        }
    }
    return acc;
}

static void kit_dwconv_run(const kit_dwconv *d, const int8_t *x, int8_t *y)
{
    const int32_t hq = d->pool ? d->ho / 2 : d->ho, wq = d->pool ? d->wo / 2 : d->wo;
    for (int32_t ch = 0; ch < d->c; ch++) {
        const int8_t *xc = x + ch * d->h * d->w, *w = d->weight + ch * d->kh * d->kw;
        for (int32_t oy = 0; oy < hq; oy++) {
            for (int32_t ox = 0; ox < wq; ox++) {
                const int32_t a =
                    d->pool ? kit_pool2_acc(kit_dwconv_acc, d, xc, w, oy, ox) : kit_dwconv_acc(d, xc, w, oy, ox);
                y[(ch * hq + oy) * wq + ox] =
                    kit_requant_out(a, d->bias[ch], d->mult[ch], d->shift[ch], d->zo, d->lo);
            }
        }
    }
}
#endif

#ifdef KIT_OP_AVGPOOL
/* Global average pool: y[c] = the mean of channel c's hw values, rounded half away from zero. */
static void kit_avgpool_run(int32_t ch, int32_t hw, const int8_t *x, int8_t *y)
{
    for (int32_t c = 0; c < ch; c++) {
        int32_t s = 0;
        for (int32_t k = 0; k < hw; k++) {
            s += x[c * hw + k];
        }
        y[c] = (int8_t)(s >= 0 ? (s + hw / 2) / hw : -((-s + hw / 2) / hw));
    }
}
#endif

#ifdef KIT_OP_LINEAR
static void kit_linear_run(const kit_linear *l, const int8_t *x, int8_t *y)
{
    for (int32_t o = 0; o < l->out; o++) {
        const int8_t *w = l->weight + o * l->in;
        int32_t acc = 0;
        for (int32_t k = 0; k < l->in; k++) {
            acc += ((int32_t)x[k] - l->zx) * (int32_t)w[k];
        }
        y[o] = kit_requant_out(acc, l->bias[o], l->mult[o], l->shift[o], l->zo, l->lo);
    }
}
#endif

#ifdef KIT_OP_MAXPOOL2
static void kit_maxpool2_run(int32_t ch, int32_t h, int32_t w, const int8_t *x, int8_t *y)
{
    const int32_t hq = h / 2, wq = w / 2;
    for (int32_t c = 0; c < ch; c++) {
        for (int32_t oy = 0; oy < hq; oy++) {
            const int8_t *r0 = x + (c * h + 2 * oy) * w, *r1 = r0 + w;
            for (int32_t ox = 0; ox < wq; ox++) {
                int8_t v0 = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                int8_t v1 = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                y[(c * hq + oy) * wq + ox] = v0 > v1 ? v0 : v1;
            }
        }
    }
}
#endif

#ifdef KIT_OP_RELU
static void kit_relu_run(int32_t n, int32_t zp, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < n; i++) {
        y[i] = x[i] > zp ? x[i] : (int8_t)zp;
    }
}
#endif

#endif
