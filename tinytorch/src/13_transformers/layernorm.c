/* layernorm.c - LayerNorm over the last axis with its own backward (module 13).
 *
 * Per row of C values: mu = mean(x), rstd = 1/sqrt(var + eps), xhat = (x - mu) rstd, y = xhat g + b.
 * Backward (per row, dxhat = dy * g):
 *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dg += dy xhat,  db += dy
 * Saved: mu and rstd per row (2 floats per row, not the normalised activations).
 */
#include <math.h>
#include "tinytorch/autograd.h"
#include "tinytorch/transformer.h"
#include "../common/vmath.h"

typedef struct ln_saved { float *mu, *rstd; } ln_saved;

/* The row loops of the forward and the backward are written once (TT_ISA_BODY: inlined into each
 * caller) and compiled for AVX-512, AVX2 and the baseline (TT_ISA_VARIANTS), where the compiler runs
 * each omp simd loop 16, 8 or 4 floats wide; the one CPU probe (capped by TT_ISA) picks at run time.
 * At the baseline's 4-float width LayerNorm was 5 % of a GPT training step. */
TT_ISA_BODY void ln_backward_rows(const float *xd, const float *g, const float *w, const ln_saved *s, int64_t R,
                               int64_t C, float *dx, float *dw, float *db)
{
    float invC = 1.0f / (float)C;
    /* TODO: per row r (mu, rstd saved by the forward): dg += dy xhat, db += dy, and
     * dx += rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) with dxhat = dy g. */
    /* BEGIN SOLUTION */
    for (int64_t r = 0; r < R; r++) {
        const float *xr = xd + r * C, *gr = g + r * C;
        float mu = s->mu[r], rstd = s->rstd[r];
        if (dw || db) {
            TT_SIMD
            for (int64_t i = 0; i < C; i++) {
                float xh = (xr[i] - mu) * rstd;
                if (dw) {
                    dw[i] += gr[i] * xh;
                }
                if (db) {
                    db[i] += gr[i];
                }
            }
        }
        if (dx) {
            float sum_d = 0.0f, sum_dx = 0.0f;
            TT_SIMD_SUM(sum_d)
            for (int64_t i = 0; i < C; i++) {
                sum_d += gr[i] * w[i];
            }
            TT_SIMD_SUM(sum_dx)
            for (int64_t i = 0; i < C; i++) {
                sum_dx += gr[i] * w[i] * (xr[i] - mu) * rstd;
            }
            float m1 = sum_d * invC, m2 = sum_dx * invC;
            float *dxr = dx + r * C;
            TT_SIMD
            for (int64_t i = 0; i < C; i++) {
                float xh = (xr[i] - mu) * rstd;
                dxr[i] += rstd * (gr[i] * w[i] - m1 - xh * m2);
            }
        }
    }
    /* END SOLUTION */
}

TT_ISA_VARIANTS(ln_backward_any, ln_backward_rows,
                (const float *xd, const float *g, const float *w, const ln_saved *s, int64_t R, int64_t C,
                 float *dx, float *dw, float *db),
                (xd, g, w, s, R, C, dx, dw, db))

static void layernorm_backward(tt_node *n)
{
    tt_tensor *x = n->in[0], *gamma = n->in[1], *beta = n->n_in > 2 ? n->in[2] : NULL;
    const ln_saved *s = n->saved;
    int64_t C = gamma->numel, R = x->numel / C;
    float *dx = tt_wants_grad(x) ? tt_grad_buf(x) : NULL;
    float *dw = tt_wants_grad(gamma) ? tt_grad_buf(gamma) : NULL;
    float *db = beta && tt_wants_grad(beta) ? tt_grad_buf(beta) : NULL;
    ln_backward_any(x->data, n->out->grad, gamma->data, s, R, C, dx, dw, db);
}

TT_ISA_BODY void ln_forward_rows(const float *xd, const float *w, const float *bb, int64_t R, int64_t C, float eps,
                              float *y, float *mu, float *rs)
{
    float invC = 1.0f / (float)C;
    /* TODO: per row of C values: mean m, variance (biased: divide by C), rstd = 1 / sqrt(var + eps),
     * y = (x - m) rstd g (+ b when beta is given); keep m and rstd in mu[r], rs[r] when mu is given. */
    /* BEGIN SOLUTION */
    for (int64_t r = 0; r < R; r++) {
        const float *xr = xd + r * C;
        float *yr = y + r * C;
        float sum = 0.0f;
        TT_SIMD_SUM(sum)
        for (int64_t i = 0; i < C; i++) {
            sum += xr[i];
        }
        float m = sum * invC, var = 0.0f;
        TT_SIMD_SUM(var)
        for (int64_t i = 0; i < C; i++) {
            float dd = xr[i] - m;
            var += dd * dd;
        }
        float rstd = 1.0f / sqrtf(var * invC + eps);
        if (bb) {
            TT_SIMD
            for (int64_t i = 0; i < C; i++) {
                yr[i] = (xr[i] - m) * rstd * w[i] + bb[i];
            }
        } else {
            TT_SIMD
            for (int64_t i = 0; i < C; i++) {
                yr[i] = (xr[i] - m) * rstd * w[i];
            }
        }
        if (mu) {
            mu[r] = m;
            rs[r] = rstd;
        }
    }
    /* END SOLUTION */
}

TT_ISA_VARIANTS(ln_forward_any, ln_forward_rows,
                (const float *xd, const float *w, const float *bb, int64_t R, int64_t C, float eps, float *y,
                 float *mu, float *rs),
                (xd, w, bb, R, C, eps, y, mu, rs))

tt_tensor *tt_layernorm(tt_tensor *x, tt_tensor *gamma, tt_tensor *beta, float eps)
{
    if (x->ndim < 1 || gamma->numel != x->shape[x->ndim - 1] || (beta && beta->numel != gamma->numel)) {
        char a[96], b[96];
        tt_fatal("tt_layernorm: input %s and weight %s (want weight [C] with C = last dim)",
                 tt_shape_str(x, a, sizeof a), tt_shape_str(gamma, b, sizeof b));
    }
    int64_t C = gamma->numel, R = C ? x->numel / C : 0;
    tt_tensor *out = tt_empty(x->ndim, x->shape);
    bool rec = tt_grad_enabled() &&
               (tt_requires_grad(x) || tt_requires_grad(gamma) || (beta && tt_requires_grad(beta)));
    float *mu = rec ? tt_arena_alloc((size_t)R * sizeof(float)) : NULL;
    float *rs = rec ? tt_arena_alloc((size_t)R * sizeof(float)) : NULL;
    ln_forward_any(x->data, gamma->data, beta ? beta->data : NULL, R, C, eps, out->data, mu, rs);
    tt_tensor *in[3] = {x, gamma, beta};
    tt_node *node = tt_record("layernorm", out, in, beta ? 3 : 2, layernorm_backward);
    if (node) {
        ln_saved *s = tt_arena_alloc(sizeof *s);
        s->mu = mu;
        s->rstd = rs;
        node->saved = s;
    }
    return out;
}
