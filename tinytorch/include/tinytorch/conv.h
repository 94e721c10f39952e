/* conv.h - convolutions, pooling and batch normalisation over NCHW images (module 09).
 *
 * Layout. Every image tensor is NCHW: x [N, C, H, W], contiguous. A convolution weight is
 * [Cout, Cin/groups, kh, kw] and its bias [Cout]. Output size per spatial axis:
 *     out = (in + 2*pad - dilation*(k - 1) - 1) / stride + 1        (floor division, as PyTorch)
 *
 * How it is computed. tt_conv2d lowers the convolution to one matrix product per group (im2col):
 * the receptive fields of the whole batch become the columns of col [Cin/g*kh*kw, N*Hout*Wout], and
 *     Y[Cout/g, N*Hout*Wout] = W[Cout/g, Cin/g*kh*kw] @ col          (tt_sgemm, module 17)
 * Backward: dW += dY @ col^T and dcol = W^T @ dY, folded back into dx by col2im (the adjoint of
 * im2col). Stride-1 convolutions run the same products with the im2col left implicit (SIMD kernels
 * that read the padded input in place; tt_conv2d_set_impl). tt_conv2d_direct is the seven-loop
 * definition, kept as the reference the fast paths are tested against. All ops are differentiable
 * through the tape of module 06 and allocate only from the step arena.
 *
 * Shape errors (wrong rank, channels not divisible by groups, kernel larger than the padded input)
 * call tt_fatal() with the op's name and the shapes involved.
 */
#ifndef TINYTORCH_CONV_H
#define TINYTORCH_CONV_H

#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "tinytorch/tensor.h"

/* Geometry of a 2-D convolution or pooling window; h/w pairs may differ. */
typedef struct tt_conv2d_geom {
    int stride_h, stride_w;      /* >= 1 */
    int pad_h, pad_w;            /* >= 0, zeros (convolution) or ignored cells (max pooling) */
    int dilation_h, dilation_w;  /* >= 1 */
    int groups;                  /* >= 1; Cin and Cout divisible by it; groups == Cin: depthwise */
} tt_conv2d_geom;

/* Square geometry: the same stride, padding and dilation on both axes. */
tt_conv2d_geom tt_conv2d_geom_make(int stride, int padding, int dilation, int groups);

/* ---- convolution ------------------------------------------------------------------------------ */

/* y [N, Cout, Hout, Wout] = conv(x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]) + b [Cout].
 * b may be NULL. Differentiable in x, w and b. */
tt_tensor *tt_conv2d(tt_tensor *x, tt_tensor *w, tt_tensor *b, int stride, int padding, int dilation,
                     int groups);
tt_tensor *tt_conv2d_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g);
/* The same convolution followed by ReLU, in one pass over the output (fused epilogue): equal to
 * tt_relu(tt_conv2d_ex(...)) but without the intermediate tensor. */
tt_tensor *tt_conv2d_relu_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g);

/* tt_max_pool2d(tt_conv2d_relu_ex(...), 2, 2, 0) in one op: convolution, ReLU and the 2x2 / stride-2
 * max pool of each image run back to back while the image's output is in cache, so the full-size
 * convolution output is never stored; backward rebuilds the convolution's output gradient from the
 * pool's winners directly. Same values and gradients as the three ops (tested). Falls back to the
 * three ops where the SIMD path does not apply. */
tt_tensor *tt_conv2d_relu_maxpool2_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g);

/* Which implementation tt_conv2d uses. "im2col": the explicit column matrix + tt_sgemm for every
 * convolution (and the plain C 2x2 pool). "auto" (the default): stride-1, dilation-1, single-group
 * convolutions with padding smaller than the kernel run the implicit-im2col SIMD kernels where the
 * CPU has AVX-512 or AVX2 + FMA (no column matrix; see src/09_convolutions/ABOUT.md), with the
 * pixels of a row in the vector lanes, or the output channels when rows are short; everything else runs im2col +
 * tt_sgemm. "rows" and "channels" force one lane layout wherever the SIMD path applies (for tests
 * and measurements). The environment variable TT_CONV_IMPL sets the starting choice.
 * tt_conv2d_set_impl returns 0, or -1 for an unknown name (choice unchanged); tt_conv2d_impl names
 * the choice in effect ("im2col" on a CPU or build without the SIMD kernels). Not thread-safe:
 * choose before starting work. */
int tt_conv2d_set_impl(const char *name);
const char *tt_conv2d_impl(void);
/* The instruction set of the SIMD convolution kernels in use: "avx512", "avx2", or "portable" (no
 * SIMD kernels: CPU, TT_ISA cap or the "im2col" choice). The CPU probe picks the widest the CPU has;
 * TT_ISA=avx2|portable caps it (as for every kernel of the library). */
const char *tt_conv2d_isa(void);

/* The definition, as nested loops (no autograd): the teaching reference. */
tt_tensor *tt_conv2d_direct(const tt_tensor *x, const tt_tensor *w, const tt_tensor *b,
                            const tt_conv2d_geom *g);

/* Output length of one spatial axis; <= 0 when the window does not fit. */
int64_t tt_conv_out_size(int64_t in, int64_t k, int stride, int pad, int dilation);

/* im2col for the images n0 .. n0+nb-1 and channels c0 .. c0+cg-1 of x [N, C, H, W]:
 *   col[(c*kh + i)*kw + j, (n - n0)*P + oh*Wout + ow] = x[n, c0 + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
 * (0 outside the image), P = Hout*Wout; col has cg*kh*kw rows of nb*P floats. */
void tt_im2col(const float *x, int64_t C, int64_t H, int64_t W, int64_t n0, int64_t nb, int64_t c0,
               int64_t cg, int64_t kh, int64_t kw, const tt_conv2d_geom *g, float *col);
/* col2im: the adjoint of tt_im2col; ACCUMULATES every column entry into dx (same arguments). */
void tt_col2im(const float *col, int64_t C, int64_t H, int64_t W, int64_t n0, int64_t nb, int64_t c0,
               int64_t cg, int64_t kh, int64_t kw, const tt_conv2d_geom *g, float *dx);

/* ---- pooling (no groups; dilation applies to max pooling only, as in PyTorch) ------------------ */

/* y [N, C, Hout, Wout] = max over each window; padded cells never win. Gradient to the first
 * maximum of each window (PyTorch's rule). */
tt_tensor *tt_max_pool2d(tt_tensor *x, int kernel, int stride, int padding);
tt_tensor *tt_max_pool2d_ex(tt_tensor *x, int kh, int kw, const tt_conv2d_geom *g);
/* Mean over each window; padded zeros count in the divisor (count_include_pad = True). */
tt_tensor *tt_avg_pool2d(tt_tensor *x, int kernel, int stride, int padding);
tt_tensor *tt_avg_pool2d_ex(tt_tensor *x, int kh, int kw, const tt_conv2d_geom *g);

/* ---- batch normalisation ---------------------------------------------------------------------- */

/* y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel of x [N, C, H, W].
 * training: mean/var are the batch statistics over (N, H, W) (biased variance), and
 *   running_mean/running_var (persistent [C], may be NULL) are updated in place:
 *   running = (1 - momentum) * running + momentum * batch_stat, with the UNBIASED batch variance.
 * eval: mean/var are running_mean/running_var (then both are required).
 * gamma/beta [C] may be NULL (affine = False). Differentiable in x, gamma and beta. */
tt_tensor *tt_batch_norm2d(tt_tensor *x, tt_tensor *gamma, tt_tensor *beta, tt_tensor *running_mean,
                           tt_tensor *running_var, bool training, float momentum, float eps);

/* ---- layers (tt_layer, nn.h) ------------------------------------------------------------------ */

typedef struct tt_conv2d_layer {
    tt_layer base;
    tt_tensor *weight;   /* [Cout, Cin/groups, kh, kw] */
    tt_tensor *bias;     /* [Cout] or NULL */
    int64_t in_channels, out_channels, kh, kw;
    tt_conv2d_geom geom;
} tt_conv2d_layer;
/* PyTorch's default init: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in =
 * Cin/groups * k * k (kaiming_uniform with a = sqrt(5)). rng NULL = tt_default_rng().
 * Inside a Sequential, a Conv2d followed by ReLU (and then MaxPool2d(2): kernel 2, stride 2, no
 * padding) runs as one fused kernel (tt_conv2d_relu_ex, tt_conv2d_relu_maxpool2_ex): the Sequential
 * decides it (nn.h, tt_layer_fusion); the model keeps its three layers. */
tt_layer *tt_conv2d_new(int64_t in_channels, int64_t out_channels, int kernel, int stride,
                        int padding, int dilation, int groups, bool bias, tt_rng *rng);

/* stride 0 = kernel (PyTorch's default). */
tt_layer *tt_maxpool2d_new(int kernel, int stride, int padding);
tt_layer *tt_avgpool2d_new(int kernel, int stride, int padding);
/* A pooling layer's kernel, stride and padding; returns -1 (nothing written) for another layer kind. */
int tt_pool2d_params(const tt_layer *l, int *kernel, int *stride, int *padding);

/* LeNet-5 for [B, 1, 28, 28] images and 10 classes, the curriculum's CNN (milestone 04, tito train,
 * MLPerf EDU, the benchmarks): Conv2d(1, 6, 5, padding 2), ReLU, MaxPool2d(2), Conv2d(6, 16, 5),
 * ReLU, MaxPool2d(2), Flatten, Linear(400, 120), ReLU, Linear(120, 84), ReLU, Linear(84, 10), as
 * one Sequential (children 0..11, so its tensor names are the same everywhere); PyTorch's default
 * init, the layers drawn from rng in that order (NULL = tt_default_rng()). */
tt_layer *tt_lenet5_new(tt_rng *rng);

typedef struct tt_batchnorm2d_layer {
    tt_layer base;
    tt_tensor *weight, *bias;               /* gamma, beta [C] (NULL when affine = false) */
    tt_tensor *running_mean, *running_var;  /* [C], persistent, start at 0 and 1 */
    int64_t num_features;
    float momentum, eps;
} tt_batchnorm2d_layer;
/* momentum 0.1 and eps 1e-5 are PyTorch's defaults. The running statistics are buffers, not
 * parameters: collect_params lists weight and bias only. */
tt_layer *tt_batchnorm2d_new(int64_t num_features, float momentum, float eps, bool affine);

#endif
