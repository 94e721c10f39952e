/* activations.c - ReLU, Sigmoid, Tanh, exact-erf GELU, Softmax, LogSoftmax (tanh GELU: gelu.c).
 *
 * Elementwise activations are memory-bound: one read and one write per element, a few flops (ReLU)
 * to a few dozen (GELU's tanh/erf). Each forward and backward is one plain loop over contiguous
 * floats, no function pointer per element. Backward rules reuse what forward produced:
 *   relu' = [x > 0]            sigmoid' = y (1 - y)        tanh' = 1 - y^2
 *   gelu_tanh(x) = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
 *   gelu_erf(x)  = x Phi(x),  gelu_erf' = Phi(x) + x phi(x)
 * exp, tanh and erf come from vmath.h (branch-free, vectorised), not from libm's scalar calls.
 * Softmax/LogSoftmax view x as [outer, n, inner] around the axis and subtract each lane's maximum
 * before exp (exp of a large logit overflows float32 above ~88.7):
 *   softmax' : dx = y (g - sum(g y))       log_softmax' : dx = g - exp(y) sum(g)
 */
#include <math.h>
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "../common/vmath.h"

/* ---- elementwise ------------------------------------------------------------------------------- */

enum act { A_RELU, A_SIGMOID, A_TANH, A_GELU_ERF }; /* tanh-form GELU: gelu.c */
static const char *const act_name[] = {"relu", "sigmoid", "tanh", "gelu_erf"};

#define INV_SQRT2 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f

static void act_backward(tt_node *n)
{
    tt_tensor *xt = n->in[0];
    const float *restrict g = n->out->grad, *restrict x = xt->data, *restrict y = n->out->data;
    float *restrict gx = tt_grad_buf(xt);
    int64_t len = xt->numel;
    /* TODO: gx += g * the derivative: relu (x > 0), sigmoid y(1-y), tanh 1-y^2, GELU cdf(x) + x pdf(x) */
    /* BEGIN SOLUTION */
    switch ((enum act)n->iarg[0]) {
    case A_RELU:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            const float gi = g[i]; /* read unconditionally: a select, not a branch, so the loop vectorises */
            gx[i] += x[i] > 0.0f ? gi : 0.0f;
        }
        break;
    case A_SIGMOID:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            gx[i] += g[i] * y[i] * (1.0f - y[i]);
        }
        break;
    case A_TANH:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            gx[i] += g[i] * (1.0f - y[i] * y[i]);
        }
        break;
    case A_GELU_ERF:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            float v = x[i];
            float cdf = 0.5f * (1.0f + tt__erf(v * INV_SQRT2));
            float pdf = INV_SQRT_2PI * tt__exp(-0.5f * v * v);
            gx[i] += g[i] * (cdf + v * pdf);
        }
        break;
    }
    /* END SOLUTION */
}

static tt_tensor *activation(enum act op, tt_tensor *xt)
{
    tt_tensor *out = tt_empty(xt->ndim, xt->shape);
    const float *restrict x = xt->data;
    float *restrict y = out->data;
    int64_t len = xt->numel;
    /* TODO: y = relu, sigmoid, tanh or erf-GELU of x, elementwise (tt__sigmoid, tt__tanh, tt__erf: vmath.h) */
    /* BEGIN SOLUTION */
    switch (op) {
    case A_RELU:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        }
        break;
    case A_SIGMOID: /* never exp of a large positive number */
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            y[i] = tt__sigmoid(x[i]);
        }
        break;
    case A_TANH:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            y[i] = tt__tanh(x[i]);
        }
        break;
    case A_GELU_ERF:
        TT_SIMD for (int64_t i = 0; i < len; i++) {
            y[i] = 0.5f * x[i] * (1.0f + tt__erf(x[i] * INV_SQRT2));
        }
        break;
    }
    /* END SOLUTION */
    tt_node *n = tt_record(act_name[op], out, &xt, 1, act_backward);
    if (n) {
        n->iarg[0] = op;
    }
    return out;
}

tt_tensor *tt_relu(tt_tensor *x) { return activation(A_RELU, x); }
tt_tensor *tt_sigmoid(tt_tensor *x) { return activation(A_SIGMOID, x); }
tt_tensor *tt_tanh(tt_tensor *x) { return activation(A_TANH, x); }
tt_tensor *tt_gelu_erf(tt_tensor *x) { return activation(A_GELU_ERF, x); }

/* ---- softmax / log_softmax ------------------------------------------------------------------------ */

typedef struct lanes { int64_t outer, n, inner; } lanes;

static lanes lanes_for(const char *op, const tt_tensor *x, int axis)
{
    int ax = axis < 0 ? axis + x->ndim : axis;
    if (x->ndim == 0 || ax < 0 || ax >= x->ndim) {
        char s[96];
        tt_fatal("%s: axis %d out of range for shape %s", op, axis, tt_shape_str(x, s, sizeof s));
    }
    lanes l = {1, x->shape[ax], 1};
    for (int d = 0; d < ax; d++) {
        l.outer *= x->shape[d];
    }
    for (int d = ax + 1; d < x->ndim; d++) {
        l.inner *= x->shape[d];
    }
    return l;
}

/* One lane: n values at stride s. Writes softmax (log = 0) or log_softmax (log = 1). */
static inline void softmax_lane(const float *restrict x, float *restrict y, int64_t n, int64_t s, int log)
{
    /* TODO: subtract the lane's max before exp (stability); log_softmax = x - max - log(sum exp) */
    /* BEGIN SOLUTION */
    float mx = -INFINITY;
    for (int64_t k = 0; k < n; k++) {
        mx = x[k * s] > mx ? x[k * s] : mx;
    }
    if (mx == -INFINITY) { /* all -inf: PyTorch gives NaN; keep that */
        mx = 0.0f;
    }
    float sum = 0.0f;
    if (log) {
        TT_SIMD_SUM(sum) for (int64_t k = 0; k < n; k++) {
            sum += tt__exp(x[k * s] - mx);
        }
        float lse = mx + logf(sum);
        for (int64_t k = 0; k < n; k++) {
            y[k * s] = x[k * s] - lse;
        }
    } else {
        TT_SIMD_SUM(sum) for (int64_t k = 0; k < n; k++) {
            float e = tt__exp(x[k * s] - mx);
            y[k * s] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int64_t k = 0; k < n; k++) {
            y[k * s] *= inv;
        }
    }
    /* END SOLUTION */
}

static void softmax_backward(tt_node *n)
{
    tt_tensor *xt = n->in[0];
    lanes l = {n->iarg[0], n->iarg[1], n->iarg[2]};
    int log = (int)n->iarg[3];
    const float *g = n->out->grad, *y = n->out->data;
    float *gx = tt_grad_buf(xt);
    /* TODO: softmax: dx = y (g - sum g*y); log_softmax: dx = g - exp(y) sum g, for every lane */
    /* BEGIN SOLUTION */
    for (int64_t o = 0; o < l.outer; o++) {
        for (int64_t i = 0; i < l.inner; i++) {
            int64_t base = o * l.n * l.inner + i, s = l.inner;
            const float *gl = g + base, *yl = y + base;
            float *dl = gx + base;
            float acc = 0.0f;
            if (log) {
                for (int64_t k = 0; k < l.n; k++) {
                    acc += gl[k * s];
                }
                for (int64_t k = 0; k < l.n; k++) {
                    dl[k * s] += gl[k * s] - tt__exp(yl[k * s]) * acc;
                }
            } else {
                for (int64_t k = 0; k < l.n; k++) {
                    acc += gl[k * s] * yl[k * s];
                }
                for (int64_t k = 0; k < l.n; k++) {
                    dl[k * s] += yl[k * s] * (gl[k * s] - acc);
                }
            }
        }
    }
    /* END SOLUTION */
}

static tt_tensor *softmax_any(const char *op, tt_tensor *x, int axis, int log)
{
    lanes l = lanes_for(op, x, axis);
    tt_tensor *out = tt_empty(x->ndim, x->shape);
    if (l.inner == 1) { /* the common case (last axis): unit stride, so the lane loops vectorise */
        for (int64_t o = 0; o < l.outer; o++) {
            softmax_lane(x->data + o * l.n, out->data + o * l.n, l.n, 1, log);
        }
    } else {
        for (int64_t o = 0; o < l.outer; o++) {
            for (int64_t i = 0; i < l.inner; i++) {
                int64_t base = o * l.n * l.inner + i;
                softmax_lane(x->data + base, out->data + base, l.n, l.inner, log);
            }
        }
    }
    tt_node *n = tt_record(op + 3, out, &x, 1, softmax_backward);
    if (n) {
        n->iarg[0] = l.outer;
        n->iarg[1] = l.n;
        n->iarg[2] = l.inner;
        n->iarg[3] = log;
    }
    return out;
}

tt_tensor *tt_softmax(tt_tensor *x, int axis) { return softmax_any("tt_softmax", x, axis, 0); }
tt_tensor *tt_log_softmax(tt_tensor *x, int axis) { return softmax_any("tt_log_softmax", x, axis, 1); }
