/* profile.c - the step profiler: per-layer forward time, per-node backward time (charged to the layer
 * that recorded the node), FLOPs and bytes from the shapes, arena peak (module 14).
 *
 * What is timed is what a training step runs: the Sequential's fusion plan (tt_sequential_group_len)
 * groups a Conv2d with the ReLU (and 2x2 max pool) after it into one kernel, so such a group is one
 * call (tt_sequential_forward_group), its forward and backward time charged to its first layer
 * (fused = the group's length; the layers inside it: fused = 0, no time of their own). FLOPs and
 * bytes stay per layer, counted in the warm-up step where every layer runs alone.
 *
 * Which layer a tape node belongs to: the tape is a linked list in creation order, so the tape head
 * after layer i's forward (tt_arena_get_mark().tape) bounds the nodes layer i recorded. During
 * backward, tt_set_backward_hook calls us after every node; the time since the previous call is that
 * node's backward time.
 */
#define _POSIX_C_SOURCE 200809L
#include "tinytorch/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tinytorch/autograd.h"
#include "tinytorch/conv.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- FLOPs and bytes of one layer from its input and output ----------------------------------------- */

static void count_layer(tt_layer *L, const tt_tensor *in, const tt_tensor *out, tt_prof_layer *e)
{
    const char *k = L->ops->kind;
    tt_params p;
    tt_params_init(&p);
    tt_layer_params(L, &p);
    e->params = tt_params_numel(&p);
    tt_params_free(&p);
    /* TODO: e->flops: a convolution 2 * outputs * (Cin/groups * kh * kw), + outputs with a bias; a Linear
     * 2 * rows * in * out, + rows * out with a bias; Flatten and Dropout 0; anything else one per input
     * element. e->bytes = 4 * (input + parameters + output elements). */
    /* BEGIN SOLUTION */
    double fl = 0.0;
    if (strncmp(k, "Conv2d", 6) == 0) {
        const tt_conv2d_layer *c = (const tt_conv2d_layer *)L;
        const tt_conv2d_geom *g = &c->geom;
        const int64_t ho = tt_conv_out_size(in->shape[2], c->kh, g->stride_h, g->pad_h, g->dilation_h);
        const int64_t wo = tt_conv_out_size(in->shape[3], c->kw, g->stride_w, g->pad_w, g->dilation_w);
        const double outs = (double)in->shape[0] * (double)c->out_channels * (double)(ho * wo);
        fl = 2.0 * outs * (double)(c->in_channels / g->groups * c->kh * c->kw) + (c->bias ? outs : 0.0);
    } else if (strcmp(k, "Linear") == 0) {
        const tt_linear_layer *l = (const tt_linear_layer *)L;
        const double rows = (double)(in->numel / l->in_features);
        fl = 2.0 * rows * (double)l->in_features * (double)l->out_features + (l->bias ? rows * l->out_features : 0);
    } else if (strcmp(k, "Flatten") != 0 && strcmp(k, "Dropout") != 0) {
        fl = (double)in->numel; /* activations, pooling: one operation per input element */
    }
    e->flops = fl;
    e->bytes = 4.0 * ((double)in->numel + (double)e->params + (double)out->numel);
    /* END SOLUTION */
    e->out_bytes = (int64_t)out->numel * 4;
    e->out_ndim = out->ndim;
    memcpy(e->out_shape, out->shape, sizeof e->out_shape);
    snprintf(e->kind, sizeof e->kind, "%s", k);
}

/* ---- backward timing ------------------------------------------------------------------------------ */

typedef struct node_owner { const tt_node *node; int layer; } node_owner;

typedef struct hook_ctx {
    node_owner *own;
    int n_own;
    double t_last;
    double *layer_bwd;   /* [n + 1]: the last entry is the loss */
    tt_profile *p;
    int cap_ops;
    bool oom;
} hook_ctx;

static void add_op(hook_ctx *c, const char *op, double dt)
{
    tt_profile *p = c->p;
    for (int i = 0; i < p->n_ops; i++) {
        if (strcmp(p->ops[i].op, op) == 0) {
            p->ops[i].calls++;
            p->ops[i].seconds += dt;
            return;
        }
    }
    if (p->n_ops == c->cap_ops) {
        int cap = c->cap_ops ? 2 * c->cap_ops : 16;
        tt_prof_op *o = realloc(p->ops, (size_t)cap * sizeof *o);
        if (!o) {
            c->oom = true;
            return;
        }
        p->ops = o;
        c->cap_ops = cap;
    }
    tt_prof_op *o = &p->ops[p->n_ops++];
    snprintf(o->op, sizeof o->op, "%s", op);
    o->calls = 1;
    o->seconds = dt;
}

static void on_node(const tt_node *node, void *ctx)
{
    hook_ctx *c = ctx;
    const double t = now_s(), dt = t - c->t_last;
    /* TODO: dt is this node's backward time: add it to the layer that owns the node (c->own[], if
     * any) and to the op's total (add_op) */
    /* BEGIN SOLUTION */
    int layer = -1;
    for (int i = 0; i < c->n_own; i++) {
        if (c->own[i].node == node) {
            layer = c->own[i].layer;
            break;
        }
    }
    if (layer >= 0) {
        c->layer_bwd[layer] += dt;
    }
    add_op(c, node->op, dt);
    /* END SOLUTION */
    c->t_last = now_s();
}

/* ---- the profile ---------------------------------------------------------------------------------- */

void tt_profile_free(tt_profile *p)
{
    if (p) {
        free(p->layers);
        free(p->ops);
        memset(p, 0, sizeof *p);
    }
}

double tt_prof_call_flops(const tt_profile *p, int i)
{
    double f = 0.0;
    const int k = p->layers[i].fused > 1 ? p->layers[i].fused : 1;
    for (int j = i; j < i + k && j < p->n; j++) {
        f += p->layers[j].flops;
    }
    return f;
}

int tt_profile_sequential(tt_layer *seq, const tt_tensor *x, const int32_t *labels, int steps, tt_profile *out,
                          char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!seq || strcmp(seq->ops->kind, "Sequential") != 0) {
        snprintf(err, errlen, "profile: the model must be a Sequential");
        return -1;
    }
    if (steps < 1 || x->ndim < 1) {
        snprintf(err, errlen, "profile: want steps >= 1 and a batched input");
        return -1;
    }
    const int n = tt_sequential_len(seq);
    out->n = n;
    out->batch = x->shape[0];
    out->steps = steps;
    out->layers = calloc((size_t)n + 1, sizeof *out->layers);
    double *bwd = calloc((size_t)n + 2, sizeof *bwd);
    const tt_node **heads = calloc((size_t)n + 2, sizeof *heads);
    node_owner *own = NULL;
    if (!out->layers || !bwd || !heads) {
        free(bwd);
        free(heads);
        tt_profile_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    tt_params prm;
    tt_params_init(&prm);
    tt_layer_params(seq, &prm);
    out->params = tt_params_numel(&prm);
    out->param_bytes = out->params * 4;
    tt_layer_train(seq, true);
    hook_ctx hc = {NULL, 0, 0.0, bwd, out, 0, false};
    tt_tensor *xin = (tt_tensor *)x;
    tt_arena_peak_clear();
    for (int s = 0; s <= steps; s++) { /* s = 0: warm-up, not counted */
        /* the plain step (no clocks inside), alternating with the profiled one so that a busy machine
         * slows both alike: the overhead is the ratio of their means */
        tt_arena_mark mk = tt_arena_get_mark();
        const double tp = now_s();
        tt_backward(tt_cross_entropy(tt_layer_forward(seq, xin), labels));
        tt_zero_grad(prm.t, prm.n);
        if (s > 0) {
            out->plain_step_seconds += now_s() - tp;
        }
        tt_arena_release(mk);
        mk = tt_arena_get_mark();
        heads[0] = mk.tape;
        tt_tensor *cur = xin;
        double fwd = 0.0;
        for (int i = 0; i < n; i++) {
            tt_layer *L = tt_sequential_at(seq, i);
            if (s == 0) {
                /* warm-up: every layer alone, to count each one's FLOPs and bytes from its own input
                 * and output, and the Sequential's fusion plan */
                tt_tensor *in = cur;
                cur = tt_layer_forward(L, cur);
                out->layers[i].index = i;
                count_layer(L, in, cur, &out->layers[i]);
                out->layers[i].fused = tt_sequential_group_len(seq, i);
            } else if (out->layers[i].fused >= 1) {
                /* what the training step runs: a fused group (conv + ReLU + pool) is one call, timed
                 * as one and charged to its first layer; its other layers record no tape node */
                const double t0 = now_s();
                cur = tt_sequential_forward_group(seq, i, cur);
                const double dt = now_s() - t0;
                fwd += dt;
                out->layers[i].seconds += dt;
            }
            heads[i + 1] = tt_arena_get_mark().tape;
        }
        double t0 = now_s();
        tt_tensor *loss = tt_cross_entropy(cur, labels);
        const double tl = now_s() - t0;
        heads[n + 1] = tt_arena_get_mark().tape;
        /* owners: nodes newer than heads[i] and up to heads[i + 1] belong to layer i (n: the loss) */
        int cnt = 0;
        for (const tt_node *nd = heads[n + 1]; nd && nd != heads[0]; nd = nd->prev) {
            cnt++;
        }
        free(own);
        own = malloc((size_t)(cnt ? cnt : 1) * sizeof *own);
        if (!own) {
            snprintf(err, errlen, "out of memory");
            tt_arena_release(mk);
            break;
        }
        int k = 0, layer = n;
        /* TODO: walk the tape from the newest node (heads[n + 1]) back to heads[0]: a node newer than
         * heads[i] and no newer than heads[i + 1] belongs to layer i (n: the loss); own[k++] each */
        /* BEGIN SOLUTION */
        for (const tt_node *nd = heads[n + 1]; nd && nd != heads[0]; nd = nd->prev) {
            while (layer > 0 && nd == heads[layer]) {
                layer--;
            }
            own[k++] = (node_owner){nd, layer};
        }
        /* END SOLUTION */
        hc.own = own;
        hc.n_own = k;
        if (s == 0) {
            /* warm-up: run backward without attributing */
            tt_backward(loss);
        } else {
            t0 = now_s();
            hc.t_last = t0;
            tt_set_backward_hook(on_node, &hc);
            tt_backward(loss);
            tt_set_backward_hook(NULL, NULL);
            out->backward_seconds += now_s() - t0;
            out->forward_seconds += fwd;
            out->loss_seconds += tl;
        }
        tt_zero_grad(prm.t, prm.n);
        tt_arena_release(mk);
    }
    out->arena_peak_bytes = tt_arena_peak_bytes();
    tt_params_free(&prm);
    free(own);
    free(heads);
    if (hc.oom || !own) {
        free(bwd);
        tt_profile_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const double inv = 1.0 / steps;
    for (int i = 0; i < n; i++) {
        out->layers[i].seconds *= inv;
        out->layers[i].backward_seconds = bwd[i] * inv;
    }
    out->loss_seconds = (out->loss_seconds + bwd[n]) * inv;
    out->forward_seconds *= inv;
    out->backward_seconds *= inv;
    out->plain_step_seconds *= inv;
    for (int i = 0; i < out->n_ops; i++) {
        out->ops[i].seconds *= inv;
        out->ops[i].calls /= steps;
    }
    free(bwd);
    return 0;
}
