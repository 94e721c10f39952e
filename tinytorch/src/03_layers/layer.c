/* layer.c - the tt_layer vtable dispatch, shared by every layer kind (Linear, Sequential, ...).
 * A layer without collect_params has no parameters, one without collect_buffers no buffers; one
 * without set_training just records the flag. */
#include <stdlib.h>
#include "tinytorch/nn.h"

tt_tensor *tt_layer_forward(tt_layer *l, tt_tensor *x) { return l->ops->forward(l, x); }

void tt_layer_collect(tt_layer *l, tt_params *out, const char *prefix)
{
    if (l->ops->collect_params) {
        l->ops->collect_params(l, out, prefix ? prefix : "");
    }
}

void tt_layer_params(tt_layer *l, tt_params *out) { tt_layer_collect(l, out, ""); }

void tt_layer_collect_buffers(tt_layer *l, tt_params *out, const char *prefix)
{
    if (l->ops->collect_buffers) {
        l->ops->collect_buffers(l, out, prefix ? prefix : "");
    }
}

void tt_layer_buffers(tt_layer *l, tt_params *out) { tt_layer_collect_buffers(l, out, ""); }

void tt_layer_train(tt_layer *l, bool training)
{
    if (l->ops->set_training) {
        l->ops->set_training(l, training);
    } else {
        l->training = training;
    }
}

void tt_layer_free(tt_layer *l)
{
    if (l) {
        l->ops->destroy(l);
    }
}
