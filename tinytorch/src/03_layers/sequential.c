/* sequential.c - Sequential: runs its children in order; owns them.
 * Invariants: children[0..n) are owned (freed with the container); cap >= n. Parameter names are
 * "<prefix><index>.<child's name>", e.g. "0.weight", "2.bias", nested as "1.0.weight".
 * train/eval propagates to every child.
 *
 * Fusion (nn.h, tt_layer_fusion): when planned, group[i] is the number of children that run as one
 * call starting at child i (>= 1), 0 for a child inside an earlier group; the groups cover 0..n in
 * order. Every change of children (append, replace) clears `planned`; the next forward plans again.
 * The plan asks only the children's own rules, so this file knows no layer kind. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "tinytorch/nn.h"

typedef struct sequential {
    tt_layer base;
    tt_layer **children;
    int n, cap;
    int *group;    /* [cap]: the fusion plan, valid while planned */
    _Atomic bool planned; /* threads of a split training step may run the first forward together */
} sequential;

static void seq_plan(sequential *s)
{
    for (int i = 0; i < s->n;) {
        const tt_layer *c = s->children[i];
        int k = c->fusion && c->fusion->plan ? c->fusion->plan(c, s->children + i + 1, s->n - i - 1) : 0;
        if (k < 0 || k > s->n - i - 1) {
            tt_fatal("Sequential: the %s at index %d asks to fuse %d following layers (%d follow)",
                     c->ops->kind, i, k, s->n - i - 1);
        }
        s->group[i] = k + 1;
        for (int j = 1; j <= k; j++) {
            s->group[i + j] = 0;
        }
        i += k + 1;
    }
    s->planned = true;
}

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

static void ensure_planned(sequential *s)
{
    if (!s->planned) {
        pthread_mutex_lock(&plan_lock);
        if (!s->planned) {
            seq_plan(s);
        }
        pthread_mutex_unlock(&plan_lock);
    }
}

/* x through the group that starts at child i; returns the group's length in *len */
static tt_tensor *run_group(sequential *s, int i, tt_tensor *x, int *len)
{
    tt_layer *c = s->children[i];
    *len = s->group[i];
    return *len > 1 ? c->fusion->forward(c, *len - 1, x) : tt_layer_forward(c, x);
}

static tt_tensor *seq_forward(tt_layer *self, tt_tensor *x)
{
    sequential *s = (sequential *)self;
    ensure_planned(s);
    for (int i = 0, len = 1; i < s->n; i += len) {
        x = run_group(s, i, x, &len);
    }
    return x;
}

static void seq_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    sequential *s = (sequential *)self;
    char idx[16];
    for (int i = 0; i < s->n; i++) {
        snprintf(idx, sizeof idx, "%d", i);
        tt_layer_collect_at(s->children[i], out, prefix, idx);
    }
}

static void seq_collect_buffers(tt_layer *self, tt_params *out, const char *prefix)
{
    sequential *s = (sequential *)self;
    char idx[16];
    for (int i = 0; i < s->n; i++) {
        snprintf(idx, sizeof idx, "%d", i);
        tt_layer_collect_buffers_at(s->children[i], out, prefix, idx);
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
    free(s->group);
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
        if (c) {
            s->children = c;
        }
        int *g = c ? realloc(s->group, (size_t)cap * sizeof *g) : NULL;
        if (!g) {
            tt_fatal("tt_sequential_append: out of memory");
        }
        s->group = g;
        s->cap = cap;
    }
    s->children[s->n++] = layer;
    s->planned = false;
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
    s->planned = false;
    return old;
}

bool tt_is_sequential(const tt_layer *l) { return l && l->ops == &seq_ops; }

int tt_sequential_group_len(tt_layer *seq, int i)
{
    sequential *s = as_seq(seq, "tt_sequential_group_len");
    if (i < 0 || i >= s->n) {
        tt_fatal("tt_sequential_group_len: index %d out of range for %d layers", i, s->n);
    }
    ensure_planned(s);
    return s->group[i];
}

tt_tensor *tt_sequential_forward_group(tt_layer *seq, int i, tt_tensor *x)
{
    sequential *s = as_seq(seq, "tt_sequential_forward_group");
    if (tt_sequential_group_len(seq, i) == 0) {
        tt_fatal("tt_sequential_forward_group: child %d (%s) is computed by an earlier child's fused kernel;"
                 " start at a group's first child (tt_sequential_group_len(seq, i) >= 1)", i,
                 s->children[i]->ops->kind);
    }
    int len;
    return run_group(s, i, x, &len);
}

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
