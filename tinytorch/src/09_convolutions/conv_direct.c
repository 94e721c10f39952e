/* conv_direct.c - the convolution as its definition: seven nested loops (module 09's reference).
 *
 *   y[n, co, oh, ow] = b[co] + sum_{ci < Cin/G, i < kh, j < kw}
 *                      x[n, g*Cin/G + ci, oh*sh - ph + i*dh, ow*sw - pw + j*dw] * w[co, ci, i, j]
 * with g = co / (Cout/G) and x = 0 outside the image. Accumulates in double. No autograd: it exists
 * so that tests can check the im2col + SGEMM path (conv2d.c) against the definition, and so that a
 * learner can time the two side by side.
 */
#include "tinytorch/conv.h"

tt_tensor *tt_conv2d_direct(const tt_tensor *x, const tt_tensor *w, const tt_tensor *b,
                            const tt_conv2d_geom *g)
{
    if (x->ndim != 4 || w->ndim != 4 || g->groups < 1 || x->shape[1] % g->groups != 0 ||
        w->shape[0] % g->groups != 0 || w->shape[1] != x->shape[1] / g->groups ||
        (b && b->numel != w->shape[0])) {
        char sx[96], sw[96];
        tt_fatal("tt_conv2d_direct: input %s and weight %s do not match (groups %d)",
                 tt_shape_str(x, sx, sizeof sx), tt_shape_str(w, sw, sizeof sw), g->groups);
    }
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t Cout = w->shape[0], Cg = w->shape[1], kh = w->shape[2], kw = w->shape[3];
    const int64_t Cog = Cout / g->groups;
    const int64_t Ho = tt_conv_out_size(H, kh, g->stride_h, g->pad_h, g->dilation_h);
    const int64_t Wo = tt_conv_out_size(W, kw, g->stride_w, g->pad_w, g->dilation_w);
    if (Ho <= 0 || Wo <= 0) {
        char sx[96], sw[96];
        tt_fatal("tt_conv2d_direct: kernel of %s larger than the padded input %s",
                 tt_shape_str(w, sw, sizeof sw), tt_shape_str(x, sx, sizeof sx));
    }
    tt_tensor *y = tt_empty(TT_SHAPE(N, Cout, Ho, Wo));
    float *out = y->data;
    /* TODO: the definition above, output by output in NCHW order, in double: y = b[co] + the sum over the
     * Cin/groups input channels of co's group and the kernel taps that land inside the image */
    /* BEGIN SOLUTION */
    for (int64_t n = 0; n < N; n++) {
        for (int64_t co = 0; co < Cout; co++) {
            const int64_t cbase = co / Cog * Cg;
            for (int64_t oh = 0; oh < Ho; oh++) {
                for (int64_t ow = 0; ow < Wo; ow++) {
                    double s = b ? b->data[co] : 0.0;
                    for (int64_t ci = 0; ci < Cg; ci++) {
                        for (int64_t i = 0; i < kh; i++) {
                            int64_t ih = oh * g->stride_h - g->pad_h + i * g->dilation_h;
                            if (ih < 0 || ih >= H) {
                                continue;
                            }
                            for (int64_t j = 0; j < kw; j++) {
                                int64_t iw = ow * g->stride_w - g->pad_w + j * g->dilation_w;
                                if (iw < 0 || iw >= W) {
                                    continue;
                                }
                                s += (double)x->data[((n * C + cbase + ci) * H + ih) * W + iw] *
                                     (double)w->data[((co * Cg + ci) * kh + i) * kw + j];
                            }
                        }
                    }
                    *out++ = (float)s;
                }
            }
        }
    }
    /* END SOLUTION */
    return y;
}
