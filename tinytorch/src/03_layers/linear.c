/* linear.c - weight initialisation schemes and the Linear layer: y = x @ W^T + b.
 *
 * Shapes: x [..., in], weight [out, in] (PyTorch's layout, so tt_linear's GEMM reads W row-major with
 * transb), bias [out]. Parameters are persistent tensors with requires_grad set, owned by the layer.
 * Initial scale is what keeps activations from exploding or vanishing with depth:
 *   Kaiming/He (ReLU nets):   Var(w) = 2 / fan_in            uniform bound sqrt(6 / fan_in)
 *   Xavier/Glorot (tanh):     Var(w) = 2 / (fan_in + fan_out) uniform bound sqrt(6 / (fan_in+fan_out))
 *   PyTorch nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
 *     (kaiming_uniform with a = sqrt(5): gain sqrt(2/6), bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in)).
 * Bias starts at zero except with TT_INIT_PYTORCH.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/nn.h"

static void fill_uniform(tt_tensor *w, float bound, tt_rng *rng)
{
    for (int64_t i = 0; i < w->numel; i++) {
        w->data[i] = bound * (2.0f * tt_rng_uniform(rng) - 1.0f);
    }
}

static void fill_normal(tt_tensor *w, float std, tt_rng *rng)
{
    for (int64_t i = 0; i < w->numel; i++) {
        w->data[i] = std * tt_rng_normal(rng);
    }
}

void tt_init_tensor(tt_tensor *w, tt_init init, int64_t fan_in, int64_t fan_out, tt_rng *rng)
{
    if (!rng) {
        rng = tt_default_rng();
    }
    if (fan_in <= 0 || (fan_out <= 0 && (init == TT_INIT_XAVIER_UNIFORM || init == TT_INIT_XAVIER_NORMAL))) {
        tt_fatal("tt_init_tensor: fan_in %lld, fan_out %lld must be positive", (long long)fan_in,
                 (long long)fan_out);
    }
    double fi = (double)fan_in, fo = (double)fan_out;
    /* TODO: fill w: Kaiming bound sqrt(6/fan_in) or std sqrt(2/fan_in); Xavier with fan_in + fan_out;
     * PyTorch bound 1/sqrt(fan_in) */
    /* BEGIN SOLUTION */
    switch (init) {
    case TT_INIT_KAIMING_UNIFORM: fill_uniform(w, (float)sqrt(6.0 / fi), rng); break;
    case TT_INIT_KAIMING_NORMAL: fill_normal(w, (float)sqrt(2.0 / fi), rng); break;
    case TT_INIT_XAVIER_UNIFORM: fill_uniform(w, (float)sqrt(6.0 / (fi + fo)), rng); break;
    case TT_INIT_XAVIER_NORMAL: fill_normal(w, (float)sqrt(2.0 / (fi + fo)), rng); break;
    case TT_INIT_PYTORCH: fill_uniform(w, (float)(1.0 / sqrt(fi)), rng); break;
    default: tt_fatal("tt_init_tensor: unknown init scheme %d", (int)init);
    }
    /* END SOLUTION */
}

static tt_tensor *linear_forward(tt_layer *self, tt_tensor *x)
{
    tt_linear_layer *l = (tt_linear_layer *)self;
    /* TODO: y = x @ weight^T + bias (tt_linear does it and records the backward) */
    /* BEGIN SOLUTION */
    return tt_linear(x, l->weight, l->bias);
    /* END SOLUTION */
}

static void linear_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_linear_layer *l = (tt_linear_layer *)self;
    tt_params_add_at(out, prefix, "weight", l->weight);
    tt_params_add_at(out, prefix, "bias", l->bias);
}

static void linear_destroy(tt_layer *self)
{
    tt_linear_layer *l = (tt_linear_layer *)self;
    tt_tensor_free(l->weight);
    tt_tensor_free(l->bias);
    free(l);
}

static const tt_layer_ops linear_ops = {"Linear", linear_forward, linear_collect, NULL, linear_destroy,
                                        NULL};

tt_layer *tt_linear_new(int64_t in_features, int64_t out_features, bool bias, tt_init init, tt_rng *rng)
{
    if (in_features <= 0 || out_features <= 0) {
        tt_fatal("tt_linear_new: in_features %lld and out_features %lld must be positive",
                 (long long)in_features, (long long)out_features);
    }
    tt_linear_layer *l = calloc(1, sizeof *l);
    if (!l) {
        tt_fatal("tt_linear_new: out of memory");
    }
    l->base.ops = &linear_ops;
    l->base.training = true;
    l->in_features = in_features;
    l->out_features = out_features;
    l->weight = tt_tensor_new_persistent(2, (const int64_t[]){out_features, in_features});
    l->weight->name = "weight";
    tt_init_tensor(l->weight, init, in_features, out_features, rng);
    tt_set_requires_grad(l->weight, true);
    if (bias) {
        l->bias = tt_tensor_new_persistent(1, (const int64_t[]){out_features});
        l->bias->name = "bias";
        if (init == TT_INIT_PYTORCH) {
            tt_init_tensor(l->bias, TT_INIT_PYTORCH, in_features, out_features, rng);
        }
        tt_set_requires_grad(l->bias, true);
    }
    return &l->base;
}
