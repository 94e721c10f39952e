/* gemv.c - the decode-step matrix-vector product (module 17, beside the SGEMM).
 *
 * A decode step multiplies ONE row by each weight matrix. Handing that to tt_sgemm would pack (copy)
 * the whole weight matrix for a single use, so tt_sgemv takes dot products straight from the weights:
 * every weight is read once per token, which is the memory-bound floor of decoding. The AVX-512 path
 * is used where the CPU probe (src/common/cpu.h, capped by TT_ISA) allows it; else 4-lane vectors.
 */
#include "tinytorch/gemm.h"
#include "gemv_internal.h"

#ifdef TT_HAVE_AVX512_PATH
/* y[o] = W[o, :] . x + bias[o] for every o. Four rows at a time: four independent streams of W keep
 * more loads in flight (the step is bound by reading the weights) and share each load of x. */
static TT_AVX512_FN void gemv16(const float *W, const float *x, const float *bias, float *y, int64_t out,
                               int64_t in)
{
    int64_t o = 0;
    if (in % 16 == 0) {
        for (; o + 4 <= out; o += 4) {
            const float *w0 = W + o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
            tt_v16f a0 = tt__v16f_set(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t i = 0; i < in; i += 16) {
                tt_v16f xv = tt__v16f_load(x + i);
                a0 += tt__v16f_load(w0 + i) * xv;
                a1 += tt__v16f_load(w1 + i) * xv;
                a2 += tt__v16f_load(w2 + i) * xv;
                a3 += tt__v16f_load(w3 + i) * xv;
            }
            y[o] = tt__hsum16(a0) + (bias ? bias[o] : 0.0f);
            y[o + 1] = tt__hsum16(a1) + (bias ? bias[o + 1] : 0.0f);
            y[o + 2] = tt__hsum16(a2) + (bias ? bias[o + 2] : 0.0f);
            y[o + 3] = tt__hsum16(a3) + (bias ? bias[o + 3] : 0.0f);
        }
    }
    for (; o < out; o++) {
        y[o] = tt__sdot16(W + o * in, x, in) + (bias ? bias[o] : 0.0f);
    }
}
#endif

void tt_sgemv(const float *W, const float *x, const float *bias, float *y, int64_t out, int64_t in)
{
#ifdef TT_HAVE_AVX512_PATH
    if (tt__have_avx512()) {
        gemv16(W, x, bias, y, out, in);
        return;
    }
#endif
    for (int64_t o = 0; o < out; o++) {
        y[o] = tt__sdot4(W + o * in, x, in) + (bias ? bias[o] : 0.0f);
    }
}
