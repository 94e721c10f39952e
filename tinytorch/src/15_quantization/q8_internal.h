/* q8_internal.h - what the int8 GEMM driver (q8_gemm.c) and its x86 kernels share; not public.
 *
 * A kernel computes C[0:M, n0:n0+32] for every 32-column block of Bp (see tt_q8_gemm in quant.h):
 * all np/32 blocks, C's leading dimension ldc >= np (the padding columns receive zeros from the
 * zero-filled Bp). Results are exact int32 sums: every path must match the portable one bit for bit.
 */
#ifndef TT_Q8_INTERNAL_H
#define TT_Q8_INTERNAL_H

#include <stdint.h>

#if defined(__x86_64__) && !defined(TT_NO_X86_KERNELS)
#define TT_Q8_X86 1
#endif

typedef void (*tt_q8_kernel_fn)(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np,
                                int32_t *C, int64_t ldc);

void tt_q8_kernel_portable(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np,
                           int32_t *C, int64_t ldc);
#ifdef TT_Q8_X86
void tt_q8_kernel_avx2(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np, int32_t *C,
                       int64_t ldc);
void tt_q8_kernel_avx512(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np, int32_t *C,
                         int64_t ldc);
void tt_q8_kernel_vnni(int64_t M, int64_t kp, const int16_t *A, const int16_t *Bp, int64_t np, int32_t *C,
                       int64_t ldc);
#endif

#endif
