/* recompute.c - activation checkpointing: keep a function's output, recompute the rest in backward.
 *
 * Forward (grad mode on): mark the arena, run y = fn(ctx, x) under no-grad, then release the arena to
 * the mark keeping only y (tt__arena_release_keep), and record one "checkpoint" node x -> y. So the
 * step keeps y instead of every intermediate of fn (for a transformer block: about 14 activations of
 * [B, T, C] or [B, T, 4C], plus the attention probabilities [B, H, T, T]).
 * Backward of that node: mark; x' = x detached (same data, its own gradient); restore the rng to its
 * state before the forward; y' = fn(ctx, x') recording a small tape on top of the big one; seed
 * dy' = dy and walk the small tape down to the mark's node (tt__run_tape_until); dx += dx'; release.
 * The recomputation runs the same kernels on the same inputs in the same order, so y' equals y bit for
 * bit and the gradients are the plain run's, bit for bit, when x feeds only fn (dx = 0 + dx' adds
 * nothing) - tested on a GPT.
 */
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/nn.h"
#include "autograd_internal.h"
#include "../common/vmath.h"

typedef struct ckpt_saved {
    tt_checkpoint_fn fn;
    void *ctx;
    tt_rng *rng;
    tt_rng rng_before;   /* the rng's state when the forward ran */
} ckpt_saved;

static void ckpt_backward(tt_node *n)
{
    ckpt_saved *s = n->saved;
    tt_tensor *x = n->in[0];
    float *gx = tt_wants_grad(x) ? tt_grad_buf(x) : NULL; /* before the mark: it must survive */
    tt_arena_mark m = tt_arena_get_mark();
    tt_tensor *xd = tt_arena_alloc(sizeof *xd);
    *xd = *x;
    xd->grad = NULL;
    xd->node = NULL;
    xd->flags = x->flags & TT_REQUIRES_GRAD;
    tt_rng now;
    if (s->rng) {
        now = *s->rng;
        *s->rng = s->rng_before;
    }
    tt_tensor *y = s->fn(s->ctx, xd);
    if (s->rng) {
        *s->rng = now;
    }
    if (tt_wants_grad(y)) {
        tt__add_rows(tt_grad_buf(y), n->out->grad, 1, y->numel);
        tt__run_tape_until(m.tape);
        if (gx && xd->grad) {
            tt__add_rows(gx, xd->grad, 1, x->numel);
        }
    }
    tt_arena_release(m);
}

tt_tensor *tt_activation_checkpoint(tt_checkpoint_fn fn, void *ctx, tt_tensor *x, tt_rng *rng)
{
    if (!tt_grad_enabled()) {
        return fn(ctx, x);
    }
    ckpt_saved *s = tt_arena_alloc(sizeof *s);
    *s = (ckpt_saved){fn, ctx, rng, {{0}, 0, 0.0f}};
    if (rng) {
        s->rng_before = *rng;
    }
    tt_arena_mark m = tt_arena_get_mark();
    tt_no_grad_begin();
    tt_tensor *y = fn(ctx, x);
    tt_no_grad_end();
    tt_tensor *out = tt__arena_release_keep(m, y);
    /* Recorded even when x needs no gradient: the parameters inside fn may. */
    tt_node *node = tt_arena_calloc(sizeof *node);
    node->op = "checkpoint";
    node->backward = ckpt_backward;
    node->out = out;
    node->in[0] = x;
    node->n_in = 1;
    node->saved = s;
    node->prev = tt__tape_head;
    tt__tape_head = node;
    out->node = node;
    out->flags |= TT_REQUIRES_GRAD;
    return out;
}

/* ---- the wrapper layer --------------------------------------------------------------------------- */

typedef struct ckpt_layer {
    tt_layer base;
    tt_layer *inner;
    tt_rng *rng;
} ckpt_layer;

static tt_tensor *ckpt_inner(void *ctx, tt_tensor *x) { return tt_layer_forward(ctx, x); }

static tt_tensor *ckpt_forward(tt_layer *self, tt_tensor *x)
{
    ckpt_layer *c = (ckpt_layer *)self;
    return tt_activation_checkpoint(ckpt_inner, c->inner, x, c->rng ? c->rng : tt_default_rng());
}

static void ckpt_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_layer_collect(((ckpt_layer *)self)->inner, out, prefix);
}

static void ckpt_collect_buffers(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_layer_collect_buffers(((ckpt_layer *)self)->inner, out, prefix);
}

static void ckpt_train(tt_layer *self, bool training)
{
    self->training = training;
    tt_layer_train(((ckpt_layer *)self)->inner, training);
}

static void ckpt_destroy(tt_layer *self)
{
    tt_layer_free(((ckpt_layer *)self)->inner);
    free(self);
}

static const tt_layer_ops ckpt_ops = {"Checkpoint", ckpt_forward, ckpt_collect, ckpt_train, ckpt_destroy,
                                      ckpt_collect_buffers};

tt_layer *tt_checkpointed_new(tt_layer *inner, tt_rng *rng)
{
    if (!inner) {
        tt_fatal("tt_checkpointed_new: NULL layer (wrap the layer whose activations to recompute)");
    }
    ckpt_layer *c = calloc(1, sizeof *c);
    if (!c) {
        tt_fatal("tt_checkpointed_new: out of memory");
    }
    c->base.ops = &ckpt_ops;
    c->base.training = inner->training;
    c->inner = inner;
    c->rng = rng;
    return &c->base;
}
