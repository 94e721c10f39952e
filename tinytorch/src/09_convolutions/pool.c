/* pool.c - max and average pooling over NCHW images, forward and backward (module 09).
 *
 * Max pooling remembers, for every output cell, the flat index (ih*W + iw) of the input cell that
 * won (the first maximum in scan order, as PyTorch); backward adds each output gradient to that one
 * cell. Padded cells never win (they count as -inf). Average pooling divides by kh*kw, padded zeros
 * included (PyTorch's count_include_pad=True), and backward spreads g/(kh*kw) over the window.
 * The 2x2/stride-2 max pool (LeNet, most CNNs) has its own branch-free loop over two input rows and
 * keeps a one-byte code per output instead of a 4-byte index. NaN: the general loop propagates it
 * (as PyTorch); the 2x2 loop compares with '>' and does not.
 * Padding may be at most half the kernel (PyTorch's rule), so no window is only padding.
 */
#include <math.h>
#include <string.h>
#include "conv_internal.h"
#include "tinytorch/conv.h"

typedef struct pool_dims { int64_t N, C, H, W, Ho, Wo; } pool_dims;

static pool_dims pool_check(const char *op, const tt_tensor *x, int kh, int kw, const tt_conv2d_geom *g,
                            bool dilated)
{
    char sx[96];
    if (x->ndim != 4) {
        tt_fatal("%s: input %s: want [N, C, H, W]", op, tt_shape_str(x, sx, sizeof sx));
    }
    if (kh < 1 || kw < 1 || g->stride_h < 1 || g->stride_w < 1 || g->pad_h < 0 || g->pad_w < 0 ||
        g->dilation_h < 1 || g->dilation_w < 1 || (!dilated && (g->dilation_h != 1 || g->dilation_w != 1))) {
        tt_fatal("%s: input %s: bad window %dx%d stride %dx%d padding %dx%d dilation %dx%d", op,
                 tt_shape_str(x, sx, sizeof sx), kh, kw, g->stride_h, g->stride_w, g->pad_h, g->pad_w,
                 g->dilation_h, g->dilation_w);
    }
    if (2 * g->pad_h > kh || 2 * g->pad_w > kw) {
        tt_fatal("%s: input %s: padding %dx%d must be at most half the kernel %dx%d", op,
                 tt_shape_str(x, sx, sizeof sx), g->pad_h, g->pad_w, kh, kw);
    }
    pool_dims d = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], 0, 0};
    d.Ho = tt_conv_out_size(d.H, kh, g->stride_h, g->pad_h, g->dilation_h);
    d.Wo = tt_conv_out_size(d.W, kw, g->stride_w, g->pad_w, g->dilation_w);
    if (d.Ho <= 0 || d.Wo <= 0) {
        tt_fatal("%s: input %s: window %dx%d larger than the padded input", op,
                 tt_shape_str(x, sx, sizeof sx), kh, kw);
    }
    return d;
}

/* ---- max pooling ------------------------------------------------------------------------------- */

static void maxpool_backward(tt_node *node)
{
    tt_tensor *x = node->in[0];
    const int32_t *idx = node->saved;
    const int64_t planes = x->shape[0] * x->shape[1], HW = x->shape[2] * x->shape[3];
    const int64_t P = node->out->shape[2] * node->out->shape[3];
    const float *gy = node->out->grad;
    float *gx = tt_grad_buf(x);
    /* TODO: each output's gradient goes to the one input cell that won its window: gx[plane, idx] +=
     * gy[plane, p] (idx[] holds ih * W + iw per output, plane by plane) */
    /* BEGIN SOLUTION */
    for (int64_t pl = 0; pl < planes; pl++) {
        float *gxp = gx + pl * HW;
        const float *gyp = gy + pl * P;
        const int32_t *ip = idx + pl * P;
        for (int64_t p = 0; p < P; p++) {
            gxp[ip[p]] += gyp[p];
        }
    }
    /* END SOLUTION */
}

#ifdef TT_CONV_X86
/* The SIMD 2x2 loops (pool_avx512.c, conv2d_avx2.c) follow tt_conv2d_set_impl: "im2col" keeps the
 * plain C loops (as does a CPU, or TT_ISA cap, without AVX2). */
static int pool_simd(void)
{
    return strcmp(tt_conv2d_impl(), "im2col") != 0;
}
#endif

/* 2x2 window, stride 2, no padding: out row oh reads input rows 2*oh and 2*oh + 1. The winner is
 * kept as a 2-bit code (0: top-left, 1: top-right, 2: bottom-left, 3: bottom-right), one byte per
 * output, computed without branches. */
static void maxpool_2x2(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                        float *y, uint8_t *code)
{
#ifdef TT_CONV_X86
    if (pool_simd()) {
        tt_conv_simd_kernels()->pool(x, planes, H, W, Ho, Wo, y, code);
        return;
    }
#endif
    /* TODO: out (oh, ow) = the max of input rows 2oh, 2oh + 1 and columns 2ow, 2ow + 1; with code set,
     * code = 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right (ties: left, then top, wins) */
    /* BEGIN SOLUTION */
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *r0 = xp + 2 * oh * W, *r1 = r0 + W;
            float *yr = y + (pl * Ho + oh) * Wo;
            if (code) {
                uint8_t *cr = code + (pl * Ho + oh) * Wo;
                for (int64_t ow = 0; ow < Wo; ow++) {
                    float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];
                    int top = b > a, bot = e > c;          /* ties: the first (left) cell wins */
                    float mt = top ? b : a, mb = bot ? e : c;
                    int down = mb > mt;                    /* ties: the top row wins */
                    yr[ow] = down ? mb : mt;
                    cr[ow] = (uint8_t)(down ? 2 + bot : top);
                }
            } else {
                for (int64_t ow = 0; ow < Wo; ow++) {
                    float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];
                    float mt = b > a ? b : a, mb = e > c ? e : c;
                    yr[ow] = mb > mt ? mb : mt;
                }
            }
        }
    }
    /* END SOLUTION */
}

static void maxpool_2x2_backward(tt_node *node)
{
    tt_tensor *x = node->in[0];
    const uint8_t *code = node->saved;
    const int64_t planes = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t Ho = node->out->shape[2], Wo = node->out->shape[3];
    const float *gy = node->out->grad;
#ifdef TT_CONV_X86
    /* nothing has written x's gradient yet (the usual case: one consumer): overwrite it */
    if (pool_simd() && !x->grad && !(x->flags & TT_PERSISTENT)) {
        bool fresh;
        float *gx = tt_grad_buf_fresh(x, &fresh);
        tt_conv_simd_kernels()->pool_backward(gy, code, NULL, planes, H, W, Ho, Wo, gx, H * W, W);
        return;
    }
#endif
    float *gx = tt_grad_buf(x);
    /* TODO: gy of output (oh, ow) goes to the winner its code names: row 2oh + (code >> 1), column
     * 2ow + (code & 1) */
    /* BEGIN SOLUTION */
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t oh = 0; oh < Ho; oh++) {
            float *g0 = gx + pl * H * W + 2 * oh * W;
            const float *gr = gy + (pl * Ho + oh) * Wo;
            const uint8_t *cr = code + (pl * Ho + oh) * Wo;
            for (int64_t ow = 0; ow < Wo; ow++) {
                const int k = cr[ow];
                g0[(k >> 1) * W + 2 * ow + (k & 1)] += gr[ow];
            }
        }
    }
    /* END SOLUTION */
}

static void maxpool_general(const float *x, const pool_dims *d, int kh, int kw, const tt_conv2d_geom *g,
                            float *y, int32_t *idx)
{
    /* TODO: for every plane and output (oh, ow): the max over the window's cells ih = oh * stride_h -
     * pad_h + i * dilation_h (and the same for iw) that lie inside the image; idx = ih * W + iw of the
     * first maximum in scan order; a NaN wins at once (as PyTorch) */
    /* BEGIN SOLUTION */
    for (int64_t pl = 0; pl < d->N * d->C; pl++) {
        const float *xp = x + pl * d->H * d->W;
        for (int64_t oh = 0; oh < d->Ho; oh++) {
            for (int64_t ow = 0; ow < d->Wo; ow++) {
                float m = -INFINITY;
                int32_t best = -1;
                for (int i = 0; i < kh; i++) {
                    int64_t ih = oh * g->stride_h - g->pad_h + (int64_t)i * g->dilation_h;
                    if (ih < 0 || ih >= d->H) {
                        continue;
                    }
                    for (int j = 0; j < kw; j++) {
                        int64_t iw = ow * g->stride_w - g->pad_w + (int64_t)j * g->dilation_w;
                        if (iw < 0 || iw >= d->W) {
                            continue;
                        }
                        float v = xp[ih * d->W + iw];
                        if (best < 0 || v > m || v != v) {
                            m = v;
                            best = (int32_t)(ih * d->W + iw);
                            if (v != v) {
                                break;
                            }
                        }
                    }
                    if (m != m) {
                        break;
                    }
                }
                const int64_t o = (pl * d->Ho + oh) * d->Wo + ow;
                y[o] = m;
                if (idx) {
                    idx[o] = best;
                }
            }
        }
    }
    /* END SOLUTION */
}

tt_tensor *tt_max_pool2d_ex(tt_tensor *x, int kh, int kw, const tt_conv2d_geom *g)
{
    pool_dims d = pool_check("tt_max_pool2d", x, kh, kw, g, true);
    tt_tensor *y = tt_empty(TT_SHAPE(d.N, d.C, d.Ho, d.Wo));
    tt_tensor *in[1] = {x};
    bool grad = tt_any_requires_grad(in, 1);
    if (kh == 2 && kw == 2 && g->stride_h == 2 && g->stride_w == 2 && g->pad_h == 0 && g->pad_w == 0 &&
        g->dilation_h == 1 && g->dilation_w == 1) {
        uint8_t *code = grad ? tt_arena_alloc((size_t)y->numel + 16) : NULL; /* slack: pool_avx512.c */
        maxpool_2x2(x->data, d.N * d.C, d.H, d.W, d.Ho, d.Wo, y->data, code);
        if (grad) {
            tt_node *n = tt_record("max_pool2d", y, in, 1, maxpool_2x2_backward);
            n->saved = code;
        }
        return y;
    }
    int32_t *idx = grad ? tt_arena_alloc((size_t)y->numel * sizeof(int32_t)) : NULL;
    maxpool_general(x->data, &d, kh, kw, g, y->data, idx);
    if (grad) {
        tt_node *n = tt_record("max_pool2d", y, in, 1, maxpool_backward);
        n->saved = idx;
    }
    return y;
}

tt_tensor *tt_max_pool2d(tt_tensor *x, int kernel, int stride, int padding)
{
    tt_conv2d_geom g = tt_conv2d_geom_make(stride > 0 ? stride : kernel, padding, 1, 1);
    return tt_max_pool2d_ex(x, kernel, kernel, &g);
}

/* ---- average pooling --------------------------------------------------------------------------- */

static void avgpool_run(const pool_dims *d, int kh, int kw, const tt_conv2d_geom *g, const float *x,
                        float *y, const float *gy, float *gx)
{
    /* TODO: forward (y set): y = the sum of the window's cells inside the image / (kh * kw) (padding counts
     * as zeros, PyTorch's count_include_pad); backward (y NULL): every cell of the window gets gy / (kh * kw) */
    /* BEGIN SOLUTION */
    const float inv = 1.0f / (float)(kh * kw);
    for (int64_t pl = 0; pl < d->N * d->C; pl++) {
        const int64_t xo = pl * d->H * d->W;
        for (int64_t oh = 0; oh < d->Ho; oh++) {
            int64_t h0 = oh * g->stride_h - g->pad_h, h1 = h0 + kh;
            h0 = h0 < 0 ? 0 : h0;
            h1 = h1 > d->H ? d->H : h1;
            for (int64_t ow = 0; ow < d->Wo; ow++) {
                int64_t w0 = ow * g->stride_w - g->pad_w, w1 = w0 + kw;
                w0 = w0 < 0 ? 0 : w0;
                w1 = w1 > d->W ? d->W : w1;
                const int64_t o = (pl * d->Ho + oh) * d->Wo + ow;
                if (y) {
                    float s = 0.0f;
                    for (int64_t ih = h0; ih < h1; ih++) {
                        for (int64_t iw = w0; iw < w1; iw++) {
                            s += x[xo + ih * d->W + iw];
                        }
                    }
                    y[o] = s * inv;
                } else {
                    const float gv = gy[o] * inv;
                    for (int64_t ih = h0; ih < h1; ih++) {
                        for (int64_t iw = w0; iw < w1; iw++) {
                            gx[xo + ih * d->W + iw] += gv;
                        }
                    }
                }
            }
        }
    }
    /* END SOLUTION */
}

static void avgpool_backward(tt_node *node)
{
    tt_tensor *x = node->in[0];
    tt_conv2d_geom g = tt_conv2d_geom_make(1, 0, 1, 1);
    g.stride_h = (int)node->iarg[2];
    g.stride_w = (int)node->iarg[3];
    g.pad_h = (int)node->iarg[4];
    g.pad_w = (int)node->iarg[5];
    int kh = (int)node->iarg[0], kw = (int)node->iarg[1];
    pool_dims d = pool_check("tt_avg_pool2d (backward)", x, kh, kw, &g, false);
    avgpool_run(&d, kh, kw, &g, NULL, NULL, node->out->grad, tt_grad_buf(x));
}

tt_tensor *tt_avg_pool2d_ex(tt_tensor *x, int kh, int kw, const tt_conv2d_geom *g)
{
    pool_dims d = pool_check("tt_avg_pool2d", x, kh, kw, g, false);
    tt_tensor *y = tt_empty(TT_SHAPE(d.N, d.C, d.Ho, d.Wo));
    avgpool_run(&d, kh, kw, g, x->data, y->data, NULL, NULL);
    tt_tensor *in[1] = {x};
    tt_node *n = tt_record("avg_pool2d", y, in, 1, avgpool_backward);
    if (n) {
        n->iarg[0] = kh;
        n->iarg[1] = kw;
        n->iarg[2] = g->stride_h;
        n->iarg[3] = g->stride_w;
        n->iarg[4] = g->pad_h;
        n->iarg[5] = g->pad_w;
    }
    return y;
}

tt_tensor *tt_avg_pool2d(tt_tensor *x, int kernel, int stride, int padding)
{
    tt_conv2d_geom g = tt_conv2d_geom_make(stride > 0 ? stride : kernel, padding, 1, 1);
    return tt_avg_pool2d_ex(x, kernel, kernel, &g);
}
