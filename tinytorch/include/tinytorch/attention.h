/* attention.h - scaled dot-product attention and multi-head attention (module 12).
 *
 *   scores = Q K^T / sqrt(d)   [Tq, Tk] per (batch, head)
 *   masked scores = -inf where a mask blocks (causal: key j > query i + (Tk - Tq); padding: the key's
 *                   entry in key_mask is 0; a given boolean mask: its entry [i, j] is 0. The three
 *                   combine: a key is open only when every mask given opens it.
 *                   Mask convention: 1 = may attend, 0 = blocked, PyTorch's bool attn_mask)
 *   P = softmax(scores) over keys,   out = P V
 * A query whose keys are all blocked gets P = 0 and out = 0 (PyTorch would give NaN).
 *
 * Two implementations that must agree (tested):
 *   - tt_attention_reference: composed of tensor ops (matmul, transpose, masked_fill, softmax), the
 *     teaching version; autograd differentiates it op by op and keeps every intermediate.
 *   - tt_sdpa / tt_attention_qkv: one fused op with a hand-written backward; every product is a
 *     tt_sgemm call per (batch, head) and only P is saved. tt_attention_qkv reads Q, K, V for every
 *     head straight from the fused projection [B, T, 3C] (strides, no head-split copies) and writes
 *     heads merged [B, T, C].
 * Memory: P costs B*H*Tq*Tk*4 bytes (saved for backward): quadratic in the sequence length.
 */
#ifndef TINYTORCH_ATTENTION_H
#define TINYTORCH_ATTENTION_H

#include "tinytorch/nn.h"

/* Every mask is read during the forward pass only (backward uses the saved P, zero where blocked). */
typedef struct tt_attn_mask {
    bool causal;
    const uint8_t *key_mask;  /* [B, Tk]: 1 = may attend, 0 = padding; NULL = none */
    const uint8_t *attn_mask; /* [Tq, Tk] for every batch row, or [B, Tq, Tk] when attn_mask_per_batch;
                               * 1 = query i may attend key j; NULL = none */
    bool attn_mask_per_batch;
} tt_attn_mask;

/* q [B, H, Tq, d], k and v [B, H, Tk, d] -> [B, H, Tq, d]. mask may be NULL. Fused. */
tt_tensor *tt_sdpa(tt_tensor *q, tt_tensor *k, tt_tensor *v, const tt_attn_mask *mask);
/* Same contract, composed of primitive ops; also returns P [B, H, Tq, Tk] in *weights if not NULL. */
tt_tensor *tt_attention_reference(tt_tensor *q, tt_tensor *k, tt_tensor *v, const tt_attn_mask *mask,
                                  tt_tensor **weights);
/* qkv [B, T, 3C] = [q heads | k heads | v heads], n_head heads of C/n_head -> [B, T, C]. Fused. */
tt_tensor *tt_attention_qkv(tt_tensor *qkv, int n_head, const tt_attn_mask *mask);

/* Multi-head self-attention: one fused projection w_qkv [3C, C] (rows: Q for every head, then K,
 * then V; head h uses rows h*d..h*d+d-1 of each), output projection w_out [C, C], biases.
 * A tt_mha is a tt_layer (its first member): tt_layer_forward(&m->base, x) attends with m->mask
 * (set by tt_mha_set_mask), and parameters are named qkv.weight, qkv.bias, out.weight, out.bias. */
typedef struct tt_mha {
    tt_layer base;
    int64_t dim, n_head, head_dim;
    tt_tensor *w_qkv, *b_qkv;   /* [3C, C], [3C] (b_qkv NULL without bias) */
    tt_tensor *w_out, *b_out;   /* [C, C], [C] (b_out NULL without bias) */
    tt_attn_mask mask;          /* the layer's mask; its pointers are borrowed */
    bool reference;             /* compose primitives instead of the fused op (teaching, testing) */
    bool owns_params;           /* false inside a GPT, whose parameter list owns the tensors */
} tt_mha;

/* Options with PyTorch's defaults (a field left 0 takes the default beside it). */
typedef struct tt_mha_opts {
    int64_t n_head;         /* required: >= 1 and dividing the width */
    bool causal;            /* false (torch.nn.MultiheadAttention has no mask unless given) */
    bool no_bias;           /* false: biases on both projections (PyTorch's bias=True) */
    float out_std_scale;    /* 1: w_out ~ N(0, 0.02 * scale) */
} tt_mha_opts;

/* Weights N(0, 0.02) (w_out scaled by out_std_scale, e.g. 1/sqrt(2 * layers) as in GPT-2), biases 0. */
tt_mha *tt_mha_new(int64_t dim, int64_t n_head, float out_std_scale, tt_rng *rng);
/* The same as a layer with options: tt_layer_forward(l, x [B, T, C]) -> [B, T, C]. */
tt_layer *tt_mha_layer_new(int64_t dim, tt_mha_opts opts, tt_rng *rng);
/* Sets the mask tt_layer_forward uses (NULL: none); the arrays it points to must live until the
 * forward (and, with activation checkpointing, the backward) has run. */
void tt_mha_set_mask(tt_layer *mha, const tt_attn_mask *mask);
/* x [B, T, C] -> [B, T, C]. reference = true composes primitives (split heads, tt_attention_reference,
 * merge heads) instead of the fused path. */
tt_tensor *tt_mha_forward(tt_mha *m, tt_tensor *x, const tt_attn_mask *mask, bool reference);
void tt_mha_params(tt_mha *m, tt_params *out, const char *prefix);
void tt_mha_free(tt_mha *m);

#endif
