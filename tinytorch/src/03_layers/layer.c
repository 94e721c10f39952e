/* layer.c - the tt_layer vtable dispatch, shared by every layer kind (Linear, Sequential, ...).
 * A layer without collect_params has no parameters, one without collect_buffers no buffers; one
 * without set_training just records the flag. */
#include <stdlib.h>
#include "tinytorch/nn.h"
#include "layer_internal.h"

_Atomic(tt_layer_free_hook) tt__layer_free_hook;   /* static storage: starts as no hook */

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

const tt_params *tt_layer_parameters(tt_layer *l)
{
    if (!l->param_cache) {
        l->param_cache = malloc(sizeof *l->param_cache);
        if (!l->param_cache) {
            tt_fatal("tt_layer_parameters: out of memory");
        }
        tt_params_init(l->param_cache);
        tt_layer_params(l, l->param_cache);
    }
    return l->param_cache;
}

void tt_layer_drop_param_cache(tt_layer *l)
{
    if (l && l->param_cache) {
        tt_params_free(l->param_cache);
        free(l->param_cache);
        l->param_cache = NULL;
    }
}

void tt_layer_free(tt_layer *l)
{
    if (l) {
        const tt_layer_free_hook hook = atomic_load(&tt__layer_free_hook);
        if (hook) {
            hook(l);
        }
        tt_layer_drop_param_cache(l);
        l->ops->destroy(l);
    }
}
