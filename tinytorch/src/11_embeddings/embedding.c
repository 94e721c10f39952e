/* embedding.c - gather forward, scatter-add backward (module 11).
 * Invariant: a recorded node keeps its own arena copy of the ids (node->saved), so the caller's id
 * buffer may change before backward runs. Cost: forward moves N*D floats, backward adds N*D floats;
 * the [V, D] table is touched only in the looked-up rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tinytorch/autograd.h"
#include "tinytorch/embedding.h"

static void check_ids(const char *op, const tt_tensor *w, const int32_t *ids, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= w->shape[0]) {
            char s[96];
            tt_fatal("%s: id %d at index %lld outside the table %s", op, ids[i], (long long)i,
                     tt_shape_str(w, s, sizeof s));
        }
    }
}

static void embedding_backward(tt_node *n)
{
    tt_tensor *w = n->in[0];
    const int32_t *ids = n->saved;
    int64_t D = w->shape[1], N = n->iarg[0];
    const float *g = n->out->grad;
    float *gw = tt_grad_buf(w);
    /* TODO: scatter-add: row ids[i] of gw gets += row i of g (an id seen twice collects both rows) */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < N; i++) {
        float *dst = gw + (int64_t)ids[i] * D;
        const float *src = g + i * D;
        for (int64_t d = 0; d < D; d++) {
            dst[d] += src[d];
        }
    }
    /* END SOLUTION */
}

tt_tensor *tt_embedding(tt_tensor *weight, const int32_t *ids, int ndim, const int64_t *shape)
{
    if (weight->ndim != 2 || ndim + 1 > TT_MAX_DIMS) {
        char s[96];
        tt_fatal("tt_embedding: weight %s must be [V, D] and ids at most %d-d (got %d-d)",
                 tt_shape_str(weight, s, sizeof s), TT_MAX_DIMS - 1, ndim);
    }
    int64_t N = tt_numel_of(ndim, shape), D = weight->shape[1];
    check_ids("tt_embedding", weight, ids, N);
    int64_t oshape[TT_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        oshape[d] = shape[d];
    }
    oshape[ndim] = D;
    tt_tensor *out = tt_empty(ndim + 1, oshape);
    /* TODO: gather: row i of out (D floats) = row ids[i] of the [V, D] table */
    /* BEGIN SOLUTION */
    for (int64_t i = 0; i < N; i++) {
        memcpy(out->data + i * D, weight->data + (int64_t)ids[i] * D, (size_t)D * sizeof(float));
    }
    /* END SOLUTION */
    tt_tensor *in[1] = {weight};
    tt_node *node = tt_record("embedding", out, in, 1, embedding_backward);
    if (node) {
        int32_t *copy = tt_arena_alloc((size_t)N * sizeof *copy);
        memcpy(copy, ids, (size_t)N * sizeof *copy);
        node->saved = copy;
        node->iarg[0] = N;
    }
    return out;
}

static void embedding_pos_backward(tt_node *n)
{
    tt_tensor *wte = n->in[0], *wpe = n->n_in > 1 ? n->in[1] : NULL;
    const int32_t *ids = n->saved;
    int64_t B = n->iarg[0], T = n->iarg[1], pos0 = n->iarg[2], D = wte->shape[1];
    const float *g = n->out->grad;
    /* TODO: the token table's gradient is embedding_backward's scatter-add; position pos0 + t of wpe
     * collects row (b, t) of g for every batch row b */
    /* BEGIN SOLUTION */
    if (tt_wants_grad(wte)) {
        float *gw = tt_grad_buf(wte);
        for (int64_t i = 0; i < B * T; i++) {
            float *dst = gw + (int64_t)ids[i] * D;
            const float *src = g + i * D;
            for (int64_t d = 0; d < D; d++) {
                dst[d] += src[d];
            }
        }
    }
    if (wpe && tt_wants_grad(wpe)) {
        float *gp = tt_grad_buf(wpe);
        for (int64_t b = 0; b < B; b++) {
            for (int64_t t = 0; t < T; t++) {
                float *dst = gp + (pos0 + t) * D;
                const float *src = g + (b * T + t) * D;
                for (int64_t d = 0; d < D; d++) {
                    dst[d] += src[d];
                }
            }
        }
    }
    /* END SOLUTION */
}

tt_tensor *tt_embedding_pos(tt_tensor *wte, tt_tensor *wpe, const int32_t *ids, int64_t B, int64_t T,
                            int64_t pos0)
{
    if (wte->ndim != 2 || (wpe && (wpe->ndim != 2 || wpe->shape[1] != wte->shape[1]))) {
        char a[96], b[96] = "none";
        if (wpe) {
            tt_shape_str(wpe, b, sizeof b);
        }
        tt_fatal("tt_embedding_pos: token table %s and position table %s must be [V, D] and [L, D]",
                 tt_shape_str(wte, a, sizeof a), b);
    }
    if (wpe && (pos0 < 0 || pos0 + T > wpe->shape[0])) {
        char s[96];
        tt_fatal("tt_embedding_pos: positions [%lld, %lld) past the position table %s", (long long)pos0,
                 (long long)(pos0 + T), tt_shape_str(wpe, s, sizeof s));
    }
    check_ids("tt_embedding_pos", wte, ids, B * T);
    int64_t D = wte->shape[1];
    tt_tensor *out = tt_empty(TT_SHAPE(B, T, D));
    /* TODO: out[b, t] = wte[ids[b*T + t]] + wpe[pos0 + t] (just the token row when wpe is NULL) */
    /* BEGIN SOLUTION */
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++) {
            float *dst = out->data + (b * T + t) * D;
            const float *e = wte->data + (int64_t)ids[b * T + t] * D;
            if (wpe) {
                const float *p = wpe->data + (pos0 + t) * D;
                for (int64_t d = 0; d < D; d++) {
                    dst[d] = e[d] + p[d];
                }
            } else {
                memcpy(dst, e, (size_t)D * sizeof(float));
            }
        }
    }
    /* END SOLUTION */
    tt_tensor *in[2] = {wte, wpe};
    tt_node *node = tt_record("embedding_pos", out, in, wpe ? 2 : 1, embedding_pos_backward);
    if (node) {
        int32_t *copy = tt_arena_alloc((size_t)(B * T) * sizeof *copy);
        memcpy(copy, ids, (size_t)(B * T) * sizeof *copy);
        node->saved = copy;
        node->iarg[0] = B;
        node->iarg[1] = T;
        node->iarg[2] = pos0;
    }
    return out;
}

void tt_sinusoidal_fill(float *out, int64_t max_len, int64_t dim)
{
    /* TODO: out[p, 2i] = sin(p / 10000^(2i/dim)), out[p, 2i+1] = cos(p / 10000^(2i/dim)) (in double) */
    /* BEGIN SOLUTION */
    for (int64_t p = 0; p < max_len; p++) {
        for (int64_t i = 0; i < dim; i++) {
            double freq = pow(10000.0, -(double)(i & ~(int64_t)1) / (double)dim);
            double a = (double)p * freq;
            out[p * dim + i] = (float)((i & 1) ? cos(a) : sin(a));
        }
    }
    /* END SOLUTION */
}

tt_tensor *tt_sinusoidal_table_new(int64_t max_len, int64_t dim)
{
    tt_tensor *t = tt_tensor_new_persistent(TT_SHAPE(max_len, dim));
    tt_sinusoidal_fill(t->data, max_len, dim);
    t->name = "sinusoidal";
    return t;
}

/* ---- the layer ---------------------------------------------------------------------------------- */

int32_t *tt_ids_from_tensor(const tt_tensor *x, int64_t vocab, const char *op)
{
    int32_t *ids = tt_arena_alloc((size_t)(x->numel ? x->numel : 1) * sizeof *ids);
    for (int64_t i = 0; i < x->numel; i++) {
        float v = x->data[i];
        if (!(v >= 0.0f && v < (float)vocab) || v != floorf(v)) {
            tt_fatal("%s: id %g at index %lld is not a whole number in [0, %lld) (the input holds token"
                     " ids as floats)", op, (double)v, (long long)i, (long long)vocab);
        }
        ids[i] = (int32_t)v;
    }
    return ids;
}

static tt_tensor *emb_layer_forward(tt_layer *self, tt_tensor *x)
{
    tt_embedding_layer *e = (tt_embedding_layer *)self;
    const int32_t *ids = tt_ids_from_tensor(x, e->num, "Embedding");
    if (!e->pos) {
        return tt_embedding(e->weight, ids, x->ndim, x->shape);
    }
    if (x->ndim != 2 || x->shape[1] > e->max_len) {
        char s[96];
        tt_fatal("Embedding: ids %s with positions (want [B, T] with T <= max_len %lld)",
                 tt_shape_str(x, s, sizeof s), (long long)e->max_len);
    }
    return tt_embedding_pos(e->weight, e->pos, ids, x->shape[0], x->shape[1], 0);
}

static void emb_layer_collect(tt_layer *self, tt_params *out, const char *prefix)
{
    tt_embedding_layer *e = (tt_embedding_layer *)self;
    tt_params_add_at(out, prefix, "weight", e->weight);
    if (!e->sinusoidal) {
        tt_params_add_at(out, prefix, "position.weight", e->pos);
    }
}

static void emb_layer_destroy(tt_layer *self)
{
    tt_embedding_layer *e = (tt_embedding_layer *)self;
    tt_tensor_free(e->weight);
    tt_tensor_free(e->pos);
    free(e);
}

static const tt_layer_ops emb_ops = {"Embedding", emb_layer_forward, emb_layer_collect, NULL,
                                     emb_layer_destroy, NULL};

static tt_tensor *normal_table(int64_t rows, int64_t dim, float std, tt_rng *rng)
{
    tt_tensor *t = tt_tensor_new_persistent(TT_SHAPE(rows, dim));
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = std * tt_rng_normal(rng);
    }
    tt_set_requires_grad(t, true);
    return t;
}

static tt_embedding_layer *emb_alloc(int64_t num, int64_t dim, const char *who)
{
    if (num <= 0 || dim <= 0) {
        tt_fatal("%s: %lld rows of width %lld (both must be positive)", who, (long long)num,
                 (long long)dim);
    }
    tt_embedding_layer *e = calloc(1, sizeof *e);
    if (!e) {
        tt_fatal("%s: out of memory", who);
    }
    e->base.ops = &emb_ops;
    e->base.training = true;
    e->num = num;
    e->dim = dim;
    return e;
}

tt_embedding_layer *tt_embedding_layer_new(int64_t num, int64_t dim, float std, tt_rng *rng)
{
    tt_embedding_layer *e = emb_alloc(num, dim, "tt_embedding_layer_new");
    e->weight = normal_table(num, dim, std > 0.0f ? std : 0.02f, rng ? rng : tt_default_rng());
    e->weight->name = "weight";
    return e;
}

tt_layer *tt_embedding_new(int64_t num, int64_t dim, tt_embedding_opts o, tt_rng *rng)
{
    if (o.max_len < 0 || !(o.std >= 0.0f)) {
        tt_fatal("tt_embedding_new: max_len %lld and std %g must not be negative", (long long)o.max_len,
                 (double)o.std);
    }
    tt_embedding_layer *e = emb_alloc(num, dim, "tt_embedding_new");
    if (!rng) {
        rng = tt_default_rng();
    }
    float std = o.std > 0.0f ? o.std : 1.0f;
    e->weight = normal_table(num, dim, std, rng);
    e->weight->name = "weight";
    e->max_len = o.max_len;
    e->sinusoidal = o.sinusoidal && o.max_len > 0;
    if (o.max_len > 0) {
        e->pos = e->sinusoidal ? tt_sinusoidal_table_new(o.max_len, dim) : normal_table(o.max_len, dim, std, rng);
        if (!e->sinusoidal) {
            e->pos->name = "position.weight";
        }
    }
    return &e->base;
}

tt_tensor *tt_embedding_layer_forward(tt_embedding_layer *e, const int32_t *ids, int ndim,
                                      const int64_t *shape)
{
    return tt_embedding(e->weight, ids, ndim, shape);
}

void tt_embedding_layer_params(tt_embedding_layer *e, tt_params *out, const char *prefix)
{
    tt_layer_collect_at(&e->base, out, "", prefix); /* "wte" -> "wte.weight"; "" -> "weight" */
}

void tt_embedding_layer_free(tt_embedding_layer *e)
{
    if (e) {
        tt_layer_free(&e->base);
    }
}
