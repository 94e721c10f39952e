/* quant.h - real int8 inference: post-training quantization of a trained model (module 15).
 *
 * The scheme (the one TensorFlow Lite and CMSIS-NN use, so a model exports to a microcontroller as is):
 *   - weights: int8, symmetric, one scale per output channel:  w ~= w_scale[c] * q,  q in [-127, 127];
 *   - activations: int8, asymmetric, one scale and zero point per tensor:  x ~= scale * (q - zero_point);
 *   - bias: int32 with scale input_scale * w_scale[c] (zero point 0), added to the int32 accumulator;
 *   - requantization of an accumulator to the next layer's int8, with no float at all:
 *         q_out = clamp(zp_out + ((acc * multiplier + 2^(n-1)) >> n), lo, 127),   n = 31 + shift
 *     where multiplier (int32, in [2^30, 2^31)) and shift encode the real factor
 *     input_scale * w_scale[c] / output_scale = multiplier * 2^-(31 + shift) (single rounding, 64-bit
 *     product); lo = output zero point when a ReLU is fused, else -128.
 * Only the model's input (float -> int8) and its logits (int8 -> float) cross the float boundary.
 *
 * A quantized model (tt_qmodel) is a list of int8 ops converted from a float Sequential of Conv2d,
 * Linear, ReLU, MaxPool2d(2), global average pooling and Flatten layers: Conv2d [+ BatchNorm2d] [+ ReLU]
 * [+ MaxPool2d(2)] become one fused op (a BatchNorm2d in eval mode is folded into the convolution's
 * weight and bias; max pooling runs on the int32 accumulators before requantization: requantization is
 * monotone, so the result is the same as pooling afterwards, with a quarter of the requantizations).
 * A convolution is ungrouped, or depthwise (groups == in_channels == out_channels: one kh x kw filter
 * per channel, tt_q8_depthwise). Global average pooling (an AvgPool2d or GlobalAvgPool2d layer whose
 * window is the whole input) keeps its input's scale and zero point, as in TensorFlow Lite:
 * q_out = the mean of the int8 inputs, rounded half away from zero.
 *
 * Kernels. The products run as int32 dot products of int16 pairs (x - zero_point fits in int16):
 * "portable" (plain C), "avx2" (vpmaddwd), "avx512" (AVX-512BW vpmaddwd) and "vnni" (AVX-512 VNNI
 * vpdpwssd), chosen at run time from CPUID; every path gives bit-identical results (tested).
 * vpmaddubsw (u8 x s8) is not used: its int16 pair sums saturate for |w| * x near 127 * 255, which is
 * why PyTorch's fbgemm backend quantizes activations to 7 bits ("reduce_range"); int16 pairs are exact.
 *
 * File format: safetensors (see checkpoint.h): per weighted layer i, "layers.i.weight" (I8, [Cout, Cin,
 * kh, kw] or [out, in]), "layers.i.bias" (I32 [Cout]) and "layers.i.weight_scale" (F32 [Cout]); for the
 * whole model "activation_scale" (F32 [L + 1]) and "activation_zero_point" (I32 [L + 1]): entry 0 is
 * the input, entry i + 1 layer i's output. Metadata: "format" = "tinytorch-int8", "scheme" (the rule
 * above in words), "num_layers", "input_shape" ("1,28,28") and "layers.i" ("conv2d stride=1 padding=2
 * relu=1 pool=1", a depthwise one with " groups=G" appended and its weight [C, 1, kh, kw], "linear
 * relu=1", "maxpool2", "avgpool", "relu", "flatten"). Multipliers and shifts are not
 * stored: loading recomputes them from the scales. src/15_quantization/ABOUT.md has the details.
 */
#ifndef TINYTORCH_QUANT_H
#define TINYTORCH_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tinytorch/checkpoint.h"
#include "tinytorch/data.h"
#include "tinytorch/nn.h"

/* ---- the arithmetic ------------------------------------------------------------------------------ */

typedef struct tt_qparams { float scale; int32_t zero_point; } tt_qparams;

/* Asymmetric int8 parameters for values in [lo, hi]; the range is widened to contain 0 (so 0 is
 * exact: padding and ReLU) and to at least 1e-8 wide. */
tt_qparams tt_qparams_asym(float lo, float hi);
/* q = clamp(round(x / scale) + zero_point, -128, 127), round half away from zero. */
int8_t tt_quantize_value(float x, tt_qparams q);
void tt_quantize_i8(const float *x, int64_t n, tt_qparams q, int8_t *out);
void tt_dequantize_i8(const int8_t *q, int64_t n, tt_qparams p, float *out);

/* Encodes real > 0 as multiplier * 2^-(31 + shift), multiplier in [2^30, 2^31). Returns 0, or -1
 * when real is not a positive finite number or needs n = 31 + shift outside [1, 62]. */
int tt_requant_multiplier(double real, int32_t *multiplier, int32_t *shift);
/* (acc * multiplier + 2^(n-1)) >> n with n = 31 + shift (arithmetic shift, 64-bit product). */
static inline int32_t tt_requant(int32_t acc, int32_t multiplier, int32_t shift)
{
    int n = 31 + shift;
    int64_t r = (int64_t)acc * multiplier + ((int64_t)1 << (n - 1));
    return (int32_t)(r >> n);
}

/* ---- calibration: the range of one activation tensor from observed values ------------------------ */

typedef enum tt_calib_method {
    TT_CALIB_MINMAX,      /* the observed minimum and maximum */
    TT_CALIB_PERCENTILE,  /* the percentile-th and (100 - percentile)-th percentiles */
    TT_CALIB_MSE,         /* the clipping range with the least expected squared error */
} tt_calib_method;
/* Name <-> method ("minmax", "percentile", "mse"); parse returns -1 for an unknown name. */
int tt_calib_method_parse(const char *name, tt_calib_method *out);
const char *tt_calib_method_name(tt_calib_method m);
/* [*lo, *hi] for n >= 1 values (a 2048-bin histogram for percentile and MSE). percentile in (50, 100]. */
void tt_calib_range(const float *v, int64_t n, tt_calib_method m, double percentile, float *lo, float *hi);

/* ---- kernels ------------------------------------------------------------------------------------- */

/* 1 if this build and CPU can run the path ("portable", "avx2", "avx512", "vnni"). */
int tt_q8_kernel_supported(const char *name);
/* Forces a path ("auto" = the fastest supported). Returns 0, or -1 (unchanged) for an unknown or
 * unsupported name. The environment variable TT_Q8_KERNEL sets the starting choice. Not thread-safe. */
int tt_q8_set_kernel(const char *name);
const char *tt_q8_kernel(void);

/* The int8 products every layer calls, exposed for tests and learners:
 *     C[m, n] = sum_k A[m, k] * B[k, n]          (int32; m < M, n < N)
 * A: int16 [M, kp], kp even (row stride kp); B: int16 packed in pairs, Bp[(k/2) * np*2 + n*2 + k%2],
 * np >= N a multiple of TT_Q8_NP (zero-filled beyond N), kp/2 pairs; C: int32 [M, ldc], ldc >= np
 * (columns N .. np-1 are written too, with the zeros of the padding). */
#define TT_Q8_NP 32
void tt_q8_gemm(int64_t M, int64_t N, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np,
                int32_t *C, int64_t ldc);
/* Packs B [K, N] (row-major int16, row stride ldb) into Bp as above (kp = K rounded up to even). */
void tt_q8_pack_b(const int16_t *B, int64_t K, int64_t N, int64_t ldb, int16_t *Bp, int64_t np);

/* The int32 sums of a depthwise int8 convolution (one filter per channel, as in a depthwise-separable
 * block): acc[c, oy, ox] = sum_{i,j} (x[c, oy*stride + i - padding, ox*stride + j - padding] - zp) *
 * w[c, i, j], positions outside the input counting as x = zp. x int8 [C, H, W], w int8 [C, kh, kw],
 * acc int32 [C, Ho, Wo] with Ho = (H + 2 padding - kh) / stride + 1 (and Wo alike). Portable loops, or
 * AVX2 for stride 1 when the kernel choice is not "portable"; bit-identical. tt_qmodel's depthwise ops
 * run it. */
void tt_q8_depthwise(const int8_t *x, int64_t C, int64_t H, int64_t W, int32_t zp, const int8_t *w, int64_t kh,
                     int64_t kw, int stride, int padding, int32_t *acc);

/* ---- the quantized model ------------------------------------------------------------------------- */

/* TT_QOP_AVGPOOL: global average pooling, [C, H, W] -> [C, 1, 1]. */
typedef enum tt_qop_kind {
    TT_QOP_CONV, TT_QOP_LINEAR, TT_QOP_MAXPOOL2, TT_QOP_RELU, TT_QOP_FLATTEN, TT_QOP_AVGPOOL
} tt_qop_kind;

/* One stream of byte quads of a conv op's expanded input (the vnni path; qmodel.c plans them): for
 * each of its ng channel groups c = c0, c0 + cstep, ..., one quad per position e of the padded plane,
 * byte k being the input at channel c + dc[k], position e + dy[k] * wp + dx[k]. Its quads start at
 * quad `at` of the expanded input, one plane per group. */
typedef struct tt_qstream {
    int type;                  /* which four offsets (dc, dy, dx): qmodel.c's QS_* */
    int64_t c0, cstep, ng, at;
} tt_qstream;
#define TT_QSTREAMS 6

typedef struct tt_qlayer {
    tt_qop_kind kind;
    bool relu;                 /* conv / linear: ReLU fused (clamp at the output zero point) */
    bool pool;                 /* conv: 2x2 / stride-2 max pool fused */
    int stride, padding;       /* conv (square) */
    int groups;                /* conv: 0 or 1 (ungrouped), or cin == cout (depthwise) */
    int64_t cout, cin, kh, kw; /* conv: [Cout, Cin, kh, kw]; linear: cout = out, cin = in, kh = kw = 1 */
    int8_t *weight;            /* [cout, cin/groups*kh*kw] (tt_qlayer_k) */
    int32_t *bias;             /* [cout] */
    float *weight_scale;       /* [cout] */
    int32_t *multiplier, *shift; /* [cout] */
    tt_qparams in, out;        /* activation parameters (maxpool/relu/flatten: out == in) */
    /* derived when built or loaded (tt_qmodel_prepare): */
    int64_t kp;                /* row length of the int16 weights (2 * npairs) */
    int64_t npairs;            /* int16 pairs per output: linear K/2 rounded up; conv Cin/2*kh*kw or Cin*kh*ceil(kw/2) */
    int64_t np;                /* columns computed: linear out, conv Hout1*Wp, rounded up to TT_Q8_NP */
    int64_t *boff;             /* [npairs] where each pair's row starts in B (in pairs) */
    int64_t hp, wp, xe_len;    /* conv: padded input height / width; pairs of the expanded input */
    int64_t xp_len;            /* conv: int16 values of the padded input buffer */
    bool chan_pairs;           /* conv: pairs are channels (2c, 2c+1) (Cin even), else columns (j, j+1) */
    int16_t *wa;               /* conv: weight pairs {w[o,c,i,2j], w[o,c,i,2j+1]} as int16 [cout, kp] */
    int16_t *wb;               /* linear: weight packed as B [kp/2][np][2] */
    /* the byte-quad layout of the vnni path: u8 activations (x + 128) against s8 weights */
    int64_t nquads;            /* byte quads per output: linear K/4 rounded up; conv: the plan's (qmodel.c) */
    int nqs;                   /* conv: streams of quads the expanded input is made of (at most TT_QSTREAMS) */
    tt_qstream qs[TT_QSTREAMS];
    int64_t *qoff;             /* [nquads] where each quad's row starts in B (in quads) */
    int64_t xq_len, xu_len;    /* conv: quads of the expanded input; bytes of the padded u8 input */
    uint8_t *wq;               /* conv: s8 weight quads [cout, 4 nquads]; linear: packed [nquads][np][4] */
    int32_t *qbias;            /* [cout] bias - (in.zero_point + 128) * the sum of the channel's weights */
    uint8_t *wcl;              /* conv with cout a multiple of 16: the quads channels in lanes [nquads][cout][4] */
    int64_t *qpos;             /* conv with wcl: each output position's quad row (oh * stride * wp + ow * stride) */
    bool pos_major;            /* conv with wcl, a flatten and a linear next: the vnni path writes its output
                                  [position][channel], and the linear's quads read its features in that order */
    int64_t in_shape[3], out_shape[3]; /* per image: [C, H, W] (or [features, 1, 1]) */
} tt_qlayer;

/* Weights per output channel: cin * kh * kw, or kh * kw for a depthwise convolution. */
int64_t tt_qlayer_k(const tt_qlayer *l);
/* True for a depthwise convolution (groups > 1). */
bool tt_qlayer_depthwise(const tt_qlayer *l);

typedef struct tt_qmodel {
    int n;
    tt_qlayer *layers;
    int64_t in_shape[3];       /* per image [C, H, W]; an MLP's [in, 1, 1] */
    int64_t in_numel, out_numel;
    void *scratch;             /* kernel buffers, grown on demand */
    size_t scratch_bytes;
} tt_qmodel;

typedef struct tt_quant_opts {
    tt_calib_method calib;     /* activations' ranges (weights: per-channel absolute maximum) */
    double percentile;         /* TT_CALIB_PERCENTILE: default 99.99 */
} tt_quant_opts;

/* Quantizes a float Sequential (eval mode) with n_calib images of `calib` (evenly spaced over it).
 * Layers: Conv2d (ungrouped or depthwise, square stride and padding, no dilation; any kh x kw),
 * BatchNorm2d right after a Conv2d (folded), ReLU, MaxPool2d(2), global AvgPool2d, Flatten, Linear.
 * in_ndim/in_shape: one sample's shape ([1, 28, 28] or [784]). Returns the model, or NULL with a
 * message (unsupported layer, n_calib out of range, shapes that do not match). */
tt_qmodel *tt_quantize_model(tt_layer *model, int in_ndim, const int64_t *in_shape, const tt_dataset *calib,
                             int64_t n_calib, const tt_quant_opts *opts, char *err, size_t errlen);
void tt_qmodel_free(tt_qmodel *m);   /* NULL is fine */

/* The int8 path: xq [batch, in_numel] int8 (input quantized with layers[0].in) -> yq [batch,
 * out_numel] int8 (dequantize with tt_qmodel_output_params). Returns 0, or -1 when out of memory. */
int tt_qmodel_forward_q(tt_qmodel *m, const int8_t *xq, int64_t batch, int8_t *yq);
/* Float in, float out: quantizes x, runs the int8 path, dequantizes the logits y [batch, out_numel]. */
int tt_qmodel_forward(tt_qmodel *m, const float *x, int64_t batch, float *y);
tt_qparams tt_qmodel_input_params(const tt_qmodel *m);
tt_qparams tt_qmodel_output_params(const tt_qmodel *m);
/* Top-1 accuracy over a data set (batches of `batch`); -1 on error. */
double tt_qmodel_accuracy(tt_qmodel *m, const tt_dataset *ds, int64_t batch);
/* Bytes of the int8 model's parameters (int8 weights, int32 biases, scales, multipliers). */
size_t tt_qmodel_param_bytes(const tt_qmodel *m);

/* ---- quantization-aware fine-tuning (straight-through estimator) ---------------------------------- */

/* Rounds a weight [cout, k] in place to what int8 stores, times the scale: per output channel,
 * scale = max|w[c]| / 127, w = clamp(round(w / scale), -127, 127) * scale (tt_quantize_model's rule). */
void tt_fake_quant_weight(float *w, int64_t cout, int64_t k);

typedef struct tt_qat_opts {
    int epochs;        /* >= 1 */
    float lr;          /* Adam, cosine to 0 over the run */
    int64_t batch;     /* e.g. 64 */
    uint64_t seed;     /* shuffling */
} tt_qat_opts;
/* Fine-tunes a float model (cross-entropy) with every Conv2d/Linear weight fake-quantized in the
 * forward and backward, and the gradient applied to the float weight (straight-through estimator).
 * Activations are not fake-quantized (calibration sets their ranges afterwards). The model is left
 * in eval mode; quantize it with tt_quantize_model. *last_loss (may be NULL): the last epoch's mean
 * loss. Returns 0, or -1 with a message (bad options, no weight, loss not finite). */
int tt_qat_finetune(tt_layer *model, const tt_dataset *train, const tt_qat_opts *opts, double *last_loss, char *err,
                    size_t errlen);

/* Saves in the format above (temporary file, fsync, rename). Returns 0, or -1 with a message. */
int tt_qmodel_save(const tt_qmodel *m, const char *path, const tt_kv *meta, int n_meta, char *err,
                   size_t errlen);
/* Loads and checks a file written by tt_qmodel_save. Returns the model, or NULL with a message
 * naming the file and the tensor or field at fault. */
tt_qmodel *tt_qmodel_load(const char *path, char *err, size_t errlen);

#endif
