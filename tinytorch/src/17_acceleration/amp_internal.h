/* amp_internal.h - what amp.c shares with its AVX-512 kernels (amp_avx512.c) and tt_sgemm; not public. */
#ifndef TT_AMP_INTERNAL_H
#define TT_AMP_INTERNAL_H

#include <stdint.h>

#include "tinytorch/amp.h"

#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
#define TT_AMP_X86 1
/* n floats to bf16 (fp16 != 0: fp16), round to nearest even: the bits of tt_f32_to_bf16 / _f16. */
void tt_amp_avx512_to_half(int fp16, const float *x, uint16_t *h, int64_t n);
/* C = alpha * Ah @ Bh (+ beta * C) on row-major half copies: Ah [M][lda], Bh [K][ldb] with ldb a
 * multiple of 32 and columns N..ldb zero. One FMA per term, k in order (as the portable kernel). */
void tt_amp_avx512_gemm(int fp16, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *Ah, int64_t lda,
                        const uint16_t *Bh, int64_t ldb, float beta, float *C, int64_t ldc);
#endif

/* tt_sgemm's low-precision path (the matmul precision is not TT_FP32): operands rounded to p. */
void tt__gemm_lowp(tt_precision p, int transa, int transb, int64_t M, int64_t N, int64_t K, float alpha,
                   const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
