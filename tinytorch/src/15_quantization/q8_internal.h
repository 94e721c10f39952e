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

#endif
