/* gelu.c - GELU, tanh form (as GPT-2 and BERT use it), written for speed.
 *
 *   y = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
 * computed as y = x s with s = (1 + tanh u)/2 = 1 / (1 + exp(-2u)) (no cancellation for x << 0), and
 *   dy/dx = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 * No libm call: exp is a polynomial on 4 (SSE), 8 (AVX2) or 16 (AVX-512) floats at a time; a scalar
 * tanhf per element was ~40% of a GPT training step.
 * s is saved for backward (one float per element) so the backward pass needs no transcendental.
 */
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "../common/vmath.h"

#define K0 0.7978845608028654f
#define K1 0.044715f

/* GELU_WIDTH(W, ATTR) writes gelu_forwardW and gelu_backwardW: W elements at a time with the vector
 * helpers of that width (vmath.h), each returning how many elements it did. In forward, s may be
 * NULL (no-grad); in backward, fresh: gx holds nothing yet and is written, not added to. */
#define GELU_WIDTH(W, ATTR)                                                                            \
    static ATTR int64_t gelu_forward##W(const float *x, float *y, float *s, int64_t len)              \
    {                                                                                                  \
        int64_t i = 0;                                                                                 \
        for (; i + (W) <= len; i += (W)) {                                                             \
            tt_v##W##f v = tt__v##W##f_load(x + i);                                                    \
            tt_v##W##f u2 = (v + v * v * v * K1) * (-2.0f * K0);                                       \
            tt_v##W##f si = 1.0f / (1.0f + tt__expf##W(u2));                                           \
            if (s) {                                                                                   \
                tt__v##W##f_store(s + i, si);                                                          \
            }                                                                                          \
            tt__v##W##f_store(y + i, v * si);                                                          \
        }                                                                                              \
        return i;                                                                                      \
    }                                                                                                  \
    static ATTR int64_t gelu_backward##W(const float *x, const float *s, const float *g, float *gx,    \
                                         int64_t len, bool fresh)                                      \
    {                                                                                                  \
        int64_t i = 0;                                                                                 \
        for (; i + (W) <= len; i += (W)) {                                                             \
            tt_v##W##f v = tt__v##W##f_load(x + i), si = tt__v##W##f_load(s + i);                      \
            tt_v##W##f d = si + 2.0f * v * si * (1.0f - si) * K0 * (1.0f + 3.0f * K1 * v * v);         \
            tt_v##W##f prev = fresh ? tt__v##W##f_set(0.0f) : tt__v##W##f_load(gx + i);                \
            tt__v##W##f_store(gx + i, prev + tt__v##W##f_load(g + i) * d);                             \
        }                                                                                              \
        return i;                                                                                      \
    }

#ifdef TT_HAVE_AVX512_PATH
GELU_WIDTH(16, TT_AVX512_FN)
GELU_WIDTH(8, TT_AVX2_FN)
#endif

static void gelu_backward(tt_node *n)
{
    tt_tensor *xt = n->in[0];
    const float *g = n->out->grad, *x = xt->data, *t = n->saved;
    bool fresh; /* a gradient buffer nothing has written yet is written, not zeroed and added to */
    float *gx = tt_grad_buf_fresh(xt, &fresh);
    int64_t len = xt->numel, start = 0;
#ifdef TT_HAVE_AVX512_PATH
    if (tt__have_avx512()) {
        start = gelu_backward16(x, t, g, gx, len, fresh);
    } else if (tt__have_avx2()) {
        start = gelu_backward8(x, t, g, gx, len, fresh);
    }
#endif
    TT_SIMD
    for (int64_t i = start; i < len; i++) {
        float v = x[i], si = t[i];
        float d = si + 2.0f * v * si * (1.0f - si) * K0 * (1.0f + 3.0f * K1 * v * v);
        gx[i] = (fresh ? 0.0f : gx[i]) + g[i] * d;
    }
}

tt_tensor *tt_gelu(tt_tensor *x)
{
    tt_tensor *out = tt_empty(x->ndim, x->shape);
    bool rec = tt_grad_enabled() && tt_requires_grad(x);
    float *t = rec ? tt_arena_alloc((size_t)x->numel * sizeof(float)) : NULL;
    const float *xv = x->data;
    float *y = out->data;
    int64_t len = x->numel;
    int64_t i = 0;
#ifdef TT_HAVE_AVX512_PATH
    if (tt__have_avx512()) {
        i = gelu_forward16(xv, y, t, len);
    } else if (tt__have_avx2()) {
        i = gelu_forward8(xv, y, t, len);
    }
#endif
    const tt_v4f k0 = tt__v4f_set(K0), k1 = tt__v4f_set(K1);
    for (; i + 4 <= len; i += 4) {
        tt_v4f v = tt__v4f_load(xv + i);
        tt_v4f si = 1.0f / (1.0f + tt__expf4(-2.0f * k0 * (v + k1 * v * v * v)));
        if (rec) {
            tt__v4f_store(t + i, si);
        }
        tt__v4f_store(y + i, v * si);
    }
    if (rec) {
        for (; i < len; i++) {
            float v = xv[i];
            float si = 1.0f / (1.0f + tt__expf(-2.0f * K0 * (v + K1 * v * v * v)));
            t[i] = si;
            y[i] = v * si;
        }
    } else {
        for (; i < len; i++) {
            float v = xv[i];
            y[i] = v / (1.0f + tt__expf(-2.0f * K0 * (v + K1 * v * v * v)));
        }
    }
    tt_tensor *in[1] = {x};
    tt_node *node = tt_record("gelu", out, in, 1, gelu_backward);
    if (node) {
        node->saved = t;
    }
    return out;
}
