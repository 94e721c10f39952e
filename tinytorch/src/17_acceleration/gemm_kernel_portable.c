/* gemm_kernel_portable.c - the portable micro-kernel: plain C11, correct on any target.
 *
 * Register tile MR x NR = 6 x 8: 48 accumulators, written so that a compiler can keep them in
 * vector registers (12 SSE registers, 6 NEON q-pairs) and vectorise the j loop. It is also the
 * "register blocking" step of the module: the same packed panels as the SIMD kernels, no intrinsics.
 * Contract: see gemm_internal.h.
 */
#include "gemm_internal.h"

#include <stddef.h>

#define PMR 6
#define PNR 8

static void kernel_portable_6x8(int64_t kc, const float *a, int64_t rs_a, int64_t cs_a,
                                const float *bp, int64_t ldb_p, float *c, int64_t ldc,
                                float alpha, float beta)
{
    float acc[PMR][PNR] = {{0}};
    for (int64_t k = 0; k < kc; k++) {
        const float *ak = a + k * cs_a;   /* op(A)[i, k] = ak[i * rs_a] */
        const float *b = bp + k * ldb_p;  /* op(B)[k, 0:8] */
        for (int i = 0; i < PMR; i++) {
            float ai = ak[i * rs_a];
            for (int j = 0; j < PNR; j++)
                acc[i][j] += ai * b[j];
        }
    }
    for (int i = 0; i < PMR; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) {
            for (int j = 0; j < PNR; j++) ci[j] = alpha * acc[i][j];
        } else {
            for (int j = 0; j < PNR; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
        }
    }
}

const tt_gemm_kernel tt_gemm_kernel_portable = { "portable", PMR, PNR, kernel_portable_6x8, NULL, NULL, NULL };
