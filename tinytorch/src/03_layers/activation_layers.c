/* activation_layers.c - parameter-free layers wrapping a functional op (ReLU, Sigmoid, Tanh, GELU,
 * Flatten), so they can sit inside a Sequential. One small struct per instance; no state. */
#include <stdlib.h>
#include "tinytorch/nn.h"

typedef struct fn_layer {
    tt_layer base;
} fn_layer;

static tt_tensor *flatten1(tt_tensor *x) { return tt_flatten(x, 1); }

#define FN_FORWARD(NAME, FN)                                                                       \
    static tt_tensor *NAME(tt_layer *self, tt_tensor *x)                                           \
    {                                                                                              \
        (void)self;                                                                                \
        return FN(x);                                                                              \
    }
FN_FORWARD(relu_fwd, tt_relu)
FN_FORWARD(sigmoid_fwd, tt_sigmoid)
FN_FORWARD(tanh_fwd, tt_tanh)
FN_FORWARD(gelu_fwd, tt_gelu)
FN_FORWARD(flatten_fwd, flatten1)

static void fn_destroy(tt_layer *self) { free(self); }

static const tt_layer_ops relu_ops = {"ReLU", relu_fwd, NULL, NULL, fn_destroy, NULL};
static const tt_layer_ops sigmoid_ops = {"Sigmoid", sigmoid_fwd, NULL, NULL, fn_destroy, NULL};
static const tt_layer_ops tanh_ops = {"Tanh", tanh_fwd, NULL, NULL, fn_destroy, NULL};
static const tt_layer_ops gelu_ops = {"GELU", gelu_fwd, NULL, NULL, fn_destroy, NULL};
static const tt_layer_ops flatten_ops = {"Flatten", flatten_fwd, NULL, NULL, fn_destroy, NULL};

static tt_layer *fn_new(const tt_layer_ops *ops)
{
    fn_layer *l = calloc(1, sizeof *l);
    if (!l) {
        tt_fatal("%s layer: out of memory", ops->kind);
    }
    l->base.ops = ops;
    l->base.training = true;
    return &l->base;
}

tt_layer *tt_relu_new(void) { return fn_new(&relu_ops); }
tt_layer *tt_sigmoid_new(void) { return fn_new(&sigmoid_ops); }
tt_layer *tt_tanh_new(void) { return fn_new(&tanh_ops); }
tt_layer *tt_gelu_new(void) { return fn_new(&gelu_ops); }
tt_layer *tt_flatten_new(void) { return fn_new(&flatten_ops); }
