/* sequential.c - Sequential: runs its children in order; owns them.
 * Invariants: children[0..n) are owned (freed with the container); cap >= n. Parameter names are
 * "<prefix><index>.<child's name>", e.g. "0.weight", "2.bias", nested as "1.0.weight".
 * train/eval propagates to every child. */
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/nn.h"

typedef struct sequential {
    tt_layer base;
    tt_layer **children;
    int n, cap;
} sequential;

static tt_tensor *seq_forward(tt_layer *self, tt_tensor *x)
{
    sequential *s = (sequential *)self;
    for (int i = 0; i < s->n; i++) {
        x = tt_layer_forward(s->children[i], x);
    }
    return x;
}

static void seq_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    sequential *s = (sequential *)self;
    char name[256];
    for (int i = 0; i < s->n; i++) {
        snprintf(name, sizeof name, "%s%d.", prefix, i);
        tt_layer_collect(s->children[i], out, name);
    }
}

static void seq_collect_buffers(tt_layer *self, tt_params *out, const char *prefix)
{
    sequential *s = (sequential *)self;
    char name[256];
    for (int i = 0; i < s->n; i++) {
        snprintf(name, sizeof name, "%s%d.", prefix, i);
        tt_layer_collect_buffers(s->children[i], out, name);
    }
}

static void seq_set_training(tt_layer *self, bool training)
{
    sequential *s = (sequential *)self;
    self->training = training;
    for (int i = 0; i < s->n; i++) {
        tt_layer_train(s->children[i], training);
    }
}

static void seq_destroy(tt_layer *self)
{
    sequential *s = (sequential *)self;
    for (int i = 0; i < s->n; i++) {
        tt_layer_free(s->children[i]);
    }
    free(s->children);
    free(s);
}

static const tt_layer_ops seq_ops = {"Sequential", seq_forward, seq_collect, seq_set_training,
                                     seq_destroy, seq_collect_buffers};

static sequential *as_seq(const tt_layer *l, const char *who)
{
    if (!l || l->ops != &seq_ops) {
        tt_fatal("%s: layer is a %s, not a Sequential", who, l ? l->ops->kind : "NULL");
    }
    return (sequential *)l;
}

tt_layer *tt_sequential_new(int n, tt_layer **layers)
{
    sequential *s = calloc(1, sizeof *s);
    if (!s) {
        tt_fatal("tt_sequential_new: out of memory");
    }
    s->base.ops = &seq_ops;
    s->base.training = true;
    for (int i = 0; i < n; i++) {
        tt_sequential_append(&s->base, layers[i]);
    }
    return &s->base;
}

void tt_sequential_append(tt_layer *seq, tt_layer *layer)
{
    sequential *s = as_seq(seq, "tt_sequential_append");
    if (!layer) {
        tt_fatal("tt_sequential_append: NULL layer at index %d", s->n);
    }
    tt_layer_drop_param_cache(seq);
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        tt_layer **c = realloc(s->children, (size_t)cap * sizeof *c);
        if (!c) {
            tt_fatal("tt_sequential_append: out of memory");
        }
        s->children = c;
        s->cap = cap;
    }
    s->children[s->n++] = layer;
}

int tt_sequential_len(const tt_layer *seq) { return as_seq(seq, "tt_sequential_len")->n; }

tt_layer *tt_sequential_at(tt_layer *seq, int i)
{
    sequential *s = as_seq(seq, "tt_sequential_at");
    if (i < 0 || i >= s->n) {
        tt_fatal("tt_sequential_at: index %d out of range for %d layers", i, s->n);
    }
    return s->children[i];
}

tt_layer *tt_sequential_replace(tt_layer *seq, int i, tt_layer *layer)
{
    sequential *s = as_seq(seq, "tt_sequential_replace");
    if (i < 0 || i >= s->n || !layer) {
        tt_fatal("tt_sequential_replace: index %d of %d layers, layer %s (want an index in range and a"
                 " layer)", i, s->n, layer ? layer->ops->kind : "NULL");
    }
    tt_layer_drop_param_cache(seq);
    tt_layer *old = s->children[i];
    s->children[i] = layer;
    return old;
}

bool tt_is_sequential(const tt_layer *l) { return l && l->ops == &seq_ops; }

tt_layer *tt_mlp_new(int n, const int64_t *sizes, tt_rng *rng)
{
    if (n < 2) {
        tt_fatal("tt_mlp_new: need at least 2 sizes (inputs and outputs), got %d", n);
    }
    tt_layer *seq = tt_sequential_new(0, NULL);
    tt_sequential_append(seq, tt_flatten_new());
    for (int i = 0; i + 1 < n; i++) {
        if (i > 0) {
            tt_sequential_append(seq, tt_relu_new());
        }
        tt_sequential_append(seq, tt_linear_new(sizes[i], sizes[i + 1], true, TT_INIT_PYTORCH, rng));
    }
    return seq;
}
