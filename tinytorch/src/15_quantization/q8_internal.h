/* q8_internal.h - what the int8 GEMM driver (q8_gemm.c) and its x86 kernels share; not public.
 *
 * A kernel computes, for every n < np (np a multiple of 32) and m < M,
 *     C[m * ldc + n] = sum_p A[m, 2p] * B[2 * (boff[p] + n)] + A[m, 2p + 1] * B[2 * (boff[p] + n) + 1]
 * i.e. pair p of the reduction reads the pair row starting at pair offset boff[p] of B. A packed B
 * (tt_q8_pack_b) has boff[p] = p * np; a direct convolution points each tap at the shifted input
 * (qmodel.c), so no im2col copy is made. A is int16 [M, lda] (lda >= 2 * npairs). Results are exact
 * int32 sums: every path must match the portable one bit for bit.
 */
#ifndef TT_Q8_INTERNAL_H
#define TT_Q8_INTERNAL_H

#include <stdint.h>
#include "tinytorch/quant.h"

#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
#define TT_Q8_X86 1
#endif

#define TT_Q8_KERNEL_ARGS                                                                             \
    int64_t M, int64_t npairs, const int16_t *A, int64_t lda, const int16_t *B, const int64_t *boff, \
        int64_t np, int32_t *C, int64_t ldc
typedef void (*tt_q8_kernel_fn)(TT_Q8_KERNEL_ARGS);

void tt_q8_kernel_portable(TT_Q8_KERNEL_ARGS);
#ifdef TT_Q8_X86
void tt_q8_kernel_avx2(TT_Q8_KERNEL_ARGS);
void tt_q8_kernel_avx512(TT_Q8_KERNEL_ARGS);
void tt_q8_kernel_vnni(TT_Q8_KERNEL_ARGS);
#endif
/* The kernel of the path in use. */
tt_q8_kernel_fn tt_q8_kernel_fn_current(void);

/* The byte-quad kernel (u8 x s8, what VNNI's vpdpbusd computes: four byte products summed into each
 * int32 lane, exactly), for every n < np (np a multiple of 32) and m < M:
 *     C[m * ldc + n] = sum_q sum_{k<4} A[m * lda + 4q + k] * B[4 * (boff[q] + n) + k]
 * with A's bytes unsigned and B's signed when a_unsigned, else A's signed and B's unsigned. The
 * model runs its activations as u8 (x + 128) against s8 weights and takes (zx + 128) * sum(w) back
 * through the bias, so the result is the same integer as the int16-pair path's. */
#define TT_Q8Q_KERNEL_ARGS                                                                            \
    int64_t M, int64_t nquads, const uint8_t *A, int64_t lda, const uint8_t *B, const int64_t *boff,  \
        int64_t np, int32_t *C, int64_t ldc, int a_unsigned
typedef void (*tt_q8q_kernel_fn)(TT_Q8Q_KERNEL_ARGS);
void tt_q8q_kernel_portable(TT_Q8Q_KERNEL_ARGS);
#ifdef TT_Q8_X86
void tt_q8q_kernel_vnni(TT_Q8Q_KERNEL_ARGS);
#endif
/* The channels-in-lanes form of a convolution's quads (output channels in the vector lanes, a tile of
 * output positions in the rows): for r < R and c < 16 ncb,
 *     C[r * ldc + c] = sum_t sum_{k<4} X[4 * (pos[r] + off[t]) + k] * W[(t * ncb + c / 16) * 64 + (c % 16) * 4 + k]
 * with X's bytes unsigned (the activations) and W's signed. Only the positions asked for are
 * computed, so a layer wider than its output (LeNet's second convolution: 14 columns, 10 outputs)
 * wastes nothing. */
#define TT_Q8C_KERNEL_ARGS                                                                            \
    int64_t R, const int64_t *pos, int64_t ntaps, const int64_t *off, const uint8_t *X, const uint8_t *W, \
        int64_t ncb, int32_t *C, int64_t ldc
typedef void (*tt_q8c_kernel_fn)(TT_Q8C_KERNEL_ARGS);
void tt_q8c_kernel_portable(TT_Q8C_KERNEL_ARGS);
#ifdef TT_Q8_X86
void tt_q8c_kernel_vnni(TT_Q8C_KERNEL_ARGS);
#endif
tt_q8c_kernel_fn tt_q8c_kernel_fn_current(void); /* NULL but on the vnni path */
/* Byte quads from four byte streams: out[4i + k] = pk[i] for i < n (the inputs of the quad kernels). */
typedef void (*tt_q8_quads_fn)(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, int64_t n,
                               uint8_t *out);
void tt_q8_quads_portable(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, int64_t n,
                          uint8_t *out);
#ifdef TT_Q8_X86
void tt_q8_quads_avx512(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3, int64_t n,
                        uint8_t *out);
#endif
/* The quad kernel of the path in use, or NULL where the path runs int16 pairs (every path but vnni). */
tt_q8q_kernel_fn tt_q8q_kernel_fn_current(void);

/* Requantization of n accumulators (the epilogue every int8 layer ends with):
 *     out[i] = clamp(zp + tt_requant(acc[i] + bias[i], mult[i], shift[i]), lo, 127)
 * with bias/mult/shift either per element (stride 1) or one value for all (stride 0). */
typedef void (*tt_q8_requant_fn)(const int32_t *acc, int64_t n, const int32_t *bias, const int32_t *mult,
                                 const int32_t *shift, int stride, int32_t zp, int32_t lo, int8_t *out);
void tt_q8_requant_portable(const int32_t *acc, int64_t n, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int stride, int32_t zp, int32_t lo, int8_t *out);
#ifdef TT_Q8_X86
void tt_q8_requant_avx512(const int32_t *acc, int64_t n, const int32_t *bias, const int32_t *mult,
                          const int32_t *shift, int stride, int32_t zp, int32_t lo, int8_t *out);
void tt_q8_requant_avx2(const int32_t *acc, int64_t n, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int stride, int32_t zp, int32_t lo, int8_t *out);
#endif
/* The same per channel (stride 1) over `rows` rows of n accumulators (acc rows lda apart, out rows ldo
 * apart): a linear op's batch, or the positions of a channels-in-lanes conv. */
typedef void (*tt_q8_requant_rows_fn)(const int32_t *acc, int64_t lda, int64_t rows, int64_t n, const int32_t *bias,
                                      const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                                      int64_t ldo);
void tt_q8_requant_rows_portable(const int32_t *acc, int64_t lda, int64_t rows, int64_t n, const int32_t *bias,
                                 const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                                 int64_t ldo);
#ifdef TT_Q8_X86
void tt_q8_requant_rows_avx512(const int32_t *acc, int64_t lda, int64_t rows, int64_t n, const int32_t *bias,
                               const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                               int64_t ldo);
void tt_q8_requant_rows_avx2(const int32_t *acc, int64_t lda, int64_t rows, int64_t n, const int32_t *bias,
                             const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out,
                             int64_t ldo);
#endif
tt_q8_requant_rows_fn tt_q8_requant_rows_fn_current(void);
/* The requantization of the path in use (the AVX-512 one on the avx512 and vnni paths, AVX2 on avx2). */
tt_q8_requant_fn tt_q8_requant_fn_current(void);

/* The 2x2 max pool of a stride-1 convolution's int32 accumulators (before requantization):
 *     row[oy * wq + ox] = max(a[2oy][2ox], a[2oy][2ox+1], a[2oy+1][2ox], a[2oy+1][2ox+1])
 * with input rows lda apart, oy < hq, ox < wq. */
typedef void (*tt_q8_pool2_fn)(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, int32_t *row);
void tt_q8_pool2_portable(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, int32_t *row);
/* The pool, then the requantization of its hq * wq values with one channel's constants (bias[0],
 * mult[0], shift[0]; tt_q8_requant_fn's stride 0) into out: one pass on AVX-512; NULL (two calls) on
 * the other paths. */
typedef void (*tt_q8_pool2rq_fn)(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, const int32_t *bias,
                                 const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out);
#ifdef TT_Q8_X86
void tt_q8_pool2rq_avx512(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, const int32_t *bias,
                          const int32_t *mult, const int32_t *shift, int32_t zp, int32_t lo, int8_t *out);
#endif
tt_q8_pool2rq_fn tt_q8_pool2rq_fn_current(void);
/* The 2x2 max pool of channels-in-lanes accumulators, in place: a[(py * wq + px) * C + c] = the max of
 * a[((2py + i) * wo + 2px + j) * C + c] over i, j < 2 (C a multiple of 16; a pooled position's index
 * is never above those it reads, and all four are read before it is written). */
typedef void (*tt_q8_pool2c_fn)(int32_t *a, int64_t wo, int64_t hq, int64_t wq, int64_t C);
void tt_q8_pool2c_portable(int32_t *a, int64_t wo, int64_t hq, int64_t wq, int64_t C);
#ifdef TT_Q8_X86
void tt_q8_pool2c_avx512(int32_t *a, int64_t wo, int64_t hq, int64_t wq, int64_t C);
#endif
tt_q8_pool2c_fn tt_q8_pool2c_fn_current(void);
/* The model input's float -> int8 conversion, bit-identical to tt_quantize_i8. */
typedef void (*tt_q8_quantize_fn)(const float *x, int64_t n, tt_qparams q, int8_t *out);
#ifdef TT_Q8_X86
void tt_q8_pool2_avx2(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, int32_t *row);
void tt_q8_quantize_avx2(const float *x, int64_t n, tt_qparams q, int8_t *out);
void tt_q8_pool2_avx512(const int32_t *a, int64_t lda, int64_t hq, int64_t wq, int32_t *row);
void tt_q8_quantize_avx512(const float *x, int64_t n, tt_qparams q, int8_t *out);
#endif
/* The pool and the input conversion of the path in use (AVX-512 ones on the avx512 and vnni paths,
 * AVX2 ones on the avx2 path). */
tt_q8_pool2_fn tt_q8_pool2_fn_current(void);
tt_q8_quantize_fn tt_q8_quantize_fn_current(void);

#endif
