/* layers.c - LayerNorm and the transformer MLP as tt_layers with PyTorch's defaults (module 13).
 *
 *   LayerNorm(C):  y = (x - mean) / sqrt(var + eps) * weight + bias over the last axis,
 *                  weight 1, bias 0, eps 1e-5            (torch.nn.LayerNorm(C))
 *   MLP(C, r):     y = dropout(proj(act(fc(x)))),  fc [rC, C], proj [C, rC], PyTorch's Linear init
 * Invariant: each layer owns its persistent parameters; forward allocates only step tensors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/transformer.h"

/* ---- LayerNorm ----------------------------------------------------------------------------------- */

typedef struct layernorm_layer {
    tt_layer base;
    tt_tensor *weight, *bias; /* [C], [C] or NULL */
    float eps;
} layernorm_layer;

static tt_tensor *ln_forward(tt_layer *self, tt_tensor *x)
{
    layernorm_layer *l = (layernorm_layer *)self;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != l->weight->numel) {
        char s[96];
        tt_fatal("LayerNorm: input %s, normalised width %lld (want the last axis to be %lld)",
                 tt_shape_str(x, s, sizeof s), (long long)l->weight->numel, (long long)l->weight->numel);
    }
    return tt_layernorm(x, l->weight, l->bias, l->eps);
}

static void ln_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    layernorm_layer *l = (layernorm_layer *)self;
    tt_params_add_at(out, prefix, "weight", l->weight);
    tt_params_add_at(out, prefix, "bias", l->bias);
}

static void ln_destroy(tt_layer *self)
{
    layernorm_layer *l = (layernorm_layer *)self;
    tt_tensor_free(l->weight);
    tt_tensor_free(l->bias);
    free(l);
}

static const tt_layer_ops ln_ops = {"LayerNorm", ln_forward, ln_collect, NULL, ln_destroy, NULL};

tt_layer *tt_layernorm_new(int64_t dim, tt_layernorm_opts o)
{
    if (dim <= 0 || !(o.eps >= 0.0f)) {
        tt_fatal("tt_layernorm_new: width %lld and eps %g (want a positive width, eps >= 0)",
                 (long long)dim, (double)o.eps);
    }
    layernorm_layer *l = calloc(1, sizeof *l);
    if (!l) {
        tt_fatal("tt_layernorm_new: out of memory");
    }
    l->base.ops = &ln_ops;
    l->base.training = true;
    l->eps = o.eps > 0.0f ? o.eps : 1e-5f;
    l->weight = tt_tensor_new_persistent(TT_SHAPE(dim));
    l->weight->name = "weight";
    for (int64_t i = 0; i < dim; i++) {
        l->weight->data[i] = 1.0f;
    }
    tt_set_requires_grad(l->weight, true);
    if (!o.no_bias) {
        l->bias = tt_tensor_new_persistent(TT_SHAPE(dim));
        l->bias->name = "bias";
        tt_set_requires_grad(l->bias, true);
    }
    return &l->base;
}

/* ---- the transformer MLP ------------------------------------------------------------------------- */

typedef struct ffn_layer {
    tt_layer base;
    tt_layer *fc, *proj;      /* Linear layers, owned */
    tt_activation act;
    float dropout;
    tt_rng *rng;
} ffn_layer;

static tt_tensor *ffn_forward(tt_layer *self, tt_tensor *x)
{
    ffn_layer *f = (ffn_layer *)self;
    tt_tensor *h = tt_activate(tt_layer_forward(f->fc, x), f->act);
    return tt_dropout(tt_layer_forward(f->proj, h), f->dropout, self->training, f->rng);
}

static void ffn_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    ffn_layer *f = (ffn_layer *)self;
    tt_layer_collect_at(f->fc, out, prefix, "fc");
    tt_layer_collect_at(f->proj, out, prefix, "proj");
}

static void ffn_destroy(tt_layer *self)
{
    ffn_layer *f = (ffn_layer *)self;
    tt_layer_free(f->fc);
    tt_layer_free(f->proj);
    free(f);
}

static const tt_layer_ops ffn_ops = {"MLP", ffn_forward, ffn_collect, NULL, ffn_destroy, NULL};

tt_layer *tt_ffn_new(int64_t dim, tt_ffn_opts o, tt_rng *rng)
{
    float ratio = o.ratio != 0.0f ? o.ratio : 4.0f;
    int64_t hidden = (int64_t)llroundf(ratio * (float)dim);
    if (dim <= 0 || !(ratio > 0.0f) || hidden < 1 || !(o.dropout >= 0.0f && o.dropout <= 1.0f)) {
        tt_fatal("tt_ffn_new: width %lld, ratio %g, dropout %g (want a positive width and ratio giving"
                 " at least one hidden unit, dropout in [0, 1])", (long long)dim, (double)ratio,
                 (double)o.dropout);
    }
    ffn_layer *f = calloc(1, sizeof *f);
    if (!f) {
        tt_fatal("tt_ffn_new: out of memory");
    }
    f->base.ops = &ffn_ops;
    f->base.training = true;
    f->act = o.act;
    f->dropout = o.dropout;
    f->rng = rng;
    f->fc = tt_linear_new(dim, hidden, !o.no_bias, TT_INIT_PYTORCH, rng);
    f->proj = tt_linear_new(hidden, dim, !o.no_bias, TT_INIT_PYTORCH, rng);
    return &f->base;
}
