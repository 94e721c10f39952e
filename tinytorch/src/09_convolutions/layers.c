/* layers.c - Conv2d, MaxPool2d, AvgPool2d and BatchNorm2d as tt_layer objects (nn.h's vtable).
 *
 * Parameters are persistent tensors owned by the layer, named "weight" and "bias" under the
 * container's prefix ("0.weight"), as in PyTorch's state_dict. Conv2d starts like torch.nn.Conv2d:
 * weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = Cin/groups * k * k.
 * BatchNorm2d starts with gamma = 1, beta = 0, running_mean = 0, running_var = 1, and uses the
 * batch statistics while base.training is true, the running ones after tt_layer_train(l, false).
 * Conv2d carries a fusion rule (nn.h): inside a Sequential, Conv2d, ReLU [, MaxPool2d(2)] run as one
 * fused kernel; the layers themselves stay three, with their own names and parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/conv.h"

static void *layer_alloc(size_t bytes, const char *who)
{
    void *p = calloc(1, bytes);
    if (!p) {
        tt_fatal("%s: out of memory", who);
    }
    return p;
}

/* ---- Conv2d ------------------------------------------------------------------------------------ */

static tt_tensor *conv_layer_forward(tt_layer *self, tt_tensor *x)
{
    tt_conv2d_layer *l = (tt_conv2d_layer *)self;
    return tt_conv2d_ex(x, l->weight, l->bias, &l->geom);
}

static void conv_layer_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_conv2d_layer *l = (tt_conv2d_layer *)self;
    tt_params_add_at(out, prefix, "weight", l->weight);
    tt_params_add_at(out, prefix, "bias", l->bias);
}

static void conv_layer_destroy(tt_layer *self)
{
    tt_conv2d_layer *l = (tt_conv2d_layer *)self;
    tt_tensor_free(l->weight);
    tt_tensor_free(l->bias);
    free(l);
}

static const tt_layer_ops conv_ops = {"Conv2d", conv_layer_forward, conv_layer_collect, NULL,
                                      conv_layer_destroy, NULL};

static bool is_maxpool2(const tt_layer *l);

/* Conv2d's fusion rule (nn.h): a ReLU right after it runs in the convolution's epilogue
 * (tt_conv2d_relu_ex), and a MaxPool2d(2) (kernel 2, stride 2, no padding) right after that ReLU
 * in the same pass (tt_conv2d_relu_maxpool2_ex). A pool without the ReLU before it, any other pool,
 * or any layer in between stops the group. */
static int conv_fusion_plan(const tt_layer *self, tt_layer *const *next, int n)
{
    (void)self;
    if (n < 1 || strcmp(next[0]->ops->kind, "ReLU") != 0) {
        return 0;
    }
    return n >= 2 && is_maxpool2(next[1]) ? 2 : 1;
}

static tt_tensor *conv_fusion_forward(tt_layer *self, int absorbed, tt_tensor *x)
{
    tt_conv2d_layer *l = (tt_conv2d_layer *)self;
    return absorbed == 2 ? tt_conv2d_relu_maxpool2_ex(x, l->weight, l->bias, &l->geom)
                         : tt_conv2d_relu_ex(x, l->weight, l->bias, &l->geom);
}

static const tt_layer_fusion conv_fusion = {conv_fusion_plan, conv_fusion_forward};

tt_layer *tt_conv2d_new(int64_t cin, int64_t cout, int kernel, int stride, int padding, int dilation,
                        int groups, bool bias, tt_rng *rng)
{
    if (cin <= 0 || cout <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || dilation <= 0 ||
        groups <= 0 || cin % groups != 0 || cout % groups != 0) {
        tt_fatal("tt_conv2d_new: in %lld, out %lld, kernel %d, stride %d, padding %d, dilation %d, "
                 "groups %d: sizes must be positive and channels divisible by groups",
                 (long long)cin, (long long)cout, kernel, stride, padding, dilation, groups);
    }
    if (!rng) {
        rng = tt_default_rng();
    }
    tt_conv2d_layer *l = layer_alloc(sizeof *l, "tt_conv2d_new");
    l->base.ops = &conv_ops;
    l->base.training = true;
    l->base.fusion = &conv_fusion;
    l->in_channels = cin;
    l->out_channels = cout;
    l->kh = l->kw = kernel;
    l->geom = tt_conv2d_geom_make(stride, padding, dilation, groups);
    const int64_t fan_in = cin / groups * kernel * kernel;
    l->weight = tt_tensor_new_persistent(TT_SHAPE(cout, cin / groups, kernel, kernel));
    l->weight->name = "weight";
    tt_init_tensor(l->weight, TT_INIT_PYTORCH, fan_in, cout / groups * kernel * kernel, rng);
    tt_set_requires_grad(l->weight, true);
    if (bias) {
        l->bias = tt_tensor_new_persistent(TT_SHAPE(cout));
        l->bias->name = "bias";
        tt_init_tensor(l->bias, TT_INIT_PYTORCH, fan_in, cout, rng);
        tt_set_requires_grad(l->bias, true);
    }
    return &l->base;
}

/* ---- pooling ----------------------------------------------------------------------------------- */

typedef struct pool_layer {
    tt_layer base;
    int kernel;
    tt_conv2d_geom geom;
} pool_layer;

static tt_tensor *maxpool_forward(tt_layer *self, tt_tensor *x)
{
    pool_layer *l = (pool_layer *)self;
    return tt_max_pool2d_ex(x, l->kernel, l->kernel, &l->geom);
}

static tt_tensor *avgpool_forward(tt_layer *self, tt_tensor *x)
{
    pool_layer *l = (pool_layer *)self;
    return tt_avg_pool2d_ex(x, l->kernel, l->kernel, &l->geom);
}

static void plain_destroy(tt_layer *self) { free(self); }

static const tt_layer_ops maxpool_ops = {"MaxPool2d", maxpool_forward, NULL, NULL, plain_destroy, NULL};
static const tt_layer_ops avgpool_ops = {"AvgPool2d", avgpool_forward, NULL, NULL, plain_destroy, NULL};

static tt_layer *pool_new(const tt_layer_ops *ops, int kernel, int stride, int padding)
{
    if (kernel <= 0 || stride < 0 || padding < 0 || 2 * padding > kernel) {
        tt_fatal("tt_%s_new: kernel %d, stride %d, padding %d: want kernel > 0, stride >= 0, "
                 "0 <= padding <= kernel/2", ops == &maxpool_ops ? "maxpool2d" : "avgpool2d", kernel,
                 stride, padding);
    }
    pool_layer *l = layer_alloc(sizeof *l, "tt_pool2d_new");
    l->base.ops = ops;
    l->base.training = true;
    l->kernel = kernel;
    l->geom = tt_conv2d_geom_make(stride > 0 ? stride : kernel, padding, 1, 1);
    return &l->base;
}

tt_layer *tt_maxpool2d_new(int kernel, int stride, int padding)
{
    return pool_new(&maxpool_ops, kernel, stride, padding);
}

tt_layer *tt_avgpool2d_new(int kernel, int stride, int padding)
{
    return pool_new(&avgpool_ops, kernel, stride, padding);
}

/* ---- BatchNorm2d ------------------------------------------------------------------------------- */

static tt_tensor *bn_forward(tt_layer *self, tt_tensor *x)
{
    tt_batchnorm2d_layer *l = (tt_batchnorm2d_layer *)self;
    return tt_batch_norm2d(x, l->weight, l->bias, l->running_mean, l->running_var, self->training,
                           l->momentum, l->eps);
}

static void bn_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_batchnorm2d_layer *l = (tt_batchnorm2d_layer *)self;
    if (l->weight) {
        tt_params_add_at(out, prefix, "weight", l->weight);
        tt_params_add_at(out, prefix, "bias", l->bias);
    }
}

static void bn_buffers(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_batchnorm2d_layer *l = (tt_batchnorm2d_layer *)self;
    tt_params_add_at(out, prefix, "running_mean", l->running_mean);
    tt_params_add_at(out, prefix, "running_var", l->running_var);
}

static void bn_destroy(tt_layer *self)
{
    tt_batchnorm2d_layer *l = (tt_batchnorm2d_layer *)self;
    tt_tensor_free(l->weight);
    tt_tensor_free(l->bias);
    tt_tensor_free(l->running_mean);
    tt_tensor_free(l->running_var);
    free(l);
}

static const tt_layer_ops bn_ops = {"BatchNorm2d", bn_forward, bn_collect, NULL, bn_destroy, bn_buffers};

tt_layer *tt_batchnorm2d_new(int64_t num_features, float momentum, float eps, bool affine)
{
    if (num_features <= 0 || !(momentum >= 0.0f && momentum <= 1.0f) || !(eps > 0.0f)) {
        tt_fatal("tt_batchnorm2d_new: num_features %lld, momentum %g, eps %g: want C > 0, "
                 "momentum in [0, 1], eps > 0", (long long)num_features, (double)momentum, (double)eps);
    }
    tt_batchnorm2d_layer *l = layer_alloc(sizeof *l, "tt_batchnorm2d_new");
    l->base.ops = &bn_ops;
    l->base.training = true;
    l->num_features = num_features;
    l->momentum = momentum;
    l->eps = eps;
    l->running_mean = tt_tensor_new_persistent(TT_SHAPE(num_features));
    l->running_mean->name = "running_mean";
    l->running_var = tt_tensor_new_persistent(TT_SHAPE(num_features));
    l->running_var->name = "running_var";
    for (int64_t c = 0; c < num_features; c++) {
        l->running_var->data[c] = 1.0f;
    }
    if (affine) {
        l->weight = tt_tensor_new_persistent(TT_SHAPE(num_features));
        l->weight->name = "weight";
        l->bias = tt_tensor_new_persistent(TT_SHAPE(num_features));
        l->bias->name = "bias";
        for (int64_t c = 0; c < num_features; c++) {
            l->weight->data[c] = 1.0f;
        }
        tt_set_requires_grad(l->weight, true);
        tt_set_requires_grad(l->bias, true);
    }
    return &l->base;
}

static bool is_maxpool2(const tt_layer *l)
{
    const pool_layer *p = (const pool_layer *)l;
    return l->ops == &maxpool_ops && p->kernel == 2 && p->geom.stride_h == 2 && p->geom.stride_w == 2 &&
           p->geom.pad_h == 0 && p->geom.pad_w == 0;
}

int tt_pool2d_params(const tt_layer *l, int *kernel, int *stride, int *padding)
{
    if (!l || (l->ops != &maxpool_ops && l->ops != &avgpool_ops)) {
        return -1;
    }
    const pool_layer *p = (const pool_layer *)l;
    *kernel = p->kernel;
    *stride = p->geom.stride_h;
    *padding = p->geom.pad_h;
    return 0;
}

tt_layer *tt_lenet5_new(tt_rng *rng)
{
    tt_layer *seq = tt_sequential_new(0, NULL);
    tt_sequential_append(seq, tt_conv2d_new(1, 6, 5, 1, 2, 1, 1, true, rng));
    tt_sequential_append(seq, tt_relu_new());
    tt_sequential_append(seq, tt_maxpool2d_new(2, 0, 0));
    tt_sequential_append(seq, tt_conv2d_new(6, 16, 5, 1, 0, 1, 1, true, rng));
    tt_sequential_append(seq, tt_relu_new());
    tt_sequential_append(seq, tt_maxpool2d_new(2, 0, 0));
    tt_sequential_append(seq, tt_flatten_new());
    const int64_t fc[4] = {400, 120, 84, 10};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            tt_sequential_append(seq, tt_relu_new());
        }
        tt_sequential_append(seq, tt_linear_new(fc[i], fc[i + 1], true, TT_INIT_PYTORCH, rng));
    }
    return seq;
}
