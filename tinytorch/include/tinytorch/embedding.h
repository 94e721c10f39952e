/* embedding.h - token and position embeddings (module 11).
 *
 * An embedding is a table lookup: row ids[i] of weight [V, D]. The forward pass is a gather (no
 * arithmetic, no one-hot matmul); the backward pass is a scatter-add of each output row's gradient
 * into the row it came from (rows never looked up get no gradient). Positions are either a learned
 * table [max_len, D] or the fixed sinusoidal table of Vaswani et al. (2017):
 *   PE[p, 2i] = sin(p / 10000^(2i/D)),  PE[p, 2i+1] = cos(p / 10000^(2i/D)).
 * An id outside [0, V) or a position past the table is a programming error (tt_fatal).
 */
#ifndef TINYTORCH_EMBEDDING_H
#define TINYTORCH_EMBEDDING_H

#include "tinytorch/nn.h"

/* weight [V, D], ids: numel(shape) ids -> [shape..., D]. ids are copied (the caller may reuse them). */
tt_tensor *tt_embedding(tt_tensor *weight, const int32_t *ids, int ndim, const int64_t *shape);

/* x[b, t, :] = wte[ids[b*T + t], :] + wpe[pos0 + t, :]  -> [B, T, D]. wpe may be NULL (no positions)
 * or a table without a gradient (sinusoidal). pos0 offsets the positions (generation with a cache). */
tt_tensor *tt_embedding_pos(tt_tensor *wte, tt_tensor *wpe, const int32_t *ids, int64_t B, int64_t T,
                            int64_t pos0);

/* Fills out[max_len * dim] with the sinusoidal table (dim even or odd). */
void tt_sinusoidal_fill(float *out, int64_t max_len, int64_t dim);
/* The sinusoidal table as a persistent tensor [max_len, dim] without gradient. */
tt_tensor *tt_sinusoidal_table_new(int64_t max_len, int64_t dim);

/* An embedding layer that owns its table (and optionally a position table). It is a tt_layer (its first
 * member): tt_layer_forward(&e->base, ids) takes the ids as a float tensor of whole numbers
 * [B, T] (or [N]) and returns [B, T, D] (wte[ids] + wpe[t] when it has positions). Parameters:
 * "weight", and "position.weight" for a learned position table. */
typedef struct tt_embedding_layer {
    tt_layer base;
    tt_tensor *weight;   /* [num, dim], persistent, requires grad */
    int64_t num, dim;
    tt_tensor *pos;      /* [max_len, dim] or NULL; no gradient when sinusoidal */
    int64_t max_len;
    bool sinusoidal;
} tt_embedding_layer;
/* Initialised N(0, std) (std 0.02 like GPT-2 when <= 0: pass a value, e.g. 1.0 for
 * torch.nn.Embedding's default). */
tt_embedding_layer *tt_embedding_layer_new(int64_t num, int64_t dim, float std, tt_rng *rng);
tt_tensor *tt_embedding_layer_forward(tt_embedding_layer *e, const int32_t *ids, int ndim,
                                      const int64_t *shape);
void tt_embedding_layer_params(tt_embedding_layer *e, tt_params *out, const char *prefix);
void tt_embedding_layer_free(tt_embedding_layer *e);

/* Options with PyTorch's defaults (a field left 0 takes the default beside it). */
typedef struct tt_embedding_opts {
    float std;          /* 1.0: N(0, 1) like torch.nn.Embedding */
    int64_t max_len;    /* 0: no positions; else a position table [max_len, dim] is added */
    bool sinusoidal;    /* false: a learned table N(0, std); true: the fixed sinusoidal table */
} tt_embedding_opts;
tt_layer *tt_embedding_new(int64_t num, int64_t dim, tt_embedding_opts opts, tt_rng *rng);

/* The ids held by a float tensor (whole numbers in [0, vocab)) as an arena int32 array of x->numel;
 * anything else is a tt_fatal naming `op`, the index and the value. */
int32_t *tt_ids_from_tensor(const tt_tensor *x, int64_t vocab, const char *op);

#endif
