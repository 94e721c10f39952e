/* conv2d.c - 2-D convolution by im2col + SGEMM, forward and backward (module 09).
 *
 * Per group g (Cg = Cin/G input channels, Cog = Cout/G output channels, CKK = Cg*kh*kw rows,
 * P = Hout*Wout output pixels per image), for a chunk of nb images:
 *     col [CKK, nb*P]        = im2col(x)                       (receptive fields as columns)
 *     Y   [Cog, nb*P]        = W_g [Cog, CKK] @ col            (one SGEMM for the whole chunk)
 *     y[n, g*Cog + o, p]     = Y[o, n*P + p] + b (+ ReLU)       (scatter to NCHW, fused epilogue)
 * Batching the chunk into one product gives the SGEMM a long N dimension (64*784 columns for
 * LeNet's first layer) instead of one short product per image.
 * Backward, with dY permuted to [Cog, nb*P] (the bias gradient is summed in the same pass):
 *     dW_g += dY @ col^T        dcol = W_g^T @ dY       dx += col2im(dcol)
 * The columns are kept from the forward pass for dW when they fit in COL_SAVE_LIMIT floats; else
 * they are rebuilt. dx is only computed when x needs a gradient (never for the network's input).
 *
 * Stride-1, dilation-1, single-group convolutions take the SIMD path below instead (implicit
 * im2col, conv2d_avx512.c, or conv2d_avx2.c on AVX2 + FMA; one kernel table chosen by the CPU probe,
 * capped by TT_ISA); tt_conv2d_set_impl("im2col") forces the path
 * above everywhere. tt_conv2d_relu_maxpool2_ex fuses the 2x2 max pool into that path.
 *
 * Memory: everything comes from the step arena; scratch (Y, dY, dcol, unsaved columns) is released
 * before the op returns. Chunks are sized so one col holds at most COL_CHUNK_FLOATS floats, so the
 * columns are still in L2 when the SGEMM packs them (measured on LeNet: 6-8 images per chunk beat
 * the whole batch of 64 by about 20%, see ABOUT.md); a batch that fits in one chunk keeps them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../common/cpu.h"
#include "conv_internal.h"
#include "tinytorch/amp.h"
#include "tinytorch/conv.h"
#include "tinytorch/gemm.h"
#ifdef TT_HAVE_OPENMP
#include <omp.h>
#endif

#define COL_CHUNK_FLOATS ((int64_t)128 << 10) /* 512 KiB per im2col buffer: stays in L2 */
#define COL_SAVE_LIMIT ((int64_t)16 << 20)    /* keep at most 64 MiB of columns for backward */

tt_conv2d_geom tt_conv2d_geom_make(int stride, int padding, int dilation, int groups)
{
    tt_conv2d_geom g = {stride, stride, padding, padding, dilation, dilation, groups};
    return g;
}

int64_t tt_conv_out_size(int64_t in, int64_t k, int stride, int pad, int dilation)
{
    /* TODO: a dilated kernel spans dilation (k - 1) + 1 cells; the padded input has in + 2 pad: the
     * number of stride steps that fit, plus one (0 when the kernel does not fit or stride <= 0) */
    /* BEGIN SOLUTION */
    int64_t span = (int64_t)dilation * (k - 1) + 1;
    int64_t room = in + 2 * (int64_t)pad - span;
    if (room < 0 || stride <= 0) {
        return 0;
    }
    return room / stride + 1;
    /* END SOLUTION */
}

/* ---- im2col / col2im -------------------------------------------------------------------------- */

/* Range [lo, hi) of output columns ow whose input column ow*s - p + off lies in [0, W). */
static void valid_range(int64_t Wo, int64_t W, int s, int64_t p_minus_off, int64_t *lo, int64_t *hi)
{
    /* iw = ow*s - p_minus_off >= 0  <=> ow >= ceil(p_minus_off / s) */
    int64_t a = p_minus_off <= 0 ? 0 : (p_minus_off + s - 1) / s;
    /* iw <= W - 1  <=> ow <= floor((W - 1 + p_minus_off) / s) */
    int64_t top = W - 1 + p_minus_off;
    int64_t b = top < 0 ? 0 : top / s + 1;
    *lo = a < Wo ? a : Wo;
    *hi = b < Wo ? b : Wo;
    if (*hi < *lo) {
        *hi = *lo;
    }
}

void tt_im2col(const float *x, int64_t C, int64_t H, int64_t W, int64_t n0, int64_t nb, int64_t c0,
               int64_t cg, int64_t kh, int64_t kw, const tt_conv2d_geom *g, float *col)
{
    const int64_t Ho = tt_conv_out_size(H, kh, g->stride_h, g->pad_h, g->dilation_h);
    const int64_t Wo = tt_conv_out_size(W, kw, g->stride_w, g->pad_w, g->dilation_w);
    const int64_t P = Ho * Wo, ld = nb * P;
    const int sh = g->stride_h, sw = g->stride_w;
    /* TODO: row (c, i, j) of col (c < cg, from channel c0 + c), column n * P + oh * Wo + ow (images n0 ..
     * n0 + nb - 1) = x[n0 + n, c0 + c, ih, iw] with ih = oh * stride_h - pad_h + i * dilation_h (iw
     * likewise), 0 outside the image. valid_range gives the ow whose iw is inside. */
    /* BEGIN SOLUTION */
    for (int64_t c = 0; c < cg; c++) {
        for (int64_t i = 0; i < kh; i++) {
            for (int64_t j = 0; j < kw; j++) {
                float *row = col + ((c * kh + i) * kw + j) * ld;
                const int64_t off_w = (int64_t)g->pad_w - j * g->dilation_w;
                int64_t lo, hi;
                valid_range(Wo, W, sw, off_w, &lo, &hi);
                for (int64_t n = 0; n < nb; n++) {
                    const float *xc = x + ((n0 + n) * C + c0 + c) * H * W;
                    float *dst = row + n * P;
                    for (int64_t oh = 0; oh < Ho; oh++, dst += Wo) {
                        int64_t ih = oh * sh - g->pad_h + i * g->dilation_h;
                        if (ih < 0 || ih >= H) {
                            memset(dst, 0, (size_t)Wo * sizeof(float));
                            continue;
                        }
                        for (int64_t ow = 0; ow < lo; ow++) {
                            dst[ow] = 0.0f;
                        }
                        const float *src = xc + ih * W - off_w;   /* src[ow*sw] = x[ih, ow*sw - off_w] */
                        if (sw == 1) {
                            memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++) {
                                dst[ow] = src[ow * sw];
                            }
                        }
                        for (int64_t ow = hi; ow < Wo; ow++) {
                            dst[ow] = 0.0f;
                        }
                    }
                }
            }
        }
    }
    /* END SOLUTION */
}

void tt_col2im(const float *col, int64_t C, int64_t H, int64_t W, int64_t n0, int64_t nb, int64_t c0,
               int64_t cg, int64_t kh, int64_t kw, const tt_conv2d_geom *g, float *dx)
{
    const int64_t Ho = tt_conv_out_size(H, kh, g->stride_h, g->pad_h, g->dilation_h);
    const int64_t Wo = tt_conv_out_size(W, kw, g->stride_w, g->pad_w, g->dilation_w);
    const int64_t P = Ho * Wo, ld = nb * P;
    const int sh = g->stride_h, sw = g->stride_w;
    /* TODO: im2col's adjoint: every column entry is added (+=) back into the input cell it was copied
     * from; entries that came from padding go nowhere */
    /* BEGIN SOLUTION */
    for (int64_t c = 0; c < cg; c++) {
        for (int64_t i = 0; i < kh; i++) {
            for (int64_t j = 0; j < kw; j++) {
                const float *row = col + ((c * kh + i) * kw + j) * ld;
                const int64_t off_w = (int64_t)g->pad_w - j * g->dilation_w;
                int64_t lo, hi;
                valid_range(Wo, W, sw, off_w, &lo, &hi);
                for (int64_t n = 0; n < nb; n++) {
                    float *xc = dx + ((n0 + n) * C + c0 + c) * H * W;
                    const float *src = row + n * P;
                    for (int64_t oh = 0; oh < Ho; oh++, src += Wo) {
                        int64_t ih = oh * sh - g->pad_h + i * g->dilation_h;
                        if (ih < 0 || ih >= H) {
                            continue;
                        }
                        float *d = xc + ih * W - off_w;
                        if (sw == 1) {
                            for (int64_t ow = lo; ow < hi; ow++) {
                                d[ow] += src[ow];
                            }
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++) {
                                d[ow * sw] += src[ow];
                            }
                        }
                    }
                }
            }
        }
    }
    /* END SOLUTION */
}

/* ---- shape checking ---------------------------------------------------------------------------- */

typedef struct conv_dims {
    int64_t N, C, H, W, Cout, Cg, Cog, kh, kw, Ho, Wo, P, CKK;
    int G;
} conv_dims;

static void conv_fail(const char *op, const tt_tensor *x, const tt_tensor *w, const tt_tensor *b,
                      const char *why)
{
    char sx[96], sw[96], sb[96] = "none";
    if (b) {
        tt_shape_str(b, sb, sizeof sb);
    }
    tt_fatal("%s: input %s, weight %s, bias %s: %s", op, tt_shape_str(x, sx, sizeof sx),
             tt_shape_str(w, sw, sizeof sw), sb, why);
}

static conv_dims conv_check(const char *op, const tt_tensor *x, const tt_tensor *w, const tt_tensor *b,
                            const tt_conv2d_geom *g)
{
    conv_dims d;
    memset(&d, 0, sizeof d);
    if (x->ndim != 4 || w->ndim != 4) {
        conv_fail(op, x, w, b, "want input [N, C, H, W] and weight [Cout, C/groups, kh, kw]");
    }
    if (g->stride_h < 1 || g->stride_w < 1 || g->dilation_h < 1 || g->dilation_w < 1 ||
        g->pad_h < 0 || g->pad_w < 0 || g->groups < 1) {
        conv_fail(op, x, w, b, "stride and dilation must be >= 1, padding >= 0, groups >= 1");
    }
    d.N = x->shape[0];
    d.C = x->shape[1];
    d.H = x->shape[2];
    d.W = x->shape[3];
    d.Cout = w->shape[0];
    d.Cg = w->shape[1];
    d.kh = w->shape[2];
    d.kw = w->shape[3];
    d.G = g->groups;
    if (d.C % d.G != 0 || d.Cout % d.G != 0) {
        conv_fail(op, x, w, b, "input and output channels must be divisible by groups");
    }
    if (d.Cg != d.C / d.G) {
        conv_fail(op, x, w, b, "weight's dim 1 must equal input channels / groups");
    }
    if (b && (b->numel != d.Cout)) {
        conv_fail(op, x, w, b, "bias must have Cout elements");
    }
    d.Cog = d.Cout / d.G;
    d.Ho = tt_conv_out_size(d.H, d.kh, g->stride_h, g->pad_h, g->dilation_h);
    d.Wo = tt_conv_out_size(d.W, d.kw, g->stride_w, g->pad_w, g->dilation_w);
    if (d.Ho <= 0 || d.Wo <= 0 || d.kh < 1 || d.kw < 1) {
        conv_fail(op, x, w, b, "the (dilated) kernel is larger than the padded input");
    }
    d.P = d.Ho * d.Wo;
    d.CKK = d.Cg * d.kh * d.kw;
    return d;
}

/* Images per chunk so that one col [CKK, nb*P] stays under COL_CHUNK_FLOATS. */
static int64_t chunk_images(const conv_dims *d)
{
    int64_t per = d->CKK * d->P;
    int64_t nb = per > 0 ? COL_CHUNK_FLOATS / per : d->N;
    if (nb < 1) {
        nb = 1;
    }
    return nb < d->N ? nb : d->N;
}

/* ---- the SIMD path: implicit im2col, stride 1 ---------------------------------------------------
 *
 * For stride 1, dilation 1 and one group, column (c, i, j) of output pixel (oh, ow) is the padded
 * input at (c, oh + i, ow + j): 16 neighbouring output pixels of a row read 16 neighbouring floats of
 * a padded input row. The kernels in conv2d_avx512.c use that to run the same product as im2col +
 * SGEMM without writing the column matrix (which is kh*kw times the input: 25x for 5x5), with the
 * long dimension (output pixels of a row) in the vector lanes and the few output channels in
 * registers, the shape where a general SGEMM tile does worst. Per image:
 *   forward   y[co, oh, ow] = b[co] + sum_{c,i,j} w[co, c, i, j] * xpad[c, oh + i, ow + j]
 *   dW        dW[co, c, i, j] += sum_{oh, ow} dy[co, oh, ow] * xpad[c, oh + i, ow + j]
 *   dx        dx[c, h, w] += sum_{co,i,j} wflip[c, co, i, j] * dypad[co, h + i, w + j]
 * where wflip[c, co, i, j] = w[co, c, kh-1-i, kw-1-j] and dypad is dy with kh-1-ph rows and kw-1-pw
 * columns of zeros around it (the transposed convolution, written as a "full" convolution so the
 * same forward kernel serves; it needs padding < kernel). Rows shorter than 3/4 of their vectors
 * put 16 output channels in the lanes instead for the forward and dW, and on AVX-512 for dx too
 * ("channels", see channels_in_lanes). Backward works on chunks of images whose padded buffers
 * stay near L1; a gradient buffer nothing has written yet is overwritten rather than zero-filled and
 * added to. */

/* 0: im2col + tt_sgemm everywhere, 1: auto, 2: SIMD with pixels in the lanes wherever it applies,
 * 3: SIMD with output channels in the lanes wherever it applies; -1: not read from the environment. */
static _Atomic int conv_impl = -1; /* atomic: the threads of a split step may read it first together */
static const char *const impl_names[] = {"im2col", "auto", "rows", "channels"};

#ifdef TT_CONV_X86
static const tt_conv_kernels kernels_avx512 = {
    "avx512", tt_conv_avx512_planes, tt_conv_avx512_wgrad, tt_conv_avx512_planes_cvec,
    tt_conv_avx512_wgrad_cvec, tt_conv_avx512_gather, tt_pool_avx512_max2x2, tt_pool_avx512_max2x2_backward,
    tt_pool_avx512_lanes, tt_pool_avx512_grad_lanes, tt_conv_avx512_dx_cvec, tt_conv_avx512_dx_nvec,
    tt_conv_avx512_dx_nvec_work};
static const tt_conv_kernels kernels_avx2 = {
    "avx2", tt_conv_avx2_planes, tt_conv_avx2_wgrad, tt_conv_avx2_planes_cvec,
    tt_conv_avx2_wgrad_cvec, tt_conv_avx2_gather, tt_pool_avx2_max2x2, tt_pool_avx2_max2x2_backward, NULL, NULL,
    NULL, NULL, NULL};
#endif

const tt_conv_kernels *tt_conv_simd_kernels(void)
{
#ifdef TT_CONV_X86
    if (tt__cpu_has(TT_CPU_AVX512F)) {
        return &kernels_avx512;
    }
    if (tt__cpu_has(TT_CPU_AVX2 | TT_CPU_FMA)) {
        return &kernels_avx2;
    }
#endif
    return NULL;
}

static int simd_supported(void) { return tt_conv_simd_kernels() != NULL; }

const char *tt_conv2d_isa(void)
{
    const tt_conv_kernels *k = tt_conv_simd_kernels();
    return k && strcmp(tt_conv2d_impl(), "im2col") != 0 ? k->isa : "portable";
}

int tt_conv2d_set_impl(const char *name)
{
    for (int k = 0; k < 4; k++) {
        if (strcmp(name ? name : "auto", impl_names[k]) == 0) {
            conv_impl = k;
            return 0;
        }
    }
    return -1;
}

const char *tt_conv2d_impl(void)
{
    if (conv_impl < 0) {
        const char *e = getenv("TT_CONV_IMPL");
        if (!e || tt_conv2d_set_impl(e) != 0) {
            conv_impl = 1;
        }
    }
    return simd_supported() ? impl_names[conv_impl] : "im2col";
}

static bool simd_applies(const conv_dims *d, const tt_conv2d_geom *g)
{
    /* under mixed precision (amp.h) the products go through tt_sgemm's half-operand path */
    return tt_get_matmul_precision() == TT_FP32 && strcmp(tt_conv2d_impl(), "im2col") != 0 && d->G == 1 &&
           g->stride_h == 1 &&
           g->stride_w == 1 && g->dilation_h == 1 && g->dilation_w == 1 && g->pad_h < d->kh &&
           g->pad_w < d->kw;
}

#ifdef TT_CONV_X86
/* Output channels in the lanes (conv2d_avx512.c, "channels") instead of pixels of a row ("rows"):
 * chosen when rows fill less than 3/4 of their vectors (LeNet's conv2: 10 of 16 lanes) and the
 * channels fill more of theirs (16 of 16 there; a conv pruned to 8 channels would fill 8 of 16 and
 * stays on rows); the kernel handles kw <= 6. With at most 16 output channels the AVX-512 input
 * gradient takes the same lanes (tt_conv_avx512_dx_cvec: one 16-lane sum per dx value); AVX2 keeps
 * the full convolution on rows for it. */
static bool channels_in_lanes(const conv_dims *d)
{
    const char *impl = tt_conv2d_impl();
    if (d->kw > 6 || strcmp(impl, "rows") == 0) {
        return false;
    }
    const int64_t row_lanes = 16 * tt_conv_row_vecs(d->Wo), ch_lanes = 16 * ((d->Cout + 15) / 16);
    const bool short_rows = 4 * d->Wo < 3 * row_lanes;
    const bool fuller = d->Cout * row_lanes > d->Wo * ch_lanes; /* Cout / ch_lanes > Wo / row_lanes */
    return strcmp(impl, "channels") == 0 || (short_rows && d->Cout >= 8 && fuller);
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* wv [ceil(Cout/16)][CKK][16]: block b, column k, lane l = w[16b + l, k] (0 past Cout). */
static float *channel_weights(const float *w, const conv_dims *d)
{
    const int64_t nblk = (d->Cout + 15) / 16;
    float *wv = tt_arena_alloc((size_t)(nblk * d->CKK * 16) * sizeof(float));
    memset(wv, 0, (size_t)(nblk * d->CKK * 16) * sizeof(float));
    for (int64_t co = 0; co < d->Cout; co++) {
        for (int64_t k = 0; k < d->CKK; k++) {
            wv[(co / 16 * d->CKK + k) * 16 + co % 16] = w[co * d->CKK + k];
        }
    }
    return wv;
}

/* Padded input planes of one image: Hp x Wp per channel, image at (ph, pw). Wp leaves room for the
 * last row vector's loads (16*ceil(Wo/16) + kw - 1). */
typedef struct pad_dims { int64_t Hp, Wp, plane, img; } pad_dims;

static pad_dims x_pad_dims(const conv_dims *d, const tt_conv2d_geom *g)
{
    pad_dims p;
    p.Hp = d->H + 2 * (int64_t)g->pad_h;
    p.Wp = max64(d->W + 2 * (int64_t)g->pad_w, 16 * tt_conv_row_vecs(d->Wo) + d->kw - 1);
    p.plane = p.Hp * p.Wp;
    p.img = d->C * p.plane;
    return p;
}

/* Copies image x [C, H, W] into the interior of xp; the border must already be zero. */
static void pad_image(const float *x, const conv_dims *d, const tt_conv2d_geom *g, const pad_dims *p,
                      float *xp)
{
    for (int64_t c = 0; c < d->C; c++) {
        for (int64_t h = 0; h < d->H; h++) {
            memcpy(xp + c * p->plane + (h + g->pad_h) * p->Wp + g->pad_w, x + (c * d->H + h) * d->W,
                   (size_t)d->W * sizeof(float));
        }
    }
}

/* Threads for one SIMD convolution: the batch is split across them (each image is independent, so
 * forward results do not depend on the count; weight and bias gradients are summed per thread, then
 * across threads in a fixed order). Work under CONV_THREAD_FLOPS per thread stays on fewer threads:
 * waking a thread costs more than a small convolution. */
#define CONV_THREAD_FLOPS 2e6
#define CONV_MAX_THREADS 64

static int conv_threads(const conv_dims *d)
{
#ifdef TT_HAVE_OPENMP
    if (omp_in_parallel()) {
        return 1; /* the caller already runs threads (a step split across them): do not nest */
    }
    int64_t nt = tt_get_num_threads();
    const double flops = 2.0 * (double)d->N * (double)d->Cout * (double)d->P * (double)d->CKK;
    const int64_t by_work = (int64_t)(flops / CONV_THREAD_FLOPS);
    nt = nt < by_work ? nt : by_work;
    nt = nt < d->N ? nt : d->N;
    nt = nt < CONV_MAX_THREADS ? nt : CONV_MAX_THREADS;
    return nt < 1 ? 1 : (int)nt;
#else
    (void)d;
    return 1;
#endif
}

static int thread_id(void)
{
#ifdef TT_HAVE_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}
#endif

/* code != NULL: y is the 2x2 max pool of the convolution [N, Cout, Ho/2, Wo/2]; the convolution of
 * one image goes to a scratch plane set (cache-resident) and never to memory in full. Images are
 * shared out among conv_threads() threads, each with its own padded input and scratch planes. */
static void simd_forward(const float *x, const float *w, const float *b, const conv_dims *d,
                         const tt_conv2d_geom *g, int relu, float *y, uint8_t *code)
{
#ifdef TT_CONV_X86
    const tt_conv_kernels *K = tt_conv_simd_kernels();
    const pad_dims p = x_pad_dims(d, g);
    const int64_t Ho2 = d->Ho / 2, Wo2 = d->Wo / 2, pooled = d->Cout * Ho2 * Wo2;
    const int nt = conv_threads(d);
    tt_arena_mark m = tt_arena_get_mark();
    float *xps = tt_arena_alloc((size_t)(nt * p.img) * sizeof(float));
    const float *wv = channels_in_lanes(d) ? channel_weights(w, d) : NULL;
    const int64_t yi_len = wv ? (d->Cout + 15) / 16 * 16 * d->P : d->Cout * d->P; /* lanes: whole blocks */
    float *yis = code ? tt_arena_alloc((size_t)(nt * yi_len) * sizeof(float)) : NULL;
    memset(xps, 0, (size_t)(nt * p.img) * sizeof(float));
#ifdef TT_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
#endif
    for (int64_t n = 0; n < d->N; n++) {
        const int t = thread_id();
        float *xp = xps + t * p.img, *yi = code ? yis + t * yi_len : NULL;
        pad_image(x + n * d->C * d->H * d->W, d, g, &p, xp);
        float *dst = code ? yi : y + n * d->Cout * d->P;
        if (wv && code && K->pool_lanes) { /* the pool reads the channels in lanes as the kernel leaves them */
            K->planes_cvec(xp, d->C, p.plane, p.Wp, g->pad_h, g->pad_h + d->H, wv, d->Cout, d->kh, d->kw, d->Ho,
                           d->Wo, b, relu, 1, dst);
            K->pool_lanes(dst, d->Cout, d->Ho, d->Wo, y + n * pooled, code + n * pooled);
            continue;
        }
        if (wv) {
            K->planes_cvec(xp, d->C, p.plane, p.Wp, g->pad_h, g->pad_h + d->H, wv, d->Cout, d->kh,
                                       d->kw, d->Ho, d->Wo, b, relu, 0, dst);
        } else {
            K->planes(xp, d->C, p.plane, p.Wp, g->pad_h, g->pad_h + d->H, w, d->Cout, d->kh,
                                  d->kw, d->Ho, d->Wo, b, relu, 0, dst);
        }
        if (code) {
            K->pool(yi, d->Cout, d->Ho, d->Wo, Ho2, Wo2, y + n * pooled, code + n * pooled);
        }
    }
    tt_arena_release(m);
#else
    (void)x, (void)w, (void)b, (void)d, (void)g, (void)relu, (void)y, (void)code;
    tt_fatal("tt_conv2d: SIMD path chosen on a build without it");
#endif
}

#ifdef TT_CONV_X86
/* One backward pass's shapes and inputs, shared by the threads (read-only), and each thread's buffers. */
typedef struct simd_bwd {
    const tt_conv_kernels *K;
    const float *x, *gy, *y, *wf;
    const float *wl;   /* dx_cvec: the weights [C][kh][kw][16] with output channels in the lanes */
    const float *wt;   /* dx_nvec: the weights [kh][kw][Cout][C] */
    const uint8_t *code;
    const conv_dims *d;
    const tt_conv2d_geom *g;
    pad_dims p;
    int relu, gx_fresh, want_gw;
    bool cvec, dxc;    /* dxc: the input gradient with channels in the lanes too (from dyn) */
    bool dxn;          /* dxc's sums with images in the lanes instead, once per thread (dyn kept whole) */
    int64_t dtop, dleft, Wd, dplane, dimg, nb, nw, nblk, acc_len, Wp2;
    float *gx;
} simd_bwd;

typedef struct simd_bwd_buf {
    float *dyb, *xpb, *dyn, *acc16;
    float *dyp;        /* dxc: one image's dy [Ho][Wp2][16], zero columns either side of each row */
    float *dxw;        /* dxn: the kernel's work buffer */
    double *gbs;
} simd_bwd_buf;

/* lane[(oh * Wo + ow) * 16] = src[oh * Wd + ow]: one channel's plane into its lane of [P][16]. A
 * function of its own, not inlined, so the pointers stay in registers (inlined into the OpenMP
 * body, GCC kept them on the stack: a store-to-load chain per element). */
static __attribute__((noinline)) void to_lane(float *restrict lane, const float *restrict src, int64_t Ho, int64_t Wo, int64_t Wd)
{
    for (int64_t oh = 0; oh < Ho; oh++) {
        float *restrict o = lane + oh * Wo * 16;
        const float *restrict r = src + oh * Wd;
        for (int64_t ow = 0; ow < Wo; ow++) {
            o[ow * 16] = r[ow];
        }
    }
}

/* The pooled gradient of one image straight into the channels-in-lanes dy, dyn[p][c] (p = oh * Wo +
 * ow, C <= 16 channels, lanes past C zero): each pooled position's gradient goes to its window's
 * winner (code), or nowhere when a ReLU before the pool left the window's max <= 0; gbs[c] gets the
 * channel's sum (the bias gradient). One pass over the pooled values instead of a plane per channel
 * and a transpose of each into its lane. Not inlined, for to_lane's reason. */
static __attribute__((noinline)) void pool_grad_to_lanes(const float *restrict gy, const uint8_t *restrict code,
                                                          const float *restrict y, int64_t C, int64_t Ho, int64_t Wo,
                                                          float *restrict dyn, double *restrict gbs)
{
    const int64_t Ho2 = Ho / 2, Wo2 = Wo / 2, Q = Ho2 * Wo2;
#define POOLED_GRAD(q) (yc && !(yc[q] > 0.0f) ? 0.0f : g[q]) /* 0 where the ReLU cut the window */
    memset(dyn, 0, (size_t)(Ho * Wo * 16) * sizeof(float));
    for (int64_t c = 0; c < C; c++) {
        const float *g = gy + c * Q, *yc = y ? y + c * Q : NULL;
        const uint8_t *k = code + c * Q;
        for (int64_t ph = 0; ph < Ho2; ph++) {
            for (int64_t pw = 0; pw < Wo2; pw++) {
                const int64_t q = ph * Wo2 + pw, w = k[q];
                dyn[((2 * ph + w / 2) * Wo + 2 * pw + w % 2) * 16 + c] = POOLED_GRAD(q);
            }
        }
    }
    for (int64_t c = 0; gbs && c < C; c++) { /* the bias gradient from the pooled values: four partial
                                                 sums (one running sum is a chain of dependent adds; and
                                                 dyn, just written a float at a time, is not read back) */
        const float *g = gy + c * Q, *yc = y ? y + c * Q : NULL;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        int64_t q = 0;
        for (; q + 4 <= Q; q += 4) {
            s0 += POOLED_GRAD(q);
            s1 += POOLED_GRAD(q + 1);
            s2 += POOLED_GRAD(q + 2);
            s3 += POOLED_GRAD(q + 3);
        }
        for (; q < Q; q++) {
            s0 += POOLED_GRAD(q);
        }
#undef POOLED_GRAD
        gbs[c] += (s0 + s1) + (s2 + s3);
    }
}

/* Images [n_lo, n_hi) in chunks of B->nb: dx straight into gx, dW and db summed into the buffer. */
static void simd_backward_images(const simd_bwd *B, const simd_bwd_buf *u, int64_t n_lo, int64_t n_hi)
{
    const tt_conv_kernels *K = B->K;
    const conv_dims *d = B->d;
    const tt_conv2d_geom *g = B->g;
    const int64_t dtop = B->dtop, dleft = B->dleft, Wd = B->Wd, dplane = B->dplane, dimg = B->dimg;
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += B->nb) {
        const int64_t cnt = n_hi - n0 < B->nb ? n_hi - n0 : B->nb;
        /* dxn keeps every image's dyn for the input gradient at the end; otherwise it is the chunk's */
        float *dyn = B->dxn ? u->dyn + (n0 - n_lo) * d->P * 16 : u->dyn;
        /* a pooled conv whose dW and dx both take dy with channels in lanes (one block of 16): the
         * pooled gradient goes there directly, and the planes are not built */
        const bool lanes_only = B->code && B->cvec && B->nblk == 1 && (!B->gx || B->dxc);
        for (int64_t k = 0; lanes_only && k < cnt; k++) {
            const int64_t off = (n0 + k) * d->Cout * (d->Ho / 2) * (d->Wo / 2);
            (K->pool_grad_lanes ? K->pool_grad_lanes : pool_grad_to_lanes)(
                B->gy + off, B->code + off, B->relu ? B->y + off : NULL, d->Cout, d->Ho, d->Wo, dyn + k * d->P * 16,
                u->gbs);
        }
        /* dy (ReLU-masked) into the padded chunk buffer; bias gradient on the way */
        for (int64_t k = 0; !lanes_only && k < cnt; k++) {
            for (int64_t co = 0; co < d->Cout; co++) {
                float *dst = u->dyb + k * dimg + co * dplane + dtop * Wd + dleft;
                float acc;
                if (B->code) {
                    const int64_t Ho2 = d->Ho / 2, Wo2 = d->Wo / 2;
                    const int64_t off = ((n0 + k) * d->Cout + co) * Ho2 * Wo2;
                    acc = K->pool_backward(B->gy + off, B->code + off, B->relu ? B->y + off : NULL, 1, d->Ho,
                                           d->Wo, Ho2, Wo2, dst, dplane, Wd);
                } else {
                    const int64_t off = ((n0 + k) * d->Cout + co) * d->P;
                    acc = K->gather(B->gy + off, B->y + off, B->relu, d->Ho, d->Wo, dst, Wd);
                }
                if (u->gbs) {
                    u->gbs[co] += acc;
                }
            }
        }
        if (B->want_gw) {
            for (int64_t k = 0; k < cnt; k++) {
                pad_image(B->x + (n0 + k) * d->C * d->H * d->W, d, g, &B->p, u->xpb + k * B->p.img);
            }
            if (lanes_only) { /* dyn already holds the one block */
                K->wgrad_cvec(dyn, d->P * 16, u->xpb, B->p.img, d->C, B->p.plane, B->p.Wp, d->kh, d->kw, d->Ho,
                              d->Wo, cnt, u->acc16);
            } else if (B->cvec) {
                for (int64_t blk = 0; blk < B->nblk; blk++) {
                    /* dyn[k][p][l] = dy of channel 16*blk + l: a transpose. Lanes past Cout are
                     * left as they are (zero from the start, or an earlier block's values): they only
                     * feed the weight-gradient lanes of channels that do not exist, never read. */
                    const int64_t lanes = d->Cout - 16 * blk < 16 ? d->Cout - 16 * blk : 16;
                    for (int64_t k = 0; k < cnt; k++) {
                        float *dn = dyn + k * d->P * 16;
                        for (int64_t l = 0; l < lanes; l++) {
                            to_lane(dn + l, u->dyb + k * dimg + (16 * blk + l) * dplane + dtop * Wd + dleft, d->Ho,
                                    d->Wo, Wd);
                        }
                    }
                    K->wgrad_cvec(dyn, d->P * 16, u->xpb, B->p.img, d->C, B->p.plane, B->p.Wp, d->kh, d->kw,
                                  d->Ho, d->Wo, cnt, u->acc16 + blk * d->CKK * 16);
                }
            } else {
                K->wgrad(u->dyb + dtop * Wd + dleft, dimg, dplane, Wd, u->xpb, B->p.img, d->C, B->p.plane,
                         B->p.Wp, d->Cout, d->kh, d->kw, d->Ho, d->Wo, cnt, u->acc16);
            }
        }
        if (B->gx && B->dxc && !B->dxn) { /* dyn (just built for dW) holds the chunk's dy, channels in lanes */
            for (int64_t k = 0; k < cnt; k++) {
                for (int64_t oh = 0; oh < d->Ho; oh++) {
                    memcpy(u->dyp + (oh * B->Wp2 + d->kw - 1) * 16, dyn + (k * d->P + oh * d->Wo) * 16,
                           (size_t)(d->Wo * 16) * sizeof(float));
                }
                K->dx_cvec(u->dyp, B->Wp2, B->wl, d->C, d->kh, d->kw, g->pad_h, g->pad_w, d->Ho, d->Wo, d->H,
                           d->W, !B->gx_fresh, B->gx + (n0 + k) * d->C * d->H * d->W);
            }
        } else if (B->gx && !B->dxn) {
            for (int64_t k = 0; k < cnt; k++) {
                K->planes(u->dyb + k * dimg, d->Cout, dplane, Wd, dtop, dtop + d->Ho, B->wf, d->C, d->kh, d->kw,
                          d->H, d->W, NULL, 0, !B->gx_fresh, B->gx + (n0 + k) * d->C * d->H * d->W);
            }
        }
    }
    if (B->gx && B->dxn && n_hi > n_lo) { /* dyn holds all of the thread's images */
        K->dx_nvec(u->dyn, n_hi - n_lo, B->wt, d->C, d->Cout, d->kh, d->kw, g->pad_h, g->pad_w, d->Ho, d->Wo, d->H,
                   d->W, !B->gx_fresh, B->gx + n_lo * d->C * d->H * d->W, u->dxw);
    }
}
#endif

#define SIMD_CHUNK_FLOATS ((int64_t)16 << 10) /* padded dy + x of a chunk of images: 64 KiB, near L1 */
#define DXN_MIN_IMAGES 16

/* code != NULL: the forward was fused with a 2x2 max pool; gy and y are the pool's output gradient
 * and output, and dy is rebuilt from them (winners only, ReLU mask from the pooled value). The batch
 * is split into conv_threads() contiguous ranges, one per thread, each with its own chunk buffers and
 * dW / db sums; those are added up in thread order at the end (so a given thread count always gives
 * the same result). */
static void simd_backward(const float *x, const float *w, const float *gy, const float *y, int relu,
                          const uint8_t *code, const conv_dims *d, const tt_conv2d_geom *g, float *gx,
                          int gx_fresh, float *gw, float *gb)
{
#ifdef TT_CONV_X86
    simd_bwd B = {.K = tt_conv_simd_kernels(), .x = x, .gy = gy, .y = y, .code = code, .d = d, .g = g,
                  .p = x_pad_dims(d, g), .relu = relu, .gx_fresh = gx_fresh, .want_gw = gw != NULL, .gx = gx};
    const int64_t V = tt_conv_row_vecs(d->Wo);
    B.cvec = gw && channels_in_lanes(d);
    B.dxc = gx && B.cvec && d->Cout <= 16 && B.K->dx_cvec;
    B.Wp2 = d->Wo + 2 * (d->kw - 1);
    /* dy's padding: none needed for dW alone; for dx, kh-1-ph rows and kw-1-pw columns (kept when
     * dx comes from dyn, which does not read it: the chunk size, and so dW's order of summation,
     * stays that of the AVX2 kernels, which take dx on planes) */
    B.dtop = gx ? d->kh - 1 - g->pad_h : 0;
    B.dleft = gx ? d->kw - 1 - g->pad_w : 0;
    B.Wd = B.dleft + 16 * V; /* lanes past Wo read zeros (dW) */
    if (gx) {
        B.Wd = max64(B.Wd, max64(d->Wo + 2 * B.dleft, 16 * tt_conv_row_vecs(d->W) + d->kw - 1));
    }
    const int64_t Hd = d->Ho + 2 * B.dtop;
    B.dplane = Hd * B.Wd;
    B.dimg = d->Cout * B.dplane;
    const int64_t per = B.dimg + (gw ? B.p.img : 0) + (B.cvec ? d->P * 16 : 0);
    const int nt = conv_threads(d);
    const int64_t share = (d->N + nt - 1) / nt;
    /* a batch of 16 images or more: dx with images in the lanes (fewer would leave lanes empty). Decided
     * on the batch, not a thread's share, so that every thread count gives the same bits: each lane's
     * sum runs in the same order whatever else shares its vector. */
    B.dxn = B.dxc && d->N >= DXN_MIN_IMAGES && B.K->dx_nvec;
    B.nb = SIMD_CHUNK_FLOATS / per;
    B.nb = B.nb < 1 ? 1 : B.nb > share ? share : B.nb;
    B.nw = d->Cout * d->C * d->kh * d->kw;
    B.nblk = (d->Cout + 15) / 16;
    B.acc_len = !gw ? 0 : B.cvec ? B.nblk * d->CKK * 16 : B.nw * 16;

    tt_arena_mark m = tt_arena_get_mark();
    simd_bwd_buf u[CONV_MAX_THREADS];
    for (int t = 0; t < nt; t++) {
        u[t].dyb = tt_arena_alloc((size_t)(B.nb * B.dimg) * sizeof(float));
        memset(u[t].dyb, 0, (size_t)(B.nb * B.dimg) * sizeof(float));
        u[t].xpb = u[t].acc16 = u[t].dyn = NULL;
        u[t].gbs = NULL;
        if (gw) {
            u[t].xpb = tt_arena_alloc((size_t)(B.nb * B.p.img) * sizeof(float));
            memset(u[t].xpb, 0, (size_t)(B.nb * B.p.img) * sizeof(float));
            u[t].acc16 = tt_arena_alloc((size_t)B.acc_len * sizeof(float));
            memset(u[t].acc16, 0, (size_t)B.acc_len * sizeof(float));
        }
        if (B.cvec) { /* dy of the chunk (dxn: of the thread's share) for one block of 16 channels, [nb][P][16] */
            u[t].dyn = tt_arena_calloc((size_t)((B.dxn ? share : B.nb) * d->P * 16) * sizeof(float));
        }
        u[t].dyp = B.dxc && !B.dxn ? tt_arena_calloc((size_t)(d->Ho * B.Wp2 * 16) * sizeof(float)) : NULL;
        u[t].dxw = B.dxn ? tt_arena_alloc((size_t)B.K->dx_nvec_work(d->Cout, d->Ho, d->Wo) * sizeof(float)) : NULL;
        if (gb) {
            u[t].gbs = tt_arena_alloc((size_t)d->Cout * sizeof(double));
            memset(u[t].gbs, 0, (size_t)d->Cout * sizeof(double));
        }
    }
    if (B.dxn) { /* wt[((i*kw + j)*Cout + co)*C + c] = w[co, c, i, j] */
        float *wt = tt_arena_alloc((size_t)B.nw * sizeof(float));
        for (int64_t co = 0; co < d->Cout; co++) {
            for (int64_t c = 0; c < d->C; c++) {
                for (int64_t k = 0; k < d->kh * d->kw; k++) {
                    wt[(k * d->Cout + co) * d->C + c] = w[(co * d->C + c) * d->kh * d->kw + k];
                }
            }
        }
        B.wt = wt;
    } else if (B.dxc) { /* wl[((c*kh + i)*kw + j)*16 + co] = w[co, c, i, j], zero lanes past Cout */
        float *wl = tt_arena_calloc((size_t)(d->C * d->kh * d->kw * 16) * sizeof(float));
        for (int64_t co = 0; co < d->Cout; co++) {
            for (int64_t k = 0; k < d->C * d->kh * d->kw; k++) {
                wl[k * 16 + co] = w[co * d->C * d->kh * d->kw + k];
            }
        }
        B.wl = wl;
    } else if (gx) {
        float *wf = tt_arena_alloc((size_t)B.nw * sizeof(float));
        for (int64_t co = 0; co < d->Cout; co++) {
            for (int64_t c = 0; c < d->C; c++) {
                for (int64_t i = 0; i < d->kh; i++) {
                    for (int64_t j = 0; j < d->kw; j++) {
                        wf[((c * d->Cout + co) * d->kh + i) * d->kw + j] =
                            w[((co * d->C + c) * d->kh + (d->kh - 1 - i)) * d->kw + (d->kw - 1 - j)];
                    }
                }
            }
        }
        B.wf = wf;
    }
#ifdef TT_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
#endif
    for (int t = 0; t < nt; t++) {
        const int64_t lo = t * share, hi = lo + share < d->N ? lo + share : d->N;
        simd_backward_images(&B, &u[t], lo, hi);
    }
    for (int t = 1; t < nt; t++) { /* the threads' sums, in thread order */
        for (int64_t k = 0; k < B.acc_len; k++) {
            u[0].acc16[k] += u[t].acc16[k];
        }
        for (int64_t co = 0; gb && co < d->Cout; co++) {
            u[0].gbs[co] += u[t].gbs[co];
        }
    }
    const float *acc16 = u[0].acc16;
    if (B.cvec) {
        for (int64_t co = 0; co < d->Cout; co++) {
            for (int64_t k = 0; k < d->CKK; k++) {
                gw[co * d->CKK + k] += acc16[(co / 16 * d->CKK + k) * 16 + co % 16];
            }
        }
    } else if (gw) {
        for (int64_t k = 0; k < B.nw; k++) {
            float s = 0.0f;
            for (int l = 0; l < 16; l++) {
                s += acc16[k * 16 + l];
            }
            gw[k] += s;
        }
    }
    if (gb) {
        for (int64_t co = 0; co < d->Cout; co++) {
            gb[co] += (float)u[0].gbs[co];
        }
    }
    tt_arena_release(m);
#else
    (void)x, (void)w, (void)gy, (void)y, (void)relu, (void)code, (void)d, (void)g, (void)gx, (void)gx_fresh,
        (void)gw, (void)gb;
    tt_fatal("tt_conv2d: SIMD path chosen on a build without it");
#endif
}

/* ---- forward ----------------------------------------------------------------------------------- */

typedef struct conv_saved {
    tt_conv2d_geom geom;
    float *cols;       /* G blocks of [CKK, N*P] (whole batch in one chunk), or NULL: rebuild */
    int relu;
    int simd;          /* forward ran the implicit-im2col SIMD path: backward does too */
    uint8_t *code;     /* fused 2x2 max pool: winner of each window (pool.c's codes), else NULL */
} conv_saved;

static void conv_backward(tt_node *node);

/* y[n, co0 + o, p] = Y[o, n*P + p] + bias (ReLU if asked), for the nb images from n0. */
static void scatter_out(const float *Y, int64_t nb, int64_t P, int64_t Cog, const float *bias,
                        int relu, float *y, int64_t n0, int64_t co0, int64_t Cout)
{
    /* TODO: y[n0 + n, co0 + o, p] = Y[o, n * P + p] + bias[co0 + o] (no bias: + 0), then max(0, .) when
     * relu is set */
    /* BEGIN SOLUTION */
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t o = 0; o < Cog; o++) {
            const float *src = Y + o * nb * P + n * P;
            float *dst = y + ((n0 + n) * Cout + co0 + o) * P;
            const float bv = bias ? bias[co0 + o] : 0.0f;
            if (relu) {
                for (int64_t p = 0; p < P; p++) {
                    float v = src[p] + bv;
                    dst[p] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (int64_t p = 0; p < P; p++) {
                    dst[p] = src[p] + bv;
                }
            }
        }
    }
    /* END SOLUTION */
}

static tt_tensor *conv_forward(const char *op, tt_tensor *x, tt_tensor *w, tt_tensor *b,
                               const tt_conv2d_geom *g, int relu)
{
    conv_dims d = conv_check(op, x, w, b, g);
    tt_tensor *out = tt_empty(TT_SHAPE(d.N, d.Cout, d.Ho, d.Wo));
    tt_tensor *in[3] = {x, w, b};
    int n_in = b ? 3 : 2;
    bool need_grad = tt_any_requires_grad(in, n_in);
    if (simd_applies(&d, g)) {
        simd_forward(x->data, w->data, b ? b->data : NULL, &d, g, relu, out->data, NULL);
        if (need_grad) {
            conv_saved *s = tt_arena_alloc(sizeof *s);
            s->geom = *g;
            s->cols = NULL;
            s->relu = relu;
            s->simd = 1;
            s->code = NULL;
            tt_node *node = tt_record(op, out, in, n_in, conv_backward);
            node->saved = s;
        }
        return out;
    }
    int64_t nb = chunk_images(&d);
    /* Columns are saved for dW when the whole batch is one chunk and they are not too big. */
    bool save = need_grad && tt_wants_grad(w) && nb == d.N && d.G * d.CKK * d.N * d.P <= COL_SAVE_LIMIT;
    float *cols = save ? tt_arena_alloc((size_t)(d.G * d.CKK * d.N * d.P) * sizeof(float)) : NULL;

    /* TODO: for each chunk of nb images and each group gi: col = im2col of the group's Cg input
     * channels (into cols when save is set, kept for backward), Y [Cog, cnt * P] = W_g [Cog, CKK] @ col
     * (tt_sgemm), then scatter_out adds the bias (and ReLU). Scratch from the arena, released after. */
    /* BEGIN SOLUTION */
    tt_arena_mark m = tt_arena_get_mark();
    float *col = save ? NULL : tt_arena_alloc((size_t)(d.CKK * nb * d.P) * sizeof(float));
    float *Y = tt_arena_alloc((size_t)(d.Cog * nb * d.P) * sizeof(float));
    for (int64_t n0 = 0; n0 < d.N; n0 += nb) {
        int64_t cnt = d.N - n0 < nb ? d.N - n0 : nb;
        for (int gi = 0; gi < d.G; gi++) {
            float *c = save ? cols + (int64_t)gi * d.CKK * d.N * d.P : col;
            tt_im2col(x->data, d.C, d.H, d.W, n0, cnt, (int64_t)gi * d.Cg, d.Cg, d.kh, d.kw, g, c);
            /* Y[Cog, cnt*P] = W_g[Cog, CKK] @ col[CKK, cnt*P] */
            tt_sgemm(0, 0, d.Cog, cnt * d.P, d.CKK, 1.0f, w->data + (int64_t)gi * d.Cog * d.CKK, d.CKK,
                     c, cnt * d.P, 0.0f, Y, cnt * d.P);
            scatter_out(Y, cnt, d.P, d.Cog, b ? b->data : NULL, relu, out->data, n0,
                        (int64_t)gi * d.Cog, d.Cout);
        }
    }
    tt_arena_release(m);
    /* END SOLUTION */

    if (need_grad) {
        conv_saved *s = tt_arena_alloc(sizeof *s);
        s->geom = *g;
        s->cols = cols;
        s->relu = relu;
        s->simd = 0;
        s->code = NULL;
        tt_node *node = tt_record(op, out, in, n_in, conv_backward);
        node->saved = s;
    }
    return out;
}

tt_tensor *tt_conv2d_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g)
{
    return conv_forward("tt_conv2d", x, w, b, g, 0);
}

tt_tensor *tt_conv2d_relu_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g)
{
    return conv_forward("tt_conv2d_relu", x, w, b, g, 1);
}

tt_tensor *tt_conv2d_relu_maxpool2_ex(tt_tensor *x, tt_tensor *w, tt_tensor *b, const tt_conv2d_geom *g)
{
    const char *op = "tt_conv2d_relu_maxpool2";
    conv_dims d = conv_check(op, x, w, b, g);
    if (!simd_applies(&d, g) || d.Ho < 2 || d.Wo < 2) {
        /* no fused kernel for this geometry (or CPU): the same function, one op after the other */
        return tt_max_pool2d(tt_conv2d_relu_ex(x, w, b, g), 2, 2, 0);
    }
    const int64_t Ho2 = d.Ho / 2, Wo2 = d.Wo / 2;
    tt_tensor *out = tt_empty(TT_SHAPE(d.N, d.Cout, Ho2, Wo2));
    tt_tensor *in[3] = {x, w, b};
    int n_in = b ? 3 : 2;
    bool need_grad = tt_any_requires_grad(in, n_in);
    /* codes are needed by backward; without a gradient they go to scratch (16 bytes of slack, as
     * pool_avx512.c reads them 16 at a time) */
    tt_arena_mark m = tt_arena_get_mark();
    uint8_t *code = tt_arena_alloc((size_t)out->numel + 16);
    simd_forward(x->data, w->data, b ? b->data : NULL, &d, g, 1, out->data, code);
    if (!need_grad) {
        tt_arena_release(m); /* out was allocated before the mark: it stays */
        return out;
    }
    conv_saved *s = tt_arena_alloc(sizeof *s);
    s->geom = *g;
    s->cols = NULL;
    s->relu = 1;
    s->simd = 1;
    s->code = code;
    tt_node *node = tt_record(op, out, in, n_in, conv_backward);
    node->saved = s;
    return out;
}

tt_tensor *tt_conv2d(tt_tensor *x, tt_tensor *w, tt_tensor *b, int stride, int padding, int dilation,
                     int groups)
{
    tt_conv2d_geom g = tt_conv2d_geom_make(stride, padding, dilation, groups);
    return tt_conv2d_ex(x, w, b, &g);
}

/* ---- backward ---------------------------------------------------------------------------------- */

/* dY[o, n*P + p] = gy[n0 + n, co0 + o, p] (masked by y > 0 after a fused ReLU); adds the row sums
 * into gb (bias gradient) when gb != NULL. */
static void gather_grad(const float *gy, const float *y, int relu, int64_t nb, int64_t P, int64_t Cog,
                        int64_t n0, int64_t co0, int64_t Cout, float *dY, float *gb)
{
    /* TODO: dY[o, n * P + p] = gy[n0 + n, co0 + o, p], 0 where a fused ReLU's output y was not > 0;
     * gb[co0 + o] += the sum of channel o's dY (in double) when gb is set */
    /* BEGIN SOLUTION */
    for (int64_t o = 0; o < Cog; o++) {
        double s = 0.0;
        for (int64_t n = 0; n < nb; n++) {
            const int64_t off = ((n0 + n) * Cout + co0 + o) * P;
            const float *src = gy + off;
            float *dst = dY + o * nb * P + n * P;
            float acc = 0.0f;
            if (relu) {
                const float *yv = y + off;
                for (int64_t p = 0; p < P; p++) {
                    float v = yv[p] > 0.0f ? src[p] : 0.0f;
                    dst[p] = v;
                    acc += v;
                }
            } else {
                for (int64_t p = 0; p < P; p++) {
                    dst[p] = src[p];
                    acc += src[p];
                }
            }
            s += acc;
        }
        if (gb) {
            gb[co0 + o] += (float)s;
        }
    }
    /* END SOLUTION */
}

static void conv_backward(tt_node *node)
{
    tt_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    const conv_saved *s = node->saved;
    const tt_conv2d_geom *g = &s->geom;
    conv_dims d = conv_check("tt_conv2d (backward)", x, w, b, g);
    if (s->simd) {
        /* A step tensor's gradient that nothing has written yet is overwritten, not added to: it
         * saves zero-filling it and reading it back. */
        bool fresh = false;
        float *gx = tt_wants_grad(x) ? tt_grad_buf_fresh(x, &fresh) : NULL;
        simd_backward(x->data, w->data, node->out->grad, node->out->data, s->relu, s->code, &d, g,
                      gx, fresh,
                      tt_wants_grad(w) ? tt_grad_buf(w) : NULL,
                      b && tt_wants_grad(b) ? tt_grad_buf(b) : NULL);
        return;
    }
    float *gx = tt_wants_grad(x) ? tt_grad_buf(x) : NULL;
    float *gw = tt_wants_grad(w) ? tt_grad_buf(w) : NULL;
    float *gb = b && tt_wants_grad(b) ? tt_grad_buf(b) : NULL;
    const float *gy = node->out->grad;
    int64_t nb = chunk_images(&d);

    /* TODO: per chunk and group: dY = gather_grad (bias gradient too); gw: dW_g += dY @ col^T (the
     * saved columns, or im2col again); gx: dcol = W_g^T @ dY, then col2im adds it into gx */
    /* BEGIN SOLUTION */
    tt_arena_mark m = tt_arena_get_mark();
    float *dY = tt_arena_alloc((size_t)(d.Cog * nb * d.P) * sizeof(float));
    float *col = (gw && !s->cols) || gx ? tt_arena_alloc((size_t)(d.CKK * nb * d.P) * sizeof(float))
                                        : NULL;
    for (int64_t n0 = 0; n0 < d.N; n0 += nb) {
        int64_t cnt = d.N - n0 < nb ? d.N - n0 : nb;
        for (int gi = 0; gi < d.G; gi++) {
            const int64_t co0 = (int64_t)gi * d.Cog;
            const float *wg = w->data + co0 * d.CKK;
            gather_grad(gy, node->out->data, s->relu, cnt, d.P, d.Cog, n0, co0, d.Cout, dY, gb);
            if (gw) {
                const float *c = s->cols ? s->cols + (int64_t)gi * d.CKK * d.N * d.P : col;
                if (!s->cols) {
                    tt_im2col(x->data, d.C, d.H, d.W, n0, cnt, (int64_t)gi * d.Cg, d.Cg, d.kh, d.kw, g,
                              col);
                }
                /* dW_g[Cog, CKK] += dY[Cog, cnt*P] @ col[CKK, cnt*P]^T */
                tt_sgemm(0, 1, d.Cog, d.CKK, cnt * d.P, 1.0f, dY, cnt * d.P, c, cnt * d.P, 1.0f,
                         gw + co0 * d.CKK, d.CKK);
            }
            if (gx) {
                /* dcol[CKK, cnt*P] = W_g[Cog, CKK]^T @ dY[Cog, cnt*P] */
                tt_sgemm(1, 0, d.CKK, cnt * d.P, d.Cog, 1.0f, wg, d.CKK, dY, cnt * d.P, 0.0f, col,
                         cnt * d.P);
                tt_col2im(col, d.C, d.H, d.W, n0, cnt, (int64_t)gi * d.Cg, d.Cg, d.kh, d.kw, g, gx);
            }
        }
    }
    tt_arena_release(m);
    /* END SOLUTION */
}
