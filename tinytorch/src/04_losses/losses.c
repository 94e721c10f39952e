/* losses.c - MSE, cross-entropy from logits with class indices, binary cross-entropy with logits.
 * Every loss is a mean (PyTorch's reduction="mean") and returns a 0-d tensor.
 *
 * Cross-entropy is fused: forward computes, per row, lse = max + log(sum(exp(x - max))) and
 * loss_r = lse - x[label]; when a gradient is wanted it also writes d(loss)/d(logits) =
 * (softmax - onehot) / N into the arena, so backward is one scaled accumulate and never re-runs exp.
 * BCE with logits uses the form max(x,0) - x*y + log1p(exp(-|x|)), finite for any x; its gradient is
 * (sigmoid(x) - y)/numel for the logits and -x/numel for the targets.
 * Sums accumulate in double: a mean over many rows loses no precision.
 */
#include <math.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "../common/vmath.h"

static void shape_mismatch(const char *op, const tt_tensor *a, const tt_tensor *b)
{
    char sa[96], sb[96];
    tt_fatal("%s: shapes %s and %s differ", op, tt_shape_str(a, sa, sizeof sa),
             tt_shape_str(b, sb, sizeof sb));
}

/* ---- MSE: mean((p - t)^2) ------------------------------------------------------------------------ */

static void mse_backward(tt_node *n)
{
    tt_tensor *p = n->in[0], *t = n->in[1];
    float s = 2.0f * n->out->grad[0] / (float)p->numel;
    const float *pd = p->data, *td = t->data;
    /* TODO: dL/dpred = 2 (pred - target) / n, times the incoming gradient */
    /* BEGIN SOLUTION */
    if (tt_wants_grad(p)) {
        float *gp = tt_grad_buf(p);
        for (int64_t i = 0; i < p->numel; i++) {
            gp[i] += s * (pd[i] - td[i]);
        }
    }
    /* END SOLUTION */
    if (tt_wants_grad(t)) {
        float *gt = tt_grad_buf(t);
        for (int64_t i = 0; i < p->numel; i++) {
            gt[i] -= s * (pd[i] - td[i]);
        }
    }
}

tt_tensor *tt_mse_loss(tt_tensor *pred, tt_tensor *target)
{
    if (!tt_same_shape(pred, target)) {
        shape_mismatch("tt_mse_loss", pred, target);
    }
    double acc = 0.0;
    const float *p = pred->data, *t = target->data;
    /* TODO: acc = sum of squared differences (in double); the loss is their mean */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < pred->numel; i++) {
        float d = p[i] - t[i];
        acc += (double)(d * d);
    }
    /* END SOLUTION */
    tt_tensor *out = tt_scalar(pred->numel ? (float)(acc / (double)pred->numel) : NAN);
    tt_tensor *in[2] = {pred, target};
    tt_record("mse_loss", out, in, 2, mse_backward);
    return out;
}

/* ---- cross-entropy: logits [..., C], labels [N] with N = numel / C --------------------------------- */

static void ce_backward(tt_node *n)
{
    tt_tensor *x = n->in[0];
    const float *restrict d = n->saved;
    float g = n->out->grad[0];
    float *restrict gx = tt_grad_buf(x);
    TT_SIMD for (int64_t i = 0; i < x->numel; i++) {
        gx[i] += g * d[i];
    }
}

tt_tensor *tt_cross_entropy(tt_tensor *logits, const int32_t *labels)
{
    if (logits->ndim < 1 || logits->shape[logits->ndim - 1] < 1) {
        char s[96];
        tt_fatal("tt_cross_entropy: logits %s need a non-empty class axis (last)",
                 tt_shape_str(logits, s, sizeof s));
    }
    const int64_t C = logits->shape[logits->ndim - 1], N = logits->numel / C;
    bool grad = tt_any_requires_grad(&logits, 1);
    float *d = grad ? tt_arena_alloc((size_t)logits->numel * sizeof(float)) : NULL;
    const float invN = N ? 1.0f / (float)N : 0.0f;
    double total = 0.0;
    for (int64_t r = 0; r < N; r++) {
        const float *x = logits->data + r * C;
        int32_t y = labels[r];
        if (y < 0 || y >= C) {
            char s[96];
            tt_fatal("tt_cross_entropy: label %d at row %lld outside [0, %lld) for logits %s", (int)y,
                     (long long)r, (long long)C, tt_shape_str(logits, s, sizeof s));
        }
        /* TODO: this row's loss: log-sum-exp(x) - x[y] (subtract the max first); with d, store softmax/N - onehot/N */
        /* BEGIN SOLUTION */
        float mx = x[0];
        for (int64_t k = 1; k < C; k++) {
            mx = x[k] > mx ? x[k] : mx;
        }
        float sum = 0.0f;
        if (d) {
            float *restrict dr = d + r * C;
            TT_SIMD_SUM(sum) for (int64_t k = 0; k < C; k++) {
                float e = tt__exp(x[k] - mx);
                dr[k] = e;
                sum += e;
            }
            float scale = invN / sum;
            TT_SIMD for (int64_t k = 0; k < C; k++) {
                dr[k] *= scale;
            }
            dr[y] -= invN;
        } else {
            TT_SIMD_SUM(sum) for (int64_t k = 0; k < C; k++) {
                sum += tt__exp(x[k] - mx);
            }
        }
        total += (double)(mx + logf(sum) - x[y]);
        /* END SOLUTION */
    }
    tt_tensor *out = tt_scalar(N ? (float)(total / (double)N) : NAN);
    tt_node *n = tt_record("cross_entropy", out, &logits, 1, ce_backward);
    if (n) {
        n->saved = d;
    }
    return out;
}

/* ---- BCE with logits ---------------------------------------------------------------------------- */

static void bce_backward(tt_node *n)
{
    tt_tensor *x = n->in[0], *y = n->in[1];
    float s = n->out->grad[0] / (float)x->numel;
    const float *xd = x->data, *yd = y->data;
    /* TODO: dL/dlogit = (sigmoid(x) - y) / n, sigmoid computed without overflow */
    /* BEGIN SOLUTION */
    if (tt_wants_grad(x)) {
        float *gx = tt_grad_buf(x);
        for (int64_t i = 0; i < x->numel; i++) {
            float e = expf(-fabsf(xd[i]));
            float sig = xd[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
            gx[i] += s * (sig - yd[i]);
        }
    }
    /* END SOLUTION */
    if (tt_wants_grad(y)) {
        float *gy = tt_grad_buf(y);
        for (int64_t i = 0; i < x->numel; i++) {
            gy[i] -= s * xd[i];
        }
    }
}

tt_tensor *tt_bce_with_logits(tt_tensor *logits, tt_tensor *targets)
{
    if (!tt_same_shape(logits, targets)) {
        shape_mismatch("tt_bce_with_logits", logits, targets);
    }
    double acc = 0.0;
    const float *x = logits->data, *y = targets->data;
    /* TODO: stable BCE with logits: max(v, 0) - v y + log(1 + exp(-|v|)) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < logits->numel; i++) {
        float v = x[i];
        acc += (double)((v > 0.0f ? v : 0.0f) - v * y[i] + log1pf(expf(-fabsf(v))));
    }
    /* END SOLUTION */
    tt_tensor *out = tt_scalar(logits->numel ? (float)(acc / (double)logits->numel) : NAN);
    tt_tensor *in[2] = {logits, targets};
    tt_record("bce_with_logits", out, in, 2, bce_backward);
    return out;
}
