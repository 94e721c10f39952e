/* optimizer.c - SGD, Adam and AdamW with torch.optim's exact update rules (see optim.h).
 *
 * Invariants: params[i] are the caller's persistent tensors (not owned); state tensors are
 * persistent, allocated at creation, owned here: for param i, buf1[i] (momentum buffer or exp_avg)
 * and buf2[i] (exp_avg_sq, Adam only), and step[i], a 1-element tensor counting that parameter's
 * updates (as a float, like PyTorch's state_dict). tt_optim_step() allocates nothing.
 * Each update is one pass over a parameter's elements, a SIMD loop (Adam's sqrt is vmath.h's
 * tt__sqrt: libm's sqrtf may set errno, which keeps a loop scalar); the step and the zeroing run
 * on several threads when the parameters are many (for_all).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef TT_HAVE_OPENMP
#include <omp.h>
#endif
#include "tinytorch/gemm.h"
#include "tinytorch/optim.h"
#include "../common/vmath.h"
#include "optim_internal.h"

struct tt_optimizer {
    tt_optim_kind kind;
    float lr, momentum, dampening, weight_decay, beta1, beta2, eps;
    bool nesterov;
    int n;
    tt_tensor **params;   /* [n], not owned */
    char **names;         /* [n], owned copies of the parameter names */
    tt_tensor **buf1;     /* [n] momentum_buffer / exp_avg, or NULL entries (plain SGD) */
    tt_tensor **buf2;     /* [n] exp_avg_sq, or NULL entries */
    tt_tensor **step;     /* [n] 1-element step counters */
    int64_t steps;
    bool spread;          /* this step's gradients came from several threads (optim_internal.h) */
};

static char *dup_str(const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = malloc(len);
    if (!d) {
        tt_fatal("optimizer: out of memory");
    }
    memcpy(d, s, len);
    return d;
}

static tt_tensor *state_like(const tt_tensor *p)
{
    tt_tensor *t = tt_tensor_new_persistent(p->ndim, p->shape);
    return t;
}

static tt_optimizer *opt_new(tt_optim_kind kind, const tt_params *p, float lr, bool need1, bool need2)
{
    if (!p) {
        tt_fatal("optimizer: NULL parameter list");
    }
    if (!(lr >= 0.0f)) {
        tt_fatal("optimizer: invalid learning rate %g", (double)lr);
    }
    for (int i = 0; i < p->n; i++) { /* checked first: a fatal error leaks nothing */
        if (!(p->t[i]->flags & TT_PERSISTENT)) {
            tt_fatal("optimizer: parameter \"%s\" is not a persistent tensor", p->names[i]);
        }
    }
    tt_optimizer *o = calloc(1, sizeof *o);
    if (!o) {
        tt_fatal("optimizer: out of memory");
    }
    o->kind = kind;
    o->lr = lr;
    o->n = p->n;
    size_t n = (size_t)(p->n ? p->n : 1);
    o->params = calloc(n, sizeof *o->params);
    o->names = calloc(n, sizeof *o->names);
    o->buf1 = calloc(n, sizeof *o->buf1);
    o->buf2 = calloc(n, sizeof *o->buf2);
    o->step = calloc(n, sizeof *o->step);
    if (!o->params || !o->names || !o->buf1 || !o->buf2 || !o->step) {
        tt_fatal("optimizer: out of memory");
    }
    for (int i = 0; i < p->n; i++) {
        tt_tensor *t = p->t[i];
        o->params[i] = t;
        o->names[i] = dup_str(p->names[i]);
        o->buf1[i] = need1 ? state_like(t) : NULL;
        o->buf2[i] = need2 ? state_like(t) : NULL;
        o->step[i] = tt_tensor_new_persistent(1, (const int64_t[]){1});
    }
    return o;
}

/* A field left 0 takes the default; TT_ZERO (-0.0f) is an explicit 0. */
static float opt_or(float v, float dflt)
{
    if (v == 0.0f) {
        return signbit(v) ? 0.0f : dflt;
    }
    return v;
}

tt_optimizer *tt_sgd(const tt_params *p, tt_sgd_opts o)
{
    float lr = opt_or(o.lr, 1e-3f), momentum = opt_or(o.momentum, 0.0f);
    float dampening = opt_or(o.dampening, 0.0f), weight_decay = opt_or(o.weight_decay, 0.0f);
    if (momentum < 0.0f || weight_decay < 0.0f) {
        tt_fatal("tt_sgd: invalid momentum %g or weight_decay %g", (double)momentum,
                 (double)weight_decay);
    }
    if (o.nesterov && (momentum <= 0.0f || dampening != 0.0f)) {
        tt_fatal("tt_sgd: Nesterov momentum requires momentum > 0 and zero dampening "
                 "(momentum %g, dampening %g)", (double)momentum, (double)dampening);
    }
    tt_optimizer *opt = opt_new(TT_OPTIM_SGD, p, lr, momentum != 0.0f, false);
    opt->momentum = momentum;
    opt->dampening = dampening;
    opt->weight_decay = weight_decay;
    opt->nesterov = o.nesterov;
    return opt;
}

static tt_optimizer *adam_new(tt_optim_kind kind, const char *who, const tt_params *p, tt_adam_opts o)
{
    float lr = opt_or(o.lr, 1e-3f), beta1 = opt_or(o.beta1, 0.9f), beta2 = opt_or(o.beta2, 0.999f);
    float eps = opt_or(o.eps, 1e-8f);
    float weight_decay = opt_or(o.weight_decay, kind == TT_OPTIM_ADAMW ? 1e-2f : 0.0f);
    if (!(beta1 >= 0.0f && beta1 < 1.0f) || !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps >= 0.0f) ||
        !(weight_decay >= 0.0f)) {
        tt_fatal("%s: invalid betas (%g, %g), eps %g or weight_decay %g", who, (double)beta1,
                 (double)beta2, (double)eps, (double)weight_decay);
    }
    tt_optimizer *opt = opt_new(kind, p, lr, true, true);
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    opt->weight_decay = weight_decay;
    return opt;
}

tt_optimizer *tt_adam(const tt_params *p, tt_adam_opts o)
{
    return adam_new(TT_OPTIM_ADAM, "tt_adam", p, o);
}

tt_optimizer *tt_adamw(const tt_params *p, tt_adam_opts o)
{
    return adam_new(TT_OPTIM_ADAMW, "tt_adamw", p, o);
}

/* ---- updates: one parameter each; n elements --------------------------------------------------- */

/* The updates are written once (TT_ISA_BODY: inlined into each caller) and compiled for AVX-512,
 * AVX2 and the baseline (TT_ISA_VARIANTS: each omp simd loop 16, 8 or 4 floats wide); the CPU probe
 * (capped by TT_ISA) picks. Every element's arithmetic is the same in each, so all give the same
 * bits. */
/* GCC under -std=c11 never fuses a*b + c into one FMA; clang does where the target has FMA (the
 * AVX-512 build) unless told not to, which would round differently from the plain build. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

TT_ISA_BODY void sgd_update(const tt_optimizer *o, float *restrict w, const float *restrict g,
                          float *restrict v, int64_t n, bool first)
{
    const float lr = o->lr, wd = o->weight_decay, mu = o->momentum, damp = 1.0f - o->dampening;
    /* TODO: SGD: d = g + wd w; without momentum w -= lr d; else v = mu v + (1 - dampening) d (the first
     * step: v = d), w -= lr v (Nesterov: w -= lr (d + mu v)) */
    /* BEGIN SOLUTION */
    if (!v) {
        TT_SIMD for (int64_t i = 0; i < n; i++) {
            w[i] -= lr * (g[i] + wd * w[i]);
        }
        return;
    }
    if (first) { /* PyTorch: the buffer starts as a copy of the (decayed) gradient, no dampening */
        TT_SIMD for (int64_t i = 0; i < n; i++) {
            float d = g[i] + wd * w[i];
            v[i] = d;
            w[i] -= lr * (o->nesterov ? d + mu * d : d);
        }
        return;
    }
    if (o->nesterov) {
        TT_SIMD for (int64_t i = 0; i < n; i++) {
            float d = g[i] + wd * w[i];
            float b = mu * v[i] + damp * d;
            v[i] = b;
            w[i] -= lr * (d + mu * b);
        }
    } else {
        TT_SIMD for (int64_t i = 0; i < n; i++) {
            float d = g[i] + wd * w[i];
            float b = mu * v[i] + damp * d;
            v[i] = b;
            w[i] -= lr * b;
        }
    }
    /* END SOLUTION */
}

TT_ISA_BODY void adam_update(const tt_optimizer *o, float *restrict w, const float *restrict g,
                           float *restrict m, float *restrict v, int64_t n, double t)
{
    const float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    /* Bias corrections in double, then rounded like PyTorch's Python floats meeting float32 data. */
    const double bc1 = 1.0 - pow((double)b1, t), bc2 = 1.0 - pow((double)b2, t);
    const float step_size = (float)((double)o->lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    /* TODO: AdamW: decoupled weight decay, w *= 1 - lr wd, before the Adam step */
    /* BEGIN SOLUTION */
    if (o->kind == TT_OPTIM_ADAMW) {
        const float keep = 1.0f - o->lr * o->weight_decay;
        TT_SIMD for (int64_t i = 0; i < n; i++) {
            w[i] *= keep;
        }
    }
    /* END SOLUTION */
    /* TODO: Adam: m, v moving averages of d and d^2; w -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
    /* BEGIN SOLUTION */
    const float wd = o->kind == TT_OPTIM_ADAM ? o->weight_decay : 0.0f;
    TT_SIMD for (int64_t i = 0; i < n; i++) {
        float d = g[i] + wd * w[i];
        float mi = m[i] + c1 * (d - m[i]);      /* lerp, as torch: m + (1-b1)(g - m) */
        float vi = b2 * v[i] + c2 * d * d;
        m[i] = mi;
        v[i] = vi;
        float denom = tt__sqrt(vi) / bc2_sqrt + eps;
        w[i] -= step_size * mi / denom;
    }
    /* END SOLUTION */
}

/* The update and the zeroing are elementwise, so the elements of all parameters (those with a
 * gradient, in order) are cut into one contiguous range per thread: the same bits for any thread
 * count. A cut inside a parameter falls on a multiple of 16 elements from its start, so each piece
 * of a SIMD loop begins where the whole loop's vectors do. How many threads: after a split step
 * (the gradients written on every thread, each thread's shard having read every weight) one per
 * STEP_THREAD_ELEMS elements (LeNet-5's 61,706 parameters: two); otherwise the weights, gradients
 * and optimizer state sit in the one core that ran the step, and moving part of them to another core
 * every step costs more than the second core saves until STEP_THREAD_ELEMS_LOCAL elements per thread
 * (1 MiB of floats), where its bandwidth pays: the 784-128-10 MLP (101,770 parameters, its GEMMs on
 * one thread) trained at 261-271 k samples/s on two threads with the update cut in two, 318-330 k
 * with it on one (one thread: 331-336 k). */
#define STEP_THREAD_ELEMS 16384
#define STEP_THREAD_ELEMS_LOCAL 262144

void tt__optim_set_spread(tt_optimizer *o, bool spread) { o->spread = spread; }

static int64_t cut16(int64_t i, int64_t n)
{
    i = (i + 15) / 16 * 16;
    return i < n ? i : n;
}

/* Calls fn(o, i, a, e) for every piece [a, e) of parameter i inside the element range [lo, hi). */
static void for_range(tt_optimizer *o, int64_t lo, int64_t hi, void (*fn)(tt_optimizer *, int, int64_t, int64_t))
{
    int64_t off = 0;
    for (int i = 0; i < o->n && off < hi; i++) {
        const tt_tensor *p = o->params[i];
        if (!p->grad) {
            continue;
        }
        const int64_t a = cut16(lo > off ? lo - off : 0, p->numel), e = cut16(hi - off, p->numel);
        if (a < e) {
            fn(o, i, a, e);
        }
        off += p->numel;
    }
}

/* Runs fn over every gradient-holding element, on as many threads as the work is worth. */
static void for_all(tt_optimizer *o, void (*fn)(tt_optimizer *, int, int64_t, int64_t))
{
    int64_t total = 0;
    for (int i = 0; i < o->n; i++) {
        total += o->params[i]->grad ? o->params[i]->numel : 0;
    }
    int nt = 1;
#ifdef TT_HAVE_OPENMP
    if (!omp_in_parallel()) {
        const int64_t by_work = total / (o->spread ? STEP_THREAD_ELEMS : STEP_THREAD_ELEMS_LOCAL);
        const int64_t want = tt_get_num_threads();
        nt = (int)(want < by_work ? want : by_work);
        nt = nt < 1 ? 1 : nt;
    }
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int t = 0;
#ifdef TT_HAVE_OPENMP
        t = omp_get_thread_num();
#endif
        for_range(o, total * t / nt, total * (t + 1) / nt, fn);
    }
}

TT_ISA_BODY void update_range(tt_optimizer *o, int i, int64_t a, int64_t e)
{
    tt_tensor *p = o->params[i];
    const float cnt = o->step[i]->data[0];
    if (o->kind == TT_OPTIM_SGD) {
        sgd_update(o, p->data + a, p->grad + a, o->buf1[i] ? o->buf1[i]->data + a : NULL, e - a,
                   cnt == 1.0f);
    } else {
        adam_update(o, p->data + a, p->grad + a, o->buf1[i]->data + a, o->buf2[i]->data + a, e - a,
                    (double)cnt);
    }
}

TT_ISA_VARIANTS(update_piece, update_range, (tt_optimizer *o, int i, int64_t a, int64_t e), (o, i, a, e))

static void zero_piece(tt_optimizer *o, int i, int64_t a, int64_t e)
{
    memset(o->params[i]->grad + a, 0, (size_t)(e - a) * sizeof(float));
}

void tt_optim_step(tt_optimizer *o)
{
    for (int i = 0; i < o->n; i++) {
        if (o->params[i]->grad) {
            o->step[i]->data[0] += 1.0f;
        }
    }
    for_all(o, update_piece);
    o->steps++;
}

void tt_optim_zero_grad(tt_optimizer *o)
{
    for_all(o, zero_piece);
}

void tt_optim_set_lr(tt_optimizer *o, float lr) { o->lr = lr; }
float tt_optim_get_lr(const tt_optimizer *o) { return o->lr; }
tt_optim_kind tt_optim_kind_of(const tt_optimizer *o) { return o->kind; }
int64_t tt_optim_steps(const tt_optimizer *o) { return o->steps; }

const char *tt_optim_name(const tt_optimizer *o)
{
    switch (o->kind) {
    case TT_OPTIM_SGD: return "SGD";
    case TT_OPTIM_ADAM: return "Adam";
    case TT_OPTIM_ADAMW: return "AdamW";
    }
    return "?";
}

void tt_optim_state(const tt_optimizer *o, tt_params *out)
{
    for (int i = 0; i < o->n; i++) {
        /* "exp_avg.0.weight": the state's kind, then the parameter's name; absent buffers add nothing */
        const char *first = o->kind == TT_OPTIM_SGD ? "momentum_buffer." : "exp_avg.";
        tt_params_add_at(out, first, o->names[i], o->buf1[i]);
        tt_params_add_at(out, "exp_avg_sq.", o->names[i], o->buf2[i]);
        tt_params_add_at(out, "step.", o->names[i], o->step[i]);
    }
}

size_t tt_optim_state_bytes(const tt_optimizer *o)
{
    size_t b = 0;
    for (int i = 0; i < o->n; i++) {
        b += o->buf1[i] ? tt_nbytes(o->buf1[i]) : 0;
        b += o->buf2[i] ? tt_nbytes(o->buf2[i]) : 0;
    }
    return b;
}

tt_tensor *const *tt_optim_params(const tt_optimizer *o, int *n)
{
    *n = o->n;
    return o->params;
}

void tt_optim_free(tt_optimizer *o)
{
    if (!o) {
        return;
    }
    for (int i = 0; i < o->n; i++) {
        tt_tensor_free(o->buf1[i]);
        tt_tensor_free(o->buf2[i]);
        tt_tensor_free(o->step[i]);
        free(o->names[i]);
    }
    free(o->params);
    free(o->names);
    free(o->buf1);
    free(o->buf2);
    free(o->step);
    free(o);
}
