/* dropout.c - inverted dropout: in training each element is kept with probability 1-p and scaled by
 * 1/(1-p), so the expected activation is unchanged and eval needs no rescaling (identity).
 * The mask (0 or 1/(1-p) per element) is drawn from the rng in the forward pass and saved in the arena
 * for backward: dx = g * mask. Memory cost: one float per activation for the step.
 */
#include <stdlib.h>
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"

static void dropout_backward(tt_node *n)
{
    tt_tensor *x = n->in[0];
    const float *mask = n->saved, *g = n->out->grad;
    float *gx = tt_grad_buf(x);
    /* TODO: the gradient flows only through the kept elements, scaled like them (the saved mask) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < x->numel; i++) {
        gx[i] += g[i] * mask[i];
    }
    /* END SOLUTION */
}

tt_tensor *tt_dropout(tt_tensor *x, float p, bool training, tt_rng *rng)
{
    if (!(p >= 0.0f && p <= 1.0f)) {
        tt_fatal("tt_dropout: probability %g outside [0, 1]", (double)p);
    }
    if (!training || p == 0.0f) {
        return x;
    }
    if (tt_context_refuse_split()) {
        return x; /* one shard of a split step: draws would race; the step reruns on one thread */
    }
    if (!rng) {
        rng = tt_default_rng();
    }
    tt_tensor *out = tt_empty(x->ndim, x->shape);
    bool grad = tt_any_requires_grad(&x, 1);
    float *mask = grad ? tt_arena_alloc((size_t)x->numel * sizeof(float)) : NULL;
    const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    const float *xd = x->data;
    float *y = out->data;
    /* TODO: drop each element with probability p, scale the kept ones by 1/(1-p); keep the mask for backward */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < x->numel; i++) {
        float m = tt_rng_uniform(rng) < p ? 0.0f : scale;
        y[i] = xd[i] * m;
        if (mask) {
            mask[i] = m;
        }
    }
    /* END SOLUTION */
    tt_node *n = tt_record("dropout", out, &x, 1, dropout_backward);
    if (n) {
        n->saved = mask;
        n->farg[0] = p;
    }
    return out;
}

typedef struct dropout_layer {
    tt_layer base;
    float p;
    tt_rng *rng;
} dropout_layer;

static tt_tensor *dropout_forward(tt_layer *self, tt_tensor *x)
{
    dropout_layer *d = (dropout_layer *)self;
    return tt_dropout(x, d->p, self->training, d->rng);
}

static void dropout_destroy(tt_layer *self) { free(self); }

static const tt_layer_ops dropout_ops = {"Dropout", dropout_forward, NULL, NULL, dropout_destroy, NULL};

tt_layer *tt_dropout_new(float p, tt_rng *rng)
{
    if (!(p >= 0.0f && p <= 1.0f)) {
        tt_fatal("tt_dropout_new: probability %g outside [0, 1]", (double)p);
    }
    dropout_layer *d = calloc(1, sizeof *d);
    if (!d) {
        tt_fatal("tt_dropout_new: out of memory");
    }
    d->base.ops = &dropout_ops;
    d->base.training = true;
    d->p = p;
    d->rng = rng;
    return &d->base;
}
