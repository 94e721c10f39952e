/* reduce.c - sum, mean, max and argmax along one axis (or all of them).
 * Every reduction views the input as [outer, n, inner] around the axis, reduces the middle, and
 * writes [outer, inner] (with a size-1 axis kept when keepdims). Sums accumulate in double. */
#include <float.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

typedef struct rplan { int64_t outer, n, inner; int nd; int64_t shape[TT_MAX_DIMS]; } rplan;

static void make_rplan(const char *op, const tt_tensor *a, int axis, bool keepdims, rplan *p)
{
    if (axis == TT_ALL_AXES) {
        p->outer = 1;
        p->n = a->numel;
        p->inner = 1;
        p->nd = keepdims ? a->ndim : 0;
        for (int d = 0; d < p->nd; d++) {
            p->shape[d] = 1;
        }
        return;
    }
    int ax = axis < 0 ? axis + a->ndim : axis;
    if (ax < 0 || ax >= a->ndim) {
        char s[96];
        tt_fatal("%s: axis %d out of range for shape %s", op, axis, tt_shape_str(a, s, sizeof s));
    }
    p->outer = 1;
    p->inner = 1;
    for (int d = 0; d < ax; d++) p->outer *= a->shape[d];
    for (int d = ax + 1; d < a->ndim; d++) p->inner *= a->shape[d];
    p->n = a->shape[ax];
    p->nd = 0;
    for (int d = 0; d < a->ndim; d++) {
        if (d != ax) {
            p->shape[p->nd++] = a->shape[d];
        } else if (keepdims) {
            p->shape[p->nd++] = 1;
        }
    }
}

static void sum_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    int64_t outer = n->iarg[0], len = n->iarg[1], inner = n->iarg[2];
    float scale = n->farg[0];
    const float *g = n->out->grad;
    float *ga = tt_grad_buf(a);
    /* TODO: every a[o, k, i] gets g[o, i] * scale (the sum's gradient is copied back along the reduced axis) */
    /* BEGIN SOLUTION */
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t k = 0; k < len; k++) {
            float *dst = ga + (o * len + k) * inner;
            const float *src = g + o * inner;
            for (int64_t i = 0; i < inner; i++) {
                dst[i] += src[i] * scale;
            }
        }
    }
    /* END SOLUTION */
}

static tt_tensor *sum_scaled(const char *op, tt_tensor *a, int axis, bool keepdims, int mean)
{
    rplan p;
    make_rplan(op, a, axis, keepdims, &p);
    tt_tensor *out = tt_empty(p.nd, p.shape);
    float scale = mean ? (p.n ? 1.0f / (float)p.n : 0.0f) : 1.0f;
    /* TODO: out[o, i] = scale * sum over k of a[o, k, i] (accumulate in double) */
    /* BEGIN SOLUTION */
    for (int64_t o = 0; o < p.outer; o++) {
        for (int64_t i = 0; i < p.inner; i++) {
            double s = 0.0;
            const float *src = a->data + o * p.n * p.inner + i;
            for (int64_t k = 0; k < p.n; k++) {
                s += src[k * p.inner];
            }
            out->data[o * p.inner + i] = (float)s * scale;
        }
    }
    /* END SOLUTION */
    tt_node *n = tt_record(mean ? "mean" : "sum", out, &a, 1, sum_backward);
    if (n) {
        n->iarg[0] = p.outer;
        n->iarg[1] = p.n;
        n->iarg[2] = p.inner;
        n->farg[0] = scale;
    }
    return out;
}

tt_tensor *tt_sum(tt_tensor *a, int axis, bool keepdims)
{
    return sum_scaled("tt_sum", a, axis, keepdims, 0);
}

tt_tensor *tt_mean(tt_tensor *a, int axis, bool keepdims)
{
    return sum_scaled("tt_mean", a, axis, keepdims, 1);
}

static void max_backward(tt_node *n)
{
    tt_tensor *a = n->in[0];
    const int64_t *arg = n->saved;
    const float *g = n->out->grad;
    float *ga = tt_grad_buf(a);
    for (int64_t j = 0; j < n->out->numel; j++) {
        ga[arg[j]] += g[j];
    }
}

/* Index (into a->data) of the maximum of each [outer, inner] lane; NaN counts as the maximum. */
static void lane_argmax(const tt_tensor *a, const rplan *p, int64_t *arg, float *val)
{
    for (int64_t o = 0; o < p->outer; o++) {
        for (int64_t i = 0; i < p->inner; i++) {
            int64_t base = o * p->n * p->inner + i, best = base;
            float bv = p->n ? a->data[base] : -FLT_MAX;
            for (int64_t k = 1; k < p->n; k++) {
                float v = a->data[base + k * p->inner];
                if (v > bv || (v != v && bv == bv)) {
                    bv = v;
                    best = base + k * p->inner;
                }
            }
            arg[o * p->inner + i] = best;
            if (val) {
                val[o * p->inner + i] = bv;
            }
        }
    }
}

tt_tensor *tt_max(tt_tensor *a, int axis, bool keepdims)
{
    rplan p;
    make_rplan("tt_max", a, axis, keepdims, &p);
    if (p.n == 0) {
        tt_fatal("tt_max: empty axis");
    }
    tt_tensor *out = tt_empty(p.nd, p.shape);
    int64_t *arg = tt_arena_alloc(sizeof(int64_t) * (size_t)(out->numel ? out->numel : 1));
    lane_argmax(a, &p, arg, out->data);
    tt_node *n = tt_record("max", out, &a, 1, max_backward);
    if (n) {
        n->saved = arg;
    }
    return out;
}

tt_tensor *tt_argmax(const tt_tensor *a, int axis, bool keepdims)
{
    rplan p;
    make_rplan("tt_argmax", a, axis, keepdims, &p);
    if (p.n == 0) {
        tt_fatal("tt_argmax: empty axis");
    }
    tt_tensor *out = tt_empty(p.nd, p.shape);
    int64_t *arg = tt_arena_alloc(sizeof(int64_t) * (size_t)(out->numel ? out->numel : 1));
    lane_argmax(a, &p, arg, NULL);
    for (int64_t j = 0; j < out->numel; j++) {
        /* position along the axis: (flat index / inner) % n */
        out->data[j] = (float)((arg[j] / p.inner) % p.n);
    }
    return out;
}
