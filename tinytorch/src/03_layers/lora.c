/* lora.c - LoRA adapters for Linear layers (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
 * Language Models", arXiv:2106.09685).
 *
 *   y = x W^T + b + s (x A^T) B^T,   s = alpha / r,   W [out, in] and b frozen,
 *   A [r, in] ~ U(-1/sqrt(in), 1/sqrt(in)),  B [out, r] = 0  (so y equals the base layer at the start)
 * Trainable scalars: r (in + out) instead of in * out (+ out): 8 * (784 + 128) = 7,296 instead of
 * 100,480 for a 784 -> 128 layer. Merging for inference folds the update into W (W += s B A), after
 * which the layer costs exactly a Linear. Invariants: the base tensors never require a gradient while
 * wrapped, so no optimizer touches them (an optimizer skips tensors without a gradient buffer);
 * after a merge, forward ignores A and B.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/nn.h"

static tt_tensor *lora_forward(tt_layer *self, tt_tensor *x)
{
    tt_lora_layer *l = (tt_lora_layer *)self;
    tt_tensor *y = tt_linear(x, l->linear->weight, l->linear->bias);
    if (l->merged) {
        return y;
    }
    /* low-rank path: u = x A^T [..., r], then s u B^T [..., out] */
    tt_tensor *u = tt_linear(x, l->A, NULL);
    return tt_add(y, tt_mul_scalar(tt_linear(u, l->B, NULL), l->scale));
}

static void lora_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_lora_layer *l = (tt_lora_layer *)self;
    tt_layer_collect(&l->linear->base, out, prefix);
    tt_params_add_at(out, prefix, "lora_A", l->A);
    tt_params_add_at(out, prefix, "lora_B", l->B);
}

static void lora_destroy(tt_layer *self)
{
    tt_lora_layer *l = (tt_lora_layer *)self;
    tt_layer_free(&l->linear->base);
    tt_tensor_free(l->A);
    tt_tensor_free(l->B);
    free(l);
}

static const tt_layer_ops lora_ops = {"LoRA", lora_forward, lora_collect, NULL, lora_destroy, NULL};

static bool is_linear(const tt_layer *l) { return l && strcmp(l->ops->kind, "Linear") == 0; }

tt_layer *tt_lora_new(tt_layer *linear, tt_lora_opts opts, tt_rng *rng)
{
    if (!is_linear(linear)) {
        tt_fatal("tt_lora_new: the layer is a %s; LoRA adapts a Linear layer (tt_linear_new)",
                 linear ? linear->ops->kind : "NULL");
    }
    int r = opts.rank ? opts.rank : 8;
    tt_linear_layer *lin = (tt_linear_layer *)linear;
    if (r < 1 || r > lin->in_features || r > lin->out_features) {
        tt_fatal("tt_lora_new: rank %d for a Linear %lld -> %lld (want 1 <= rank <= min(in, out); a "
                 "rank that large saves nothing)", r, (long long)lin->in_features,
                 (long long)lin->out_features);
    }
    float alpha = opts.alpha != 0.0f ? opts.alpha : (float)r;
    tt_lora_layer *l = calloc(1, sizeof *l);
    if (!l) {
        tt_fatal("tt_lora_new: out of memory");
    }
    l->base.ops = &lora_ops;
    l->base.training = linear->training;
    l->linear = lin;
    l->rank = r;
    l->scale = alpha / (float)r;
    tt_set_requires_grad(lin->weight, false);
    if (lin->bias) {
        tt_set_requires_grad(lin->bias, false);
    }
    tt_layer_drop_param_cache(linear);
    l->A = tt_tensor_new_persistent(2, (const int64_t[]){r, lin->in_features});
    l->A->name = "lora_A";
    tt_init_tensor(l->A, TT_INIT_PYTORCH, lin->in_features, r, rng);
    tt_set_requires_grad(l->A, true);
    l->B = tt_tensor_new_persistent(2, (const int64_t[]){lin->out_features, r});
    l->B->name = "lora_B";
    tt_set_requires_grad(l->B, true);
    return &l->base;
}

int tt_lora_apply(tt_layer *model, tt_lora_opts opts, tt_rng *rng)
{
    if (!tt_is_sequential(model)) {
        tt_fatal("tt_lora_apply: the model is a %s; it walks Sequentials (wrap a single Linear with "
                 "tt_lora_new)", model ? model->ops->kind : "NULL");
    }
    int n = 0;
    for (int i = 0; i < tt_sequential_len(model); i++) {
        tt_layer *c = tt_sequential_at(model, i);
        if (is_linear(c)) {
            tt_linear_layer *lin = (tt_linear_layer *)c;
            int64_t cap = lin->in_features < lin->out_features ? lin->in_features : lin->out_features;
            tt_lora_opts o = opts;
            o.rank = opts.rank ? opts.rank : 8;
            if (o.rank > cap) { /* a narrow layer (e.g. 2 inputs) gets its full rank */
                o.alpha = (opts.alpha != 0.0f ? opts.alpha : (float)o.rank) * (float)cap / (float)o.rank;
                o.rank = (int)cap;
            }
            tt_sequential_replace(model, i, tt_lora_new(c, o, rng));
            n++;
        } else if (tt_is_sequential(c)) {
            n += tt_lora_apply(c, opts, rng);
        }
    }
    tt_layer_drop_param_cache(model);
    return n;
}

static int merge_one(tt_lora_layer *l)
{
    if (l->merged) {
        return 0;
    }
    /* W[o, i] += s * sum_k B[o, k] A[k, i] */
    tt_tensor *W = l->linear->weight;
    int64_t out = W->shape[0], in = W->shape[1], r = l->rank;
    for (int64_t o = 0; o < out; o++) {
        for (int64_t k = 0; k < r; k++) {
            float b = l->scale * l->B->data[o * r + k];
            const float *a = l->A->data + k * in;
            float *w = W->data + o * in;
            for (int64_t i = 0; i < in; i++) {
                w[i] += b * a[i];
            }
        }
    }
    l->merged = true;
    return 1;
}

int tt_lora_merge(tt_layer *model)
{
    if (model && model->ops == &lora_ops) {
        return merge_one((tt_lora_layer *)model);
    }
    int n = 0;
    if (tt_is_sequential(model)) {
        for (int i = 0; i < tt_sequential_len(model); i++) {
            n += tt_lora_merge(tt_sequential_at(model, i));
        }
    }
    return n;
}

int64_t tt_params_trainable_numel(const tt_params *p)
{
    int64_t n = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->t[i]->flags & TT_REQUIRES_GRAD) {
            n += p->t[i]->numel;
        }
    }
    return n;
}
