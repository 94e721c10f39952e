/* amp.h - mixed-precision training (module 17): bf16 or fp16 operands, fp32 accumulation.
 *
 * Master weights, activations, gradients and the optimizer stay fp32. With a lower matmul precision
 * set, every tt_sgemm call (Linear layers, matmul, and convolutions, which then take the im2col +
 * GEMM path) rounds copies of its two operands to bf16 or fp16 (round to nearest, ties to even),
 * and the kernel widens them back to fp32 in registers and accumulates in fp32 (as tensor cores and
 * AMX do). The copies live in a per-thread scratch buffer for the duration of one product.
 *   bf16: fp32's exponent range with 8 significant bits: no loss scaling needed.
 *   fp16: 11 significant bits but a range of 6e-8 .. 65504: small gradients underflow unless the
 *         loss is scaled up before backward, and a scale too large overflows. tt_amp_train_step
 *         does PyTorch GradScaler's dynamic loss scaling: skip the step and halve the scale on an
 *         overflow (a non-finite gradient), double it after `growth_interval` good steps.
 * Paths: AVX-512F (conversions and the widening kernel; fp16 with vcvtps2ph / vcvtph2ps, the F16C
 * instructions at 512 bits) and portable C; both give bit-identical results (TT_ISA caps the choice).
 * This is a simulation of low-precision hardware on a CPU without bf16 arithmetic: it shows the
 * accuracy effect; it is slower than fp32 here (measured in src/17_acceleration/ABOUT.md).
 */
#ifndef TINYTORCH_AMP_H
#define TINYTORCH_AMP_H

#include <stdint.h>

#include "tinytorch/optim.h"
#include "tinytorch/train.h"

typedef enum tt_precision { TT_FP32 = 0, TT_BF16 = 1, TT_FP16 = 2 } tt_precision;

/* "fp32", "bf16", "fp16". */
const char *tt_precision_name(tt_precision p);

/* One value, round to nearest even; NaN stays NaN (quiet), overflow gives infinity. */
uint16_t tt_f32_to_bf16(float x);
float tt_bf16_to_f32(uint16_t h);
uint16_t tt_f32_to_f16(float x);
float tt_f16_to_f32(uint16_t h);
/* n values (p: TT_BF16 or TT_FP16), vectorised where the CPU allows; same bits as the scalar ones. */
void tt_f32_to_half_n(tt_precision p, const float *x, uint16_t *h, int64_t n);
void tt_half_to_f32_n(tt_precision p, const uint16_t *h, float *x, int64_t n);

/* The precision of tt_sgemm's operands, for the whole process (default TT_FP32: unchanged). Not
 * thread-safe: set it between steps. tt_amp_train_step sets it around its forward and backward. */
void tt_set_matmul_precision(tt_precision p);
tt_precision tt_get_matmul_precision(void);

/* C[M,N] = alpha * op(A) @ op(B) + beta * C with A and B holding bf16 or fp16 values (the layout and
 * transposes of tt_sgemm; beta == 0 does not read C). Products and sums in fp32 (one fused
 * multiply-add per term, k in order). */
void tt_gemm_half(tt_precision p, int transa, int transb, int64_t M, int64_t N, int64_t K, float alpha,
                  const uint16_t *A, int64_t lda, const uint16_t *B, int64_t ldb, float beta, float *C,
                  int64_t ldc);

/* Bytes of the largest pair of operand copies made so far (the extra memory of low precision), and
 * how many products ran in low precision; tt_amp_stats_reset clears both. */
int64_t tt_amp_copy_bytes_peak(void);
int64_t tt_amp_products(void);
void tt_amp_stats_reset(void);

/* Mixed-precision state of a training run. */
typedef struct tt_amp {
    tt_precision precision;
    float scale;          /* fp16: the loss scale now (bf16 / fp32: 1) */
    float growth;         /* scale *= growth after growth_interval good steps (2) */
    float backoff;        /* scale *= backoff on an overflow (0.5) */
    int growth_interval;  /* 2000, as PyTorch's GradScaler */
    int good_steps;       /* steps since the last overflow or growth */
    int64_t skipped;      /* steps skipped for an overflow */
} tt_amp;

/* The state for precision p with PyTorch GradScaler's defaults (fp16: scale 65536). */
tt_amp tt_amp_init(tt_precision p);

/* One training step as tt_train_step (opts may be NULL; its loss_scale and accumulate must be unset)
 * with the matmul precision set to amp->precision for forward and backward, and for fp16 the loss
 * scaled by amp->scale, the gradients checked and unscaled before clipping and the update.
 * Returns 0 (stepped), 1 (skipped: a gradient overflowed; the scale was lowered, nothing updated),
 * or -1 (the loss itself is not finite, as tt_train_step). */
int tt_amp_train_step(void *model, tt_optimizer *opt, const tt_batch *b, tt_amp *amp, const tt_step_opts *opts,
                      tt_step_result *r);

#endif
