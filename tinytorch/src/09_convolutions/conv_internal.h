/* conv_internal.h - what conv2d.c shares with its SIMD kernels (conv2d_avx512.c, conv2d_avx2.c);
 * not public.
 *
 * The kernels work on one image at a time, on zero-padded planes laid out so that 16 consecutive
 * output pixels of a row read 16 consecutive floats of an input row (stride 1, dilation 1, one
 * group). Lanes past the end of an output row compute values that are never stored; their loads
 * stay inside the padded row, which must therefore be at least 16*ceil(Wo/16) + kw - 1 floats wide.
 *
 * Planes: in[c*plane + r*Wp + col], r < Ho + kh - 1 (the padded height), col < Wp.
 */
#ifndef TT_CONV_INTERNAL_H
#define TT_CONV_INTERNAL_H

#include <stdint.h>

#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
#define TT_CONV_X86 1
#endif

/* 16-lane vectors per output row. */
static inline int64_t tt_conv_row_vecs(int64_t Wo) { return (Wo + 15) / 16; }

#ifdef TT_CONV_X86
/* An empty asm that takes v in a vector register: the compiler can no longer fold v's load into
 * each instruction that uses it. GCC folds an input vector of a register tile into every FMA that
 * reads it when registers look short, so a vector used by CB FMAs is loaded CB times and the loads,
 * not the FMAs, set the pace (a 3-channel conv ran at half the FMA rate of a 6-channel one). */
#if defined(__GNUC__)
#define KEEP_IN_REG(v) __asm__("" : "+v"(v))
#else
#define KEEP_IN_REG(v) ((void)0)
#endif
/* Direct convolution of one padded image, vectorised over the output row:
 *   out[co, oh, ow] (=|+=) sum_{c, i, j} w[co, c, i, j] * in[c, oh + i, ow + j]   (+ bias[co], ReLU)
 * in: [Cin] planes of `plane` floats with row stride Wp, zero outside rows [rlo, rhi) (the kernel
 * skips kernel rows that only meet zero rows); w: [Cout, Cin, kh, kw]; out: [Cout, Ho, Wo].
 * accumulate != 0 adds into out (bias and relu must then be NULL / 0). */
void tt_conv_avx512_planes(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo, int64_t rhi,
                           const float *w, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                           const float *bias, int relu, int accumulate, float *out);

/* Weight gradient of a chunk of nb images, kept as 16 partial sums per weight:
 *   acc16[((co*Cin + c)*kh + i)*kw + j][l] += sum over images n, rows oh and row vectors v of
 *       dy[n*dimg + co*dplane + oh*dWp + 16v + l] * in[n*img + c*plane + (oh + i)*Wp + 16v + l + j]
 * dy's lanes from Wo to 16*ceil(Wo/16) - 1 of every row must be zero, and every input float read
 * must be finite (0 * inf would poison the sum). Summing the 16 lanes of acc16 gives dW. */
void tt_conv_avx512_wgrad(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp, const float *in,
                          int64_t img, int64_t Cin, int64_t plane, int64_t Wp, int64_t Cout, int64_t kh,
                          int64_t kw, int64_t Ho, int64_t Wo, int64_t nb, float *acc16);

/* The same two products with 16 output channels in the lanes (for rows narrower than a vector):
 * wv [ceil(Cout/16)][Cin*kh*kw][16] holds the weights, lane l of block b = output channel 16b + l
 * (lanes past Cout zero).
 * planes_cvec: out[co, oh, ow] = bias + sum w * in (ReLU if asked), stored (never added); with lanes
 * set, out keeps the channels in the lanes instead: out[b][oh * Wo + ow][16] for block b (lanes past
 * Cout zero), no transposition (for a 2x2 pool to read, tt_conv_pool_lanes). */
void tt_conv_avx512_planes_cvec(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                                int64_t rhi, const float *wv, int64_t Cout, int64_t kh, int64_t kw,
                                int64_t Ho, int64_t Wo, const float *bias, int relu, int lanes, float *out);
/* wgrad_cvec, for one block of 16 output channels: dyn [nb][Ho*Wo][16] (image n at n*dimg; pixel
 * p's 16 channels contiguous, lanes past Cout zero), in as tt_conv_avx512_wgrad, kw <= 6;
 *   acc16[((c*kh + i)*kw + j)*16 + l] += sum_{n, oh, ow} in[n, c, oh + i, ow + j] * dyn[n, oh*Wo + ow, l]
 * (lane l is output channel l of the block: no lane sums). */
void tt_conv_avx512_wgrad_cvec(const float *dyn, int64_t dimg, const float *in, int64_t img, int64_t Cin,
                               int64_t plane, int64_t Wp, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                               int64_t nb, float *acc16);

/* Input gradient with the output channels in the lanes, for one image (Cout <= 16):
 *   dx[c, h, w] (=|+=) sum_{i, j} sum_l wl[((c*kh + i)*kw + j)*16 + l] * dyp[(oh*Wp2 + ow + kw - 1)*16 + l]
 * over oh = h + ph - i in [0, Ho); dyp is dy [Ho][Wp2][16] (lane l = output channel l) with kw - 1
 * zero vectors either side of each row (Wp2 = Wo + 2(kw - 1)), so a pixel whose tap misses the row
 * reads zeros; wl [C][kh][kw][16] holds w[l, c, i, j] (zero lanes past Cout). Each dx value is one
 * 16-lane sum: no FMA meets a zero row of dy, and only the zero columns within 4 pixels of a row's
 * ends (the "rows" form, the full convolution, multiplies every zero of the padding). */
void tt_conv_avx512_dx_cvec(const float *dyp, int64_t Wp2, const float *wl, int64_t C, int64_t kh, int64_t kw,
                            int64_t ph, int64_t pw, int64_t Ho, int64_t Wo, int64_t H, int64_t W, int accumulate,
                            float *dx);

/* Input gradient with 16 images in the lanes, for m images (any m; groups of 16, up to 64 at a time):
 *   dx[n, c, h, w] (=|+=) sum_{co, i, j} wt[((i*kw + j)*Cout + co)*C + c] * dy[n, co, h + ph - i, w + pw - j]
 * over the taps that meet dy; dyn is dy [m][Ho*Wo][16] with channel co in lane co (as wgrad_cvec
 * reads it; lanes past Cout are not read), wt the weights [kh][kw][Cout][C], dx [m][C][H][W]. work
 * holds tt_conv_avx512_dx_nvec_work(Cout, Ho, Wo) floats. No zero is multiplied and no lane
 * summed; dy and dx are transposed on the way (16 x 16 blocks). */
int64_t tt_conv_avx512_dx_nvec_work(int64_t Cout, int64_t Ho, int64_t Wo);
void tt_conv_avx512_dx_nvec(const float *dyn, int64_t m, const float *wt, int64_t C, int64_t Cout, int64_t kh,
                            int64_t kw, int64_t ph, int64_t pw, int64_t Ho, int64_t Wo, int64_t H, int64_t W,
                            int accumulate, float *dx, float *work);

/* One plane of the output gradient into a padded buffer: dst[oh*Wd + ow] = gy[oh*Wo + ow], zeroed
 * where relu != 0 and y[oh*Wo + ow] <= 0 (the fused ReLU's mask). Returns the sum of what it wrote
 * (the plane's share of the bias gradient). */
float tt_conv_avx512_gather(const float *gy, const float *y, int relu, int64_t Ho, int64_t Wo, float *dst,
                            int64_t Wd);

/* 2x2 / stride-2 max pool of `planes` planes [H, W] into [Ho, Wo] (pool_avx512.c); code (may be
 * NULL) gets the winner of each window, 0..3, exactly as pool.c's plain loop. Backward writes all
 * of gx [planes, H, W]: gy in the winners' cells, 0 elsewhere (it does not add); it reads code in
 * blocks of 16 bytes, so the code buffer needs 16 bytes of slack past its end. */
void tt_pool_avx512_max2x2(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                           float *y, uint8_t *code);
void tt_pool_avx512_lanes(const float *t, int64_t C, int64_t Ho, int64_t Wo, float *y, uint8_t *code);
void tt_pool_avx512_grad_lanes(const float *gy, const uint8_t *code, const float *y, int64_t C, int64_t Ho, int64_t Wo,
                               float *dyn, double *gbs);
float tt_pool_avx512_max2x2_backward(const float *gy, const uint8_t *code, const float *pos, int64_t planes,
                                     int64_t H, int64_t W, int64_t Ho, int64_t Wo, float *gx, int64_t gplane,
                                     int64_t grow);
/* (gx's planes start gplane floats apart, its rows grow floats apart: it may be the interior of a
 * padded buffer. pos, when not NULL, is the pool's output: the gradient is dropped where it is <= 0,
 * the ReLU that ran before the pool. Returns the sum of the gradient written.) */

/* The same seven kernels for AVX2 + FMA (conv2d_avx2.c), same contracts and layouts. */
void tt_conv_avx2_planes(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo, int64_t rhi,
                         const float *w, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                         const float *bias, int relu, int accumulate, float *out);
void tt_conv_avx2_wgrad(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp, const float *in,
                        int64_t img, int64_t Cin, int64_t plane, int64_t Wp, int64_t Cout, int64_t kh,
                        int64_t kw, int64_t Ho, int64_t Wo, int64_t nb, float *acc16);
void tt_conv_avx2_planes_cvec(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo,
                              int64_t rhi, const float *wv, int64_t Cout, int64_t kh, int64_t kw,
                              int64_t Ho, int64_t Wo, const float *bias, int relu, int lanes, float *out);
void tt_conv_avx2_wgrad_cvec(const float *dyn, int64_t dimg, const float *in, int64_t img, int64_t Cin,
                             int64_t plane, int64_t Wp, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                             int64_t nb, float *acc16);
float tt_conv_avx2_gather(const float *gy, const float *y, int relu, int64_t Ho, int64_t Wo, float *dst,
                          int64_t Wd);
void tt_pool_avx2_max2x2(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                         float *y, uint8_t *code);
float tt_pool_avx2_max2x2_backward(const float *gy, const uint8_t *code, const float *pos, int64_t planes,
                                   int64_t H, int64_t W, int64_t Ho, int64_t Wo, float *gx, int64_t gplane,
                                   int64_t grow);
#endif

/* One instruction set's kernels: conv2d.c and pool.c call them through this table. */
typedef struct tt_conv_kernels {
    const char *isa; /* "avx512" or "avx2" */
    void (*planes)(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo, int64_t rhi,
                   const float *w, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                   const float *bias, int relu, int accumulate, float *out);
    void (*wgrad)(const float *dy, int64_t dimg, int64_t dplane, int64_t dWp, const float *in, int64_t img,
                  int64_t Cin, int64_t plane, int64_t Wp, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho,
                  int64_t Wo, int64_t nb, float *acc16);
    void (*planes_cvec)(const float *in, int64_t Cin, int64_t plane, int64_t Wp, int64_t rlo, int64_t rhi,
                        const float *wv, int64_t Cout, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo,
                        const float *bias, int relu, int lanes, float *out);
    void (*wgrad_cvec)(const float *dyn, int64_t dimg, const float *in, int64_t img, int64_t Cin,
                       int64_t plane, int64_t Wp, int64_t kh, int64_t kw, int64_t Ho, int64_t Wo, int64_t nb,
                       float *acc16);
    float (*gather)(const float *gy, const float *y, int relu, int64_t Ho, int64_t Wo, float *dst, int64_t Wd);
    void (*pool)(const float *x, int64_t planes, int64_t H, int64_t W, int64_t Ho, int64_t Wo, float *y,
                 uint8_t *code);
    float (*pool_backward)(const float *gy, const uint8_t *code, const float *pos, int64_t planes, int64_t H,
                           int64_t W, int64_t Ho, int64_t Wo, float *gx, int64_t gplane, int64_t grow);
    /* the 2x2 pool of a convolution kept with its channels in lanes (planes_cvec's lanes output), t
     * [ceil(C/16)][Ho*Wo][16], into y [C][Ho/2][Wo/2] and codes [C][Ho/2][Wo/2] as `pool` gives them;
     * or NULL (the convolution goes to planes and `pool` reads those) */
    void (*pool_lanes)(const float *t, int64_t C, int64_t Ho, int64_t Wo, float *y, uint8_t *code);
    /* the pooled gradient of one image into its channels-in-lanes dy, dyn [Ho*Wo][16] (C <= 16):
     * conv2d.c's pool_grad_to_lanes, vectorized; or NULL (that plain loop) */
    void (*pool_grad_lanes)(const float *gy, const uint8_t *code, const float *y, int64_t C, int64_t Ho, int64_t Wo,
                            float *dyn, double *gbs);
    /* the input gradient with output channels in the lanes, or NULL (the full convolution on planes) */
    void (*dx_cvec)(const float *dyp, int64_t Wp2, const float *wl, int64_t C, int64_t kh, int64_t kw, int64_t ph,
                    int64_t pw, int64_t Ho, int64_t Wo, int64_t H, int64_t W, int accumulate, float *dx);
    /* the input gradient with images in the lanes (taken for a batch of at least 16 images), or NULL */
    void (*dx_nvec)(const float *dyn, int64_t m, const float *wt, int64_t C, int64_t Cout, int64_t kh, int64_t kw,
                    int64_t ph, int64_t pw, int64_t Ho, int64_t Wo, int64_t H, int64_t W, int accumulate, float *dx,
                    float *work);
    int64_t (*dx_nvec_work)(int64_t Cout, int64_t Ho, int64_t Wo); /* floats of dx_nvec's work buffer */
} tt_conv_kernels;

/* The kernels the CPU probe (common/cpu.h, capped by TT_ISA) allows: AVX-512 where there is AVX-512F,
 * else AVX2 where there are AVX2 and FMA, else NULL (the plain C paths: im2col + SGEMM, pool.c's
 * loops). */
const tt_conv_kernels *tt_conv_simd_kernels(void);

#endif
